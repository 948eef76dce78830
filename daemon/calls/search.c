/* guestkitd: walking directory trees (find, find0, ls0, du,
 * checksums-out) and glob-expand.
 *
 * The walk goes from directory descriptor to directory descriptor with
 * openat(O_NOFOLLOW): symbolic links are listed, never followed, so a
 * guest link cannot lead the walk outside the tree or into a loop.
 * Entries are visited in name order (pre-order), so output is stable.
 * find and glob-expand answer in one message and fail with EFBIG ("use
 * find0") if the list would not fit; find0, ls0 and checksums-out
 * stream, with no size limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "fileout.h"

#define MAX_DEPTH 256
#define REL_MAX (4 * PATH_MAX)

/* ---- names of one directory, sorted -------------------------------- */

struct ent { char *name; unsigned char type; };

static int
cmp_ent (const void *a, const void *b)
{
  return strcmp (((const struct ent *) a)->name, ((const struct ent *) b)->name);
}

static void
free_ents (struct ent *e, size_t n)
{
  for (size_t i = 0; i < n; i++) free (e[i].name);
  free (e);
}

/* Read the entries of directory FD (not . and ..), sorted.  FD stays
 * open (a duplicate is consumed).  WHERE names it in errors. */
static int
read_dir (int fd, const char *where, struct ent **ents_r, size_t *n_r)
{
  int dfd = dup (fd);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (!d) {
    if (dfd >= 0) close (dfd);
    return gk_int_perr ("%s", where);
  }
  rewinddir (d);
  struct ent *v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  errno = 0;
  while ((e = readdir (d)) != NULL) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) {
      errno = 0;
      continue;
    }
    if (gk_int_grow ((void **) &v, &cap, n + 1, sizeof *v, 64) == -1) goto oom;
    v[n].name = strdup (e->d_name);
    if (!v[n].name) goto oom;
    v[n++].type = e->d_type;
    errno = 0;
  }
  if (errno) {
    gk_int_perr ("%s: readdir", where);
    closedir (d);
    free_ents (v, n);
    return -1;
  }
  closedir (d);
  if (n) qsort (v, n, sizeof *v, cmp_ent);
  *ents_r = v;
  *n_r = n;
  return 0;
 oom:
  closedir (d);
  free_ents (v, n);
  return gk_int_err (ENOMEM, "out of memory");
}

/* ---- the walk -------------------------------------------------------- */

struct walk {
  /* Called for every entry: REL is the path below the top ("a/b"), DFD
   * the directory holding NAME.  Returns 0 to go on, -1 to fail. */
  int (*cb) (struct walk *w, const char *rel, int dfd, const char *name,
             unsigned char type);
  const char *top;              /* the guest path walked, for messages */
  char rel[REL_MAX];
  void *opaque;
};

static int
is_dir_ent (int dfd, const char *name, unsigned char type)
{
  if (type != DT_UNKNOWN) return type == DT_DIR;
  struct stat st;
  return fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
    && S_ISDIR (st.st_mode);
}

static int
walk_dir (struct walk *w, int dfd, size_t rlen, int depth)
{
  if (depth > MAX_DEPTH)
    return gk_int_err (ELOOP, "%s/%s: directories nested too deeply "
                       "(more than %d)", w->top, w->rel, MAX_DEPTH);
  struct ent *ents;
  size_t n;
  if (read_dir (dfd, rlen ? w->rel : w->top, &ents, &n) == -1) return -1;
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++) {
    size_t nl = strlen (ents[i].name);
    if (rlen + nl + 2 > REL_MAX) {
      r = gk_int_err (ENAMETOOLONG, "%s/%s: path too long", w->top, w->rel);
      break;
    }
    if (rlen) w->rel[rlen] = '/';
    memcpy (w->rel + rlen + (rlen ? 1 : 0), ents[i].name, nl + 1);
    size_t sub = rlen + (rlen ? 1 : 0) + nl;
    r = w->cb (w, w->rel, dfd, ents[i].name, ents[i].type);
    if (r == 0 && is_dir_ent (dfd, ents[i].name, ents[i].type)) {
      int cfd = openat (dfd, ents[i].name, O_RDONLY | O_DIRECTORY
                        | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
      if (cfd == -1)
        r = gk_int_perr ("%s/%s", w->top, w->rel);
      else {
        r = walk_dir (w, cfd, sub, depth + 1);
        close (cfd);
      }
    }
    w->rel[rlen] = '\0';
  }
  free_ents (ents, n);
  return r;
}

