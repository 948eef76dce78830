#!/bin/sh
# gkbench end to end, tiny: startup (qemu: restore and cold boot, with a
# guestfish that is missing) and upload (4 MiB, one run), one disk
# configuration (virtio-scsi, qcow2, cache=none), then the JSON is checked
# for every field and for numbers that are positive and consistent; bad
# input; Ctrl-C in the middle of a run.  About a dozen appliances.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${TOP_BUILDDIR:-$top}
export LD_LIBRARY_PATH="$b/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
: "${GUESTKIT_DAEMON:=$top/daemon/guestkitd}"
: "${GUESTKIT_APPLIANCE_BUILDER:=$top/appliance/make-appliance.sh}"
export GUESTKIT_DAEMON GUESTKIT_APPLIANCE_BUILDER
gkbench=$b/bench/gkbench
if ! command -v jq >/dev/null; then echo "SKIP: jq is not installed (scripts/install-deps.sh)"; exit 77; fi

d=$(mktemp -d /tmp/test-gkbench.XXXXXX)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }
check () { if eval "$1"; then ok "$2"; else nok "$2"; fi; }
# jq -e: true when the expression holds.
j () { jq -e "$1" "$d/r.json" >/dev/null 2>&1; }

# A guestfish that is not there (exit 127, as the shell says): the
# libguestfs rows are skipped with a note, the rest runs.
mkdir "$d/bin" && printf '#!/bin/sh\nexit 127\n' > "$d/bin/guestfish" && chmod +x "$d/bin/guestfish"
PATH="$d/bin:$PATH" "$gkbench" startup upload --runs 1 --size 4M --image-size 64M --backend qemu \
  --compare-libguestfs --workdir "$d/w" --json "$d/r.json" --csv "$d/r.csv" --markdown "$d/r.md" \
  > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 0 ]' "startup upload: exit 0 (got $rc: $(tail -2 "$d/err"))"
check 'grep -q "median" "$d/out" && grep -q "startup/launch " "$d/out"' "the table is printed"
check 'grep -q "startup: qemu, run 1 of 1" "$d/err"' "progress on stderr"
check 'j ".tool == \"gkbench\" and (.command | test(\"startup upload\")) and .interrupted == false"' "JSON: tool, command, not interrupted"
check 'j ".machine as \$m | [\"cpu\", \"cores\", \"memory\", \"kernel\", \"kvm\", \"qemu\", \"uml\", \"load_at_start\", \"date\"] | all(. as \$k | \$m[\$k] | type == \"string\" and length > 0)"' \
  "JSON: machine description (cpu, cores, memory, kernel, kvm, qemu, uml, load)"
check 'j "[.figures[] | select(.group == \"startup\" and .name != \"first-launch\") | [.config, .name]] | sort == ([\"restore\", \"cold\"] | map(. as \$p | [\"launch\", \"launch+shutdown\", \"first-call\", \"calls-2-10\", \"first-list-devices\", \"echo-daemon\", \"backend-peak-rss\"] | map([\"qemu:tcg \" + \$p, .])) | add | sort)"' \
  "JSON: qemu's two launch paths (restore, cold), each with launch, launch + shutdown, first calls, echo-daemon, peak RSS"
check 'j "[.figures[] | select(.group == \"startup\" and .name == \"echo-daemon\" and .unit == \"ms\")] | length == 2"' \
  "JSON: the echo-daemon round trip, in ms"
check 'j "(.notes | any(test(\"guestfish is not installed\"))) and ([.figures[] | select(.config == \"libguestfs\")] | length == 0)"' \
  "--compare-libguestfs without guestfish: a note, no libguestfs figure"
check 'j "([.figures[] | select(.name == \"first-launch\" and .config == \"qemu:tcg restore\") | .split[\"launch.snapshot_build_s\"][0] as \$b | \$b > 0 and .median >= \$b] == [true]) or (.notes | any(test(\"snapshot existed already\")))"' \
  "first launch: the snapshot's build time measured, or a note that it existed"
check 'j "[.figures[] | select(.group == \"upload\") | .name] | sort == [\"upload\", \"upload-no-write\", \"write-no-upload\"]"' \
  "JSON: the three upload figures"
