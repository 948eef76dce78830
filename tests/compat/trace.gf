# opts: -x -a @DISK@
# -x: every command traced, including the drives -a adds.
run
echo traced
blockdev-getss /dev/sda
