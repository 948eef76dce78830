/* guestkitd: recognising a Windows root.
 *
 * Windows names are case-insensitive, so the system root (/Windows,
 * /WinNT ... with a System32 directory) is looked up one component at a
 * time with readdir and strcasecmp, without following symbolic links.
 * The product name, version, host name and drive letters are in the
 * registry (hives in System32/config), read by inspect-registry.c; a
 * hive that cannot be read leaves them "unknown" (logged): a damaged
 * registry must not hide the operating system.  The architecture comes
 * from the PE header of the kernel, ntoskrnl.exe, or of cmd.exe.  The
 * calls that give these are in inspect-get-windows.c.
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

/* Enough for the DOS header and a PE header at a normal offset. */
#define PE_HEAD 4096

/* The architecture from the PE header of one of the system's programs. */
static void
get_arch (int rootfd, struct gk_insp_root *r)
{
  static const char *const progs[] = { "ntoskrnl.exe", "cmd.exe" };
  snprintf (r->arch, sizeof r->arch, "unknown");
  unsigned char *b = malloc (PE_HEAD);
  for (size_t i = 0; b && i < sizeof progs / sizeof *progs; i++) {
    char path[512];
    snprintf (path, sizeof path, "%s/System32/%s", r->systemroot + 1, progs[i]);
    int fd = gk_int_insp_ci_open (rootfd, path, O_RDONLY | O_NONBLOCK);
    if (fd == -1) continue;
    struct stat st;
    const char *a = NULL;
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
      ssize_t n = pread (fd, b, PE_HEAD, 0);
      a = n > 0 ? gk_int_pe_arch (b, (size_t) n) : NULL;
    }
    close (fd);
    if (a) {
      snprintf (r->arch, sizeof r->arch, "%s", a);
      break;
    }
  }
  free (b);
}

/* The system root: the first of the usual names (any case) holding a
 * System32 directory, as it is spelt on disk ("/WINDOWS"); 0 if none. */
static int
find_systemroot (int rootfd, struct gk_insp_root *r)
{
  static const char *const names[] = { "windows", "winnt", "win32", "win",
                                        "reactos" };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char found[256];
    int fd = gk_int_insp_ci_openat (rootfd, names[i], O_RDONLY | O_DIRECTORY, found);
    if (fd == -1) continue;
    int sfd = gk_int_insp_ci_openat (fd, "system32", O_RDONLY | O_DIRECTORY, NULL);
    close (fd);
    if (sfd == -1) continue;
    close (sfd);
    snprintf (r->systemroot, sizeof r->systemroot, "/%.250s", found);
    return 1;
  }
  return 0;
}

int
gk_int_insp_windows (int rootfd, struct gk_insp_root *r)
{
  if (!find_systemroot (rootfd, r)) return 0;
  snprintf (r->type, sizeof r->type, "windows");
  snprintf (r->distro, sizeof r->distro, "windows");
  snprintf (r->product, sizeof r->product, "unknown");
  snprintf (r->hostname, sizeof r->hostname, "unknown");
  snprintf (r->pkgfmt, sizeof r->pkgfmt, "unknown");
  snprintf (r->pkgmgmt, sizeof r->pkgmgmt, "unknown");
  r->major = r->minor = 0;
  get_arch (rootfd, r);
  if (gk_int_insp_registry (rootfd, r) == -1) {
    gk_int_log ("inspect: %s: %s", r->systemroot, gk_int_err_msg ());
    gk_int_err_clear ();
  }
  return 1;
}
