#!/bin/sh
# Build the test images of tests/test-inspect.sh, with guestkit itself
# (gkfish scripts), into a cache directory; print that directory.
#
#   make-images.sh [CACHE]      default $GK_TEST_IMAGES or /var/tmp/gk-test-images
#
# The images are rebuilt only when this script or debootstrap.sh changes
# (the directory name carries their checksum); the debootstrap tree is a
# tarball built once (debootstrap.sh) and reused across rebuilds.
#
#   debian.img      Debian 12 minbase from debootstrap: MBR, /boot on sda1
#                   (ext2), / on the LV debvg/root (ext4) whose PV is sda2,
#                   /home on sda3 (ext4, label gkhome); fstab names UUID=
#                   for /, LABEL= for /home and /dev/sda1 for /boot; host
#                   name gk-debian.
#   fedora.img      marker files only: os-release ID=fedora, redhat-release,
#                   /var/lib/rpm, a real ELF /usr/bin/ls; fstab LABEL= and
#                   an LV that does not exist.
#   ubuntu.img      GPT; / by PARTUUID=, /srv by /dev/disk/by-uuid/, a swap
#                   partition by UUID=; a small dpkg status.
#   windows.img     NTFS (mkfs ntfs, written through ntfs-3g) with WINDOWS/system32/ntoskrnl.exe (a PE
#                   header) and "Program Files".
#   lvm.img         LVM on the whole disk: VG gkvg, LVs root and home;
#                   fstab names /dev/gkvg/root and /dev/mapper/gkvg-home.
#   hostile.img     ext4 on the whole disk (no partition table) with
#                   hostile files: quotes, backslashes, escape sequences
#                   and invalid UTF-8 in os-release, a 1 MiB hostname, a
#                   fstab of junk and 5000 entries, a dpkg status with a
#                   400 KB line.
#   dirty.img       ext4 with os-release whose appliance was killed while
#                   it was mounted: the journal needs recovery, which
#                   inspection must not do (the image must not change).
#   corrupt.img     ext4 with os-release whose group descriptors are
#                   overwritten with garbage (the superblock is intact,
#                   so blkid still says ext4 and the mount must fail).
#   pastend.img     an MBR whose partition ends past the end of the disk.
#   truncated.qcow2 a qcow2 of fedora.img cut to a fraction of its size.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${GK_TEST_IMAGES:-/var/tmp/gk-test-images}}
GKFISH=${GKFISH:-$here/../../fish/gkfish}
key=$(cat "$0" "$here/debootstrap.sh" | sha256sum | cut -c1-16)
out="$cache/images-$key"
"$here/make-windows-image.sh" "$cache/windows" >&2   # win10.img, win11.img (cached)
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
# Images of older versions of this script are of no further use.
rm -rf "$cache"/images-*
tarball=$("$here/debootstrap.sh" "$cache")
rm -rf "$out"
mkdir -p "$out"
cd "$out"
log () { echo "make-images: $*" >&2; }

# Fixed identifiers, so fstab can name them and the tests can check them.
ROOT_UUID=6a1c7e0f-3b4d-4c55-9d2e-0123456789ab
SRV_UUID=1f2e3d4c-5b6a-4789-8abc-def012345678
SWAP_UUID=0b1c2d3e-4f50-4162-8374-8596a7b8c9d0
ROOT_PARTUUID=A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF

