# upload to a directory fails with "Is a directory"; upload to a file works.
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
! printf 'content\n' > upload-src.txt
upload upload-src.txt /up.txt
cat /up.txt
mkdir /dir
upload upload-src.txt /dir
echo not reached
