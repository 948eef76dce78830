#!/bin/sh
# A hostile guest filesystem (security review items 2 and 4, issue 11):
# device nodes, FIFOs and sockets where a user expects files, and guest
# symbolic links in the way of tar-in.
#  1. User mounts are nodev,nosuid unless "dev"/"suid" is asked for: a
#     block node of the second attached disk cannot be read through.
#  2. Every call that reads or writes file contents by path refuses a
#     non-regular file at once, naming it and its type, even on a
#     filesystem mounted with "dev" (c 1:11 /dev/kmsg would block cat
#     forever, c 1:5 /dev/zero would make download endless, a FIFO would
#     block the open, b MAJ:MIN would read or overwrite the other disk).
#  3. tar-in writes nothing outside DIRECTORY whatever symbolic links the
#     guest has there; ".." members are refused, "/" is stripped.
# Two appliances (TCG: about a minute in all).
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"

d=$(mktemp -d /tmp/test-hostile-fs.XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1

truncate -s 64M a.img
truncate -s 8M b.img
printf 'BDISK-MARKER-0123' | dd of=b.img conv=notrunc 2>/dev/null
before=$(sha256sum < b.img)
printf 'local data\n' > local
printf 'aGVsbG8K\n' > b64
T=${GK_TEST_TIMEOUT:-600}

# --- devices, FIFOs, sockets --------------------------------------------
# Calls and their arguments; P is the guest path under test.
calls='cat P
read-file P
read-lines P
pread P 16 0
head P
head-n 3 P
tail P
tail-n 3 P
wc-l P
wc-w P
wc-c P
hexdump P
strings P
strings-e b P
grep x P
egrep x P
fgrep x P
zgrep x P
checksum md5 P
is-zero P
get-e2generation P
base64-out P OUT
compress-out gzip P OUT
download P OUT
download-offset P OUT 0 16
cp P /copy
write P x
write-append P x
pwrite P x 0
fill 65 10 P
fill-pattern ab 10 P
internal-fill 65 10 P
truncate-size P 0
truncate P
fallocate64 P 10
set-e2generation P 1
upload local P
upload-offset local P 0
base64-in b64 P'
ncalls=$(printf '%s\n' "$calls" | wc -l)
# node type as the error names it
nodes='/n block device
/y character device
/z character device
/p FIFO
/s socket'

script() {
  cat <<'EOF'
mkfs ext4 /dev/sda
mount /dev/sda /
debug-sh 'mknod /sysroot/n b $(tr : " " < /sys/class/block/${2#/dev/}/dev); test -b /sysroot/n && echo node-made'
mknod-c 0644 1 11 /y
mknod-c 0644 1 5 /z
mkfifo 0644 /p
mknod 0140644 0 0 /s
debug-sh 'grep " /sysroot " /proc/mounts'
-debug-sh 'head -c 17 /sysroot/n'
EOF
  for mode in nodev dev; do
    if [ $mode = dev ]; then
      echo "umount /"
      echo "mount-options dev,suid /dev/sda /"
      echo "debug-sh 'grep \" /sysroot \" /proc/mounts'"
      echo "debug-sh 'head -c 17 /sysroot/n; echo'"
    fi
    printf '%s\n' "$nodes" | while read -r p _; do
      printf '%s\n' "$calls" | sed "s|P|$p|; s|OUT|$d/out-$mode|; s|^|-|"
    done
  done
  cat <<'EOF'
mknod-c 0644 1 11 /gk-diskbench.dat
-internal-disk-bench seqread / 4096 4096 1
-internal-disk-bench seqwrite / 4096 4096 1
umount /
mount-ro /dev/sda /
debug-sh 'grep " /sysroot " /proc/mounts'
umount /
mount /dev/sda /
is-blockdev /n
is-fifo /p
debug-sh 'grep " /sysroot " /proc/mounts'
EOF
}
script > script
timeout -k 10 "$T" "$GKFISH" -a a.img -a b.img < script > out 2> err
rc=$?
echo "# gkfish exited with $rc"
sed 's/^/# out: /' out | head -20
grep -v 'not a regular file' err | sed 's/^/# err: /' | head -20

grep -q '^node-made$' out && ok "a block node of the second disk is planted" \
    || nok "planting the block node"
mounts=$(grep ' /sysroot ' out)
echo "$mounts" | sed -n 1p | grep -q 'nosuid,nodev' \
  && ok "mount: nodev,nosuid by default" || nok "mount: nodev,nosuid by default"
grep -q 'head: /sysroot/n: Permission denied' err \
  && ok "nodev: the node cannot be opened even in the appliance" \
  || nok "nodev: reading the node"
echo "$mounts" | sed -n 2p | grep -q 'nosuid\|nodev' \
  && nok "mount-options dev,suid lifts both" || ok "mount-options dev,suid lifts both"
grep -q '^BDISK-MARKER-0123$' out \
  && ok "with dev, the node reaches the second disk (so the refusals below matter)" \
  || nok "with dev, the node reaches the second disk"
echo "$mounts" | sed -n 3p | grep -q 'ro,nosuid,nodev' \
  && ok "mount-ro: nodev,nosuid" || nok "mount-ro: nodev,nosuid"
echo "$mounts" | sed -n 4p | grep -q 'nosuid,nodev' \
  && ok "mount after a dev mount: nodev,nosuid again" || nok "mount after a dev mount"

# Every call on every node, in both passes: the error names the path and
# its type.  (A call that hangs makes gkfish time out: all that follow fail.)
want=0
for mode in nodev dev; do
  want=$((want + 1))
  good=0 bad=
  while read -r p type; do
    while read -r call _; do
      n=$(grep -c "stdin:[0-9]*: $call: $p: not a regular file ($type)" err)
      # in order: the first refusal is the nodev pass, the second dev
      if [ "$n" -ge "$want" ]; then
        good=$((good + 1))
      else
        bad="$bad $call:$p"
      fi
    done <<EOF
$calls
EOF
  done <<EOF
$nodes
EOF
  total=$((ncalls * $(printf '%s\n' "$nodes" | wc -l)))
  [ -z "$bad" ] && ok "$mode mount: $good/$total calls refuse the special file, naming it" \
    || nok "$mode mount: refused only $good/$total; not:$bad"
done
[ "$(sha256sum < b.img)" = "$before" ] && ok "the second disk is unchanged" \
  || nok "the second disk was written through the node"
[ ! -e "$d/out-nodev" ] && [ ! -e "$d/out-dev" ] \
  && ok "failed downloads leave no local file" || nok "local files left behind"
grep -q '^true$' out && ok "the nodes themselves are untouched" || nok "the nodes changed"
[ "$(grep -c 'internal-disk-bench: /gk-diskbench.dat: not a regular file (character device)' err)" = 2 ] \
  && ok "internal-disk-bench: a planted data file is not opened" \
  || nok "internal-disk-bench opened a planted data file"
[ "$rc" = 0 ] && ok "the session ends normally" || nok "gkfish exited with $rc"

# --- tar-in ------------------------------------------------------------
mkdir -p src/x src/y
printf 'x\n' > src/x/pwned
printf 'y\n' > src/y/pwned
printf 'evil\n' > src/evil
printf 'abs\n' > "$d/absf"
(cd src && tar cf ../nox.tar --no-recursion x/pwned \
   && tar cf ../noy.tar --no-recursion y/pwned \
   && tar czf ../nox.tgz --no-recursion x/pwned \
   && tar cf ../withx.tar x x/pwned \
   && tar cPf ../dotdot.tar --transform='s,^evil,../evil,' evil) || nok "making archives"
tar cPf abs.tar "$d/absf" 2>/dev/null

timeout -k 10 "$T" "$GKFISH" -a a.img > tout 2> terr <<EOF
mkfs ext4 /dev/sda
mount /dev/sda /
mkdir /d
mkdir /outside
ln-s /tmp /d/x
ln-s ../outside /d/y
-tar-in nox.tar /d
-tar-in noy.tar /d
-tar-in nox.tgz /d compress:gzip
echo appliance-tmp
debug-sh 'ls -A /tmp /run | grep -c pwned || true'
echo outside
ls /outside
echo links
is-symlink /d/x
is-symlink /d/y
tar-in withx.tar /d
echo with-x
is-symlink /d/x
cat /d/x/pwned
-tar-in dotdot.tar /d
echo dotdot
exists /evil
exists /d/evil
tar-in abs.tar /d
cat /d$d/absf
EOF
rc=$?
sed 's/^/# out: /' tout
sed 's/^/# err: /' terr
after() { sed -n "/^$1\$/,\$p" tout | sed -n "2,${2}p" | tr '\n' ' '; }
for m in x/pwned y/pwned; do
  [ "$(grep -c "tar-in: /d: tar failed: tar: $m: Cannot open: Too many levels of symbolic links" terr)" -ge 1 ] \
    && ok "tar-in: $m through a guest symlink is refused, named" \
    || nok "tar-in: $m through a guest symlink not refused"
done
[ "$(grep -c 'x/pwned: Cannot open' terr)" = 2 ] && ok "tar-in compress:gzip: confined too" \
  || nok "tar-in compress:gzip"
[ "$(after appliance-tmp 2)" = "0 " ] && ok "tar-in: nothing written in the appliance's /tmp or /run" \
  || nok "tar-in: the appliance's /tmp or /run got: $(after appliance-tmp 2)"
[ "$(after outside 2)" = "links " ] && ok "tar-in: nothing written in the guest outside DIRECTORY" \
  || nok "tar-in: the guest's /outside got: $(after outside 2)"
[ "$(after links 3)" = "true true " ] && ok "tar-in: refused members leave the guest links" \
  || nok "tar-in: links after refusal: $(after links 3)"
[ "$(after with-x 3)" = "false x " ] \
  && ok "tar-in: an x/ member replaces the link by a directory inside DIRECTORY" \
  || nok "tar-in with an x/ member: $(after with-x 3)"
grep -q "Member name contains '..'" terr && [ "$(after dotdot 3)" = "false false " ] \
  && ok "tar-in: a .. member is refused" || nok "tar-in: .. member: $(after dotdot 3)"
# (cat ends its output with a newline of its own, as guestfish: skip the empty line)
[ "$(sed '/^$/d' tout | tail -n 1)" = abs ] && ok "tar-in: an absolute member lands inside DIRECTORY" \
  || nok "tar-in: absolute member"
[ "$rc" = 0 ] && ok "the tar-in session ends normally" || nok "gkfish exited with $rc"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
