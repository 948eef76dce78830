/* Whole-buffer reads and writes (common/fullio.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fullio.h"

ssize_t
gk_int_read_full (int fd, void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read (fd, (char *) buf + got, n - got);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return -1;
    if (r == 0) break;
    got += (size_t) r;
  }
  return (ssize_t) got;
}

ssize_t
gk_int_read_small (const char *path, char *buf, size_t n)
{
  if (n == 0) { errno = EINVAL; return -1; }
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  ssize_t r = gk_int_read_full (fd, buf, n - 1);
  int e = errno;
  close (fd);
  buf[r > 0 ? r : 0] = '\0';
  errno = e;
  return r;
}

int
gk_int_write_full (int fd, const void *buf, size_t n)
{
  while (n > 0) {
    ssize_t r = write (fd, buf, n);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return -1;
    if (r == 0) { errno = EIO; return -1; }
    buf = (const char *) buf + r;
    n -= (size_t) r;
  }
  return 0;
}
