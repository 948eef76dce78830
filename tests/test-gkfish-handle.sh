#!/bin/sh
# The handle's life in gkfish, as guestfish scripts and libguestfs's own
# tests use it: add-drive-scratch (scratch) drives that are blank, usable
# and leave no host file even when gkfish is killed; kill-subprocess and
# launching again on the same handle (drives kept, -m not mounted again);
# reopen (a new handle: drives and settings dropped); launching again
# after the appliance died.  Four appliance sessions (some launch two or
# three times; by restore).
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

d=$(mktemp -d /tmp/test-gkfish-handle.XXXXXX)
gkpid=
cleanup () {
  [ -z "$gkpid" ] || kill -9 "$gkpid" 2>/dev/null
  rm -rf "$d"
}
trap cleanup EXIT
mkdir "$d/tmp"
export TMPDIR="$d/tmp"


# ---- no appliance ------------------------------------------------------
fish_expect "scratch 0 is refused" 1 "add-drive-scratch: invalid size: 0" -- scratch 0
fish_expect "scratch -1 is refused" 1 "add-drive-scratch: invalid size: -1" -- add-drive-scratch -1
fish_expect "scratch label: bad label is refused" 1 "label .f1.: only ASCII letters" -- scratch 1M label:f1
fish_expect "scratch blocksize:4096 is refused" 1 "only 512-byte sectors" -- scratch 1M blocksize:4096
fish_expect "kill-subprocess before launch is no error" 0 "" -- kill-subprocess : scratch 1M name:x blocksize:512
[ -z "$out" ] && ok "kill-subprocess before launch prints nothing" || nok "printed [$out]"
fish_expect "reopen before launch" 0 "" -- set-memsize 1024 : reopen : get-memsize
[ "$out" = 512 ] && ok "reopen: settings back to defaults" || nok "get-memsize after reopen: [$out]"

# ---- one session: scratch, kill-subprocess, launch again, reopen --------
img=$d/disk.img
truncate -s 64M "$img"
mke2fs -q -F -t ext4 "$img" || nok "mke2fs $img"
cat > "$d/s.gf" <<EOS
scratch 10M
add-drive-scratch 1000
add-drive $img
run
get-pid
blockdev-getsize64 /dev/sda
is-zero-device /dev/sda
mkfs ext4 /dev/sda
mount /dev/sdc /
mkdir /s
mount /dev/sda /s
write /s/f scratch-data
write /top on-disk
sync
!ls -A "$TMPDIR"; echo tmpdir-listed
kill-subprocess
echo killed
-sleep 1
scratch 1M
run
mounts
get-pid
mount /dev/sda /
cat /f
set-timeout 77
reopen
get-timeout
-list-devices
add-drive-ro $img
run
list-devices
mount-ro /dev/sda /
cat /top
EOS
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -f "$d/s.gf" 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && ok "session ran" || nok "session: exit status $rc: $(cat "$d/err")"
line () { printf '%s\n' "$out" | sed -n "$1p"; }
pid1=$(line 1) pid2=$(line 6)
[ "$(line 2)" = 10485760 ] && ok "scratch 10M is 10 MiB" || nok "size [$(line 2)]"
[ "$(line 3)" = true ] && ok "a scratch drive is blank" || nok "is-zero-device [$(line 3)]"
[ "$(line 4)" = tmpdir-listed ] && ok "scratch drives have no name in \$TMPDIR" \
  || nok "\$TMPDIR holds [$(line 4)]"
[ "$(line 5)" = killed ] && ok "kill-subprocess prints nothing" || nok "line 5 [$(line 5)]"
[ "$(grep -c "call launch (run) before" "$d/err")" = 2 ] \
  && ok "after kill-subprocess and after reopen, a call needs run first (as guestfish)" \
  || nok "stderr [$(cat "$d/err")]"
case $pid1$pid2 in *[!0-9]*|"") nok "get-pid, or something mounted after relaunch: [$pid1] [$pid2]" ;;
  *) [ "$pid1" != "$pid2" ] && ok "launch after kill-subprocess: a new backend, nothing mounted" \
       || nok "same backend pid $pid1" ;; esac
