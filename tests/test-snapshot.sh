#!/bin/sh
# Launch by restore (backends/qemu-snap.c), as users meet it, in a cache
# of its own (GUESTKIT_CACHEDIR under a fresh directory):
#  - three first launches at once, with no saved state: all work, one
#    snapshot is saved, no half-written one is ever used or left;
#  - later launches restore (launch.state_load, no launch.snapshot_build);
#  - two restored appliances draw different random numbers (mkfs UUIDs)
#    and have the host's clock (a file's mtime within 2 s of the host's);
#  - a read-only drive is unchanged after writes; drives keep their order;
#  - a truncated state file, a RAM file of zeros (the restored guest
#    dies), another memory size: each still launches, by rebuilding or
#    booting, and the damaged snapshot is never used again;
#  - set-snapshot false and GUESTKIT_SNAPSHOT=0 boot cold;
#  - SIGKILL of the host program while it saves a snapshot and while it
#    restores one: no qemu, socket or file is left, and the cache stays
#    usable.
# About 12 launches, 3 of them cold boots or template saves.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
for p in mkfs.ext4 qemu-img md5sum; do
  command -v $p >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
done
case "${GK_TEST_BACKEND:-qemu}" in qemu*) ;; *) echo "SKIP: restore is a qemu feature"; exit 77;; esac

d=$(mktemp -d /tmp/test-snapshot.XXXXXX)
export TMPDIR=$d/tmp GUESTKIT_CACHEDIR=$d/cache
mkdir -m 0700 "$TMPDIR" "$GUESTKIT_CACHEDIR"
# KVM known broken on this boot (a machine-wide fact): don't pay 20 s to learn it again.
for c in "${HOME:-/}/.cache" /var/tmp/.guestkit-"$(id -u)"; do
  [ -f "$c/kvm-broken" ] && cp "$c/kvm-broken" "$GUESTKIT_CACHEDIR/" 2>/dev/null
done
unset GUESTKIT_SNAPSHOT
snaps=$GUESTKIT_CACHEDIR/snapshot-qemu
cleanup () {
  for p in $(qemu_pids); do kill -9 "$p" 2>/dev/null; done
  rm -rf "$d"
}
trap cleanup EXIT
# qemu processes of this test (they inherit our cache directory).
qemu_pids () {
  for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}; p=${p%/environ}
    [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$(command -v qemu-system-x86_64 | xargs readlink -f)" ] || continue
    tr '\0' '\n' < "$e" 2>/dev/null | grep -qx "GUESTKIT_CACHEDIR=$GUESTKIT_CACHEDIR" && echo "$p"
  done
}
no_leftovers () {
  sleep 0.5
  q=$(qemu_pids)
  if [ -n "$q" ]; then nok "$1: qemu left running: $q"
  elif [ -n "$(ls -A "$TMPDIR")" ]; then nok "$1: files left in TMPDIR: $(ls -A "$TMPDIR")"
  elif ls -d "$snaps"/tmp.* >/dev/null 2>&1; then nok "$1: half-written snapshot left: $(ls "$snaps")"
  else ok "$1: no qemu, temporary file or half-written snapshot left"; fi
}
nsnaps () { find "$snaps" -mindepth 1 -maxdepth 1 -type d ! -name 'tmp.*' 2>/dev/null | wc -l; }
timings () { grep -o 'name: launch\.[a-z_]*' "$1" | sed 's/name: //' | tr '\n' ' '; }

truncate -s 64M "$d/a.img" "$d/b.img" "$d/c.img"

# 1. Three first launches at once: one saves, the others wait and restore.
for i in 1 2 3; do
  $GKFISH -a "$d/a.img" --ro run : list-devices : get-timings > "$d/first$i.out" 2>&1 &
  eval "pid$i=\$!"
done
st=0
for i in 1 2 3; do eval "wait \$pid$i" || st=$((st + 1)); done
if [ $st = 0 ] && grep -qx /dev/sda "$d/first1.out" && grep -qx /dev/sda "$d/first2.out" \
   && grep -qx /dev/sda "$d/first3.out"; then ok "three first launches at once all work"
else nok "three first launches at once: $st failed: $(cat "$d"/first*.out | grep -v '^ ' | head -5)"; fi
built=$(grep -l 'launch.snapshot_build' "$d"/first*.out | wc -l)
restored=$(grep -l 'launch.state_load' "$d"/first*.out | wc -l)
if [ "$built" = 1 ] && [ "$restored" = 3 ] && [ "$(nsnaps)" = 1 ]; then
  ok "one of them saved the snapshot, all three restored it, one snapshot in the cache"
