#!/bin/sh
# tests/test-lvm.sh on UML (device-mapper is a module of Debian's UML
# kernel, loaded on first use as under qemu).
. "${TOP_SRCDIR:-.}/tests/uml-skip.sh"
exec "${TOP_SRCDIR:-.}/tests/test-lvm.sh" "$@"
