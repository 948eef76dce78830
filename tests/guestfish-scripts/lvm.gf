# LVM on a blank disk: a PV on a partition, a VG, LVs, a filesystem on
# an LV, resizing, renaming, removing.
# Run as: guestfish -a blank.img -f lvm.gf  (blank.img: 128 MiB or more)
run
part-disk /dev/sda mbr
pvcreate /dev/sda1
vgcreate vg0 /dev/sda1
lvcreate root vg0 32
lvcreate-free data vg0 50
pvs
vgs
lvs
is-lv /dev/vg0/root
mkfs ext4 /dev/vg0/root
mount /dev/vg0/root /
write /hello "hello from LVM"
cat /hello
lvm-canonical-lv-name /dev/mapper/vg0-root
lvresize /dev/vg0/root 48
resize2fs /dev/vg0/root
blockdev-getsize64 /dev/vg0/root
cat /hello
lvrename /dev/vg0/data /dev/vg0/spare
lvs
umount-all
lvremove /dev/vg0/spare
vgrename vg0 vg1
vgs
lvs
lvm-remove-all
vgs
pvs
