/* guestkitd: inspect-list-applications2, from the dpkg database.
 *
 * /var/lib/dpkg/status is read from the filesystem the guest mounts /var
 * from (or /), mounted privately read-only, line by line: lines are cut
 * at LINE_MAX_ bytes (the rest skipped) and at most STATUS_MAX bytes are
 * read, so a hostile database costs bounded time and memory; more than
 * MAX_APPS packages or REPLY_MAX bytes of them (the reply must fit in one
 * message) is an error rather than a silently shortened list.  The rpm database is a Berkeley DB or SQLite file; reading
 * it needs those libraries in the static daemon, which it does not have:
 * rpm guests get an empty list.
 */
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

struct collect { struct gk_application2_list *l; size_t cap, bytes; };

static int
add_app (void *opaque, const struct gk_dpkg_pkg *p)
{
  struct collect *c = opaque;
  struct gk_application2_list *l = c->l;
  /* Strings with their length words, the epoch, some slack. */
  c->bytes += strlen (p->name) + strlen (p->version) + strlen (p->release)
    + strlen (p->arch) + 32;
  if (l->len >= MAX_APPS || c->bytes > REPLY_MAX)
    return gk_int_err (EFBIG, "/var/lib/dpkg/status: more packages than can "
                       "be returned (%zu so far, %zu bytes)", l->len, c->bytes);
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

/* Feed FILE to the parser, bounded as described above. */
static void
read_status (FILE *f, struct gk_dpkg_parser *p)
{
  char line[LINE_MAX_];
  size_t total = 0;
  int skipping = 0;     /* in the tail of a line longer than LINE_MAX_ */
  while (!p->error && total < STATUS_MAX && fgets (line, sizeof line, f)) {
    size_t n = strlen (line);
    total += n;
    int whole = n > 0 && line[n - 1] == '\n';
    if (!skipping) gk_int_dpkg_line (p, line, whole ? n - 1 : n);
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

/* The device holding /var (or /) of R, and the path of the dpkg status
 * file on it. */
static const char *
var_device (const struct gk_insp_root *r, const char **path)
{
  for (size_t i = 0; r->mounts[i] && r->mounts[i + 1]; i += 2)
    if (strcmp (r->mounts[i], "/var") == 0) {
      *path = "/lib/dpkg/status";
      return r->mounts[i + 1];
    }
  *path = "/var/lib/dpkg/status";
  return r->dev;
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
  if (strcmp (r->pkgfmt, "deb") != 0) return l;

  const char *path;
  const char *dev = var_device (r, &path);
  char *type = do_vfs_type (dev);
  struct gk_insp_mnt m;
  if (!type || gk_int_insp_mount (dev, type, &m) == -1) {
    free (type);
    free (l);
    return NULL;
  }
  free (type);
  struct collect c = { l, 0, 0 };
  struct gk_dpkg_parser p;
  gk_int_dpkg_init (&p, add_app, &c);
  int fd = gk_int_insp_open (m.rootfd, path, O_RDONLY | O_NONBLOCK);
  FILE *f = fd >= 0 ? fdopen (fd, "r") : NULL;
  if (f) {
    read_status (f, &p);
    fclose (f);
  }
  else if (fd >= 0)
    close (fd);
  gk_int_insp_umount (&m);
  if (p.error) {
    gk_free_application2_list (l);
    return NULL;
  }
  if (l->len) qsort (l->val, l->len, sizeof *l->val, cmp_apps);
  return l;
}
