#!/bin/sh
# gkfish as a user drives it: options, scripts on stdin and -f, commands
# after --, host commands (! | <!), errors and exit codes, -N prepared
# disks, -m, progress bars, remote control, guestfish-style scripts.
# Three appliances: one for -N/-m/progress, one for a bad -m, and one
# --listen session that serves everything else through --remote.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
scripts=${TOP_SRCDIR:-$top}/tests/guestfish-scripts

. "${TOP_SRCDIR:-$top}/tests/gkfish-check.sh"

# ---- no appliance needed ---------------------------------------------

run_ "$GKFISH" --help
check "--help" 0 "*"
case $out in *--listen*--remote*) ok "--help lists --listen and --remote" ;;
  *) nok "--help lacks --listen/--remote" ;; esac
run_ "$GKFISH" --version
check "--version" 0 "*"
run_ "$GKFISH" --bogus
check "unknown option" 1 "" "unrecognized option"

run_ "$GKFISH" -- echo a : echo "b c"
check "commands after --, separated by :" 0 "a
b c"
run_ "$GKFISH" -- mkdri /x
check "unknown command" 1 "" "unknown command 'mkdri' (did you mean 'mkdir'?)"
one_line "unknown command"
run_ "$GKFISH" -- ls /
check "a call with no disk" 1 "" "no disk image"
one_line "a call with no disk"
run_ "$GKFISH" -a "$d/missing.img" -- echo x
check "-a of a missing image" 1 "" "missing.img: No such file or directory"
one_line "-a of a missing image"
run_ "$GKFISH" -f "$d/missing.gf"
check "-f of a missing script" 1 "" "missing.gf: No such file or directory"
one_line "-f of a missing script"
run_ "$GKFISH" -- truncate-size /f lots
check "a bad integer says which argument" 1 "" "size"
case $err in *usage:\ truncate-size*) ok "a bad integer prints the usage" ;;
  *) nok "no usage line: [$err]" ;; esac
run_ "$GKFISH" -- mkdir
check "a missing argument" 1 "" "usage: mkdir"
run_ "$GKFISH" -i
check "-i without a disk" 1 "" "no disk image"
run_ "$GKFISH" -N "$d/x.img=floppy:1M" -- echo x
check "-N of an unknown type" 1 "" "expected disk"
run_ "$GKFISH" -N "$d/x.img=disk:lots" -- echo x
check "-N of a bad size" 1 "" "SIZE"
run_ "$GKFISH" -x -- get-memsize : echo traced
check "-x traces calls" 0 "*" "^gkfish: trace: get_memsize = [0-9]"

printf '%s\n' '# a comment' '' 'echo one   # trailing comment' \
  "echo 'two  words'" 'echo "tab\there"' > "$d/s.gf"
run_ "$GKFISH" -f "$d/s.gf"
check "-f SCRIPT" 0 "one
two  words
tab	here"
run_ "$GKFISH" < "$d/s.gf"
check "script on stdin" 0 "one
two  words
tab	here"

printf '%s\n' 'echo before' 'mkdri /x' 'echo after' > "$d/e.gf"
run_ "$GKFISH" -f "$d/e.gf"
check "a script stops at the first error" 1 "before" "e.gf:2: unknown command"
printf '%s\n' 'echo before' '-mkdri /x' 'echo after' > "$d/e.gf"
run_ "$GKFISH" -f "$d/e.gf"
check "-CMD: an error does not stop the script" 0 "before
after" "unknown command"
printf '%s\n' 'echo "unterminated' 'echo after' > "$d/e.gf"
run_ "$GKFISH" -f "$d/e.gf"
check "an unterminated quote is an error" 1 "" "e.gf:1: unterminated double quote"

printf '%s\n' '!echo host side' 'echo piped | tr a-z A-Z' \
  'echo "a|b" | cat' 'echo x y z | wc -w' '<! printf "echo gen1\necho gen2\n"' \
  'time echo timed' > "$d/h.gf"
