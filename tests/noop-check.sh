#!/bin/sh
# Prove the API table's tests can fail: run tests/test-api with each call
# turned into a no-op while its own tests run (GK_TEST_NOOP=1).  A call
# whose tests still pass ("MISSED") has tests that cannot tell whether it
# did anything.  Needs a build configured with --enable-noop-check (both
# the library and the appliance's daemon honour GK_NOOP_CALL only there).
# Not part of `make check`: one appliance, every call, slow under TCG.
#
#   tests/noop-check.sh                 every call with a test
#   tests/noop-check.sh mkdir sync ...  only these calls
#
# Writes the verdict lines to noop-check.log (override: NOOP_LOG) and ends
# with "N caught, N missed"; exit 0 only if every call was caught.
top=${TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
log=${NOOP_LOG:-noop-check.log}

if ! grep -q -- '-DGK_NOOP_CHECK' "$top/Makefile" 2>/dev/null; then
  echo "SKIP: this build is not configured with --enable-noop-check"
  exit 77
fi

GK_TEST_NOOP=1 GK_TEST_TIMEOUT=${GK_TEST_TIMEOUT:-7200} \
  "$top/run" "$top/tests/test-api" "$@" > "$log.raw" 2>&1
grep -E '^(CAUGHT|MISSED|FAIL|SKIP) ' "$log.raw" > "$log"
caught=$(grep -c '^CAUGHT ' "$log")
missed=$(grep -c '^MISSED ' "$log")
broken=$(grep -c '^FAIL ' "$log")
grep -E '^(MISSED|FAIL) ' "$log"
echo "$caught caught, $missed missed, $broken not run or failed"
[ "$missed" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$caught" -gt 0 ]
