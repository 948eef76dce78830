#!/bin/sh
# guestfish compatibility (issue 15, "Behaviour that breaks scripts
# silently"): what scripts parse and rely on, run through gkfish.
#
# The expected outputs are written from guestfish 1.48's documented
# behaviour (guestfish(1): --listen/--remote, "-h CMD", string lists split
# on spaces, hashes printed "key: value", -i read-write unless --ro,
# LIBGUESTFS_* variables, copy-in/copy-out with several sources); what
# could be recorded from guestfish 1.48 itself is in tests/compat/ and
# tests/test-compat-recorded.sh.
#
# Two appliances: a --listen session (configured over --remote before it
# launches) and a "gkfish -i" run on the disk that session wrote.
# Also guestfish's add-ro, ping-daemon, sparse, alloc/allocate, set-smp.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
. "${TOP_SRCDIR:-$top}/tests/gkfish-check.sh"
# This test sets the libguestfs variables itself.
unset LIBGUESTFS_MEMSIZE LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE

# ---- no appliance ------------------------------------------------------

# Underscore spellings, -h CMD and help CMD.
run_ "$GKFISH" -h list_partitions
check "-h list_partitions describes it" 0 "*"
case $out in "list-partitions - "*) ok "-h CMD: the command's help" ;;
  *) nok "-h list_partitions: [$out]" ;; esac
run_ "$GKFISH" -- help mkdir_p
case $rc$out in "0mkdir-p - "*) ok "help mkdir_p" ;; *) nok "help mkdir_p: $rc [$out] [$err]" ;; esac
run_ "$GKFISH" -- mkdir_p
check "mkdir_p is mkdir-p (its usage error, nothing launched)" 1 "" "usage: mkdir-p path"
run_ "$GKFISH" -- set_memsize 300 : get_memsize
check "set_memsize / get_memsize" 0 "300"

