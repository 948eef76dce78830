#!/bin/sh
# Many small commands against one image: separate gkfish runs (a boot
# each) versus one --listen appliance driven with --remote; the same for
# guestfish (libguestfs, direct backend) when it is installed.
#   bench/gkfish-remote.sh [N]     (run from the top of the build tree)
# Prints seconds: total for N separate runs, --listen start-up, total for
# N --remote commands, and the median of one --remote command.
set -eu
n=${1:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d /tmp/bench-remote.XXXXXX)
trap 'rm -rf "$d"' EXIT
now () { date +%s.%N; }
el () { echo "$2 - $1" | bc; }
median () { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run_set () {   # NAME FISH...  (the fish and how it adds the image)
  name=$1; shift
  t0=$(now)
  i=0; while [ $i -lt "$n" ]; do "$@" -a "$d/img" -m /dev/sda1 -- cat /hello >/dev/null; i=$((i + 1)); done
  t1=$(now)
  eval "$("$@" --listen -a "$d/img" -m /dev/sda1)"
  t2=$(now)
  : > "$d/one"
  i=0; while [ $i -lt "$n" ]; do
    a=$(now); "$@" --remote cat /hello >/dev/null; b=$(now)
    el "$a" "$b" >> "$d/one"; i=$((i + 1))
  done
  t3=$(now)
  "$@" --remote exit >/dev/null 2>&1 || true
  printf '%-9s separate x%s: %6.2f s   listen: %5.2f s   remote x%s: %5.2f s   one remote: %.3f s\n' \
    "$name" "$n" "$(el "$t0" "$t1")" "$(el "$t1" "$t2")" "$n" "$(el "$t2" "$t3")" "$(median < "$d/one")"
}

# The real binary, not libtool's wrapper script (which costs more than a
# --remote command on a busy machine).
fish=$top/fish/.libs/gkfish
[ -x "$fish" ] || fish=$top/fish/gkfish
"$top/run" "$fish" -N "$d/img=fs:ext4:64M" -m /dev/sda1 -- write /hello hi
run_set gkfish "$top/run" "$fish"
if command -v guestfish >/dev/null; then
  LIBGUESTFS_BACKEND=direct; export LIBGUESTFS_BACKEND
  run_set guestfish guestfish
fi
