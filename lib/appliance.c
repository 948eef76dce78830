/* guestkit: the cached appliance (kernel + initrd) for a flavour.
 *
 * Cache root: $GUESTKIT_CACHEDIR, else /var/tmp/.guestkit-<euid> (created
 * 0700; refused when it is not ours, or is group/world writable).  The
 * appliance for FLAVOUR lives in <root>/appliance-<flavour>/ (kernel,
 * initrd, pvh, manifest: see appliance/README.md).
 *
 * Fast path, without a lock: the manifest lists every host input of the
 * build with its size and mtime; when every one still matches lstat(),
 * and the daemon and builder are the ones it was built with, the cache
 * is used as is.  About 200 lstat() calls: well under a millisecond.
 *
 * Otherwise: take an exclusive flock() on <root>/lock-<flavour>, check
 * again (someone else may just have built it), run the builder into a
 * fresh mkdtemp() directory <root>/tmp-<flavour>.XXXXXX, and swap it in
 * with renameat2(RENAME_EXCHANGE) (or: rename the old one away, rename
 * the new one in), then remove the old one.  Readers therefore see the
 * old complete appliance or the new complete one, never a partial one.
 * Leftovers of a killed build (tmp-*, old-*) are removed under the lock.
 * A published directory is never changed in place, so a launch opens its
 * kernel, initrd and root through one descriptor of the directory, checks
 * the directory was not swapped meanwhile, and gives the VM those
 * descriptors (fill()): a concurrent rebuild cannot mix versions, and the
 * cache path never reaches the VM's command line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include "internal.h"
#include "hostspawn.h"
#include "grow.h"
#include "fullio.h"


#define MANIFEST_MAX (4 * 1024 * 1024)
#define ERR_TAIL 1500           /* builder output quoted in an error */

static int
valid_flavour (const char *f)
{
  if (!f || !*f || strlen (f) > 32) return 0;
  for (const char *p = f; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return 0;
  return 1;
}

/* The cache root, created if needed and checked.  malloc'd, or NULL with
 * the error set. */
static char *
cache_root (gk_h *g)
{
  const char *env = getenv ("GUESTKIT_CACHEDIR");
  char *root = NULL;
  int from_env = env && *env;
  uid_t uid = geteuid ();

  if (from_env) {
    if (env[0] == '/') root = strdup (env);
    else {
      char cwd[PATH_MAX];
      if (!getcwd (cwd, sizeof cwd)) {
        gk_int_perror (g, "GUESTKIT_CACHEDIR=%s: cannot get the current directory", env);
        return NULL;
      }
      if (asprintf (&root, "%s/%s", cwd, env) == -1) root = NULL;
    }
  }
  else if (asprintf (&root, "/var/tmp/.guestkit-%ju", (uintmax_t) uid) == -1)
    root = NULL;
  if (!root) { gk_int_perror (g, "malloc"); return NULL; }
  /* Strip trailing slashes (but keep "/"). */
  for (size_t n = strlen (root); n > 1 && root[n - 1] == '/'; n--) root[n - 1] = '\0';

  if (mkdir (root, 0700) == -1 && errno != EEXIST) {
    gk_int_perror (g, "cannot create the appliance cache directory %s", root);
    free (root);
    return NULL;
  }
  /* The default lives in /var/tmp, shared with other users: a symbolic
   * link there could point us anywhere, so it is refused.  A directory
   * the user chose with GUESTKIT_CACHEDIR may be reached through links. */
  struct stat st;
  if ((from_env ? stat (root, &st) : lstat (root, &st)) == -1) {
    gk_int_perror (g, "appliance cache directory %s", root);
    free (root);
    return NULL;
  }
  if (!S_ISDIR (st.st_mode)) {
    gk_int_error_errno (g, ENOTDIR, "appliance cache directory %s is not a directory%s",
                        root, S_ISLNK (st.st_mode) ? " (it is a symbolic link)" : "");
    free (root);
    return NULL;
  }
  if (st.st_uid != uid) {
    gk_int_error_errno (g, EPERM, "appliance cache directory %s is owned by uid %ju, not by "
                        "us (uid %ju): refusing to use it (set GUESTKIT_CACHEDIR)",
                        root, (uintmax_t) st.st_uid, (uintmax_t) uid);
    free (root);
    return NULL;
  }
  if (st.st_mode & 022) {
    gk_int_error_errno (g, EPERM, "appliance cache directory %s is group or world writable "
                        "(mode %04o): refusing to use it", root,
                        (unsigned) (st.st_mode & 07777));
    free (root);
    return NULL;
  }
  return root;
}

static char *
path_join (const char *a, const char *b)
{
  char *s = NULL;
  if (asprintf (&s, "%s/%s", a, b) == -1) return NULL;
  return s;
}

/* Read a whole small file; NUL-terminated.  NULL with errno set. */
static char *
read_file (const char *path, size_t *len_r)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return NULL;
  struct stat st;
  if (fstat (fd, &st) == -1) { int e = errno; close (fd); errno = e; return NULL; }
  if (st.st_size > MANIFEST_MAX) { close (fd); errno = EFBIG; return NULL; }
  size_t cap = (size_t) st.st_size + 1, len = 0;
  char *buf = malloc (cap);
  if (!buf) { close (fd); errno = ENOMEM; return NULL; }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap > MANIFEST_MAX) { free (buf); close (fd); errno = EFBIG; return NULL; }
      if (gk_int_grow ((void **) &buf, &cap, cap + 1, 1, 0) == -1) {
        free (buf); close (fd); errno = ENOMEM; return NULL;
      }
    }
    size_t want = cap - 1 - len;
    ssize_t r = gk_int_read_full (fd, buf + len, want);
    if (r == -1) { int e = errno; free (buf); close (fd); errno = e; return NULL; }
    len += (size_t) r;
    if ((size_t) r < want) break;       /* end of file */
  }
  close (fd);
  buf[len] = '\0';
  if (len_r) *len_r = len;
  return buf;
}

