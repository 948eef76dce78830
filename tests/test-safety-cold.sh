#!/bin/sh
# The safety tests (tests/test-safety) once more on a cold boot: launch
# restores a saved appliance by default (issue 13).
GUESTKIT_SNAPSHOT=0
export GUESTKIT_SNAPSHOT
exec "${TOP_BUILDDIR:-.}/tests/test-safety" "$@"
