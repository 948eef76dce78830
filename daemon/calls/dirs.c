/* guestkitd: directories and names (ls, mkdir, rm, mv, cp, symlinks).
 *
 * Operations on a name itself (mkdir, unlink, rename, symlink, readlink)
 * work on the parent directory opened inside the sysroot plus the last
 * component, which the kernel does not follow.  Operations on file
 * contents open the whole path with gk_int_open, which follows symlinks
 * only inside the sysroot.  Never open a last component with plain
 * openat() unless O_NOFOLLOW is set: it would follow a symlink freely.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"

#define COPY_CHUNK ((size_t) 1024 * 1024)

/* "DIR/NAME", malloc'd, without doubling the slash after "/". */
static char *
path_join (const char *dir, const char *name)
{
  size_t ld = strlen (dir), ln = strlen (name);
  while (ld > 0 && dir[ld - 1] == '/') ld--;
  char *s = malloc (ld + ln + 2);
  if (!s) return NULL;
  memcpy (s, dir, ld);
  s[ld] = '/';
  memcpy (s + ld + 1, name, ln + 1);
  return s;
}

static int
oom (const char *path)
{
  return gk_int_err (ENOMEM, "%s: out of memory", path);
}

/* Report a gk_int_open_parent failure: EINVAL there means PATH names no
 * entry of a directory ("/", or a last component "." or ".."). */
static int
parent_err (const char *path)
{
  if (errno == EINVAL)
    return gk_int_err (EINVAL, "%s: not a name in a directory", path);
  return gk_int_perr ("%s", path);
}

/* --- ls, ll --- */

char **
do_ls (const char *directory)
{
  int fd = gk_int_open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd == -1) {
    gk_int_perr ("%s", directory);
    return NULL;
  }
  DIR *d = fdopendir (fd);
  if (!d) {
    gk_int_perr ("%s", directory);
    close (fd);
    return NULL;
  }
  size_t n = 0, cap = 16;
  char **list = calloc (cap, sizeof *list);
  if (!list) goto nomem;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir (d);
    if (!e) {
      if (errno) {
        gk_int_perr ("%s", directory);
        goto fail;
      }
      break;
    }
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    if (gk_int_grow ((void **) &list, &cap, n + 2, sizeof *list, 16) == -1)
      goto nomem;
    list[n] = strdup (e->d_name);
    if (!list[n]) goto nomem;
    list[++n] = NULL;
  }
  closedir (d);
  gk_int_sort_strings (list);
  return list;

 nomem:
  oom (directory);
 fail:
  gk_int_free_strings (list);
  closedir (d);
  return NULL;
}

char *
do_ll (const char *directory)
{
  /* Check first so that errors name the guest path, not the sysroot's. */
  int fd = gk_int_open (directory, O_PATH | O_CLOEXEC, 0);
  if (fd == -1) {
    gk_int_perr ("%s", directory);
    return NULL;
  }
  close (fd);
  char *real = gk_int_sysroot_path (directory);
  if (!real) {
    gk_int_perr ("%s", directory);
    return NULL;
  }
  const char *argv[] = { "ls", "-la", real, NULL };
  char *out = NULL;
  int r = gk_int_run (&out, NULL, argv);
  free (real);
  if (r == -1) {
    free (out);
    return NULL;
  }
  return out;
}

/* --- mkdir --- */

int
do_mkdir (const char *path)
{
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd == -1)
    return parent_err (path);
  int r = mkdirat (pfd, base, 0755);
  return gk_int_parent_done (pfd, base, r, path);
}

/* mkdir-p step: make sure the prefix PATH is a directory. */
static int
ensure_dir (const char *path)
{
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd >= 0) {
    /* EEXIST is fine if it is (or leads to) a directory: checked below. */
    int r = mkdirat (pfd, base, 0755);
    int saved = errno;
    close (pfd);
    free (base);
    if (r == -1 && saved != EEXIST) {
      errno = saved;
      return gk_int_perr ("%s", path);
    }
  }
  else if (errno != EINVAL)   /* EINVAL: "/", "." or "..", nothing to make */
    return gk_int_perr ("%s", path);
  int fd = gk_int_open (path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd == -1)
    return gk_int_perr ("%s", path);
  close (fd);
  return 0;
}

int
do_mkdir_p (const char *path)
{
  char *prefix = strdup (path);
  if (!prefix)
    return oom (path);
  /* Make each prefix in turn, cutting the copy at each separator. */
  size_t len = strlen (prefix), i = 1;
  int r = 0;
  while (r == 0 && i <= len) {
    while (i < len && prefix[i] != '/') i++;
    char saved = prefix[i];
    prefix[i] = '\0';
    if (i > 0 && prefix[i - 1] != '/')
      r = ensure_dir (prefix);
    prefix[i] = saved;
    i++;
  }
  free (prefix);
  return r;
}

/* --- removing --- */

int
do_rmdir (const char *path)
{
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd == -1)
    return parent_err (path);
  int r = unlinkat (pfd, base, AT_REMOVEDIR);
  return gk_int_parent_done (pfd, base, r, path);
}

