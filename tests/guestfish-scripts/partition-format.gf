# Partition a blank disk, make a filesystem, mount it, look at it.
# Run as: guestfish -a blank.img -f partition-format.gf
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1 label:DATA
list-partitions
vfs-type /dev/sda1
vfs-label /dev/sda1
mount /dev/sda1 /
is-dir /lost+found
umount-all
