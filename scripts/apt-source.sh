#!/bin/sh
# Print the Debian mirror apt uses on this machine and apt's HTTP proxy,
# as "mirror=URL" and "proxy=URL" (empty when there is none), for tools
# that download without apt (debootstrap uses wget, which reads neither
# apt's sources nor its proxy).  GK_DEBIAN_MIRROR overrides the mirror.
set -eu
mirror=${GK_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 sources first (Debian 12's default), then sources.list.
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | grep -v security | head -n 1) || true
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^http/) { print $i; exit } }' \
           /etc/apt/sources.list)
fi
echo "mirror=${mirror:-http://deb.debian.org/debian}"
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n 1)
echo "proxy=$proxy"
