# list-filesystems "dev: type", list-partitions, list-devices
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 40959
part-add /dev/sda p 40960 -2048
mkfs ext4 /dev/sda1
mkfs vfat /dev/sda2
list-devices
list-partitions
list-filesystems
