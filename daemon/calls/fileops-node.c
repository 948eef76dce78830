/* guestkitd: file types, special files and small per-file operations
 * (is-symlink/blockdev/chardev/fifo/socket, is-zero, readdir, realpath,
 * mknod*, mkfifo, utimens, lchown, mkdtemp, truncate, fallocate64,
 * pread, pwrite).
 *
 * Objects are reached through a descriptor of their parent directory
 * (gk_int_open_parent) plus one name, so the last component is never
 * followed by accident and nothing resolves outside the sysroot; where
 * a call follows symbolic links it opens the path with gk_int_open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "devtool.h"

#define IO_MAX ((size_t) GK_MSG_MAX - 4096)

/* stat PATH; FOLLOW: follow a final symbolic link.  -1 with errno. */
static int
stat_guest (const char *path, int follow, struct stat *st)
{
  if (follow) {
    int fd = gk_int_open (path, O_PATH, 0);
    if (fd == -1) return -1;
    int r = fstat (fd, st);
    int e = errno;
    close (fd);
    errno = e;
    return r;
  }
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) {
    /* "/" has no parent: it is a directory, never a link. */
    if (errno == EINVAL) return stat_guest (path, 1, st);
    return -1;
  }
  int r = fstatat (dfd, base, st, AT_SYMLINK_NOFOLLOW);
  int e = errno;
  close (dfd);
  free (base);
  errno = e;
  return r;
}

/* 1 if PATH is of type TYPE, 0 if not or absent, -1 on other errors. */
static int
is_type (const char *path, int follow, mode_t type)
{
  struct stat st;
  if (stat_guest (path, follow, &st) == -1) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    return gk_int_perr ("%s", path);
  }
  return (st.st_mode & S_IFMT) == type;
}

int
do_is_symlink (const char *path)
{
  return is_type (path, 0, S_IFLNK);
}

int
do_is_blockdev (const char *path, int followsymlinks)
{
  return is_type (path, followsymlinks, S_IFBLK);
}

int
do_is_chardev (const char *path, int followsymlinks)
{
  return is_type (path, followsymlinks, S_IFCHR);
}

int
do_is_fifo (const char *path, int followsymlinks)
{
  return is_type (path, followsymlinks, S_IFIFO);
}

int
do_is_socket (const char *path, int followsymlinks)
{
  return is_type (path, followsymlinks, S_IFSOCK);
}

int
do_is_zero (const char *path)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return -1;
  int r = gk_int_fd_is_zero (fd, path);
  close (fd);
  return r;
}

/* ---- readdir -------------------------------------------------------- */

static char
ftyp (unsigned char t)
{
  switch (t) {
  case DT_BLK: return 'b';
  case DT_CHR: return 'c';
  case DT_DIR: return 'd';
  case DT_FIFO: return 'f';
  case DT_LNK: return 'l';
  case DT_REG: return 'r';
  case DT_SOCK: return 's';
  case DT_UNKNOWN: return 'u';
  default: return '?';
  }
}

static int
compare_dirent (const void *a, const void *b)
{
  const struct gk_dirent *x = a, *y = b;
  return strcmp (x->name, y->name);
}

struct gk_dirent_list *
do_readdir (const char *dir)
{
  int fd = gk_int_open (dir, O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) {
    gk_int_perr ("%s", dir);
    return NULL;
  }
  DIR *d = fdopendir (fd);
  if (!d) {
    gk_int_perr ("%s", dir);
    close (fd);
    return NULL;
  }
  struct gk_dirent_list *l = calloc (1, sizeof *l);
  size_t cap = 0, bytes = 0;
  struct dirent *e;
  if (!l) goto oom;
  errno = 0;
  while ((e = readdir (d)) != NULL) {
    /* Bound the reply: every entry costs its name plus about 24 bytes. */
    bytes += strlen (e->d_name) + 24;
    if (bytes > IO_MAX) {
      gk_int_err (EFBIG, "%s: directory too large for one reply (use ls0)",
                  dir);
      goto fail;
    }
    if (gk_int_grow ((void **) &l->val, &cap, l->len + 1, sizeof *l->val, 32) == -1)
      goto oom;
    struct gk_dirent *x = &l->val[l->len];
    char t[2] = { ftyp (e->d_type), '\0' };
    x->ino = (int64_t) e->d_ino;
    x->ftyp = strdup (t);
    x->name = strdup (e->d_name);
    l->len++;
    if (!x->ftyp || !x->name) goto oom;
    errno = 0;
  }
  if (errno) {
    gk_int_perr ("%s: readdir", dir);
    goto fail;
  }
  closedir (d);
  if (l->len) qsort (l->val, l->len, sizeof *l->val, compare_dirent);
  return l;
 oom:
  gk_int_err (ENOMEM, "out of memory");
 fail:
  closedir (d);
  if (l) {
    for (size_t i = 0; i < l->len; i++) {
      free (l->val[i].ftyp);
      free (l->val[i].name);
    }
    free (l->val);
    free (l);
  }
  return NULL;
}