run_ "$GKFISH" -f "$d/h.gf"
check "! | <! time" 0 "host side
PIPED
a|b
3
gen1
gen2
timed
elapsed time: 0.00 seconds"
printf '%s\n' '!exit 3' 'echo not reached' > "$d/h.gf"
run_ "$GKFISH" -f "$d/h.gf"
check "a failing host command stops the script" 1 "" "exit status 3"
printf '%s\n' 'echo x | false' > "$d/h.gf"
run_ "$GKFISH" -f "$d/h.gf"
check "CMD | HOSTCMD fails when HOSTCMD fails" 1 "" "false: exit status 1"
mkdir "$d/sub"
printf '%s\n' "lcd $d/sub" '!pwd' 'lcd /nonexistent' > "$d/h.gf"
run_ "$GKFISH" -f "$d/h.gf"
check "lcd" 1 "$d/sub" "lcd: /nonexistent: No such file or directory"
# A reader that goes away (| head): no message, no SIGPIPE death.
printf 'help\n%.0s' $(seq 40) > "$d/many.gf"
{ "$GKFISH" -f "$d/many.gf" 2>"$d/err"; echo $? > "$d/rc"; } | head -1 >/dev/null
rc=$(cat "$d/rc"); err=$(cat "$d/err")
if [ "$rc" -le 1 ] && [ -z "$err" ]; then ok "a reader that goes away (| head): status $rc, quiet"
else nok "| head: status $rc, stderr [$err]"; fi

run_ env -u GKFISH_PID -u GUESTFISH_PID "$GKFISH" --remote ls /
check "--remote without GUESTFISH_PID" 1 "" "GUESTFISH_PID is not set"
run_ "$GKFISH" --remote=999999999 ls /
check "--remote to a gkfish that is not there" 1 "" "cannot reach the gkfish with PID 999999999"
one_line "--remote to a gkfish that is not there"
# The same when no gkfish ever listened here (no socket directory), with
# and without XDG_RUNTIME_DIR.
run_ env XDG_RUNTIME_DIR= TMPDIR="$d/nodir" "$GKFISH" --remote=999999999 ls /
check "--remote without a socket directory" 1 "" "cannot reach the gkfish with PID 999999999 ($d/nodir/.gkfish-$(id -u))"
run_ env XDG_RUNTIME_DIR="$d" "$GKFISH" --remote=999999999 ls /
check "--remote without a socket directory in XDG_RUNTIME_DIR" 1 "" "cannot reach the gkfish with PID 999999999 ($d/gkfish)"
mkdir -m 0777 "$d/.gkfish-$(id -u)"
run_ env TMPDIR="$d" "$GKFISH" --remote=1 ls /
check "--remote refuses a socket directory others can write" 1 "" "not a private directory"
rmdir "$d/.gkfish-$(id -u)"

# ---- -N, -m and progress bars (one appliance) --------------------------

run_ "$GKFISH" --progress-bars -N "$d/n1.img=disk:32M" -N "$d/n2.img=part:32M" \
  -N "$d/n3.img=fs:ext4:128M" -m /dev/sdc1 -- \
  list-partitions : vfs-type /dev/sdc1 : blockdev-getsize64 /dev/sda : \
  fill 0x41 30000000 /big : download /big "$d/big" : upload "$d/big" /big2 : mounts
check "-N disk, part and fs; -m of the prepared fs" 0 "/dev/sdb1
/dev/sdc1
ext4
33554432
/dev/sdc1" "upload.*100%"
if [ "$(stat -c %s "$d/big" 2>/dev/null)" = 30000000 ]; then ok "download through gkfish"
else nok "download size"; fi
if [ "$(stat -c %s "$d/n3.img")" = 134217728 ]; then ok "-N FILE=fs:ext4:128M size"
else nok "-N image size"; fi

# -m with no commands still launches and mounts: a device that is not
# there is an error (and the exit status says so).
run_ "$GKFISH" -a "$d/n1.img" -m /dev/sda9 < /dev/null
check "-m of a device that is not there, no commands" 1 "" "sda9"
one_line "-m of a device that is not there"
case $err in *%*) nok "progress bars without a terminal: [$err]" ;;
  *) ok "no progress bars without a terminal" ;; esac

