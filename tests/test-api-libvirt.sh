#!/bin/sh
# Every call's test from the API table (tests/test-api), on libvirt.
. "${TOP_SRCDIR:-.}/tests/libvirt-skip.sh"
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
