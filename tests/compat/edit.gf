# edit/vi/emacs: $EDITOR (here a sed script) edits a copy; changed files are uploaded
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
write /e "hello world\n"
edit /e
cat /e
write /v "unchanged\n"
edit /v
cat /v
-edit /missing
echo end
