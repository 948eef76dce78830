#!/bin/sh
# Windows inspection from the registry (daemon/calls/inspect-registry.c,
# libhivex) on the images of tests/images/make-windows-image.sh: product
# name, variant, version, build, host name through Select\Current, drive
# letters by MBR signature and by GPT GUID, applications from Uninstall
# and WOW6432Node; then hostile hives (truncated, garbage, a directory, a
# FIFO, too many keys) give "unknown" or an error naming the hive, never
# a crash or a hang.  One gkfish or gkinspector run per group.
set -u
. "$(dirname "$0")/gkfish-env.sh"
. "$top/tests/inspect-check.sh"

for tool in jq hivexregedit hivexget python3 sfdisk; do
  if ! command -v $tool >/dev/null 2>&1 && ! [ -x /usr/sbin/$tool ] && ! [ -x /sbin/$tool ]; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77
  fi
done

start=$(date +%s)
images=${GK_WINDOWS_IMAGES:-${GK_TEST_IMAGES:-/var/tmp/gk-test-images}/windows}
mkdir -p "$images"
"$top/tests/images/make-windows-image.sh" "$images" || {
  nok "building the Windows images"; echo "$pass passed, $fail failed"; exit 1; }
echo "# images in $images ($(( $(date +%s) - start )) s)"

# ---- the hives are real: hivex's own tools read them back --------------
sw=$d/SOFTWARE
# (read with gkfish from the image, so what is checked is what is on it)
run_ "$GKFISH" --ro -a "$images/win10.img" -- mount-ro /dev/sda1 / : \
  download /Windows/System32/config/SOFTWARE "$sw" : \
  download /Windows/System32/config/SYSTEM "$d/SYSTEM"
expect "hives downloaded" [ "$rc" = 0 ]
expect "hivexget reads ProductName" \
  [ "$(hivexget "$sw" '\Microsoft\Windows NT\CurrentVersion' ProductName 2>&1)" = "Windows 10 Pro" ]
expect "hivexget reads the host name" \
  [ "$(hivexget "$d/SYSTEM" '\ControlSet001\Services\Tcpip\Parameters' Hostname 2>&1)" = GK-WIN10 ]

# ---- gkinspector --json on both images ---------------------------------
sum=$(cat "$images/win10.img" "$images/win11.img" | sha256sum)
run_ "$GKINSPECTOR" -a "$images/win10.img" -a "$images/win11.img" --json
expect "gkinspector win10+win11: exit 0" [ "$rc" = 0 ]
a='.operatingsystems[0]' b='.operatingsystems[1]'
jq_is "two roots" '[.operatingsystems[].root] | join(",")' "/dev/sda1,/dev/sdb1"
jq_is "win10: type, distro, arch" "$a | [.type, .distro, .arch] | join(\" \")" "windows windows x86_64"
jq_is "win10: product name" "$a.product_name" "Windows 10 Pro"
jq_is "win10: version 10.0" "$a | [.major_version, .minor_version] | join(\".\")" "10.0"
jq_is "win10: host name" "$a.hostname" GK-WIN10
jq_is "win10: applications by DisplayName, sorted; none for a key without one" \
  "[$a.applications[] | .name + \"=\" + .version] | join(\",\")" \
  "7-Zip 22.01 (x64 edition)=22.01.00.0,Git=2.43.0,Mozilla Firefox (x64 en-US)=120.0,Notepad++ (32-bit x86)=8.5.8"
jq_is "win11: product name as the registry says it" "$b.product_name" "Windows 10 Pro"
jq_is "win11: host name of ControlSet002 (Select\\Current = 2)" "$b.hostname" GK-WIN11
jq_is "win11: one application" "[$b.applications[].name] | join(\",\")" "Microsoft Office 2016"
expect "images unchanged by gkinspector" \
  [ "$(cat "$images/win10.img" "$images/win11.img" | sha256sum)" = "$sum" ]

# ---- the Windows calls --------------------------------------------------
run_ "$GKFISH" --ro -a "$images/win10.img" -a "$images/win11.img" -- inspect-os : \
  inspect-get-product-variant /dev/sda1 : inspect-get-build-id /dev/sda1 : \
  inspect-get-build-id /dev/sdb1 : inspect-get-windows-systemroot /dev/sda1 : \
  inspect-get-windows-current-control-set /dev/sda1 : \
  inspect-get-windows-current-control-set /dev/sdb1 : \
  inspect-get-drive-mappings /dev/sda1 : inspect-get-drive-mappings /dev/sdb1
