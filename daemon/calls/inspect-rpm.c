/* guestkitd: the rpm database of an inspected root, read with the
 * appliance's own rpm (Debian 12's rpm 4.18, librpm), never the guest's.
 *
 * The database files are copied out of the guest first, each opened
 * inside the guest's root (RESOLVE_IN_ROOT: a symlink cannot lead out of
 * it), only regular files, at most RPMDB_MAX bytes in all, into a fresh
 * directory on the appliance's /run; rpm then reads that copy.  rpm never
 * sees a path of the guest, so a planted symlink, FIFO or device node in
 * the database directory reaches nothing of the appliance, and whatever
 * rpm or SQLite write beside the database (locks, -shm) lands in the copy.
 * rpm runs with no rc or macro files (--rcfile/--macros /dev/null: none
 * are needed to query), under `timeout` when the appliance has it, and
 * its output is bounded by the command runner (GK_MSG_MAX).
 *
 * Formats (rpm --showrc, "Available backends": sqlite bdb_ro dummy):
 *   rpmdb.sqlite  SQLite (Fedora >= 33, RHEL >= 9): the sqlite backend;
 *                 the -wal file is copied too (it may hold the last
 *                 transactions).
 *   Packages      Berkeley DB hash (RHEL <= 8, older SUSE): bdb_ro, rpm's
 *                 own read-only reader (no libdb needed).
 *   Packages.db   ndb (SUSE since 15 SP3 / Leap 15.3): Debian builds rpm
 *                 without the ndb backend, so this is a clear error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "fullio.h"
#include "inspect.h"
#include "inspect-parse.h"

/* The whole database copied, at most (the appliance's /run is RAM). */
#define RPMDB_MAX (256ull << 20)
/* Seconds rpm may take over a database of that size under TCG. */
#define RPM_TIMEOUT "300"
#define QUERYFORMAT "%{NAME}\\t%|EPOCH?{%{EPOCH}}:{0}|\\t%{VERSION}\\t" \
  "%{RELEASE}\\t%{ARCH}\\n"

struct format { const char *backend, *files[3]; };
static const struct format formats[] = {
  { "sqlite", { "rpmdb.sqlite", "rpmdb.sqlite-wal", NULL } },
  { "ndb", { "Packages.db", NULL, NULL } },
  { "bdb_ro", { "Packages", NULL, NULL } },
};

/* Copy regular file DIR/NAME of the guest (inside ROOTFD) to TMP/NAME,
 * adding its size to *TOTAL.  1 copied, 0 absent, -1 error set. */
static int
copy_one (int rootfd, const char *dir, const char *name, const char *tmp,
          unsigned long long *total)
{
  char src[4096], dst[4096];
  snprintf (src, sizeof src, "%s/%s", dir, name);
  snprintf (dst, sizeof dst, "%s/%s", tmp, name);
  int in = gk_int_insp_open (rootfd, src, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (in == -1)
    return errno == ENOENT ? 0 : gk_int_perr ("rpm database %s", src);
  struct stat st;
  int ret = -1, out = -1;
  if (fstat (in, &st) == -1) { gk_int_perr ("rpm database %s", src); goto out; }
  if (!S_ISREG (st.st_mode)) {
    gk_int_err (EINVAL, "rpm database %s: not a regular file", src);
    goto out;
  }
  out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out == -1) { gk_int_perr ("%s", dst); goto out; }
  static char buf[1 << 16];
  for (;;) {
    ssize_t n = read (in, buf, sizeof buf);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { gk_int_perr ("rpm database %s", src); goto out; }
    if (n == 0) break;
    *total += (unsigned long long) n;
    if (*total > RPMDB_MAX) {
      gk_int_err (EFBIG, "rpm database in %s: larger than %llu MiB", dir,
                  RPMDB_MAX >> 20);
      goto out;
    }
    if (gk_int_write_full (out, buf, (size_t) n) == -1) {
      gk_int_perr ("%s (copy of the rpm database %s)", dst, src);
      goto out;
    }
  }
  ret = 1;
 out:
  close (in);
  if (out >= 0) close (out);
  return ret;
}

