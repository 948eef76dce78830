#!/bin/sh
# scripts/check-layering: first its cycle finding and README rules on
# small synthetic trees (includes only, no build), then the real tree
# (includes and, through nm on the built objects, calls): no cycle
# between folders beyond KNOWN_FOLDER_CYCLES, none between files of lib/
# and daemon/ beyond KNOWN_FILE_CYCLES, and every dependency allowed by
# its folder's README.  No appliance; about 5 s of CPU (nm on every
# object).
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${TOP_BUILDDIR:-$top}
check=$top/scripts/check-layering
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }

if ! command -v python3 > /dev/null || ! command -v nm > /dev/null; then
  echo "SKIP: python3 or nm is missing"
  exit 77
fi

t=${TMPDIR:-/tmp}/layering-tree
# mk FILE LINE...: write a file of the synthetic tree.
mk () { f=$t/$1; shift; mkdir -p "$(dirname "$f")"; printf '%s\n' "$@" > "$f"; }
# run EXPECTED-STATUS WANTED-OUTPUT DESCRIPTION [OPTION...]
run () {
  want=$1 grepfor=$2 what=$3; shift 3
  out=$(python3 "$check" --srcdir "$t" --no-build "$@" 2>&1); rc=$?
  if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qF -- "$grepfor"; then
    ok "$what"
  else
    nok "$what (status $rc, wanted $want and \"$grepfor\"):"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
}

# a -> b -> c, each allowed by its README: clean.
rm -rf "$t"
mk a/README.md "# a" "" "May depend on: b/, libc."
mk b/README.md "# b" "" "**May depend on:** c/ (c/z.h).  Not a/."
mk c/README.md "# c" "" "May depend on: nothing."
mk a/x.c '#include "../b/y.h"'
mk b/y.h '#include "z.h"'
mk c/z.h '#include <stdio.h>'
run 0 ": ok" "a chain a -> b -> c passes" -I c

# c -> a closes the circle: named as a path.
mk c/z.h '#include "../a/x.h"'
mk a/x.h '/* nothing */'
run 1 "folder cycle: a -> b -> c -> a" "the cycle a -> b -> c -> a is found and named" -I c

# The same tree minus the circle, but a reaches c, which a's README
# does not allow (b's "Not a/." is after the first sentence: not allowed).
mk c/z.h '/* nothing */'
mk a/x.c '#include "../b/y.h"' '#include "../c/z.h"'
run 1 "a/ depends on c/" "a dependency the README does not list fails" -I c
mk a/x.c '#include "../b/y.h"'

# b's README allows only c/z.h of c/.
mk c/w.h '/* nothing */'
mk b/y.h '#include "z.h"' '#include "../c/w.h"'
run 1 "only c/z.h of c/" "an include outside a folder's named files fails" -I c
mk b/y.h '#include "z.h"'

# No "May depend on:" line.
mk c/README.md "# c" "" "Depends on whatever."
run 1 'c/README.md has no "May depend on:"' "a README without the line fails" -I c
mk c/README.md "# c" "" "May depend on: nothing."

# File level (lib/ is one of FILE_LEVEL_FOLDERS): p.h <-> q.h.
mk lib/README.md "# lib" "" "May depend on: nothing."
mk lib/p.h '#include "q.h"'
mk lib/q.h '#include "p.h"'
run 1 "file cycle: lib/p.h -> lib/q.h -> lib/p.h" "a file cycle in lib/ is found" -I c
run 0 ": ok" "--files off skips the file level" -I c --files off
LAYERING_FILES=0 run 0 ": ok" "LAYERING_FILES=0 skips the file level" -I c
run 0 "known file cycle" "a cycle inside a known set passes, reported as known" -I c \
  --known-file-cycle "lib/p.h lib/q.h lib/r.h"
mk lib/r.h '#include "p.h"'
mk lib/p.h '#include "q.h"' '#include "r.h"'
mk lib/q.h '/* nothing */'
run 1 "file cycle: lib/p.h -> lib/r.h -> lib/p.h" "a new cycle outside the known set fails" -I c \
  --known-file-cycle "lib/p.h lib/q.h"

# The real tree, built: includes and calls.
if [ ! -f "$build/Makefile" ]; then
  nok "no $build/Makefile: configure and build first"
else
  out=$(python3 "$check" --srcdir "$top" --builddir "$build" --graph 2>&1); rc=$?
  # The graph's edge lines start with two blanks: shown only on failure.
  if [ "$rc" = 0 ]; then printf '%s\n' "$out" | grep -v '^  [^ ]'; else printf '%s\n' "$out"; fi \
    | sed 's/^/    /'
  [ "$rc" = 0 ] && ok "the tree: no new cycle, every dependency allowed" \
    || nok "the tree: check-layering failed (status $rc)"
  # The graph holds what it must: lib calls common, tests call lib's
  # public API (through include/), batch calls fish's command layer (a
  # convenience library), the generator writes into lib/.
  for e in "lib        -> common     call" "tests      -> include    call" \
           "batch      -> fish       call" "lib        -> generator  gen"; do
    printf '%s\n' "$out" | grep -qF -- "$e" && ok "graph has $e" || nok "graph lacks $e"
  done
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
