#!/bin/sh
# gkbatch as a user drives it, on tiny ext4 images (8 MiB, made here by
# mkfs.ext4 -d, no appliance needed for that):
#  - a list mixing good, corrupt, missing and unreadable images and a
#    script that fails on some: statuses, errors, failing command and
#    line, output, exit status; the JSON lines parse (jq);
#  - a rerun with the journal skips everything and keeps the exit status;
#  - --timeout: the image times out, is retryable, exit status 3;
#  - --rw all or nothing: the image that failed is byte-identical (cmp),
#    the one that succeeded has the change (debugfs, on the host);
#  - a commit cut short ("committing" in the journal) is redone;
#  - SIGKILL of gkbatch halfway, then a resume: every image done exactly
#    once (real appliances, and 1,000 images with --dry-run, which still
#    runs the queue, workers and journal), with bounded memory;
#  - --shard K/N covers the list exactly once; --merge; the Kubernetes
#    Indexed Job in examples/ (syntax, and its indexes cover the list);
#  - GNU parallel driving shards from a login file: ssh logins to this
#    machine when a password-less one works, else two local logins (:);
#  - no appliance, socket or temporary file is left behind.
#  - Ctrl-C: exit status 130, interrupted images not journalled;
#  - -i on the cached inspection images, when they exist (hostile output);
# About 13 appliance boots, 2 at a time.
set -u
. "${TOP_SRCDIR:-$(dirname "$0")/..}/tests/gkfish-env.sh"
GKBATCH=${GKBATCH:-${TOP_BUILDDIR:-$top}/batch/gkbatch}
src=${TOP_SRCDIR:-$top}
for p in jq mkfs.ext4 debugfs qemu-img qemu-io; do
  command -v $p >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
done
[ -x "$GKBATCH" ] || { echo "SKIP: $GKBATCH not built"; exit 77; }

d=$(mktemp -d /tmp/test-gkbatch.XXXXXX)
export TMPDIR=$d/tmp
mkdir "$TMPDIR"
gkpid=
cleanup () {
  [ -n "$gkpid" ] && kill -9 "$gkpid" 2>/dev/null
  chmod -R u+rwX "$d" 2>/dev/null
  rm -rf "$d"
}
trap cleanup EXIT

# No process of ours (qemu has the image paths on its command line).
no_leftovers () {
  sleep 0.3
  if pgrep -f "$d/" >/dev/null 2>&1; then
    nok "$1: processes left behind: $(pgrep -af "$d/" | head -3)"
  elif [ -n "$(ls -A "$TMPDIR")" ]; then
    nok "$1: temporary files left behind: $(ls -A "$TMPDIR")"
  else ok "$1: no process or temporary file left behind"; fi
}
# jq over the result lines (not the summary).
res () { jq -r "select(.summary != true) | $1" "$2"; }
field () { jq -r --arg p "$1" "select(.path == \$p) | $2" "$3"; }
expect () {  # NAME GOT WANT
  if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: got [$2], want [$3]"; fi
}

mkdir "$d/tree" "$d/tree2"
echo hello > "$d/tree/hello.txt"
echo other > "$d/tree2/other.txt"
mkimg () { mkfs.ext4 -q -F -d "$2" "$1" 8M >/dev/null 2>&1; }
for i in 1 2 3 4; do mkimg "$d/good$i.img" "$d/tree"; done
mkimg "$d/nohello.img" "$d/tree2"
head -c 8388608 /dev/urandom > "$d/corrupt.img"
mkdir "$d/adir.img"                 # unreadable as a disk image, even for root
cp "$d/good1.img" "$d/noperm.img"; chmod 000 "$d/noperm.img"

