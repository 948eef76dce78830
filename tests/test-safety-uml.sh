#!/bin/sh
# The safety tests (tests/test-safety), on UML.
. "${TOP_SRCDIR:-.}/tests/uml-skip.sh"
exec "${TOP_BUILDDIR:-.}/tests/test-safety" "$@"
