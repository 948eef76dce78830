# glob over devices and guest paths
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 40959
part-add /dev/sda p 40960 -2048
mkfs ext4 /dev/sda2
mount /dev/sda2 /
touch /x1
touch /x2
glob echo /dev/sd*
glob echo /dev/sda?
glob echo /x*
glob echo /nomatch*
