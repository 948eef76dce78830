/* guestkitd: zero-free-space, the free space of a mounted filesystem
 * overwritten with zeroes through the filesystem itself (any type, in
 * use or not; zerofree is the unmounted ext2/3/4 way).
 *
 * The files written have no name (O_TMPFILE), or one removed at once
 * where the filesystem has no O_TMPFILE (vfat): nothing is left behind
 * even if the appliance dies, and closing them frees the space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"

#define ZCHUNK ((size_t) 1024 * 1024)
#define MAX_FILES 64            /* vfat: 4 GiB a file, so 256 GiB */

/* A new file in directory DFD with no name left.  -1 with errno. */
static int
nameless_file (int dfd)
{
  int fd = openat (dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
  for (int i = 0; i < 1000; i++) {
    char name[64];
    snprintf (name, sizeof name, ".gk-zero-free-space.%d.%d", (int) getpid (), i);
    fd = openat (dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      if (unlinkat (dfd, name, 0) == -1) {
        int e = errno;
        close (fd);
        errno = e;
        return -1;
      }
      return fd;
    }
    if (errno != EEXIST) return -1;
  }
  return -1;
}

/* Write zeroes to FD until the filesystem is full (1), or the file has
 * reached its largest size (0: another file is needed); -1 with errno. */
static int
fill_zeroes (int fd, const char *zeroes)
{
  for (;;) {
    ssize_t n = write (fd, zeroes, ZCHUNK);
    if (n > 0) continue;
    if (n == -1 && errno == EINTR) continue;
    if (n == 0 || errno == ENOSPC || errno == EDQUOT) return 1;
    if (errno == EFBIG) return 0;
    return -1;
  }
}

int
do_zero_free_space (const char *directory)
{
  int dfd = gk_int_open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd == -1)
    return gk_int_perr ("%s", directory);
  char *zeroes = calloc (1, ZCHUNK);
  int fds[MAX_FILES], nfds = 0, r = -1;
  if (!zeroes) {
    gk_int_err (ENOMEM, "out of memory");
    goto out;
  }
  for (;;) {
    if (nfds == MAX_FILES) {
      gk_int_err (EFBIG, "%s: the free space needs more than %d files", directory, MAX_FILES);
      goto out;
    }
    int fd = nameless_file (dfd);
    if (fd == -1) {
      /* A full filesystem may refuse even an empty file: done. */
      if ((errno == ENOSPC || errno == EDQUOT) && nfds > 0) break;
      gk_int_perr ("%s: cannot create a file to fill", directory);
      goto out;
    }
    fds[nfds++] = fd;
    int f = fill_zeroes (fd, zeroes);
    if (f == -1) {
      gk_int_perr ("%s: writing zeroes", directory);
      goto out;
    }
    if (f == 1) break;
  }
  /* The zeroes must be on the disk before the space is freed again. */
  for (int i = 0; i < nfds; i++)
    if (fsync (fds[i]) == -1) {
      gk_int_perr ("%s: fsync", directory);
      goto out;
    }
  r = 0;
 out:
  for (int i = 0; i < nfds; i++) close (fds[i]);
  free (zeroes);
  close (dfd);
  return r;
}
