#!/bin/sh
# Inspection on real images (tests/images/make-images.sh, cached): a
# debootstrapped Debian 12 with /boot and /home, synthetic Fedora, Ubuntu,
# Windows (NTFS) and LVM layouts, and bad images (a corrupt ext4, a partition past
# the disk end, a truncated qcow2).  One gkinspector or gkfish run, so one
# appliance, per check group; every run is under a timeout.
set -u
. "$(dirname "$0")/gkfish-env.sh"
. "$top/tests/inspect-check.sh"

for tool in debootstrap jq qemu-img; do
  if ! command -v $tool >/dev/null 2>&1 && ! [ -x /usr/sbin/$tool ]; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77
  fi
done

# debootstrap needs root, once: without it and without the cached tree,
# there is no Debian image to test.
if [ "$(id -u)" != 0 ] && ! ls "${GK_TEST_IMAGES:-/var/tmp/gk-test-images}"/debian-bookworm-minbase-v*.tar >/dev/null 2>&1; then
  echo "SKIP: debootstrap needs root (run once as root to cache the tree)"; exit 77
fi


start=$(date +%s)
images=$("$top/tests/images/make-images.sh") || { nok "building the test images"; echo "$pass passed, $fail failed"; exit 1; }
echo "# images in $images ($(( $(date +%s) - start )) s)"

# ---- Debian: gkinspector --json --------------------------------------
run_ "$GKINSPECTOR" -a "$images/debian.img" --json
expect "gkinspector debian: exit 0" [ "$rc" = 0 ]
if printf '%s' "$out" | jq -e . >/dev/null 2>&1; then ok "JSON parses"; else nok "JSON does not parse: $out"; fi
os='.operatingsystems[0]'
jq_is "one root" '.operatingsystems | length' 1
jq_is "root on the LV /dev/debvg/root" "$os.root" /dev/debvg/root
jq_is "type linux" "$os.type" linux
jq_is "distro debian" "$os.distro" debian
jq_is "major version 12" "$os.major_version" 12
jq_is "product name" "$os.product_name" "Debian GNU/Linux 12 (bookworm)"
jq_is "arch x86_64" "$os.arch" x86_64
jq_is "hostname as set" "$os.hostname" gk-debian
jq_is "package format deb" "$os.package_format" deb
jq_is "package management apt" "$os.package_management" apt
jq_is "mountpoints: / (UUID= of an LV) /boot (/dev/sda1) /home (LABEL=)" \
  "[$os.mountpoints[] | .mountpoint + \"=\" + .device] | join(\",\")" \
  "/=/dev/debvg/root,/boot=/dev/sda1,/home=/dev/sda3"
jq_is "filesystems" "$os.filesystems | join(\",\")" "/dev/debvg/root,/dev/sda1,/dev/sda3"
jq_is "applications include dpkg" "[$os.applications[] | select(.name == \"dpkg\")] | length" 1
jq_is "applications include base-files" "[$os.applications[] | select(.name == \"base-files\")] | .[0].arch" amd64
n=$(printf '%s' "$out" | jq "$os.applications | length")
expect "a minbase system has 50-300 packages ($n)" [ "$n" -ge 50 -a "$n" -le 300 ]
# The real dpkg database agrees (read on the host from the same tarball).
tarball=$(ls "$(dirname "$images")"/debian-bookworm-minbase-v*.tar | head -1)
want=$(tar -xOf "$tarball" ./var/lib/dpkg/status | grep -c '^Status: install ok installed')
expect "every installed package listed ($n = $want)" [ "$n" = "$want" ]

# ---- Debian: gkfish -i --ro (-i alone is read-write, as in guestfish) ----
sum=$(sha256sum <"$images/debian.img")
run_ "$GKFISH" --ro -a "$images/debian.img" -i -- cat /etc/hostname : mountpoints : \
  cat /boot/marker : cat /home/user/hello : touch /x
# cat prints the file and a newline, as guestfish does (tests/compat).
expect "gkfish -i: cat /etc/hostname, the fstab mounts" [ "$out" = "gk-debian

/dev/debvg/root: /
/dev/sda1: /boot
/dev/sda3: /home
boot partition

hello from the debian test image" ]
expect "gkfish -i: a write fails (read-only)" [ "$rc" = 1 ]
expect "gkfish -i: the error says why" has "$err" "touch: /x: Read-only file system"
expect "gkfish -i: no banner in a script" [ "$(printf '%s' "$out" | grep -c 'Operating system')" = 0 ]
expect "debian.img byte-identical after -i" [ "$(sha256sum <"$images/debian.img")" = "$sum" ]

# ---- synthetic layouts: gkinspector --json, three disks ------------------
sum=$(cat "$images/fedora.img" "$images/ubuntu.img" "$images/windows.img" | sha256sum)
run_ "$GKINSPECTOR" -a "$images/fedora.img" -a "$images/ubuntu.img" -a "$images/windows.img" --json
expect "gkinspector fedora+ubuntu+windows: exit 0" [ "$rc" = 0 ]
# The synthetic Windows' SOFTWARE is not a hive: its applications are
# left out with a warning naming it, the rest of the report stands.
expect "gkinspector: an unreadable hive loses only the applications" \
  has "$err" "/dev/sdc1: applications not listed: inspect-list-applications2: /WINDOWS/System32/config/SOFTWARE"
jq_is "three roots" '[.operatingsystems[].root] | join(",")' "/dev/sda1,/dev/sdb1,/dev/sdc1"
f='.operatingsystems[0]' u='.operatingsystems[1]' w='.operatingsystems[2]'
jq_is "fedora: distro, version, tools" "$f | [.distro, .major_version, .package_format, .package_management] | join(\" \")" "fedora 39 rpm dnf"
jq_is "fedora: product name" "$f.product_name" "Fedora Linux 39 (Server Edition)"
jq_is "fedora: arch from /usr/bin/ls" "$f.arch" x86_64
jq_is "fedora: hostname" "$f.hostname" gk-fedora
jq_is "fedora: LABEL= root, missing LV left out" "[$f.mountpoints[].mountpoint] | join(\",\")" "/"
jq_is "ubuntu: distro and version" "$u | [.distro, .major_version, .minor_version] | join(\" \")" "ubuntu 22 4"
jq_is "ubuntu: PARTUUID= root, by-uuid /srv" "[$u.mountpoints[] | .mountpoint + \"=\" + .device] | join(\",\")" "/=/dev/sdb1,/srv=/dev/sdb2"
jq_is "ubuntu: swap by UUID= among the filesystems" "$u.filesystems | join(\",\")" "/dev/sdb1,/dev/sdb2,/dev/sdb3"
jq_is "ubuntu: applications" "[$u.applications[] | .name + \" \" + .version + \" \" + .release] | join(\",\")" "base-files 12ubuntu4 ,libc6 2.35 0ubuntu3.4"
jq_is "windows: type and arch (PE header)" "$w | [.type, .distro, .arch] | join(\" \")" "windows windows x86_64"
expect "images unchanged by gkinspector" \
  [ "$(cat "$images/fedora.img" "$images/ubuntu.img" "$images/windows.img" | sha256sum)" = "$sum" ]

# ---- hostile guest files: bounded, escaped, never a crash ----------------
run_ "$GKINSPECTOR" -a "$images/hostile.img" --json
expect "gkinspector on hostile files: exit 0" [ "$rc" = 0 ]
if printf '%s' "$out" | jq -e . >/dev/null 2>&1; then ok "hostile: JSON parses"; else nok "hostile: JSON does not parse: $out"; fi
h='.operatingsystems[0]'
jq_is "hostile: root on the whole disk" "$h.root" /dev/sda
jq_is "hostile: product name unquoted, control characters dropped, bad UTF-8 as U+FFFD" \
  "$h.product_name" "$(printf 'Evil "quoted" back\\slash \357\277\275\357\277\275 tabhere [31mred')"
jq_is "hostile: UTF-8 host name kept, first line of a 1 MiB file" "$h.hostname" "$(printf 'h\303\264te-\303\251')"
jq_is "hostile: junk fstab gives only /" "[$h.mountpoints[].mountpoint] | join(\",\")" "/"
jq_is "hostile: the package after a 400 KB line" "[$h.applications[].name] | join(\",\")" "ok-pkg"
run_ "$GKINSPECTOR" -a "$images/hostile.img" --no-applications
expect "hostile, text: bytes escaped" has "$out" '^  product name: Evil "quoted" back\\\\slash \\xff\\xfe tabhere \[31mred$'

# ---- Windows on NTFS through ntfs-3g: gkfish -i ------------------------
sum=$(sha256sum <"$images/windows.img")
run_ "$GKFISH" --ro -a "$images/windows.img" -i -- ls /WINDOWS/system32 : inspect-os : touch /x
expect "gkfish -i on NTFS: the guest is mounted; inspect-os reads it there" [ "$out" = "config
ntoskrnl.exe
/dev/sda1" ]
expect "gkfish -i on NTFS: read-only" has "$err" "touch: /x: Read-only file system"
expect "windows.img byte-identical after -i" [ "$(sha256sum <"$images/windows.img")" = "$sum" ]

# ---- gkinspector text; -i with several roots ---------------------------
run_ "$GKINSPECTOR" -a "$images/ubuntu.img" --no-applications
expect "gkinspector text: exit 0" [ "$rc" = 0 ]
expect "gkinspector text: fields" has "$out" "^  distro: ubuntu"
expect "gkinspector text: mountpoints" has "$out" "^    /srv /dev/sda2"
expect "gkinspector --no-applications" [ "$(printf '%s' "$out" | grep -c applications)" = 0 ]

run_ "$GKFISH" --ro -a "$images/fedora.img" -a "$images/ubuntu.img" -i -- mounts
expect "gkfish -i with two roots fails" [ "$rc" = 1 ]
expect "gkfish -i lists the roots" has "$err" "2 operating systems found (/dev/sda1, /dev/sdb1)"

# ---- --rw with -i writes ------------------------------------------------
cp "$images/fedora.img" "$d/fedora.img"
run_ "$GKFISH" -a "$d/fedora.img" -i --rw -- touch /written : exists /written
expect "gkfish -i --rw writes" [ "$rc" = 0 -a "$out" = true ]

# ---- LVM: logical volumes as candidates, /dev/VG/LV and /dev/mapper names ---
# inspect-os activates the volume groups itself (lazily: only because a
# PV is there); LVs are named /dev/VG/LV whatever name the fstab uses.
sum=$(sha256sum <"$images/lvm.img")
run_ "$GKFISH" --ro -a "$images/lvm.img" -- inspect-os : \
  inspect-get-mountpoints /dev/gkvg/root : inspect-get-hostname /dev/mapper/gkvg-root
expect "LVM root found, fstab /dev/gkvg/root and /dev/mapper/gkvg-home resolved" [ "$out" = "/dev/gkvg/root
/: /dev/gkvg/root
/home: /dev/gkvg/home
gk-lvm" ]
expect "lvm.img unchanged" [ "$(sha256sum <"$images/lvm.img")" = "$sum" ]

# ---- a dirty journal is not replayed, even on a writable drive -----------
sum=$(sha256sum <"$images/dirty.img")
run_ "$GKFISH" -a "$images/dirty.img" -- inspect-os : inspect-get-hostname /dev/sda1
expect "dirty journal: inspected" [ "$rc" = 0 -a "$out" = "/dev/sda1
gk-dirty" ]
expect "dirty journal: image byte-identical (no replay) on a read-write drive" \
  [ "$(sha256sum <"$images/dirty.img")" = "$sum" ]

# ---- bad images ----------------------------------------------------------
sum=$(cat "$images/corrupt.img" "$images/pastend.img" | sha256sum)
run_ "$GKFISH" --ro -a "$images/corrupt.img" -a "$images/pastend.img" <<'GK'
inspect-os
echo roots-done
-mount-ro /dev/sda1 /
-mount-ro /dev/sdb1 /
list-partitions
GK
expect "inspect-os skips the corrupt filesystem" [ "$(printf '%s' "$out" | head -1)" = roots-done ]
expect "mounting the corrupt filesystem names the device" has "$err" "mount-ro: /dev/sda1: cannot mount ext4"
expect "partition past the end: an error naming it" has "$err" "mount-ro: /dev/sdb1: "
expect "the script ran to its end" has "$out" "/dev/sdb1"
expect "bad images unchanged" [ "$(cat "$images/corrupt.img" "$images/pastend.img" | sha256sum)" = "$sum" ]

run_ "$GKINSPECTOR" -a "$images/corrupt.img"
expect "gkinspector on a corrupt image: exit 1" [ "$rc" = 1 ]
expect "gkinspector: no operating system found" has "$err" "no operating system found on .*corrupt.img"

run_ "$GKFISH" --ro -a "$images/truncated.qcow2" -i -- mounts
expect "gkfish -i on a truncated qcow2 fails (no hang)" [ "$rc" = 1 ]
expect "the error names the image" has "$err" "truncated.qcow2"

echo "# $(( $(date +%s) - start )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