# ---- usage (no appliance) --------------------------------------------
"$GKBATCH" >/dev/null 2>"$d/err"; expect "no arguments: usage error" $? 2
"$GKBATCH" -- mkdri /x "$d/good1.img" >/dev/null 2>"$d/err"
expect "no images: usage error" $? 2
"$GKBATCH" "$d/good1.img" -- mkdri /x >/dev/null 2>"$d/err"; rc=$?
if [ $rc = 2 ] && grep -q "did you mean 'mkdir'" "$d/err"; then ok "typo in the script: usage error before any image"
else nok "typo in the script: status $rc, $(cat "$d/err")"; fi
printf 'cat /hello.txt\n!ls\n' > "$d/hostcmd.gk"
"$GKBATCH" -f "$d/hostcmd.gk" "$d/good1.img" >/dev/null 2>"$d/err"; rc=$?
if [ $rc = 2 ] && grep -q "hostcmd.gk:2: host commands" "$d/err"; then ok "host commands refused, with the line"
else nok "host commands: status $rc, $(cat "$d/err")"; fi
"$GKBATCH" --shard 4/3 "$d/good1.img" -- ls / >/dev/null 2>&1; expect "--shard 4/3 refused" $? 2

# ---- a mixed list ----------------------------------------------------
printf '# mixed\n%s\n%s\n%s\n%s\n%s\n%s\n\n' "$d/good1.img" "$d/nohello.img" "$d/corrupt.img" \
  "$d/missing.img" "$d/adir.img" "$d/good2.img" > "$d/mixed.list"
[ "$(id -u)" != 0 ] && echo "$d/noperm.img" >> "$d/mixed.list"
printf 'cat /hello.txt\nchecksum md5 /hello.txt\n' > "$d/read.gk"
"$GKBATCH" -j 2 -m /dev/sda -f "$d/read.gk" --images "$d/mixed.list" --journal "$d/j-mixed" \
  > "$d/mixed.out" 2>"$d/mixed.err"
expect "mixed list: exit status 1 (some failed)" $? 1
if jq -e . "$d/mixed.out" >/dev/null 2>&1; then ok "mixed list: every line is JSON"
else nok "mixed list: output does not parse: $(head -c 300 "$d/mixed.out")"; fi
n=$(grep -vc '^#' "$d/mixed.list" | tr -d ' '); n=$((n - 1))     # minus the blank line
expect "mixed list: one result per image" "$(res .path "$d/mixed.out" | sort -u | wc -l)" "$n"
want_md5=$(md5sum < "$d/tree/hello.txt" | cut -d' ' -f1)
expect "good image: ok with the script's output" \
  "$(field "$d/good1.img" '.status + " " + .output' "$d/mixed.out")" "ok hello
$want_md5"
expect "good image: timings and backend" \
  "$(field "$d/good2.img" '(.launch_s > 0 and .total_s >= .launch_s and (.backend|test("qemu|uml")))' "$d/mixed.out")" true
expect "script failure: failing command and line, permanent" \
  "$(field "$d/nohello.img" '[.status, .command, .line, .phase, .retryable] | map(tostring) | join(" ")' "$d/mixed.out")" \
  "failed cat 1 script false"
field "$d/nohello.img" .error "$d/mixed.out" | grep -q "hello.txt" \
  && ok "script failure: the error names the file" || nok "script failure: error $(field "$d/nohello.img" .error "$d/mixed.out")"
expect "corrupt image: fails at mount" "$(field "$d/corrupt.img" '.status + " " + .phase' "$d/mixed.out")" "failed mount"
expect "missing image: fails at add-drive, permanent" \
  "$(field "$d/missing.img" '.status + " " + .phase + " " + (.retryable|tostring)' "$d/mixed.out")" "failed drive false"
field "$d/missing.img" .error "$d/mixed.out" | grep -q "No such file" \
  && ok "missing image: says so" || nok "missing image: $(field "$d/missing.img" .error "$d/mixed.out")"
field "$d/adir.img" .error "$d/mixed.out" | grep -q "directory" \
  && ok "a directory: refused" || nok "a directory: $(field "$d/adir.img" .error "$d/mixed.out")"
if [ "$(id -u)" != 0 ]; then
  field "$d/noperm.img" .error "$d/mixed.out" | grep -q "Permission denied" \
    && ok "unreadable image: refused" || nok "unreadable image: $(field "$d/noperm.img" .error "$d/mixed.out")"
else
  echo "SKIP: unreadable file (mode 000): running as root, which reads it anyway"