/* Parse "SEC" or "SEC.NNNNNNNNN".  *has_ns tells whether nanoseconds
 * were given.  0 on success. */
static int
parse_mtime (const char *s, long long *sec, long *nsec, int *has_ns)
{
  char *end;
  errno = 0;
  *sec = strtoll (s, &end, 10);
  if (errno || end == s) return -1;
  *nsec = 0; *has_ns = 0;
  if (*end == '.') {
    const char *p = end + 1;
    long v = 0; int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 9) { v = v * 10 + (*p - '0'); p++; digits++; }
    if (digits == 0 || *p) return -1;
    while (digits++ < 9) v *= 10;
    *nsec = v; *has_ns = 1;
    return 0;
  }
  return *end ? -1 : 0;
}

/* Is the appliance in DIR complete and up to date for these inputs?
 * Returns 1 if so, 0 if not (the reason goes to the debug log). */
static int
appliance_fresh (gk_h *g, const char *dir, const char *flavour,
                 const char *daemon, const char *builder, int *pvh_r)
{
  char *mpath = path_join (dir, "manifest");
  if (!mpath) return 0;
  char *buf = read_file (mpath, NULL);
  int ok = 0;
  const char *why = NULL;
  char *why_path = NULL;
  int seen_builder = 0, seen_daemon = 0, seen_format = 0;
  size_t nfiles = 0;

  if (!buf) {
    if (errno != ENOENT) gk_int_debug (g, "appliance: %s: %s", mpath, strerror (errno));
    free (mpath);
    return 0;
  }

  for (char *line = buf, *next; line && *line; line = next) {
    next = strchr (line, '\n');
    if (next) *next++ = '\0';
    if (!*line) continue;
    char *t1 = strchr (line, '\t');
    if (!t1) { why = "malformed manifest line"; goto out; }
    *t1 = '\0';
    char *v = t1 + 1;
    if (line[0] == '#') {
      const char *key = line + 1;
      if (strcmp (key, "format") == 0) {
        if (strcmp (v, "1") != 0) { why = "unknown manifest format"; goto out; }
        seen_format = 1;
      }
      else if (strcmp (key, "flavour") == 0) {
        if (strcmp (v, flavour) != 0) { why = "built for another flavour"; goto out; }
      }
      else if (strcmp (key, "builder") == 0) {
        if (strcmp (v, builder) != 0) { why = "built by another builder"; goto out; }
        seen_builder = 1;
      }
      else if (strcmp (key, "daemon") == 0) {
        if (strcmp (v, daemon) != 0) { why = "built with another daemon"; goto out; }
        seen_daemon = 1;
      }
      else if (strcmp (key, "kernel-env") == 0) {
        const char *k = getenv ("GUESTKIT_KERNEL");
        if (strcmp (v, k ? k : "") != 0) { why = "GUESTKIT_KERNEL changed"; goto out; }
      }
      /* Other keys are informational. */
      continue;
    }
    /* path \t size \t mtime */
    char *t2 = strchr (v, '\t');
    if (!t2) { why = "malformed manifest line"; goto out; }
    *t2 = '\0';
    const char *mt = t2 + 1;
    char *end;
    errno = 0;
    unsigned long long size = strtoull (v, &end, 10);
    long long sec; long nsec; int has_ns;
    if (errno || *end || end == v || parse_mtime (mt, &sec, &nsec, &has_ns) == -1) {
      why = "malformed manifest line"; goto out;
    }
    struct stat st;
    if (lstat (line, &st) == -1) { why = "an input is gone"; why_path = line; goto out; }
    if ((unsigned long long) st.st_size != size || (long long) st.st_mtim.tv_sec != sec
        || (has_ns && st.st_mtim.tv_nsec != nsec)) {
      why = "an input changed"; why_path = line; goto out;
    }
    nfiles++;
  }
  if (!seen_format || !seen_builder || !seen_daemon || nfiles == 0) {
    why = "incomplete manifest"; goto out;
  }
  /* The outputs themselves. */
  static const char *const outputs[] = { "kernel", "initrd" };
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
    char *p = path_join (dir, outputs[i]);
    struct stat st;
    int r = p ? stat (p, &st) : -1;
    free (p);
    if (r == -1 || !S_ISREG (st.st_mode)) { why = "kernel or initrd missing"; goto out; }
  }
  char *pp = path_join (dir, "pvh");
  if (!pp) goto out;
  *pvh_r = access (pp, F_OK) == 0;
  free (pp);
  ok = 1;

 out:
  if (!ok && why)
    gk_int_debug (g, "appliance: %s is not usable: %s%s%s", dir, why,
                  why_path ? ": " : "", why_path ? why_path : "");
  free (buf);
  free (mpath);
  return ok;
}

