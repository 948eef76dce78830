/* Staging directory writer (tree.h). */
#include "tree.h"
#include "fullio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of NAME's parent directories. */
static int
parents (int dirfd, const char *name)
{
  char p[4096];
  if (strlen (name) >= sizeof p) { errno = ENAMETOOLONG; return -1; }
  strcpy (p, name);
  for (char *s = strchr (p, '/'); s; s = strchr (s + 1, '/')) {
    *s = '\0';
    if (mkdirat (dirfd, p, 0755) == -1 && errno != EEXIST) return -1;
    *s = '/';
  }
  return 0;
}

static int
copy_file (int dirfd, const struct gk_int_spec *e, const char **what)
{
  struct stat st;
  char buf[65536];
  int in = open (e->arg, O_RDONLY | O_CLOEXEC), out = -1, r = -1;
  *what = e->arg;
  if (in == -1 || fstat (in, &st) == -1) goto out;
  if (!S_ISREG (st.st_mode)) { errno = EINVAL; goto out; }
  *what = e->name;
  out = openat (dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out == -1) goto out;
  for (;;) {
    ssize_t n = read (in, buf, sizeof buf);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { *what = e->arg; goto out; }
    if (n == 0) break;
    if (gk_int_write_full (out, buf, (size_t) n) == -1) goto out;
  }
  /* Keep the host's mode and mtime (mke2fs -d copies them). */
  struct timespec ts[2] = { st.st_atim, st.st_mtim };
  if (fchmod (out, e->mode == -1 ? (st.st_mode & 07777) : (mode_t) e->mode) == -1
      || futimens (out, ts) == -1)
    goto out;
  r = 0;
out:
  if (in != -1) close (in);
  if (out != -1 && close (out) == -1) r = -1;
  return r;
}

int
gk_int_tree_add (int dirfd, const struct gk_int_spec *e, char *err, size_t errlen)
{
  const char *what = e->name;
  int r = 0, fd;
  struct stat st;
  if (fstatat (dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0) return 0;
  if (parents (dirfd, e->name) == -1) { r = -1; goto out; }
  switch (e->type) {
  case 'd':
    r = mkdirat (dirfd, e->name, (mode_t) e->mode);
    /* mkdir applies the umask; the mode given (1777 for /tmp) must stay. */
    if (r == 0) r = fchmodat (dirfd, e->name, (mode_t) e->mode, 0);
    break;
  case 'l':
    r = symlinkat (e->arg, dirfd, e->name);
    break;
  case 'c':
    break;
  case 's':
    fd = openat (dirfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    r = fd == -1 ? -1 : gk_int_write_full (fd, e->arg, e->arglen);
    if (r == 0) r = fchmod (fd, (mode_t) e->mode);
    if (fd != -1 && close (fd) == -1) r = -1;
    break;
  case 'f':
    r = copy_file (dirfd, e, &what);
    break;
  }
out:
  if (r == -1) snprintf (err, errlen, "%s: %s", what, strerror (errno));
  return r;
}
