# Errors: a "-" command goes on, the first plain failure stops with status 1.
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
echo before
-mkdir /a/b
echo after dash
-cat /nonexistent
-no-such-command
-mkdir
-mkdir a b c
-part-get-mbr-id /dev/sda notanumber
echo still here
mkdir /a/b
echo not reached