/* Open kernel, initrd and root of the appliance in DIR, all through one
 * descriptor of the directory, and check that DIR still names that
 * directory afterwards.  A published directory is never changed in
 * place (a rebuild swaps in a new one, then removes the old), so the
 * files are one complete appliance even while another process rebuilds;
 * the VM gets the descriptors, never the names.  1 on success, 0 if DIR
 * was replaced meanwhile (look again under the lock), -1 on error. */
static int
fill (gk_h *g, struct gk_int_appliance *ap, const char *dir)
{
  ap->dir = strdup (dir);
  ap->kernel = path_join (dir, "kernel");
  ap->initrd = path_join (dir, "initrd");
  ap->root = path_join (dir, "root");
  if (!ap->dir || !ap->kernel || !ap->initrd || !ap->root) {
    gk_int_appliance_free (ap);
    gk_int_perror (g, "malloc");
    return -1;
  }
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd == -1) { gk_int_appliance_free (ap); return 0; }
  ap->kernel_fd = openat (dfd, "kernel", O_RDONLY | O_CLOEXEC);
  ap->initrd_fd = openat (dfd, "initrd", O_RDONLY | O_CLOEXEC);
  ap->root_fd = openat (dfd, "root", O_RDONLY | O_CLOEXEC);
  ap->pvh = faccessat (dfd, "pvh", F_OK, 0) == 0;
  struct stat a, b;
  int same = fstat (dfd, &a) == 0 && stat (dir, &b) == 0
             && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  close (dfd);
  if (!same || ap->kernel_fd == -1 || ap->initrd_fd == -1) {
    gk_int_debug (g, "appliance: %s changed while it was being opened", dir);
    gk_int_appliance_free (ap);
    return 0;
  }
  if (ap->root_fd == -1) { free (ap->root); ap->root = NULL; }
  return 1;
}

/* Under the lock nobody replaces DIR: 0 means it is broken. */
static int
fill_locked (gk_h *g, struct gk_int_appliance *ap, const char *dir)
{
  int r = fill (g, ap, dir);
  if (r == 0)
    gk_int_error_errno (g, ENOENT, "appliance: %s: kernel or initrd cannot be opened", dir);
  return r == 1 ? 0 : -1;
}

