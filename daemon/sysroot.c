/* guestkitd: resolving guest paths inside the sysroot.
 *
 * Every guest path is resolved by the kernel with openat2(2)
 * RESOLVE_IN_ROOT relative to a descriptor of the sysroot, so absolute
 * symlinks and ".." in the guest are confined to the guest tree exactly as
 * if the daemon had chrooted into it.  Handlers then operate on the
 * returned descriptor (or on a parent descriptor plus a single name, which
 * the kernel cannot resolve outside it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "daemon.h"

const char *gk_int_sysroot = GK_SYSROOT;

/* openat2 may return EAGAIN with RESOLVE_IN_ROOT when a rename raced with
 * the lookup; it is safe to retry, but do not spin forever. */
#define OPENAT2_RETRIES 1000

/* Flags that openat2 accepts together with O_PATH (it rejects others,
 * where open(2) silently ignores them). */
#define PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

int
gk_int_check_path (const char *path)
{
  if (path[0] != '/')
    return gk_int_err (EINVAL, "%s: not an absolute path", path);
  if (strlen (path) >= PATH_MAX)
    return gk_int_err (ENAMETOOLONG, "%.64s...: path too long", path);

  /* Track the depth below the root component by component: a ".." at
   * depth 0 would climb out of the guest tree. */
  long depth = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (depth == 0)
        return gk_int_err (EINVAL, "%s: path escapes the guest root", path);
      depth--;
    }
    else if (n > 0 && !(n == 1 && p[0] == '.'))
      depth++;
    p += n;
  }
  return 0;
}

/* A fresh descriptor of the sysroot.  Not cached: a descriptor opened
 * before a filesystem was mounted on the sysroot would keep pointing at
 * the empty directory underneath. */
static int
open_sysroot (void)
{
  return open (gk_int_sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int
gk_int_open (const char *path, int flags, mode_t mode)
{
  const char *rel = path;
  while (*rel == '/') rel++;
  if (*rel == '\0') rel = ".";

  struct open_how how;
  memset (&how, 0, sizeof how);
  how.flags = (uint64_t) (flags | O_CLOEXEC);
  if (flags & O_PATH)
    how.flags &= PATH_FLAGS;
  /* openat2 insists on mode 0 unless a file may be created. */
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
    how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  int root = open_sysroot ();
  if (root == -1)
    return -1;
  int fd = -1;
  for (int i = 0; i < OPENAT2_RETRIES; i++) {
    fd = (int) syscall (SYS_openat2, root, rel, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN)
      break;
  }
  int saved = errno;
  close (root);
  errno = saved;
  return fd;
}

/* Split PATH into a malloc'd parent directory and last component,
 * ignoring trailing slashes.  Returns -1 with errno EINVAL for the root
 * or a last component of "." or "..", which name no entry of a parent. */
static int
split_path (const char *path, char **dir_r, char **base_r)
{
  size_t len = strlen (path);
  while (len > 1 && path[len - 1] == '/') len--;
  size_t start = len;
  while (start > 0 && path[start - 1] != '/') start--;
  size_t blen = len - start;
  if (blen == 0
      || (blen == 1 && path[start] == '.')
      || (blen == 2 && path[start] == '.' && path[start + 1] == '.')) {
    errno = EINVAL;
    return -1;
  }
  char *dir = strndup (path, start > 0 ? start : 1);
  char *base = strndup (path + start, blen);
  if (!dir || !base) {
    free (dir); free (base);
    errno = ENOMEM;
    return -1;
  }
  if (start == 0) dir[0] = '/';   /* relative input: treat as under root */
  *dir_r = dir;
  *base_r = base;
  return 0;
}

int
gk_int_open_parent (const char *path, char **base_r)
{
  char *dir, *base;
  *base_r = NULL;
  if (split_path (path, &dir, &base) == -1)
    return -1;
  int fd = gk_int_open (dir, O_PATH | O_DIRECTORY, 0);
  int saved = errno;
  free (dir);
  if (fd == -1) {
    free (base);
    errno = saved;
    return -1;
  }
  *base_r = base;
  return fd;
}

int
gk_int_parent_done (int dfd, char *base, int r, const char *path)
{
  int e = errno;
  close (dfd);
  free (base);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s", path);
  }
  return 0;
}

static const char *
type_name (mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFDIR: return "directory";
  case S_IFCHR: return "character device";
  case S_IFBLK: return "block device";
  case S_IFIFO: return "FIFO";
  case S_IFSOCK: return "socket";
  case S_IFLNK: return "symbolic link";
  default: return "unknown type";
  }
}

