#!/bin/sh
# The API table's tests (tests/test-api), one call of each shape, on a
# cold boot: launch restores a saved appliance by default (issue 13), and
# set-snapshot false / GUESTKIT_SNAPSHOT=0 must keep working.
GUESTKIT_SNAPSHOT=0 GK_TEST_SHAPES=1
export GUESTKIT_SNAPSHOT GK_TEST_SHAPES
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
