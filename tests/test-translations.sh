#!/bin/sh
# Translations (issue 18): with LANGUAGE=de and a UTF-8 locale (C.UTF-8,
# which Debian's libc-bin always has), gkfish's usage, its own errors and
# the library's errors come out in German from the build tree's catalogs
# (GUESTKIT_LOCALEDIR), and in English without a locale.  Text a user or
# the guest supplies ("%n%s%x" in a path) is printed as given: it is an
# argument of the translated format, never the format.  msgfmt refuses a
# catalog whose translation changes a format's arguments.  The last check
# boots an appliance (an error the daemon formats).
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
      --keyword=errmsg:2 --keyword=fail:1 --files-from=po/POTFILES 2>/dev/null)
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
