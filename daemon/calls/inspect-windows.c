/* guestkitd: recognising a Windows root, and the Windows-only calls.
 *
 * Windows names are case-insensitive, so the system root (/Windows,
 * /WinNT ... with a System32 directory) is looked up one component at a
 * time with readdir and strcasecmp, without following symbolic links.
 * The product name, version, host name and drive letters are in the
 * registry (hives in System32/config), read by inspect-registry.c; a
 * hive that cannot be read leaves them "unknown" (logged): a damaged
 * registry must not hide the operating system.  The architecture comes
 * from the PE header of the kernel, ntoskrnl.exe, or of cmd.exe.
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
#include "actions.h"

/* Directory entries looked at per component: a guest with millions of
 * files in its root must not make inspection crawl. */
#define MAX_ENTRIES 100000
/* Enough for the DOS header and a PE header at a normal offset. */
#define PE_HEAD 4096

/* Open NAME in directory DIRFD, matched without regard to case.
 * FLAGS as for openat; symbolic links are not followed.  FOUND (256
 * bytes, may be NULL) gets the name as spelt on disk. */
static int
ci_open (int dirfd, const char *name, int flags, char *found)
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
      if (found) snprintf (found, 256, "%s", e->d_name);
      break;
    }
  closedir (d);
  return fd;
}

int
gk_int_insp_ci_open (int rootfd, const char *path, int flags)
{
  char buf[512];
  if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = dup (rootfd);
  /* ROOTFD may be O_PATH: openat (".") of it still works for readdir. */
  char *save;
  for (char *c = strtok_r (buf, "/", &save); c && fd >= 0;) {
    char *next = strtok_r (NULL, "/", &save);
    int nfd = ci_open (fd, c, next ? O_RDONLY | O_DIRECTORY : flags, NULL);
    close (fd);
    fd = nfd;
    c = next;
  }
  return fd;
}

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
    int fd = ci_open (rootfd, names[i], O_RDONLY | O_DIRECTORY, found);
    if (fd == -1) continue;
    int sfd = ci_open (fd, "system32", O_RDONLY | O_DIRECTORY, NULL);
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

/* ---- the Windows calls (and those whose answer only Windows gives) ---- */

static char *
str_or_unknown (const char *s)
{
  char *r = strdup (*s ? s : "unknown");
  if (!r) gk_int_err (ENOMEM, "out of memory");
  return r;
}

char *
do_inspect_get_product_variant (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? str_or_unknown (r->variant) : NULL;
}

char *
do_inspect_get_build_id (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? str_or_unknown (r->build) : NULL;
}

/* The system root (CCS 0) or the current control set (CCS 1) of ROOT;
 * NULL + EINVAL if it is not Windows or that is not known. */
static char *
windows_string (const char *root, int ccs)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  int win = strcmp (r->type, "windows") == 0;
  const char *v = ccs ? r->ccs : r->systemroot;
  if (win && *v) return str_or_unknown (v);
  char *u = gk_int_dev_to_user (root);
  gk_int_err (EINVAL, "%s: %s", u ? u : root, !win ? "not a Windows root"
              : "its SYSTEM hive gives no current control set "
              "(HKLM\\SYSTEM\\Select)");
  free (u);
  return NULL;
}

char *
do_inspect_get_windows_systemroot (const char *root)
{
  return windows_string (root, 0);
}

char *
do_inspect_get_windows_current_control_set (const char *root)
{
  return windows_string (root, 1);
}

char **
do_inspect_get_drive_mappings (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  size_t n = gk_int_count_strings (r->drives);
  char **out = calloc (n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    if (!(out[i] = i % 2 ? gk_int_dev_to_user (r->drives[i]) : strdup (r->drives[i]))) {
      gk_int_free_strings (out);
      out = NULL;
    }
  if (!out) gk_int_err (ENOMEM, "out of memory");
  return out;
}
