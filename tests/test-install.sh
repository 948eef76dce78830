#!/bin/sh
# make install into a staging directory (DESTDIR), as a packager or CI
# does: every tool, the daemon, the appliance builder, the library, header
# and pkg-config file, the man pages, the completion, the German catalog
# and the Python binding are there; the staged tools and the binding run
# against the staged library and report the package version;
# examples/mount-ls.c builds with `pkg-config --cflags --libs guestkit`
# against the stage and loads the staged library; make uninstall leaves
# nothing.  Booting the staged appliance is left to the
# other tests (slow under TCG).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
s=${TOP_SRCDIR:-$top}
b=${TOP_BUILDDIR:-$top}
make=${MAKE:-make}
if ! command -v pkg-config >/dev/null || ! command -v cc >/dev/null; then
  echo "SKIP: pkg-config or cc is missing"; exit 77
fi
d=$(mktemp -d /tmp/test-install.XXXXXX)
trap 'rm -rf "$d"' EXIT
stage=$d/stage
pass=0 fail=0
ok () { pass=$((pass + 1)); echo "ok - $*"; }
nok () { fail=$((fail + 1)); echo "not ok - $*"; }
check () { if eval "$1"; then ok "$2"; else nok "$2"; fi; }

# The configured directories, from the Makefile (as make install uses them).
# Without the calling make's flags: under make -jN they bring jobserver
# warnings and "Entering directory" lines into the value.
var () { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $make -s -C "$b" --no-print-directory -f Makefile -f - print-var V="$1" <<'EOM'
print-var:
	@echo '$($(V))'
EOM
}
version=$(var PACKAGE_VERSION)
bindir=$(var bindir) libdir=$(var libdir) includedir=$(var includedir)
mandir=$(var mandir) pkglibexecdir=$(var pkglibexecdir) pkgdatadir=$(var pkgdatadir)
compdir=$(var bashcompletiondir)
check '[ -n "$version" ] && [ -n "$bindir" ] && [ -n "$compdir" ]' "configured directories (version $version, completion in $compdir)"

$make -s -C "$b" install DESTDIR="$stage" > "$d/install.log" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "make install DESTDIR=$stage"; else nok "make install (exit $rc): $(tail -3 "$d/install.log")"; fi

missing=
for f in "$bindir/gkfish" "$bindir/gkinspector" "$bindir/gkbench" "$bindir/gkbatch" \
    "$pkglibexecdir/guestkitd" "$pkglibexecdir/gkapp-tool" "$pkgdatadir/make-appliance.sh" "$pkgdatadir/files.list" \
    "$pkgdatadir/modules.list" "$libdir/libguestkit.so" "$libdir/pkgconfig/guestkit.pc" \
    "$includedir/guestkit.h" "$includedir/guestkit-actions.h" \
    "$mandir/man3/guestkit.3" "$mandir/man1/gkfish.1" "$mandir/man1/gkinspector.1" \
    "$mandir/man1/gkbench.1" "$mandir/man1/gkbatch.1" \
    "$compdir/gkfish" "$compdir/gkinspector" "$compdir/gkbench" "$compdir/gkbatch"; do
  [ -e "$stage$f" ] || missing="$missing $f"
done
check '[ -z "$missing" ]' "every expected file is installed${missing:+ (missing:$missing)}"
check '[ -x "$stage$pkgdatadir/make-appliance.sh" ] && [ -x "$stage$pkglibexecdir/guestkitd" ]' \
  "the builder and the daemon are executable"
# The staged builder finds the staged gkapp-tool next to the daemon.
mkdir "$d/app"
env -u GUESTKIT_APPLIANCE_TOOL "$stage$pkgdatadir/make-appliance.sh" --flavour qemu \
  --daemon "$stage$pkglibexecdir/guestkitd" --outdir "$d/app" > "$d/app.log" 2>&1
rc=$?
check '[ $rc = 0 ] && [ -s "$d/app/initrd" ] && [ -s "$d/app/root" ] && grep -q "^$stage$pkglibexecdir/gkapp-tool	" "$d/app/manifest"' \
  "the staged builder builds an appliance with the staged gkapp-tool (exit $rc: $(tail -c 300 "$d/app.log"))"