int
gk_int_err_not_regular (const char *path, mode_t mode)
{
  /* A directory in the kernel's (and guestfish's) words: scripts match
   * "upload: /dir: Is a directory". */
  if (S_ISDIR (mode)) return gk_int_err (EISDIR, "%s: %s", path, strerror (EISDIR));
  return gk_int_err (EINVAL, "%s: not a regular file (%s)", path, type_name (mode));
}

/* Create PATH (missing, or a dangling symlink whose target is then made
 * inside the sysroot).  The daemon is the only actor in the appliance,
 * but the result is still checked: O_NONBLOCK keeps a FIFO that would
 * have appeared meanwhile from blocking the open. */
static int
create_regular (const char *path, int flags, mode_t mode)
{
  int fd = gk_int_open (path, flags | O_CREAT | O_NOCTTY | O_NONBLOCK, mode);
  if (fd == -1) return gk_int_perr ("%s", path);
  struct stat st;
  int r = fstat (fd, &st) == -1 ? gk_int_perr ("%s", path)
    : !S_ISREG (st.st_mode) ? gk_int_err_not_regular (path, st.st_mode) : 0;
  if (r == -1) {
    close (fd);
    return -1;
  }
  int fl = fcntl (fd, F_GETFL);
  if (fl != -1) fcntl (fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

int
gk_int_open_content (const char *path, int flags, mode_t mode, int dir_ok)
{
  /* O_PATH opens nothing: no driver is called for a device, a FIFO
   * cannot block, and the inode is pinned for the check. */
  int pfd = gk_int_open (path, O_PATH, 0);
  if (pfd == -1) {
    if (errno == ENOENT && (flags & O_CREAT))
      return create_regular (path, flags, mode);
    return gk_int_perr ("%s", path);
  }
  struct stat st;
  if (fstat (pfd, &st) == -1) {
    gk_int_perr ("%s", path);
    close (pfd);
    return -1;
  }
  if (!S_ISREG (st.st_mode) && !(dir_ok && S_ISDIR (st.st_mode))) {
    close (pfd);
    return gk_int_err_not_regular (path, st.st_mode);
  }
  if ((flags & O_CREAT) && (flags & O_EXCL)) {
    close (pfd);
    return gk_int_err (EEXIST, "%s: %s", path, strerror (EEXIST));
  }
  /* Reopen exactly the inode checked, through its /proc magic link. */
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", pfd);
  int fd = open (proc, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW))
                 | O_NOCTTY | O_CLOEXEC);
  int saved = errno;
  close (pfd);
  if (fd == -1) {
    errno = saved;
    return gk_int_perr ("%s", path);
  }
  return fd;
}

int
gk_int_open_regular (const char *path, int flags, mode_t mode)
{
  return gk_int_open_content (path, flags, mode, 0);
}

/* The appliance path a descriptor refers to. */
static char *
fd_path (int fd)
{
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  size_t cap = 256;
  for (;;) {
    char *buf = malloc (cap);
    if (!buf) { errno = ENOMEM; return NULL; }
    ssize_t n = readlink (proc, buf, cap);
    if (n == -1) { free (buf); return NULL; }
    if ((size_t) n < cap) { buf[n] = '\0'; return buf; }
    free (buf);
    if (cap > 16 * PATH_MAX) { errno = ENAMETOOLONG; return NULL; }
    cap *= 2;
  }
}

static char *
concat3 (const char *a, const char *b, const char *c)
{
  size_t la = strlen (a), lb = strlen (b), lc = strlen (c);
  char *s = malloc (la + lb + lc + 1);
  if (!s) { errno = ENOMEM; return NULL; }
  memcpy (s, a, la);
  memcpy (s + la, b, lb);
  memcpy (s + la + lb, c, lc + 1);
  return s;
}

