#!/bin/sh
# gkinspector against virt-inspector (libguestfs), field by field, on
# every test image (tests/images/make-images.sh and the images of the
# other make-*-images.sh scripts in the same cache): roots, type, distro,
# product name, versions, arch, host name, package format and manager,
# mount points, filesystems, drive letters, the Windows fields and the
# applications (count, names, versions).  The comparison is
# tests/inspect-compare.py; the differences it accepts are explained in
# docs/inspection-compat.md.  virt-inspector is slow (its own appliance,
# TCG here): its XML is cached per image checksum in
# $GK_TEST_IMAGES/virt-inspector/.  SKIP without virt-inspector
# (scripts/install-deps.sh --with-libguestfs installs it).
set -u
T=600
. "$(dirname "$0")/gkfish-env.sh"
. "$top/tests/inspect-check.sh"
cache=${GK_TEST_IMAGES:-/var/tmp/gk-test-images}

if ! command -v virt-inspector >/dev/null 2>&1; then
  echo "SKIP: virt-inspector is not installed (scripts/install-deps.sh --with-libguestfs)"; exit 77
fi
for tool in python3 debootstrap; do
  if ! command -v $tool >/dev/null 2>&1 && ! [ -x /usr/sbin/$tool ]; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77
  fi
done
if [ "$(id -u)" != 0 ] && ! ls "$cache"/debian-bookworm-minbase-v*.tar >/dev/null 2>&1; then
  echo "SKIP: debootstrap needs root (run once as root to cache the tree)"; exit 77
fi
# libguestfs as bench/ runs it: its own qemu, TCG where KVM does not run.
. "$top/bench/libguestfs-env.sh"

start=$(date +%s)
# GK_COMPARE_IMAGES="DIR..." compares the images of those directories
# instead of building the caches (a branch whose make-images.sh differs
# would rebuild, and replace, the shared image directory).
if [ -n "${GK_COMPARE_IMAGES:-}" ]; then
  dirs=$GK_COMPARE_IMAGES
else
  images=$("$top/tests/images/make-images.sh") || {
    echo "not ok - building the test images"; echo "0 passed, 1 failed"; exit 1; }
  "$top/tests/images/make-windows-image.sh" "$cache/windows" || {
    echo "not ok - building the Windows images"; echo "0 passed, 1 failed"; exit 1; }
  dirs="$images $cache/windows"
  for s in "$top"/tests/images/make-*-images.sh; do
    [ -x "$s" ] && dirs="$dirs $("$s" "$cache")"
  done
fi
vcache=$cache/virt-inspector
mkdir -p "$vcache"
vver=$(virt-inspector --version 2>/dev/null | tr -c 'a-zA-Z0-9.\n' _)

# Every image of the caches (GK_COMPARE_NAMES="a.img b.img": only those,
# as CI runs it); the truncated qcow2 fails both tools' launch.
list=$(for dir in $dirs; do ls "$dir"/*.img 2>/dev/null; done)
if [ -n "${GK_COMPARE_NAMES:-}" ]; then
  list=$(for img in $list; do
    case " $GK_COMPARE_NAMES " in *" $(basename "$img") "*) echo "$img" ;; esac
  done)
  [ -n "$list" ] || { echo "not ok - none of GK_COMPARE_NAMES ($GK_COMPARE_NAMES) was built"; echo "0 passed, 1 failed"; exit 1; }
fi
for img in $list; do
  name=$(basename "$img")
  sum=$(sha256sum <"$img" | cut -c1-32)
  xml=$vcache/$name-$sum-$vver.xml
  noapps=
  # virt-inspector 1.48 on Debian fails on every rpm guest (its appliance
  # has no /usr/lib/rpm/rpmrc: "rpmtsInitIterator"); for those the other
  # fields come from a run with --no-applications, cached as such.
  [ -f "$xml.noapps" ] && { xml=$xml.noapps; noapps=noapps; }
  if [ ! -f "$xml" ]; then
    t0=$(date +%s)
    # No OS found: exit 1 and an empty file, cached as such.
    timeout "$T" virt-inspector --format=raw -a "$img" >"$xml.tmp" 2>"$d/verr"
    rc=$?
    if [ $rc != 0 ] && grep -q "internal_list_rpm_applications" "$d/verr"; then
      rm -f "$xml.tmp"
      xml=$xml.noapps; noapps=noapps
      timeout "$T" virt-inspector --no-applications --format=raw -a "$img" >"$xml.tmp" 2>"$d/verr"
      rc=$?
    fi
    if [ $rc = 0 ] || grep -q "no operating system" "$d/verr"; then
      mv "$xml.tmp" "$xml"
    else
      echo "# virt-inspector $name: rc=$rc: $(head -c 300 "$d/verr")"
      rm -f "$xml.tmp"
      : >"$d/empty.xml"
      xml=$d/empty.xml
    fi
    echo "# virt-inspector $name: $(( $(date +%s) - t0 )) s"
  fi
  timeout "$T" "$GKINSPECTOR" -a "$img" --json >"$d/gk.json" 2>"$d/gkerr"
  python3 "$top/tests/inspect-compare.py" "$name" "$d/gk.json" "$xml" $noapps >"$d/res"
  cat "$d/res"
  pass=$((pass + $(grep -c '^ok' "$d/res")))
  fail=$((fail + $(grep -c '^not ok' "$d/res")))
done

echo "# $(( $(date +%s) - start )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
