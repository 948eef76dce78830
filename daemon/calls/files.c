/* guestkitd: reading and writing whole files (cat, write, fill ...).
 *
 * Contents are read and written through gk_int_open_regular: every
 * symlink, including the last component, is resolved inside the
 * sysroot, and only regular files are opened (a device node or FIFO
 * planted in the guest is refused, never opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon.h"
#include "fullio.h"
#include "actions.h"

/* Largest file returned in one reply, leaving room for the headers. */
#define READ_MAX ((size_t) GK_MSG_MAX - 4096)
/* Buffer size for fill. */
#define FILL_CHUNK ((size_t) 1024 * 1024)

#define OPEN_WRITE (O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)

/* Close FD, reporting a delayed write error against PATH. */
static int
close_checked (int fd, const char *path)
{
  if (close (fd) == -1)
    return gk_int_perr ("%s", path);
  return 0;
}

static int
too_big (const char *path, uint64_t size, const char *what)
{
  return gk_int_err (EFBIG, "%s: file too large (%llu bytes) for %s, "
                     "use download", path, (unsigned long long) size, what);
}

/* Read the whole of PATH into a malloc'd, NUL-terminated buffer, at most
 * READ_MAX bytes.  WHAT names the call for the size error. */
static char *
read_whole (const char *path, size_t *size_r, const char *what)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1)
    return NULL;
  struct stat st;
  if (fstat (fd, &st) == -1) {
    gk_int_perr ("%s", path);
    goto fail;
  }
  if ((uint64_t) st.st_size > READ_MAX) {
    too_big (path, (uint64_t) st.st_size, what);
    goto fail;
  }

  /* The size from fstat is only a hint (the file may change, and some
   * filesystems report 0), so grow as needed up to the limit. */
  size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 65536;
  size_t len = 0;
  char *buf = malloc (cap + 1);
  if (!buf) {
    gk_int_err (ENOMEM, "%s: out of memory", path);
    goto fail;
  }
  for (;;) {
    if (len == cap) {
      if (cap > READ_MAX) {
        too_big (path, len, what);
        goto fail_buf;
      }
      size_t ncap = cap * 2 > READ_MAX + 1 ? READ_MAX + 1 : cap * 2;
      char *nbuf = realloc (buf, ncap + 1);
      if (!nbuf) {
        gk_int_err (ENOMEM, "%s: out of memory", path);
        goto fail_buf;
      }
      buf = nbuf;
      cap = ncap;
    }
    ssize_t r = read (fd, buf + len, cap - len);
    if (r == -1) {
      if (errno == EINTR) continue;
      gk_int_perr ("%s", path);
      goto fail_buf;
    }
    if (r == 0) break;
    len += (size_t) r;
  }
  if (len > READ_MAX) {
    too_big (path, len, what);
    goto fail_buf;
  }
  close (fd);
  buf[len] = '\0';
  *size_r = len;
  return buf;

 fail_buf:
  free (buf);
 fail:
  close (fd);
  return NULL;
}

char *
do_cat (const char *path)
{
  size_t len;
  char *buf = read_whole (path, &len, "cat");
  if (buf && memchr (buf, '\0', len)) {
    free (buf);
    gk_int_err (EINVAL, "%s: file contains NUL bytes, use read-file", path);
    return NULL;
  }
  return buf;
}

char *
do_read_file (const char *path, size_t *size_r)
{
  return read_whole (path, size_r, "read-file");
}

static int
write_file (const char *path, const char *content, size_t n, int flags)
{
  int fd = gk_int_open_regular (path, O_WRONLY | flags | O_CREAT, 0644);
  if (fd == -1)
    return -1;
  if (gk_int_write_full (fd, content, n) == -1) {
    gk_int_perr ("%s", path);
    close (fd);
    return -1;
  }
  return close_checked (fd, path);
}

int
do_write (const char *path, const char *content, size_t content_size)
{
  return write_file (path, content, content_size, O_TRUNC);
}

