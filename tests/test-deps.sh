#!/bin/sh
# Every program the appliance marks optional (a trailing "?" in
# appliance/files.list: skipped when the host lacks it) that a test uses
# must come from a package scripts/install-deps.sh installs; otherwise a
# fresh machine builds an appliance without it and the test fails there
# (zerofree did).  A program is used by a test when the daemon runs it
# (a "PROG" string in daemon/*.c: every call has tests in the API
# table) or a test program or script names it.  A used program that is
# not installed here is accepted only if every test that names it prints
# a SKIP line naming it.  No appliance.
set -u
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }

if ! command -v dpkg-query > /dev/null; then
  echo "SKIP: dpkg-query is missing (install-deps.sh is for Debian)"
  exit 77
fi
pkgs=$("$top/scripts/install-deps.sh" --list) || { nok "install-deps.sh --list"; pkgs=; }
optional=$(sed -n 's/^\([^#/][^ ]*\)?$/\1/p' "$top/appliance/files.list")
[ -n "$optional" ] && ok "files.list marks $(echo "$optional" | wc -l) programs optional" \
  || nok "no optional programs found in appliance/files.list"
tests=$(ls "$top"/tests/*.c "$top"/tests/*.sh "$top"/tests/images/*.sh | grep -v '/test-deps.sh$')

for p in $optional; do
  users=
  if grep -lF "\"$p\"" "$top"/daemon/*.c > /dev/null 2>&1; then users="the API table (daemon runs it)"; fi
  named=$(grep -lw -- "$p" $tests 2>/dev/null | sed "s|.*/||" | tr "\n" " " | sed "s/ $//")
  users="$users${users:+${named:+, }}$named"
  if [ -z "$users" ]; then
    ok "$p: no test uses it"
    continue
  fi
  path=
  for d in /usr/sbin /usr/bin /sbin /bin; do
    if [ -e "$d/$p" ]; then path=$d/$p; break; fi
  done
  if [ -z "$path" ]; then
    # Not here: every test that names it must say SKIP with it.
    quiet=
    for f in $named; do grep -E "SKIP.*$p|$p.*SKIP" "$top/tests/$f" > /dev/null 2>&1 || quiet="$quiet $f"; done
    case $users in "the API table"*) quiet="the-API-table$quiet" ;; esac
    if [ -z "$quiet" ]; then ok "$p is not installed; its tests ($users) say SKIP"
    else nok "$p is used by $users but not installed, and$quiet would fail without it: add its package to scripts/install-deps.sh"; fi
    continue
  fi
  # Its package (Debian 12 is usr-merged: dpkg may know /sbin/X as well
  # as /usr/sbin/X, and a link's target rather than the link).
  pkg=
  for f in "$path" "${path#/usr}" "$(readlink -f "$path")" "$(readlink -f "$path" | sed 's|^/usr||')"; do
    pkg=$(dpkg-query -S "$f" 2>/dev/null | sed -n '1s/:.*//p')
    [ -z "$pkg" ] || break
  done
  if [ -z "$pkg" ]; then
    nok "$p ($path, used by $users) belongs to no Debian package"
  elif echo "$pkgs" | grep -qx -- "$pkg"; then
    ok "$p (package $pkg, used by $users) is installed by install-deps.sh"
  else
    nok "$p is used by $users, but its package $pkg is not in scripts/install-deps.sh"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
