# shellcheck shell=sh
# Sourced (after gkfish-env.sh) by the tests that run gkfish commands and
# compare status, stdout and stderr (test-gkfish.sh, test-compat.sh): a
# temporary directory $d, a --listen $server stopped on exit, and run_,
# check, one_line.
d=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
server=
skipped=0
cleanup () {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    "$GKFISH" --remote="$server" exit >/dev/null 2>&1 || kill "$server"
  fi
  [ -z "${second:-}" ] || kill "$second" 2>/dev/null
  rm -rf "$d"
}
trap cleanup EXIT

# check NAME EXPECTED-STATUS EXPECTED-STDOUT [STDERR-PATTERN]
# after running a command with run_ (which fills $out, $err, $rc; not in
# a pipeline, whose subshell would lose them).  Stdout "*": anything;
# no pattern: stderr must be empty; pattern "-": anything.
run_ () { "$@" >"$d/out" 2>"$d/err"; rc=$?; out=$(cat "$d/out"); err=$(cat "$d/err"); }
check () {
  name=$1 want_rc=$2 want_out=$3 want_err=${4-}
  if [ "$rc" != "$want_rc" ]; then
    nok "$name: exit status $rc, expected $want_rc (stderr: $err)"
  elif [ "$want_out" != "*" ] && [ "$out" != "$want_out" ]; then
    nok "$name: stdout [$out], expected [$want_out]"
  elif [ "$want_err" = "-" ]; then
    ok "$name"
  elif [ -n "$want_err" ] && ! printf '%s' "$err" | grep -q -- "$want_err"; then
    nok "$name: stderr [$err] lacks [$want_err]"
  elif [ -z "$want_err" ] && [ -n "$err" ]; then
    nok "$name: unexpected stderr [$err]"
  else
    ok "$name"
  fi
}
# One-line errors: exactly one line on stderr.
one_line () {
  if [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; then ok "$1: one-line error"
  else nok "$1: error is not one line: [$err]"; fi
}
