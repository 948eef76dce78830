#!/bin/bash
# Backends side by side, interleaved in one run: launch to ready and
# shutdown on qemu (TCG here) and UML, and libguestfs 1.48
# (`guestfish -a /dev/null run`); then the small-call round trip
# (echo-daemon) on each backend.
# Usage: bench/backends.sh [RUNS]   (default 7)
# Needs a built tree, user-mode-linux and libguestfs-tools.  Prints a
# markdown table for docs/benchmarks.md.
set -e
cd "$(dirname "$0")/.."
runs=${1:-7}
# A snapshot of the built programs, so that rebuilds in the tree during
# the run (shared machine) cannot break it.
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
cp daemon/guestkitd lib/.libs/libguestkit.so.0 bench/.libs/launch bench/.libs/roundtrip "$snap/"
export GUESTKIT_DAEMON="$snap/guestkitd"
export GUESTKIT_APPLIANCE_BUILDER="$PWD/appliance/make-appliance.sh"
export LD_LIBRARY_PATH="$snap"
. "$(dirname "$0")/libguestfs-env.sh"
# A private appliance cache: other runs in the tree (with the tree's
# daemon) cannot make ours stale in the middle of the benchmark.
export GUESTKIT_CACHEDIR="$snap/cache"
now () { date +%s.%N; }
# Warm every cache (appliances, supermin).
GUESTKIT_BACKEND=qemu "$snap/launch" > /dev/null
GUESTKIT_BACKEND=uml "$snap/launch" > /dev/null
guestfish -a /dev/null run
for i in $(seq "$runs"); do
  for b in qemu uml; do
    t0=$(now)
    GUESTKIT_BACKEND=$b "$snap/launch" > "$snap/$b.t.$i"
    t1=$(now)
    echo "$t0 $t1" | awk '{print $2 - $1}' > "$snap/$b.w.$i"
  done
  t0=$(now)
  guestfish -a /dev/null run
  t1=$(now)
  echo "$t0 $t1" | awk '{print $2 - $1}' > "$snap/lg.w.$i"
done
med () { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mm () { sort -n | awk '{a[NR]=$1} END {printf "%.2f-%.2f", a[1], a[NR]}'; }
ready () { grep -h '^launch.total=' "$snap"/$1.t.* | cut -d= -f2 | awk '{print $1 / 1e6}'; }
echo "| figure ($runs runs: median, min-max) | qemu (TCG) | uml | libguestfs 1.48 |"
echo "|---|---|---|---|"
printf '| launch to ready, s | %.2f (%s) | %.2f (%s) | - |\n' \
  "$(ready qemu | med)" "$(ready qemu | mm)" "$(ready uml | med)" "$(ready uml | mm)"
printf '| launch + shutdown, wall s | %.2f (%s) | %.2f (%s) | %.2f (%s) |\n' \
  "$(cat "$snap"/qemu.w.* | med)" "$(cat "$snap"/qemu.w.* | mm)" \
  "$(cat "$snap"/uml.w.* | med)" "$(cat "$snap"/uml.w.* | mm)" \
  "$(cat "$snap"/lg.w.* | med)" "$(cat "$snap"/lg.w.* | mm)"
echo
for b in qemu uml; do
  echo "$b phases (median over runs, ms):"
  cat "$snap"/$b.t.* | awk -F= '{v[$1]=v[$1] " " $2} END {for (k in v) print k, v[k]}' | sort |
    while read -r name vals; do
      m=$(echo $vals | tr ' ' '\n' | med)
      awk -v n="$name" -v m="$m" 'BEGIN {printf "  %-22s %8.1f\n", n, m/1000}'
    done
done
echo
for b in qemu uml; do GUESTKIT_BACKEND=$b "$snap/roundtrip"; done
