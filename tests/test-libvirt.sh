#!/bin/sh
# The libvirt backend (backends/libvirt.c) as users meet it:
#  - a launch shows a transient guestkit-PID-N domain while it runs, and
#    after a clean shutdown leaves no domain, qemu, socket directory or
#    libvirt log;
#  - SIGKILL of the host program (gkfish) with the appliance running:
#    libvirt destroys the domain (auto-destroy on our connection's close),
#    its qemu and our pump process end, no socket directory is left, and
#    the next launch removes libvirt's log of it;
#  - a read-only drive (qcow2 overlay with no name over the image) takes
#    writes and leaves the image's bytes unchanged;
#  - a URI libvirt refuses: the error has libvirt's own message and what
#    guestkit was doing;
#  - qemu:///system (root): an image its qemu user cannot reach is named
#    with the directory in the way.
# 4 launches, all cold boots.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/libvirt-skip.sh"
for p in md5sum mkfs.ext4; do
  command -v $p >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
done
d=$(mktemp -d /tmp/test-libvirt.XXXXXX)
export TMPDIR=$d/tmp
mkdir -m 0700 "$TMPDIR"
cleanup () {
  [ -n "${fish:-}" ] && kill -9 "$fish" 2>/dev/null
  rm -rf "$d"
}
trap cleanup EXIT
img=$d/disk.img
truncate -s 64M "$img"
mkfs.ext4 -q -F "$img"
if [ "$(id -u)" = 0 ]; then logdir=/var/log/libvirt/qemu
else logdir=${XDG_CACHE_HOME:-$HOME/.cache}/libvirt/qemu/log; fi

domains () { virsh -c "$uri" list --all --name 2>/dev/null | grep "^guestkit-$1-" ; }
qemus () { pgrep -f "guest=guestkit-$1-" ; }

# session: gkfish in the background reading commands from fd 3, launched
# (up to 120 s); sets $fish, $pump (its get-pid) and $dom.
mkfifo "$d/in"
session () {
  "$GKFISH" --backend "$GK_TEST_BACKEND" -a "$img" < "$d/in" > "$d/out" 2>&1 &
  fish=$!
  exec 3> "$d/in"
  printf 'launch\necho-daemon up\nget-pid\n' >&3
  for _ in $(seq 1 600); do grep -q '^up$' "$d/out" && break; sleep 0.2; done
  sleep 0.5
  pump=$(sed -n '/^up$/{n;p;}' "$d/out")
  dom=$(domains $fish)
}

# 1. A clean run: the domain exists while it runs, nothing after.
session
if grep -q '^up$' "$d/out"; then ok "gkfish --backend $GK_TEST_BACKEND launched"
else nok "launch: $(cat "$d/out")"; fi
if [ -n "$dom" ] && [ -n "$(qemus $fish)" ]; then ok "the running domain is listed: $dom"
else nok "no domain guestkit-$fish-* or no qemu while it runs"; fi
echo "exit" >&3
exec 3>&-
wait $fish
st=$?
fish=
if [ $st = 0 ]; then ok "clean exit"; else nok "gkfish exited $st: $(cat "$d/out")"; fi
sleep 1
left=$(domains "${dom#guestkit-}" ; qemus "${dom#guestkit-}"; ls "$TMPDIR"; ls "$logdir/$dom.log" 2>/dev/null)
if [ -z "$left" ]; then ok "after shutdown: no domain, qemu, socket directory or log"
else nok "left after shutdown: $left"; fi

# 2. SIGKILL of the host program while the appliance runs.
session
q=$(qemus $fish)
kill -9 $fish
wait $fish 2>/dev/null
exec 3>&-
killed=$fish
fish=
gone=
for _ in $(seq 1 100); do
  if [ -z "$(domains $killed)" ] && [ -z "$(qemus $killed)" ] \
     && ! kill -0 "$pump" 2>/dev/null; then gone=1; break; fi
  sleep 0.2
done
if [ -n "$dom" ] && [ -n "$q" ] && [ -n "$pump" ] && [ -n "$gone" ] && [ -z "$(ls "$TMPDIR")" ]; then
  ok "SIGKILL of gkfish: domain $dom, qemu $q and pump $pump gone, no socket directory"
else
  nok "SIGKILL: domain '$dom' qemu '$q' pump '$pump' gone '$gone'; left: $(domains $killed) $(qemus $killed) $(ls "$TMPDIR")"
fi

# 3. A read-only drive takes writes; the image does not change.  This
#    launch also removes the killed run's log.
sum=$(md5sum < "$img")
out=$("$GKFISH" --backend "$GK_TEST_BACKEND" --ro -a "$img" -- \
  mount /dev/sda / : write /hello hi : cat /hello 2>&1)
if [ "$out" = hi ] && [ "$(md5sum < "$img")" = "$sum" ]; then
  ok "read-only drive: writes reach the overlay, the image is unchanged"
else nok "read-only drive: '$out', image changed: $([ "$(md5sum < "$img")" = "$sum" ] && echo no || echo yes)"; fi
if ls "$logdir/guestkit-$killed-"*.log >/dev/null 2>&1; then
  nok "libvirt's log of the killed run is still there: $(ls "$logdir/guestkit-$killed-"*)"
else ok "the next launch removed libvirt's log of the killed run"; fi
if [ -z "$(ls "$TMPDIR")" ]; then ok "no overlay or other file in TMPDIR"
else nok "left in TMPDIR: $(ls "$TMPDIR")"; fi

# 4. A URI libvirt refuses: its message and ours.
out=$("$GKFISH" --backend libvirt:bogus:///nowhere -a "$img" -- echo-daemon x 2>&1)
case $out in
  *"libvirt: cannot connect to bogus:///nowhere: "*) ok "bad URI: $out" ;;
  *) nok "bad URI: $out" ;;
esac

# 5. qemu:///system runs qemu as the daemon's qemu user: an image in a
#    directory that user cannot search is named, with the directory, before
#    any domain is created (guestkit relabels nothing).
if [ "$(id -u)" = 0 ] && virsh -c qemu:///system uri >/dev/null 2>&1; then
  chmod 0700 "$d"
  out=$("$GKFISH" --backend libvirt:qemu:///system --ro -a "$img" -- echo-daemon x 2>&1)
  case $out in
    *"qemu:///system: qemu runs as "*"which cannot reach $img: directory $d is mode 0700"*)
      ok "qemu:///system: unreachable image named: $out" ;;
    *) nok "qemu:///system, image in a 0700 directory: $out" ;;
  esac
else echo "# qemu:///system: not tested (not root, or no system daemon)"; fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