static void
remove_copy (const char *tmp)
{
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    for (size_t k = 0; formats[i].files[k]; k++) {
      char p[4096];
      snprintf (p, sizeof p, "%s/%s", tmp, formats[i].files[k]);
      unlink (p);
    }
  /* What rpm and SQLite make beside the database. */
  static const char *const extra[] = { "rpmdb.sqlite-shm", ".rpm.lock",
                                       "rpmdb.sqlite-journal", NULL };
  for (size_t k = 0; extra[k]; k++) {
    char p[4096];
    snprintf (p, sizeof p, "%s/%s", tmp, extra[k]);
    unlink (p);
  }
  if (rmdir (tmp) == -1)
    gk_int_log ("inspect: rmdir %s: %s", tmp, strerror (errno));
}

/* Run rpm on the copy in TMP; each package through ADD. */
static int
query (const char *tmp, const char *backend, const char *dir,
       int (*add) (void *, const struct gk_dpkg_pkg *), void *opaque)
{
  char define[64], timeout[256];
  snprintf (define, sizeof define, "_db_backend %s", backend);
  const char *argv[20];
  size_t n = 0;
  if (gk_int_find_program ("timeout", timeout, sizeof timeout) == 0) {
    argv[n++] = "timeout";
    argv[n++] = RPM_TIMEOUT;
  }
  const char *rest[] = { "rpm", "--rcfile", "/dev/null", "--macros", "/dev/null",
                         "--dbpath", tmp, "--define", define, "-qa",
                         "--qf", QUERYFORMAT, NULL };
  for (size_t i = 0; rest[i]; i++) argv[n++] = rest[i];
  argv[n] = NULL;
  char *out, *err;
  int st = gk_int_run_status (&out, &err, NULL, argv);
  if (st == -1) return -1;
  int ret = -1;
  if (st != 0) {
    /* rpm's own messages, last line (warnings about missing indexes
     * come first). */
    size_t el = strlen (err);
    while (el > 0 && err[el - 1] == '\n') err[--el] = '\0';
    const char *last = strrchr (err, '\n');
    last = last ? last + 1 : err;
    /* rpm names the copy; the user knows the guest's directory. */
    const char *at = strstr (last, tmp);
    int pre = at ? (int) (at - last) : (int) strlen (last);
    gk_int_err (EIO, "rpm database in %s (%s): rpm %s: %.*s%s%.256s", dir,
                backend, st == 124 ? "timed out" : "failed",
                pre > 256 ? 256 : pre, last, at ? dir : "",
                at ? at + strlen (tmp) : "");
    goto out;
  }
  for (char *line = out, *nl; *line; line = nl + 1) {
    nl = strchr (line, '\n');
    if (!nl) break;         /* a cut last line: rpm always ends one */
    struct gk_dpkg_pkg p;
    if (gk_int_parse_rpm_line (line, (size_t) (nl - line), &p)
        && add (opaque, &p) == -1)
      goto out;
  }
  ret = 0;
 out:
  free (out);
  free (err);
  return ret;
}

int
gk_int_insp_rpm (int rootfd, const char *dir,
                 int (*add) (void *, const struct gk_dpkg_pkg *), void *opaque)
{
  if (!gk_int_insp_is (rootfd, dir, 1)) return 0;
  const struct format *f = NULL;
  for (size_t i = 0; !f && i < sizeof formats / sizeof formats[0]; i++) {
    char p[4096];
    snprintf (p, sizeof p, "%s/%s", dir, formats[i].files[0]);
    int fd = gk_int_insp_open (rootfd, p, O_PATH);
    if (fd >= 0) {
      close (fd);
      f = &formats[i];
    }
  }
  if (!f) return 0;
  if (strcmp (f->backend, "ndb") == 0)
    return gk_int_err (ENOTSUP, "rpm database %s/Packages.db: the ndb format "
                       "(SUSE) cannot be read: the appliance's rpm (Debian's) "
                       "is built without the ndb backend", dir);

  char tmp[] = "/run/gk-rpmdb.XXXXXX";
  if (!mkdtemp (tmp)) return gk_int_perr ("mkdtemp %s", tmp);
  unsigned long long total = 0;
  int r = 0;
  for (size_t k = 0; r != -1 && f->files[k]; k++) {
    r = copy_one (rootfd, dir, f->files[k], tmp, &total);
    if (r == 0 && k == 0)
      r = gk_int_err (ENOENT, "rpm database %s/%s: vanished", dir, f->files[0]);
  }
  if (r != -1) r = query (tmp, f->backend, dir, add, opaque);
  remove_copy (tmp);
  return r == -1 ? -1 : 1;
}
