#!/bin/sh
# guestfish compatibility, recorded (issue 15): every tests/compat/*.gf
# script runs through gkfish exactly as tests/compat/record.sh ran it
# through guestfish 1.48 (tests/compat/run-one.sh: a fresh directory with
# a blank 64 MiB disk.img, one appliance per script), and gkfish's
# standard output, standard error and exit status must equal the
# recorded NAME.out, NAME.err and NAME.status.  The deliberate
# differences are tests/compat/DIFFERENCES: sed expressions applied to
# the recording of one stream of one script, each with its reason; an
# expression that no longer changes its recording is an error (stale).
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
compat=${TOP_SRCDIR:-$top}/tests/compat
unset LIBGUESTFS_MEMSIZE LIBGUESTFS_BACKEND LIBGUESTFS_DEBUG LIBGUESTFS_TRACE
d=$(mktemp -d "${TMPDIR:-/tmp}/test-compat-recorded.XXXXXX")
trap 'rm -rf "$d"' EXIT

# The expected text of NAME.STREAM: the recording with the listed
# differences applied, one sed expression per DIFFERENCES line.
expected () {
  rec=$compat/$1.$2
  exprs=$(sed -n "s/^$1\\.$2 //p" "$compat/DIFFERENCES")
  if [ -z "$exprs" ]; then cat "$rec"; return; fi
  set --
  while IFS= read -r e; do set -- "$@" -e "$e"; done <<X
$exprs
X
  sed "$@" "$rec"
}

# Every allowed difference must still change what it names.
while IFS= read -r line; do
  case $line in '#'*|'') continue ;; esac
  key=${line%% *} e=${line#* }
  name=${key%.*} stream=${key##*.}
  if [ ! -f "$compat/$name.$stream" ]; then nok "DIFFERENCES: $key: no such recording"
  elif sed -e "$e" "$compat/$name.$stream" | cmp -s - "$compat/$name.$stream"; then
    nok "DIFFERENCES: '$line' changes nothing in $name.$stream (stale)"
  fi
done <"$compat/DIFFERENCES"

# Arguments (NAME ...): only those scripts (while working on one).
[ $# -gt 0 ] || set -- "$compat"/*.gf
same=0 total=0
for s in "$@"; do
  s=$compat/$(basename "$s" .gf).gf
  name=$(basename "$s" .gf)
  total=$((total + 1))
  sh "$compat/run-one.sh" "$GKFISH" "$s" "$d"
  bad=
  for stream in status out err; do
    expected "$name" "$stream" >"$d/want"
    if ! cmp -s "$d/want" "$d/$name.$stream"; then
      bad="$bad $stream"
      echo "# $name.$stream: recorded (with DIFFERENCES) vs gkfish:"
      diff "$d/want" "$d/$name.$stream" | sed 's/^/#   /'
    fi
  done
  if [ -z "$bad" ]; then same=$((same + 1)); ok "$name.gf: as recorded from guestfish"
  else nok "$name.gf: differs in$bad"; fi
done
echo "# $same of $total scripts as recorded"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
