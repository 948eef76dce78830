/* guestkitd: inspect-list-applications2, from the package database.
 *
 * deb: /var/lib/dpkg/status is read from the filesystem the guest mounts
 * /var from (or /), mounted privately read-only, line by line: lines are
 * cut at LINE_MAX_ bytes (the rest skipped) and at most STATUS_MAX bytes
 * are read, so a hostile database costs bounded time and memory.
 * rpm: the database in /usr/lib/sysimage/rpm (Fedora >= 33, SUSE) or
 * /var/lib/rpm, from the filesystem holding that directory, read by
 * inspect-rpm.c with the appliance's rpm.
 * apk: /lib/apk/db/installed (Alpine), read like dpkg's status.
 * pacman: the desc file of each package in /var/lib/pacman/local (Arch).
 * Either way, more than MAX_APPS packages or REPLY_MAX bytes of them (the
 * reply must fit in one message) is an error rather than a silently
 * shortened list.  Other formats give an empty list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "structs.h"
#include "inspect.h"
#include "inspect-parse.h"

#define STATUS_MAX (64u << 20)
#define LINE_MAX_ 4096
#define MAX_APPS 100000
/* The reply must fit in one message (GK_MSG_MAX, 4 MiB). */
#define REPLY_MAX (3u << 20)

struct collect {
  struct gk_application2_list *l;
  size_t cap, bytes;
  const char *what;             /* the database, for errors */
};

static int
add_app (void *opaque, const struct gk_dpkg_pkg *p)
{
  struct collect *c = opaque;
  struct gk_application2_list *l = c->l;
  /* Strings with their length words, the epoch, some slack. */
  c->bytes += strlen (p->name) + strlen (p->version) + strlen (p->release)
    + strlen (p->arch) + 32;
  if (l->len >= MAX_APPS || c->bytes > REPLY_MAX)
    return gk_int_err (EFBIG, "%s: more packages than can be returned (%zu "
                       "so far, %zu bytes)", c->what, l->len, c->bytes);
  if (gk_int_grow ((void **) &l->val, &c->cap, l->len + 1, sizeof *l->val, 256) == -1)
    return gk_int_err (ENOMEM, "out of memory");
  struct gk_application2 *a = &l->val[l->len];
  a->app2_name = strdup (p->name);
  a->app2_epoch = p->epoch;
  a->app2_version = strdup (p->version);
  a->app2_release = strdup (p->release);
  a->app2_arch = strdup (p->arch);
  l->len++;
  if (!a->app2_name || !a->app2_version || !a->app2_release || !a->app2_arch)
    return gk_int_err (ENOMEM, "out of memory");
  return 0;
}

/* Feed FILE to the parser through LINE_FN, bounded as described above. */
static void
read_status (FILE *f, struct gk_dpkg_parser *p,
             void (*line_fn) (struct gk_dpkg_parser *, const char *, size_t))
{
  char line[LINE_MAX_];
  size_t total = 0;
  int skipping = 0;     /* in the tail of a line longer than LINE_MAX_ */
  while (!p->error && total < STATUS_MAX && fgets (line, sizeof line, f)) {
    size_t n = strlen (line);
    total += n;
    int whole = n > 0 && line[n - 1] == '\n';
    if (!skipping) line_fn (p, line, whole ? n - 1 : n);
    skipping = !whole;
  }
  gk_int_dpkg_end (p);
}

static int
cmp_apps (const void *a, const void *b)
{
  const struct gk_application2 *x = a, *y = b;
  return strcmp (x->app2_name, y->app2_name);
}

/* Mount the device of R holding PATH; *REL the path on it. */
static int
mount_for (const struct gk_insp_root *r, const char *path, const char **rel,
           struct gk_insp_mnt *m)
{
  const char *dev = gk_int_insp_device_for (r, path, rel);
  char *type = do_vfs_type (dev);
  int ret = type ? gk_int_insp_mount (dev, type, m) : -1;
  free (type);
  return ret;
}

/* A text database at guest path FILE (dpkg's status, apk's installed),
 * through LINE_FN. */
