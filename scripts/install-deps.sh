#!/bin/sh
# Install every Debian 12 package guestkit needs to build, boot its
# appliance and run its tests.  Run as root (or with sudo available).
# --list: print the packages, one a line, and install nothing.
# --with-libguestfs: also libguestfs-tools (virt-inspector), which only
# tests/test-inspect-compare.sh uses (it SKIPs without it); large, so opt-in.
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
mdadm parallel rpm db5.3-util sqlite3 gettext libhivex-dev libhivex-bin libwin-hivex-perl
squashfs-tools policycoreutils
libxml2-dev libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
libvirt-daemon-system libvirt-daemon-system-sysv"
if [ "${1:-}" = --with-libguestfs ]; then
  PKGS="$PKGS libguestfs-tools"
  shift
fi
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
  # Without an init system (CI's fresh root), services such as libvirtd
  # must not be started by the packages' scripts (tests start what they
  # need: tests/libvirt-skip.sh); policy-rc.d 101 = "not now".
  norc=
  if [ ! -d /run/systemd/system ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d > /dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    norc=1
  fi
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
  [ -z "$norc" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi
