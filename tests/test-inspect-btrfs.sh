#!/bin/sh
# btrfs subvolume roots and the Linux details (tests/images/
# make-btrfs-images.sh, cached): Fedora's layout (subvolumes root and
# home, /boot on its own partition) found as btrfsvol:/dev/sda2/root with
# fstab's subvol= mount points, its host name, machine id, kernel, boot
# loader and rpm packages; gkfish -i mounting it; mount and vfs-type
# taking btrfsvol: names (and refusing malformed ones); a hostile btrfs
# (2000 subvolumes, a name that forges a "btrfs subvolume list" line, a
# ',' in a name, /etc and /boot links climbing out, fstab subvol=../x)
# giving one root and bounded answers.  Each image must stay
# byte-identical.  One appliance per run, each under a timeout.
set -u
. "$(dirname "$0")/gkfish-env.sh"
. "$top/tests/inspect-check.sh"
for tool in rpmbuild db5.3_load jq; do
  command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77; }
done
# The appliance takes btrfs from the host (appliance/files.list: optional).
command -v mkfs.btrfs >/dev/null 2>&1 || [ -x /usr/sbin/mkfs.btrfs ] || [ -x /sbin/mkfs.btrfs ] ||
  { echo "SKIP: btrfs-progs is not installed (scripts/install-deps.sh)"; exit 77; }

start=$(date +%s)
images=$(GKFISH=$GKFISH "$top/tests/images/make-btrfs-images.sh") || {
  nok "building the btrfs test images"; echo "$pass passed, $fail failed"; exit 1; }
echo "# images in $images ($(( $(date +%s) - start )) s)"
fed=$images/fedora-btrfs.img hos=$images/btrfs-hostile.raw
sums () { cat "$fed" "$hos" | sha256sum; }
sum=$(sums)
MID=5a1f0e3c9b7d4e2f8a6c1b3d5e7f9a0b KVER=6.5.6-300.fc39.x86_64

# ---- Fedora: gkinspector --json -------------------------------------------
run_ "$GKINSPECTOR" -a "$fed" --json
expect "gkinspector fedora-btrfs: exit 0" [ "$rc" = 0 ]
o='.operatingsystems[0]'
jq_is "one root, named as libguestfs names a subvolume" '[.operatingsystems[].root] | join(",")' \
  "btrfsvol:/dev/sda2/root"
jq_is "distro, version, package format" "$o | [.distro, .major_version, .package_format] | map(tostring) | join(\" \")" \
  "fedora 39 rpm"
jq_is "mount points from fstab's subvol= (and /boot by UUID=)" \
  "[$o.mountpoints[] | .mountpoint + \"=\" + .device] | join(\",\")" \
  "/=btrfsvol:/dev/sda2/root,/boot=/dev/sda1,/home=btrfsvol:/dev/sda2/home"
jq_is "host name" "$o.hostname" gk-fedora-btrfs
jq_is "machine id" "$o.machine_id" "$MID"
jq_is "kernels: from /boot (its own partition) and /lib/modules" "$o.kernels | join(\",\")" "$KVER"
jq_is "boot loader" "$o.bootloader" grub2
jq_is "the rpm database in the subvolume" "[$o.applications[].name] | join(\",\")" "gk-data,gk-hello,gk-tools"

run_ "$GKINSPECTOR" -a "$fed"
expect "gkinspector text: the new fields" [ "$(printf '%s\n' "$out" | grep -e '^root:' -e 'machine id:' \
  -e 'boot loader:' -e 'kernels:' | tr -s ' ')" = "root: btrfsvol:/dev/sda2/root
 machine id: $MID
 boot loader: grub2
 kernels:" ]
expect "gkinspector text: the kernel under kernels:" has "$out" "^    $KVER\$"

# ---- gkfish -i mounts the subvolumes; mount takes btrfsvol: names --------
run_ "$GKFISH" -i --ro -a "$fed" -- cat /etc/hostname : cat /home/user/hello : is-file /boot/vmlinuz-$KVER
nonblank () { printf '%s\n' "$out" | grep -v '^$'; }
expect "gkfish -i: /, /home (subvolume home) and /boot mounted" [ "$(nonblank)" = "gk-fedora-btrfs
hello from the btrfs home
true" ]
run_ "$GKFISH" --ro -a "$fed" <<'GK'
vfs-type btrfsvol:/dev/sda2/root
vfs-label btrfsvol:/dev/sda2/home
mount-ro btrfsvol:/dev/sda2/home /
cat /user/hello
umount /
-mount-ro btrfsvol:/dev/sda2 /
-mount-ro btrfsvol:/dev/sda2/a,b /
-mount-ro btrfsvol:/dev/sda2/../root /
-mount-ro btrfsvol:/dev/sda2/nosuch /
-mount-ro btrfsvol:/dev/sdz1/root /
-mount-ro btrfsvol:/dev/sda1/root /
echo end
GK
expect "vfs-type, vfs-label, mount-ro of a subvolume" [ "$(nonblank)" = "btrfs
fedora
hello from the btrfs home
end" ]
expect "no subvolume name: refused" has "$err" "btrfsvol:/dev/sda2: not a btrfs subvolume name"
expect "a ',' (more mount options): refused" has "$err" "btrfsvol:/dev/sda2/a,b: not a btrfs subvolume name"
expect "a '..' component: refused" has "$err" "btrfsvol:/dev/sda2/../root: not a btrfs subvolume name"
expect "a missing subvolume: the mount's error, named" has "$err" "btrfsvol:/dev/sda2/nosuch: cannot mount btrfs on /"
expect "a missing disk" has "$err" "/dev/sdz1: no such device"
expect "a subvolume of ext4" has "$err" "btrfsvol:/dev/sda1/root: holds ext4, not btrfs (no subvolumes)"
expect "six errors" [ "$(printf '%s\n' "$err" | grep -c 'mount-ro:')" = 6 ]

# ---- hostile: bounded, one root, links confined ---------------------------
t0=$(date +%s)
run_ "$GKINSPECTOR" -a "$hos" --json
echo "# gkinspector on 2000 subvolumes: $(( $(date +%s) - t0 )) s"
expect "gkinspector btrfs-hostile: exit 0 within the timeout" [ "$rc" = 0 ]
o='.operatingsystems[0]'
jq_is "one root (the forged list line repeats it; /etc of linketc climbs nowhere)" \
  '[.operatingsystems[].root] | join(",")' "btrfsvol:/dev/sda/root"
jq_is "host name" "$o.hostname" gk-btrfs-hostile
jq_is "fstab: subvol=../x left out, subvol=a\\054b is subvol=a, a missing one kept" \
  "[$o.mountpoints[] | .mountpoint + \"=\" + .device] | join(\",\")" \
  "/=btrfsvol:/dev/sda/root,/b=btrfsvol:/dev/sda/a,/c=btrfsvol:/dev/sda/nosuch"
jq_is "kernels: /boot climbs no higher than the root; a vmlinuz link is not followed" \
  "$o.kernels | join(\",\")" "1.0.0-confined"
jq_is "no machine id, boot loader unknown" "[$o.machine_id // \"none\", $o.bootloader] | join(\" \")" "none unknown"
run_ env GUESTKIT_DEBUG=1 "$GKFISH" --ro -a "$hos" -- inspect-os
expect "the cap is said" has "$err" "subvolumes; only the first 64 looked at"

expect "images byte-identical" [ "$(sums)" = "$sum" ]
echo "# $(( $(date +%s) - start )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
