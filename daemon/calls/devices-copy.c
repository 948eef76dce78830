/* guestkitd: copy-device-to-device, copy-device-to-file,
 * copy-file-to-device, copy-file-to-file: a byte range copied inside the
 * appliance, one body for the four.
 *
 * Guest files are opened with gk_int_open_regular (never a device node
 * of the guest's); a destination device must be unused (O_EXCL), as for
 * zero: writing under a mounted filesystem would corrupt it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"

#define CHUNK ((size_t) 1024 * 1024)
/* The four calls' optional arguments are in the same order. */
#define O_SRCOFFSET GK_COPY_DEVICE_TO_DEVICE_SRCOFFSET
#define O_DESTOFFSET GK_COPY_DEVICE_TO_DEVICE_DESTOFFSET
#define O_SIZE GK_COPY_DEVICE_TO_DEVICE_SIZE
#define O_APPEND_ GK_COPY_DEVICE_TO_DEVICE_APPEND

struct end {
  const char *name;             /* the user's path, or appliance device */
  int is_dev;
  int fd;
};

/* Errors name the device as the user knows it. */
static int
end_perr (const struct end *e, const char *what)
{
  if (e->is_dev) return gk_int_dev_perr (e->name, what);
  return gk_int_perr ("%s: %s", e->name, what);
}

/* LEN bytes from OFF are not all in the source. */
static int
short_src (const struct end *e, int64_t off, int64_t len)
{
  if (e->is_dev)
    return gk_int_dev_err (EINVAL, e->name, "input too short for %lld bytes from "
                           "byte %lld", (long long) len, (long long) off);
  return gk_int_err (EINVAL, "%s: input too short for %lld bytes from byte %lld",
                     e->name, (long long) len, (long long) off);
}

static int
open_src (struct end *e)
{
  if (!e->is_dev) {
    e->fd = gk_int_open_regular (e->name, O_RDONLY, 0);
    return e->fd;
  }
  e->fd = open (e->name, O_RDONLY | O_CLOEXEC);
  return e->fd == -1 ? gk_int_dev_perr (e->name, "open") : e->fd;
}

static int
open_dest (struct end *e, int append)
{
  if (!e->is_dev) {
    e->fd = gk_int_open_regular (e->name, O_WRONLY | O_CREAT
                                 | (append ? O_APPEND : O_TRUNC), 0644);
    return e->fd;
  }
  if (append)
    return gk_int_dev_err (EINVAL, e->name, "append is only for a file destination");
  e->fd = open (e->name, O_WRONLY | O_CLOEXEC | O_EXCL);
  if (e->fd == -1 && errno == EBUSY)
    return gk_int_dev_err (EBUSY, e->name, "device is in use (mounted?)");
  return e->fd == -1 ? gk_int_dev_perr (e->name, "open") : e->fd;
}

/* The size of an end's device or file, or -1 (error set). */
static int64_t
end_size (const struct end *e)
{
  if (e->is_dev) {
    uint64_t s;
    if (ioctl (e->fd, BLKGETSIZE64, &s) == -1) return end_perr (e, "BLKGETSIZE64");
    return (int64_t) s;
  }
  struct stat st;
  if (fstat (e->fd, &st) == -1) return end_perr (e, "fstat");
  return st.st_size;
}

static int
all_zero (const char *buf, size_t n)
{
  return n == 0 || (buf[0] == 0 && memcmp (buf, buf + 1, n - 1) == 0);
}

