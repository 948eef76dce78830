#!/bin/sh
# --key ID:key:KEY_STRING and ID:file:FILENAME (gkinspector, gkfish -i),
# as guestfish and virt-inspector take them: ID is the device or its LUKS
# UUID; every --key for a device is tried in turn and a device with
# --key keys is never prompted for (standard input is empty here, so a
# prompt would fail); the file's first line is the key.  A wrong key is
# an error naming the device; a malformed selector fails before any
# launch.  The key is in no message, no -x or -v output, and in no
# process's argv while the appliance runs (gkinspector wipes it from its
# own).  Five appliances.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}
GKINSPECTOR=${GKINSPECTOR:-${TOP_BUILDDIR:-$top}/fish/gkinspector}

d=$(mktemp -d /tmp/test-luks-key.XXXXXX)
trap 'rm -rf "$d"' EXIT
img=$d/disk.img
truncate -s 128M "$img"
# Unique (so no other process on the machine holds it), with a ':' and
# a space: everything after "key:" is the key.
key="k3y: with-colon-$$-q7"
printf '%s\n' "$key" >"$d/pat"
# The key file: the key is its first line, without the newline.
printf '%s\nsecond line, not the key\n' "$key" >"$d/keyfile"

# LVM on LUKS holding a small Debian-like root; the keys come from
# standard input, never argv.
# shellcheck disable=SC2086
uuid=$(printf '%s\n' 'part-disk /dev/sda mbr' 'luks-format /dev/sda1 0' "$key" \
  'luks-open /dev/sda1 lk' "$key" 'vgcreate vgl /dev/mapper/lk' \
  'lvcreate root vgl 32' 'mkfs ext4 /dev/vgl/root' 'mount /dev/vgl/root /' \
  'mkdir /etc' 'write /etc/hostname gk-luks-key' \
  'write /etc/os-release ID=debian' 'write /etc/fstab "/dev/vgl/root / ext4 defaults 0 1"' \
  'umount-all' 'vg-activate-all false' 'luks-close /dev/mapper/lk' 'luks-uuid /dev/sda1' |
  "$GKFISH" $backend --keys-from-stdin -a "$img" 2>"$d/err"); rc=$?
case $uuid in
  ????????-????-????-????-????????????) ok "LUKS+LVM image made, UUID $uuid" ;;
  *) nok "image: exit $rc, output [$uuid], $(cat "$d/err")"; echo "$pass passed, $fail failed"; exit 1 ;;
esac

nokey () {   # $1: what, $2: file that must not hold the key
  if grep -qF -f "$d/pat" "$2"; then nok "$1: the key is in it"; else ok "$1: no key in it"; fi
}

# 1. --key DEVICE:key:KEY, with -v; meanwhile no process on the host
# (gkinspector, qemu, helpers) shows the key in its argv.  Sampling starts
# once the debug output has begun (options parsed, launch under way).
"$GKINSPECTOR" -v --keys-from-stdin --no-applications --key "/dev/sda1:key:$key" \
  -a "$img" >"$d/out" 2>"$d/err" </dev/null &
pid=$!
samples=0 leaks=
while kill -0 "$pid" 2>/dev/null; do
  if [ -s "$d/err" ]; then
    samples=$((samples + 1))
    leaks="$leaks$(grep -lF -f "$d/pat" /proc/[0-9]*/cmdline 2>/dev/null)"
  fi
  sleep 0.2
done
wait "$pid"; rc=$?
if [ "$rc" = 0 ] && grep -q gk-luks-key "$d/out"; then ok "gkinspector --key /dev/sda1:key:KEY"
else nok "--key device: exit $rc, output [$(cat "$d/out")], $(tail -5 "$d/err")"; fi
if [ "$samples" -gt 0 ] && [ -z "$leaks" ]; then ok "no argv held the key ($samples samples)"
else nok "argv: $samples samples, the key in: $leaks"; fi
nokey "gkinspector -v output" "$d/err"

# 2. UUID:file:FILE; a --key for another device is not used, a wrong key
# for this one is tried first and the right one after it.
"$GKINSPECTOR" --keys-from-stdin --no-applications --key /dev/sdz9:key:unused \
  --key "$uuid:key:wrong-key-789" --key "$uuid:file:$d/keyfile" \
  -a "$img" >"$d/out" 2>"$d/err" </dev/null; rc=$?
if [ "$rc" = 0 ] && grep -q gk-luks-key "$d/out"; then ok "--key UUID:file:FILE after a wrong key"
else nok "--key uuid/file: exit $rc, output [$(cat "$d/out")], $(cat "$d/err")"; fi

# 3. Only a wrong key: an error naming the device, not the key, and no
# prompt (nothing is read from standard input).
printf '%s\n' "$key" >"$d/in"
"$GKINSPECTOR" --keys-from-stdin --no-applications --key /dev/sda1:key:wrong-key-456 \
  -a "$img" >"$d/out" 2>"$d/err" <"$d/in"; rc=$?
if [ "$rc" = 1 ] && grep -q '/dev/sda1: the --key given for this encrypted device did not open it' "$d/err" \
   && [ ! -s "$d/out" ]; then ok "a wrong --key is an error naming the device"
else nok "wrong key: exit $rc, output [$(cat "$d/out")], $(cat "$d/err")"; fi
if grep -q wrong-key-456 "$d/err"; then nok "the wrong key is in the message"
else ok "the wrong key is in no message"; fi

# 4. Malformed selectors: exit 1 at once, one line naming the selector's
# ID (never what may be a key), nothing launched (-v would show it).
bad=0
for sel in "$key" "/dev/sda1:$key" /dev/sda1:key: /dev/sda1:clevis "/dev/sda1:file:$d/none"; do
  for prog in "$GKINSPECTOR" "$GKFISH"; do
    "$prog" -v -a "$img" --key "$sel" -i >"$d/out" 2>"$d/err" </dev/null; rc=$?
    if [ "$rc" != 1 ] || [ "$(wc -l <"$d/err")" != 1 ] || grep -qF -f "$d/pat" "$d/err" \
       || ! grep -q -- '--key' "$d/err"; then
      bad=$((bad + 1)); echo "# $prog --key [$sel]: exit $rc: $(cat "$d/err")"
    fi
  done
done
if [ "$bad" = 0 ]; then ok "malformed selectors fail before launch"; else nok "$bad malformed selectors"; fi
if "$GKFISH" --key /dev/sda1:clevis 2>&1 | grep -q 'not supported'; then ok "ID:clevis: not supported"
else nok "ID:clevis: $("$GKFISH" --key /dev/sda1:clevis 2>&1)"; fi

# 5. gkfish -i --key, traced (-x) and verbose: the guest is mounted, and
# neither the trace nor the debug output holds the key.
# shellcheck disable=SC2086
out=$("$GKFISH" $backend -x -v --ro --keys-from-stdin -a "$img" -i --key "/dev/sda1:key:$key" -- \
  cat /etc/hostname : mounts 2>"$d/err" </dev/null); rc=$?
if [ "$rc" = 0 ] && [ "$out" = "gk-luks-key
/dev/vgl/root" ]; then ok "gkfish -i --key"
else nok "gkfish -i --key: exit $rc, output [$out], $(tail -5 "$d/err")"; fi
if grep -q '^gkfish: trace: cat "/etc/hostname"' "$d/err"; then ok "-x traced the commands"
else nok "-x: no trace in $(tail -3 "$d/err")"; fi
nokey "gkfish -x -v output" "$d/err"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
