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
# The mirror apt uses here (deb822 sources or sources.list), and apt's
# proxy if it has one: debootstrap downloads with wget, which knows
# neither.
mirror=${GK_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | grep -v security | head -n 1)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^http/) { print $i; exit } }' \
           /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then export http_proxy="$proxy"; fi
start=$(date +%s)
debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
  echo "debootstrap from $mirror failed:" >&2; tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
# Drop what the images don't need: the apt cache and the docs.
rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/usr/share/doc "$tree"/usr/share/man \
  "$tree"/usr/share/locale
tar -C "$tree" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "debootstrap took $(( $(date +%s) - start )) s" >&2
echo "$tarball"