/* Walk the directory DIR (a guest path). */
static int
walk (struct walk *w, const char *dir)
{
  w->top = dir;
  w->rel[0] = '\0';
  int fd = gk_int_open (dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) return gk_int_perr ("%s", dir);
  int r = walk_dir (w, fd, 0, 0);
  close (fd);
  return r;
}

/* ---- a bounded string list ---------------------------------------- */

static char **
sl_done (struct gk_int_reply_list *l, int ok)
{
  if (!ok) {
    gk_int_free_strings (l->v);
    return NULL;
  }
  if (!l->v && !(l->v = calloc (1, sizeof *l->v)))
    gk_int_err (ENOMEM, "out of memory");
  return l->v;
}

/* ---- find / find0 --------------------------------------------------- */

static int
find_cb (struct walk *w, const char *rel, int dfd, const char *name,
         unsigned char type)
{
  (void) dfd; (void) name; (void) type;
  return gk_int_reply_list_add (w->opaque, rel, strlen (rel));
}

char **
do_find (const char *directory)
{
  struct gk_int_reply_list l = { .what = directory, .instead = "find0" };
  struct walk *w = calloc (1, sizeof *w);
  if (!w) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  w->cb = find_cb;
  w->opaque = &l;
  int r = walk (w, directory);
  free (w);
  return sl_done (&l, r == 0);
}

static int
find0_cb (struct walk *w, const char *rel, int dfd, const char *name,
          unsigned char type)
{
  (void) dfd; (void) name; (void) type;
  return gk_int_os_write (w->opaque, rel, strlen (rel) + 1);
}

int
do_find0 (const char *directory)
{
  struct gk_int_ostream os;
  struct walk *w = calloc (1, sizeof *w);
  if (!w) return gk_int_err (ENOMEM, "out of memory");
  if (gk_int_os_init (&os) == -1) { free (w); return -1; }
  w->cb = find0_cb;
  w->opaque = &os;
  int r = walk (w, directory);
  free (w);
  if (r == -1) {
    gk_int_os_abort (&os);
    return -1;
  }
  return gk_int_os_finish (&os);
}

int
do_ls0 (const char *dir)
{
  int fd = gk_int_open (dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) return gk_int_perr ("%s", dir);
  struct ent *ents;
  size_t n;
  int r = read_dir (fd, dir, &ents, &n);
  close (fd);
  if (r == -1) return -1;
  struct gk_int_ostream os;
  if (gk_int_os_init (&os) == -1) { free_ents (ents, n); return -1; }
  for (size_t i = 0; i < n && r == 0; i++)
    r = gk_int_os_write (&os, ents[i].name, strlen (ents[i].name) + 1);
  free_ents (ents, n);
  if (r == -1) {
    gk_int_os_abort (&os);
    return -1;
  }
  return gk_int_os_finish (&os);
}

/* ---- du --------------------------------------------------------------- */

struct du {
  uint64_t bytes;
  void *seen;                   /* tsearch tree of hard-linked inodes */
};

struct ino { dev_t dev; ino_t ino; };

