#!/bin/sh
# btrfs subvolumes, snapshots and resizing with gkfish (the table tests'
# disks are below mkfs.btrfs's minimum).  One appliance, one sparse
# 512 MiB disk.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

d=$(mktemp -d /tmp/test-btrfs.XXXXXX)
trap 'rm -rf "$d"' EXIT
truncate -s 512M "$d/disk.img"

# shellcheck disable=SC2086
"$GKFISH" $backend -a "$d/disk.img" >"$d/out" 2>"$d/err" <<'SCRIPT'
available btrfs
mkfs btrfs /dev/sda
mount /dev/sda /
btrfs-subvolume-create /sub1
write /sub1/f in-sub1
mkdir /dir
btrfs-subvolume-create /dir/sub2
btrfs-subvolume-snapshot /sub1 /snap ro:true
btrfs-subvolume-snapshot-opts /sub1 /snap2
echo list
btrfs-subvolume-list /
echo files
cat /snap/f
write /snap2/g writable
cat /snap2/g
-write /snap/g nope
-btrfs-subvolume-create /sub1
-btrfs-subvolume-snapshot /nope /x
echo shrink
btrfs-filesystem-resize / size:300M
statvfs /
btrfs-filesystem-resize /
statvfs /
SCRIPT
rc=$?
if grep -q 'btrfs: group not available' "$d/err"; then
  echo "SKIP: btrfs is not in the appliance: $(cat "$d/err")"; exit 77
fi
[ "$rc" = 0 ] && ok "btrfs script ran" || nok "btrfs script: exit status $rc: $(cat "$d/err")"
list=$(sed -n '/^list$/,/^files$/p' "$d/out")
want='list
[0] = {
  btrfssubvolume_id: 256
  btrfssubvolume_top_level_id: 5
  btrfssubvolume_path: sub1
}
[1] = {
  btrfssubvolume_id: 257
  btrfssubvolume_top_level_id: 5
  btrfssubvolume_path: dir/sub2
}
[2] = {
  btrfssubvolume_id: 258
  btrfssubvolume_top_level_id: 5
  btrfssubvolume_path: snap
}
[3] = {
  btrfssubvolume_id: 259
  btrfssubvolume_top_level_id: 5
  btrfssubvolume_path: snap2
}
files'
[ "$list" = "$want" ] && ok "btrfs-subvolume-list: subvolumes and snapshots, guestfish's fields" \
  || nok "btrfs-subvolume-list: [$list]"
files=$(sed -n '/^files$/,/^shrink$/p' "$d/out")
[ "$files" = "files
in-sub1
writable
shrink" ] && ok "snapshots hold the source's files; a writable one takes writes" \
  || nok "snapshot files: [$files]"
grep -q 'write: /snap/g: Read-only file system' "$d/err" && ok "a read-only snapshot refuses writes" \
  || nok "write to the ro snapshot: [$(cat "$d/err")]"
grep -q 'btrfs-subvolume-create: /sub1: File exists' "$d/err" && ok "an existing dest is refused" \
  || nok "existing dest: [$(cat "$d/err")]"
grep -q 'btrfs-subvolume-snapshot: /nope: No such file or directory' "$d/err" \
  && ok "a missing source is refused" || nok "missing source: [$(cat "$d/err")]"
# statvfs blocks * frsize: the size btrfs reports, before and after.
sizes=$(sed -n '/^shrink$/,$p' "$d/out" | awk '/^frsize:/ { f = $2 } /^blocks:/ { b = $2 }
  /^namemax:/ { print b * f / 1048576 }')
small=$(echo "$sizes" | sed -n 1p | cut -d. -f1) big=$(echo "$sizes" | sed -n 2p | cut -d. -f1)
if [ -n "$small" ] && [ -n "$big" ] && [ "$small" -le 300 ] && [ "$big" -gt 400 ]; then
  ok "btrfs-filesystem-resize: shrunk to ${small} MiB, grown back to ${big} MiB"
else nok "resize: sizes [$sizes]"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
