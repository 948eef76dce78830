#!/bin/sh
# Every call's test from the API table (tests/test-api), on UML.
. "${TOP_SRCDIR:-.}/tests/uml-skip.sh"
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
