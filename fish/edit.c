/* gkfish: edit, vi and emacs (guestfish's): a guest file is downloaded to
 * a private temporary directory, the editor runs on the copy, and the
 * copy is uploaded back only if its bytes changed, with the file's mode
 * and owner kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gkfish.h"

/* The whole of a small host file, malloc'd; NULL on error (errno). */
static char *
slurp (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0;
  *len = 0;
  for (;;) {
    if (*len + 65536 > cap) {
      char *p = realloc (buf, cap = cap * 2 + 65536);
      if (!p) { free (buf); fclose (f); errno = ENOMEM; return NULL; }
      buf = p;
    }
    size_t n = fread (buf + *len, 1, cap - *len, f);
    *len += n;
    if (n == 0) break;
  }
  int bad = ferror (f);
  fclose (f);
  if (bad) { free (buf); errno = EIO; return NULL; }
  return buf;
}

/* Upload LOCAL over PATH and give it back the mode and owner in ST. */
static int
put_back (gk_h *g, const char *local, const char *path, const struct gk_statns *st)
{
  if (gk_upload (g, local, path) == -1
      || gk_chown (g, (int) st->st_uid, (int) st->st_gid, path) == -1
      || gk_chmod (g, (int) (st->st_mode & 07777), path) == -1) {
    gk_fish_fail ("%s", gk_last_error (g));
    return -1;
  }
  return 0;
}

int
gk_fish_bi_edit (struct shell *sh, char **words)
{
  if (!words[1] || words[2]) {
    gk_fish_fail ("%s: expected one guest file\nusage: %s FILE", words[0], words[0]);
    return CMD_ERROR;
  }
  const char *editor = strcmp (words[0], "vi") == 0 ? "vi"
    : strcmp (words[0], "emacs") == 0 ? "emacs" : getenv ("EDITOR");
  if (!editor || !*editor) editor = "vi";
  if (gk_fish_ensure_launched (sh) == -1) return CMD_ERROR;

  /* A symbolic link is edited through: its target changes, the link
   * stays (as guestfish).  realpath resolves it inside the guest. */
  char *real = gk_realpath (sh->g, words[1]);
  if (!real) real = strdup (words[1]);   /* download says what is wrong */
  if (!real) {
    gk_fish_fail ("%s: out of memory", words[0]);
    return CMD_ERROR;
  }
  const char *path = real;
  struct gk_statns *st = NULL;
  const char *tmp = getenv ("TMPDIR");
  char dir[4096], file[4200];
  snprintf (dir, sizeof dir, "%s/gkfish-edit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) {
    gk_fish_fail ("%s: cannot make a temporary directory in %s: %s", words[0],
                  tmp && *tmp ? tmp : "/tmp", strerror (errno));
    free (real);
    return CMD_ERROR;
  }
  /* The copy keeps the file's name, so that editors pick its mode. */
  const char *base = strrchr (path, '/');
  base = base && base[1] ? base + 1 : "file";
  snprintf (file, sizeof file, "%s/%s", dir, base);

  int r = CMD_ERROR;
  char *before = NULL, *after = NULL, *cmd = NULL, *q = NULL;
  size_t nb = 0, na = 0;
  if (gk_download (sh->g, path, file, NULL) == -1) {
    gk_fish_fail ("%s", gk_last_error (sh->g));
    goto out;
  }
  if (!(before = slurp (file, &nb))) {
    gk_fish_fail ("%s: %s: %s", words[0], file, strerror (errno));
    goto out;
  }
  if (!(q = gk_fish_shell_quote (file))  /* TMPDIR is not ours */ || asprintf (&cmd, "%s %s", editor, q) == -1) {
    cmd = NULL;
    gk_fish_fail ("%s: out of memory", words[0]);
    goto out;
  }
  if (gk_fish_system (cmd) != CMD_OK) {
    gk_fish_fail ("%s: the editor (%s) failed; %s is unchanged", words[0], editor, path);
    goto out;
  }
  if (!(after = slurp (file, &na))) {
    gk_fish_fail ("%s: %s: %s", words[0], file, strerror (errno));
    goto out;
  }
  if (na == nb && memcmp (before, after, na) == 0) r = CMD_OK;   /* unchanged */
  else if (!(st = gk_statns (sh->g, path)))
    gk_fish_fail ("%s", gk_last_error (sh->g));
  else if (put_back (sh->g, file, path, st) == 0) r = CMD_OK;
 out:
  unlink (file);
  rmdir (dir);
  free (before); free (after); free (cmd); free (q); free (real);
  if (st) gk_free_statns (st);
  return r;
}