# Environment.
run_ env LIBGUESTFS_MEMSIZE=700 "$GKFISH" -- get-memsize
check "LIBGUESTFS_MEMSIZE sets the memory" 0 "700"
run_ env LIBGUESTFS_MEMSIZE=12 "$GKFISH" -- get-memsize
check "LIBGUESTFS_MEMSIZE out of range is an error" 1 "" "set-memsize: 12 MiB is out of range"
run_ env -u GUESTKIT_BACKEND LIBGUESTFS_BACKEND=direct "$GKFISH" -- get-backend
check "LIBGUESTFS_BACKEND=direct: get-backend prints direct, as guestfish" 0 "direct"
run_ env -u GUESTKIT_BACKEND LIBGUESTFS_BACKEND=libvirt "$GKFISH" -- get-backend
check "LIBGUESTFS_BACKEND=libvirt: the libvirt backend" 0 "libvirt"
run_ env -u GUESTKIT_BACKEND LIBGUESTFS_BACKEND=bogus "$GKFISH" -- get-backend
check "LIBGUESTFS_BACKEND=bogus: guestfish's error, then the default" 0 "qemu" "invalid backend: bogus"
run_ env -u GUESTKIT_BACKEND "$GKFISH" -- set-backend direct : get-backend
check "set-backend direct: get-backend prints direct" 0 "direct"
run_ env -u GUESTKIT_BACKEND "$GKFISH" -- set-backend foo : get-backend
check "set-backend foo: refused with guestfish's words" 1 "" "invalid backend: foo"
run_ env LIBGUESTFS_TRACE=1 "$GKFISH" -- set-memsize 300 : echo hi
[ "$rc$out" = 0hi ] && [ "$err" = "gkfish: trace: set_memsize 300
gkfish: trace: set_memsize = 0
gkfish: trace: shutdown
gkfish: trace: shutdown = 0" ] && ok "LIBGUESTFS_TRACE=1 traces calls like -x (built-ins are not traced)" \
  || nok "LIBGUESTFS_TRACE=1: $rc [$out] [$err]"
run_ env LIBGUESTFS_TRACE=0 "$GKFISH" -- set-memsize 300 : echo hi
check "LIBGUESTFS_TRACE=0 does not" 0 "hi"

# disk-create before launch, and guestfish's size suffixes on int64
# arguments (guestfish 1.48 made a 10485760-byte file of "raw 10M").
run_ "$GKFISH" -- disk-create "$d/dc.img" raw 10M : disk-create "$d/dc.qcow2" qcow2 -1 \
  backingfile:"$d/dc.img" backingformat:raw
check "disk-create raw 10M, then a qcow2 overlay of it, before launch" 0 ""
[ "$(stat -c %s "$d/dc.img")" = 10485760 ] && qemu-img info "$d/dc.qcow2" | grep -q "^backing file: $d/dc.img" \
  && ok "disk-create: 10M is 10485760 bytes; the overlay names its backing file" \
  || nok "disk-create: $(ls -l "$d"/dc.*)"
run_ "$GKFISH" -- disk-create "$d/dc2.img" raw 1MB : disk-create "$d/dc3.img" raw 1KiB
[ "$rc" = 0 ] && [ "$(stat -c %s "$d/dc2.img")" = 1000000 ] && [ "$(stat -c %s "$d/dc3.img")" = 1024 ] \
  && ok "size suffixes: 1MB is 1000000 (exactly, as guestfish), 1KiB 1024" || nok "1MB/1KiB: $rc [$err]"
run_ "$GKFISH" -- disk-create "$d/dc6.qcow2" qcow2 -1 backingfile:dc.img : disk-create "$d/dc7.qcow2" qcow2 -1 backingfile:"$d/dc6.qcow2"
[ "$rc" = 0 ] && qemu-img info "$d/dc6.qcow2" | grep -q "^backing file format: raw" \
  && qemu-img info "$d/dc7.qcow2" | grep -q "^backing file format: qcow2" \
  && ok "disk-create without backingformat: raw / qcow2 from the backing file (relative to the overlay)" \
  || nok "backing format detection: $rc [$err]"
run_ "$GKFISH" -- disk-create "$d/dc5.qcow2" qcow2 1M clustersize:128K
[ "$rc" = 0 ] && qemu-img info "$d/dc5.qcow2" | grep -q "^cluster_size: 131072" \
  && ok "size suffixes on int arguments too (clustersize:128K)" || nok "clustersize:128K: $rc [$err]"
# What libguestfs's own tests use: setenv/unsetenv, version, add-drive-opts
# and iface:virtio (libguestfs's name for virtio-blk).
run_ "$GKFISH" -- setenv GK_T1 "a b" : '!echo "[$GK_T1]"' : unsetenv GK_T1 : '!echo "[${GK_T1-unset}]"'
check "setenv and unsetenv reach host commands" 0 "[a b]
[unset]"
run_ "$GKFISH" -- setenv A=b c
check "setenv of a name with '=' is an error" 1 "" "setenv: A=b: Invalid argument"
# set-trace (alias trace) mid-script, and parse-environment reading
# LIBGUESTFS_TRACE again (libguestfs's booleans, t and f included).
run_ "$GKFISH" -- set-memsize 600 : trace on : get-memsize : trace off : get-memsize
check "trace on/off: only the calls in between are traced" 0 "600
600" "gkfish: trace: get_memsize = 600"
[ "$(grep -c "trace:" "$d/err")" = 4 ] && ok "trace: get_memsize and set_trace false, call and result" \
  || nok "trace lines: $(cat "$d/err")"
run_ "$GKFISH" -- setenv LIBGUESTFS_TRACE t : parse-environment : get-trace : setenv LIBGUESTFS_TRACE f : parse-environment : get-trace
check "parse-environment: LIBGUESTFS_TRACE t, then f" 0 "true
false" "-"
# Event handlers (guestfish's event, list-events, delete-event): numbered
# in the order set, "launch" is launch_done, reopen runs the close
# handlers and drops them all, enter gets the call's name.
run_ "$GKFISH" -a /dev/null -- event ev1 '*' 'echo $EVENT $@' : event ev1 '*' 'echo $EVENT $@' : \
  event ev2 close,launch 'echo $EVENT $@' : list-events : delete-event ev1 : list-events : \
  event ev3 enter 'echo $EVENT $@' : get-memsize : reopen : list-events : -delete-event ev3
check "event, list-events, delete-event, enter, reopen's close" 0 '"ev1" (0): *: echo $EVENT $@
"ev1" (1): *: echo $EVENT $@
"ev2" (2): close,launch_done: echo $EVENT $@
"ev2" (2): close,launch_done: echo $EVENT $@
enter get_memsize
512
enter reopen
close' "delete-event: ev3: no event handler of that name"
run_ "$GKFISH" -- event e bogus 'true'
check "an unknown event is refused" 1 "" "event: unknown event 'bogus'"
run_ "$GKFISH" -- event f enter 'echo "[$1]"; false' : get-memsize
check "a failing handler is no error; \$1 is the call" 0 "[get_memsize]
512"
run_ "$GKFISH" version
check "version: the library's, as gkfish --version" 0 "major: $(echo "$("$GKFISH" --version)" | sed 's/.* \([0-9]*\)\..*/\1/')
minor: $("$GKFISH" --version | sed 's/.* [0-9]*\.\([0-9]*\)\..*/\1/')
release: $("$GKFISH" --version | sed 's/.* [0-9]*\.[0-9]*\.\([0-9]*\).*/\1/')
extra: "
run_ "$GKFISH" -- add-drive-opts "$d/dc.img" iface:virtio format:raw : add-drive-opts "$d/dc.img" readonly:true iface:ide : debug-drives
check "add-drive-opts; iface:virtio is virtio-blk" 0 "$d/dc.img format=raw protocol=file
$d/dc.img readonly iface=ide protocol=file"
run_ "$GKFISH" -- disk-create "$d/dc4.img" raw 10X
check "disk-create raw 10X: a usage error" 1 "" "expected a 64 bit integer"
run_ "$GKFISH" -- disk-create "$d/dc4.img" raw -1
check "disk-create raw -1 without a backing file: an error" 1 "" "-1 only with a backing file"

run_ env -u GUESTFISH_PID -u GKFISH_PID "$GKFISH" --remote ls /
check "--remote with neither variable" 1 "" "GUESTFISH_PID is not set"

# ---- --listen, configured over --remote before launch ----------------

truncate -s 128M "$d/disk.img"
out=$("$GKFISH" --listen -a "$d/disk.img")
rc=$?
server=$(printf '%s' "$out" | sed -n 's/^GUESTFISH_PID=\([0-9]*\); export GUESTFISH_PID$/\1/p')
if [ "$rc" = 0 ] && [ -n "$server" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]; then
  ok "--listen prints exactly 'GUESTFISH_PID=N; export GUESTFISH_PID' [$out]"
else
  nok "--listen: status $rc, output [$out]"
fi
# What tools do with that line: split on ';'.
first=$(printf '%s' "$out" | cut -d';' -f1)
[ "$first" = "GUESTFISH_PID=$server" ] && ok "its first ';' field is the assignment" \
  || nok "first field [$first]"
eval "$out"
R () { run_ "$GKFISH" --remote "$@"; }
R get-pid
check "not launched yet: no backend process" 1 "" "-"
R set-memsize 700
check "set-memsize over --remote before run (a config call: fails once launched)" 0 ""
# guestfish's sparse, allocate and add-ro, and set-smp, also before run.
printf 'keep me' >"$d/ro.img"
truncate -s 1M "$d/ro.img"
ro_sum=$(sha256sum <"$d/ro.img")
R sparse "$d/sparse.img" 10M : allocate "$d/alloc.img" 1M : add-ro "$d/ro.img" : \
  set-smp 2 : get-smp
check "sparse, allocate, add-ro, set-smp before run" 0 "2"
[ "$(stat -c %s "$d/sparse.img")" = 10485760 ] && [ "$(stat -c %b "$d/sparse.img")" = 0 ] \
  && ok "sparse makes a 10M file with no blocks" || nok "sparse.img: $(ls -ls "$d/sparse.img")"
[ "$(stat -c %s "$d/alloc.img")" = 1048576 ] && [ "$(stat -c %b "$d/alloc.img")" -gt 0 ] \
  && ok "allocate makes a 1M file with its blocks" || nok "alloc.img: $(ls -ls "$d/alloc.img")"
R run
check "run launches" 0 ""
R get-pid
qpid=$out
args=$(tr '\0' ' ' <"/proc/$qpid/cmdline" 2>&1)
case $args in *"-m 700 "*) ok "the appliance runs with the memory set over --remote" ;;
  *) nok "qemu $qpid cmdline lacks -m 700: [$args]" ;; esac
