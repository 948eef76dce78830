# Sourced by the tests that run a test program against the UML backend
# (the same tests as for qemu, with GK_TEST_BACKEND=uml).  Exit 77
# (automake: SKIP) with the reason when UML cannot run here.
uml=${GUESTKIT_UML:-/usr/bin/linux.uml}
if [ ! -e "$uml" ]; then
    echo "SKIP: $uml is not installed (apt-get install user-mode-linux)"
    exit 77
fi
if [ ! -x "$uml" ]; then
    echo "SKIP: $uml is not executable"
    exit 77
fi
if ! "$uml" --version >/dev/null 2>&1; then
    echo "SKIP: $uml does not run on this host ($uml --version failed)"
    exit 77
fi
if ! why=$(sh "${TOP_SRCDIR:-.}/tests/uml-probe.sh" "$uml"); then
    echo "SKIP: $uml cannot run programs on this host: $why"
    exit 77
fi
GK_TEST_BACKEND=uml
export GK_TEST_BACKEND
