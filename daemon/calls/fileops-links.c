/* guestkitd: links, directories with a mode, lists of links and the
 * case-insensitive path lookup (ln, ln-f, ln-sf, readlinklist,
 * mkdir-mode, case-sensitive-path).
 *
 * Every name is used relative to a parent descriptor opened inside the
 * sysroot (gk_int_open_parent), so links are made and read where the
 * guest path says, never outside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"

/* Hard link TARGET (the object itself, a symbolic link included) as
 * LINKNAME; FORCE: replace an existing LINKNAME (not a directory). */
static int
hard_link (const char *target, const char *linkname, int force)
{
  char *tb, *lb;
  int tfd = gk_int_open_parent (target, &tb);
  if (tfd == -1) return gk_int_perr ("%s", target);
  int lfd = gk_int_open_parent (linkname, &lb);
  if (lfd == -1) {
    close (tfd);
    free (tb);
    return gk_int_perr ("%s", linkname);
  }
  int r = 0;
  if (force && unlinkat (lfd, lb, 0) == -1 && errno != ENOENT)
    r = gk_int_perr ("%s", linkname);
  if (r == 0 && linkat (tfd, tb, lfd, lb, 0) == -1)
    r = gk_int_perr ("%s -> %s", linkname, target);
  close (tfd);
  close (lfd);
  free (tb);
  free (lb);
  return r;
}

int
do_ln (const char *target, const char *linkname)
{
  return hard_link (target, linkname, 0);
}

int
do_ln_f (const char *target, const char *linkname)
{
  return hard_link (target, linkname, 1);
}

int
do_ln_sf (const char *target, const char *linkname)
{
  if (!*target || strlen (target) >= PATH_MAX)
    return gk_int_err (EINVAL, "symbolic link target: empty or too long");
  char *lb;
  int lfd = gk_int_open_parent (linkname, &lb);
  if (lfd == -1) return gk_int_perr ("%s", linkname);
  int r = 0;
  struct stat st;
  if (fstatat (lfd, lb, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR (st.st_mode))
      r = gk_int_err (EISDIR, "%s: is a directory", linkname);
    else if (unlinkat (lfd, lb, 0) == -1)
      r = gk_int_perr ("%s", linkname);
  }
  if (r == 0 && symlinkat (target, lfd, lb) == -1)
    r = gk_int_perr ("%s", linkname);
  close (lfd);
  free (lb);
  return r;
}

char **
do_readlinklist (const char *path, char *const *names)
{
  size_t n = gk_int_count_strings (names);
  if (n > 65536) {
    gk_int_err (EFBIG, "%s: too many names (at most 65536 per call)", path);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if (!names[i][0] || strchr (names[i], '/')) {
      gk_int_err (EINVAL, "%.64s: a name in the directory, without /",
                  names[i]);
      return NULL;
    }
  int dfd = gk_int_open (path, O_PATH | O_DIRECTORY, 0);
  if (dfd == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  char **r = calloc (n + 1, sizeof *r);
  char *buf = malloc (PATH_MAX);
  size_t bytes = 0;
  if (!r || !buf) goto oom;
  for (size_t i = 0; i < n; i++) {
    /* Like guestfish: an entry that is not a link gives "". */
    ssize_t k = readlinkat (dfd, names[i], buf, PATH_MAX - 1);
    if (k < 0) k = 0;
    buf[k] = '\0';
    bytes += (size_t) k + 4;
    if (bytes > GK_MSG_MAX - 65536) {
      gk_int_err (EFBIG, "%s: result larger than the protocol limit "
                  "(ask for fewer names)", path);
      goto fail;
    }
    if (!(r[i] = strdup (buf))) goto oom;
  }
  free (buf);
  close (dfd);
  return r;
 oom:
  gk_int_err (ENOMEM, "out of memory");
 fail:
  free (buf);
  gk_int_free_strings (r);
  close (dfd);
  return NULL;
}

int
do_mkdir_mode (const char *path, int mode)
{
  if (mode < 0 || mode > 07777)
    return gk_int_err (EINVAL, "%#o: mode must be 0 to 07777", (unsigned) mode);
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) return gk_int_perr ("%s", path);
  /* The mode as given (the umask applies in mkdirat, so set it after). */
  int r = mkdirat (dfd, base, 0700);
  if (r == 0) r = fchmodat (dfd, base, (mode_t) mode, 0);
  return gk_int_parent_done (dfd, base, r, path);
}

/* The true name of each component of PATH, matched without regard to
 * case (ASCII) where the exact name is missing.  Components that do not
 * exist at all are kept as given (only the last may be missing). */
char *
do_case_sensitive_path (const char *path)
{
  size_t len = strlen (path);
  char *out = malloc (len + 2), *copy = strdup (path), *save = NULL;
  if (!out || !copy) {
    free (out); free (copy);
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  size_t olen = 0, cap = len + 2;
  out[0] = '\0';
  int missing = 0;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save)) {
    if (strcmp (c, ".") == 0) continue;
    if (missing) {
      gk_int_err (ENOENT, "%s: no such directory (case-insensitively)", path);
      goto fail;
    }
    const char *dir = olen ? out : "/";
    int dfd = gk_int_open (dir, O_RDONLY | O_DIRECTORY, 0);
    if (dfd == -1) {
      gk_int_perr ("%s", dir);
      goto fail;
    }
    struct stat st;
    const char *name = c;
    char found[256];
    if (strcmp (c, "..") != 0 && fstatat (dfd, c, &st, AT_SYMLINK_NOFOLLOW) == -1) {
      DIR *d = fdopendir (dfd);
      if (!d) { close (dfd); gk_int_perr ("%s", dir); goto fail; }
      struct dirent *e;
      missing = 1;
      while ((e = readdir (d)) != NULL)
        if (strcasecmp (e->d_name, c) == 0 && strlen (e->d_name) < sizeof found) {
          strcpy (found, e->d_name);
          name = found;
          missing = 0;
          break;
        }
      closedir (d);
    }
    else
      close (dfd);
    if (strcmp (name, "..") == 0) {
      char *s = strrchr (out, '/');
      olen = s ? (size_t) (s - out) : 0;
      out[olen] = '\0';
      continue;
    }
    size_t nl = strlen (name);
    if (olen + nl + 2 > cap) {
      cap = olen + nl + 2;
      char *no = realloc (out, cap);
      if (!no) { gk_int_err (ENOMEM, "out of memory"); goto fail; }
      out = no;
    }
    out[olen++] = '/';
    memcpy (out + olen, name, nl + 1);
    olen += nl;
  }
  if (olen == 0) strcpy (out, "/");
  free (copy);
  return out;
 fail:
  free (out);
  free (copy);
  return NULL;
}
