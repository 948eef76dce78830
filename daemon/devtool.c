/* guestkitd: helpers for handlers that work on devices (devtool.h):
 * errors naming the device as the user knows it, running a tool on a
 * device, "in use" and "whole disk" checks, "all zero".  Used by the
 * handlers of calls/devices*, partitions*, filesystems, mount-ntfs,
 * inspect-mount and fileops-node (is-zero).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "devtool.h"

int
gk_int_dev_err (int e, const char *dev, const char *fmt, ...)
{
  char why[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (why, sizeof why, fmt, ap);
  va_end (ap);
  char *u = gk_int_dev_to_user (dev);
  gk_int_err (e, "%s: %s", u ? u : dev, why);
  free (u);
  return -1;
}

int
gk_int_dev_perr (const char *dev, const char *what)
{
  int e = errno;
  return gk_int_dev_err (e, dev, "%s: %s", what, strerror (e));
}

int
gk_int_run_on_dev (const char *dev, const char *in, const char *const *argv)
{
  return gk_int_run_on_dev_e (dev, in, argv, NULL);
}

int
gk_int_run_on_dev_e (const char *dev, const char *in, const char *const *argv,
                     int (*errno_of) (int status))
{
  char *errs = NULL;
  int st = gk_int_run_status (NULL, &errs, in, argv);
  if (st <= 0) {                /* 0: success; -1: error already set */
    free (errs);
    return st;
  }
  char *msg = gk_int_text_to_user (errs ? errs : "");
  free (errs);
  if (!msg) return -1;
  char *usage = strstr (msg, "\nUsage:");
  if (usage) *usage = '\0';
  size_t len = strlen (msg);
  while (len > 0 && isspace ((unsigned char) msg[len - 1]))
    msg[--len] = '\0';
  size_t max = GK_ERRMSG_MAX / 2;
  const char *tail = len > max ? msg + len - max : msg;
  int e = errno_of ? errno_of (st) : 0;
  if (len > 0)
    gk_int_dev_err (e, dev, "%s: %s%s", argv[0], tail != msg ? "..." : "",
                    tail);
  else
    gk_int_dev_err (e, dev, "%s: exited with status %d", argv[0], st);
  free (msg);
  return -1;
}

int
gk_int_check_unused (const char *dev)
{
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_EXCL);
  if (fd >= 0) {
    close (fd);
    return 0;
  }
  if (errno == EBUSY)
    return gk_int_dev_err (EBUSY, dev, "device is in use (mounted?)");
  return gk_int_dev_perr (dev, "open");
}

int
gk_int_need_whole_disk (const char *dev)
{
  char **disks = gk_int_list_disks ();
  if (!disks) return -1;
  int r = 0;
  for (size_t i = 0; disks[i]; i++)
    if (strcmp (disks[i], dev) == 0) r = 1;
  gk_int_free_strings (disks);
  if (!r) return gk_int_dev_err (EINVAL, dev, "not a whole disk");
  return 0;
}

/* Read size for gk_int_fd_is_zero. */
#define ZERO_STEP ((size_t) 1024 * 1024)

/* 1 if all of FD (a file or device) reads as zero bytes, 0 if not. */
int
gk_int_fd_is_zero (int fd, const char *name)
{
  char *buf = malloc (ZERO_STEP);
  if (!buf) return gk_int_err (ENOMEM, "out of memory");
  int r = 1;
  for (;;) {
    ssize_t n = read (fd, buf, ZERO_STEP);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { r = gk_int_perr ("%s", name); break; }
    if (n == 0) break;
    /* Compare the buffer with itself shifted: zero iff the first byte is
     * zero and every byte equals its neighbour. */
    if (buf[0] != 0 || memcmp (buf, buf + 1, (size_t) n - 1) != 0) {
      r = 0;
      break;
    }
  }
  free (buf);
  return r;
}