case $args in *"-smp 2 "*) ok "set-smp 2 is qemu's -smp 2" ;;
  *) nok "qemu $qpid cmdline lacks -smp 2: [$args]" ;; esac
R ping-daemon : list-devices
check "ping-daemon; the added drives are there" 0 "/dev/sda
/dev/sdb
/dev/sdc
/dev/sdd"
R zero /dev/sdd
check "a write to the add-ro drive (goes to an overlay)" 0 ""
[ "$(sha256sum <"$d/ro.img")" = "$ro_sum" ] && ok "the add-ro image is unchanged" \
  || nok "add-ro image changed"
R set-memsize 800
check "set-memsize after run fails (proves the check above)" 1 "" "-"
run_ env -u GUESTFISH_PID GKFISH_PID="$server" "$GKFISH" --remote echo gk
check "gkfish's own GKFISH_PID still works" 0 "gk"

R part-disk /dev/sda mbr : mkfs ext4 /dev/sda1 : mount /dev/sda1 /
check "part-disk, mkfs, mount" 0 ""

# Hash-style returns print "key: value" lines.
R list-filesystems
check "list-filesystems prints 'dev: type'" 0 "/dev/sda1: ext4
/dev/sdb: unknown
/dev/sdc: unknown
/dev/sdd: unknown"
R mountpoints
check "mountpoints prints 'dev: mountpoint'" 0 "/dev/sda1: /"
R blkid /dev/sda1
case $out in *"TYPE: ext4"*) ok "blkid prints 'NAME: value'" ;; *) nok "blkid: [$out]" ;; esac

