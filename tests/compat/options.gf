# opts: --selinux --blocksize=4096 -a @DISK@
# --selinux is accepted (and ignored); --blocksize sets the drive's sector size
run
blockdev-getss /dev/sda
blockdev-getsize64 /dev/sda
