# shellcheck shell=sh
# Sourced (after gkfish-env.sh) by the inspection tests (test-inspect*.sh):
# gkinspector, the time limit T of each run (GK_TEST_TIMEOUT, else the
# test's own T, else 300 s), a temporary directory $d removed on exit, and
# run_, expect, has, jq_is.
GKINSPECTOR=${GKINSPECTOR:-${TOP_BUILDDIR:-$top}/fish/gkinspector}
export GKFISH
T=${GK_TEST_TIMEOUT:-${T:-300}}
d=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$d"' EXIT
# run_ CMD...: run under the time limit; fills $rc, $out and $err.
run_ () { timeout "$T" "$@" >"$d/out" 2>"$d/err"; rc=$?; out=$(cat "$d/out"); err=$(cat "$d/err"); }
# expect NAME TEST-EXPRESSION...: the expression is a shell test.
expect () { name=$1; shift; if "$@"; then ok "$name"; else nok "$name (rc=$rc, stdout: $out, stderr: $err)"; fi; }
has () { printf '%s' "$1" | grep -q -- "$2"; }
# jq_is NAME FILTER VALUE: the JSON in $out gives VALUE for FILTER.
jq_is () {
  v=$(printf '%s' "$out" | jq -r "$2" 2>&1)
  if [ "$v" = "$3" ]; then ok "$1"; else nok "$1: $2 is [$v], expected [$3]"; fi
}