else nok "saved by $built, restored by $restored, $(nsnaps) snapshots: $(ls "$snaps")"; fi
no_leftovers "after three concurrent first launches"

# 2. A restore, and what it must give: the drives in order, fresh
# randomness and the host's clock, a read-only drive untouched.
mkfs.ext4 -q -F -L orig "$d/c.img"
sum=$(md5sum < "$d/c.img")
cat > "$d/s.gk" <<'EOF'
run
list-devices
blockdev-getsize64 /dev/sda
blockdev-getsize64 /dev/sdb
mkfs ext4 /dev/sda
vfs-uuid /dev/sda
mount /dev/sda /
touch /t
statns /t
debug-sh "echo rand=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
debug-sh "echo now=$(date +%s)"
get-timings
EOF
for i in 1 2; do
  truncate -s 100M "$d/r$i.img"
  echo "before $(date +%s)" > "$d/r$i.host"
  $GKFISH -a "$d/r$i.img" -a "$d/b.img" -f "$d/s.gk" > "$d/r$i.out" 2>&1
  echo "host $(date +%s)" >> "$d/r$i.out"
  echo "after $(date +%s)" >> "$d/r$i.host"
done
t=$(timings "$d/r1.out")
case "$t" in
  *launch.state_load*) case "$t" in *snapshot_build*) nok "restore: saved again: $t";; *) ok "a later launch restores";; esac;;
  *) nok "a later launch did not restore: $t";;
esac
if [ "$(sed -n '1,4p' "$d/r1.out" | tr '\n' ' ')" = "/dev/sda /dev/sdb 104857600 67108864 " ]; then
  ok "restored: the drives in the order added, with their sizes"
else nok "restored drives: $(sed -n '1,4p' "$d/r1.out" | tr '\n' ' ')"; fi
u1=$(sed -n 5p "$d/r1.out"); u2=$(sed -n 5p "$d/r2.out")
if [ -n "$u1" ] && [ -n "$u2" ] && [ "$u1" != "$u2" ]; then
  ok "two restored appliances made different random UUIDs ($u1, $u2)"
else nok "two restored appliances' UUIDs: [$u1] [$u2]"; fi
r1=$(sed -n 's/^rand=//p' "$d/r1.out"); r2=$(sed -n 's/^rand=//p' "$d/r2.out")
if [ ${#r1} = 32 ] && [ ${#r2} = 32 ] && [ "$r1" != "$r2" ]; then
  ok "two restored appliances read different bytes from /dev/urandom"
else nok "/dev/urandom in two restores: [$r1] [$r2]"; fi
for i in 1 2; do
  g=$(sed -n 's/^now=//p' "$d/r$i.out")
  b=$(awk '/^before /{print $2}' "$d/r$i.host"); a=$(awk '/^after /{print $2}' "$d/r$i.host")
  if [ -n "$g" ] && [ "$g" -ge $((b - 1)) ] && [ "$g" -le $((a + 1)) ]; then
    ok "restore $i: the guest clock is within a second of the host's ($b <= $g <= $a)"
  else nok "restore $i: guest clock [$g], host between [$b] and [$a]"; fi
done
for i in 1 2; do
  m=$(grep -m1 'st_mtime_sec:' "$d/r$i.out" | awk '{print $2}')
  h=$(awk '/^host /{print $2}' "$d/r$i.out")
  if [ -n "$m" ] && [ $((h - m)) -le 2 ] && [ $((m - h)) -le 2 ]; then
    ok "restore $i: the guest clock is the host's (mtime $m, host $h)"
  else nok "restore $i: guest clock: mtime [$m], host [$h]"; fi
done
out=$($GKFISH --ro -a "$d/c.img" run : mkfs ext4 /dev/sda : mount /dev/sda / : write /x hello : cat /x : vfs-label /dev/sda 2>&1)
if [ "$out" = "hello
" ] || [ "$(echo "$out" | head -1)" = hello ]; then
  if [ "$(md5sum < "$d/c.img")" = "$sum" ]; then ok "read-only drive: writes seen in the appliance, the image unchanged"
  else nok "read-only drive: the image changed"; fi
else nok "read-only drive: $out"; fi
no_leftovers "after restores"

# 3. Damage: a truncated state file is detected; the launch saves a new one.
dir=$(find "$snaps" -mindepth 1 -maxdepth 1 -type d ! -name 'tmp.*' | head -1)
truncate -s 1000 "$dir/state"
out=$($GKFISH -a "$d/a.img" run : list-devices : get-timings 2>&1)
t=$(echo "$out" | grep -o 'name: launch\.[a-z_]*' | tr '\n' ' ')
case "$t" in
  *snapshot_build*state_load*) ok "a truncated state file: detected, saved again, restored";;
  *) nok "a truncated state file: $(echo "$out" | grep -v '^ ' | head -3) $t";;
esac
# A RAM file of zeros (right size, wrong content): the restored guest
# dies; the launch boots instead and that snapshot is gone.
dir=$(find "$snaps" -mindepth 1 -maxdepth 1 -type d ! -name 'tmp.*' | head -1)
size=$(stat -c %s "$dir/ram")
truncate -s 0 "$dir/ram"; truncate -s "$size" "$dir/ram"
out=$(GUESTKIT_LAUNCH_TIMEOUT=120 $GKFISH -a "$d/a.img" run : list-devices : get-timings 2>&1)
case "$out" in
  */dev/sda*guest.channel*) ok "a damaged RAM file: the restored guest dies, the launch boots instead";;
  *) nok "a damaged RAM file: $(echo "$out" | grep -v '^ ' | head -5)";;
