# opts: -a foo://example.com/disk.img
# a URI with a scheme qemu does not know
run