# String lists given as one word are split on spaces, "..." grouping.
R echo-daemon "a   b"
check "one word 'a   b' is two list items" 0 "a b"
R echo-daemon 'x "y  z"'
check "quotes inside the word group" 0 "x y  z"
R echo-daemon a "b  c"
check "several words stay as written (gkfish)" 0 "a b  c"

# Struct, bool, int printing; stat with guestfish's field names.
R write /f abc : is-file /f : is-dir /f : wc-c /f
check "booleans true/false, ints in decimal" 0 "true
false
3"
R lstatns-list / f
case $out in "[0] = {
  st_dev: "*"  st_size: 3
"*"}") ok "struct lists print '[0] = {' blocks, fields indented" ;;
  *) nok "lstatns-list: [$out]" ;; esac
R stat /f
names=$(printf '%s\n' "$out" | cut -d: -f1 | tr '\n' ' ')
[ "$names" = "dev ino mode nlink uid gid rdev size blksize blocks atime mtime ctime " ] \
  && ok "stat prints guestfish's field names" || nok "stat fields: [$names]"
case $out in *"size: 3"*) ok "stat size: 3" ;; *) nok "stat: [$out]" ;; esac
R statns /f
case $out in *"st_size: 3"*"st_atime_nsec: "*) ok "statns keeps st_ names" ;;
  *) nok "statns: [$out]" ;; esac