/* ---- realpath --------------------------------------------------------- */

char *
do_realpath (const char *path)
{
  int fd = gk_int_open (path, O_PATH, 0);
  if (fd == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  char proc[64], buf[PATH_MAX + 1], root[PATH_MAX + 1];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (proc, buf, PATH_MAX);
  int e = errno;
  close (fd);
  if (n == -1) {
    errno = e;
    gk_int_perr ("%s: readlink %s", path, proc);
    return NULL;
  }
  buf[n] = '\0';
  if (!realpath (gk_int_sysroot, root)) {
    gk_int_perr ("%s", gk_int_sysroot);
    return NULL;
  }
  size_t rl = strcmp (root, "/") == 0 ? 0 : strlen (root);
  if (strncmp (buf, root, rl) != 0 || (buf[rl] != '/' && buf[rl] != '\0')) {
    gk_int_err (EIO, "%s: resolved outside the guest tree", path);
    return NULL;
  }
  char *r = strdup (buf[rl] ? buf + rl : "/");
  if (!r) gk_int_err (ENOMEM, "out of memory");
  return r;
}

/* ---- creating special files ----------------------------------------- */

static int
make_node (const char *path, int mode, int devmajor, int devminor)
{
  if (mode < 0 || (mode & ~(S_IFMT | 07777)))
    return gk_int_err (EINVAL, "%#o: invalid mode", (unsigned) mode);
  mode_t type = (mode_t) mode & S_IFMT;
  if (type != S_IFBLK && type != S_IFCHR && type != S_IFIFO
      && type != S_IFSOCK && type != S_IFREG)
    return gk_int_err (EINVAL, "%#o: the mode must include a file type "
                       "(S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK or S_IFREG)",
                       (unsigned) mode);
  if (devmajor < 0 || devminor < 0 || devmajor > 4095 || devminor > 1048575)
    return gk_int_err (EINVAL, "%d:%d: invalid device number", devmajor,
                       devminor);
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) return gk_int_perr ("%s", path);
  int r = mknodat (dfd, base, (mode_t) mode,
                   makedev ((unsigned) devmajor, (unsigned) devminor));
  /* The permissions exactly as given, whatever the daemon's umask. */
  if (r == 0)
    r = fchmodat (dfd, base, (mode_t) mode & 07777, 0);
  return gk_int_parent_done (dfd, base, r, path);
}

int
do_mknod (int mode, int devmajor, int devminor, const char *path)
{
  return make_node (path, mode, devmajor, devminor);
}

static int
perms_only (int mode)
{
  if (mode < 0 || mode > 07777)
    return gk_int_err (EINVAL, "%#o: mode must be permission bits only "
                       "(0 to 07777)", (unsigned) mode);
  return 0;
}

int
do_mknod_b (int mode, int devmajor, int devminor, const char *path)
{
  if (perms_only (mode) == -1) return -1;
  return make_node (path, mode | S_IFBLK, devmajor, devminor);
}

int
do_mknod_c (int mode, int devmajor, int devminor, const char *path)
{
  if (perms_only (mode) == -1) return -1;
  return make_node (path, mode | S_IFCHR, devmajor, devminor);
}

int
do_mkfifo (int mode, const char *path)
{
  if (perms_only (mode) == -1) return -1;
  return make_node (path, mode | S_IFIFO, 0, 0);
}

/* ---- times and owners ------------------------------------------------ */

static int
nsec_arg (int64_t v, long *out)
{
  if (v == -1) { *out = UTIME_NOW; return 0; }
  if (v == -2) { *out = UTIME_OMIT; return 0; }
  if (v < 0 || v > 999999999) return -1;
  *out = (long) v;
  return 0;
}

int
do_utimens (const char *path, int64_t atsecs, int64_t atnsecs,
            int64_t mtsecs, int64_t mtnsecs)
{
  struct timespec ts[2];
  if (nsec_arg (atnsecs, &ts[0].tv_nsec) == -1
      || nsec_arg (mtnsecs, &ts[1].tv_nsec) == -1)
    return gk_int_err (EINVAL, "nanoseconds must be 0 to 999999999, -1 "
                       "(now) or -2 (leave unchanged)");
  ts[0].tv_sec = (time_t) atsecs;
  ts[1].tv_sec = (time_t) mtsecs;
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) {
    if (errno != EINVAL) return gk_int_perr ("%s", path);
    /* "/" itself. */
    int fd = gk_int_open (path, O_PATH, 0);
    if (fd == -1) return gk_int_perr ("%s", path);
    int r = utimensat (fd, "", ts, AT_EMPTY_PATH);
    int e = errno;
    close (fd);
    errno = e;
    return r == -1 ? gk_int_perr ("%s", path) : 0;
  }
  int r = utimensat (dfd, base, ts, AT_SYMLINK_NOFOLLOW);
  return gk_int_parent_done (dfd, base, r, path);
}