check 'j "all(.figures[]; .runs == 1 and (.samples | length) == 1 and .median > 0 and .min <= .median and .median <= .max and (.unit | length) > 0 and has(\"limiter\") and has(\"split\"))"' \
  "JSON: every figure has one positive sample, min <= median <= max, a unit, a split, a limiter"
neg=$(jq -c '[.figures[] | .name as $n | .split | to_entries[] | select(.value[0] < 0) | [$n, .key, .value[0]]]' "$d/r.json")
check '[ "$neg" = "[]" ]' "JSON: no negative split time ($neg)"
check 'j ".figures[] | select(.name == \"launch\" and .config == \"qemu:tcg cold\") | .split as \$s | \$s[\"guest.init_s\"][0] > 0 and \$s[\"launch.ready_s\"][0] >= \$s[\"launch.vmm_s\"][0] and \$s.backend_cpu_s[0] > 0 and .limiter != \"\" and (\$s | has(\"launch.state_load_s\") | not)"' \
  "JSON: cold boot: launch phases ordered, backend CPU measured (get-pid), limiter named"
check 'j ".figures[] | select(.name == \"launch\" and .config == \"qemu:tcg restore\") | .split as \$s | \$s[\"launch.qemu_start_s\"][0] > 0 and \$s[\"launch.state_load_s\"][0] > 0 and \$s[\"launch.resume_s\"][0] > 0 and \$s[\"launch.total_s\"][0] >= \$s[\"launch.resume_s\"][0] + \$s[\"launch.state_load_s\"][0] and \$s.backend_cpu_s[0] > 0 and (\$s | has(\"guest.init_s\") | not)"' \
  "JSON: restore: qemu start, state load, resume measured and within the total"
check 'j ".figures[] | select(.name == \"launch\" and .config == \"qemu:tcg restore\") | .split as \$s | \$s.guest_drive_attach_s[0] > 0 and \$s.guest_reseed_clock_s[0] >= 0 and \$s.guest_drive_attach_s[0] + \$s.guest_reseed_clock_s[0] <= \$s[\"launch.resume_s\"][0] + 0.01"' \
  "JSON: restore: the guest's drive attach and reseed, within launch.resume (guest clock: 4 ms ticks)"
check 'j "[.figures[] | select(.name == \"launch\")] as \$l | [.figures[] | select(.name == \"launch+shutdown\") | . as \$a | \$l[] | select(.config == \$a.config) | \$a.median >= .median] == [true, true]"' \
  "JSON: launch + shutdown takes at least launch-to-ready, on both paths"
check 'j "[.figures[] | select(.name == \"backend-peak-rss\" and .unit == \"MiB\") | .median > 16 and .median < 4096] == [true, true]"' \
  "JSON: qemu's peak RSS (VmHWM) read on both paths, in MiB"
check 'j "(.notes | any(test(\"restore vs cold, medians: launch to ready\"))) and (.notes | any(test(\"targets\"))) and (.notes | any(test(\"restore phases, medians .ms.: qemu start [0-9]+, state load [0-9]+, .*drive attach [0-9]+\"))) and (.notes | any(test(\"qemu peak RSS .VmHWM. [0-9]+ MiB, cold [0-9]+ MiB$\")))"' \
  "notes: restore vs cold ratios, issue 13's targets, the restore's phases, peak RSS (no guestfish)"
check 'j ".figures[] | select(.group == \"upload\" and .name == \"upload\") | .split as \$s | .median >= \$s.transport_s[0] and .median >= \$s.guest_write_s[0] and .median >= \$s.xfer_wall_s[0] and .bytes == 4194304"' \
  "JSON: upload time >= its transport, guest write and xfer wall time; bytes = --size"
check 'j ".figures[] | select(.name == \"upload-no-write\") | .split.guest_write_s[0] == 0"' "JSON: upload-no-write writes nothing in the guest"
check 'j "all(.figures[] | select(.group == \"upload\"); .split.guest_busy_s[0] >= 0 and .split.backend_cpu_s[0] >= 0 and .split.library_cpu_s[0] >= 0)"' \
  "JSON: upload figures carry the guest's CPU (internal-guest-busy), the backend's and the library's"
check 'j ".figures[] | select(.name == \"write-no-upload\") | .split.guest_write_s[0] > 0 and .median >= .split.guest_write_s[0]"' \
  "JSON: write-no-upload time >= guest write time"
