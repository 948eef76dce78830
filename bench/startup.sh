#!/bin/bash
# Launch-to-ready, guestkit vs libguestfs, interleaved in one run, and the
# max RSS of the VM process.  Usage: bench/startup.sh [RUNS]   (default 5)
# Needs: a built tree, libguestfs-tools and GNU time (apt-get install
# libguestfs-tools time).  Prints a markdown table for docs/benchmarks.md.
set -e
cd "$(dirname "$0")/.."
. bench/libguestfs-env.sh
runs=${1:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./run bench/launch > /dev/null          # warm the appliance cache
guestfish -a /dev/null run   # warm supermin's cache
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out/gk.$i" ./run bench/launch > "$out/gkt.$i"
  /usr/bin/time -f "%e %M" -o "$out/lg.$i" guestfish -a /dev/null run
done
med () { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
gk_t=$(cat "$out"/gk.* | awk '{print $1}' | med)
lg_t=$(cat "$out"/lg.* | awk '{print $1}' | med)
gk_m=$(cat "$out"/gk.* | awk '{print $2}' | med)
lg_m=$(cat "$out"/lg.* | awk '{print $2}' | med)
echo "| figure ($runs runs, median) | guestkit | libguestfs 1.48 | ratio |"
echo "|---|---|---|---|"
awk -v a="$gk_t" -v b="$lg_t" 'BEGIN {printf "| launch + shutdown, wall s | %.2f | %.2f | %.2f |\n", a, b, a/b}'
awk -v a="$gk_m" -v b="$lg_m" 'BEGIN {printf "| max RSS of the largest process, MB | %.0f | %.0f | %.2f |\n", a/1024, b/1024, a/b}'
echo
echo "guestkit phases (median over runs, ms):"
cat "$out"/gkt.* | awk -F= '{v[$1]=v[$1] " " $2} END {for (k in v) print k, v[k]}' | sort |
  while read -r name vals; do
    m=$(echo $vals | tr ' ' '\n' | med)
    awk -v n="$name" -v m="$m" 'BEGIN {printf "  %-22s %8.1f\n", n, m/1000}'
  done