/* Unlink the non-directory PATH.  Returns 0, or -1 with errno set. */
static int
unlink_path (const char *path)
{
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd == -1)
    return -1;
  int r = unlinkat (pfd, base, 0);
  int saved = errno;
  close (pfd);
  free (base);
  errno = saved;
  return r;
}

int
do_rm (const char *path)
{
  return unlink_path (path) == -1 ? parent_err (path) : 0;
}

int
do_rm_f (const char *path)
{
  if (unlink_path (path) == -1 && errno != ENOENT)
    return parent_err (path);
  return 0;
}

static int remove_tree (int dirfd, const char *name, const char *path);

/* Remove everything inside the open directory FD (guest path PATH). */
static int
remove_contents (int fd, const char *path)
{
  DIR *d = fdopendir (fd);
  if (!d) {
    gk_int_perr ("%s", path);
    close (fd);
    return -1;
  }
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir (d);
    if (!e) {
      if (errno) r = gk_int_perr ("%s", path);
      break;
    }
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
      continue;
    char *sub = path_join (path, e->d_name);
    if (!sub) { r = oom (path); break; }
    r = remove_tree (dirfd (d), e->d_name, sub);
    free (sub);
    if (r == -1) break;
  }
  closedir (d);
  return r;
}

/* Remove NAME in DIRFD (guest path PATH) and anything below it.  NAME is
 * a single component and is never followed: a symlink is unlinked. */
static int
remove_tree (int dirfd, const char *name, const char *path)
{
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
    return gk_int_perr ("%s", path);
  if (!S_ISDIR (st.st_mode)) {
    if (unlinkat (dirfd, name, 0) == -1)
      return gk_int_perr ("%s", path);
    return 0;
  }
  int fd = openat (dirfd, name,
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1)
    return gk_int_perr ("%s", path);
  if (remove_contents (fd, path) == -1)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) == -1)
    return gk_int_perr ("%s", path);
  return 0;
}

/* Does PATH lexically name the root ("/", "//", "/.", "/a/..")? */
static int
is_root (const char *path)
{
  long depth = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      depth = depth > 0 ? depth - 1 : 0;
    else if (n > 0 && !(n == 1 && p[0] == '.'))
      depth++;
    p += n;
  }
  return depth == 0;
}

int
do_rm_rf (const char *path)
{
  if (is_root (path)) {
    if (strcmp (path, "/") == 0)
      return gk_int_err (EINVAL, "refusing to remove /");
    return gk_int_err (EINVAL, "%s: refusing to remove /", path);
  }
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd == -1) {
    if (errno == ENOENT) return 0;
    return parent_err (path);
  }
  struct stat st;
  int r = 0;
  /* A missing PATH is success: there is nothing to remove. */
  if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
    if (errno != ENOENT)
      r = gk_int_perr ("%s", path);
  }
  else
    r = remove_tree (pfd, base, path);
  close (pfd);
  free (base);
  return r;
}

/* --- copying --- */

/* Copy from IN to OUT until end of file.  -1 with errno on error. */
static int
copy_fd (int in, int out)
{
  /* copy_file_range lets the filesystem share or offload blocks; it is
   * refused across filesystems on older kernels and by some filesystems,
   * in which case fall back to plain reads and writes. */
  for (;;) {
    ssize_t n = copy_file_range (in, NULL, out, NULL, COPY_CHUNK * 64, 0);
    if (n == 0) return 0;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS
        && errno != EOPNOTSUPP && errno != EBADF)
      return -1;
    break;
  }
  char *buf = malloc (COPY_CHUNK);
  if (!buf) { errno = ENOMEM; return -1; }
  int r = 0;
  for (;;) {
    ssize_t n = read (in, buf, COPY_CHUNK);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) { r = n == 0 ? 0 : -1; break; }
    char *p = buf;
    while (n > 0) {
      ssize_t w = write (out, p, (size_t) n);
      if (w == -1 && errno == EINTR) continue;
      if (w == -1) { r = -1; goto out; }
      p += w;
      n -= w;
    }
  }
 out:
  free (buf);
  return r;
}

/* If guest path DEST is a directory (following symlinks), the path of
 * SRC's last component inside it; otherwise a copy of DEST.  NULL (error
 * set) on allocation failure. */