static int
read_text_db (const struct gk_insp_root *r, struct collect *c, const char *file,
              void (*line_fn) (struct gk_dpkg_parser *, const char *, size_t))
{
  const char *path;
  struct gk_insp_mnt m;
  if (mount_for (r, file, &path, &m) == -1) return -1;
  c->what = file;
  struct gk_dpkg_parser p;
  gk_int_dpkg_init (&p, add_app, c);
  int fd = gk_int_insp_open (m.rootfd, path, O_RDONLY | O_NONBLOCK);
  FILE *f = fd >= 0 ? fdopen (fd, "r") : NULL;
  if (f) {
    read_status (f, &p, line_fn);
    fclose (f);
  }
  else if (fd >= 0)
    close (fd);
  gk_int_insp_umount (&m);
  return p.error ? -1 : 0;
}

/* pacman's local database: one directory per package, each with a desc
 * file (at most GK_INSP_FILE_MAX bytes read of it, STATUS_MAX in all);
 * MAX_APPS entries at most are looked at (add_app fails beyond). */
static int
read_pacman (const struct gk_insp_root *r, struct collect *c)
{
  const char *path;
  struct gk_insp_mnt m;
  if (mount_for (r, "/var/lib/pacman/local", &path, &m) == -1) return -1;
  c->what = "/var/lib/pacman/local";
  int ret = 0;
  int fd = gk_int_insp_open (m.rootfd, path, O_RDONLY | O_DIRECTORY);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (!d && fd >= 0) close (fd);
  struct dirent *e;
  size_t seen = 0, total = 0;
  while (d && ret == 0 && (e = readdir (d)) && seen++ <= MAX_APPS) {
    if (total > STATUS_MAX) {
      ret = gk_int_err (EFBIG, "/var/lib/pacman/local: more than %u MiB of "
                        "desc files", STATUS_MAX >> 20);
      break;
    }
    if (e->d_name[0] == '.') continue;
    char p[4096 + 300], *b;
    size_t len;
    struct gk_dpkg_pkg pkg;
    snprintf (p, sizeof p, "%s/%s/desc", path, e->d_name);
    if (!(b = gk_int_insp_read (m.rootfd, p, GK_INSP_FILE_MAX, &len))) continue;
    total += len;
    if (gk_int_pacman_desc (b, len, &pkg)) ret = add_app (c, &pkg);
    free (b);
  }
  if (d) closedir (d);
  gk_int_insp_umount (&m);
  return ret;
}

/* Where rpm keeps its database, newest first (/var/lib/rpm is a link to
 * the first on Fedora >= 36, which RESOLVE_IN_ROOT follows inside the
 * guest's filesystem). */
static const char *const rpm_dirs[] = {
  "/usr/lib/sysimage/rpm", "/var/lib/rpm", NULL
};

static int
read_rpm (const struct gk_insp_root *r, struct collect *c)
{
  for (size_t i = 0; rpm_dirs[i]; i++) {
    const char *path;
    struct gk_insp_mnt m;
    if (mount_for (r, rpm_dirs[i], &path, &m) == -1) return -1;
    c->what = rpm_dirs[i];
    int rc = gk_int_insp_rpm (m.rootfd, path, add_app, c);
    gk_int_insp_umount (&m);
    if (rc != 0) return rc == -1 ? -1 : 0;
  }
  return 0;
}

struct gk_application2_list *
do_inspect_list_applications2 (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  struct gk_application2_list *l = calloc (1, sizeof *l);
  if (!l) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  if (strcmp (r->type, "windows") == 0) {      /* the registry */
    if (gk_int_insp_windows_apps (r, l) == -1) {
      gk_free_application2_list (l);
      return NULL;
    }
    if (l->len) qsort (l->val, l->len, sizeof *l->val, cmp_apps);
    return l;
  }
  struct collect c = { l, 0, 0, "/var/lib/dpkg/status" };
  int rc = 0;
  if (strcmp (r->pkgfmt, "deb") == 0)
    rc = read_text_db (r, &c, "/var/lib/dpkg/status", gk_int_dpkg_line);
  else if (strcmp (r->pkgfmt, "pacman") == 0)
    rc = read_pacman (r, &c);
  else if (strcmp (r->pkgfmt, "apk") == 0)
    rc = read_text_db (r, &c, "/lib/apk/db/installed", gk_int_apk_line);
  else if (strcmp (r->pkgfmt, "rpm") == 0) rc = read_rpm (r, &c);
  if (rc == -1) {
    gk_free_application2_list (l);
    return NULL;
  }
  if (l->len) qsort (l->val, l->len, sizeof *l->val, cmp_apps);
  return l;
}