fi
expect "summary line" "$(jq -r 'select(.summary) | [.total, .ok, .failed, .timeout] | map(tostring) | join(" ")' "$d/mixed.out")" \
  "$n 2 $((n - 2)) 0"
expect "journal: one record per image" "$(jq -r .path "$d/j-mixed" | sort -u | wc -l)" "$n"
no_leftovers "mixed list"

# Rerun with the journal: nothing runs, failures still count.
"$GKBATCH" -f "$d/read.gk" -m /dev/sda --images "$d/mixed.list" --journal "$d/j-mixed" \
  > "$d/rerun.out" 2>/dev/null
expect "rerun: exit status still 1" $? 1
expect "rerun: everything skipped" "$(res .status "$d/rerun.out" | sort -u)" skipped
expect "rerun: journal unchanged" "$(wc -l < "$d/j-mixed")" "$n"

# CSV.
"$GKBATCH" --csv --dry-run "$d/good1.img" "$d/good2.img" -- ls / > "$d/csv.out" 2>/dev/null
expect "--csv: header and two lines" "$(head -1 "$d/csv.out" | cut -d, -f1-3) $(wc -l < "$d/csv.out")" "path,status,retryable 3"

# ---- timeout ---------------------------------------------------------
# debug-sh runs in the appliance (the tiny images have no /bin/sh); a
# call the daemon is executing is not cancelled, so this is the SIGKILL
# path when the launch fits in the 25 s (on a loaded machine it may not:
# the timeout then hits the launch, which is fine too).
start=$(date +%s)
"$GKBATCH" --timeout 25 -m /dev/sda "$d/good3.img" -- debug-sh "sleep 300" > "$d/to.out" 2>/dev/null
rc=$?
took=$(( $(date +%s) - start ))
expect "timeout: exit status 3 (retryable only)" $rc 3
expect "timeout: status and retryable" "$(res '.status + " " + (.retryable|tostring)' "$d/to.out")" "timeout true"
[ "$took" -lt 60 ] && ok "timeout: stopped in ${took}s (in phase $(res .phase "$d/to.out"))" \
  || nok "timeout: took ${took}s"
no_leftovers "timeout"

# ---- Ctrl-C ----------------------------------------------------------
"$GKBATCH" -j 2 -m /dev/sda --journal "$d/j-int" "$d/good1.img" "$d/good2.img" "$d/good3.img" \
  -- debug-sh "sleep 300" > "$d/int.out" 2>/dev/null &
gkpid=$!
i=0
while [ $i -lt 300 ] && [ "$(pgrep -fc "$d/good")" -lt 2 ]; do sleep 0.2; i=$((i + 1)); done
sleep 2
start=$(date +%s)
kill -INT $gkpid; wait $gkpid; rc=$?; gkpid=
took=$(( $(date +%s) - start ))
expect "Ctrl-C: exit status 130" $rc 130
[ "$took" -lt 20 ] && ok "Ctrl-C: stopped in ${took}s" || nok "Ctrl-C: took ${took}s"
expect "Ctrl-C: running images reported interrupted, the rest not started" \
  "$(res '.status + " " + .error' "$d/int.out" | sort -u) $(jq -r 'select(.summary) | [.interrupted, .not_started] | map(tostring) | join(" ")' "$d/int.out")" \
  "skipped interrupted true 1"
expect "Ctrl-C: nothing journalled (a rerun does them)" "$(wc -c < "$d/j-int")" 0
no_leftovers "Ctrl-C"

# ---- --rw: all or nothing ---------------------------------------------
cp "$d/good4.img" "$d/rw-good.img"; cp "$d/nohello.img" "$d/rw-bad.img"
cp "$d/rw-bad.img" "$d/rw-bad.orig"
"$GKBATCH" --rw --journal "$d/j-rw" -m /dev/sda "$d/rw-good.img" "$d/rw-bad.img" \
  -- write /new.txt changed : cat /hello.txt > "$d/rw.out" 2>"$d/rw.err"
