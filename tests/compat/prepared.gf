# opts: -N bootroot -N lv
# -N bootroot and -N lv with guestfish's defaults (1G, 128M boot, /dev/VG/LV)
list-devices
blockdev-getsize64 /dev/sda
blockdev-getsize64 /dev/sdb
list-filesystems
part-list /dev/sda
lvs