int
do_write_append (const char *path, const char *content, size_t content_size)
{
  return write_file (path, content, content_size, O_APPEND);
}

/* guestfish's deprecated write-file: the first SIZE bytes of a string
 * (0: all of it); never reads past the string's end. */
int
do_write_file (const char *path, const char *content, int size)
{
  size_t len = strlen (content);
  if (size < 0 || (size_t) size > len)
    return gk_int_err (EINVAL, "%s: size %d: must be 0 (the whole content) to %zu "
                       "(its length)", path, size, len);
  return write_file (path, content, size ? (size_t) size : len, O_TRUNC);
}

/* Set the times of the existing guest file open as the O_PATH FD to now.
 * futimens refuses O_PATH descriptors, but the /proc magic link names
 * exactly this inode; opening the file for real could fail or have side
 * effects (a FIFO without a reader, a running program, a device). */
static int
touch_existing (int fd, const char *path)
{
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  int r = utimensat (AT_FDCWD, proc, NULL, 0);
  int saved = errno;
  close (fd);
  errno = saved;
  return r == -1 ? gk_int_perr ("%s", path) : 0;
}

int
do_touch (const char *path)
{
  int fd = gk_int_open (path, O_PATH | O_CLOEXEC, 0);
  if (fd >= 0)
    return touch_existing (fd, path);
  if (errno != ENOENT)
    return gk_int_perr ("%s", path);
  /* Missing (or a dangling symlink, whose target is created inside the
   * sysroot): create it.  O_CREAT sets the times to now. */
  fd = gk_int_open (path, OPEN_WRITE | O_CREAT, 0644);
  if (fd == -1)
    return gk_int_perr ("%s", path);
  return close_checked (fd, path);
}

/* Write LEN bytes of C to FD, reporting progress. */
static int
fill_fd (int fd, const char *path, int c, uint64_t len)
{
  size_t bufsize = len < FILL_CHUNK ? (size_t) len : FILL_CHUNK;
  char *buf = malloc (bufsize ? bufsize : 1);
  if (!buf)
    return gk_int_err (ENOMEM, "%s: out of memory", path);
  memset (buf, c, bufsize);
  uint64_t done = 0;
  while (done < len) {
    size_t n = len - done < bufsize ? (size_t) (len - done) : bufsize;
    if (gk_int_write_full (fd, buf, n) == -1) {
      free (buf);
      return gk_int_perr ("%s", path);
    }
    done += n;
    gk_int_progress (done, len);
  }
  free (buf);
  return 0;
}

int
do_fill (int c, int len, const char *path)
{
  if (c < 0 || c > 255)
    return gk_int_err (EINVAL, "%s: byte value %d is not in 0..255", path, c);
  if (len < 0)
    return gk_int_err (EINVAL, "%s: negative length %d", path, len);

  /* This is the write-without-upload benchmark: time the guest writes,
   * and do not fsync (sync is a separate, separately timed call). */
  uint64_t t0 = gk_int_now_ns ();
  int fd = gk_int_open_regular (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1)
    return -1;
  if (fill_fd (fd, path, c, (uint64_t) len) == -1) {
    close (fd);
    return -1;
  }
  if (close_checked (fd, path) == -1)
    return -1;
  gk_int_xfer.bytes = (uint64_t) len;
  gk_int_xfer.write_ns = gk_int_now_ns () - t0;
  gk_int_xfer.fsync_ns = 0;
  return 0;
}

int
do_truncate_size (const char *path, int64_t size)
{
  if (size < 0)
    return gk_int_err (EINVAL, "%s: negative size %lld", path,
                       (long long) size);
  int fd = gk_int_open_regular (path, O_WRONLY, 0);
  if (fd == -1)
    return -1;
  if (ftruncate (fd, (off_t) size) == -1) {
    gk_int_perr ("%s", path);
    close (fd);
    return -1;
  }
  return close_checked (fd, path);
}