/* Remove NAME (a file or a whole tree) relative to DIRFD, never
 * following symbolic links.  Best effort; returns -1 if anything stayed. */
static int
rm_rf_at (int dirfd, const char *name, int depth)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return -1;
  if (depth > 64) return -1;
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1) return -1;
  DIR *d = fdopendir (fd);
  if (!d) { close (fd); return -1; }
  int r = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) continue;
    if (rm_rf_at (fd, e->d_name, depth + 1) == -1) r = -1;
  }
  closedir (d);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT) r = -1;
  return r;
}

static void
rm_rf (gk_h *g, const char *path)
{
  if (rm_rf_at (AT_FDCWD, path, 0) == -1)
    gk_int_debug (g, "appliance: could not remove all of %s: %s", path, strerror (errno));
}

/* Under the lock: remove what a killed build left behind. */
static void
remove_leftovers (gk_h *g, const char *root, const char *flavour)
{
  char *tmp_prefix = NULL, *old_prefix = NULL;
  if (asprintf (&tmp_prefix, "tmp-%s.", flavour) == -1) return;
  if (asprintf (&old_prefix, "old-%s.", flavour) == -1) { free (tmp_prefix); return; }
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd == -1 ? NULL : fdopendir (fd);
  if (!d) { if (fd != -1) close (fd); free (tmp_prefix); free (old_prefix); return; }
  struct dirent *e;
  while ((e = readdir (d)) != NULL) {
    if (strncmp (e->d_name, tmp_prefix, strlen (tmp_prefix)) == 0
        || strncmp (e->d_name, old_prefix, strlen (old_prefix)) == 0) {
      gk_int_debug (g, "appliance: removing leftover %s/%s", root, e->d_name);
      rm_rf_at (fd, e->d_name, 0);
    }
  }
  closedir (d);
  free (tmp_prefix);
  free (old_prefix);
}

/* Keep the last ERR_TAIL bytes of the builder's output. */
struct tail { char buf[ERR_TAIL]; size_t len; int cut; };

static void
tail_add (struct tail *t, const char *s, size_t n)
{
  if (n >= sizeof t->buf) {
    memcpy (t->buf, s + n - sizeof t->buf, sizeof t->buf);
    t->len = sizeof t->buf; t->cut = 1;
    return;
  }
  if (t->len + n > sizeof t->buf) {
    size_t drop = t->len + n - sizeof t->buf;
    memmove (t->buf, t->buf + drop, t->len - drop);
    t->len -= drop; t->cut = 1;
  }
  memcpy (t->buf + t->len, s, n);
  t->len += n;
}

/* Run BUILDER (no shell) and wait for it.  Its stdout and stderr go to
 * the debug log and, on failure, into the error.  0 on success. */
static int
run_builder (gk_h *g, const char *builder, const char *flavour,
             const char *daemon, const char *outdir)
{
  char *const argv[] = {
    (char *) builder, (char *) "--flavour", (char *) flavour,
    (char *) "--daemon", (char *) daemon, (char *) "--outdir", (char *) outdir, NULL
  };
  gk_int_debug (g, "appliance: running %s --flavour %s --daemon %s --outdir %s",
                builder, flavour, daemon, outdir);
  /* None of the application's descriptors, blocked or ignored signals. */
  struct gk_int_spawn_cfg c = {
    .argv = argv, .path = builder,
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_PIPE }, { .how = GK_SPAWN_STDOUT } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    int r = errno;
    gk_int_error_errno (g, r, "cannot run the appliance builder %s: %s%s", builder,
                        strerror (r), r == EACCES ? " (is it executable?)" : "");
    return -1;
  }

  /* Read its output: the tail for errors, whole lines for the debug log. */
  struct tail t = { .len = 0 };
  char line[1024];
  size_t ll = 0;
  char buf[4096];
  for (;;) {
    ssize_t n = read (p.fd[1], buf, sizeof buf);
    if (n == -1) { if (errno == EINTR) continue; break; }
    if (n == 0) break;
    tail_add (&t, buf, (size_t) n);
    if (g->debug) {
      for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || ll == sizeof line - 1) {
          line[ll] = '\0';
          gk_int_debug (g, "appliance builder: %s", line);
          ll = 0;
          if (buf[i] == '\n') continue;
        }
        line[ll++] = buf[i];
      }
    }
  }
  if (g->debug && ll) { line[ll] = '\0'; gk_int_debug (g, "appliance builder: %s", line); }
  gk_int_proc_close (&p);

  int status = gk_int_proc_reap (&p);
  /* SIGCHLD ignored by the application: the child was reaped for us.
   * Its output is checked anyway, so carry on. */
  if (status == -1 && errno == ECHILD) return 0;
  if (status == -1) { gk_int_perror (g, "waitpid (appliance builder)"); return -1; }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0) return 0;

  /* The error: how it ended, then the end of its output. */
  char how[64];
  gk_int_proc_status_str (status, how, sizeof how);
  while (t.len && (t.buf[t.len - 1] == '\n' || t.buf[t.len - 1] == ' ')) t.len--;
  gk_int_error (g, "appliance builder %s failed (%s)%s%s%.*s", builder, how,
                t.len ? ": " : "", t.cut ? "..." : "", (int) t.len, t.buf);
  return -1;
}

