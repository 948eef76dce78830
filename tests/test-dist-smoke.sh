#!/bin/sh
# make distcheck's smoke run of the API table (Makefile.am,
# DISTCHECK_TESTS): the table's tests of a few calls that create, write,
# read and list files, on an appliance built from the tarball's daemon.
# The whole table is tests/test-api (make check).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${TOP_BUILDDIR:-$top}
exec "$b/tests/test-api" mkdir write cat ls
