#!/bin/bash
# Bulk transfer on each backend, interleaved in one run: upload,
# upload-no-write, write-no-upload and download of 500 MiB on a fresh
# 1 GiB ext2 image (the images of bench/upload.sh), blk datapath (the
# staging disk: virtio-blk under qemu, ubd under UML).
# Usage: bench/upload-backends.sh [RUNS] [WORKDIR]  (defaults 3, /var/tmp/gk-bench)
# Needs a built tree (bench/xfer), user-mode-linux and libguestfs-tools
# (for the image).  Prints a markdown table for docs/benchmarks.md.
set -e
cd "$(dirname "$0")/.."
runs=${1:-3}
w=${2:-/var/tmp/gk-bench}
mkdir -p "$w"
n=524288000
[ -s "$w/500M.bin" ] || head -c $n /dev/urandom > "$w/500M.bin"
[ -s "$w/pristine.img" ] || LIBGUESTFS_BACKEND=direct guestfish -N "$w/pristine.img=fs:ext2:1G" exit
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
cp daemon/guestkitd lib/.libs/libguestkit.so.0 bench/.libs/xfer "$snap/"
export GUESTKIT_DAEMON="$snap/guestkitd"
export GUESTKIT_APPLIANCE_BUILDER="$PWD/appliance/make-appliance.sh"
export GUESTKIT_CACHEDIR="$snap/cache"
export LD_LIBRARY_PATH="$snap"
export GUESTKIT_DATAPATH=blk
res="$snap/results.txt"
: > "$res"
one () {   # one BACKEND NAME MODE ARG...
  local b=$1 name=$2; shift 2
  cp --sparse=always "$w/pristine.img" "$snap/disk.img"
  local out
  out=$(GUESTKIT_BACKEND=$b "$snap/xfer" "$1" "$snap/disk.img" "${@:2}")
  echo "$b $name $(echo "$out" | sed -n 's/^op_us=//p')" >> "$res"
}
echo "load before: $(uptime)" >&2
for i in $(seq "$runs"); do
  echo "run $i/$runs" >&2
  for b in qemu uml; do
    one $b upload upload "$w/500M.bin"
    one $b upload-no-write upload-discard "$w/500M.bin"
    one $b write-no-upload fill $n
    one $b download download "$w/500M.bin" "$snap/out.bin"
    rm -f "$snap/out.bin"
  done
done
echo "load after: $(uptime)" >&2
med () { awk -v b="$1" -v n="$2" '$1 == b && $2 == n {print $3}' "$res" | sort -n |
         awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
cell () { awk -v u="$1" 'BEGIN {printf "%.2f s, %.0f MiB/s", u / 1e6, 500 / (u / 1e6)}'; }
echo "| 500 MiB, blk datapath (median of $runs) | qemu (TCG) | uml | uml / qemu time |"
echo "|---|---|---|---|"
for f in upload upload-no-write write-no-upload download; do
  q=$(med qemu $f); u=$(med uml $f)
  echo "| $f | $(cell "$q") | $(cell "$u") | $(awk -v a="$u" -v b="$q" 'BEGIN {printf "%.2f", a / b}') |"
done
echo
echo "raw (backend op usec):"
sort "$res"
