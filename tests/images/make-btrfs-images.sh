#!/bin/sh
# Build the btrfs test images of tests/test-inspect-btrfs.sh into a cache
# directory; print that directory.  One appliance run (gkfish).
#
#   make-btrfs-images.sh [CACHE]   default $GK_TEST_IMAGES or /var/tmp/gk-test-images
#
# Rebuilt only when this script changes (the directory name carries its
# checksum).  Needs tests/images/make-rpm-images.sh's fedora-rpm.img (its
# rpm database is copied; built first if missing).
#
#   fedora-btrfs.img  Fedora 39's default layout: MBR, sda1 ext4 /boot
#                     (vmlinuz-6.5.6-300.fc39.x86_64, grub2/grub.cfg,
#                     loader/entries), sda2 one btrfs (label fedora) with
#                     the subvolumes root and home; fstab mounts / and /home
#                     by UUID= with subvol=root / subvol=home, /boot by
#                     UUID=; /etc/os-release, machine-id, hostname
#                     gk-fedora-btrfs, the modules directory of the kernel
#                     (/lib -> usr/lib), the rpm database of fedora-rpm.img.
#   btrfs-hostile.raw (not .img: test-inspect-compare.sh takes every *.img,
#                     and virt-inspector 1.48, which mounts every one of the
#                     2000 subvolumes, does not finish in 10 minutes)
#                     btrfs on the whole disk: subvolume root (a Fedora root
#                     whose fstab names subvol=../x, subvol=a\,b and a
#                     missing subvolume; /boot a symbolic link climbing out
#                     of the root (so it is the root's top, where
#                     vmlinuz-6.6.6-evil links to /etc/shadow and
#                     vmlinuz-1.0.0-confined is a regular file), linketc
#                     (/etc a link climbing out to root/etc), a subvolume
#                     named with a newline and a fake "btrfs subvolume list"
#                     line, one with a ',' and 2000 subvolumes under many/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${GK_TEST_IMAGES:-/var/tmp/gk-test-images}}
GKFISH=${GKFISH:-$here/../../fish/gkfish}
key=$(sha256sum <"$0" | cut -c1-16)
out="$cache/btrfs-images-$key"
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
rpmimages=$("$here/make-rpm-images.sh" "$cache")
mkdir -p "$cache"
rm -rf "$cache"/btrfs-images-*
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/gk-btrfs-images.XXXXXX")
trap 'rm -rf "$w"' EXIT
log () { echo "make-btrfs-images: $*" >&2; }
start=$(date +%s)

BTRFS_UUID=3f1d8a52-6c1e-4b8e-9a27-5d0c4e7b9f10
BOOT_UUID=7c2e4f60-1a3b-4d5c-8e9f-a0b1c2d3e4f5
KVER=6.5.6-300.fc39.x86_64

# ---- the Fedora root (tar-in'd into the subvolume root) ----------------
f=$w/root
mkdir -p "$f/etc" "$f/usr/bin" "$f/usr/sbin" "$f/usr/lib64" "$f/usr/lib/modules/$KVER/kernel" \
  "$f/var/lib" "$f/boot" "$f/root" "$f/tmp" "$f/home" "$f/mnt" "$f/usr/lib/sysimage"
ln -s usr/bin "$f/bin"; ln -s usr/sbin "$f/sbin"
ln -s usr/lib "$f/lib"; ln -s usr/lib64 "$f/lib64"
ln -s ../../usr/lib/sysimage/rpm "$f/var/lib/rpm"
cp /usr/bin/ls "$f/usr/bin/ls"
touch "$f/usr/lib/modules/$KVER/modules.dep"
cat >"$f/etc/os-release" <<'OS'
NAME="Fedora Linux"
VERSION="39 (Workstation Edition)"
ID=fedora
VERSION_ID=39
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Workstation Edition)"
VARIANT="Workstation Edition"
VARIANT_ID=workstation
OS
echo 'Fedora release 39 (Thirty Nine)' >"$f/etc/fedora-release"
ln -s fedora-release "$f/etc/redhat-release"
ln -s fedora-release "$f/etc/system-release"
echo gk-fedora-btrfs >"$f/etc/hostname"
echo 5a1f0e3c9b7d4e2f8a6c1b3d5e7f9a0b >"$f/etc/machine-id"
cat >"$f/etc/fstab" <<FSTAB
# Fedora 39's installer writes this
UUID=$BTRFS_UUID /                       btrfs   subvol=root,compress=zstd:1 0 0
UUID=$BOOT_UUID /boot                   ext4    defaults        1 2
UUID=$BTRFS_UUID /home                   btrfs   subvol=home,compress=zstd:1 0 0
FSTAB
tar -C "$f" -cf "$w/root.tar" .
mkdir -p "$w/boot/grub2" "$w/boot/loader/entries"
printf 'not a real kernel\n' >"$w/boot/vmlinuz-$KVER"
printf 'set default=0\nblscfg\n' >"$w/boot/grub2/grub.cfg"
printf 'title Fedora Linux (%s) 39\nversion %s\nlinux /vmlinuz-%s\n' "$KVER" "$KVER" "$KVER" \
  >"$w/boot/loader/entries/5a1f0e3c9b7d4e2f8a6c1b3d5e7f9a0b-$KVER.conf"
