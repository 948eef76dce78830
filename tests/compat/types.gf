# Output format of every return type (guestfish 1.48 recorded).
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
# int, int64 (also hex and octal forms guestfish prints for some calls)
blockdev-getss /dev/sda
blockdev-getsize64 /dev/sda
part-get-mbr-id /dev/sda 1
# bool
is-dir /
exists /nope
# string, with and without a trailing newline
write /f "hello"
cat /f
write /g "line\n"
cat /g
# list, and an empty list
mkdir /d
touch /d/b
touch /d/a
ls /d
ls /d/
mkdir /empty
ls /empty
# buffer
pread /f 3 1
read-file /f
# struct
statvfs / | grep -E '^(bsize|frsize|namemax):'
# struct list
part-list /dev/sda
# hash
list-filesystems
mountpoints
blkid /dev/sda1 | grep -E '^(TYPE|USAGE):'
tune2fs-l /dev/sda1 | grep -E '^(Filesystem magic number|Block size):'
# rstring with optional args
echo done
