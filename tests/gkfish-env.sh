# shellcheck shell=sh
# Sourced by shell tests that drive gkfish (tests/test-lvm.sh): where
# gkfish, the library, the daemon and the appliance builder are (this
# build tree unless make check's environment says otherwise), and the
# ok/nok counters for the final "N passed, N failed" line.
# (test-gkfish.sh and test-filesystems.sh still carry their own copy.)
top=$(cd "$(dirname "$0")/.." && pwd)
GKFISH=${GKFISH:-$top/fish/gkfish}
export LD_LIBRARY_PATH="${TOP_BUILDDIR:-$top}/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$top/daemon/guestkitd}"
: "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }
