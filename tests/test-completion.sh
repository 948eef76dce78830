#!/bin/sh
# Bash completion (completion/gkfish, built from completion/guestkit.bash.in):
# the file is sourced in a non-interactive bash and each tool's function is
# called with COMP_WORDS/COMP_CWORD set as bash would; COMPREPLY is checked.
# No terminal, no appliance.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b=${TOP_BUILDDIR:-$top}
f=$b/completion/gkfish
if ! command -v bash >/dev/null; then echo "SKIP: no bash"; exit 77; fi
d=$(mktemp -d /tmp/test-completion.XXXXXX)
trap 'rm -rf "$d"' EXIT
mkdir "$d/imgs" && : > "$d/imgs/disk1.img" && : > "$d/imgs/disk2.qcow2" && : > "$d/imgs/other"

# complete FUNC WORD... : the words of COMPREPLY, sorted, one a line, for
# the command line WORD... with the cursor on the last word.
cat > "$d/run.bash" <<'EOS'
source "$1" || exit 3
fn=$2; shift 2
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
cd "$D/imgs" || exit 3
"$fn"
printf '%s\n' "${COMPREPLY[@]}" | sort
EOS
pass=0 fail=0
# expect DESCRIPTION EXPECTED-WORDS FUNC WORD...: COMPREPLY is exactly EXPECTED.
expect () {
  desc=$1 want=$2; shift 2
  got=$(D=$d bash "$d/run.bash" "$f" "$@" 2>&1 | tr '\n' ' ' | sed 's/ *$//')
  if [ "$got" = "$want" ]; then pass=$((pass + 1)); echo "ok - $desc"
  else fail=$((fail + 1)); echo "not ok - $desc: got '$got', want '$want'"; fi
}
# has DESCRIPTION WORD FUNC WORD...: COMPREPLY contains WORD.
has () {
  desc=$1 want=$2; shift 2
  if D=$d bash "$d/run.bash" "$f" "$@" 2>&1 | grep -qx -- "$want"; then pass=$((pass + 1)); echo "ok - $desc"
  else fail=$((fail + 1)); echo "not ok - $desc: no '$want'"; fi
}

expect "gkfish -a <TAB>: image paths" "disk1.img disk2.qcow2 other" _gkfish gkfish -a ''
expect "gkfish -a d<TAB>" "disk1.img disk2.qcow2" _gkfish gkfish -a d
expect "gkfish --ro<TAB>" "--ro" _gkfish gkfish --ro
expect "gkfish --no-p<TAB>" "--no-progress-bars" _gkfish gkfish --no-p
expect "gkfish --backend <TAB>" "qemu qemu:kvm qemu:tcg uml" _gkfish gkfish --backend ''
expect "gkfish -a x mkdir-<TAB>: commands from the table" "mkdir-mode mkdir-p" _gkfish gkfish -a x mkdir-
has "gkfish -- l<TAB>: aliases too" "launch" _gkfish gkfish -- la
has "gkfish built-in commands" "timings" _gkfish gkfish -a x tim
expect "gkfish cmd args: not commands" "disk1.img" _gkfish gkfish -a x upload disk1
expect "gkfish after ':' a command again" "mkdir-mode mkdir-p" _gkfish gkfish -a x mkdir /a : mkdir-
n=$(D=$d bash "$d/run.bash" "$f" _gkfish gkfish -- '' | wc -l)
calls=$("$b/generator/gen" fish-commands | wc -l)
if [ "$n" -eq $((calls + 8)) ]; then pass=$((pass + 1)); echo "ok - every command ($n)"
else fail=$((fail + 1)); echo "not ok - every command: $n offered, $calls in the table + 8 built-ins"; fi
expect "gkinspector --j<TAB>" "--json" _gkinspector gkinspector --j
expect "gkinspector --format=q<TAB>" "--format=qcow2" _gkinspector gkinspector --format=q
expect "gkinspector -a <TAB>" "disk1.img disk2.qcow2 other" _gkinspector gkinspector -a ''
expect "gkbench <TAB>: modes" "all disk startup upload" _gkbench gkbench ''
expect "gkbench --cache w<TAB>" "writeback writethrough" _gkbench gkbench --cache w
expect "gkbench --comp<TAB>" "--compare-libguestfs" _gkbench gkbench --comp
expect "gkbatch -f s.gk <TAB>: image paths" "disk1.img disk2.qcow2 other" _gkbatch gkbatch -f s.gk ''
expect "gkbatch --ret<TAB>" "--retry-failed" _gkbatch gkbatch --ret
expect "gkbatch --images l -- cat<TAB>: commands" "cat" _gkbatch gkbatch --images l -- cat
expect "gkbatch -j 4 mkd<TAB>: images, not commands" "" _gkbatch gkbatch -j 4 mkd
got=$(bash -c 'source "$1" && complete -p' x "$f" | sort | tr '\n' ' ')
want="complete -F _gkbatch gkbatch complete -F _gkbench gkbench complete -F _gkfish gkfish complete -F _gkinspector gkinspector "
if [ "$got" = "$want" ]; then pass=$((pass + 1)); echo "ok - complete -p: the four tools"
else fail=$((fail + 1)); echo "not ok - complete -p: $got"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
