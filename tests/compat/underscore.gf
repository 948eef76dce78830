# underscore spellings of commands and optional arguments
run
part_disk /dev/sda mbr
mkfs ext4 /dev/sda1 blocksize:1024
mount /dev/sda1 /
mkdir_p /a/b/c
is_dir /a/b/c
list_partitions
tune2fs-l /dev/sda1 | grep -E '^Block size:'
