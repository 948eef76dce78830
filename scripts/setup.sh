#!/bin/sh
# The README's first command: install packages, build everything, then
# run a real job on a sample image (create, partition, format, mount,
# write a file, read it back, print where the launch time went).
set -e
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
mkdir -p build-demo
./run examples/demo build-demo/sample.img
./run examples/mount-ls build-demo/sample.img
