#!/bin/sh
# The safety tests (tests/test-safety), on libvirt.
. "${TOP_SRCDIR:-.}/tests/libvirt-skip.sh"
exec "${TOP_BUILDDIR:-.}/tests/test-safety" "$@"
