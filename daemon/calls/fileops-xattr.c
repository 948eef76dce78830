/* guestkitd: extended attributes (getxattrs, lgetxattrs, getxattr,
 * lgetxattr, setxattr, lsetxattr, removexattr, lremovexattr).
 *
 * The object is opened with O_PATH inside the sysroot (with O_NOFOLLOW
 * from its parent directory for the l* calls, so a symbolic link itself
 * is meant), then reached as /proc/self/fd/N: the kernel resolves that
 * magic link to exactly the opened object, so no guest path is ever
 * resolved by the *xattr system calls themselves.
 *
 * getxattrs returns printable values: bytes 32-126 as they are, a
 * backslash as \\ and any other byte as \xNN; attrlen is the real length.
 * getxattr returns the raw bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>
#include "daemon.h"
#include "actions.h"

#define NAME_MAX_X 255
#define VALUE_MAX 65536
#define LIST_MAX 65536

/* An O_PATH descriptor of PATH, following a final link if FOLLOW. */
static int
open_obj (const char *path, int follow)
{
  if (follow) {
    int fd = gk_int_open (path, O_PATH, 0);
    if (fd == -1) gk_int_perr ("%s", path);
    return fd;
  }
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) {
    if (errno == EINVAL) return open_obj (path, 1);     /* "/" */
    return gk_int_perr ("%s", path);
  }
  int fd = openat (dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int e = errno;
  close (dfd);
  free (base);
  if (fd == -1) {
    errno = e;
    gk_int_perr ("%s", path);
  }
  return fd;
}

static void
proc_name (int fd, char *buf, size_t size)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
}

static int
check_name (const char *name)
{
  size_t n = strlen (name);
  if (n == 0 || n > NAME_MAX_X || !strchr (name, '.'))
    return gk_int_err (EINVAL, "%.64s: invalid attribute name (a namespace "
                       "such as user. and at most %d bytes)", name,
                       NAME_MAX_X);
  return 0;
}

/* Escape N bytes of V for a string. */
static char *
escape (const char *v, size_t n)
{
  char *r = malloc (4 * n + 1), *d = r;
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) v[i];
    if (c == '\\') { *d++ = '\\'; *d++ = '\\'; }
    else if (c >= 32 && c < 127) *d++ = (char) c;
    else d += sprintf (d, "\\x%02x", c);
  }
  *d = '\0';
  return r;
}

static void
free_xlist (struct gk_xattr_list *l)
{
  if (!l) return;
  for (size_t i = 0; i < l->len; i++) {
    free (l->val[i].attrname);
    free (l->val[i].attrval);
  }
  free (l->val);
  free (l);
}

static struct gk_xattr_list *
getxattrs (const char *path, int follow)
{
  int fd = open_obj (path, follow);
  if (fd == -1) return NULL;
  char p[64];
  proc_name (fd, p, sizeof p);
  struct gk_xattr_list *l = calloc (1, sizeof *l);
  char *names = malloc (LIST_MAX), *val = malloc (VALUE_MAX);
  if (!l || !names || !val) {
    gk_int_err (ENOMEM, "out of memory");
    goto fail;
  }
  ssize_t n = listxattr (p, names, LIST_MAX);
  if (n == -1) {
    gk_int_perr ("%s", path);
    goto fail;
  }
  size_t count = 0;
  for (ssize_t i = 0; i < n; i += (ssize_t) strlen (names + i) + 1) count++;
  l->val = calloc (count ? count : 1, sizeof *l->val);
  if (!l->val) {
    gk_int_err (ENOMEM, "out of memory");
    goto fail;
  }
  for (ssize_t i = 0; i < n; i += (ssize_t) strlen (names + i) + 1) {
    const char *name = names + i;
    ssize_t vn = getxattr (p, name, val, VALUE_MAX);
    if (vn == -1) {
      if (errno == ENODATA) continue;   /* removed meanwhile */
      gk_int_perr ("%s: %s", path, name);
      goto fail;
    }
    struct gk_xattr *x = &l->val[l->len++];
    x->attrname = strdup (name);
    x->attrval = escape (val, (size_t) vn);
    x->attrlen = vn;
    if (!x->attrname || !x->attrval) {
      gk_int_err (ENOMEM, "out of memory");
      goto fail;
    }
  }
  free (names);
  free (val);
  close (fd);
  return l;
 fail:
  free (names);
  free (val);
  free_xlist (l);
  close (fd);
  return NULL;
}

struct gk_xattr_list *
do_getxattrs (const char *path)
{
  return getxattrs (path, 1);
}

struct gk_xattr_list *
do_lgetxattrs (const char *path)
{
  return getxattrs (path, 0);
}

static char *
getxattr1 (const char *path, const char *name, size_t *size_r, int follow)
{
  if (check_name (name) == -1) return NULL;
  int fd = open_obj (path, follow);
  if (fd == -1) return NULL;
  char p[64];
  proc_name (fd, p, sizeof p);
  char *val = malloc (VALUE_MAX);
  ssize_t n = val ? getxattr (p, name, val, VALUE_MAX) : -1;
  int e = errno;
  close (fd);
  if (!val) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  if (n == -1) {
    free (val);
    errno = e;
    gk_int_perr ("%s: %s", path, name);
    return NULL;
  }
  *size_r = (size_t) n;
  return val;
}

char *
do_getxattr (const char *path, const char *name, size_t *size_r)
{
  return getxattr1 (path, name, size_r, 1);
}

char *
do_lgetxattr (const char *path, const char *name, size_t *size_r)
{
  return getxattr1 (path, name, size_r, 0);
}

static int
setxattr1 (const char *xattr, const char *val, size_t val_size, int vallen,
           const char *path, int follow)
{
  if (check_name (xattr) == -1) return -1;
  if (vallen < 0 || (size_t) vallen > val_size || vallen > VALUE_MAX)
    return gk_int_err (EINVAL, "%d: vallen must be 0 to the length of val "
                       "(%zu)", vallen, val_size);
  int fd = open_obj (path, follow);
  if (fd == -1) return -1;
  char p[64];
  proc_name (fd, p, sizeof p);
  int r = setxattr (p, xattr, val, (size_t) vallen, 0);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s: %s", path, xattr);
  }
  return 0;
}

int
do_setxattr (const char *xattr, const char *val, size_t val_size, int vallen,
             const char *path)
{
  return setxattr1 (xattr, val, val_size, vallen, path, 1);
}

int
do_lsetxattr (const char *xattr, const char *val, size_t val_size, int vallen,
              const char *path)
{
  return setxattr1 (xattr, val, val_size, vallen, path, 0);
}

static int
removexattr1 (const char *xattr, const char *path, int follow)
{
  if (check_name (xattr) == -1) return -1;
  int fd = open_obj (path, follow);
  if (fd == -1) return -1;
  char p[64];
  proc_name (fd, p, sizeof p);
  int r = removexattr (p, xattr);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s: %s", path, xattr);
  }
  return 0;
}

int
do_removexattr (const char *xattr, const char *path)
{
  return removexattr1 (xattr, path, 1);
}

int
do_lremovexattr (const char *xattr, const char *path)
{
  return removexattr1 (xattr, path, 0);
}
