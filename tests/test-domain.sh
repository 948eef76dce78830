#!/bin/sh
# add-domain and gkfish -d/-c (guestfish's way to open a libvirt guest),
# against libvirt's test driver (test:///FILE.xml: domains described in a
# file, no daemon): the disks in XML order with their formats and
# <readonly/>, a running domain refused read-write, readonlydisk's four
# modes, allowuuid, debug-drives in libguestfs's words; disks libvirt
# points at that guestkit refuses (network, vmdk, a qcow2 backing file, a
# comma in the path, too many disks) are errors naming the disk, and an
# error adds no disk at all.  One appliance: -d's disks really are the
# guest's, read-only ones keep every byte.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
for p in md5sum mkfs.ext4 qemu-img; do
  command -v $p >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
done
d=$(mktemp -d /tmp/test-domain.XXXXXX)
trap 'rm -rf "$d"' EXIT

truncate -s 32M "$d/a.img" "$d/b.img" "$d/d.img"
mkfs.ext4 -q -F -L guest-a "$d/a.img"
qemu-img create -q -f qcow2 "$d/c.img" 32M
qemu-img create -q -f qcow2 -b "$d/c.img" -F qcow2 "$d/back.qcow2"
# node NAME RUNSTATE DISKS-XML: a libvirt test-driver file with one domain
# (runstate 1 running, 5 shut off).
node () {
  cat > "$d/$1.xml" <<EOF
<node>
  <domain type="test" xmlns:test="http://libvirt.org/schemas/domain/test/1.0">
    <name>$1</name>
    <uuid>6b1e7b5c-2f43-4e56-9d7e-0c7d3f1a9b$2$2</uuid>
    <os><type>hvm</type></os>
    <memory>524288</memory>
    <devices>
$3
    </devices>
    <test:runstate>$2</test:runstate>
  </domain>
</node>
EOF
}
disks="      <disk type='file'><source file='$d/a.img'/><target dev='hda'/></disk>
      <disk type='file'><driver name='qemu' type='raw'/><source file='$d/b.img'/><target dev='hdb'/></disk>
      <disk type='file'><driver name='qemu' type='qcow2'/><source file='$d/c.img'/><target dev='hdc'/></disk>
      <disk type='file' device='cdrom'><target dev='hdd'/><readonly/></disk>
      <disk type='file'><driver name='qemu' type='raw'/><source file='$d/d.img'/><target dev='hde'/><readonly/></disk>"
node run 1 "$disks"
node off 5 "$disks"
U=test://$d/run.xml O=test://$d/off.xml