/* Read the symlink BASE in directory DIRFD (malloc'd). */
static char *
read_link_at (int dirfd, const char *base)
{
  size_t cap = 256;
  for (;;) {
    char *buf = malloc (cap);
    if (!buf) { errno = ENOMEM; return NULL; }
    ssize_t n = readlinkat (dirfd, base, buf, cap);
    if (n == -1) { free (buf); return NULL; }
    if ((size_t) n < cap) { buf[n] = '\0'; return buf; }
    free (buf);
    if (cap > 16 * PATH_MAX) { errno = ENAMETOOLONG; return NULL; }
    cap *= 2;
  }
}

/* One step of gk_int_sysroot_path.  If the last component is a dangling
 * symlink, *next_r is set to the guest path it points to (the caller
 * loops, as the kernel would, so that an external program writing to the
 * returned name cannot be sent outside the sysroot by that link). */
static char *
sysroot_path_step (const char *path, char **next_r)
{
  *next_r = NULL;

  /* An existing object: let the kernel resolve it completely. */
  int fd = gk_int_open (path, O_PATH, 0);
  if (fd >= 0) {
    char *r = fd_path (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return r;
  }
  if (errno != ENOENT)
    return NULL;

  char *dir, *base;
  if (split_path (path, &dir, &base) == -1)
    return NULL;
  char *r = NULL;
  int pfd = gk_int_open (dir, O_PATH | O_DIRECTORY, 0);
  if (pfd == -1)
    goto out;
  struct stat st;
  if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
      && S_ISLNK (st.st_mode)) {
    char *target = read_link_at (pfd, base);
    if (target) {
      *next_r = target[0] == '/' ? strdup (target)
                                 : concat3 (dir, "/", target);
      if (!*next_r) errno = ENOMEM;
      free (target);
    }
    goto out;
  }
  char *real = fd_path (pfd);
  if (real) {
    r = concat3 (real, strcmp (real, "/") == 0 ? "" : "/", base);
    free (real);
  }
 out:;
  int saved = errno;
  if (pfd >= 0) close (pfd);
  free (dir);
  free (base);
  errno = saved;
  return r;
}

char *
gk_int_sysroot_path (const char *path)
{
  char *cur = strdup (path);
  if (!cur) { errno = ENOMEM; return NULL; }
  /* Same bound as the kernel's limit on nested symlinks. */
  for (int hops = 0; hops <= 40; hops++) {
    char *next;
    char *r = sysroot_path_step (cur, &next);
    if (r || !next) {
      int saved = errno;
      free (cur);
      errno = saved;
      return r;
    }
    free (cur);
    cur = next;
    if (strlen (cur) >= PATH_MAX) break;
  }
  free (cur);
  errno = ELOOP;
  return NULL;
}

int
gk_int_need_root (void)
{
  /* Something is mounted exactly at the sysroot iff it lies on another
   * mount than its parent directory.  The mount id catches a bind mount
   * of the same filesystem; st_dev is the fallback. */
  char *parent = concat3 (gk_int_sysroot, "/..", "");
  if (!parent)
    return gk_int_err (ENOMEM, "out of memory");
  struct statx a, b;
  int ra = statx (AT_FDCWD, gk_int_sysroot, 0, STATX_INO | STATX_MNT_ID, &a);
  int rb = statx (AT_FDCWD, parent, 0, STATX_INO | STATX_MNT_ID, &b);
  free (parent);
  if (ra == 0 && rb == 0) {
    int mounted;
    if ((a.stx_mask & b.stx_mask & STATX_MNT_ID))
      mounted = a.stx_mnt_id != b.stx_mnt_id;
    else
      mounted = a.stx_dev_major != b.stx_dev_major
        || a.stx_dev_minor != b.stx_dev_minor;
    /* The sysroot being "/" itself (its own parent) counts as mounted. */
    int same = a.stx_ino == b.stx_ino
      && a.stx_dev_major == b.stx_dev_major
      && a.stx_dev_minor == b.stx_dev_minor;
    if (mounted || same)
      return 1;
  }
  gk_int_err (EINVAL, "no filesystem is mounted at /: call mount first");
  return 0;
}
