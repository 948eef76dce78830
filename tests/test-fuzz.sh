#!/bin/sh
# A short run of every fuzz target (fuzz/README.md): each is built with
# clang -fsanitize=fuzzer,address,undefined and run for FUZZ_SECONDS
# (default 15), so a decoder change that crashes, hangs, leaks or breaks a
# property fails make check.  SKIPs (77) when clang's fuzzer runtime is
# missing.  The long runs are fuzz/run.sh SECONDS.
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
out=${TOP_BUILDDIR:-$PWD}/fuzz-out
TOP_SRCDIR=$top FUZZ_OUT=$out exec sh "$top/fuzz/run.sh" "${FUZZ_SECONDS:-15}"
