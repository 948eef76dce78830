/* newc cpio writer (newc.h).  Header: "070701" and 13 eight-digit hex
   fields (ino mode uid gid nlink mtime filesize devmajor devminor
   rdevmajor rdevminor namesize check), the name and its NUL padded to a
   multiple of 4, then the data padded to a multiple of 4. */
#include "newc.h"
#include "fullio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char zeros[4];

static int
pad (int fd, size_t n)
{
  return gk_int_write_full (fd, zeros, (4 - n % 4) % 4);
}

static int
header (struct gk_int_newc *w, const char *name, unsigned mode, size_t size,
        unsigned rmaj, unsigned rmin, unsigned nlink)
{
  char h[128];
  size_t ns = strlen (name) + 1;
  snprintf (h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
            ++w->ino, mode, 0, 0, nlink, 0, (unsigned) size, 0, 0, rmaj, rmin, (unsigned) ns, 0);
  if (gk_int_write_full (w->fd, h, 110) == -1
      || gk_int_write_full (w->fd, name, ns) == -1 || pad (w->fd, 110 + ns) == -1)
    return -1;
  return 0;
}

/* Copy host file PATH (already open as FD, SIZE bytes) as the data. */
static int
copy_data (int out, int fd, size_t size)
{
  char buf[65536];
  size_t left = size;
  while (left > 0) {
    ssize_t n = gk_int_read_full (fd, buf, left < sizeof buf ? left : sizeof buf);
    if (n == -1) return -1;
    if (n == 0) { errno = EIO; return -1; }     /* shrank while archived */
    if (gk_int_write_full (out, buf, (size_t) n) == -1) return -1;
    left -= (size_t) n;
  }
  return pad (out, size);
}

int
gk_int_newc_add (struct gk_int_newc *w, const struct gk_int_spec *e, char *err, size_t errlen)
{
  int r = -1, fd = -1;
  const char *what = "writing the archive";
  switch (e->type) {
  case 'd':
    r = header (w, e->name, S_IFDIR | (unsigned) e->mode, 0, 0, 0, 2);
    break;
  case 'c':
    r = header (w, e->name, S_IFCHR | (unsigned) e->mode, 0, e->major, e->minor, 1);
    break;
  case 'l':
  case 's':
    r = header (w, e->name, (e->type == 'l' ? S_IFLNK | 0777 : S_IFREG | (unsigned) e->mode),
                e->arglen, 0, 0, 1);
    if (r == 0) r = gk_int_write_full (w->fd, e->arg, e->arglen);
    if (r == 0) r = pad (w->fd, e->arglen);
    break;
  case 'f': {
    struct stat st;
    what = e->arg;
    fd = open (e->arg, O_RDONLY | O_CLOEXEC);
    if (fd == -1 || fstat (fd, &st) == -1) break;
    if (!S_ISREG (st.st_mode) || st.st_size > 0xffffffffLL) {
      errno = S_ISREG (st.st_mode) ? EFBIG : EINVAL;
      break;
    }
    unsigned mode = e->mode == -1 ? (st.st_mode & 07777) : (unsigned) e->mode;
    what = "writing the archive";
    r = header (w, e->name, S_IFREG | mode, (size_t) st.st_size, 0, 0, 1);
    if (r == 0) {
      what = e->arg;
      r = copy_data (w->fd, fd, (size_t) st.st_size);
    }
    break;
  }
  }
  if (r == -1)
    snprintf (err, errlen, "%s: %s (entry %s)", what, strerror (errno), e->name);
  if (fd != -1) close (fd);
  return r;
}

int
gk_int_newc_end (struct gk_int_newc *w, char *err, size_t errlen)
{
  if (header (w, "TRAILER!!!", 0, 0, 0, 0, 1) == 0) return 0;
  snprintf (err, errlen, "writing the archive trailer: %s", strerror (errno));
  return -1;
}