# ---- debian.img: one appliance -----------------------------------------
log "debian.img from $tarball"
start=$(date +%s)
truncate -s 640M debian.img
"$GKFISH" -a debian.img >&2 <<GK
part-init /dev/sda mbr
part-add /dev/sda p 2048 133119
part-add /dev/sda p 133120 1181695
part-add /dev/sda p 1181696 -2048
mkfs ext2 /dev/sda1
pvcreate /dev/sda2
vgcreate debvg /dev/sda2
lvcreate-free root debvg 100
mkfs ext4 /dev/debvg/root
set-uuid /dev/debvg/root $ROOT_UUID
mkfs ext4 /dev/sda3 label:gkhome
mount /dev/debvg/root /
mkdir /boot
mkdir /home
mount /dev/sda1 /boot
mount /dev/sda3 /home
tar-in $tarball /
write /etc/fstab "# guestkit test image\nUUID=$ROOT_UUID / ext4 errors=remount-ro 0 1\n/dev/sda1 /boot ext2 defaults 0 2\nLABEL=gkhome /home ext4 defaults 0 2\nproc /proc proc defaults 0 0\ntmpfs /tmp tmpfs defaults 0 0\n"
write /etc/hostname "gk-debian\n"
mkdir-p /home/user
write /home/user/hello "hello from the debian test image\n"
write /boot/marker "boot partition\n"
umount-all
vg-activate-all false
GK
log "debian.img built in $(( $(date +%s) - start )) s"

# ---- the small synthetic layouts and the corrupt one: one appliance ----
printf 'MZ' >ntoskrnl.exe
truncate -s 60 ntoskrnl.exe
printf '\200\000\000\000' >>ntoskrnl.exe
truncate -s 128 ntoskrnl.exe
printf 'PE\000\000\144\206' >>ntoskrnl.exe
truncate -s 1024 ntoskrnl.exe
for f in fedora ubuntu windows corrupt hostile; do truncate -s 64M $f.img; done
printf 'ID=debian\nVERSION_ID=12\nPRETTY_NAME="Evil \\"quoted\\" back\\\\slash \377\376 tab\there \033[31mred"\n' >h-os-release
{ printf 'h\303\264te-\303\251\n'; head -c 1048576 /dev/zero | tr '\0' x; } >h-hostname
{ head -c 4096 /dev/urandom; printf '\n/dev/sda /x/../../etc ext4 defaults\n';
  i=0; while [ $i -lt 5000 ]; do echo "LABEL=nosuch$i /mnt/$i ext4 defaults 0 0"; i=$((i + 1)); done; } >h-fstab
{ head -c 300000 /dev/urandom | base64 -w0; printf '\n\nPackage: ok-pkg\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n\n';
  head -c 20000 /dev/urandom; } >h-status
printf 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12ubuntu4\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.35-0ubuntu3.4\n' >status
log "synthetic layouts"
"$GKFISH" -a fedora.img -a ubuntu.img -a corrupt.img -a hostile.img >&2 <<GK
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1 label:fedroot
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /var/lib/rpm
mkdir-p /usr/bin
write /etc/os-release "NAME=\"Fedora Linux\"\nVERSION=\"39 (Server Edition)\"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME=\"Fedora Linux 39 (Server Edition)\"\n"
write /etc/redhat-release "Fedora release 39 (Thirty Nine)\n"
write /etc/hostname "gk-fedora\n"
write /etc/fstab "LABEL=fedroot / ext4 defaults 1 1\n/dev/mapper/fedora-home /home ext4 defaults 1 2\n"
upload /usr/bin/ls /usr/bin/ls
umount-all

part-init /dev/sdb gpt
part-add /dev/sdb p 2048 83967
part-add /dev/sdb p 83968 108543
part-add /dev/sdb p 108544 -34
part-set-gpt-guid /dev/sdb 1 $ROOT_PARTUUID
mkfs ext4 /dev/sdb1
mkfs ext4 /dev/sdb2
set-uuid /dev/sdb2 $SRV_UUID
mkswap /dev/sdb3 uuid:$SWAP_UUID
mount /dev/sdb1 /
mkdir-p /etc
mkdir-p /srv
mkdir-p /var/lib/dpkg
write /etc/os-release "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\n"
write /etc/debian_version "bookworm/sid\n"
write /etc/hostname "gk-ubuntu\n"
write /etc/fstab "PARTUUID=$ROOT_PARTUUID / ext4 defaults 0 1\n/dev/disk/by-uuid/$SRV_UUID /srv ext4 defaults 0 2\nUUID=$SWAP_UUID none swap sw 0 0\n"
upload status /var/lib/dpkg/status
umount-all

