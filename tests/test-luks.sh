#!/bin/sh
# LUKS with gkfish, as guestfish scripts use it: keys are not words of a
# command but read when the command runs (--keys-from-stdin: one line of
# standard input each, after the script line that needs it, or from a
# pipe for commands given on the command line); LVM inside LUKS is found
# in a new session; a wrong key fails without the key in any message.
# gkfish -i and gkinspector open LUKS before inspection.  Five
# appliances.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
backend=${GK_TEST_BACKEND:+--backend=$GK_TEST_BACKEND}
GKINSPECTOR=${GKINSPECTOR:-${TOP_BUILDDIR:-$top}/fish/gkinspector}

d=$(mktemp -d /tmp/test-luks.XXXXXX)
trap 'rm -rf "$d"' EXIT
img=$d/disk.img
truncate -s 128M "$img"
key='pass phrase: with spaces'

# The usage line has no key argument (guestfish's synopsis).
if "$GKFISH" -h luks-open | grep -qx 'usage: luks-open device mapname'; then
  ok "luks-open usage has no key argument"
else nok "luks-open usage: $("$GKFISH" -h luks-open | grep usage)"; fi

# 1. A script on stdin, each key on the line after its command: LUKS,
# LVM inside, a file.
# shellcheck disable=SC2086
out=$(printf '%s\n' 'part-disk /dev/sda mbr' 'luks-format /dev/sda1 0' "$key" \
  'luks-open /dev/sda1 lk' "$key" 'vgcreate vgl /dev/mapper/lk' \
  'lvcreate root vgl 32' 'mkfs ext4 /dev/vgl/root' 'mount /dev/vgl/root /' \
  'write /f inside' 'mkdir /etc' 'write /etc/hostname gk-luks' \
  'write /etc/os-release ID=debian' 'write /etc/fstab "/dev/vgl/root / ext4 defaults 0 1"' \
  'umount-all' 'vg-activate-all false' \
  'luks-close /dev/mapper/lk' 'vfs-type /dev/sda1' |
  "$GKFISH" $backend --keys-from-stdin -a "$img" 2>"$d/err"); rc=$?
if [ "$rc" = 0 ] && [ "$out" = crypto_LUKS ]; then ok "format, LVM inside, close"
else nok "format: exit $rc, output [$out], $(cat "$d/err")"; fi

# 2. A new session, commands on the command line, the key from a pipe:
# the VG inside is found once the mapping is open.
# shellcheck disable=SC2086
out=$(printf '%s\n' "$key" | "$GKFISH" $backend --keys-from-stdin -a "$img" -- \
  luks-open /dev/sda1 lk : lvm-scan true : mount-ro /dev/vgl/root / : \
  cat /f : lvs 2>"$d/err"); rc=$?
if [ "$rc" = 0 ] && [ "$out" = "inside
/dev/vgl/root" ]; then ok "reopen with the key: LVM on LUKS found"
else nok "reopen: exit $rc, output [$out], $(cat "$d/err")"; fi
case $out in *"$key"*) nok "the key was echoed on stdout" ;; *) ok "no key on stdout" ;; esac

# 3. A wrong key: EPERM-like failure, exit status 1, the key in no
# message; and no key at all (end of input) is an error, not an empty key.
# shellcheck disable=SC2086
out=$(printf 'wrong-key-123\n' | "$GKFISH" $backend --keys-from-stdin -a "$img" -- \
  luks-open /dev/sda1 lk : echo-daemon notreached 2>"$d/err"); rc=$?
if [ "$rc" = 1 ] && grep -q 'No key available' "$d/err" && [ -z "$out" ]
then ok "a wrong key fails"
else nok "wrong key: exit $rc, output [$out], $(cat "$d/err")"; fi
if grep -q wrong-key-123 "$d/err"; then nok "the wrong key is in the message"
else ok "the key is in no message"; fi

# 4. gkfish -i opens the encrypted device before inspection (its key
# read like any other) and finds the root in the LVM inside.
# shellcheck disable=SC2086
out=$(printf '%s\n' "$key" | "$GKFISH" $backend --ro --keys-from-stdin -a "$img" -i -- \
  cat /etc/hostname : mounts 2>"$d/err"); rc=$?
if [ "$rc" = 0 ] && [ "$out" = "gk-luks
/dev/vgl/root" ]; then ok "-i on LVM on LUKS"
else nok "-i: exit $rc, output [$out], $(cat "$d/err")"; fi

# 5. gkinspector the same way (--keys-from-stdin).
out=$(printf '%s\n' "$key" | "$GKINSPECTOR" --keys-from-stdin --no-applications \
  -a "$img" 2>"$d/err"); rc=$?
if [ "$rc" = 0 ] && printf '%s' "$out" | grep -q 'gk-luks'; then ok "gkinspector on LVM on LUKS"
else nok "gkinspector: exit $rc, output [$out], $(cat "$d/err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
