/* guestkit: unnamed temporary files (common/tmpfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "tmpfile.h"

int
gk_int_tmpfile (const char **dir_r)
{
  const char *t = getenv ("TMPDIR");
  if (!t || *t != '/') t = "/var/tmp";
  if (dir_r) *dir_r = t;
  int fd = open (t, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    char p[4200];
    snprintf (p, sizeof p, "%s/gk-tmp.XXXXXX", t);
    fd = mkostemp (p, O_CLOEXEC);
    if (fd != -1) unlink (p);
  }
  return fd;
}
