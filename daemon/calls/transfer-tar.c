/* guestkitd: tar-in and tar-out, streamed through the appliance's GNU tar
 * (gzip and xz for compression).
 *
 * tar-in must write nothing outside DIRECTORY, whatever the guest holds
 * there.  GNU tar's defaults handle the archive: a leading "/" is
 * stripped from member names, members whose name contains ".." are
 * refused, and symbolic links the archive makes are created last.  But
 * tar follows symbolic links the GUEST already has: with d/x -> /tmp, a
 * member x/pwned would land in the appliance's /tmp (or /run, /dev,
 * another mount).  So the tar child runs in a private mount namespace
 * where DIRECTORY is bind-mounted (with what is mounted below it) onto
 * itself with MOUNT_ATTR_NOSYMFOLLOW: the kernel then refuses to follow
 * any symbolic link on the way to a member (ELOOP, tar names the
 * member and the call fails), however it got there, with no userspace
 * check that could be raced or forgotten.  The directory itself is
 * resolved inside the guest root first.  See daemon/README.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "daemon.h"
#include "actions.h"
#include "proto.h"

#define ERR_MAX 2000

/* The tar option for COMPRESS (none, gzip, xz); -1 + error if bad. */
static int
compress_flag (const char *compress, const char **flag)
{
  *flag = NULL;
  if (!(gk_int_optargs_bitmask & 1) || !compress || strcmp (compress, "none") == 0) return 0;
  /* By absolute path: under the appliance's busybox sh, a bare "xz" is
   * busybox's, which cannot compress. */
  if (strcmp (compress, "gzip") == 0) *flag = "--use-compress-program=/usr/bin/gzip";
  else if (strcmp (compress, "xz") == 0) *flag = "--use-compress-program=/usr/bin/xz";
  else return gk_int_err (EINVAL, "compress: '%s' is not none, gzip or xz", compress);
  return 0;
}

/* The sysroot path of DIR, which must be a directory. */
static char *
target_dir (const char *dir)
{
  char *p = gk_int_sysroot_path (dir);
  if (!p) { gk_int_perr ("%s", dir); return NULL; }
  struct stat st;
  if (stat (p, &st) == -1) { gk_int_perr ("%s", dir); free (p); return NULL; }
  if (!S_ISDIR (st.st_mode)) {
    gk_int_err (ENOTDIR, "%s: %s", dir, strerror (ENOTDIR));
    free (p);
    return NULL;
  }
  return p;
}

struct tar {
  pid_t pid;
  int fd;               /* our end: tar's stdin (in) or stdout (out) */
  int err;              /* memfd with tar's stderr */
};

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

/* In the tar child of tar-in (gk_int_child.setup, after vfork: system
 * calls only): make DIR (and the mounts below it) a mount of its own
 * where no symbolic link is followed, visible only to this process, and
 * go there.  0, or -1 with errno and *WHAT the step that failed. */
static int
confine (void *dir_arg, const char **what)
{
  const char *dir = dir_arg;
  *what = "confining the extraction (unshare)";
  if (unshare (CLONE_NEWNS) == -1) return -1;
  *what = "confining the extraction (making mounts private)";
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) return -1;
  *what = "confining the extraction (bind mount)";
  if (mount (dir, dir, NULL, MS_BIND | MS_REC, NULL) == -1) return -1;
  *what = "confining the extraction (nosymfollow)";
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSYMFOLLOW };
  if (mount_setattr (AT_FDCWD, dir, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW,
                     &attr, sizeof attr) == -1) return -1;
  *what = "confining the extraction (chdir)";
  return chdir (dir);
}

/* Start tar with ARGV; its stdin (TO_TAR) or stdout is a pipe to us.
 * CONFINE_DIR: tar-in's target, see confine(). */
static int
tar_start (struct tar *t, const char *const *argv, int to_tar,
           char *confine_dir)
{
  int p[2];
  t->pid = -1;
  t->fd = -1;
  t->err = memfd_create ("tar-stderr", MFD_CLOEXEC);
  if (t->err == -1) return gk_int_perr ("tar: memfd");
  /* GNU tar (its safety defaults matter) and the host's gzip and xz,
   * never busybox's. */
  char **env = gk_int_env_with_path ("/usr/bin:/usr/sbin:/bin:/sbin");
  if (!env) { close (t->err); return gk_int_err (ENOMEM, "out of memory"); }
  if (pipe2 (p, O_CLOEXEC) == -1) {
    gk_int_env_free (env);
    close (t->err);
    return gk_int_perr ("tar: pipe");
  }
  t->pid = gk_int_spawn (&(struct gk_int_child) {
      .argv = argv, .file = "/usr/bin/tar", .envp = env,
      .fd = { to_tar ? p[0] : -1, to_tar ? -1 : p[1], t->err },
      .setup = confine_dir ? confine : NULL, .setup_arg = confine_dir });
  gk_int_env_free (env);
  close (to_tar ? p[0] : p[1]);
  if (t->pid == -1) {
    close (to_tar ? p[1] : p[0]);
    close (t->err);
    return -1;
  }
  t->fd = to_tar ? p[1] : p[0];
  return 0;
}

/* Wait for tar; -1 + error (its stderr) unless it exited with 0. */
static int
tar_finish (struct tar *t, const char *what)
{
  if (t->fd >= 0) { close (t->fd); t->fd = -1; }
  int st = gk_int_reap (t->pid);
  int ok = st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == 0;
  if (!ok && !gk_int_err_isset ()) {
    char msg[ERR_MAX + 1];
    ssize_t n = pread (t->err, msg, ERR_MAX, 0);
    msg[n > 0 ? n : 0] = '\0';
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = '\0';
    gk_int_err (EIO, "%s: tar failed: %s", what,
                *msg ? msg : WIFSIGNALED (st) ? "killed by a signal" : "no message");
  }
  close (t->err);
  return ok ? 0 : -1;
}

struct feed { int fd; const char *dir; };

static int
feed (void *opaque, const char *buf, size_t n)
{
  struct feed *f = opaque;
  gk_int_xfer.bytes += n;
  while (n > 0) {
    ssize_t w = write (f->fd, buf, n);
    if (w == -1 && errno == EINTR) continue;
    if (w == -1) {
      /* tar stopped reading: it failed, and says why when reaped. */
      return errno == EPIPE ? -1 : gk_int_perr ("%s: writing to tar", f->dir);
    }
    buf += w;
    n -= (size_t) w;
  }
  return 0;
}

#define MAX_EXCLUDES 256

/* Append GNU tar's options for the metadata optional arguments that are
 * set and true (BITS: the calls' GK_*_XATTRS, _SELINUX, _ACLS). */
static size_t
meta_flags (const char **argv, size_t n, const uint64_t bits[3],
            int xattrs, int selinux, int acls)
{
  if ((gk_int_optargs_bitmask & bits[0]) && xattrs) argv[n++] = "--xattrs";
  if ((gk_int_optargs_bitmask & bits[1]) && selinux) argv[n++] = "--selinux";
  if ((gk_int_optargs_bitmask & bits[2]) && acls) argv[n++] = "--acls";
  return n;
}

int
do_tar_in (const char *directory, const char *compress, int xattrs, int selinux,
           int acls)
{
  const char *z;
  if (compress_flag (compress, &z) == -1) return -1;
  char *dir = target_dir (directory);
  if (!dir) return -1;
  /* "-C ." : the confined child is already in DIR (its bind mount). */
  const char *argv[16] = { "tar", "-x", "-f", "-", "-C", ".", "--no-overwrite-dir" };
  size_t n = meta_flags (argv, 7, (const uint64_t[3]) { GK_TAR_IN_XATTRS,
                         GK_TAR_IN_SELINUX, GK_TAR_IN_ACLS }, xattrs, selinux, acls);
  argv[n++] = z;
  argv[n] = NULL;
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  sigaction (SIGPIPE, &ign, &old);
  struct tar t;
  int r = tar_start (&t, argv, 1, dir);
  if (r == 0) {
    struct feed f = { t.fd, directory };
    r = gk_int_recv_stream (feed, &f);
    if (r == -1 && gk_int_cur.cancelled) kill (t.pid, SIGKILL);
    int e = gk_int_err_isset ();
    /* tar's own error (bad archive, refused member) wins over the
     * stream's "stopped reading". */
    if (tar_finish (&t, directory) == -1 || (r == -1 && e)) r = -1;
  }
  sigaction (SIGPIPE, &old, NULL);
  free (dir);
  return r;
}

