/* guestkitd: the kernel's mount table under the sysroot (mount-table.h).
 * /proc/self/mountinfo is the only record of what is mounted, so nothing
 * can get out of step. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include "daemon.h"
#include "grow.h"
#include "inspect-parse.h"    /* gk_int_unoctal */
#include "mount-table.h"

#define MOUNTINFO "/proc/self/mountinfo"
#define MOUNTINFO_MAX (64u * 1024 * 1024)

void
gk_int_mnts_free (struct mnts *m)
{
  free (m->v);
  free (m->buf);
  m->v = NULL;
  m->buf = NULL;
  m->n = 0;
}

/* Read a whole /proc file (st_size is 0 there, so read until EOF). */
static char *
read_proc (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  size_t len = 0, cap = 16384;
  char *buf = malloc (cap);
  for (;;) {
    if (!buf) {
      close (fd);
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
    if (len + 1 >= cap) {
      if (cap >= MOUNTINFO_MAX) {
        free (buf);
        close (fd);
        gk_int_err (EFBIG, "%s: too large", path);
        return NULL;
      }
      char *b = realloc (buf, 2 * cap);
      if (!b) free (buf);
      buf = b;
      cap *= 2;
      continue;
    }
    ssize_t r = read (fd, buf + len, cap - len - 1);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) {
      gk_int_perr ("%s", path);
      free (buf);
      close (fd);
      return NULL;
    }
    if (r == 0) break;
    len += (size_t) r;
  }
  close (fd);
  buf[len] = '\0';
  return buf;
}

void
gk_int_sysroot_real (char *buf)
{
  if (!realpath (gk_int_sysroot, buf)) {
    snprintf (buf, PATH_MAX, "%s", gk_int_sysroot);
    size_t len = strlen (buf);
    while (len > 1 && buf[len - 1] == '/') buf[--len] = '\0';
  }
}

/* If TARGET is ROOT or below it, the guest path it stands for. */
static const char *
guest_path (const char *target, const char *root)
{
  if (strcmp (root, "/") == 0) return target;
  size_t len = strlen (root);
  if (strncmp (target, root, len) != 0) return NULL;
  if (target[len] == '\0') return "/";
  if (target[len] == '/') return target + len;
  return NULL;
}

/* Split a mountinfo line into space-separated fields, in place. */
static size_t
split_fields (char *line, char **f, size_t max)
{
  size_t n = 0;
  char *save;
  for (char *t = strtok_r (line, " ", &save); t && n < max;
       t = strtok_r (NULL, " ", &save))
    f[n++] = t;
  return n;
}

int
gk_int_mnts_list (struct mnts *m)
{
  memset (m, 0, sizeof *m);
  gk_int_sysroot_real (m->root);
  m->buf = read_proc (MOUNTINFO);
  if (!m->buf) return -1;

  size_t cap = 0;
  char *save;
  for (char *line = strtok_r (m->buf, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    /* id parent maj:min root mountpoint opts [optional...] - type source
     * superopts */
    char *f[64];
    size_t nf = split_fields (line, f, 64);
    size_t sep = 6;
    while (sep < nf && strcmp (f[sep], "-") != 0) sep++;
    if (nf < 5 || sep + 2 >= nf) continue;
    unsigned maj, min;
    unsigned long id, parent;
    if (sscanf (f[0], "%lu", &id) != 1 || sscanf (f[1], "%lu", &parent) != 1
        || sscanf (f[2], "%u:%u", &maj, &min) != 2)
      continue;
    gk_int_unoctal (f[4]);
    const char *g = guest_path (f[4], m->root);
    if (!g) continue;
    gk_int_unoctal (f[sep + 2]);
    if (gk_int_grow ((void **) &m->v, &cap, m->n + 1, sizeof *m->v, 8) == -1) {
      gk_int_mnts_free (m);
      return gk_int_err (ENOMEM, "out of memory");
    }
    m->v[m->n].source = f[sep + 2];
    m->v[m->n].target = f[4];
    m->v[m->n].guest = g;
    m->v[m->n].dev = makedev (maj, min);
    m->v[m->n].id = id;
    m->v[m->n].parent = parent;
    m->n++;
  }
  return 0;
}

int
gk_int_mnt_is_dev (const struct mnt *x)
{
  return strncmp (x->source, "/dev/", 5) == 0;
}
