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
# The binary runs, but can it run the appliance on this host?  Some hosts
# (CPUs with AMX, under UML before Linux 6.3) kill every process UML
# starts; the library names that case, and only that case skips here:
# any other failure is the test's to report.
if [ -n "${GKFISH:-}" ] && [ -x "$GKFISH" ]; then
    probe_img=$(mktemp "${TMPDIR:-/tmp}/uml-probe.XXXXXX")
    truncate -s 1M "$probe_img"
    probe=$("$GKFISH" --backend uml -a "$probe_img" -- echo-daemon probe 2>&1)
    rm -f "$probe_img"
    case $probe in
    *"User-Mode Linux cannot run processes on this host"*)
        echo "SKIP: $(printf '%s\n' "$probe" | grep -m1 'User-Mode Linux cannot run')"
        exit 77 ;;
    esac
fi
GK_TEST_BACKEND=uml
export GK_TEST_BACKEND
