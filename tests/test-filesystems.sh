#!/bin/sh
# Filesystems the table tests cannot reach: their 64 MiB scratch disk is
# below mkfs.xfs's 300 MB minimum (and btrfs's 114 MB).  One appliance,
# one sparse 1 GiB disk: xfs and btrfs made with options, relabelled,
# given a new UUID, mounted, written, checked, grown; then a corrupted
# xfs refused with an error naming the device and found by fsck.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
GKFISH=${GKFISH:-$top/fish/gkfish}
export LD_LIBRARY_PATH="${TOP_BUILDDIR:-$top}/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$top/daemon/guestkitd}"
: "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER

d=$(mktemp -d /tmp/test-filesystems.XXXXXX)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }

truncate -s 1G "$d/disk.img"
# Each "expect" line is printed by the shell itself, so the output is the
# sequence of expectations and results, compared line by line below.
"$GKFISH" -a "$d/disk.img" >"$d/out" 2>"$d/err" <<'SCRIPT'
part-init /dev/sda gpt
part-add /dev/sda p 2048 819199
part-add /dev/sda p 1048576 -2048
echo xfs-made
mkfs xfs /dev/sda1 label:XDATA blocksize:4096
vfs-type /dev/sda1
vfs-label /dev/sda1
set-label /dev/sda1 xnew
vfs-label /dev/sda1
set-uuid /dev/sda1 0c5c1b7e-94f3-4a5a-9f2e-1d1c3b6a7e01
vfs-uuid /dev/sda1
mount /dev/sda1 /
write /hello xfs-content
umount /
fsck xfs /dev/sda1
echo xfs-grow
mount /dev/sda1 /
statvfs / | grep '^blocks:'
part-resize /dev/sda 1 1048575
xfs-growfs / datasec:true
statvfs / | grep '^blocks:'
cat /hello
umount-all
echo btrfs-made
mkfs btrfs /dev/sda2 label:BDATA
vfs-type /dev/sda2
vfs-label /dev/sda2
set-label /dev/sda2 bnew
vfs-label /dev/sda2
mount /dev/sda2 /
write /b btrfs-content
umount /
mount-ro /dev/sda2 /
cat /b
umount-all
SCRIPT
rc=$?
expected="xfs-made
xfs
XDATA
xnew
0c5c1b7e-94f3-4a5a-9f2e-1d1c3b6a7e01
0
xfs-grow
*
*
xfs-content
btrfs-made
btrfs
BDATA
bnew
btrfs-content"
if [ $rc -ne 0 ]; then
  nok "xfs/btrfs script: exit status $rc: $(cat "$d/err")"
else
  ok "xfs/btrfs script ran"
fi
# The filesystem grew by the 112 MiB (28672 blocks) added to its partition.
b1=$(sed -n 8p "$d/out" | tr -dc 0-9) b2=$(sed -n 9p "$d/out" | tr -dc 0-9)
if [ -n "$b1" ] && [ -n "$b2" ] && [ "$b2" -ge $((b1 + 28000)) ]; then ok "xfs-growfs: $b1 -> $b2 blocks"
else nok "xfs-growfs: blocks [$b1] -> [$b2]"; fi
# Line by line, "*" matching anything.
i=0
printf '%s\n' "$expected" > "$d/exp"
while IFS= read -r want <&3 && { IFS= read -r got <&4 || got='<missing>'; }; do
  i=$((i + 1))
  if [ "$want" = "*" ] || [ "$want" = "$got" ]; then ok "line $i: $want"
  else nok "line $i: got [$got], expected [$want]"; fi
done 3<"$d/exp" 4<"$d/out"

# A corrupted xfs (superblock magic overwritten) mounts with an error
# naming the device, and fsck reports it.
printf 'JUNKJUNK' | dd of="$d/disk.img" bs=1 seek=1048576 conv=notrunc status=none
"$GKFISH" -a "$d/disk.img" -- mount /dev/sda1 / >"$d/out" 2>"$d/err"
rc=$?
if [ $rc -ne 0 ] && grep -q "/dev/sda1" "$d/err"; then ok "corrupt xfs: mount fails naming /dev/sda1"
else nok "corrupt xfs: exit $rc, stderr [$(cat "$d/err")]"; fi
"$GKFISH" -a "$d/disk.img" -- fsck xfs /dev/sda1 >"$d/out" 2>"$d/err"
if [ "$(cat "$d/out")" = 4 ]; then ok "corrupt xfs: fsck says 4 (damage found, not repaired)"
else nok "corrupt xfs: fsck printed [$(cat "$d/out")], stderr [$(cat "$d/err")]"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
