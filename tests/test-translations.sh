#!/bin/sh
# Translations (issue 18): with LANGUAGE=de and a UTF-8 locale (C.UTF-8,
# which Debian's libc-bin always has), gkfish's usage, its own errors and
# the library's errors, and gkbench's and gkbatch's usage and errors come
# out in German from the build tree's catalogs (GUESTKIT_LOCALEDIR), and
# in English without a locale; gkbatch's results (JSON, CSV) never change.
# Text a user or the guest supplies ("%n%s%x" in a path) is printed as
# given: it is an argument of the translated format, never the format.
# msgfmt refuses a catalog whose translation changes a format's
# arguments.  The last check boots an appliance (an error the daemon
# formats).
set -u
. "$(dirname "$0")/gkfish-env.sh"
s=${TOP_SRCDIR:-$top}
b=${TOP_BUILDDIR:-$top}
gkfish=$GKFISH
gkinspector=$b/fish/gkinspector
export GUESTKIT_LOCALEDIR="$b/po/locale"
if [ ! -f "$GUESTKIT_LOCALEDIR/de/LC_MESSAGES/guestkit.mo" ]; then
  echo "SKIP: no German catalog in $GUESTKIT_LOCALEDIR (built with --disable-nls?)"; exit 77
fi
if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" != UTF-8 ]; then
  echo "SKIP: no C.UTF-8 locale (Debian's libc-bin has it; elsewhere: the locales package)"; exit 77
fi
d=$(mktemp -d "${TMPDIR:-/tmp}/test-translations.XXXXXX")
trap 'rm -rf "$d"' EXIT
# Run in German / with no locale at all (LANGUAGE is then ignored).
de () { env -u LC_ALL -u LC_MESSAGES -u LC_CTYPE LANGUAGE=de LANG=C.UTF-8 "$@"; }
en () { env -u LC_ALL -u LC_MESSAGES -u LC_CTYPE -u LANGUAGE LANG=C "$@"; }
# has FILE TEXT WHAT: FILE holds the line TEXT exactly.
has () {
  if grep -qxF -- "$2" "$1"; then ok "$3"; else nok "$3: expected '$2', got: $(head -3 "$1")"; fi
}

# gkfish's usage, and its pointer to it after a bad option.
de "$gkfish" --help > "$d/out" 2>&1
has "$d/out" "Aufruf: gkfish [OPTIONEN] [--] [BEFEHL ARGUMENTE... [: BEFEHL ARGUMENTE...]...]" "gkfish --help in German"
en "$gkfish" --help > "$d/out" 2>&1
has "$d/out" "usage: gkfish [OPTIONS] [--] [CMD ARGS... [: CMD ARGS...]...]" "gkfish --help in English without a locale"
env -u LC_ALL -u LC_MESSAGES LANGUAGE=de LANG=C "$gkfish" --help > "$d/out" 2>&1
has "$d/out" "usage: gkfish [OPTIONS] [--] [CMD ARGS... [: CMD ARGS...]...]" "LANGUAGE=de alone (C locale) stays English"
de "$gkfish" --no-such-option > "$d/out" 2>&1
has "$d/out" "»gkfish --help« gibt weitere Informationen." "the pointer to --help in German"
de "$gkinspector" --help > "$d/out" 2>&1
has "$d/out" "gkinspector: die Betriebssysteme auf Disk-Images berichten" "gkinspector --help in German"

# A library error (lib/handle.c), through gkfish.
de "$gkfish" -- set-timeout 99999999 > "$d/out" 2>&1 && nok "set-timeout 99999999 fails"
if grep -q "^gkfish: set-timeout: 99999999 s liegt außerhalb des gültigen Bereichs (0 für keine, bis [0-9]*)\$" "$d/out"
then ok "a library error in German"; else nok "a library error in German: $(cat "$d/out")"; fi
en "$gkfish" -- set-timeout 99999999 > "$d/out" 2>&1
if grep -q "^gkfish: set-timeout: 99999999 s is out of range" "$d/out"
then ok "the same error in English without a locale"; else nok "the error in English: $(cat "$d/out")"; fi

# Conversion directives in text the user supplies are printed as given,
# by the library (a name that is a character device) and by gkfish.
ln -s /dev/null "$d/%n%s%x"
de "$gkfish" -- add-drive "$d/%n%s%x" > "$d/out" 2>&1
has "$d/out" "gkfish: add-drive: $d/%n%s%x: weder eine reguläre Datei noch ein Blockgerät" "a library error with '%n%s%x' in the path"
de "$gkfish" -- 'no%n%s%x' > "$d/out" 2>&1
has "$d/out" "gkfish: unbekannter Befehl 'no%n%s%x' ('help' zeigt die Befehle)" "a gkfish error with '%n%s%x' in the command"

