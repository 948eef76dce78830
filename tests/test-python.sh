#!/bin/sh
# The Python binding (python/, issue 18): python3 -m unittest on
# python/t/*.py against the build tree's library and one shared appliance
# (a second one boots in the thread test).  TAP-like summary at the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${TOP_BUILDDIR:-$top}
py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null 2>&1; then echo "SKIP: no python3"; exit 77; fi
if [ ! -f "$b/python/guestkit/_actions.py" ]; then
  echo "SKIP: the binding was not built (configure found no python3, or --disable-python)"; exit 77
fi
# A library built with --enable-sanitizers cannot be loaded into an
# uninstrumented python3 (the ASan runtime must come first); the C tests
# cover the library in that build.
if ldd "$b/lib/.libs/libguestkit.so.0" 2>/dev/null | grep -q 'libasan'; then
  echo "SKIP: libguestkit is built with AddressSanitizer (python3 cannot load it)"; exit 77
fi
export PYTHONPATH="$b/python${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
export LD_LIBRARY_PATH="$b/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$b/daemon/guestkitd}" "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER
out=$(mktemp "${TMPDIR:-/tmp}/test-python.XXXXXX")
trap 'rm -f "$out"' EXIT
"$py" -m unittest discover -v -s "$top/python/t" -p 'test_*.py' > "$out" 2>&1
rc=$?
cat "$out"
# The counts from unittest's summary: "Ran N tests", "FAILED (failures=A,
# errors=B, skipped=C)" or "OK (skipped=C)".
ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$out" | tail -n 1)
num () { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$out" | tail -n 1; }
f=$(num failures); e=$(num errors); s=$(num skipped)
fail=$(( ${f:-0} + ${e:-0} )); pass=$(( ${ran:-0} - fail - ${s:-0} ))
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1

# The installed package (only the binding's install target, into a stage):
# it imports with the staged directory alone on the path and is the same
# code as the build tree's.
# make without the calling make's flags: under make distcheck they bring
# "Entering directory" lines and jobserver warnings into the output.
mk () { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} "$@"; }
pydir=$(mk -s -C "$b" --no-print-directory -f Makefile -f - print-pydir <<'EOM'
print-pydir:
	@echo '$(guestkitpydir)'
EOM
)
stage=$(mktemp -d "${TMPDIR:-/tmp}/test-python-stage.XXXXXX")
trap 'rm -f "$out"; rm -rf "$stage"' EXIT
if mk -s -C "$b" install-nodist_guestkitpyPYTHON DESTDIR="$stage" > "$stage.log" 2>&1 \
   && [ -n "$pydir" ] && cmp -s "$stage$pydir/_actions.py" "$b/python/guestkit/_actions.py" \
   && got=$(cd / && PYTHONPATH="$stage$pydir/.." "$py" -c 'import guestkit; print(guestkit.__file__); g = guestkit.GuestKit(); print(g.get_memsize()); g.close()') \
   && [ "$got" = "$(printf '%s\n512' "$stage$pydir/__init__.py")" ]; then
  pass=$((pass + 1)); echo "ok - the installed binding ($pydir) imports and runs"
else
  fail=$((fail + 1)); echo "not ok - the installed binding ($pydir): $(tail -n 3 "$stage.log") ${got:-}"
fi
rm -f "$stage.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
