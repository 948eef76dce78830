#!/bin/sh
# The API table's tests (tests/test-api), one call of each shape, on libvirt.
. "${TOP_SRCDIR:-.}/tests/libvirt-skip.sh"
GK_TEST_SHAPES=1
export GK_TEST_SHAPES
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
