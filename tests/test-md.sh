#!/bin/sh
# md RAID arrays of the added disks are there without md-create, as if
# assembled at launch (issue 15; guestfish assembles them at boot): an
# array made in one session is seen by the next through list-md-devices,
# LVM's reports (a VG on the array) and list-filesystems, its filesystem
# mounts; a --ro session leaves both images' bytes unchanged (md5).
# Four appliance sessions.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

d=$(mktemp -d /tmp/test-md.XXXXXX)
trap 'rm -rf "$d"' EXIT
export TMPDIR="$d"
truncate -s 64M "$d/a.img" "$d/b.img"
drives="-a $d/a.img -a $d/b.img"

# session FILE: run gkfish on both images with script FILE, extra options before.
session () {
  f=$1; shift
  # shellcheck disable=SC2086
  out=$("$GKFISH" $backend "$@" $drives -f "$f" 2>"$d/err"); rc=$?
}

# ---- 1: the array, a VG on it, an LV with a file ---------------------
cat > "$d/1.gf" <<'EOS'
run
md-create r1 "/dev/sda /dev/sdb"
pvcreate /dev/md/r1
vgcreate vgmd /dev/md/r1
lvcreate lv vgmd 16
mkfs ext4 /dev/vgmd/lv
mount /dev/vgmd/lv /
write /f on-the-array
cat /f
EOS
session "$d/1.gf"
[ "$rc" = 0 ] && [ "$out" = on-the-array ] && ok "session 1: md-create, LVM on it, a file" \
  || nok "session 1: status $rc [$out]: $(cat "$d/err")"

# ---- 2: list-md-devices first thing ------------------------------------
cat > "$d/2.gf" <<'EOS'
run
list-md-devices
md-detail /dev/md/r1
EOS
session "$d/2.gf"
[ "$rc" = 0 ] && printf '%s\n' "$out" | head -1 | grep -qx '/dev/md[0-9]*' \
  && ok "session 2: list-md-devices names the array at once" \
  || nok "session 2: status $rc [$out]: $(cat "$d/err")"
printf '%s\n' "$out" | grep -q "^level: raid1" && ok "md-detail: raid1" || nok "md-detail: [$out]"
printf '%s\n' "$out" | grep -q "^name: .*r1" && ok "md-detail: its name r1" || nok "md-detail name: [$out]"

# ---- 3: lvs first thing (the VG is on the array), then the file ---------
cat > "$d/3.gf" <<'EOS'
run
lvs
mount /dev/vgmd/lv /
cat /f
EOS
session "$d/3.gf"
[ "$rc" = 0 ] && [ "$out" = "/dev/vgmd/lv
on-the-array" ] && ok "session 3: lvs sees the LV on the array; its file" \
  || nok "session 3: status $rc [$out]: $(cat "$d/err")"

# ---- 4: read-only: list-filesystems, the file, the images unchanged --------
sa=$(md5sum < "$d/a.img"); sb=$(md5sum < "$d/b.img")
cat > "$d/4.gf" <<'EOS'
run
list-filesystems
mount /dev/vgmd/lv /
write /g in-the-overlay
cat /f
EOS
session "$d/4.gf" --ro
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx "/dev/vgmd/lv: ext4" \
  && printf '%s\n' "$out" | tail -1 | grep -qx on-the-array \
  && ok "session 4 (--ro): list-filesystems shows the LV on the array; its file" \
  || nok "session 4: status $rc [$out]: $(cat "$d/err")"
[ "$(md5sum < "$d/a.img")" = "$sa" ] && [ "$(md5sum < "$d/b.img")" = "$sb" ] \
  && ok "--ro: both members' bytes unchanged (md5)" || nok "--ro changed a member image"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
