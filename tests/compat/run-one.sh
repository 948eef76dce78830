#!/bin/sh
# run-one.sh FISH NAME.gf OUTDIR: run one compatibility script the way
# record.sh recorded it (tests/compat/README.md): in a fresh directory
# holding a blank 64 MiB disk.img, HOME=<dir>/home, EDITOR a sed script,
# as "FISH OPTS -f NAME.gf" (OPTS from the script's "# opts:" line,
# default "-a disk.img").  Writes OUTDIR/NAME.out, .err (the directory
# normalised to @TMP@) and .status.
set -u
fish=$1 script=$2 outdir=$3
name=$(basename "$script" .gf)
work=$(mktemp -d "${TMPDIR:-/tmp}/compat-$name.XXXXXX")
mkdir "$work/home"
truncate -s 64M "$work/disk.img"
cp "$script" "$work/$name.gf"
opts=$(sed -n 's/^# opts: //p' "$script" | head -n 1)
[ -n "$opts" ] || opts="-a @DISK@"
opts=$(printf '%s' "$opts" | sed "s|@DISK@|disk.img|g")
# shellcheck disable=SC2086 # opts are words
(cd "$work" && HOME="$work/home" EDITOR="sed -i s/hello/HELLO-EDITED/" \
   $fish $opts -f "$name.gf" >"$work/stdout" 2>"$work/stderr" </dev/null)
echo $? >"$outdir/$name.status"
for s in out err; do
  sed -e "s|$work|@TMP@|g" "$work/std$s" >"$outdir/$name.$s"
done
rm -rf "$work"