expect "variant, builds (11 is >= 22000), systemroot, control sets, drive letters" [ "$out" = "/dev/sda1
/dev/sdb1
Client
19045
22631
/Windows
ControlSet001
ControlSet002
C: /dev/sda1
D: /dev/sda2
C: /dev/sdb1" ]

# ---- hostile hives --------------------------------------------------------
# Copies of win10.img with the SOFTWARE hive replaced; SYSTEM stays good.
bad () {  # NAME GKFISH-COMMAND... (on the mounted C:)
  n=$1; shift
  cp "$images/win10.img" "$d/$n.img"
  "$GKFISH" -a "$d/$n.img" -- mount /dev/sda1 / : rm /Windows/System32/config/SOFTWARE : "$@" >&2 ||
    nok "making $n.img"
}
head -c 8192 "$sw" >"$d/short"                                   # cut mid-bin
{ printf 'regf'; head -c 65532 /dev/urandom; } >"$d/garbage"      # a header, then noise
python3 - "$sw" "$d/cycle" <<'PY'
# The root key's subkey list pointing at the base of the bins: libhivex
# must refuse it, not loop.
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
root = struct.unpack_from("<I", b, 36)[0] + 4096 + 4
struct.pack_into("<I", b, root + 28, 0x20)
open(sys.argv[2], "wb").write(b)
PY
# A ProductName of 70000 characters (over the 64 KiB value limit) and an
# application whose DisplayName is as long: both read as absent (and an
# application without a DisplayName is not listed).
long=$(head -c 70000 /dev/zero | tr '\0' A)
{ printf 'Windows Registry Editor Version 5.00\n\n[\\Microsoft]\n\n[\\Microsoft\\Windows NT]\n\n'
  printf '[\\Microsoft\\Windows NT\\CurrentVersion]\n"ProductName"="%s"\n\n' "$long"
  printf '[\\Microsoft\\Windows]\n\n[\\Microsoft\\Windows\\CurrentVersion]\n\n'
  printf '[\\Microsoft\\Windows\\CurrentVersion\\Uninstall]\n\n'
  printf '[\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\BigName]\n"DisplayName"="%s"\n"DisplayVersion"="1.0"\n\n' "$long"
} >"$d/big.reg"
python3 "$top/tests/images/make-hive.py" "$d/big"
hivexregedit --merge "$d/big" "$d/big.reg" || nok "making the hive with long values"
bad short upload "$d/short" /Windows/System32/config/SOFTWARE
bad garbage upload "$d/garbage" /Windows/System32/config/SOFTWARE
bad cycle upload "$d/cycle" /Windows/System32/config/SOFTWARE
bad dir mkdir /Windows/System32/config/SOFTWARE
bad fifo mkfifo 0644 /Windows/System32/config/SOFTWARE
bad big upload "$d/big" /Windows/System32/config/SOFTWARE
for n in short garbage cycle dir fifo; do
  run_ "$GKFISH" --ro -a "$d/$n.img" -- inspect-os : inspect-get-product-name /dev/sda1 : \
    inspect-get-hostname /dev/sda1 : -inspect-list-applications2 /dev/sda1 : echo end
  expect "$n SOFTWARE: still Windows, product unknown, SYSTEM still read" [ "$out" = "/dev/sda1
unknown
GK-WIN10
end" ]
  expect "$n SOFTWARE: the applications error names the hive" \
    has "$err" "inspect-list-applications2: /Windows/System32/config/SOFTWARE: "
done
run_ "$GKFISH" --ro -a "$d/big.img" -- inspect-os : inspect-get-product-name /dev/sda1 : \
  inspect-list-applications2 /dev/sda1
expect "values over 64 KiB read as absent: product unknown" \
  [ "$(printf '%s' "$out" | head -2)" = "/dev/sda1
unknown" ]
expect "values over 64 KiB read as absent: no application" \
  [ "$(printf '%s\n' "$out" | sed -n 3p)" = "" ]

echo "# $(( $(date +%s) - start )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