/* Put NEWDIR in place of DIR atomically and remove the old appliance. */
static int
install (gk_h *g, const char *root, const char *flavour, const char *newdir, const char *dir)
{
#ifdef RENAME_EXCHANGE
  if (renameat2 (AT_FDCWD, newdir, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
    rm_rf (g, newdir);                  /* now the old appliance */
    return 0;
  }
#else
  errno = EINVAL;
#endif
  if (errno == ENOENT) {                /* no old appliance */
    if (rename (newdir, dir) == 0) return 0;
    gk_int_perror (g, "rename %s to %s", newdir, dir);
    return -1;
  }
  /* No RENAME_EXCHANGE here (or DIR is not a directory): move the old
   * one away first.  Readers in between find no manifest and wait for
   * the lock. */
  char *old = NULL;
  if (asprintf (&old, "%s/old-%s.XXXXXX", root, flavour) == -1 || !mkdtemp (old)) {
    gk_int_perror (g, "mkdtemp %s/old-%s.XXXXXX", root, flavour);
    free (old);
    return -1;
  }
  if (rename (dir, old) == -1 && errno != ENOENT) {
    gk_int_perror (g, "rename %s to %s", dir, old);
    rm_rf (g, old);
    free (old);
    return -1;
  }
  if (rename (newdir, dir) == -1) {
    gk_int_perror (g, "rename %s to %s", newdir, dir);
    free (old);
    return -1;
  }
  rm_rf (g, old);
  free (old);
  return 0;
}

int
gk_int_appliance_get (gk_h *g, const char *flavour, struct gk_int_appliance *ap)
{
  int ret = -1, lockfd = -1, pvh = 0;
  char *daemon = NULL, *builder = NULL, *root = NULL, *dir = NULL;
  char *lockpath = NULL, *tmpdir = NULL;

  memset (ap, 0, sizeof *ap);
  ap->kernel_fd = ap->initrd_fd = ap->root_fd = -1;
  if (!valid_flavour (flavour)) {
    gk_int_error (g, "appliance: invalid flavour '%s'", flavour ? flavour : "(null)");
    return -1;
  }
  const char *d0 = gk_int_daemon_path (), *b0 = gk_int_builder_path ();
  if (!(daemon = realpath (d0, NULL))) {
    gk_int_perror (g, "the guestkit daemon %s (GUESTKIT_DAEMON)", d0);
    goto out;
  }
  if (!(builder = realpath (b0, NULL))) {
    gk_int_perror (g, "the appliance builder %s (GUESTKIT_APPLIANCE_BUILDER)", b0);
    goto out;
  }
  if (!(root = cache_root (g))) goto out;
  if (asprintf (&dir, "%s/appliance-%s", root, flavour) == -1) {
    dir = NULL; gk_int_perror (g, "malloc"); goto out;
  }

  /* Fast path. */
  if (appliance_fresh (g, dir, flavour, daemon, builder, &pvh)) {
    int r = fill (g, ap, dir);
    if (r != 0) { ret = r == 1 ? 0 : -1; goto out; }
  }

  /* Slow path: lock, look again, build. */
  if (asprintf (&lockpath, "%s/lock-%s", root, flavour) == -1) {
    lockpath = NULL; gk_int_perror (g, "malloc"); goto out;
  }
  lockfd = open (lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lockfd == -1) { gk_int_perror (g, "open %s", lockpath); goto out; }
  while (flock (lockfd, LOCK_EX) == -1) {
    if (errno != EINTR) { gk_int_perror (g, "flock %s", lockpath); goto out; }
  }
  if (appliance_fresh (g, dir, flavour, daemon, builder, &pvh)) {
    gk_int_debug (g, "appliance: %s was built by another process", dir);
    ret = fill_locked (g, ap, dir);
    goto out;
  }
  remove_leftovers (g, root, flavour);

  if (asprintf (&tmpdir, "%s/tmp-%s.XXXXXX", root, flavour) == -1) {
    tmpdir = NULL; gk_int_perror (g, "malloc"); goto out;
  }
  if (!mkdtemp (tmpdir)) {
    gk_int_perror (g, "cannot create a temporary directory %s", tmpdir);
    free (tmpdir); tmpdir = NULL;
    goto out;
  }
  if (run_builder (g, builder, flavour, daemon, tmpdir) == -1) goto out;
  if (!appliance_fresh (g, tmpdir, flavour, daemon, builder, &pvh)) {
    gk_int_error (g, "appliance builder %s produced an incomplete or already out-of-date "
                  "appliance in %s (did an input change during the build? "
                  "GUESTKIT_DEBUG=1 says which)", builder, tmpdir);
    goto out;
  }
  if (install (g, root, flavour, tmpdir, dir) == -1) goto out;
  free (tmpdir); tmpdir = NULL;
  ret = fill_locked (g, ap, dir);

 out:
  if (tmpdir) { rm_rf (g, tmpdir); free (tmpdir); }
  if (lockfd != -1) close (lockfd);     /* releases the lock */
  free (lockpath);
  free (dir);
  free (root);
  free (builder);
  free (daemon);
  return ret;
}

void
gk_int_appliance_free (struct gk_int_appliance *ap)
{
  if (!ap) return;
  free (ap->dir);
  free (ap->kernel);
  free (ap->initrd);
  free (ap->root);
  ap->dir = ap->kernel = ap->initrd = ap->root = NULL;
  ap->pvh = 0;
  int *fds[] = { &ap->kernel_fd, &ap->initrd_fd, &ap->root_fd };
  for (size_t i = 0; i < 3; i++) {
    if (*fds[i] >= 0) close (*fds[i]);
    *fds[i] = -1;
  }
}

/* The marker holds the boot id: KVM that failed once on this boot will
 * fail again, but a reboot (new kernel, new module options) may fix it. */
static int
boot_id (char buf[64])
{
  if (gk_int_read_small ("/proc/sys/kernel/random/boot_id", buf, 64) <= 0) return -1;
  buf[strcspn (buf, "\n")] = '\0';
  return 0;
}

int
gk_int_kvm_known_broken (gk_h *g)
{
  char id[64], seen[64];
  char *root = cache_root (g);
  int r = 0;
  if (!root) return 0;          /* no cache: just try KVM */
  int dfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free (root);
  if (dfd == -1) return 0;
  int fd = openat (dfd, "kvm-broken", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  close (dfd);
  if (fd == -1) return 0;
  ssize_t n = gk_int_read_full (fd, seen, sizeof seen - 1);
  close (fd);
  if (n > 0 && boot_id (id) == 0) {
    seen[n] = '\0';
    seen[strcspn (seen, "\n")] = '\0';
    r = strcmp (id, seen) == 0;
  }
  return r;
}

void
gk_int_kvm_mark_broken (gk_h *g)
{
  char id[64];
  char *root = cache_root (g);
  if (!root || boot_id (id) == -1) { free (root); return; }
  int dfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free (root);
  if (dfd == -1) return;
  /* Written whole under a temporary name, then renamed: a concurrent
   * reader sees the old marker or the new one. */
  char tmp[64];
  snprintf (tmp, sizeof tmp, "kvm-broken.%d", (int) getpid ());
  int fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    size_t len = strlen (id);
    id[len++] = '\n';
    int ok = gk_int_write_full (fd, id, len) == 0;
    close (fd);
    if (!ok || renameat (dfd, tmp, dfd, "kvm-broken") == -1) unlinkat (dfd, tmp, 0);
  }
  close (dfd);
}
