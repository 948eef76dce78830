#!/bin/sh
# Network drives (issue 15): add-drive EXPORT protocol:nbd
# server:tcp:HOST:PORT / server:unix:/SOCKET and gkfish -a nbd://... and
# -a nbd+unix:///...?socket=..., against qemu-nbd serving test images on
# a unix socket and on 127.0.0.1: a file written through one connection
# is on the image; read-only (--ro, readonly:true) leaves the images'
# bytes unchanged; bad servers, export names and other protocols are
# refused with a reason.  Three appliance sessions.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}

command -v qemu-nbd >/dev/null 2>&1 || { echo "SKIP: qemu-nbd not installed (qemu-utils)"; exit 77; }
d=$(mktemp -d /tmp/test-nbd.XXXXXX)
# The servers go whatever happens (they were started with --fork: their
# pids are in the pid files).
stop_servers () {
  for p in "$d"/*.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  return 0
}
trap 'stop_servers; rm -rf "$d"' EXIT
trap 'exit 1' HUP INT TERM
export TMPDIR="$d"

# ---- refused before any server or appliance ----------------------------
fish_expect "protocol nbd without a server" 1 "protocol nbd needs exactly one server" -- \
  add-drive "" protocol:nbd
fish_expect "two servers" 1 "needs exactly one server" -- \
  add-drive "" protocol:nbd "server:tcp:a:1 tcp:b:2"
fish_expect "protocol http: not supported, named" 1 "protocol http is not supported" -- \
  add-drive x protocol:http server:example.org
fish_expect "protocol ssh: not supported, named" 1 "protocol ssh is not supported" -- \
  add x protocol:ssh server:example.org
fish_expect "unknown protocol" 1 "unknown protocol 'bogus'" -- add-drive x protocol:bogus
fish_expect "server without protocol" 1 "server is only for a network protocol" -- \
  add-drive x server:tcp:localhost:10809
fish_expect "a comma in the host (qemu option injection)" 1 "server tcp:h,file.driver=file:1" -- \
  add-drive "" protocol:nbd server:tcp:h,file.driver=file:1
fish_expect "a host starting with '-'" 1 "a host name has only" -- add-drive "" protocol:nbd server:-oops
fish_expect "port 0" 1 "the port must be a number from 1 to 65535" -- \
  add-drive "" protocol:nbd server:tcp:localhost:0
fish_expect "port 65536" 1 "the port must be" -- add-drive "" protocol:nbd server:localhost:65536
fish_expect "port with letters" 1 "the port must be" -- add-drive "" protocol:nbd server:localhost:80x
fish_expect "relative socket" 1 "the socket must be an absolute path" -- \
  add-drive "" protocol:nbd server:unix:sock
fish_expect "a comma in the socket" 1 "the socket path has a ','" -- \
  add-drive "" protocol:nbd server:unix:/tmp/a,b
fish_expect "a comma in the export name" 1 "the export name has a ','" -- \
  add-drive "a,b" protocol:nbd server:unix:/tmp/s
fish_expect "format qcow2 over nbd" 1 "opened as raw only" -- \
  add-drive "" protocol:nbd server:unix:/tmp/s format:qcow2
fish_expect "blocksize checked as for a file" 1 "unix:/tmp/s: blocksize 1000: expected 512 or 4096" -- \
  add-drive "" protocol:nbd server:unix:/tmp/s blocksize:1000
fish_expect "valid forms accepted (tcp, host:port, [ipv6]:port, unix)" 0 "" -- \
  add-drive "" protocol:nbd server:tcp:localhost:10809 : \
  add-drive e protocol:nbd server:example.org : add-drive e protocol:nbd "server:[::1]:99" : \
  add-drive e/f protocol:nbd server:unix:/tmp/s format:raw readonly:true
fish_expect "-a ssh://: the scheme is named" 1 "ssh:// URIs are not supported" -a ssh://example.org/disk -- echo
fish_expect "-a nbd:// without a host" 1 "no host" -a nbd:///e -- echo
fish_expect "-a nbd:// with a comma in the host" 1 "a host name has only" -a "nbd://h,x:1/e" -- echo
fish_expect "-a nbd+unix:// without ?socket=" 1 "expected ?socket=" -a "nbd+unix:///e" -- echo
fish_expect "-a nbd+unix:// with a bad escape" 1 "bad %-escape" -a "nbd+unix:///e?socket=/tmp/%zz" -- echo
fish_expect "-a nbd+unix:// with a host" 1 "takes no host" -a "nbd+unix://h/e?socket=/tmp/s" -- echo
truncate -s 1M "$d/local x.img"
fish_expect "-x traces -a nbd:// as guestfish (protocol:, server: words)" 0 "" -x \
  -a nbd://example.com:3000/exp -a "nbd+unix:///?socket=/sk" -a "file://$d/local%20x.img" -- echo
grep -qx 'gkfish: trace: add_drive "exp" "protocol:nbd" "server:tcp:example.com:3000"' "$d/err" \
  && grep -qx 'gkfish: trace: add_drive "" "protocol:nbd" "server:unix:/sk"' "$d/err" \
  && grep -qx "gkfish: trace: add_drive \"$d/local x.img\"" "$d/err" \
  && ok "the trace lines of nbd://, nbd+unix:// and file:// (%-decoded)" || nok "trace: [$(cat "$d/err")]"
fish_expect "uml backend: an nbd drive is refused, naming the backend" 1 \
  "backend uml: drive 1 (nbd+unix:///?socket=/tmp/s) is an nbd export" --backend=uml -- \
  add-drive "" protocol:nbd server:unix:/tmp/s : run
fish_expect "libvirt backend: an nbd drive is refused" 1 "nbd" --backend=libvirt -- \
  add-drive "" protocol:nbd server:unix:/tmp/s : run

# ---- the servers ----------------------------------------------------------
truncate -s 64M "$d/a.img" "$d/b.img"
mkfs.ext4 -q -F "$d/b.img" || { nok "mkfs.ext4 b.img"; echo "$pass passed, $fail failed"; exit 1; }
# -t: the server stays for the next connection (a read-only drive's
# overlay asks the export's size first).
qemu-nbd -t --fork --pid-file="$d/a.pid" -f raw -k "$d/sock" "$d/a.img" \
  || { nok "qemu-nbd on a unix socket"; echo "$pass passed, $fail failed"; exit 1; }
port=
for try in 1 2 3 4 5 6 7 8 9 10; do
  p=$(( 20000 + ($$ * 7 + try * 911) % 40000 ))
  if qemu-nbd -t --fork --pid-file="$d/b.pid" -f raw -b 127.0.0.1 -p "$p" -x exp "$d/b.img" \
       2>"$d/nbd-err"; then port=$p; break; fi
done
[ -n "$port" ] || { nok "qemu-nbd on 127.0.0.1: $(cat "$d/nbd-err")"; echo "$pass passed, $fail failed"; exit 1; }

# ---- read/write: -a nbd:// on TCP (sda), add-drive on the socket (sdb) --
cat > "$d/rw.gf" <<EOS
add-drive "" protocol:nbd server:unix:$d/sock
run
list-devices
mount /dev/sda /
write /g over-tcp
cat /g
umount /
mkfs ext4 /dev/sdb
mount /dev/sdb /
write /f over-unix
cat /f
blockdev-getsize64 /dev/sdb
EOS
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -a "nbd://127.0.0.1:$port/exp" -f "$d/rw.gf" 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && ok "read/write session exits 0" || nok "read/write session: status $rc: $(cat "$d/err")"
[ "$(printf '%s\n' "$out" | head -2 | tr '\n' ' ')" = "/dev/sda /dev/sdb " ] \
  && ok "two nbd drives: /dev/sda, /dev/sdb" || nok "list-devices: [$out]"
case $out in *over-tcp*over-unix*67108864*) ok "write and cat on both exports; size 64M" ;;
  *) nok "session output [$out]" ;; esac
# The files are on the images themselves.
if command -v debugfs >/dev/null 2>&1; then
  [ "$(debugfs -R 'cat /g' "$d/b.img" 2>/dev/null)" = over-tcp ] \
    && ok "-a nbd://127.0.0.1:PORT/exp wrote b.img (debugfs)" || nok "/g not on b.img"
  [ "$(debugfs -R 'cat /f' "$d/a.img" 2>/dev/null)" = over-unix ] \
    && ok "add-drive protocol:nbd server:unix: wrote a.img (debugfs)" || nok "/f not on a.img"
fi

# ---- read-only: --ro -a nbd+unix://, add-drive readonly:true on TCP ------
sa=$(md5sum < "$d/a.img"); sb=$(md5sum < "$d/b.img")
cat > "$d/ro.gf" <<EOS
add-drive exp protocol:nbd server:tcp:127.0.0.1:$port readonly:true
run
mount /dev/sda /
write /f changed-in-overlay
cat /f
umount /
mount /dev/sdb /
write /g changed-in-overlay-too
cat /g
blockdev-getsize64 /dev/sdb
EOS
# shellcheck disable=SC2086
out=$("$GKFISH" $backend --ro -a "nbd+unix:///?socket=$d/sock" -f "$d/ro.gf" 2>"$d/err"); rc=$?
[ "$rc" = 0 ] && ok "read-only session exits 0" || nok "read-only session: status $rc: $(cat "$d/err")"
case $out in *changed-in-overlay*changed-in-overlay-too*67108864*)
  ok "writes go to the overlays, of the export's size" ;;
  *) nok "read-only session output [$out]" ;; esac
[ "$(md5sum < "$d/a.img")" = "$sa" ] && ok "--ro -a nbd+unix://: a.img unchanged (md5)" \
  || nok "a.img changed under --ro"
[ "$(md5sum < "$d/b.img")" = "$sb" ] && ok "readonly:true nbd drive: b.img unchanged (md5)" \
  || nok "b.img changed under readonly:true"

# ---- a server that is gone: the launch fails, naming the export ----------
kill "$(cat "$d/a.pid")"; rm -f "$d/a.pid"
fish_expect "no server: launch fails" 1 "" -a "nbd+unix:///?socket=$d/sock" -- run
grep -q "$d/sock" "$d/err" && ok "the error names the socket" || nok "stderr: [$(cat "$d/err")]"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