# ---- remote control: one appliance for the rest -----------------------

truncate -s 256M "$d/blank.img"
out=$("$GKFISH" --listen -a "$d/blank.img")
rc=$?
eval "$out"
server=${GUESTFISH_PID:-}
if [ "$rc" = 0 ] && [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
  ok "--listen prints GUESTFISH_PID and stays in the background [$out]"
else
  nok "--listen: status $rc, output [$out]"
fi
if [ -n "${XDG_RUNTIME_DIR:-}" ]; then sockdir=$XDG_RUNTIME_DIR/gkfish
else sockdir=${TMPDIR:-/tmp}/.gkfish-$(id -u); fi
if [ "$(stat -c %a "$sockdir" 2>/dev/null)" = 700 ] && [ -S "$sockdir/socket-$server" ]; then
  ok "the socket is in a private 0700 directory"
else nok "socket directory $sockdir"; fi

R () { run_ "$GKFISH" --remote "$@"; }
R part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 / : \
  write /hello "hi there" : cat /hello
check "--remote runs commands in the listening gkfish" 0 "hi there"
R cat /hello
check "state persists between --remote calls" 0 "hi there"
R cat /nonexistent
check "a remote error: status 1, message on the client's stderr" 1 "" \
  "cat: /nonexistent: No such file or directory"
R mkdri /x
check "a remote unknown command" 1 "" "did you mean 'mkdir'"
printf 'hello from the host\n' > "$d/up"
R upload - /up < "$d/up"
check "upload - reads the client's stdin" 0 ""
R download /up -
check "download - writes to the client's stdout" 0 "hello from the host"
printf '%s\n' 'mkdir /g' 'touch /g/a1' 'touch /g/a2' 'touch /g/b1' 'glob is-file /g/a*' \
  'ls /g | wc -l' '!echo on the host' 'echo last' > "$d/r.gf"
R < "$d/r.gf"
check "--remote with a script on stdin (glob, |, !)" 0 "true
true
3
on the host
last"
R timings
case $out in *launch.total*ms*) ok "timings shows the launch" ;;
  *) nok "timings: [$out] [$err]" ;; esac
R download /big2 "$d/big2"
check "download of a missing file" 1 "" "big2"
# Ctrl-C in a --remote client cancels the command in the server: an
# upload from a FIFO that nobody writes to would never end by itself.
mkfifo "$d/fifo"
exec 7<>"$d/fifo"
"$GKFISH" --remote upload "$d/fifo" /never >"$d/out" 2>"$d/err" &
client=$!
sleep 2
kill -INT "$client"
i=0
while kill -0 "$client" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$client" 2>/dev/null; then
  nok "Ctrl-C in a --remote client"
  exec 7>&-     # end of file for the upload, so that the server goes on
  kill "$client"
else
  wait "$client"; rc=$?; out=$(cat "$d/out"); err=$(cat "$d/err")
  check "Ctrl-C in a --remote client cancels the command" 1 "" "upload: .*cancelled"
fi
exec 7>&-
R echo alive
check "the server goes on after a cancelled command" 0 "alive"
R umount-all
check "umount-all" 0 ""