part-disk /dev/sdc mbr
mkfs ext4 /dev/sdc1 blocksize:4096
mount /dev/sdc1 /
mkdir-p /etc
write /etc/os-release "ID=debian\nVERSION_ID=12\n"
umount-all

mkfs ext4 /dev/sdd
mount /dev/sdd /
mkdir-p /etc
mkdir-p /var/lib/dpkg
upload h-os-release /etc/os-release
upload h-hostname /etc/hostname
upload h-fstab /etc/fstab
upload h-status /var/lib/dpkg/status
umount-all
GK
rm -f status h-os-release h-hostname h-fstab h-status

# ---- windows.img and lvm.img: one appliance ----------------------------
log "windows.img, lvm.img"
truncate -s 48M lvm.img
"$GKFISH" -a windows.img -a lvm.img >&2 <<'GK'
part-disk /dev/sda mbr
mkfs ntfs /dev/sda1 label:Windows
mount /dev/sda1 /
mkdir-p /WINDOWS/system32/config
mkdir-p "/Program Files"
upload ntoskrnl.exe /WINDOWS/system32/ntoskrnl.exe
umount-all
pvcreate /dev/sdb
vgcreate gkvg /dev/sdb
lvcreate root gkvg 24
lvcreate home gkvg 8
mkfs ext4 /dev/mapper/gkvg-root
mkfs ext4 /dev/gkvg/home
mount /dev/mapper/gkvg-root /
mkdir-p /etc
mkdir /home
write /etc/os-release "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"LVM test\"\n"
write /etc/hostname "gk-lvm\n"
write /etc/fstab "/dev/gkvg/root / ext4 defaults 0 1\n/dev/mapper/gkvg-home /home ext4 defaults 0 2\n"
umount-all
vg-activate-all false
GK
rm -f ntoskrnl.exe

# ---- dirty.img: an appliance killed with the filesystem mounted ---------
log "dirty.img"
truncate -s 64M dirty.img
eval "$("$GKFISH" --listen -a dirty.img)"
"$GKFISH" --remote -- part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 / : \
  mkdir-p /etc : write /etc/os-release "$(printf 'ID=debian\nVERSION_ID=12')" : \
  write /etc/hostname gk-dirty : sync >&2
kill -9 "$GUESTFISH_PID"
while kill -0 "$GUESTFISH_PID" 2>/dev/null; do sleep 0.1; done
rm -f "${TMPDIR:-/tmp}/.gkfish-$(id -u)/socket-$GUESTFISH_PID"
# ext4 s_feature_incompat (superblock at 1 MiB + 1024, offset 0x60):
# RECOVER (0x4) says the journal needs replaying.
incompat=$(od -A n -t u4 -j $((1048576 + 1024 + 96)) -N 4 dirty.img)
if [ $((incompat & 4)) = 0 ]; then
  echo "make-images: dirty.img: the journal does not need recovery" >&2; exit 1
fi

# Garbage over the group descriptors (4 KiB blocks: block 1 of the
# partition at 1 MiB), keeping the superblock in block 0.
head -c 65536 /dev/urandom | dd of=corrupt.img bs=4096 seek=257 conv=notrunc status=none

# An MBR with one Linux partition from sector 2048 for 10^6 sectors on a
# 32 MiB (65536-sector) disk.
truncate -s 32M pastend.img
printf '\000\000\000\000\203\000\000\000\000\010\000\000\100\102\017\000' |
  dd of=pastend.img bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of=pastend.img bs=1 seek=510 conv=notrunc status=none

qemu-img convert -f raw -O qcow2 fedora.img truncated.qcow2
truncate -s $(( $(stat -c %s truncated.qcow2) / 3 )) truncated.qcow2

"$here/make-rpm-images.sh" "$cache" >/dev/null   # rpm, apk, pacman images (own cache dir)
touch done
log "done in $out"
echo "$out"
