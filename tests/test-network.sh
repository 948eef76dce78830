#!/bin/sh
# set-network / --network (qemu): a guest program fetches a file from an
# HTTP server this test starts on the host's loopback only, through the
# user-mode network's host address 10.0.2.2, and gets the same bytes; the
# guest's /etc/resolv.conf is the appliance's during the command and its
# own afterwards; without --network the same fetch fails.  (No -T for
# busybox 1.35's wget: with it a failed connect crashes it, SIGSEGV.)  Nothing but
# that loopback server is ever contacted.  The guest is a fresh ext4 disk
# holding the host's static busybox as /bin/busybox and /bin/sh.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"

case ${GUESTKIT_BACKEND:-qemu} in
    uml*) echo "SKIP: the network is qemu-only (GUESTKIT_BACKEND=$GUESTKIT_BACKEND)"; exit 77 ;;
esac
command -v python3 >/dev/null || { echo "SKIP: python3 is needed for the HTTP server"; exit 77; }
bb=/bin/busybox
[ -x "$bb" ] && LC_ALL=C ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
    { echo "SKIP: a static $bb (busybox-static) is needed as the guest's program"; exit 77; }

d=$(mktemp -d /tmp/test-network.XXXXXX)
srv=
cleanup () {
    [ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The server: 127.0.0.1 only, on a port the kernel picks (printed first).
mkdir "$d/www"
head -c 300000 /dev/urandom >"$d/www/payload"
python3 - "$d/www" >"$d/port" 2>"$d/srv.log" <<'PY' &
import functools, http.server, sys
H = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
srv=$!
i=0
while [ ! -s "$d/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$d/port")
[ -n "$port" ] || { echo "not ok - HTTP server did not start: $(cat "$d/srv.log")"; echo "0 passed, 1 failed"; exit 1; }
url=http://10.0.2.2:$port/payload

# The UML refusal needs no appliance: set-network is refused at once.
if "$GKFISH" --backend uml --network -a /dev/null get-network >"$d/uml.out" 2>&1; then
    nok "set-network true refused on the uml backend (it succeeded)"
elif grep -q "uml backend has no network" "$d/uml.out"; then
    ok "set-network true refused on the uml backend: $(head -n1 "$d/uml.out")"
else
    nok "uml refusal names the reason: $(cat "$d/uml.out")"
fi

# ... and at launch when the backend became uml after set-network.
if "$GKFISH" -a /dev/null set-network true : set-backend uml : run >"$d/uml2.out" 2>&1; then
    nok "launch with the network on the uml backend refused (it succeeded)"
elif grep -q "backend uml has no network" "$d/uml2.out"; then
    ok "launch refused when the backend became uml later: $(head -n1 "$d/uml2.out")"
else
    nok "uml launch refusal names the reason: $(cat "$d/uml2.out")"
fi

truncate -s 64M "$d/disk.img"
"$GKFISH" --network -a "$d/disk.img" >"$d/on.out" 2>"$d/on.err" <<SCRIPT
get-network
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir-p /bin
mkdir-p /etc
upload $bb /bin/busybox
chmod 0755 /bin/busybox
ln-s busybox /bin/sh
write /etc/resolv.conf "nameserver 192.0.2.53"
echo resolv-during
command /bin/busybox cat /etc/resolv.conf
echo resolv-after
cat /etc/resolv.conf
exists /etc/.resolv.conf.guestkit
rm /etc/resolv.conf
ln-s ../run/stub-resolv.conf /etc/resolv.conf
command /bin/busybox true
readlink /etc/resolv.conf
echo binds
mkdir /dev
mkdir /proc
command /bin/busybox test -c /dev/null
command /bin/busybox readlink /proc/self/exe
ls /dev
echo fetch
sh "/bin/busybox wget -q -O /got $url && echo fetched"
download /got $d/got
SCRIPT
rc=$?
[ $rc -eq 0 ] && ok "gkfish --network script ran" ||
    nok "gkfish --network script failed ($rc): $(tail -n 5 "$d/on.err")"
sed -n 1p "$d/on.out" | grep -qx true && ok "get-network => true with --network" ||
    nok "get-network with --network: $(sed -n 1p "$d/on.out")"
sed -n '/^resolv-during$/,/^resolv-after$/p' "$d/on.out" | grep -qx "nameserver 10.0.2.3" &&
    ok "during a command the guest's /etc/resolv.conf is the appliance's (10.0.2.3)" ||
    nok "resolv.conf during the command: $(cat "$d/on.out")"
sed -n '/^resolv-after$/,/^fetch$/p' "$d/on.out" | grep -qx "nameserver 192.0.2.53" &&
    ok "afterwards the guest's own /etc/resolv.conf is back" ||
    nok "resolv.conf after the command: $(cat "$d/on.out")"
sed -n '/^resolv-after$/,/^fetch$/p' "$d/on.out" | grep -qx "false" &&
    ok "no backup of it is left behind" || nok "backup left: $(cat "$d/on.out")"
sed -n '/^resolv-after$/,/^fetch$/p' "$d/on.out" | grep -qx "../run/stub-resolv.conf" &&
    ok "a guest resolv.conf that is a symbolic link is put back as that link" ||
    nok "symlinked resolv.conf after a command: $(cat "$d/on.out")"
sed -n '/^binds$/,/^fetch$/p' "$d/on.out" | grep -qx "/bin/busybox" &&
    ok "during a command the guest has /dev and /proc" ||
    nok "/dev and /proc in the guest during a command: $(cat "$d/on.out") $(cat "$d/on.err")"
[ "$(sed -n '/^binds$/,/^fetch$/p' "$d/on.out" | grep -c .)" = 3 ] &&
    ok "afterwards the guest's /dev is empty again (nothing was bound or created there)" ||
    nok "guest /dev after a command: $(sed -n '/^binds$/,/^fetch$/p' "$d/on.out")"
grep -qx fetched "$d/on.out" && ok "the guest's wget fetched from 10.0.2.2:$port" ||
    nok "fetch through the user-mode network: $(tail -n 5 "$d/on.err")"
if [ -f "$d/got" ] && cmp -s "$d/got" "$d/www/payload"; then
    ok "the bytes fetched are the server's ($(wc -c <"$d/got") bytes)"
else
    nok "the fetched file differs from the server's"
fi

# Off (the default): no network device, so the same fetch fails, fast.
"$GKFISH" -a "$d/disk.img" >"$d/off.out" 2>"$d/off.err" <<SCRIPT
get-network
mount /dev/sda /
-sh "/bin/busybox wget -q -O /got2 $url && echo fetched"
debug-sh "ls /sys/class/net"
exists /got2
SCRIPT
rc=$?
[ $rc -eq 0 ] && ok "gkfish without --network ran" ||
    nok "gkfish without --network failed ($rc): $(tail -n 5 "$d/off.err")"
sed -n 1p "$d/off.out" | grep -qx false && ok "get-network => false by default" ||
    nok "get-network by default: $(sed -n 1p "$d/off.out")"
if grep -qx fetched "$d/off.out"; then
    nok "without --network the fetch must fail (it succeeded)"
elif grep -q "wget" "$d/off.err"; then
    ok "without --network the fetch fails: $(grep wget "$d/off.err" | head -n1)"
else
    nok "without --network the fetch should fail with wget's error: $(cat "$d/off.err")"
fi
if grep -q eth0 "$d/off.out"; then nok "without --network there is no eth0"
else ok "without --network the appliance has no network interface"; fi
tail -n1 "$d/off.out" | grep -qx false && ok "nothing was written by the failed fetch" ||
    nok "/got2 after a failed fetch: $(tail -n1 "$d/off.out")"
n=$(grep -c '"GET /payload' "$d/srv.log")
[ "$n" = 1 ] && ok "the server saw exactly one request (the network-on fetch)" ||
    nok "the server saw $n requests: $(cat "$d/srv.log")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
