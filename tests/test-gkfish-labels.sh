#!/bin/sh
# Drive labels (issue 15; guestfish's add-drive label:, the most used
# missing feature in the survey of public scripts): /dev/disk/guestfs/LABEL
# and LABELN name a drive and its partition N in every device argument,
# names coming back stay /dev/sdX, list-disk-labels maps labels to
# devices, and bad or repeated labels are refused with the label and
# why.  One appliance session.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

d=$(mktemp -d /tmp/test-gkfish-labels.XXXXXX)
trap 'rm -rf "$d"' EXIT
export TMPDIR="$d"


truncate -s 64M "$d/a.img" "$d/b.img"

# ---- no appliance ------------------------------------------------------
fish_expect "label with a digit is refused" 1 "label 'a1': only ASCII letters" -- add-drive "$d/a.img" label:a1
fish_expect "label of 21 letters is refused" 1 "label 'abcdefghijklmnopqrstu': must be 1 to 20" -- \
  add "$d/a.img" label:abcdefghijklmnopqrstu
fish_expect "empty label is refused" 1 "label '': must be 1 to 20" -- add "$d/a.img" label:
fish_expect "label used twice is refused" 1 "label 'a' is already the label of drive 1" -- \
  add "$d/a.img" label:a : add-drive "$d/b.img" label:a
fish_expect "scratch label with a slash is refused" 1 "label 'x/y': only ASCII letters" -- scratch 1M label:x/y
fish_expect "list-disk-labels before launch" 0 "" -- add "$d/a.img" label:disk : add-drive "$d/b.img" : \
  scratch 8M label:Sc : list-disk-labels
[ "$out" = "disk: /dev/sda
Sc: /dev/sdc" ] && ok "list-disk-labels: label: device, unlabelled drives left out" \
  || nok "list-disk-labels printed [$out]"

# ---- one session ---------------------------------------------------------
cat > "$d/s.gf" <<EOS
add-drive $d/a.img label:a
add-drive $d/b.img label:bee format:raw
scratch 16M label:sc
run
part-disk /dev/disk/guestfs/bee mbr
mkfs ext4 /dev/disk/guestfs/bee1
mount /dev/disk/guestfs/bee1 /
write /f labelled
cat /f
mounts
list-partitions
blockdev-getsize64 /dev/disk/guestfs/sc
part-init /dev/disk/guestfs/a gpt
part-add /dev/disk/guestfs/a p 2048 4095
part-list /dev/disk/guestfs/a
pvcreate /dev/disk/guestfs/sc
vgcreate vglab /dev/disk/guestfs/sc
pvs
list-disk-labels
-vgcreate vgbad /dev/disk/guestfs/zz
-blockdev-getsize64 /dev/disk/guestfs/nosuch
-blockdev-getsize64 /dev/disk/guestfs/bee1x
echo end
EOS
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -f "$d/s.gf" 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && ok "session exits 0" || nok "session exit status $rc: $(cat "$d/err")"
case $out in *labelled*) ok "write and cat through a labelled partition" ;;
  *) nok "cat /f: [$out]" ;; esac
echo "$out" | grep -qx "/dev/sdb1" && ok "mounts names the partition /dev/sdb1" \
  || nok "mounts: [$out]"
echo "$out" | grep -qx "16777216" && ok "blockdev-getsize64 on the labelled scratch drive" \
  || nok "no 16777216 in [$out]"
echo "$out" | grep -qx "/dev/sdc" && ok "pvcreate and vgcreate (a string list) on a label; pvs says /dev/sdc" \
  || nok "pvs: [$out]"
grep -q "vgcreate: /dev/disk/guestfs/zz: no drive has the label 'zz'" "$d/err" \
  && ok "unknown label in a string list: error names it" || nok "stderr: [$(cat "$d/err")]"
echo "$out" | grep -q "part_start: 1048576" && ok "part-add on a labelled disk" \
  || nok "part-list: [$out]"
printf '%s\n' "$out" | grep -x -A3 "bee: /dev/sdb" >/dev/null \
  && printf '%s\n' "$out" | grep -qx "a: /dev/sda" && printf '%s\n' "$out" | grep -qx "sc: /dev/sdc" \
  && ok "list-disk-labels after launch" || nok "list-disk-labels: [$out]"
grep -q "no drive has the label 'nosuch'" "$d/err" && ok "unknown label: error names it" \
  || nok "stderr: [$(cat "$d/err")]"
grep -q "bee1x: not a drive label name" "$d/err" && ok "malformed label name refused" \
  || nok "stderr: [$(cat "$d/err")]"
echo "$out" | grep -qx end && ok "session ran to its end" || nok "no end: [$out]"
# The file really is on the second image's first partition.
if command -v debugfs >/dev/null 2>&1; then
  off=$((2048 * 512))
  dd if="$d/b.img" of="$d/p1" bs=512 skip=2048 status=none 2>/dev/null
  [ "$(debugfs -R 'cat /f' "$d/p1" 2>/dev/null)" = labelled ] \
    && ok "the file is on b.img's partition 1 (debugfs)" || nok "debugfs did not find /f on b.img (offset $off)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
