#!/bin/sh
# gkbatch benchmark: N small images (64 MiB ext4, made here), a script
# that reads one file, writes one and checksums it.  Prints images/min
# for gkbatch -j 2 against a shell loop of gkfish, interleaved in ROUNDS
# (default 4) rounds with guestfish and parallel -j 2 guestfish (when
# libguestfs-tools / parallel are installed) so that load drift hits
# all alike, the per-image overhead beyond the script (launch, mounts,
# shutdown, commit), images/min for -j 1..4, and the peak RSS of gkbatch
# plus its workers and appliances (sampled every 0.2 s from /proc).
#
#   bench/gkbatch.sh [N [SCALING_N]]     (default 40 and 12)
#
# (--rw --in-place skips the overlay; its saving is the commit_s the
# JSON results report per image.)
#
# Run from the build tree; GUESTKIT_CACHEDIR etc. as for the tests.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-40}
SN=${2:-12}
GKBATCH=$top/batch/gkbatch
GKFISH=$top/fish/gkfish
export LD_LIBRARY_PATH="$top/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$top/daemon/guestkitd}"
: "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER
# guestfish: its own qemu, no libvirt; TCG like ours where KVM does not
# run the appliance (its accel=kvm:tcg hangs on a /dev/kvm whose nested
# KVM fails, as on this project's machines).
: "${LIBGUESTFS_BACKEND:=direct}"
export LIBGUESTFS_BACKEND
if [ ! -w /dev/kvm ] || [ -f "${GUESTKIT_CACHEDIR:-/var/tmp/.guestkit-$(id -u)}/kvm-broken" ]; then
  export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
d=$(mktemp -d /var/tmp/gkbatch-bench.XXXXXX)
trap 'rm -rf "$d"' EXIT

mkdir "$d/tree"
head -c 4096 /dev/urandom | base64 > "$d/tree/data.txt"
mkfs.ext4 -q -F -d "$d/tree" "$d/base.img" 64M
mkimages () {  # fresh copies, so every run writes the same way
  rm -f "$d"/img-*.img
  for i in $(seq 1 "$1"); do cp --sparse=always "$d/base.img" "$d/img-$i.img"; done
  ls "$d"/img-*.img | head -n "$1" > "$d/list"
}
script='cat /data.txt : write /out.txt "written by the benchmark" : checksum sha256 /out.txt'
printf 'cat /data.txt\nwrite /out.txt "written by the benchmark"\nchecksum sha256 /out.txt\n' > "$d/s.gk"

