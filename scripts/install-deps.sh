#!/bin/sh
# Install every Debian 12 package guestkit needs to build, boot its
# appliance and run its tests.  Run as root (or with sudo available).
# --list: print the packages, one a line, and install nothing.
# Every program the appliance marks optional (appliance/files.list) that
# a test uses must come from a package listed here (tests/test-deps.sh
# checks it): zerofree, bzip2 (compress-out), mount (mount, umount).
set -e
PKGS="autoconf automake libtool pkg-config make gcc libc6-dev libblkid-dev
libreadline-dev qemu-system-x86 linux-image-cloud-amd64 busybox-static
e2fsprogs fdisk util-linux mount dosfstools xfsprogs btrfs-progs lvm2 kmod
lz4 cpio zstd file xz-utils gzip bzip2 tar coreutils zerofree
user-mode-linux valgrind ntfs-3g debootstrap jq qemu-utils gnuplot-nox
libarchive-dev libjson-c-dev yq python3 clang libclang-rt-dev man-db
groff-base bash-completion procps time cryptsetup-bin
mdadm parallel squashfs-tools policycoreutils"
if [ "${1:-}" = --list ]; then
  for p in $PKGS; do echo "$p"; done
  exit 0
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
missing=
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
fi