static int
cmp_ino (const void *a, const void *b)
{
  const struct ino *x = a, *y = b;
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int
du_add (struct du *d, const struct stat *st)
{
  if (st->st_nlink > 1 && !S_ISDIR (st->st_mode)) {
    struct ino *k = malloc (sizeof *k);
    if (!k) return gk_int_err (ENOMEM, "out of memory");
    k->dev = st->st_dev;
    k->ino = st->st_ino;
    struct ino **f = tsearch (k, &d->seen, cmp_ino);
    if (!f) { free (k); return gk_int_err (ENOMEM, "out of memory"); }
    if (*f != k) { free (k); return 0; }   /* counted already */
  }
  d->bytes += (uint64_t) st->st_blocks * 512;
  return 0;
}

static int
du_cb (struct walk *w, const char *rel, int dfd, const char *name,
       unsigned char type)
{
  (void) type;
  struct stat st;
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
    return gk_int_perr ("%s/%s", w->top, rel);
  return du_add (w->opaque, &st);
}

int64_t
do_du (const char *path)
{
  struct stat st;
  int fd = gk_int_open (path, O_PATH | O_NOFOLLOW, 0);
  if (fd == -1) return gk_int_perr ("%s", path);
  int r = fstat (fd, &st);
  close (fd);
  if (r == -1) return gk_int_perr ("%s", path);
  struct du d = { 0, NULL };
  r = du_add (&d, &st);
  if (r == 0 && S_ISDIR (st.st_mode)) {
    struct walk *w = calloc (1, sizeof *w);
    if (!w) r = gk_int_err (ENOMEM, "out of memory");
    else {
      w->cb = du_cb;
      w->opaque = &d;
      r = walk (w, path);
      free (w);
    }
  }
  tdestroy (d.seen, free);
  if (r == -1) return -1;
  return (int64_t) (d.bytes / 1024);     /* KiB, as du -s prints */
}

/* ---- checksums-out ------------------------------------------------ */

struct csums {
  struct gk_int_ostream os;
  const char *type;
};

static int
csum_cb (struct walk *w, const char *rel, int dfd, const char *name,
         unsigned char type)
{
  struct csums *c = w->opaque;
  if (type == DT_UNKNOWN) {
    struct stat st;
    if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
      return gk_int_perr ("%s/%s", w->top, rel);
    if (!S_ISREG (st.st_mode)) return 0;
  }
  else if (type != DT_REG) return 0;
  char *guest;
  if (asprintf (&guest, "%s/%s", strcmp (w->top, "/") ? w->top : "", rel) == -1)
    return gk_int_err (ENOMEM, "out of memory");
  char *sum = do_checksum (c->type, guest);
  free (guest);
  if (!sum) return -1;
  int r = gk_int_os_write (&c->os, sum, strlen (sum));
  if (r == 0) r = gk_int_os_write (&c->os, "  ./", 4);
  if (r == 0) r = gk_int_os_write (&c->os, rel, strlen (rel));
  if (r == 0) r = gk_int_os_write (&c->os, "\n", 1);
  free (sum);
  return r;
}

int
do_checksums_out (const char *csumtype, const char *directory)
{
  static const char *const types[] = { "md5", "sha1", "sha224", "sha256",
                                       "sha384", "sha512", NULL };
  int ok = 0;
  for (size_t i = 0; types[i]; i++) ok |= strcmp (types[i], csumtype) == 0;
  if (!ok)
    return gk_int_err (EINVAL, "%.32s: unknown checksum type (md5, sha1, "
                       "sha224, sha256, sha384, sha512)", csumtype);
  struct csums c = { .type = csumtype };
  struct walk *w = calloc (1, sizeof *w);
  if (!w) return gk_int_err (ENOMEM, "out of memory");
  if (gk_int_os_init (&c.os) == -1) { free (w); return -1; }
  w->cb = csum_cb;
  w->opaque = &c;
  int r = walk (w, directory);
  free (w);
  if (r == -1) {
    gk_int_os_abort (&c.os);
    return -1;
  }
  return gk_int_os_finish (&c.os);
}

/* ---- glob-expand ------------------------------------------------------ */

struct glob {
  struct gk_int_reply_list l;
  char **comps;                 /* the pattern's components */
  size_t ncomps;
  int dirs_only;                /* the pattern ended in "/" */
  int slash;                    /* mark directories with "/" */
};

static int
has_magic (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

/* PATH is an existing guest path (following links) of type: 1 dir,
 * 0 other, -1 absent. */
static int
kind (const char *path)
{
  int fd = gk_int_open (path, O_PATH, 0);
  if (fd == -1) {
    char *base;
    int dfd = gk_int_open_parent (path, &base);
    if (dfd == -1) return -1;
    struct stat st;
    int r = fstatat (dfd, base, &st, AT_SYMLINK_NOFOLLOW);
    close (dfd);
    free (base);
    return r == 0 ? 0 : -1;     /* a dangling link exists */
  }
  struct stat st;
  int r = fstat (fd, &st);
  close (fd);
  if (r == -1) return -1;
  return S_ISDIR (st.st_mode) ? 1 : 0;
}

static int
glob_found (struct glob *g, const char *path)
{
  int k = kind (path);
  if (k < 0 || (g->dirs_only && k != 1)) return 0;
  if (k == 1 && (g->slash || g->dirs_only) && strcmp (path, "/") != 0) {
    char *s;
    if (asprintf (&s, "%s/", path) == -1)
      return gk_int_err (ENOMEM, "out of memory");
    int r = gk_int_reply_list_add (&g->l, s, strlen (s));
    free (s);
    return r;
  }
  return gk_int_reply_list_add (&g->l, path, strlen (path));
}

/* Expand components I.. below PREFIX ("" for the root). */
static int
glob_at (struct glob *g, const char *prefix, size_t i)
{
  if (i == g->ncomps) return glob_found (g, *prefix ? prefix : "/");
  const char *c = g->comps[i];
  char *next;
  if (!has_magic (c)) {
    if (strlen (prefix) + strlen (c) + 2 > PATH_MAX) return 0;
    if (asprintf (&next, "%s/%s", prefix, c) == -1)
      return gk_int_err (ENOMEM, "out of memory");
    int r = glob_at (g, next, i + 1);
    free (next);
    return r;
  }
  int fd = gk_int_open (*prefix ? prefix : "/", O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) return 0;       /* not a directory: no match */
  struct ent *ents;
  size_t n;
  int r = read_dir (fd, *prefix ? prefix : "/", &ents, &n);
  close (fd);
  if (r == -1) return -1;
  for (size_t k = 0; k < n && r == 0; k++) {
    if (fnmatch (c, ents[k].name, FNM_PERIOD) != 0) continue;
    if (strlen (prefix) + strlen (ents[k].name) + 2 > PATH_MAX) continue;
    if (asprintf (&next, "%s/%s", prefix, ents[k].name) == -1) {
      r = gk_int_err (ENOMEM, "out of memory");
      break;
    }
    r = glob_at (g, next, i + 1);
    free (next);
  }
  free_ents (ents, n);
  return r;
}

char **
do_glob_expand (const char *pattern, int directoryslash)
{
  struct glob g = { .l = { .what = pattern, .instead = "find0 and a local "
                           "filter" } };
  g.slash = (gk_int_optargs_bitmask & GK_GLOB_EXPAND_DIRECTORYSLASH)
    ? directoryslash : 1;
  size_t len = strlen (pattern);
  g.dirs_only = len > 1 && pattern[len - 1] == '/';
  char *copy = strdup (pattern), *save = NULL;
  g.comps = calloc (len / 2 + 2, sizeof *g.comps);
  if (!copy || !g.comps) {
    free (copy);
    free (g.comps);
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  for (char *t = strtok_r (copy, "/", &save); t; t = strtok_r (NULL, "/", &save))
    if (strcmp (t, ".") != 0) g.comps[g.ncomps++] = t;
  int r = glob_at (&g, "", 0);
  free (copy);
  free (g.comps);
  if (r == 0 && g.l.v) gk_int_sort_strings (g.l.v);
  return sl_done (&g.l, r == 0);
}
