#!/bin/sh
# Windows-shaped test images with a real registry, for tests/test-inspect*.sh:
#
#   make-windows-image.sh DIR     writes DIR/win10.img and DIR/win11.img
#
# Called by make-images.sh (into $CACHE/windows) and test-inspect-windows.sh; the images are kept
# until this script or make-hive.py changes (a stamp file names their
# checksum).  Each is an NTFS system (mkfs ntfs: mkntfs, written through
# ntfs-3g by gkfish) with what libguestfs's inspection also asks of a
# Windows root: \Windows\System32\{config,cmd.exe} (cmd.exe and
# ntoskrnl.exe with an x86-64 PE header) and the SOFTWARE and SYSTEM
# hives.  The hives start from the empty hive make-hive.py writes (hivex
# cannot create one) and are filled by `hivexregedit --merge` from .reg
# text, so every key is written, and read back, by hivex's own tools.
#
#   win10.img  MBR, disk signature 0x4b53474b; sda1 NTFS "Windows" (C:),
#              sda2 NTFS "Data" (D:).  Windows 10 Pro, 10.0 build 19045,
#              Client; host name GK-WIN10 (ControlSet001); MountedDevices
#              C: and D: by signature and offset, and E: on a disk that is
#              not there; four applications under Uninstall (one with no
#              DisplayName) and one under WOW6432Node.
#   win11.img  GPT; sda1 NTFS (C:) by partition GUID.  ProductName still
#              "Windows 10 Pro" as Windows 11 writes it, build 22631;
#              Select\Current = 2, so the host name is ControlSet002's
#              GK-WIN11 (ControlSet001 says WRONG-SET).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make-windows-image.sh DIR}
GKFISH=${GKFISH:-$here/../../fish/gkfish}
key=$(cat "$0" "$here/make-hive.py" | sha256sum | cut -c1-16)
stamp="$out/windows-$key.done"
[ -f "$stamp" ] && exit 0
mkdir -p "$out"
for t in hivexregedit hivexget python3 sfdisk; do
  command -v $t >/dev/null 2>&1 || command -v /usr/sbin/$t >/dev/null 2>&1 || {
    echo "make-windows-image: $t is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
w=$(mktemp -d "${TMPDIR:-/tmp}/gk-winimg.XXXXXX")
trap 'rm -rf "$w"' EXIT
cd "$w"
log () { echo "make-windows-image: $*" >&2; }

# A PE file: DOS header pointing at a PE header for x86-64 (0x8664),
# optional header PE32+ (0x20b), console subsystem: file(1) says
# "PE32+ executable (console) x86-64", as libguestfs wants.
python3 - <<'PY'
import struct
b = bytearray(1024)
b[0:2] = b"MZ"
struct.pack_into("<I", b, 60, 128)
struct.pack_into("<4sHHIIIHH", b, 128, b"PE\0\0", 0x8664, 0, 0, 0, 0, 240, 0x22)
struct.pack_into("<HH", b, 152, 0x20B, 0)
struct.pack_into("<H", b, 152 + 68, 3)
open("pe.exe", "wb").write(b)
PY

# hive NAME REGFILE: an empty hive filled from REGFILE, read back.
hive () {
  python3 "$here/make-hive.py" "$1"
  hivexregedit --merge "$1" "$2"
  hivexregedit --export "$1" '\' >"$1.check"
}

# Keys and their parents: hivexregedit creates a key only under an
# existing one.
software () {  # PRODUCT BUILD APPS...
  printf 'Windows Registry Editor Version 5.00\n\n'
  printf '[\\Microsoft]\n\n[\\Microsoft\\Windows NT]\n\n'
  printf '[\\Microsoft\\Windows NT\\CurrentVersion]\n'
  printf '"ProductName"="%s"\n"EditionID"="Professional"\n' "$1"
  printf '"InstallationType"="Client"\n"CurrentVersion"="6.3"\n'
  printf '"CurrentMajorVersionNumber"=dword:0000000a\n'
  printf '"CurrentMinorVersionNumber"=dword:00000000\n'
  printf '"CurrentBuildNumber"="%s"\n"CurrentBuild"="%s"\n' "$2" "$2"
  printf '"SystemRoot"="C:\\\\Windows"\n\n'
  printf '[\\Microsoft\\Windows]\n\n[\\Microsoft\\Windows\\CurrentVersion]\n\n'
  printf '[\\Microsoft\\Windows\\CurrentVersion\\Uninstall]\n\n'
  printf '[\\WOW6432Node]\n\n[\\WOW6432Node\\Microsoft]\n\n'
  printf '[\\WOW6432Node\\Microsoft\\Windows]\n\n'
  printf '[\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion]\n\n'
  printf '[\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall]\n\n'
}
app () {  # WOW KEY NAME VERSION PUBLISHER
  printf '[\\%sMicrosoft\\Windows\\CurrentVersion\\Uninstall\\%s]\n' "$1" "$2"
  [ -z "$3" ] || printf '"DisplayName"="%s"\n' "$3"
  [ -z "$4" ] || printf '"DisplayVersion"="%s"\n' "$4"
  [ -z "$5" ] || printf '"Publisher"="%s"\n' "$5"
  printf '\n'
}
system () {  # CURRENT HOST1 HOST2 MOUNTED-DEVICES-LINES
  printf 'Windows Registry Editor Version 5.00\n\n'
  printf '[\\Select]\n"Current"=dword:%08x\n"Default"=dword:%08x\n\n' "$1" "$1"
  for n in 1 2; do
    eval "h=\$$((n + 1))"
    printf '[\\ControlSet00%d]\n\n[\\ControlSet00%d\\Services]\n\n' $n $n
    printf '[\\ControlSet00%d\\Services\\Tcpip]\n\n' $n
    printf '[\\ControlSet00%d\\Services\\Tcpip\\Parameters]\n"Hostname"="%s"\n\n' $n "$h"
  done
  printf '[\\MountedDevices]\n%s\n\n' "$4"
}

log "hives"
{ software "Windows 10 Pro" 19045
  app "" "{23170F69-40C1-2702-2201-000001000000}" "7-Zip 22.01 (x64 edition)" 22.01.00.0 "Igor Pavlov"
  app "" "Mozilla Firefox 120.0 (x64 en-US)" "Mozilla Firefox (x64 en-US)" 120.0 Mozilla
  app "" "Git_is1" "Git" 2.43.0 "The Git Development Community"
  app "" "AddressBook" "" "" ""
  app "WOW6432Node\\" "Notepad++" "Notepad++ (32-bit x86)" 8.5.8 "Notepad++ Team"
} >sw10.reg
# C: sda1 at 1 MiB, D: sda2 at 65 MiB, E: another disk's signature.
system 1 GK-WIN10 WRONG-SET '"\\DosDevices\\C:"=hex:4b,47,53,4b,00,00,10,00,00,00,00,00
"\\DosDevices\\D:"=hex:4b,47,53,4b,00,00,10,04,00,00,00,00
"\\DosDevices\\E:"=hex:11,22,33,44,00,00,10,00,00,00,00,00
"\\??\\Volume{0b1e0d2c-1111-2222-3333-444455556666}"=hex:4b,47,53,4b,00,00,10,00,00,00,00,00' >sys10.reg
{ software "Windows 10 Pro" 22631
  app "" "{90160000-008C-0000-1000-0000000FF1CE}" "Microsoft Office 2016" 16.0.4266.1001 "Microsoft Corporation"
} >sw11.reg
# C: by GPT partition GUID 6B3C4F1E-2A5D-4E8F-9A0B-1C2D3E4F5A6B.
system 2 WRONG-SET GK-WIN11 '"\\DosDevices\\C:"=hex:44,4d,49,4f,3a,49,44,3a,1e,4f,3c,6b,5d,2a,8f,4e,9a,0b,1c,2d,3e,4f,5a,6b' >sys11.reg
hive SOFTWARE10 sw10.reg
hive SYSTEM10 sys10.reg
hive SOFTWARE11 sw11.reg
hive SYSTEM11 sys11.reg
[ "$(hivexget SYSTEM11 '\ControlSet002\Services\Tcpip\Parameters' Hostname)" = GK-WIN11 ] || {
  log "SYSTEM11 does not read back"; exit 1; }

log "disks"
truncate -s 96M win10.img
truncate -s 64M win11.img
printf 'label: dos\nlabel-id: 0x4b53474b\nstart=2048, size=131072, type=7\nstart=133120, type=7\n' |
  sfdisk -q win10.img >/dev/null
printf 'label: gpt\nlabel-id: 0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0\nstart=2048, type=EBD0A0A2-B9E5-4433-87C0-68B99B26599C, uuid=6B3C4F1E-2A5D-4E8F-9A0B-1C2D3E4F5A6B\n' |
  sfdisk -q win11.img >/dev/null

"$GKFISH" -a win10.img -a win11.img >&2 <<'GK'
mkfs ntfs /dev/sda1 label:Windows
mkfs ntfs /dev/sda2 label:Data
mkfs ntfs /dev/sdb1 label:Windows
mount /dev/sda2 /
mkdir /Shared
umount-all
mount /dev/sda1 /
mkdir-p /Windows/System32/config
mkdir-p "/Program Files/7-Zip"
mkdir-p "/Program Files (x86)"
mkdir-p /Users/Public
upload pe.exe /Windows/System32/cmd.exe
upload pe.exe /Windows/System32/ntoskrnl.exe
upload SOFTWARE10 /Windows/System32/config/SOFTWARE
upload SYSTEM10 /Windows/System32/config/SYSTEM
umount-all
mount /dev/sdb1 /
mkdir-p /Windows/System32/config
mkdir-p "/Program Files"
upload pe.exe /Windows/System32/cmd.exe
upload pe.exe /Windows/System32/ntoskrnl.exe
upload SOFTWARE11 /Windows/System32/config/SOFTWARE
upload SYSTEM11 /Windows/System32/config/SYSTEM
umount-all
GK
mv win10.img win11.img "$out/"
rm -f "$out"/windows-*.done
touch "$stamp"
log "win10.img, win11.img in $out"