/* tar-out's argument vector (malloc'd, with the --exclude= words in
 * *EXCL_WORDS to free), or NULL + error. */
static const char **
out_argv (const char *dir, const char *z, int numericowner, char *const *excludes,
          int xattrs, int selinux, int acls, char ***excl_words)
{
  uint64_t bm = gk_int_optargs_bitmask;
  char *const *excl = (bm & GK_TAR_OUT_EXCLUDES) ? excludes : NULL;
  size_t ne = excl ? gk_int_count_strings (excl) : 0;
  *excl_words = NULL;
  if (ne > MAX_EXCLUDES) {
    gk_int_err (E2BIG, "excludes: %zu wildcards (at most %d)", ne, MAX_EXCLUDES);
    return NULL;
  }
  const char **argv = calloc (16 + ne, sizeof *argv);
  char **words = calloc (ne + 1, sizeof *words);
  if (!argv || !words) goto nomem;
  size_t n = 0;
  argv[n++] = "tar";
  argv[n++] = "-c";
  argv[n++] = "-f";
  argv[n++] = "-";
  if ((bm & GK_TAR_OUT_NUMERICOWNER) && numericowner) argv[n++] = "--numeric-owner";
  n = meta_flags (argv, n, (const uint64_t[3]) { GK_TAR_OUT_XATTRS,
                  GK_TAR_OUT_SELINUX, GK_TAR_OUT_ACLS }, xattrs, selinux, acls);
  if (z) argv[n++] = z;
  /* One word each ("--exclude=W"): a wildcard starting with "-" stays a
   * wildcard, never an option. */
  for (size_t i = 0; i < ne; i++) {
    if (asprintf (&words[i], "--exclude=%s", excl[i]) == -1) {
      words[i] = NULL;
      goto nomem;
    }
    argv[n++] = words[i];
  }
  argv[n++] = "-C";
  argv[n++] = dir;
  argv[n++] = ".";
  argv[n] = NULL;
  *excl_words = words;
  return argv;

 nomem:
  gk_int_free_strings (words);
  free (argv);
  gk_int_err (ENOMEM, "out of memory");
  return NULL;
}

int
do_tar_out (const char *directory, const char *compress, int numericowner,
            char *const *excludes, int xattrs, int selinux, int acls)
{
  const char *z;
  if (compress_flag (compress, &z) == -1) return -1;
  char *dir = target_dir (directory);
  if (!dir) return -1;
  char **words;
  const char **argv = out_argv (dir, z, numericowner, excludes, xattrs, selinux, acls,
                                &words);
  if (!argv) { free (dir); return -1; }
  struct tar t;
  int started = tar_start (&t, argv, 0, NULL);
  free (argv);
  gk_int_free_strings (words);
  free (dir);
  if (started == -1) return -1;
  size_t csz;
  char *buf = gk_int_chunk_buffer (&csz);
  int r = buf ? 0 : gk_int_err (ENOMEM, "out of memory");
  uint64_t done = 0;
  while (r == 0) {
    size_t got = 0;
    while (got < csz) {
      ssize_t n = read (t.fd, buf + got, csz - got);
      if (n == -1 && errno == EINTR) continue;
      if (n == -1) { r = gk_int_perr ("%s: reading from tar", directory); break; }
      if (n == 0) break;
      got += (size_t) n;
    }
    if (r == -1 || got == 0) break;
    if (gk_int_send_chunk (buf, got) == -1) { r = -1; kill (t.pid, SIGKILL); break; }
    done += got;
    gk_int_xfer.bytes = done;
    gk_int_progress (done, 0);
  }
  if (tar_finish (&t, directory) == -1) r = -1;
  gk_int_send_end (r == 0);
  return r;
}
