# Sourced by the tests that run a test program against the libvirt
# backend (the same tests as for qemu, with GK_TEST_BACKEND=libvirt).
# Exit 77 (automake: SKIP) with the reason when libvirt cannot run here.
# root's qemu:///session is the system daemon, which nothing starts in a
# root without an init system (CI's fresh Debian root): start it here.
uri=${GK_LIBVIRT_URI:-qemu:///session}
if ! command -v virsh >/dev/null 2>&1; then
    echo "SKIP: virsh is not installed (apt-get install libvirt-clients libvirt-daemon-system)"
    exit 77
fi
if [ "$(id -u)" = 0 ] && ! virsh -c "$uri" uri >/dev/null 2>&1 && [ -x /usr/sbin/libvirtd ]; then
    echo "# starting libvirtd (root's $uri is the system daemon, and none runs)"
    mkdir -p /var/log/libvirt
    # In CI's throwaway chroot (.ci/run sets CI=true) the private /dev that
    # libvirt makes for each qemu lacks /dev/urandom: run qemu in our mount
    # namespace there.  Never on a real machine's configuration.
    if [ "${CI:-}" = true ] && [ -f /etc/libvirt/qemu.conf ] \
       && ! grep -q '^namespaces' /etc/libvirt/qemu.conf; then
        echo 'namespaces = []   # guestkit CI chroot (tests/libvirt-skip.sh)' >> /etc/libvirt/qemu.conf
    fi
    # The daemons outlive the test: without our descriptors (3-9), or a
    # lock the caller holds (flock /tmp/gk-heavy.lock make check ...) is
    # held by libvirtd for good.
    pgrep -x virtlogd >/dev/null || /usr/sbin/virtlogd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    /usr/sbin/libvirtd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        virsh -c "$uri" uri >/dev/null 2>&1 && break
        sleep 0.5
    done
fi
if ! out=$(virsh -c "$uri" uri 2>&1); then
    echo "SKIP: libvirt $uri does not answer: $(printf '%s\n' "$out" | grep -m1 error)"
    exit 77
fi
if ! virsh -c "$uri" domcapabilities --virttype qemu >/dev/null 2>&1; then
    echo "SKIP: libvirt $uri cannot run qemu domains (libvirt-daemon-driver-qemu, qemu-system-x86)"
    exit 77
fi
GK_TEST_BACKEND=libvirt${GK_LIBVIRT_URI:+:$GK_LIBVIRT_URI}
export GK_TEST_BACKEND
