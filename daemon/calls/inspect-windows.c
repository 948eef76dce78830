/* guestkitd: recognising a Windows root.
 *
 * Windows names are case-insensitive, so /Windows/System32 is looked up
 * one component at a time with readdir and strcasecmp, without following
 * symbolic links.  The product name and host name are in the registry
 * (hives in System32/config); parsing hives is not done: they are
 * reported as "unknown".  The architecture comes from the PE header of
 * the kernel, ntoskrnl.exe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "inspect.h"
#include "inspect-parse.h"

/* Directory entries looked at per component: a guest with millions of
 * files in its root must not make inspection crawl. */
#define MAX_ENTRIES 100000
/* Enough for the DOS header and a PE header at a normal offset. */
#define PE_HEAD 4096

/* Open NAME in directory DIRFD, matched without regard to case.
 * FLAGS as for openat; symbolic links are not followed. */
static int
ci_open (int dirfd, const char *name, int flags)
{
  int dfd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd == -1) return -1;
  DIR *d = fdopendir (dfd);
  if (!d) { close (dfd); return -1; }
  int fd = -1;
  struct dirent *e;
  for (size_t n = 0; n < MAX_ENTRIES && (e = readdir (d)); n++)
    if (strcasecmp (e->d_name, name) == 0) {
      fd = openat (dirfd, e->d_name, flags | O_NOFOLLOW | O_CLOEXEC);
      break;
    }
  closedir (d);
  return fd;
}

/* Open a "/"-separated PATH below ROOTFD, case-insensitively. */
static int
ci_open_path (int rootfd, const char *path, int flags)
{
  char buf[256];
  snprintf (buf, sizeof buf, "%s", path);
  int fd = dup (rootfd);
  /* ROOTFD may be O_PATH: openat (".") of it still works for readdir. */
  char *save;
  for (char *c = strtok_r (buf, "/", &save); c && fd >= 0;) {
    char *next = strtok_r (NULL, "/", &save);
    int nfd = ci_open (fd, c, next ? O_RDONLY | O_DIRECTORY : flags);
    close (fd);
    fd = nfd;
    c = next;
  }
  return fd;
}

static void
get_arch (int rootfd, struct gk_insp_root *r)
{
  snprintf (r->arch, sizeof r->arch, "unknown");
  int fd = ci_open_path (rootfd, "Windows/System32/ntoskrnl.exe",
                         O_RDONLY | O_NONBLOCK);
  if (fd == -1) return;
  struct stat st;
  unsigned char *b = malloc (PE_HEAD);
  if (b && fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
    ssize_t n = pread (fd, b, PE_HEAD, 0);
    const char *a = n > 0 ? gk_int_pe_arch (b, (size_t) n) : NULL;
    if (a) snprintf (r->arch, sizeof r->arch, "%s", a);
  }
  free (b);
  close (fd);
}

int
gk_int_insp_windows (int rootfd, struct gk_insp_root *r)
{
  int fd = ci_open_path (rootfd, "Windows/System32", O_RDONLY | O_DIRECTORY);
  if (fd == -1) return 0;
  close (fd);
  snprintf (r->type, sizeof r->type, "windows");
  snprintf (r->distro, sizeof r->distro, "windows");
  snprintf (r->product, sizeof r->product, "unknown");
  snprintf (r->hostname, sizeof r->hostname, "unknown");
  snprintf (r->pkgfmt, sizeof r->pkgfmt, "unknown");
  snprintf (r->pkgmgmt, sizeof r->pkgmgmt, "unknown");
  r->major = r->minor = 0;
  get_arch (rootfd, r);
  return 1;
}