# Peak of the summed RSS (KiB) of PID's process tree, sampled until it ends.
peak_rss () {
  peak=0
  # (a finished child stays a zombie until our wait: stop at state Z)
  while st=$(ps -o stat= -p "$1") && [ "${st#Z}" = "$st" ]; do
    s=$(ps -eo pid=,ppid=,rss= | awk -v root="$1" '
      { p[$1] = $2; r[$1] = $3 }
      END { for (x in p) { y = x; while (y != "" && y != root && y in p && y != 1) y = p[y];
                           if (y == root) t += r[x] } print t + 0 }')
    [ "$s" -gt "$peak" ] && peak=$s
    sleep 0.2
  done
  echo "$peak"
}
now () { date +%s.%N; }
rate () { echo "$1 $2" | awk '{ printf "%.1f", $1 * 60 / $2 }'; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "images: $N x 64 MiB ext4; script: $script"
echo

# gkbatch -j 2 --rw (overlay + commit) against a shell loop of gkfish,
# and of guestfish and parallel -j 2 guestfish when installed,
# interleaved in ROUNDS rounds of N/ROUNDS images each, so that the load
# of a shared machine drifting during the run hits all alike.
have_gf=0; command -v guestfish >/dev/null 2>&1 && have_gf=1
have_par=0; [ $have_gf = 1 ] && command -v parallel >/dev/null 2>&1 && have_par=1
tg=0 tp=0
ROUNDS=${ROUNDS:-4}
per=$((N / ROUNDS))
tb=0 tf=0 peak_all=0 okb=0 okf=0
: > "$d/j2.jsonl"
for r in $(seq 1 "$ROUNDS"); do
  mkimages "$per"
  t0=$(now)
  "$GKBATCH" -j 2 --rw -m /dev/sda -f "$d/s.gk" --images "$d/list" -o "$d/r.jsonl" 2>/dev/null &
  pid=$!
  peak=$(peak_rss $pid)
  wait $pid
  t1=$(now)
  tb=$(echo "$tb $t1 $t0" | awk '{print $1 + $2 - $3}')
  [ "$peak" -gt "$peak_all" ] && peak_all=$peak
  okb=$((okb + $(jq -r 'select(.status == "ok") | .path' "$d/r.jsonl" | wc -l)))
  cat "$d/r.jsonl" >> "$d/j2.jsonl"
  mkimages "$per"
  t0=$(now)
  while read -r img; do
    "$GKFISH" -a "$img" -m /dev/sda -- cat /data.txt : write /out.txt "written by the benchmark" \
      : checksum sha256 /out.txt > /dev/null 2>&1 && okf=$((okf + 1))
  done < "$d/list"
  t1=$(now)
  tf=$(echo "$tf $t1 $t0" | awk '{print $1 + $2 - $3}')
  if [ $have_gf = 1 ]; then
    mkimages "$per"
    t0=$(now)
    while read -r img; do
      guestfish -a "$img" -m /dev/sda -- cat /data.txt : write /out.txt "written by the benchmark" \
        : checksum sha256 /out.txt > /dev/null 2>&1
    done < "$d/list"
    t1=$(now); tg=$(echo "$tg $t1 $t0" | awk '{print $1 + $2 - $3}')
  fi
  if [ $have_par = 1 ]; then
    mkimages "$per"
    t0=$(now)
    parallel -j 2 guestfish -a {} -m /dev/sda -- cat /data.txt : write /out.txt x : checksum sha256 /out.txt \
      < "$d/list" > /dev/null 2>&1
    t1=$(now); tp=$(echo "$tp $t1 $t0" | awk '{print $1 + $2 - $3}')
  fi
done
M=$((per * ROUNDS))
echo "gkbatch -j 2 --rw: $okb/$M ok, $tb s, $(rate "$M" "$tb") images/min, peak RSS (tree) $((peak_all / 1024)) MiB"
echo "shell loop of gkfish: $okf/$M ok, $tf s, $(rate "$M" "$tf") images/min"
echo "gkbatch -j 2 / gkfish loop: $(echo "$tf $tb" | awk '{printf "%.2f", $1 / $2}')x ($ROUNDS interleaved rounds of $per images)"
jq -rs '[.[] | select(.status == "ok")] | (map(.total_s - .script_s) | sort) as $o
  | (map(.launch_s) | sort) as $l | (map(.commit_s) | sort) as $c | (map(.script_s) | sort) as $s
  | "  per image (median): overhead beyond the script \($o[length/2|floor]) s (launch \($l[length/2|floor]) s, commit \($c[length/2|floor]) s), script \($s[length/2|floor]) s"' "$d/j2.jsonl"

if [ $have_gf = 1 ]; then
  echo "shell loop of guestfish: $tg s, $(rate "$M" "$tg") images/min; gkbatch -j 2 is $(echo "$tg $tb" | awk '{printf "%.1f", $1 / $2}')x that"
  [ $have_par = 1 ] && echo "parallel -j 2 guestfish: $tp s, $(rate "$M" "$tp") images/min; gkbatch -j 2 is $(echo "$tp $tb" | awk '{printf "%.1f", $1 / $2}')x that"
else
  echo "guestfish: not installed (libguestfs-tools), not compared"
fi

echo
echo "scaling, $SN images, gkbatch --rw:"
for j in 1 2 3 4; do
  mkimages "$SN"
  t0=$(now)
  "$GKBATCH" -j $j --rw -m /dev/sda -f "$d/s.gk" --images "$d/list" -o "$d/s$j.jsonl" 2>/dev/null &
  pid=$!
  peak=$(peak_rss $pid)
  wait $pid
  t1=$(now); el=$(echo "$t1 $t0" | awk '{print $1 - $2}')
  echo "  -j $j: $(jq -r 'select(.status == "ok")|.path' "$d/s$j.jsonl" | wc -l)/$SN ok, $el s, $(rate "$SN" "$el") images/min, peak RSS $((peak / 1024)) MiB, median launch $(jq -rs '[.[]|select(.status=="ok")|.launch_s]|sort|.[length/2|floor]' "$d/s$j.jsonl") s"
done
