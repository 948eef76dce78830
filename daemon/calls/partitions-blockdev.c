/* guestkitd: block device ioctls and whole-device erasing
 * (blockdev-*, wipefs, zero-device, is-zero-device).
 *
 * The blockdev calls are single ioctls, as blockdev(8) would do them,
 * without running it.  zero-device asks the device to zero itself
 * (BLKZEROOUT: qemu writes zeroes or punches holes without any data
 * crossing the emulated bus) and falls back to writing zeroes.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"

#define ZERO_STEP ((uint64_t) 32 << 20)

static int
open_dev (const char *dev, int flags)
{
  int fd = open (dev, flags | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) gk_int_dev_perr (dev, "open");
  return fd;
}

/* One ioctl returning an int through ARG. */
static int
ioctl_int (const char *dev, unsigned long req, const char *name)
{
  int fd = open_dev (dev, O_RDONLY);
  if (fd == -1) return -1;
  int v = 0;
  int r = ioctl (fd, req, &v);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_dev_perr (dev, name);
  }
  return v;
}

int
do_blockdev_getss (const char *device)
{
  return ioctl_int (device, BLKSSZGET, "BLKSSZGET");
}

int
do_blockdev_getbsz (const char *device)
{
  return ioctl_int (device, BLKBSZGET, "BLKBSZGET");
}

int
do_blockdev_getro (const char *device)
{
  int v = ioctl_int (device, BLKROGET, "BLKROGET");
  return v == -1 ? -1 : v != 0;
}

int64_t
do_blockdev_getsz (const char *device)
{
  int fd = open_dev (device, O_RDONLY);
  if (fd == -1) return -1;
  uint64_t size;
  int r = ioctl (fd, BLKGETSIZE64, &size);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_dev_perr (device, "BLKGETSIZE64");
  }
  return (int64_t) (size / 512);
}

static int
set_ro (const char *dev, int ro)
{
  int fd = open_dev (dev, O_RDONLY);
  if (fd == -1) return -1;
  int r = ioctl (fd, BLKROSET, &ro);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_dev_perr (dev, "BLKROSET");
  }
  return 0;
}

int
do_blockdev_setro (const char *device)
{
  return set_ro (device, 1);
}

int
do_blockdev_setrw (const char *device)
{
  return set_ro (device, 0);
}

int
do_blockdev_flushbufs (const char *device)
{
  int fd = open_dev (device, O_RDONLY);
  if (fd == -1) return -1;
  int r = ioctl (fd, BLKFLSBUF, 0);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_dev_perr (device, "BLKFLSBUF");
  }
  return 0;
}

int
do_blockdev_rereadpt (const char *device)
{
  if (gk_int_need_whole_disk (device) == -1) return -1;
  int fd = open_dev (device, O_RDONLY);
  if (fd == -1) return -1;
  int r = ioctl (fd, BLKRRPART, 0);
  int e = errno;
  close (fd);
  if (r == -1) {
    if (e == EBUSY)
      return gk_int_dev_err (EBUSY, device, "a partition is in use "
                             "(mounted?): the kernel keeps the old table");
    errno = e;
    return gk_int_dev_perr (device, "re-reading the partition table");
  }
  return 0;
}

/* After erasing a whole disk, the kernel should forget its partitions;
 * on a partition the ioctl fails with EINVAL, as expected. */
static void
forget_partitions (const char *dev)
{
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) return;
  if (ioctl (fd, BLKRRPART, 0) == -1 && errno != EINVAL)
    gk_int_log ("%s: re-reading the partition table: %m", dev);
  close (fd);
}

int
do_wipefs (const char *device)
{
  if (gk_int_check_unused (device) == -1) return -1;
  const char *argv[] = { "wipefs", "--all", "--quiet", device, NULL };
  if (gk_int_run_on_dev (device, NULL, argv) == -1) return -1;
  forget_partitions (device);
  return 0;
}

static int
write_zeroes (int fd, const char *dev, uint64_t off, uint64_t len)
{
  static const char zero[65536];
  while (len > 0) {
    size_t n = len < sizeof zero ? (size_t) len : sizeof zero;
    ssize_t w = pwrite (fd, zero, n, (off_t) off);
    if (w == -1 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return gk_int_dev_perr (dev, "writing zeroes");
    }
    off += (uint64_t) w;
    len -= (uint64_t) w;
  }
  return 0;
}

