#!/bin/sh
# LVM across sessions, with gkfish: a layout made in one session is found
# by the next (lazy activation at the first /dev/VG/LV name, or at
# list-filesystems), activation never writes to the image, a read-only
# drive is never changed, and a PV image passing through the staging disk
# (upload) is never seen by lvm.  Five appliances.
# GK_TEST_BACKEND=uml runs the same on UML.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

d=$(mktemp -d /tmp/test-lvm.XXXXXX)
trap 'rm -rf "$d"' EXIT

# gk NAME EXPECTED-STDOUT GKFISH-ARGS...: run gkfish, expect success and
# exactly that output.
gk () {
  name=$1 want=$2
  shift 2
  # shellcheck disable=SC2086
  out=$("$GKFISH" $backend "$@" 2>"$d/err"); rc=$?
  if [ "$rc" != 0 ]; then nok "$name: exit status $rc: $(cat "$d/err")"
  elif [ "$out" != "$want" ]; then nok "$name: output [$out], expected [$want]"
  else ok "$name"; fi
}
sum () { sha256sum "$1" | cut -d' ' -f1; }

img=$d/disk.img
truncate -s 128M "$img"

# 1. Make a layout: a partition, a PV, a VG with two LVs, a file.
gk "create the layout" "/dev/vg0/data
/dev/vg0/root" -a "$img" -- part-disk /dev/sda mbr : pvcreate /dev/sda1 : \
  vgcreate vg0 /dev/sda1 : lvcreate root vg0 32 : lvcreate data vg0 16 : \
  mkfs ext4 /dev/vg0/root : mount /dev/vg0/root / : write /hello world : \
  umount-all : lvs

# 2. A new session finds it: the first /dev/VG/LV name activates the VGs;
# nothing LVM ran before (no lvs first).  Activation wrote nothing.
before=$(sum "$img")
gk "new session: mount an LV at once" "world
/dev/vg0/root" -a "$img" -- mount-ro /dev/vg0/root / : cat /hello : mounts
gk "new session: list-filesystems shows LVs, not the PV" "/dev/vg0/data: unknown
/dev/vg0/root: ext4" -a "$img" -- list-filesystems
gk "new session: pvs, vgs, deactivate, activate" "/dev/sda1
vg0" -a "$img" -- pvs : vgs : vg-activate-all false : vg-activate-all true : lvm-scan true
if [ "$(sum "$img")" = "$before" ]; then ok "activating and listing did not change the image"
else nok "activating and listing changed the image"; fi

# 3. Read-only: even writes through LVM land in the overlay, never on the
# image.
before=$(sum "$img")
gk "read-only: activate, mount, change things" "world" --ro -a "$img" -- \
  vg-activate-all true : mount-ro /dev/vg0/root / : cat /hello : umount-all : \
  lvcreate new vg0 8 : lvremove /dev/vg0/data : vgrename vg0 vg9
if [ "$(sum "$img")" = "$before" ]; then ok "the read-only image is unchanged"
else nok "the read-only image changed"; fi
gk "after the read-only session, the layout is as before" "/dev/vg0/data
/dev/vg0/root" --ro -a "$img" -- lvs

# 4. The staging disk carries upload data raw; a PV image uploaded into a
# file must not appear as a PV (lvm only sees the user's drives).
truncate -s 8M "$d/pv.img"
gk "a PV image" "" -a "$d/pv.img" -- pvcreate /dev/sda : vgcreate vgstage /dev/sda
gk "uploading a PV image: lvm does not see it" "vg0" -a "$img" -- \
  mount /dev/vg0/root / : upload "$d/pv.img" /pv.img : vgs

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