expect "--rw: exit status 1" $? 1
expect "--rw: statuses" "$(field "$d/rw-good.img" .status "$d/rw.out") $(field "$d/rw-bad.img" .status "$d/rw.out")" "ok failed"
cmp -s "$d/rw-bad.img" "$d/rw-bad.orig" && ok "--rw: the failed image is byte-identical" \
  || nok "--rw: the failed image changed"
expect "--rw: the change reached the good image" \
  "$(debugfs -R "cat /new.txt" "$d/rw-good.img" 2>/dev/null)" changed
expect "--rw: commit time reported" "$(field "$d/rw-good.img" '.commit_s > 0' "$d/rw.out")" true
expect "--rw: journal has committing then ok" \
  "$(jq -r --arg p "$d/rw-good.img" 'select(.path == $p) | .status' "$d/j-rw" | tr '\n' ' ')" "committing ok "
[ -z "$(ls -A "$d/j-rw.d" 2>/dev/null)" ] && ok "--rw: no overlay left" || nok "--rw: left: $(ls "$d/j-rw.d")"
no_leftovers "--rw"

# A commit cut short: the journal says "committing" and the overlay is
# there; the next run commits it (no appliance), and only that.
cp "$d/good4.img" "$d/cc.img"
mkdir -p "$d/j-cc.d"
printf '{"path":"%s","status":"committing"}\n' "$d/cc.img" > "$d/j-cc"
hash=$(printf '%s' "$d/cc.img" | python3 -c 'import sys
h=14695981039346656037
for b in sys.stdin.buffer.read(): h=((h^b)*1099511628211)%2**64
print("%016x"%h)')
qemu-img create -q -f qcow2 -F raw -b "$d/cc.img" "$d/j-cc.d/$hash.qcow2"
qemu-io -c "write -P 0x5a 1048576 4096" "$d/j-cc.d/$hash.qcow2" >/dev/null
"$GKBATCH" --rw --journal "$d/j-cc" -m /dev/sda "$d/cc.img" -- mkdir /never > "$d/cc.out" 2>/dev/null
expect "redo a cut commit: ok" "$?:$(res .status "$d/cc.out")" "0:ok"
expect "redo a cut commit: the data is in the image" \
  "$(od -An -tx1 -j 1048576 -N 4 "$d/cc.img" | tr -d ' ')" 5a5a5a5a
expect "redo a cut commit: the script did not run again" \
  "$(debugfs -R "ls /" "$d/cc.img" 2>/dev/null | grep -c never)" 0
[ ! -e "$d/j-cc.d/$hash.qcow2" ] && ok "redo a cut commit: overlay removed" || nok "overlay kept"

# ---- SIGKILL halfway, then resume (real appliances) ------------------
printf '%s\n' "$d/good1.img" "$d/good2.img" "$d/good3.img" "$d/good4.img" > "$d/four.list"
"$GKBATCH" -j 2 -m /dev/sda --images "$d/four.list" --journal "$d/j-kill" -- cat /hello.txt \
  > "$d/kill1.out" 2>/dev/null &
gkpid=$!
i=0
while [ $i -lt 600 ] && ! grep -q '"ok"' "$d/j-kill" 2>/dev/null; do sleep 0.2; i=$((i + 1)); done
kill -9 $gkpid; wait $gkpid 2>/dev/null; gkpid=
no_leftovers "SIGKILL of gkbatch"
first=$(jq -r 'select(.status == "ok") | .path' "$d/j-kill" | sort)
"$GKBATCH" -j 2 -m /dev/sda --images "$d/four.list" --journal "$d/j-kill" -- cat /hello.txt \
  > "$d/kill2.out" 2>/dev/null
expect "resume: exit status 0" $? 0
expect "resume: every image ok exactly once in the journal" \
  "$(jq -r 'select(.status == "ok") | .path' "$d/j-kill" | sort | uniq -c | awk '{print $1}' | sort -u) $(jq -r .path "$d/j-kill" | sort -u | wc -l)" "1 4"
expect "resume: the done ones were skipped" "$(res 'select(.status == "skipped") | .path' "$d/kill2.out" | sort)" "$first"
[ -n "$first" ] && [ "$(echo "$first" | wc -l)" -lt 4 ] && ok "resume: the kill was halfway ($(echo "$first" | wc -l) done)" \
  || nok "resume: the kill was not halfway: [$first]"

# ---- 1,000 images, --dry-run: SIGKILL, resume, memory ------------------
awk -v d="$d" 'BEGIN { for (i = 0; i < 1000; i++) printf "%s/many/img-%04d.qcow2\n", d, i }' > "$d/many.list"
"$GKBATCH" --dry-run -j 4 --images "$d/many.list" --journal "$d/j-many" -- ls / > /dev/null 2>&1 &
gkpid=$!
i=0
while [ $i -lt 300 ] && [ "$( { wc -l < "$d/j-many"; } 2>/dev/null || echo 0)" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $gkpid; wait $gkpid 2>/dev/null; gkpid=
before=$(wc -l < "$d/j-many")
# A torn last line, as a kill in the middle of a write leaves it.
printf '{"path":"%s/many/img-0999.qcow2","sta' "$d" >> "$d/j-many"
"$GKBATCH" --dry-run -j 4 --images "$d/many.list" \
  --journal "$d/j-many" -- ls / > "$d/many.out" 2>"$d/many.err"
expect "1000 dry-run: resume exit status 0" $? 0
# (jq -R 'fromjson?': the torn line stays in the file, ignored.)
oks () { jq -rR 'fromjson? | select(.status == "ok") | .path' "$1"; }
expect "1000 dry-run: each image ok exactly once" \
  "$(oks "$d/j-many" | sort | uniq -c | awk '{print $1}' | sort -u) $(oks "$d/j-many" | wc -l)" "1 1000"
[ "$before" -gt 0 ] && [ "$before" -lt 1000 ] && ok "1000 dry-run: killed halfway ($before done)" \
  || nok "1000 dry-run: kill not halfway ($before)"
grep -q "1 torn line" "$d/many.err" && ok "torn journal line reported and ignored" || nok "torn line: $(cat "$d/many.err")"
# Memory does not grow with the number of images (a list is streamed,
# the journal is read once into a set of names): 1,000 images against
# 10, fresh journals, both resident sizes measured the same way.  (ASan's
# quarantine keeps freed memory and would grow with any loop: off here.)
head -n 10 "$d/many.list" > "$d/few.list"
for n in few many; do
  rm -f "$d/j-rss"
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    /usr/bin/time -f %M -o "$d/rss-$n" "$GKBATCH" --dry-run -j 4 --images "$d/$n.list" \
    --journal "$d/j-rss" -- ls / > /dev/null 2>&1
done
few=$(cat "$d/rss-few") many=$(cat "$d/rss-many")
[ $((many - few)) -lt 4096 ] && ok "1000 dry-run: memory does not grow per image (10: ${few} KiB, 1000: ${many} KiB)" \
  || nok "1000 dry-run: memory grows per image (10: ${few} KiB, 1000: ${many} KiB)"

# ---- -i on the cached inspection images (tests/images/make-images.sh) --
imgs=$(ls -d "${GK_TEST_IMAGES:-/var/tmp/gk-test-images}"/images-*/done 2>/dev/null | head -1)
if [ -n "$imgs" ]; then
  imgs=$(dirname "$imgs")
  "$GKBATCH" -i -j 2 "$imgs/fedora.img" "$imgs/windows.img" "$imgs/hostile.img" \
    -- cat /etc/os-release > "$d/insp.out" 2>/dev/null
  expect "-i: exit status 1 (windows has no os-release)" $? 1
  field "$imgs/fedora.img" .output "$d/insp.out" | grep -q "^ID=fedora" \
    && ok "-i: fedora mounted by inspection" || nok "-i: fedora: $(field "$imgs/fedora.img" '.error' "$d/insp.out")"
  expect "-i: windows: the script fails" "$(field "$imgs/windows.img" '.status + " " + .command' "$d/insp.out")" "failed cat"
  if jq -e . "$d/insp.out" >/dev/null 2>&1 \
     && field "$imgs/hostile.img" .output "$d/insp.out" | grep -q "$(printf '\357\277\275')"; then
    ok "-i: hostile os-release (invalid UTF-8, escapes): the JSON parses, bad bytes are U+FFFD"
  else nok "-i: hostile: $(grep hostile "$d/insp.out" | head -c 300)"; fi
  no_leftovers "-i"
else
  echo "SKIP: -i: the inspection test images are not cached (tests/images/make-images.sh)"
fi

# ---- shards, --merge, the Kubernetes Job ------------------------------
for k in 1 2 3; do
  "$GKBATCH" --dry-run --shard $k/3 --images "$d/many.list" --journal "$d/j-shard$k" -- ls / \
    > "$d/shard$k.out" 2>/dev/null
done
expect "--shard: 3 shards cover 1000 images exactly once" \
  "$(cat "$d/shard1.out" "$d/shard2.out" "$d/shard3.out" | jq -r 'select(.path) | .path' | sort | uniq -u | wc -l)" 1000
"$GKBATCH" --merge "$d/j-shard1" "$d/j-shard2" "$d/j-shard3" > "$d/merged" 2>/dev/null
expect "--merge: 1000 ok" "$?:$(jq -r 'select(.summary) | .ok' "$d/merged")" "0:1000"

job=$src/examples/gkbatch-job.yaml
if command -v yq >/dev/null 2>&1; then
  kind=$(yq -r 'select(.kind == "Job") | [.apiVersion, .spec.completionMode, .spec.template.spec.restartPolicy] | join(" ")' "$job" 2>&1)
  expect "k8s Job: parses, Indexed, restartPolicy Never" "$kind" "batch/v1 Indexed Never"
  n=$(yq -r 'select(.kind == "Job") | .spec.completions' "$job")
  args=$(yq -r 'select(.kind == "Job") | .spec.template.spec.containers[0].args | join(" ")' "$job")
  idx=$(yq -r 'select(.kind == "Job") | .spec.template.spec.containers[0].env[] | select(.name == "JOB_INDEX") | .valueFrom.fieldRef.fieldPath' "$job")
  expect "k8s Job: JOB_INDEX is the completion index" "$idx" "metadata.annotations['batch.kubernetes.io/job-completion-index']"
  shard=$(printf '%s\n' $args | grep -A1 -- '^--shard$' | tail -1)
  : > "$d/k8s.all"
  for i in $(seq 0 $((n - 1))); do
    s=$(printf '%s' "$shard" | sed "s/\$(JOB_INDEX)/$i/")
    "$GKBATCH" --dry-run --shard "$s" --images "$d/many.list" -- ls / 2>/dev/null \
      | jq -r 'select(.path) | .path' >> "$d/k8s.all"
  done
  expect "k8s Job: $n indexes ($shard) cover the list exactly once" \
    "$(sort "$d/k8s.all" | uniq -u | wc -l) $(wc -l < "$d/k8s.all")" "1000 1000"
else
  echo "SKIP: yq is not installed: the Kubernetes manifest is not checked"
fi

# ---- GNU parallel across ssh logins -----------------------------------
if ! command -v parallel >/dev/null 2>&1; then
  echo "SKIP: GNU parallel --sshloginfile: parallel is not installed"
else
  # Two logins of one job each: over ssh to this machine when a
  # password-less login works, else two local logins (":" is parallel's
  # name for this machine without ssh), so the login file and the
  # sharding are exercised either way.
  if ssh -o BatchMode=yes -o ConnectTimeout=3 127.0.0.1 true 2>/dev/null; then
    printf '1/127.0.0.1\n1/localhost\n' > "$d/logins"
  else
    echo "# no password-less ssh to 127.0.0.1: two local logins (:) instead"
    printf '1/:\n1/:\n' > "$d/logins"
  fi
  seq 1 2 | parallel --sshloginfile "$d/logins" \
    "$GKBATCH" --dry-run --shard {}/2 --images "$d/many.list" -- ls / > "$d/par.out" 2>/dev/null
  expect "GNU parallel over 2 logins covers the list once" \
    "$(jq -r 'select(.path) | .path' "$d/par.out" | sort | uniq -u | wc -l)" 1000
fi

no_leftovers "at the end"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