kill -0 "$pid1" 2>/dev/null && nok "backend $pid1 still runs" || ok "kill-subprocess ended the backend"
[ "$(line 7)" = scratch-data ] && ok "scratch data survives kill-subprocess (same drives)" \
  || nok "after relaunch: [$(line 7)]"
[ "$(line 8)" = "${GUESTKIT_TIMEOUT:-0}" ] && ok "reopen: settings back to defaults" \
  || nok "get-timeout after reopen: [$(line 8)]"
[ "$(line 9)$(line 10)$(line 11)" = /dev/sdaon-disk ] && ok "after reopen: the old drives are gone; add, launch, use" \
  || nok "after reopen: [$(line 9) $(line 10) $(line 11)]"

# -m mounts at the first launch only (as guestfish: a relaunch after
# kill-subprocess mounts nothing).
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -a "$img" -m /dev/sda -- mounts : kill-subprocess : run : mounts : \
  echo end 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && [ "$out" = "/dev/sda
end" ] && ok "-m is not mounted again after kill-subprocess and run" \
  || nok "-m and relaunch: exit status $rc, output [$out]: $(cat "$d/err")"

# The appliance dies (killed from outside): as in libguestfs's
# test-qemudie-synch, the next call fails, then drives may be added and
# the handle launched again.
# shellcheck disable=SC2016
printf '%s\n' 'scratch 10M' run "pid | cat > $d/qpid" "! kill -9 \$(cat $d/qpid); sleep 1" \
  '-sleep 1' 'scratch 10M' run ping-daemon list-devices > "$d/die.gf"
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -f "$d/die.gf" 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && [ "$out" = "/dev/sda
/dev/sdb" ] && ok "after the appliance died: add a drive, launch again" \
  || nok "after death: exit status $rc, output [$out]: $(cat "$d/err")"
grep -q 'die.gf:5: the appliance died while' "$d/err" && ok "the call after the death says the appliance died" \
  || nok "stderr after death: [$(cat "$d/err")]"

# alive PID...: one of them still runs.
alive () { for p; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

# ---- gkfish killed: no scratch file left, backend gone -----------------
mkfifo "$d/fifo"
# A script on stdin that stops (reading the FIFO) once launched.
# shellcheck disable=SC2086
{ printf '%s\n' 'scratch 64M' run "!touch $d/ready"; cat "$d/fifo"; } |
  "$GKFISH" $backend > /dev/null 2>"$d/err" &
gkpid=$!
i=0
while [ ! -e "$d/ready" ] && [ $i -lt 600 ] && kill -0 "$gkpid" 2>/dev/null; do
  sleep 0.5; i=$((i + 1))
done
if [ -e "$d/ready" ]; then
  held=0
  for f in /proc/"$gkpid"/fd/*; do
    case $(readlink "$f") in "$TMPDIR"/*" (deleted)") held=$((held + 1)) ;; esac
  done
  [ "$held" -ge 1 ] && ok "the scratch file is open, with no name" \
    || nok "no unnamed file open in $TMPDIR by gkfish $gkpid"
  [ -z "$(ls -A "$TMPDIR")" ] && ok "nothing in \$TMPDIR while it runs" || nok "\$TMPDIR: $(ls -A "$TMPDIR")"
  kids=$(pgrep -P "$gkpid")
  kill -9 "$gkpid"
  gkpid=
  i=0
  # shellcheck disable=SC2086
  while alive $kids && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  # shellcheck disable=SC2086
  if [ -z "$kids" ]; then nok "no backend process under gkfish"
  elif alive $kids; then nok "the backend ($kids) outlived gkfish"
  else ok "the backend died with gkfish"; fi
  [ -z "$(ls -A "$TMPDIR")" ] && ok "nothing left in \$TMPDIR after SIGKILL" || nok "left: $(ls -A "$TMPDIR")"
else
  nok "the session did not get ready: $(cat "$d/err")"
fi
# End the feeding cat (a read-write open never blocks on a FIFO).
exec 3<>"$d/fifo"
exec 3>&-

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
