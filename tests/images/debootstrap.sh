#!/bin/sh
# Build (once) a tarball of a minimal Debian 12 tree made by debootstrap.
# Usage: debootstrap.sh CACHEDIR ; prints the tarball's path.
# The tarball's name carries the recipe's version: change GK_DEBOOTSTRAP_V
# when the recipe changes, not on every edit of the image scripts (a
# debootstrap takes minutes).
set -eu
GK_DEBOOTSTRAP_V=1
cache=$1
tarball="$cache/debian-bookworm-minbase-v$GK_DEBOOTSTRAP_V.tar"
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi
mkdir -p "$cache"
tree=$(mktemp -d "$cache/debootstrap.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mirror=${GK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
start=$(date +%s)
debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
  echo "debootstrap failed; see $cache/debootstrap.log" >&2; exit 1; }
# Drop what the images don't need: the apt cache and the docs.
rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/usr/share/doc "$tree"/usr/share/man \
  "$tree"/usr/share/locale
tar -C "$tree" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "debootstrap took $(( $(date +%s) - start )) s" >&2
echo "$tarball"