/* Copy LEN bytes (-1: to the end of S) from SOFF to DOFF. */
static int
copy_range (const struct end *s, const struct end *d, int64_t soff,
            int64_t doff, int64_t len, int sparse)
{
  char *buf = malloc (CHUNK);
  if (!buf) return gk_int_err (ENOMEM, "out of memory");
  int64_t done = 0, total = len;
  if (total == -1) {
    total = end_size (s);
    if (total == -1) { free (buf); return -1; }
    total = total > soff ? total - soff : 0;
  }
  int r = 0;
  while (done < total) {
    size_t want = total - done < (int64_t) CHUNK ? (size_t) (total - done) : CHUNK;
    ssize_t n = pread (s->fd, buf, want, (off_t) (soff + done));
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { r = end_perr (s, "read"); break; }
    if (n == 0) {
      r = short_src (s, soff, total);
      break;
    }
    if (!(sparse && all_zero (buf, (size_t) n))) {
      for (ssize_t w = 0; w < n;) {
        ssize_t k = pwrite (d->fd, buf + w, (size_t) (n - w), (off_t) (doff + done + w));
        if (k == -1 && errno == EINTR) continue;
        if (k <= 0) {
          if (k == 0) errno = ENOSPC;
          r = end_perr (d, "write");
          break;
        }
        w += k;
      }
      if (r == -1) break;
    }
    done += n;
    gk_int_progress ((uint64_t) done, (uint64_t) total);
  }
  free (buf);
  if (r == -1) return -1;
  /* A file ending in skipped zeroes still gets its full length. */
  if (sparse && !d->is_dev) {
    int64_t cur = end_size (d);
    if (cur == -1) return -1;
    if (cur < doff + total && ftruncate (d->fd, (off_t) (doff + total)) == -1)
      return end_perr (d, "ftruncate");
  }
  if (fsync (d->fd) == -1) return end_perr (d, "fsync");
  return 0;
}

static int
copy (const char *src, int src_dev, const char *dest, int dest_dev,
      int64_t srcoffset, int64_t destoffset, int64_t size, int sparse, int append)
{
  const uint64_t o = gk_int_optargs_bitmask;
  if (!(o & O_SRCOFFSET)) srcoffset = 0;
  if (!(o & O_DESTOFFSET)) destoffset = 0;
  if (!(o & O_SIZE)) size = -1;
  append = (o & O_APPEND_) && append;
  sparse = sparse && !append;   /* skipped zeroes would be lost at the end */
  if (srcoffset < 0 || destoffset < 0 || ((o & O_SIZE) && size < 0))
    return gk_int_err (EINVAL, "srcoffset, destoffset and size must not be negative");

  struct end s = { src, src_dev, -1 }, d = { dest, dest_dev, -1 };
  int r = -1;
  if (open_src (&s) == -1 || open_dest (&d, append) == -1) goto out;
  if (append) destoffset = 0;   /* O_APPEND: every write goes to the end */
  int64_t ssize = end_size (&s);
  if (ssize == -1) goto out;
  if (size != -1 && size > ssize - srcoffset) {   /* no overflow: both >= 0 */
    short_src (&s, srcoffset, size);
    goto out;
  }
  /* A device cannot grow: fail before writing anything. */
  if (d.is_dev) {
    int64_t dsize = end_size (&d);
    int64_t len = size != -1 ? size : (ssize > srcoffset ? ssize - srcoffset : 0);
    if (dsize == -1) goto out;
    if (len > dsize - destoffset) {
      gk_int_dev_err (ENOSPC, dest, "%lld bytes at %lld do not fit (the device "
                      "has %lld)", (long long) len, (long long) destoffset,
                      (long long) dsize);
      goto out;
    }
  }
  r = copy_range (&s, &d, srcoffset, destoffset, size, sparse);
 out:
  if (s.fd >= 0) close (s.fd);
  if (d.fd >= 0) close (d.fd);
  return r;
}

int
do_copy_device_to_device (const char *src, const char *dest, int64_t srcoffset,
                          int64_t destoffset, int64_t size, int sparse, int append)
{
  return copy (src, 1, dest, 1, srcoffset, destoffset, size, sparse, append);
}

int
do_copy_device_to_file (const char *src, const char *dest, int64_t srcoffset,
                        int64_t destoffset, int64_t size, int sparse, int append)
{
  return copy (src, 1, dest, 0, srcoffset, destoffset, size, sparse, append);
}

int
do_copy_file_to_device (const char *src, const char *dest, int64_t srcoffset,
                        int64_t destoffset, int64_t size, int sparse, int append)
{
  return copy (src, 0, dest, 1, srcoffset, destoffset, size, sparse, append);
}

int
do_copy_file_to_file (const char *src, const char *dest, int64_t srcoffset,
                      int64_t destoffset, int64_t size, int sparse, int append)
{
  return copy (src, 0, dest, 0, srcoffset, destoffset, size, sparse, append);
}
