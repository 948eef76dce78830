/* guestkitd: mksquashfs, a squashfs image of a guest directory streamed
 * to the host.  mksquashfs seeks in its output, so it writes a file in
 * the appliance's /tmp (RAM: the image must fit in the appliance's
 * memory, as in guestfish), which is unlinked as soon as it is open
 * again and streamed from that descriptor.  Symbolic links in the guest
 * tree are stored as links, never followed; the directory itself is
 * resolved inside the guest root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "fileout.h"

#define MAX_EXCLUDES 256

/* mksquashfs's argument vector: options first, then -e and the
 * wildcards (every word after -e is one).  malloc'd, or NULL + error. */
static const char **
squash_argv (const char *src, const char *out, const char *comp, char *const *excl)
{
  size_t ne = excl ? gk_int_count_strings (excl) : 0;
  if (ne > MAX_EXCLUDES) {
    gk_int_err (E2BIG, "excludes: %zu wildcards (at most %d)", ne, MAX_EXCLUDES);
    return NULL;
  }
  const char **argv = calloc (16 + ne, sizeof *argv);
  if (!argv) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  size_t n = 0;
  argv[n++] = "mksquashfs";
  argv[n++] = src;
  argv[n++] = out;
  argv[n++] = "-noappend";
  argv[n++] = "-no-recovery";
  argv[n++] = "-no-progress";
  argv[n++] = "-quiet";
  argv[n++] = "-comp";
  argv[n++] = comp;
  if (ne) {
    argv[n++] = "-wildcards";
    argv[n++] = "-e";
    for (size_t i = 0; i < ne; i++) argv[n++] = excl[i];
  }
  argv[n] = NULL;
  return argv;
}

int
do_mksquashfs (const char *path, const char *compress, char *const *excludes)
{
  const char *comp = (gk_int_optargs_bitmask & GK_MKSQUASHFS_COMPRESS) ? compress : "gzip";
  char *const *excl = (gk_int_optargs_bitmask & GK_MKSQUASHFS_EXCLUDES) ? excludes : NULL;
  for (size_t i = 0; excl && excl[i]; i++)
    if (excl[i][0] == '-' || excl[i][0] == '\0')
      return gk_int_err (EINVAL, "excludes: '%.64s': a wildcard may not be empty or "
                         "start with '-'", excl[i]);
  char *src = gk_int_sysroot_path (path);
  if (!src) return gk_int_perr ("%s", path);
  struct stat st;
  if (lstat (src, &st) == -1) { free (src); return gk_int_perr ("%s", path); }
  if (!S_ISDIR (st.st_mode)) {
    free (src);
    return gk_int_err (ENOTDIR, "%s: %s", path, strerror (ENOTDIR));
  }
  char out[] = "/tmp/gk-mksquashfs.XXXXXX";
  int fd = mkostemp (out, O_CLOEXEC);
  if (fd == -1) { free (src); return gk_int_perr ("mksquashfs: a temporary file in /tmp"); }
  close (fd);
  const char **argv = squash_argv (src, out, comp, excl);
  int r = argv ? gk_int_run (NULL, NULL, argv) : -1;
  free (argv);
  free (src);
  fd = r == 0 ? open (out, O_RDONLY | O_CLOEXEC) : -1;
  if (r == 0 && fd == -1) r = gk_int_perr ("mksquashfs: %s", out);
  unlink (out);
  if (r == -1) return -1;
  const char *cat[] = { "cat", NULL };
  r = gk_int_filter_out (cat, fd, path);
  close (fd);
  return r;
}
