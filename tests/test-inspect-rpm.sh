#!/bin/sh
# rpm guests (tests/images/make-rpm-images.sh, cached), and Alpine and
# Arch: package lists from
# a real SQLite database (Fedora 39) and a real Berkeley DB one (RHEL 8.9),
# both written by Debian's rpm tools, read in the appliance by its rpm;
# ndb (SUSE) a clear error; hostile databases (a symlink climbing out of
# the root, a FIFO, garbage) confined and bounded; host names from
# /etc/hostname, /etc/HOSTNAME and /etc/sysconfig/network.  Each image
# must stay byte-identical.  One appliance per run, each under a timeout.
set -u
. "$(dirname "$0")/gkfish-env.sh"
. "$top/tests/inspect-check.sh"
for tool in rpmbuild db5.3_load jq; do
  command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool is not installed (scripts/install-deps.sh)"; exit 77; }
done

start=$(date +%s)
images=$("$top/tests/images/make-rpm-images.sh") || { nok "building the rpm test images"; echo "$pass passed, $fail failed"; exit 1; }
echo "# images in $images ($(( $(date +%s) - start )) s)"
sums () { cat "$images/fedora-rpm.img" "$images/rhel-bdb.img" "$images/suse-ndb.img" \
  "$images/rpm-hostile.img" "$images/apk-pacman.img" | sha256sum; }
sum=$(sums)
apps='gk-data 0 2024.1 7.gk noarch,gk-hello 2 1.2 3.gk noarch,gk-tools 0 0.9 1.gk noarch'

# ---- SQLite and Berkeley DB: gkinspector --json ---------------------------
run_ "$GKINSPECTOR" -a "$images/fedora-rpm.img" -a "$images/rhel-bdb.img" --json
expect "gkinspector fedora (SQLite) + rhel (BDB): exit 0" [ "$rc" = 0 ]
f='.operatingsystems[0]' r='.operatingsystems[1]'
jq_is "two roots" '[.operatingsystems[].root] | join(",")' "/dev/sda1,/dev/sdb1"
jq_is "fedora: distro, version, package format and tool" \
  "$f | [.distro, .major_version, .package_format, .package_management] | join(\" \")" "fedora 39 rpm dnf"
jq_is "fedora: host name from /etc/hostname" "$f.hostname" gk-fedora-rpm
jq_is "fedora: the packages of the SQLite database (name epoch version release arch)" \
  "[$f.applications[] | [.name, .epoch, .version, .release, .arch] | map(tostring) | join(\" \")] | join(\",\")" "$apps"
jq_is "rhel: distro and version" "$r | [.distro, .major_version, .minor_version, .package_format] | join(\" \")" "rhel 8 9 rpm"
jq_is "rhel: host name from /etc/sysconfig/network" "$r.hostname" gk-rhel-bdb
jq_is "rhel: the packages of the Berkeley DB database (bdb_ro)" \
  "[$r.applications[] | [.name, .epoch, .version, .release, .arch] | map(tostring) | join(\" \")] | join(\",\")" "$apps"

# ---- ndb: a clear error; the rest of the inspection still works ----------
run_ "$GKFISH" --ro -a "$images/suse-ndb.img" <<'GK'
inspect-os
inspect-get-hostname /dev/sda1
inspect-get-distro /dev/sda1
inspect-get-package-format /dev/sda1
-inspect-list-applications2 /dev/sda1
echo end
GK
expect "suse: root, host name from /etc/HOSTNAME, distro, format" [ "$out" = "/dev/sda1
gk-suse-ndb
opensuse
rpm
end" ]
expect "suse: the ndb database is an error that says why" \
  has "$err" "inspect-list-applications2: rpm database /usr/lib/sysimage/rpm/Packages.db: the ndb format (SUSE) cannot be read"

# ---- hostile databases: confined, each a clear error, no hang ------------
run_ "$GKFISH" --ro -a "$images/rpm-hostile.img" <<'GK'
inspect-os
-inspect-list-applications2 /dev/sda1
-inspect-list-applications2 /dev/sda2
-inspect-list-applications2 /dev/sda3
inspect-get-hostname /dev/sda3
GK
expect "hostile: three roots found, the script ran to its end" [ "$out" = "/dev/sda1
/dev/sda2
/dev/sda3
gk-hostile-3" ]
expect "hostile: a symlink out of the root reads the guest's own file, which rpm rejects" \
  has "$err" "rpm database in /usr/lib/sysimage/rpm (sqlite): rpm failed: error: cannot open Packages database in /usr/lib/sysimage/rpm$"
expect "hostile: the appliance's files are never read through the link" \
  [ "$(printf '%s' "$err" | grep -c 'root:x:0:0')" = 0 ]
expect "hostile: a FIFO is refused, not opened for reading" \
  has "$err" "rpm database /usr/lib/sysimage/rpm/rpmdb.sqlite: not a regular file"
expect "hostile: three errors, one per root" [ "$(printf '%s\n' "$err" | grep -c 'stdin:[234]: inspect-list-applications2: rpm database')" = 3 ]

# ---- Alpine (apk) and Arch (pacman) ---------------------------------------
run_ "$GKINSPECTOR" -a "$images/apk-pacman.img" --json
expect "gkinspector alpine + arch: exit 0" [ "$rc" = 0 ]
al='.operatingsystems[0]' ar='.operatingsystems[1]'
jq_is "alpine: from /etc/alpine-release alone" \
  "$al | [.distro, .major_version, .minor_version, .hostname, .package_format, .package_management] | join(\" \")" \
  "alpinelinux 3 19 gk-alpine apk apk"
jq_is "alpine: the apk database (version, release r<N>)" \
  "[$al.applications[] | [.name, .version, .release, .arch] | join(\" \")] | join(\",\")" \
  "busybox 1.36.1 r15 x86_64,musl 1.2.4_git20230717 r4 x86_64"
jq_is "arch: distro, format, tool" "$ar | [.distro, .hostname, .package_format, .package_management] | join(\" \")" \
  "archlinux gk-arch pacman pacman"
jq_is "arch: pacman's local database (epoch, version, release)" \
  "[$ar.applications[] | [.name, .epoch, .version, .release, .arch] | map(tostring) | join(\" \")] | join(\",\")" \
  "bash 0 5.2.026 2 x86_64,zlib 1 1.3.1 1 x86_64"

expect "rpm images byte-identical" [ "$(sums)" = "$sum" ]
echo "# $(( $(date +%s) - start )) s in all"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