# copy-in and copy-out with several sources.
mkdir "$d/in" "$d/got"
echo one >"$d/in/one"; echo two >"$d/in/two"
R mkdir /c : copy-in "$d/in/one" "$d/in/two" /c : ls /c
check "copy-in of two sources" 0 "one
two"
R copy-out /c/one /c/two "$d/got"
check "copy-out of two sources" 0 ""
[ "$(cat "$d/got/one" "$d/got/two" 2>&1)" = "one
two" ] && ok "both files copied out" || nok "copied out: [$(ls "$d/got")]"

# A minimal guest for -i: the os-release and fstab inspection reads.
R mkdir /etc : write /etc/os-release "ID=debian
VERSION_ID=12" : write /etc/hostname compat : \
  write /etc/fstab "/dev/sda1 / ext4 defaults 0 1"
check "write a minimal guest" 0 ""
# An event handler set over --remote: its close handler writes to the
# client that ends the server (libguestfs's test-remote-events).
R event close_event close "echo closed"
check "event over --remote" 0 ""
R list-events
check "list-events over --remote" 0 '"close_event" (0): close: echo closed'
R exit
check "--remote exit: the close handler's output reaches that client" 0 "closed"
i=0
while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
server=

# ---- -i without --ro mounts read-write, as guestfish ---------------------

run_ "$GKFISH" -a "$d/disk.img" -i -- touch /written : exists /written : cat /etc/hostname
check "-i without --ro/--rw writes" 0 "true
compat"

# ---- edit: $EDITOR on a private copy, uploaded only if changed ----------

# The file's change time (seconds and nanoseconds) and mode.
ed_stat () { printf '%s\n' "$1" | grep -E '^st_(ctime_sec|ctime_nsec|mode):'; }
run_ env EDITOR=true "$GKFISH" -a "$d/disk.img" -m /dev/sda1 -- \
  write /e same : chmod 0600 /e : statns /e : edit /e : statns /e
half=$(($(printf '%s\n' "$out" | wc -l) / 2))
s1=$(printf '%s\n' "$out" | head -n "$half") s2=$(printf '%s\n' "$out" | tail -n "$half")
[ "$rc" = 0 ] && [ -n "$(ed_stat "$s1")" ] && [ "$(ed_stat "$s1")" = "$(ed_stat "$s2")" ] \
  && ok "edit with an editor that changes nothing: the file is not written" \
  || nok "edit, unchanged: $rc [$out] [$err]"
run_ env EDITOR="sed -i s/same/changed/" "$GKFISH" -a "$d/disk.img" -m /dev/sda1 -- \
  edit /e : cat /e : stat /e
case $rc$out in "0changed
dev: "*) ;; *) out="unexpected: $out" ;; esac
[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx "mode: 33152" \
  && ok "edit with EDITOR a sed script: changed, uploaded, mode 0600 kept" \
  || nok "edit, changed: $rc [$out] [$err]"
run_ env EDITOR="sed -i s/changed/linked/" "$GKFISH" -a "$d/disk.img" -m /dev/sda1 -- \
  ln-s e /elink : edit /elink : is-symlink /elink : cat /e
check "edit through a symbolic link: the target changes, the link stays" 0 "true
linked"
run_ env EDITOR=false "$GKFISH" -a "$d/disk.img" -m /dev/sda1 -- edit /e
check "edit: an editor that fails is an error" 1 "" "the editor (false) failed; /e is unchanged"
run_ env EDITOR=false "$GKFISH" -a "$d/disk.img" -m /dev/sda1 -- cat /e
check "... and the file is as it was" 0 "linked"
# make check gives each test a TMPDIR of its own (tests/run-test.sh).
leftover=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'gkfish-edit.*' -user "$(id -u)" 2>/dev/null)
[ -z "$leftover" ] && ok "edit leaves no temporary directory" || nok "edit left $leftover"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
