#!/bin/sh
# make check runs every test program through this (LOG_COMPILER and
# SH_LOG_COMPILER): each gets a fresh TMPDIR of its own, which is also
# its working directory, removed when it ends.  So tests never share
# /tmp paths (test-api and test-api-uml run the same table, in parallel
# under make -j), and nothing a test leaves in /tmp changes another's
# outcome.  Usage: run-test.sh PROGRAM [ARG...]
prog=$1
shift
case $prog in /*) ;; *) prog=$PWD/$prog ;; esac
dir=$(mktemp -d "${TMPDIR:-/tmp}/gk-$(basename "$prog").XXXXXX") || exit 99
trap 'cd / && chmod -R u+rwX "$dir" 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM HUP
TMPDIR=$dir
export TMPDIR
cd "$dir" || exit 99
# GK_TEST_LOCK=FILE: one test program at a time among everyone who uses
# FILE (flock), e.g. a long make distcheck on a shared machine; not the
# tests GK_TEST_NO_VM names (Makefile.am: those that boot no appliance).
case " ${GK_TEST_NO_VM:-} " in
  *" tests/$(basename "$prog") "*) GK_TEST_LOCK= ;;
esac
if [ -n "${GK_TEST_LOCK:-}" ]; then
  flock "$GK_TEST_LOCK" "$prog" "$@"
else
  "$prog" "$@"
fi