int
do_lchown (int owner, int group, const char *path)
{
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  if (dfd == -1) {
    if (errno != EINVAL) return gk_int_perr ("%s", path);
    return do_chown (owner, group, path);     /* "/" is no link */
  }
  int r = fchownat (dfd, base, (uid_t) owner, (gid_t) group,
                    AT_SYMLINK_NOFOLLOW);
  return gk_int_parent_done (dfd, base, r, path);
}

/* ---- mkdtemp ----------------------------------------------------------- */

char *
do_mkdtemp (const char *tmpl)
{
  size_t len = strlen (tmpl);
  if (len < 6 || strcmp (tmpl + len - 6, "XXXXXX") != 0) {
    gk_int_err (EINVAL, "%s: the template must end with XXXXXX", tmpl);
    return NULL;
  }
  char *base;
  int dfd = gk_int_open_parent (tmpl, &base);
  if (dfd == -1) {
    gk_int_perr ("%s", tmpl);
    return NULL;
  }
  char *r = strdup (tmpl);
  if (!r) {
    gk_int_err (ENOMEM, "out of memory");
    goto out;
  }
  static const char chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  char *x = r + len - 6, *bx = base + strlen (base) - 6;
  for (int tries = 0; tries < 100; tries++) {
    uint64_t v = gk_int_now_ns () * 6364136223846793005ull + (uint64_t) tries;
    for (int i = 0; i < 6; i++) {
      x[i] = bx[i] = chars[v % 62];
      v /= 62;
    }
    if (mkdirat (dfd, base, 0700) == 0) goto out;
    if (errno != EEXIST) break;
  }
  gk_int_perr ("%s", tmpl);
  free (r);
  r = NULL;
 out:
  close (dfd);
  free (base);
  return r;
}

/* ---- sizes ------------------------------------------------------------- */

int
do_truncate (const char *path)
{
  return do_truncate_size (path, 0);
}

int
do_fallocate64 (const char *path, int64_t len)
{
  if (len < 0)
    return gk_int_err (EINVAL, "%" PRId64 ": negative length", len);
  int fd = gk_int_open_regular (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) return -1;
  int e = len > 0 ? posix_fallocate (fd, 0, (off_t) len) : 0;
  if (e == 0 && fsync (fd) == -1) e = errno;
  close (fd);
  if (e) {
    errno = e;
    return gk_int_perr ("%s", path);
  }
  return 0;
}

/* ---- pread / pwrite ----------------------------------------------------- */

char *
do_pread (const char *path, int count, int64_t offset, size_t *size_r)
{
  if (count < 0 || (size_t) count > IO_MAX) {
    gk_int_err (count < 0 ? EINVAL : EFBIG, "%d: count must be 0 to %zu "
                "(use download for more)", count, IO_MAX);
    return NULL;
  }
  if (offset < 0) {
    gk_int_err (EINVAL, "%" PRId64 ": negative offset", offset);
    return NULL;
  }
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1)
    return NULL;
  char *buf = gk_int_pread_alloc (fd, (size_t) count, (off_t) offset, size_r);
  if (!buf) gk_int_perr ("%s", path);
  return buf;
}

int
do_pwrite (const char *path, const char *content, size_t content_size,
           int64_t offset)
{
  if (offset < 0)
    return gk_int_err (EINVAL, "%" PRId64 ": negative offset", offset);
  int fd = gk_int_open_regular (path, O_WRONLY, 0);
  if (fd == -1) return -1;
  ssize_t n;
  do
    n = pwrite (fd, content, content_size, (off_t) offset);
  while (n == -1 && errno == EINTR);
  int e = errno;
  if (close (fd) == -1 && n != -1) { e = errno; n = -1; }
  if (n == -1) {
    errno = e;
    return gk_int_perr ("%s", path);
  }
  return (int) n;
}

/* ---- lstatns-list ------------------------------------------------------- */

struct gk_statns_list *
do_lstatns_list (const char *path, char *const *names)
{
  size_t n = gk_int_count_strings (names);
  if (n > 65536) {
    gk_int_err (EFBIG, "%s: too many names (at most 65536 per call)", path);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if (!names[i][0] || strchr (names[i], '/') || strcmp (names[i], ".") == 0
        || strcmp (names[i], "..") == 0) {
      gk_int_err (EINVAL, "%.64s: a name in the directory, without /",
                  names[i]);
      return NULL;
    }
  int dfd = gk_int_open (path, O_PATH | O_DIRECTORY, 0);
  if (dfd == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  struct gk_statns_list *l = calloc (1, sizeof *l);
  if (l) l->val = calloc (n ? n : 1, sizeof *l->val);
  if (!l || !l->val) {
    free (l);
    close (dfd);
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  l->len = n;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    struct gk_statns *r = &l->val[i];
    if (fstatat (dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
      /* Like guestfish: a missing entry is reported as ino -1. */
      memset (r, 0, sizeof *r);
      r->st_ino = -1;
      continue;
    }
    gk_int_statns_fill (r, &st);
  }
  close (dfd);
  return l;
}
