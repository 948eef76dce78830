# shellcheck shell=sh
# Sourced by the shell tests that drive gkfish (test-gkfish.sh,
# test-filesystems.sh, test-lvm.sh, ...): where
# gkfish, the library, the daemon and the appliance builder are (this
# build tree unless make check's environment says otherwise), and the
# ok/nok counters for the final "N passed, N failed" line.
top=$(cd "$(dirname "$0")/.." && pwd)
GKFISH=${GKFISH:-$top/fish/gkfish}
export LD_LIBRARY_PATH="${TOP_BUILDDIR:-$top}/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$top/daemon/guestkitd}"
: "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }
# expect NAME WANT-RC WANT-STDERR-PATTERN GKFISH-ARGS...: run gkfish
# ($backend's words first) with stderr in $d/err and stdout in $out;
# check the exit status and that stderr has the pattern ("" any).
expect () {
  name=$1 want_rc=$2 pat=$3
  shift 3
  # shellcheck disable=SC2086
  out=$("$GKFISH" ${backend:-} "$@" 2>"$d/err"); rc=$?
  if [ "$rc" != "$want_rc" ]; then nok "$name: exit status $rc, expected $want_rc: $(cat "$d/err")"
  elif [ -n "$pat" ] && ! grep -q -- "$pat" "$d/err"; then nok "$name: stderr [$(cat "$d/err")] lacks [$pat]"
  else ok "$name"; fi
}
