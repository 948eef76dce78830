#!/bin/sh
# Build guestkit's fuzz targets with clang/libFuzzer and run each for
# SECONDS (default 15).  Usage: fuzz/run.sh [SECONDS] [TARGET...]
#
# Environment: TOP_SRCDIR (default: this script's parent), FUZZ_OUT (where
# binaries, the growing corpus and crash inputs go; default
# ./fuzz-out), CC (default clang), FUZZ_FLAGS (extra libFuzzer flags).
# Prints one TAP-like line per target and "N passed, N failed"; exits 77
# (SKIP) when clang or its fuzzer runtime is missing.
set -u
SECONDS_EACH=${1:-15}
[ $# -gt 0 ] && shift
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${TOP_SRCDIR:-$(dirname "$HERE")}
OUT=${FUZZ_OUT:-$PWD/fuzz-out}
CC=${CC_FUZZ:-clang}
# The targets: NAME:SOURCES the harness fuzz/fuzz-NAME.c is linked with.
TARGETS="wire-call:common/api-table.c,common/api-util.c,common/wire.c,common/errnostr.c
wire-reply:common/api-table.c,common/api-util.c,common/wire.c,common/errnostr.c
wire-header:common/api-table.c,common/api-util.c,common/wire.c,common/errnostr.c
inspect-parse:daemon/calls/inspect-parse.c
fstab:daemon/calls/inspect-parse.c
lvm-parse:daemon/lvm-parse.c,common/grow.c
qcow2-probe:lib/qcow2-probe.c"

mkdir -p "$OUT/bin" "$OUT/corpus" "$OUT/artifacts" "$OUT/logs" || exit 99
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
 -fno-omit-frame-pointer -Wall -Wextra -Werror -I$SRC/fuzz -I$SRC/common -I$SRC/include
 -I$SRC/daemon -I$SRC/daemon/calls -I$SRC/lib"

# Can clang link a fuzzer at all?
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }\n' \
  > "$OUT/probe.c"
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "SKIP: $CC not found (scripts/install-deps.sh installs clang)"; exit 77
fi
# shellcheck disable=SC2086
if ! $CC $CFLAGS -o "$OUT/probe" "$OUT/probe.c" >"$OUT/probe.log" 2>&1; then
  echo "SKIP: $CC cannot link -fsanitize=fuzzer (libclang-rt-dev missing?): $(head -c 300 "$OUT/probe.log")"
  exit 77
fi

want () {
  [ $# -eq 0 ] && return 0
  for w in "$@"; do [ "$w" = "$1" ] && return 0; done
  return 1
}

pass=0 fail=0
for t in $TARGETS; do
  name=${t%%:*}
  case " $* " in "  ") ;; *" $name "*) ;; *) continue ;; esac
  srcs=$(echo "${t#*:}" | tr ',' ' ')
  files=
  for s in $srcs; do files="$files $SRC/$s"; done
  # shellcheck disable=SC2086
  if ! $CC $CFLAGS -o "$OUT/bin/fuzz-$name" "$SRC/fuzz/fuzz-$name.c" $files \
       >"$OUT/logs/$name.build" 2>&1; then
    echo "not ok - fuzz-$name: build failed:"; sed 's/^/#   /' "$OUT/logs/$name.build" | head -20
    fail=$((fail + 1)); continue
  fi
  mkdir -p "$OUT/corpus/$name"
  dict=
  [ -f "$SRC/fuzz/dict/$name.dict" ] && dict="-dict=$SRC/fuzz/dict/$name.dict"
  seeds=
  [ -d "$SRC/fuzz/corpus/$name" ] && seeds="$SRC/fuzz/corpus/$name"
  # New inputs go to the first (writable) corpus directory; the seeds in
  # the source tree are only read.
  # shellcheck disable=SC2086
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$OUT/bin/fuzz-$name" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" \
    $dict ${FUZZ_FLAGS:-} "$OUT/corpus/$name" $seeds >"$OUT/logs/$name.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/logs/$name.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$OUT/logs/$name.log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$OUT/logs/$name.log" | tail -1 | cut -d' ' -f2)
  ncorp=$(find "$OUT/corpus/$name" -type f | wc -l)
  summary="${execs:-?} execs in ${SECONDS_EACH} s, coverage ${cov:-?} edges / ${ft:-?} features, corpus $ncorp"
  if [ $rc -eq 0 ]; then
    echo "ok - fuzz-$name: $summary"
    pass=$((pass + 1))
  else
    echo "not ok - fuzz-$name (exit $rc): $summary; inputs in $OUT/artifacts:"
    grep -E 'ERROR|SUMMARY|property broken|Test unit written' "$OUT/logs/$name.log" | head -10 | sed 's/^/#   /'
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