# ---- no appliance: the drives each form adds ------------------------------
fish_expect "-d of a running domain with --ro" 0 "" -c "$U" --ro -d run debug-drives
[ "$out" = "$d/a.img readonly protocol=file
$d/b.img readonly format=raw protocol=file
$d/c.img readonly format=qcow2 protocol=file
$d/d.img readonly format=raw protocol=file" ] \
  && ok "debug-drives: XML order, formats as given, the empty CD-ROM left out" || nok "debug-drives: [$out]"
fish_expect "-d of a running domain read-write is refused" 1 \
  "add-domain: run: the domain is running: writing to the disks of a running virtual machine" -c "$U" -d run debug-drives
fish_expect "-d of a shut-off domain: read-write, <readonly/> disks read-only" 0 "" -c "$O" -d off debug-drives
[ "$out" = "$d/a.img protocol=file
$d/b.img format=raw protocol=file
$d/c.img format=qcow2 protocol=file
$d/d.img readonly format=raw protocol=file" ] && ok "-d: readonlydisk read" || nok "-d shut off: [$out]"
fish_expect "unknown domain" 1 "add-domain: no libvirt domain called 'nosuch'" -c "$U" --ro -d nosuch debug-drives
fish_expect "readonlydisk:write (the default) adds <readonly/> disks read-write" 0 "" -- \
  add-domain off "libvirturi:$O" : debug-drives
[ "$(printf '%s\n' "$out" | sed -n 1p)" = 4 ] && printf '%s' "$out" | grep -qx "$d/d.img format=raw protocol=file" \
  && ok "add-domain returns 4; d.img read-write" || nok "readonlydisk write: [$out]"
fish_expect "readonlydisk:ignore skips them" 0 "" -- add-domain off "libvirturi:$O" readonlydisk:ignore : debug-drives
[ "$(printf '%s\n' "$out" | sed -n 1p)" = 3 ] && ! printf '%s' "$out" | grep -q d.img \
  && ok "3 disks, no d.img" || nok "readonlydisk ignore: [$out]"
fish_expect "readonlydisk:error refuses the call" 1 "disk hde ($d/d.img) is <readonly/> in the domain's XML" -- \
  add-domain off "libvirturi:$O" readonlydisk:error
fish_expect "readonlydisk:error with readonly:true is no error" 0 "" -- \
  add-domain off "libvirturi:$O" readonlydisk:error readonly:true
fish_expect "allowuuid: the domain by its UUID" 0 "" -- \
  add-domain 6b1e7b5c-2f43-4e56-9d7e-0c7d3f1a9b55 "libvirturi:$O" allowuuid:true readonly:true
[ "$out" = 4 ] && ok "allowuuid: 4 disks" || nok "allowuuid: [$out]"
fish_expect "a UUID without allowuuid is a name" 1 "no libvirt domain called '6b1e7b5c" -- \
  add-domain 6b1e7b5c-2f43-4e56-9d7e-0c7d3f1a9b55 "libvirturi:$O" readonly:true
fish_expect "live is refused" 1 "live: not supported" --live -c "$O" -d off
fish_expect "a bad URI names it" 1 "cannot connect to libvirt at bogus:///x" -c bogus:///x -d off

# ---- disks guestkit refuses: an error naming the disk, no disk added -----
bad () {   # NAME PATTERN DISK-XML
  node bad 5 "      <disk type='file'><source file='$d/a.img'/><target dev='vda'/></disk>
$3"
  fish_expect "$1" 0 "" -- -add-domain bad "libvirturi:test://$d/bad.xml" : debug-drives
  if grep -q -- "$2" "$d/err" && [ -z "$out" ]; then ok "$1: error names it, no disk added"
  else nok "$1: stderr [$(cat "$d/err")], drives [$out]"; fi
}
bad "a network disk" "disk vdb is a network disk (nbd)" \
  "<disk type='network'><source protocol='nbd' name='x'><host name='127.0.0.1' port='10809'/></source><target dev='vdb'/></disk>"
bad "a vmdk disk" "disk vdb ($d/b.img) has format 'vmdk'" \
  "<disk type='file'><driver name='qemu' type='vmdk'/><source file='$d/b.img'/><target dev='vdb'/></disk>"
bad "a qcow2 with a backing file" "disk vdb: add-drive: $d/back.qcow2: qcow2 image has a backing file" \
  "<disk type='file'><driver name='qemu' type='qcow2'/><source file='$d/back.qcow2'/><target dev='vdb'/></disk>"
cp "$d/b.img" "$d/with,comma.img"
bad "a comma in the path" "disk vdb: add-drive: $d/with,comma.img: file names with ','" \
  "<disk type='file'><source file='$d/with,comma.img'/><target dev='vdb'/></disk>"
bad "a missing file" "disk vdb: add-drive: $d/missing.img: No such file" \
  "<disk type='file'><source file='$d/missing.img'/><target dev='vdb'/></disk>"
many=
for a in a b; do for b in a b c d e f g h i j k l m n o p q r s t; do
  many="$many<disk type='file'><source file='$d/b.img'/><target dev='vd$a$b'/></disk>"
done; done
bad "40 disks" "too many drives" "$many"

# ---- one appliance: the guest's disks ---------------------------------------
sums () { md5sum "$d/a.img" "$d/b.img" "$d/c.img" "$d/d.img" | cut -d' ' -f1 | tr '\n' ' '; }
before=$(sums)
fish_expect "--ro -d run: launch, read the guest's filesystem, write to the overlay" 0 "" \
  -c "$U" --ro -d run -- run : list-devices : vfs-label /dev/sda : mount /dev/sda / : write /new x : cat /new
[ "$out" = "/dev/sda
/dev/sdb
/dev/sdc
/dev/sdd
guest-a
x" ] && ok "four disks, sda is the guest's a.img" || nok "session: [$out]"
[ "$(sums)" = "$before" ] && ok "--ro: no byte of the four images changed" || nok "an image changed"
fish_expect "-d off read-write writes a.img, not the <readonly/> d.img" 0 "" \
  -c "$O" -d off -- run : mount /dev/sda / : write /kept yes : pwrite-device /dev/sdd hello 0 : umount-all
after=$(sums)
[ "${after%% *}" != "${before%% *}" ] && ok "a.img was written" || nok "a.img unchanged"
[ "$(echo "$after" | cut -d' ' -f4)" = "$(echo "$before" | cut -d' ' -f4)" ] && ok "d.img (<readonly/>) unchanged" \
  || nok "d.img changed"
fish_expect "what -d wrote is there" 0 "" -a "$d/a.img" --ro -m /dev/sda -- cat /kept
[ "$out" = yes ] && ok "the write was durable" || nok "cat /kept: [$out]"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