check '[ "$(head -1 "$d/r.csv")" = "group,name,config,series,unit,run,value" ] && grep -q "^upload,upload,qemu:tcg,transport_s,s,1," "$d/r.csv"' \
  "CSV: header and raw split samples"
check 'grep -q "^| startup/launch | qemu" "$d/r.md"' "markdown table"

"$gkbench" disk --runs 1 --all --iface virtio-scsi,ide --format qcow2 --cache none --image-size 64M \
  --disk-size 4M --ops 40 --backend qemu --workdir "$d/w" --json "$d/r.json" --plot "$d/p.svg" \
  > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 0 ]' "disk (virtio-scsi and IDE, qcow2, cache none): exit 0 (got $rc: $(tail -2 "$d/err"))"
check 'j "[.figures[] | select(.config == \"qemu:tcg virtio-scsi qcow2 none\") | .name] | sort == [\"createdelete\", \"randread\", \"randwrite\", \"seqread\", \"seqwrite\"]"' \
  "disk: the five tests on virtio-scsi"
check 'j "[.figures[] | select(.config == \"qemu:tcg ide qcow2 none\")] | length == 5"' "disk: and on IDE"
check 'j "all(.figures[]; .median > 0 and (.config | test(\"^qemu:tcg (virtio-scsi|ide) qcow2 none$\")) and .split.wall_s[0] > 0 and .split.guest_wall_s[0] >= 0 and .split.guest_busy_s[0] >= 0 and .split.backend_cpu_s[0] >= 0)"' \
  "disk: positive rates on the asked configuration, the split measured"
if command -v gnuplot >/dev/null; then
  check 'grep -q "<svg" "$d/p.svg"' "plot: an SVG from gnuplot"
else
  check 'grep -q "gnuplot is not installed" "$d/err" && [ $rc = 1 ]' "plot: gnuplot missing is said clearly"
fi

"$gkbench" startup --backend nosuch --workdir "$d/w" > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 1 ] && grep -q "backend nosuch does not work here: set-backend: invalid backend" "$d/err" && grep -q "no backend works here" "$d/err"' \
  "an unknown backend alone: said why, exit 1"
"$gkbench" upload --size 2G --image-size 1G --workdir "$d/w" > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 2 ] && grep -q "bigger than the image" "$d/err"' "--size bigger than the image: refused before any run"
"$gkbench" startup --json /nonexistent/dir/r.json --workdir "$d/w" > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 1 ] && grep -q "/nonexistent/dir/r.json: No such file or directory" "$d/err"' \
  "unwritable output path: refused before any run"
"$gkbench" disk --iface scsi --workdir "$d/w" > "$d/out" 2> "$d/err"
check 'grep -q "unknown value .scsi." "$d/err"' "disk: unknown --iface value named"
"$gkbench" startup --channel virtio --workdir "$d/w" > "$d/out" 2> "$d/err"
rc=$?
check '[ $rc = 2 ] && grep -q "channel virtio: expected virtio-serial or serial" "$d/err"' \
  "an unknown --channel refused before any run"

# Ctrl-C during the second run: exit 130, what was measured is kept, and
# the appliance is gone with the handle.
rm -f "$d/r.json"
"$gkbench" startup --runs 20 --backend qemu --workdir "$d/w" --json "$d/r.json" > "$d/out" 2> "$d/err" &
pid=$!
i=0
# Wait for run 2 with its appliance up: the VM (gkbench's child, in its
# own process group) is what Ctrl-C must not leave behind.
kids=
while [ $i -lt 600 ] && [ -z "$kids" ]; do
  grep -q "run 2 of 20" "$d/err" && kids=$(pgrep -P $pid)
  [ -n "$kids" ] || sleep 0.1
  i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
check '[ $rc = 130 ] && grep -q "interrupted" "$d/err"' "Ctrl-C: exit 130 (got $rc)"
check 'j ".interrupted == true and ([.figures[] | select(.name == \"launch\") | .runs] | .[0] >= 1)"' \
  "Ctrl-C: the JSON holds the runs finished before it"
left=
for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
check '[ -n "$kids" ] && [ -z "$left" ]' \
  "Ctrl-C: the appliance gkbench ran (PIDs:${kids:- none seen}) is gone (left:${left:- none})"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