esac
if [ ! -e "$dir" ]; then ok "the damaged snapshot is removed"
else nok "the damaged snapshot is still there: $(ls "$dir")"; fi
out=$($GKFISH -a "$d/a.img" run : get-timings 2>&1 | grep -o 'name: launch\.[a-z_]*' | tr '\n' ' ')
case "$out" in *state_load*) ok "the next launch restores again";; *) nok "the next launch: $out";; esac
# Another memory size: another snapshot, the first one kept.
n0=$(nsnaps)
out=$($GKFISH -a "$d/a.img" set-memsize 600 : run : list-devices : get-timings 2>&1)
if echo "$out" | grep -qx /dev/sda && [ "$(nsnaps)" = $((n0 + 1)) ]; then
  ok "another memory size: a snapshot of its own ($(nsnaps) now)"
else nok "another memory size: $(nsnaps) snapshots (was $n0): $(echo "$out" | head -3)"; fi

# 4. Off: a cold boot.
for how in api env; do
  if [ $how = api ]; then out=$($GKFISH -a "$d/a.img" set-snapshot false : run : get-timings 2>&1)
  else out=$(GUESTKIT_SNAPSHOT=0 $GKFISH -a "$d/a.img" run : get-snapshot : get-timings 2>&1); fi
  case "$out" in
    *state_load*|*snapshot_build*) nok "snapshots off ($how): restored anyway";;
    *guest.channel*) ok "snapshots off ($how): a cold boot";;
    *) nok "snapshots off ($how): $(echo "$out" | head -3)";;
  esac
done
GUESTKIT_DEBUG=1 $GKFISH -a "$d/a.img" run 2> "$d/dbg" >/dev/null
if grep -q '^guestkit: launch: restored snapshot [0-9a-f]*' "$d/dbg"; then
  ok "a debug line says the launch restored, and which snapshot"
else nok "debug line: $(grep 'launch:' "$d/dbg" | head -2)"; fi
no_leftovers "after the damaged snapshots and cold boots"

# 5. SIGKILL of the host program while it saves a template (a new
# configuration: 2 CPUs), and while it restores.
$GKFISH -a "$d/a.img" set-smp 2 : run : list-devices > /dev/null 2>&1 &
k=$!
i=0
while [ $i -lt 600 ] && [ -z "$(qemu_pids)" ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -9 $k; wait $k 2>/dev/null
no_leftovers "SIGKILL while saving a snapshot"
n=$(nsnaps)
out=$($GKFISH -a "$d/a.img" run : list-devices 2>&1)
if echo "$out" | grep -qx /dev/sda; then ok "after that SIGKILL the cache still works ($n snapshots)"
else nok "after that SIGKILL: $out"; fi
for delay in 0.05 0.1 0.2; do
  $GKFISH --ro -a "$d/c.img" -a "$d/b.img" run : list-devices > /dev/null 2>&1 &
  k=$!
  sleep $delay
  kill -9 $k; wait $k 2>/dev/null
done
no_leftovers "SIGKILL while restoring (3 times)"
if [ "$(md5sum < "$d/c.img")" = "$sum" ]; then ok "read-only image unchanged through it all"
else nok "read-only image changed"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
