#!/bin/sh
# The API table's tests (tests/test-api), one call of each shape, with the control
# channel on qemu's emulated 16550 UART instead of virtio-serial.
GUESTKIT_CHANNEL=serial GK_TEST_SHAPES=1
export GUESTKIT_CHANNEL GK_TEST_SHAPES
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
