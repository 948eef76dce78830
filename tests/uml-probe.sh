#!/bin/sh
# uml-probe.sh [LINUX_UML]: can User-Mode Linux run a program on this
# host?  Boots it (about 1.5 s) with a one-file initrd whose /init (busybox)
# powers off.  Exit 1 and print the console line that says why when the
# boot ends in a kernel panic or a failure before that (seen: linux.uml
# 6.1 on a host kernel 6.18 with AVX-512, "userspace - ptrace set fp regs
# failed, errno = 14": UML cannot run any process there); else exit 0.
uml=${1:-${GUESTKIT_UML:-/usr/bin/linux.uml}}
bb=/bin/busybox
[ -x "$bb" ] || exit 0          # cannot probe: let the tests find out
d=$(mktemp -d "${TMPDIR:-/tmp}/uml-probe.XXXXXX") || exit 0
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/root/bin"
cp "$bb" "$d/root/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' > "$d/root/init"
chmod 755 "$d/root/init"
(cd "$d/root" && find . | cpio -o -H newc 2>/dev/null) > "$d/initrd"
TMPDIR=$d timeout 60 "$uml" mem=64M initrd="$d/initrd" con=null con0=null,fd:1 \
  < /dev/null > "$d/console" 2>&1
if grep -aq 'Power down' "$d/console"; then exit 0; fi
grep -aq 'Kernel panic' "$d/console" || exit 0
# The panic and the line before it (what failed).
grep -a -B 1 -m 1 'Kernel panic' "$d/console" | tr '\n' ' '
echo
exit 1