# gkbench and gkbatch: usage, errors and gkbatch's summary in German;
# their results (gkbatch's JSON lines and CSV) the same in every language.
gkbench=$b/bench/gkbench gkbatch=$b/batch/gkbatch
de "$gkbench" --help > "$d/out" 2>&1
has "$d/out" "Aufruf: gkbench [OPTIONEN] startup|upload|disk|all ..." "gkbench --help in German"
de "$gkbench" --runs 0 startup > "$d/out" 2>&1
has "$d/out" "gkbench: --runs 0: 1..1000 erwartet" "a gkbench error in German"
de "$gkbench" 'no%n%s%x' > "$d/out" 2>&1
has "$d/out" "gkbench: unbekannter Befehl 'no%n%s%x' (startup, upload, disk, all)" "a gkbench error with '%n%s%x' as given"
en "$gkbench" 'no%n%s%x' > "$d/out" 2>&1
has "$d/out" "gkbench: unknown command 'no%n%s%x' (startup, upload, disk, all)" "the gkbench error in English without a locale"
de "$gkbatch" --help > "$d/out" 2>&1
has "$d/out" "gkbatch: ein gkfish-Skript über viele Disk-Images ausführen" "gkbatch --help in German"
de "$gkbatch" --in-place -f /dev/null x.img > "$d/out" 2>&1
has "$d/out" "gkbatch: --in-place braucht --rw" "a gkbatch error in German"
echo 'echo hi' > "$d/s.gf"
truncate -s 1M "$d/a.img"
for l in de en; do
  for f in json csv; do
    a=; [ $f = csv ] && a=--csv
    # shellcheck disable=SC2086
    $l "$gkbatch" --dry-run -j 1 $a -f "$d/s.gf" "$d/a.img" > "$d/$l.$f" 2> "$d/$l.err"
    # The timings differ from run to run.
    sed -E 's/[0-9]+\.[0-9]+/T/g' "$d/$l.$f" > "$d/$l.$f.n"
  done
done
has "$d/de.err" "gkbatch: 1 Images, -j 1, Probelauf" "gkbatch's start line in German"
if grep -q "^gkbatch: 1 Images: 1 ok, 0 fehlgeschlagen (0 wiederholbar), .*Images/min\$" "$d/de.err"
then ok "gkbatch's summary in German"; else nok "gkbatch's summary in German: $(cat "$d/de.err")"; fi
if grep -q '"status":"ok"' "$d/de.json" && cmp -s "$d/de.json.n" "$d/en.json.n" && cmp -s "$d/de.csv.n" "$d/en.csv.n" \
    && head -1 "$d/de.csv" | grep -q '^path,status,'
then ok "gkbatch's JSON lines and CSV are the same under LANGUAGE=de"
else nok "gkbatch's results differ by language: $(diff "$d/de.json.n" "$d/en.json.n"; diff "$d/de.csv.n" "$d/en.csv.n")"; fi

# The catalog: every message of po/guestkit.pot translated, none fuzzy;
# a translation that changes a format is refused (msgfmt --check).
if command -v msgfmt >/dev/null; then
  st=$(msgfmt --statistics -o /dev/null "$s/po/de.po" 2>&1)
  n=$(grep -c '^msgid "' "$s/po/guestkit.pot")
  case $st in
    *untranslated*|*fuzzy*) nok "po/de.po is complete: $st" ;;
    *) ok "po/de.po is complete ($st; $((n - 1)) in po/guestkit.pot)" ;;
  esac
  printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n#, c-format\nmsgid "add-drive: %%s"\nmsgstr "add-drive: %%n"\n' > "$d/bad.po"
  if msgfmt --check -o "$d/bad.mo" "$d/bad.po" 2>/dev/null; then nok "msgfmt refuses %n for %s"
  else ok "msgfmt refuses a translation that changes the format"; fi
  if command -v xgettext >/dev/null; then
    # Not a failure: messages added since the last make update-po.
    (cd "$s" && xgettext --from-code=UTF-8 --language=C -o "$d/now.pot" --keyword=_ --keyword=N_ \
      --keyword=gk_int_error:2 --keyword=gk_int_error_errno:3 --keyword=gk_int_perror:2 \
      --keyword=gk_int_vm_error:3 --keyword=gk_int_vm_perror:2 --keyword=gk_fish_fail:1 \
      --keyword=errmsg:2 --keyword=fail:1 --keyword=gkb_warn:1 --keyword=gkb_error:1 \
      --keyword=gkb_progress:1 --files-from=po/POTFILES 2>/dev/null)
    new=$(msgcmp --use-untranslated "$s/po/de.po" "$d/now.pot" 2>&1 | grep -c 'this message is used but not defined')
    echo "# $new messages in the sources are newer than po/de.po (make update-po, then translate)"
  fi
else
  echo "# msgfmt is not installed: catalog checks skipped"
fi

# A daemon error quoting a name with directives: the appliance formats it
# (in English: it has no catalogs), the library sets it with "%s: %s"
# (translated), the daemon's text an argument.
truncate -s 16M "$d/disk.img"
de "$gkfish" -a "$d/disk.img" -- mount '/dev/%n%s%x' / > "$d/out" 2>&1 && nok "mount /dev/%n%s%x fails"
if grep -qF "gkfish: mount: /dev/%n%s%x: not a device name" "$d/out"
then ok "a daemon error with '%n%s%x' as given: $(head -1 "$d/out")"
else nok "a daemon error with '%n%s%x' as given: $(cat "$d/out")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
