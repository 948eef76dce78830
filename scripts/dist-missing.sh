#!/bin/sh
# dist-missing.sh SRCDIR DISTDIR: fails (exit 1, listing them) when a file
# git tracks in SRCDIR is not in DISTDIR, the tree make dist packs; so a
# test, generator or script a build or make check needs cannot be left
# out of the tarball (make dist runs it from dist-hook).  Only the
# repository's own machinery is left out: .gitignore and .ci/ (CI runs
# from a checkout).  Outside a git checkout (a build from the tarball)
# there is nothing to compare: exit 0.
set -u
src=$1 dist=$2
command -v git >/dev/null 2>&1 || exit 0
git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 || exit 0
# Tracked files inside SRCDIR only (it may be a folder of a larger repository).
list=$(git -C "$src" ls-files -- .) || exit 1
missing=$(printf '%s\n' "$list" | while IFS= read -r f; do
  case $f in .gitignore|.ci/*|'') continue ;; esac
  [ -e "$dist/$f" ] || [ -L "$dist/$f" ] || printf '  %s\n' "$f"
done)
if [ -n "$missing" ]; then
  echo "dist-missing.sh: tracked files missing from the tarball (add them to EXTRA_DIST):" >&2
  printf '%s\n' "$missing" >&2
  exit 1
fi
exit 0