int
do_zero_device (const char *device)
{
  if (gk_int_check_unused (device) == -1) return -1;
  int fd = open_dev (device, O_RDWR);
  if (fd == -1) return -1;
  uint64_t size;
  if (ioctl (fd, BLKGETSIZE64, &size) == -1) {
    gk_int_dev_perr (device, "BLKGETSIZE64");
    close (fd);
    return -1;
  }
  int zeroout = 1;
  for (uint64_t off = 0; off < size; off += ZERO_STEP) {
    uint64_t len = size - off < ZERO_STEP ? size - off : ZERO_STEP;
    uint64_t range[2] = { off, len };
    if (zeroout && ioctl (fd, BLKZEROOUT, range) == 0) {
      gk_int_progress (off + len, size);
      continue;
    }
    if (zeroout && errno != EOPNOTSUPP && errno != EINVAL && errno != ENOTTY) {
      gk_int_dev_perr (device, "BLKZEROOUT");
      close (fd);
      return -1;
    }
    zeroout = 0;
    if (write_zeroes (fd, device, off, len) == -1) {
      close (fd);
      return -1;
    }
    gk_int_progress (off + len, size);
  }
  if (fsync (fd) == -1) {
    gk_int_dev_perr (device, "fsync");
    close (fd);
    return -1;
  }
  close (fd);
  forget_partitions (device);
  return 0;
}

int
do_is_zero_device (const char *device)
{
  int fd = open_dev (device, O_RDONLY);
  if (fd == -1) return -1;
  fcntl (fd, F_SETFL, 0);
  char *u = gk_int_mountable_to_user (device);
  int r = gk_int_fd_is_zero (fd, u ? u : device);
  free (u);
  close (fd);
  return r;
}

/* ---- pread-device / pwrite-device ----------------------------------- */

#define PREAD_MAX ((size_t) GK_MSG_MAX - 4096)

char *
do_pread_device (const char *device, int count, int64_t offset,
                 size_t *size_r)
{
  if (count < 0 || (size_t) count > PREAD_MAX) {
    gk_int_err (count < 0 ? EINVAL : EFBIG, "%d: count must be 0 to %zu "
                "(use download for more)", count, PREAD_MAX);
    return NULL;
  }
  if (offset < 0) {
    gk_int_err (EINVAL, "%" PRId64 ": negative offset", offset);
    return NULL;
  }
  int fd = open_dev (device, O_RDONLY);
  if (fd == -1) return NULL;
  char *buf = gk_int_pread_alloc (fd, (size_t) count, (off_t) offset, size_r);
  if (!buf) gk_int_dev_perr (device, "read");
  return buf;
}

int
do_pwrite_device (const char *device, const char *content,
                  size_t content_size, int64_t offset)
{
  if (offset < 0)
    return gk_int_err (EINVAL, "%" PRId64 ": negative offset", offset);
  int fd = open_dev (device, O_WRONLY);
  if (fd == -1) return -1;
  ssize_t n;
  do
    n = pwrite (fd, content, content_size, (off_t) offset);
  while (n == -1 && errno == EINTR);
  if (n == -1 || fsync (fd) == -1) {
    gk_int_dev_perr (device, "write");
    close (fd);
    return -1;
  }
  close (fd);
  return (int) n;
}

/* ---- blkid ------------------------------------------------------------ */

/* What blkid -p finds on DEVICE, as pairs of names and values (TYPE,
 * UUID, LABEL, PTTYPE, PART_ENTRY_* ...).  Nothing found: an empty list. */
char **
do_blkid (const char *device)
{
  const char *argv[] = { "blkid", "-c", "/dev/null", "-p", "-o", "export",
                         device, NULL };
  char *out = NULL, *err = NULL;
  int st = gk_int_run_status (&out, &err, NULL, argv);
  free (err);
  if (st == -1) return NULL;
  if (st != 0 && st != 2) {     /* 2: nothing found */
    free (out);
    gk_int_dev_err (EIO, device, "blkid failed (status %d)", st);
    return NULL;
  }
  char *text = gk_int_text_to_user (st == 2 ? "" : out);
  free (out);
  if (!text) return NULL;
  char **lines = gk_int_split_lines (text);
  if (!lines) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  size_t n = gk_int_count_strings (lines), k = 0;
  char **r = calloc (2 * n + 1, sizeof *r);
  if (!r) {
    gk_int_free_strings (lines);
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    char *eq = strchr (lines[i], '=');
    if (!eq) continue;
    *eq = '\0';
    /* DEVNAME is the appliance's view of a name the user gave. */
    if (strcmp (lines[i], "DEVNAME") == 0) continue;
    r[k] = strdup (lines[i]);
    r[k + 1] = strdup (eq + 1);
    if (!r[k] || !r[k + 1]) {
      free (r[k]);
      r[k] = NULL;
      gk_int_free_strings (r);
      gk_int_free_strings (lines);
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
    k += 2;
  }
  gk_int_free_strings (lines);
  return r;
}