# The staged tools, with the staged library only.
export LD_LIBRARY_PATH="$stage$libdir"
v=$("$stage$bindir/gkfish" --version 2>&1)
check '[ "$v" = "gkfish (guestkit) $version" ]' "staged gkfish --version: $v"
check 'ldd "$stage$bindir/gkfish" | grep -q "$stage$libdir/libguestkit.so"' "staged gkfish uses the staged library"
check '"$stage$bindir/gkfish" -- help mkdir-p | grep -q "^usage: mkdir-p path"' "staged gkfish: help mkdir-p"
for t in gkinspector gkbench gkbatch; do
  check '"$stage$bindir/$t" --help > /dev/null 2>&1' "staged $t --help"
done
# One version everywhere: the tools, pkg-config (below) and the binding.
for t in gkinspector gkbatch; do
  v=$("$stage$bindir/$t" --version 2>&1)
  check 'case $v in *" $version") true ;; *) false ;; esac' "staged $t --version: $v"
done
# The Python binding, when configure found python3.
pydir=$(var guestkitpydir)
if [ -n "$pydir" ]; then
  check '[ -f "$stage$pydir/__init__.py" ] && [ -f "$stage$pydir/_actions.py" ] && [ -f "$stage$pydir/_config.py" ]' \
    "the Python binding is installed in $pydir"
  pv=$(cd / && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$stage$pydir/.." python3 -c 'import guestkit; print(guestkit.__file__, guestkit.__version__)' 2>&1)
  check '[ "$pv" = "$stage$pydir/__init__.py $version" ]' "the staged binding imports with the staged library: $pv"
fi
# The German catalog (po/), when built with translations.
if [ -f "$b/po/locale/de/LC_MESSAGES/guestkit.mo" ]; then
  localedir=$(var localedir)
  check 'GUESTKIT_LOCALEDIR="$stage$localedir" LANGUAGE=de LANG=C.UTF-8 LC_ALL= LC_MESSAGES= "$stage$bindir/gkfish" --help | grep -q "^Aufruf: gkfish"' \
    "staged gkfish --help in German from the installed $localedir/de/LC_MESSAGES/guestkit.mo"
fi

# pkg-config against the stage: the library's version, then build and link.
export PKG_CONFIG_PATH="$stage$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
pv=$(pkg-config --modversion guestkit 2>&1)
check '[ "$pv" = "$version" ]' "pkg-config --modversion guestkit: $pv"
flags=$(pkg-config --cflags --libs guestkit 2>&1)
check 'echo "$flags" | grep -q -- "-I$stage$includedir" && echo "$flags" | grep -q -- "-L$stage$libdir"' \
  "pkg-config flags point into the stage: $flags"
# shellcheck disable=SC2086
cc -Wall -Werror -o "$d/mount-ls" "$s/examples/mount-ls.c" $flags > "$d/cc.log" 2>&1
rc=$?
check '[ $rc = 0 ]' "examples/mount-ls.c builds against the staged library ($(head -3 "$d/cc.log"))"
check 'ldd "$d/mount-ls" | grep -q "$stage$libdir/libguestkit.so"' "mount-ls links the staged libguestkit"
"$d/mount-ls" > "$d/out" 2>&1
rc=$?
check '[ $rc = 2 ] && grep -q "usage: " "$d/out"' "mount-ls runs (usage, exit 2; got $rc)"
"$d/mount-ls" "$d/no-such.img" > "$d/out" 2>&1
check 'grep -q "no-such.img" "$d/out"' "mount-ls reports the library's error ($(head -1 "$d/out"))"
unset LD_LIBRARY_PATH PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

check 'MANPATH="$stage$mandir" man -w gkfish 2>/dev/null | grep -q "^$stage"' "man finds the staged gkfish(1)"
check 'bash -c "source \"$stage$compdir/gkinspector\" && complete -p gkinspector" >/dev/null 2>&1' \
  "the staged completion loads under a tool's name"

$make -s -C "$b" uninstall DESTDIR="$stage" > "$d/uninstall.log" 2>&1
left=$(find "$stage" ! -type d | head -5)
check '[ -z "$left" ]' "make uninstall removes every file${left:+ (left: $left)}"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
