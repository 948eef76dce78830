#!/bin/bash
# Bulk transfer, guestkit vs libguestfs, interleaved in one run: upload,
# upload-no-write and write-no-upload of 500 MiB into a fresh 1 GiB ext2
# image (the image of shared/research RESULTS.md 1b-d), plus download.
# Usage: bench/upload.sh [RUNS] [WORKDIR]   (defaults 3, /var/tmp/gk-bench)
#        bench/upload.sh --report [WORKDIR]  (the tables again, from WORKDIR/results.txt)
# Needs a built tree and libguestfs-tools.  Prints a markdown table and
# JSON for docs/benchmarks.md.  MiB/s = 500 / op seconds (op: the call
# alone; "+sync": including the following sync).
set -e
cd "$(dirname "$0")/.."
report_only=
if [ "$1" = --report ]; then report_only=1; shift; set -- 0 "$@"; fi
runs=${1:-3}
w=${2:-/var/tmp/gk-bench}
mkdir -p "$w"
res="$w/results.txt"
if [ -z "$report_only" ]; then
n=524288000
[ -s "$w/500M.bin" ] || head -c $n /dev/urandom > "$w/500M.bin"
[ -s "$w/pristine.img" ] || LIBGUESTFS_BACKEND=direct guestfish -N "$w/pristine.img=fs:ext2:1G" exit
export LIBGUESTFS_BACKEND=direct
# Run a snapshot of the built daemon, library and program, so that
# rebuilds in the tree during the run (shared machine) cannot break it.
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
cp daemon/guestkitd lib/.libs/libguestkit.so.0 bench/.libs/xfer "$snap/"
export GUESTKIT_DAEMON="$snap/guestkitd"
export GUESTKIT_APPLIANCE_BUILDER="$PWD/appliance/make-appliance.sh"
export LD_LIBRARY_PATH="$snap"
: > "$res"
fresh () { cp --sparse=always "$w/pristine.img" "$w/disk.img"; }
gk () {   # gk NAME DATAPATH MODE ARG...
  local name=$1 dp=$2; shift 2
  fresh
  local out
  out=$(GUESTKIT_DATAPATH=$dp "$snap/xfer" "$1" "$w/disk.img" "${@:2}")
  local op sync
  op=$(echo "$out" | sed -n 's/^op_us=//p'); sync=$(echo "$out" | sed -n 's/^sync_us=//p')
  echo "$name op $op" >> "$res"; echo "$name opsync $((op + sync))" >> "$res"
  echo "$out" | grep '^xfer\.' | sed "s/^\(.*\)=\(.*\)$/$name \1 \2/" >> "$res"
}
gf () {   # gf NAME GUESTFISH-ARGS...: elapsed times of its `time` commands
  local name=$1; shift
  fresh
  local t
  t=$(guestfish -a "$w/disk.img" -m /dev/sda1 -- "$@" 2>&1 | sed -n 's/^elapsed time: \([0-9.]*\) seconds/\1/p')
  local op sync
  op=$(echo "$t" | sed -n 1p); sync=$(echo "$t" | sed -n 2p)
  echo "$name op $(awk -v a="$op" 'BEGIN {printf "%d", a * 1e6}')" >> "$res"
  [ -n "$sync" ] && echo "$name opsync $(awk -v a="$op" -v b="$sync" 'BEGIN {printf "%d", (a + b) * 1e6}')" >> "$res"
  return 0
}
echo "load before: $(uptime)" >&2
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  gk gk.blk.upload blk upload "$w/500M.bin"
  gk gk.blk.upload-no-write blk upload-discard "$w/500M.bin"
  gk gk.blk.write-no-upload blk fill $n
  gk gk.blk.download blk download "$w/500M.bin" "$w/out.bin"
  gk gk.serial.upload serial upload "$w/500M.bin"
  gk gk.serial.upload-no-write serial upload-discard "$w/500M.bin"
  gk gk.serial.download serial download "$w/500M.bin" "$w/out.bin"
  gk gk.fill-generic blk fill-generic $n
  gf lg.upload time upload "$w/500M.bin" /file : time sync
  gf lg.upload-no-write mknod-c 0666 1 3 /null : time upload "$w/500M.bin" /null
  gf lg.write-no-upload time fill 0 $n /file : time sync
done
echo "load after: $(uptime)" >&2
rm -f "$w/out.bin" "$w/disk.img"
fi
runs=$(awk '$1 == "gk.blk.upload" && $2 == "op"' "$res" | wc -l)
# name key -> median of the values
med () { awk -v n="$1" -v k="$2" '$1 == n && $2 == k {print $3}' "$res" | sort -n |
         awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print ""}'; }
rate () { [ -n "$1" ] && awk -v u="$1" 'BEGIN {printf "%.1f", 500 / (u / 1e6)}' || echo "-"; }
secs () { [ -n "$1" ] && awk -v u="$1" 'BEGIN {printf "%.2f", u / 1e6}' || echo "-"; }
echo "| figure (500 MiB, median of $runs) | guestkit blk: s, MiB/s | guestkit serial: s, MiB/s | libguestfs 1.48: s, MiB/s | blk / libguestfs |"
echo "|---|---|---|---|---|"
for f in upload upload-no-write write-no-upload download; do
  b=$(med gk.blk.$f op); s=$(med gk.serial.$f op); l=$(med lg.$f op)
  ratio=$([ -n "$b" ] && [ -n "$l" ] && awk -v a="$b" -v b="$l" 'BEGIN {printf "%.1fx", b / a}' || echo "-")
  echo "| $f | $(secs "$b"), $(rate "$b") | $(secs "$s"), $(rate "$s") | $(secs "$l"), $(rate "$l") | $ratio |"
done
b=$(med gk.blk.upload opsync); l=$(med lg.upload opsync)
echo "| upload + sync | $(secs "$b"), $(rate "$b") | $(secs "$(med gk.serial.upload opsync)"), $(rate "$(med gk.serial.upload opsync)") | $(secs "$l"), $(rate "$l") | $(awk -v a="$b" -v b="$l" 'BEGIN {printf "%.1fx", b / a}') |"
g=$(med gk.fill-generic op)
echo "| write-no-upload with the generic \`fill\` (buffered) | $(secs "$g"), $(rate "$g") | | | |"
echo
echo "Where the time went (guestkit, median ms):"
echo
echo "| run | wall | host_io | transport | guest_write | guest_fsync |"
echo "|---|---|---|---|---|---|"
for nm in gk.blk.upload gk.blk.upload-no-write gk.blk.write-no-upload gk.blk.download gk.serial.upload gk.serial.upload-no-write gk.serial.download; do
  row="| ${nm#gk.} |"
  for k in xfer.wall xfer.host_io xfer.transport xfer.guest_write xfer.guest_fsync; do
    v=$(med $nm $k); row="$row $([ -n "$v" ] && awk -v u="$v" 'BEGIN {printf "%.0f", u / 1000}' || echo -) |"
  done
  echo "$row"
done
echo
echo '```json'
echo '{'
awk '{k=$1 "." $2; v[k]=v[k] (v[k] == "" ? "" : ", ") $3} END {for (k in v) printf "  \"%s\": [%s]\n", k, v[k]}' "$res" |
  sort | sed '$!s/$/,/'
echo '}'
echo '```'