# guestfish-style scripts: run unchanged (they start with "run", which is
# a no-op in a launched gkfish), output compared with NAME.out.
for gf in "$scripts"/*.gf; do
  name=$(basename "$gf" .gf)
  run_ "$GKFISH" --remote -- zero /dev/sda
  R < "$gf"
  check "guestfish script $name" 0 "$(cat "${gf%.gf}.out")" -
done

# A client that sends four descriptors (gkfish sends three): the fourth
# is closed, not kept; twenty such requests leave the server's count of
# open descriptors as it was.
fdc=${TOP_BUILDDIR:-$top}/tests/gkfish-fdclient
sock=$sockdir/socket-$server
nfd () { ls "/proc/$server/fd" | wc -l; }
"$fdc" "$sock" 3 echo warm-up > /dev/null 2>&1
before=$(nfd)
i=0
while [ $i -lt 20 ]; do "$fdc" "$sock" 4 echo x > /dev/null 2>&1; i=$((i + 1)); done
i=0   # the server closes the last connection just after answering
while [ "$(nfd)" -gt "$before" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
after=$(nfd)
if [ "$before" -gt 0 ] && [ "$after" -le "$before" ]; then
  ok "20 requests with 4 descriptors leak none ($before open before and after)"
else nok "descriptors of the server: $before before 20 requests with 4 fds, $after after"; fi
# Out of descriptors, the accept loop waits instead of spinning: with its
# limit at 1 (no new descriptor at all; those it has stay usable), the
# server uses under 0.1 s of CPU in 2 s while a client waits (a spinning
# one used 0.35 s even on this loaded 2-core machine), and
# serves clients again once the limit is back.
if command -v prlimit > /dev/null; then
  old=$(prlimit --pid "$server" --nofile --noheadings --raw -o SOFT | tr -d ' ')
  prlimit --pid "$server" --nofile=1:
  "$fdc" "$sock" 3 echo after-emfile > "$d/fdc.out" 2>&1 &
  fdcpid=$!
  sleep 0.5
  t1=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
  sleep 2
  t2=$(awk '{ print $14 + $15 }' "/proc/$server/stat")
  prlimit --pid "$server" --nofile="$old":
  ticks=$((t2 - t1)) hz=$(getconf CLK_TCK)
  if [ $ticks -lt $((hz / 10)) ]; then ok "EMFILE: the accept loop backs off ($ticks ticks of CPU in 2 s)"
  else nok "EMFILE: the accept loop spins ($ticks ticks of CPU in 2 s, $hz a second)"; fi
  # (What becomes of the client that waited is the kernel's business:
  # its descriptors may be dropped, and it then gets no answer.)
  kill "$fdcpid" 2>/dev/null
  wait "$fdcpid" 2>/dev/null
  R echo after-emfile
  check "the server serves again once descriptors are back" 0 "after-emfile"
else
  echo "SKIP: prlimit is missing: the EMFILE check"
  skipped=$((skipped + 1))
fi

R exit
check "--remote exit" 0 ""
i=0
while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$server" 2>/dev/null; then nok "the listening gkfish did not exit"
else ok "the listening gkfish exited"; server=; fi
if [ -e "$sockdir/socket-${GUESTFISH_PID:-none}" ]; then nok "socket left behind"
else ok "socket removed"; fi
R ls /
check "--remote after exit" 1 "" "cannot reach the gkfish"
one_line "--remote after exit"

# A server killed with SIGKILL cannot remove its socket; the next server
# started in that directory removes the sockets of dead PIDs.  Without
# drives, --listen launches nothing.  In XDG_RUNTIME_DIR when it is set.
mkdir -m 0700 "$d/xdg"
L () { env XDG_RUNTIME_DIR="$d/xdg" "$GKFISH" "$@"; }
GUESTFISH_PID=
eval "$(L --listen)"
first=$GUESTFISH_PID
if [ -n "$first" ] && [ -S "$d/xdg/gkfish/socket-$first" ]; then
  ok "with XDG_RUNTIME_DIR the socket is in \$XDG_RUNTIME_DIR/gkfish"
else nok "no socket in $d/xdg/gkfish: $(ls -a "$d/xdg/gkfish" 2>&1)"; fi
if [ -n "$first" ]; then
  kill -KILL "$first"
  i=0
  while [ -d "/proc/$first" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$first/stat" 2>/dev/null \
        && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
GUESTFISH_PID=
eval "$(L --listen)"
second=$GUESTFISH_PID
if [ -n "$first" ] && [ -n "$second" ] && [ ! -e "$d/xdg/gkfish/socket-$first" ] \
   && [ -S "$d/xdg/gkfish/socket-$second" ]; then
  ok "the socket of a server killed with SIGKILL is removed by the next one"
else nok "stale socket: $(ls -a "$d/xdg/gkfish" 2>&1)"; fi
run_ L --remote="${second:-0}" exit
check "--remote in XDG_RUNTIME_DIR" 0 ""

[ "${skipped:-0}" = 0 ] || echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