tar -C "$w/boot" -cf "$w/boot.tar" .

# ---- the hostile root ----------------------------------------------------
h=$w/hroot
mkdir -p "$h/etc" "$h/usr/bin"
cp /usr/bin/ls "$h/usr/bin/ls"
cp "$f/etc/os-release" "$h/etc/os-release"
echo gk-btrfs-hostile >"$h/etc/hostname"
echo 'root:*:19000:0:99999:7:::' >"$h/etc/shadow"
printf 'LABEL=gkhostile / btrfs subvol=root 0 0\nLABEL=gkhostile /a btrfs subvol=../x 0 0\nLABEL=gkhostile /b btrfs subvol=a\\054b 0 0\nLABEL=gkhostile /c btrfs subvol=nosuch 0 0\n' >"$h/etc/fstab"
ln -s ../../../../../../.. "$h/boot"
tar -C "$h" -cf "$w/hroot.tar" .

truncate -s 200M "$out/fedora-btrfs.img"
truncate -s 160M "$out/btrfs-hostile.raw"
log "one appliance: fedora-btrfs.img, btrfs-hostile.raw"
"$GKFISH" >&2 <<GK
add $out/fedora-btrfs.img
add $out/btrfs-hostile.raw
add-drive-ro $rpmimages/fedora-rpm.img
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 67583
part-add /dev/sda p 67584 -2048
mkfs ext4 /dev/sda1
set-uuid /dev/sda1 $BOOT_UUID
mkfs btrfs /dev/sda2 label:fedora
set-uuid /dev/sda2 $BTRFS_UUID
mount /dev/sda2 /
btrfs-subvolume-create /root
btrfs-subvolume-create /home
umount /
mount btrfsvol:/dev/sda2/root /
mkdir /boot
mount /dev/sda1 /boot
tar-in $w/root.tar /
tar-in $w/boot.tar /boot
mount-ro /dev/sdc1 /mnt
cp-a /mnt/usr/lib/sysimage/rpm /usr/lib/sysimage/rpm
umount /mnt
mount btrfsvol:/dev/sda2/home /home
mkdir-p /home/user
write /home/user/hello "hello from the btrfs home\n"
umount-all

mkfs btrfs /dev/sdb label:gkhostile
mount /dev/sdb /
btrfs-subvolume-create /root
btrfs-subvolume-create /linketc
btrfs-subvolume-create "/evil\nID 256 gen 1 top level 5 path root"
btrfs-subvolume-create "/a,b"
btrfs-subvolume-create /many
tar-in $w/hroot.tar /root
ln-s ../../../../root/etc /linketc/etc
ln-s /etc/shadow /root/vmlinuz-6.6.6-evil
write /root/vmlinuz-1.0.0-confined "a regular file at the top of the root\n"
debug-sh "i=0; while [ \$i -lt 2000 ]; do btrfs subvolume create /sysroot/many/s\$i >/dev/null || exit 1; i=\$((i + 1)); done"
umount-all
GK
n=$("$GKFISH" --ro -a "$out/btrfs-hostile.raw" -- mount /dev/sda / : btrfs-subvolume-list / 2>&1 | grep -c 'btrfssubvolume_path: many/s') || true
[ "$n" -ge 2000 ] || { log "btrfs-hostile.raw has $n subvolumes under many/, not 2000"; exit 1; }
touch "$out/done"
log "done in $out ($(( $(date +%s) - start )) s)"
echo "$out"
