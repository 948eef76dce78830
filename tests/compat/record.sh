#!/bin/sh
# record.sh [NAME.gf ...]: record what guestfish does with each
# compatibility script (all *.gf by default): NAME.out, NAME.err and
# NAME.status next to the script.  Needs libguestfs (guestfish 1.48 made
# the committed recordings); the environment is bench/libguestfs-env.sh's
# (LIBGUESTFS_BACKEND=direct, TCG where KVM does not run appliances).
# The command and version are appended to RECORDED.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../bench/libguestfs-env.sh"
unset LIBGUESTFS_DEBUG LIBGUESTFS_TRACE LIBGUESTFS_MEMSIZE
[ $# -gt 0 ] || set -- "$here"/*.gf
for s in "$@"; do
  sh "$here/run-one.sh" guestfish "$s" "$here"
  n=$(basename "$s" .gf)
  echo "$n: status $(cat "$here/$n.status")"
done
names=
for s in "$@"; do names="$names $(basename "$s")"; done
echo "$(date -u +%F) $(guestfish --version) LIBGUESTFS_BACKEND=$LIBGUESTFS_BACKEND" \
  "LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-}:" \
  "tests/compat/record.sh$names" >>"$here/RECORDED"