static char *
target_path (const char *src, const char *dest)
{
  int fd = gk_int_open (dest, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  char *r;
  if (fd >= 0) {
    close (fd);
    size_t len = strlen (src);
    while (len > 1 && src[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && src[start - 1] != '/') start--;
    char *base = strndup (src + start, len - start);
    r = base ? path_join (dest, base) : NULL;
    free (base);
  }
  else
    r = strdup (dest);
  if (!r) oom (dest);
  return r;
}

/* Copy the open regular file IN (guest path SRC, status ST) to the guest
 * path DEST, replacing it, with the same permission bits. */
static int
copy_to (int in, const struct stat *st, const char *src, const char *dest)
{
  int out = gk_int_open_regular (dest, O_WRONLY | O_CREAT, 0600);
  if (out == -1)
    return -1;
  struct stat ost;
  if (fstat (out, &ost) == -1) {
    gk_int_perr ("%s", dest);
    goto fail;
  }
  /* Truncating the source itself would destroy it. */
  if (ost.st_dev == st->st_dev && ost.st_ino == st->st_ino) {
    gk_int_err (EINVAL, "%s and %s are the same file", src, dest);
    goto fail;
  }
  if (ftruncate (out, 0) == -1 || fchmod (out, st->st_mode & 07777) == -1) {
    gk_int_perr ("%s", dest);
    goto fail;
  }
  if (copy_fd (in, out) == -1) {
    gk_int_perr ("%s to %s", src, dest);
    goto fail;
  }
  if (close (out) == -1)
    return gk_int_perr ("%s", dest);
  return 0;

 fail:
  close (out);
  return -1;
}

/* Open the guest file SRC for copying: regular files only. */
static int
open_source (const char *src, struct stat *st)
{
  int in = gk_int_open_regular (src, O_RDONLY, 0);
  if (in == -1)
    return -1;
  if (fstat (in, st) == -1) {
    gk_int_perr ("%s", src);
    close (in);
    return -1;
  }
  return in;
}

int
do_cp (const char *src, const char *dest)
{
  struct stat st;
  int in = open_source (src, &st);
  if (in == -1)
    return -1;
  char *target = target_path (src, dest);
  int r = target ? copy_to (in, &st, src, target) : -1;
  free (target);
  close (in);
  return r;
}

/* --- mv --- */

/* mv across filesystems: copy a regular file, then remove the source. */
static int
move_by_copy (const char *src, const char *target)
{
  struct stat st;
  int in = open_source (src, &st);
  if (in == -1)
    return -1;
  int r = copy_to (in, &st, src, target);
  close (in);
  if (r == 0 && unlink_path (src) == -1)
    r = gk_int_perr ("%s", src);
  return r;
}

int
do_mv (const char *src, const char *dest)
{
  char *sbase = NULL, *dbase = NULL, *target = NULL;
  int dpfd = -1, r = -1;
  int spfd = gk_int_open_parent (src, &sbase);
  if (spfd == -1)
    return parent_err (src);
  struct stat st;
  if (fstatat (spfd, sbase, &st, AT_SYMLINK_NOFOLLOW) == -1) {
    gk_int_perr ("%s", src);
    goto out;
  }
  target = target_path (src, dest);
  if (!target)
    goto out;
  dpfd = gk_int_open_parent (target, &dbase);
  if (dpfd == -1) {
    parent_err (target);
    goto out;
  }
  if (renameat (spfd, sbase, dpfd, dbase) == 0)
    r = 0;
  else if (errno == EXDEV && S_ISREG (st.st_mode))
    r = move_by_copy (src, target);
  else
    gk_int_perr ("%s to %s", src, target);
 out:
  if (spfd >= 0) close (spfd);
  if (dpfd >= 0) close (dpfd);
  free (sbase);
  free (dbase);
  free (target);
  return r;
}

/* rename(2) itself: no moving into a directory, no copying across
 * filesystems (guestfish's rename); both names resolved in the sysroot. */
int
do_rename (const char *oldpath, const char *newpath)
{
  char *obase = NULL, *nbase = NULL;
  int r = -1, npfd = -1;
  int opfd = gk_int_open_parent (oldpath, &obase);
  if (opfd == -1)
    return parent_err (oldpath);
  npfd = gk_int_open_parent (newpath, &nbase);
  if (npfd == -1)
    parent_err (newpath);
  else if (renameat (opfd, obase, npfd, nbase) == 0)
    r = 0;
  else
    gk_int_perr ("%s to %s", oldpath, newpath);
  close (opfd);
  if (npfd >= 0) close (npfd);
  free (obase);
  free (nbase);
  return r;
}

/* --- symbolic links --- */

int
do_ln_s (const char *target, const char *linkname)
{
  char *base;
  int pfd = gk_int_open_parent (linkname, &base);
  if (pfd == -1)
    return parent_err (linkname);
  int r = symlinkat (target, pfd, base);
  return gk_int_parent_done (pfd, base, r, linkname);
}

char *
do_readlink (const char *path)
{
  char *base;
  int pfd = gk_int_open_parent (path, &base);
  if (pfd == -1) {
    parent_err (path);
    return NULL;
  }
  char *buf = NULL;
  /* Grow until the target fits: readlink truncates silently. */
  for (size_t cap = 256;; cap *= 2) {
    free (buf);
    buf = malloc (cap);
    if (!buf) { oom (path); break; }
    ssize_t n = readlinkat (pfd, base, buf, cap);
    if (n == -1) {
      if (errno == EINVAL)
        gk_int_err (EINVAL, "%s: not a symbolic link", path);
      else
        gk_int_perr ("%s", path);
      free (buf);
      buf = NULL;
      break;
    }
    if ((size_t) n < cap) { buf[n] = '\0'; break; }
    if (cap > 16 * PATH_MAX) {
      gk_int_err (ENAMETOOLONG, "%s: symbolic link target too long", path);
      free (buf);
      buf = NULL;
      break;
    }
  }
  close (pfd);
  free (base);
  return buf;
}
