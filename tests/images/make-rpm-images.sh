#!/bin/sh
# Build the rpm test images of tests/test-inspect-rpm.sh into a cache
# directory; print that directory.  Host tools only (rpmbuild, rpm,
# db5.3_load, python3, sfdisk, mke2fs -d): no appliance, a few seconds.
#
#   make-rpm-images.sh [CACHE]   default $GK_TEST_IMAGES or /var/tmp/gk-test-images
#
# Rebuilt only when this script changes (the directory name carries its
# checksum).  Three tiny noarch packages are built with rpmbuild and
# installed (rpm --root --justdb: the database only, no scriptlets) by
# Debian's real rpm, then:
#
#   fedora-rpm.img  MBR, one ext4 partition (label gkfedroot): a Fedora 39
#                   tree as libguestfs expects one (/bin -> usr/bin,
#                   /etc/fstab, os-release, fedora-release, an ELF ls), its
#                   rpm database in SQLite (/usr/lib/sysimage/rpm, with
#                   /var/lib/rpm a link to it), /etc/hostname, machine-id,
#                   a kernel and its modules directory, grub2's config.
#   rhel-bdb.img    the same for RHEL 8.9 with a Berkeley DB database in
#                   /var/lib/rpm/Packages, host name only in
#                   /etc/sysconfig/network.  Debian's rpm cannot write BDB
#                   (backends: sqlite, bdb_ro, dummy), so the Packages hash
#                   is made by Berkeley DB's own db5.3_load from the very
#                   header blobs rpm wrote into SQLite, keyed like rpm's
#                   BDB backend (the instance number, host byte order; key
#                   0 the last instance), and read back here with rpm's
#                   bdb_ro before the image is made.
#   rpm-hostile.img MBR, three ext4 partitions, each a Fedora root whose
#                   rpmdb.sqlite is hostile: 1 a symlink climbing out of
#                   the root to /etc/passwd (inside the guest: its own
#                   passwd, which is not a database), 2 a FIFO, 3 garbage.
#   apk-pacman.img  MBR, two ext4 partitions: 1 Alpine 3.19 (no os-release:
#                   /etc/alpine-release only; /lib/apk/db/installed with two
#                   packages), 2 Arch Linux (os-release; /var/lib/pacman/
#                   local/NAME-VERSION/desc for two packages, one with an
#                   epoch).  Written by hand in each tool's documented
#                   format (neither tool is in Debian 12).
#   suse-ndb.img    openSUSE Leap 15.5 whose /usr/lib/sysimage/rpm holds a
#                   Packages.db: NOT a real ndb database (Debian's rpm has
#                   no ndb backend to write or read one), only there to
#                   check the error; host name in /etc/HOSTNAME.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${GK_TEST_IMAGES:-/var/tmp/gk-test-images}}
key=$(sha256sum <"$0" | cut -c1-16)
out="$cache/rpm-images-$key"
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
for tool in rpmbuild rpm db5.3_load python3 sfdisk mke2fs; do
  command -v $tool >/dev/null 2>&1 || [ -x /usr/sbin/$tool ] || [ -x /sbin/$tool ] || {
    echo "make-rpm-images: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$cache"
rm -rf "$cache"/rpm-images-*
mkdir -p "$out"
w=$(mktemp -d "${TMPDIR:-/tmp}/gk-rpm-images.XXXXXX")
trap 'rm -rf "$w"' EXIT
log () { echo "make-rpm-images: $*" >&2; }
PATH=$PATH:/usr/sbin:/sbin

# ---- three noarch packages ---------------------------------------------
# name epoch version release
pkgs="gk-hello 2 1.2 3.gk
gk-tools - 0.9 1.gk
gk-data - 2024.1 7.gk"
echo "$pkgs" | while read -r name epoch version release; do
  {
    echo "Name: $name"; echo "Version: $version"; echo "Release: $release"
    [ "$epoch" = - ] || echo "Epoch: $epoch"
    echo "Summary: guestkit test package $name"; echo "License: MIT"
    echo "BuildArch: noarch"
    printf '%%description\nA package of the guestkit test images.\n'
    printf '%%install\nmkdir -p %%{buildroot}/usr/share/%s\n' "$name"
    printf 'echo %s > %%{buildroot}/usr/share/%s/README\n' "$name" "$name"
    printf '%%files\n/usr/share/%s/README\n' "$name"
  } >"$w/$name.spec"
  rpmbuild --quiet --define "_topdir $w/build" --define '_binary_payload w9.gzdio' \
    -bb "$w/$name.spec" >&2
done
rpms=$(ls "$w"/build/RPMS/noarch/*.rpm)

# ---- a Linux tree as inspection tools expect one -------------------------
# tree DIR: the usrmerge links, an ELF ls, a kernel, empty system dirs.
tree () {
  mkdir -p "$1/etc" "$1/usr/bin" "$1/usr/sbin" "$1/usr/lib64" "$1/var/lib" \
    "$1/boot" "$1/root" "$1/tmp" "$1/home" "$1/usr/lib/sysimage"
  ln -s usr/bin "$1/bin"; ln -s usr/sbin "$1/sbin"
  ln -s usr/lib "$1/lib"; ln -s usr/lib64 "$1/lib64"
  cp /usr/bin/ls "$1/usr/bin/ls"
  printf '127.0.0.1 localhost\n' >"$1/etc/hosts"
}
# kernel DIR VERSION: a (fake) kernel image and its modules directory.
kernel () {
  mkdir -p "$1/usr/lib/modules/$2/kernel"
  printf 'not a real kernel\n' >"$1/boot/vmlinuz-$2"
  touch "$1/usr/lib/modules/$2/modules.dep"
}
# rpmdb ROOT DBPATH: the packages' database, by rpm itself (SQLite).
rpmdb () {
  rpm --root "$1" --dbpath "$2" --initdb
  rpm --root "$1" --dbpath "$2" -i --justdb --nodeps --ignorearch --ignoreos \
    --noscripts $rpms 2>&1 | grep -v -e 'use Alien' -e 'know what you are doing' >&2 || true
}
# image FILE LABEL DIR: an MBR disk of one ext4 partition made from DIR.
image () {
  truncate -s 40M "$1"
  echo 'start=2048, type=83' | sfdisk -q "$1" >/dev/null
  mke2fs -q -t ext4 -F -L "$2" -E offset=1048576 -d "$3" "$1" 38M
}
QF='%{NAME} %|EPOCH?{%{EPOCH}}:{0}| %{VERSION} %{RELEASE} %{ARCH}\n'

# ---- Fedora 39, SQLite ---------------------------------------------------
f=$w/fedora
tree "$f"
rpmdb "$f" /usr/lib/sysimage/rpm
ln -s ../../usr/lib/sysimage/rpm "$f/var/lib/rpm"
cat >"$f/etc/os-release" <<'EOF'
NAME="Fedora Linux"
VERSION="39 (Server Edition)"
ID=fedora
VERSION_ID=39
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Server Edition)"
VARIANT="Server Edition"
VARIANT_ID=server
EOF
echo 'Fedora release 39 (Thirty Nine)' >"$f/etc/fedora-release"
ln -s fedora-release "$f/etc/redhat-release"
ln -s fedora-release "$f/etc/system-release"
echo gk-fedora-rpm >"$f/etc/hostname"
echo 0123456789abcdef0123456789abcdef >"$f/etc/machine-id"
echo 'LABEL=gkfedroot / ext4 defaults 1 1' >"$f/etc/fstab"
kernel "$f" 6.5.6-300.fc39.x86_64
mkdir -p "$f/boot/grub2"
echo 'set default=0' >"$f/boot/grub2/grub.cfg"
got=$(rpm --dbpath "$f/usr/lib/sysimage/rpm" -qa --qf "$QF" | sort | tr '\n' ,)
[ "$got" = "gk-data 0 2024.1 7.gk noarch,gk-hello 2 1.2 3.gk noarch,gk-tools 0 0.9 1.gk noarch," ] ||
  { log "the SQLite database reads back as [$got]"; exit 1; }

# ---- RHEL 8.9, Berkeley DB -----------------------------------------------
r=$w/rhel
tree "$r"
mkdir -p "$r/var/lib/rpm" "$r/etc/sysconfig"
python3 - "$f/usr/lib/sysimage/rpm/rpmdb.sqlite" >"$w/packages.dump" <<'EOF'
# db_load's "bytevalue" dump format: key and value lines in hex.
import sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
print("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END")
last = max(h for h, _ in rows)
for k, v in [(0, struct.pack("=I", last))] + [(h, b) for h, b in rows]:
    print(" " + struct.pack("=I", k).hex())
    print(" " + bytes(v).hex())
print("DATA=END")
EOF
db5.3_load -f "$w/packages.dump" "$r/var/lib/rpm/Packages"
cat >"$r/etc/os-release" <<'EOF'
NAME="Red Hat Enterprise Linux"
VERSION="8.9 (Ootpa)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="8.9"
PLATFORM_ID="platform:el8"
PRETTY_NAME="Red Hat Enterprise Linux 8.9 (Ootpa)"
EOF
echo 'Red Hat Enterprise Linux release 8.9 (Ootpa)' >"$r/etc/redhat-release"
ln -s redhat-release "$r/etc/system-release"
printf 'NETWORKING=yes\nHOSTNAME=gk-rhel-bdb\n' >"$r/etc/sysconfig/network"
echo 'LABEL=gkrhelroot / ext4 defaults 1 1' >"$r/etc/fstab"
kernel "$r" 4.18.0-513.5.1.el8_9.x86_64
got=$(rpm --dbpath "$r/var/lib/rpm" --define '_db_backend bdb_ro' -qa --qf "$QF" 2>/dev/null | sort | tr '\n' ,)
[ "$got" = "gk-data 0 2024.1 7.gk noarch,gk-hello 2 1.2 3.gk noarch,gk-tools 0 0.9 1.gk noarch," ] ||
  { log "rpm's bdb_ro reads the Berkeley DB back as [$got]"; exit 1; }

# ---- openSUSE Leap 15.5, ndb (a placeholder file: see above) --------------
s=$w/suse
tree "$s"
mkdir -p "$s/usr/lib/sysimage/rpm"
ln -s ../../usr/lib/sysimage/rpm "$s/var/lib/rpm"
printf 'RpmP not a real ndb database\n' >"$s/usr/lib/sysimage/rpm/Packages.db"
cat >"$s/etc/os-release" <<'EOF'
NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
EOF
echo gk-suse-ndb >"$s/etc/HOSTNAME"
echo 'LABEL=gksuseroot / ext4 defaults 1 1' >"$s/etc/fstab"

# ---- hostile rpm databases: three Fedora roots on one disk --------------
truncate -s 48M "$out/rpm-hostile.img"
printf 'start=2048, size=30720, type=83\nsize=30720, type=83\nsize=30720, type=83\n' |
  sfdisk -q "$out/rpm-hostile.img" >/dev/null
for i in 1 2 3; do
  h=$w/hostile$i
  mkdir -p "$h/etc" "$h/usr/lib/sysimage/rpm" "$h/usr/bin"
  cp /usr/bin/ls "$h/usr/bin/ls"
  cp "$f/etc/os-release" "$h/etc/os-release"
  echo "gk-hostile-$i" >"$h/etc/hostname"
  echo 'root:x:0:0:guest passwd:/root:/bin/sh' >"$h/etc/passwd"
  db=$h/usr/lib/sysimage/rpm/rpmdb.sqlite
  case $i in
    1) ln -s ../../../../../../../../etc/passwd "$db" ;;
    2) mkfifo "$db" ;;
    3) head -c 65536 /dev/urandom >"$db" ;;
  esac
  mke2fs -q -t ext4 -F -E offset=$(( (2048 + (i - 1) * 30720) * 512 )) -d "$h" \
    "$out/rpm-hostile.img" 15M
done

# ---- Alpine (apk) and Arch (pacman) -------------------------------------
a=$w/alpine
mkdir -p "$a/etc" "$a/bin" "$a/lib/apk/db"
cp /usr/bin/ls "$a/bin/ls"
echo 3.19.1 >"$a/etc/alpine-release"
echo gk-alpine >"$a/etc/hostname"
printf 'C:Q1x=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:383152\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\n\n' \
  >"$a/lib/apk/db/installed"
p=$w/arch
tree "$p"
printf 'NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\nBUILD_ID=rolling\n' >"$p/etc/os-release"
echo gk-arch >"$p/etc/hostname"
for pkg in 'bash 5.2.026-2 x86_64' 'zlib 1:1.3.1-1 x86_64'; do
  set -- $pkg
  dir=$p/var/lib/pacman/local/$1-${2#*:}
  mkdir -p "$dir"
  printf '%%NAME%%\n%s\n\n%%VERSION%%\n%s\n\n%%ARCH%%\n%s\n\n' "$1" "$2" "$3" >"$dir/desc"
done
echo 9 >"$p/var/lib/pacman/local/ALPM_DB_VERSION"
truncate -s 32M "$out/apk-pacman.img"
printf 'start=2048, size=30720, type=83\nsize=30720, type=83\n' | sfdisk -q "$out/apk-pacman.img" >/dev/null
mke2fs -q -t ext4 -F -E offset=1048576 -d "$a" "$out/apk-pacman.img" 15M
mke2fs -q -t ext4 -F -E offset=$(( (2048 + 30720) * 512 )) -d "$p" "$out/apk-pacman.img" 15M

image "$out/fedora-rpm.img" gkfedroot "$f"
image "$out/rhel-bdb.img" gkrhelroot "$r"
image "$out/suse-ndb.img" gksuseroot "$s"
touch "$out/done"
log "done in $out"
echo "$out"
