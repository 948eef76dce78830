#!/bin/sh
# Every call's test from the API table (tests/test-api), with the control
# channel on qemu's emulated 16550 UART instead of virtio-serial.
GUESTKIT_CHANNEL=serial
export GUESTKIT_CHANNEL
exec "${TOP_BUILDDIR:-.}/tests/test-api" "$@"
