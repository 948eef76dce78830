#!/bin/sh
# Manual pages: every page formats with no warning (man --warnings, and
# groff -ww), a page with a mistake does warn (so the check can fail),
# every gkfish command is in gkfish(1) and every call in guestkit(3), and
# `help CMD` prints exactly the text gkfish(1) has for CMD.  No appliance.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
s=${TOP_SRCDIR:-$top}
b=${TOP_BUILDDIR:-$top}
export LD_LIBRARY_PATH="$b/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
gkfish=${GKFISH:-$b/fish/gkfish}
if ! command -v groff >/dev/null || ! command -v man >/dev/null; then
  echo "SKIP: man or groff is not installed (scripts/install-deps.sh: man-db groff-base)"; exit 77
fi
d=$(mktemp -d /tmp/test-man.XXXXXX)
trap 'rm -rf "$d"' EXIT
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }

# Warnings of FILE (empty when none): man's and groff's own.
warnings () {
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null
  groff -ww -z -man "$1" 2>&1
}

pages="$b/man/guestkit.3 $b/man/gkfish.1 $s/man/gkinspector.1 $s/man/gkbench.1 $s/man/gkbatch.1"
for p in $pages; do
  if [ ! -s "$p" ]; then nok "$p exists"; continue; fi
  w=$(warnings "$p")
  if [ -z "$w" ]; then ok "$(basename "$p"): no warnings"; else nok "$(basename "$p"): $(echo "$w" | head -3)"; fi
  if LC_ALL=C.UTF-8 lexgrog "$p" >/dev/null 2>&1; then ok "$(basename "$p"): lexgrog reads its NAME"
  else nok "$(basename "$p"): lexgrog: $(lexgrog "$p" 2>&1 | head -1)"; fi
done

# The check itself: an unknown request and a stray escape must warn.
printf '.TH X 1\n.SH NAME\nx \\- y\n.SH DESCRIPTION\n.nosuchmacro\nbad \\q escape\n' > "$d/bad.1"
if [ -n "$(warnings "$d/bad.1")" ]; then ok "a broken page warns"; else nok "a broken page warns"; fi

# Plain text of the pages, one long line, whitespace collapsed.
flat () { groff -man -Tascii -rLL=5000n -rHY=0 -P-cbou "$1" 2>/dev/null | tr -s ' \n' '  '; }
flat "$b/man/gkfish.1" > "$d/fish.txt"
flat "$b/man/guestkit.3" > "$d/lib.txt"

"$gkfish" -- help > "$d/list" 2>&1 || nok "gkfish help"
sed -n '/^Calls/,$p' "$d/list" | sed 1d | awk '{print $1}' > "$d/cmds"
n=$(wc -l < "$d/cmds")
if [ "$n" -gt 100 ]; then ok "gkfish help lists $n commands"; else nok "gkfish help lists $n commands"; fi
miss_sec= miss_lib= differ=
while read -r c; do
  grep -q "^\.SS $(echo "$c" | sed 's/-/\\\\-/g')\$" "$b/man/gkfish.1" || miss_sec="$miss_sec $c"
  grep -q "^\.SS gk_$(echo "$c" | tr - _)\$" "$b/man/guestkit.3" || miss_lib="$miss_lib $c"
  "$gkfish" -- help "$c" 2>&1 | tr -s ' \n' '  ' > "$d/h"
  grep -qF -f "$d/h" "$d/fish.txt" || differ="$differ $c"
done < "$d/cmds"
if [ -z "$miss_sec" ]; then ok "every command has a section in gkfish(1)"; else nok "not in gkfish(1):$miss_sec"; fi
if [ -z "$miss_lib" ]; then ok "every call has a section in guestkit(3)"; else nok "not in guestkit(3):$miss_lib"; fi
if [ -z "$differ" ]; then ok "help CMD is the text of gkfish(1) for all $n commands"; else nok "help differs from gkfish(1):$differ"; fi

# The contents: a signature, errnos from the tests, escaping of '-'.
grep -qF 'int gk_mkdir_p (gk_h *g, const char *path);' "$d/lib.txt" && ok "guestkit(3) has gk_mkdir_p's signature" || nok "guestkit(3) has gk_mkdir_p's signature"
grep -qE 'Errors include: [A-Z, ]*ENOENT' "$d/lib.txt" && ok "guestkit(3) lists errnos" || nok "guestkit(3) lists errnos"
if grep -v '^\.\\"' "$b/man/gkfish.1" | grep -q '[^\\]-'; then
  nok "every '-' in gkfish(1) is escaped: $(grep -v '^\.\\"' "$b/man/gkfish.1" | grep '[^\\]-' | head -2)"
else ok "every '-' in gkfish(1) is escaped"; fi
v=$("$gkfish" --version | awk '{print $NF}')
grep -q "^\.TH GKFISH 1 \"\" \"guestkit $v\"" "$b/man/gkfish.1" && ok "gkfish(1) says version $v" || nok "gkfish(1) says version $v"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
