/* guestkit: copy-in and copy-out, recursive copies between a local path
 * and a guest directory, as tar streams through tar-in / tar-out.
 * copy-in archives with the host's GNU tar.  copy-out extracts with
 * libarchive, in a thread reading the tar-out stream: the archive comes
 * from the guest and is hostile, so only regular files, directories and
 * symbolic links are created, never through a symbolic link, never
 * outside the target, without owners or setuid/setgid/sticky bits (even
 * as root), and the target directory itself is left as it was.
 * Also tgz-in, txz-in, tgz-out and txz-out: tar-in / tar-out with a
 * compression. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <archive.h>
#include <archive_entry.h>
#include "internal.h"
#include "hostspawn.h"

struct host_tar { struct gk_int_proc p; int fd, err; };

/* Start the host's tar with ARGV, its stdout (TO_US) or stdin a pipe
 * whose other end is returned in t->fd, its stderr into a memfd. */
static int
host_tar_start (gk_h *g, const char *call, struct host_tar *t, char *const *argv, int to_us)
{
  t->err = memfd_create ("gk-tar-stderr", MFD_CLOEXEC);
  if (t->err == -1) { gk_int_perror (g, "%s: memfd", call); return -1; }
  struct gk_int_spawn_cfg c = {
    .argv = argv,
    .io = { { .how = to_us ? GK_SPAWN_NULL : GK_SPAWN_PIPE },
            { .how = to_us ? GK_SPAWN_PIPE : GK_SPAWN_NULL },
            { .how = GK_SPAWN_FD, .fd = t->err } },
  };
  if (gk_int_proc_start (&c, &t->p) == -1) {
    gk_int_perror (g, "%s: cannot run the local tar", call);
    close (t->err);
    return -1;
  }
  t->fd = t->p.fd[to_us ? 1 : 0];
  return 0;
}

/* Reap tar; unless it exited 0 set the error from its stderr (when OK
 * is set, i.e. nothing else failed first). */
static int
host_tar_finish (gk_h *g, const char *call, struct host_tar *t, int ok)
{
  if (t->fd >= 0) close (t->fd);
  t->fd = -1;
  int st = gk_int_proc_reap (&t->p);
  int good = st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == 0;
  if (!good && ok) {
    char msg[1024];
    ssize_t n = pread (t->err, msg, sizeof msg - 1, 0);
    msg[n > 0 ? n : 0] = '\0';
    while (n > 0 && msg[n - 1] == '\n') msg[--n] = '\0';
    gk_int_error_errno (g, EIO, "%s: local tar failed: %s", call, *msg ? msg : "no message");
  }
  close (t->err);
  return good ? 0 : -1;
}

int
gk_int_local_copy_in (gk_h *g, const char *localpath, const char *remotedir)
{
  struct stat st;
  if (stat (localpath, &st) == -1) { gk_int_perror (g, "copy-in: %s", localpath); return -1; }
  char *d = strdup (localpath), *b = strdup (localpath);
  if (!d || !b) {
    free (d); free (b);
    gk_int_error_errno (g, ENOMEM, "copy-in: out of memory");
    return -1;
  }
  char *argv[] = { "tar", "-c", "-f", "-", "-C", dirname (d), "--", basename (b), NULL };
  struct host_tar t;
  int r = host_tar_start (g, "copy-in", &t, argv, 1);
  if (r == 0) {
    char src[64];
    snprintf (src, sizeof src, "/proc/self/fd/%d", t.fd);
    r = gk_tar_in (g, src, remotedir, NULL);
    if (r == -1) gk_int_proc_kill (&t.p, SIGKILL);
    if (host_tar_finish (g, "copy-in", &t, r == 0) == -1) r = -1;
  }
  free (d);
  free (b);
  return r;
}

/* --- copy-out: extraction of the guest's archive --- */

struct untar {
  gk_h *g;
  struct archive *in, *out;
  const char *dest;             /* real path of the target directory */
  int fd;                       /* the read end of the stream */
  int err;                      /* errno of the first failure, or 0 */
  char msg[768];                /* ... and its message */
  unsigned skipped, refused;
};

/* A name from the archive made printable (guest text). */
static void
printable (char *out, size_t n, const char *s)
{
  size_t j = 0;
  for (; s && *s && j + 1 < n; s++)
    out[j++] = (unsigned char) *s < 32 || *s == 127 ? '?' : *s;
  out[j] = '\0';
}

/* NAME without leading "./" and "/"; NULL if it has a ".." component. */
static const char *
inner_name (const char *name)
{
  for (;;) {
    if (name[0] == '.' && name[1] == '/') name += 2;
    else if (name[0] == '/') name++;
    else break;
  }
  for (const char *p = name; *p; ) {
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') return NULL;
    p += n;
    while (*p == '/') p++;
  }
  return name;
}

static void
untar_fail (struct untar *u, int err, const char *fmt, const char *a, const char *b)
{
  if (u->err) return;
  u->err = err ? err : EIO;
  snprintf (u->msg, sizeof u->msg, fmt, a, b);
}

static const char *
kind (mode_t t)
{
  return t == AE_IFCHR ? "character device" : t == AE_IFBLK ? "block device"
    : t == AE_IFIFO ? "FIFO" : t == AE_IFSOCK ? "socket" : "special file";
}

/* One entry: check it, put it under the target, write it. */
static void
untar_entry (struct untar *u, struct archive_entry *e)
{
  char shown[256], *path = NULL, *link = NULL;
  printable (shown, sizeof shown, archive_entry_pathname (e));
  const char *name = inner_name (archive_entry_pathname (e) ? archive_entry_pathname (e) : "");
  const char *hard = archive_entry_hardlink (e);
  mode_t type = archive_entry_filetype (e);
  if (name && !*name) return;   /* the directory itself: leave it as it is */
  if (!hard && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
    gk_int_debug (u->g, "copy-out: skipped %s (a %s)", shown, kind (type));
    u->skipped++;
    return;
  }
  const char *hname = hard ? inner_name (hard) : NULL;
  if (!name || (hard && (!hname || !*hname))) {
    gk_int_debug (u->g, "copy-out: refused %s (a name or link leaving the target)", shown);
    u->refused++;
    untar_fail (u, EPERM, "%s: refused (its name or hard link leaves the target)%s", shown, "");
    return;
  }
  if (asprintf (&path, "%s/%s", u->dest, name) == -1
      || (hard && asprintf (&link, "%s/%s", u->dest, hname) == -1)) {
    free (path);
    untar_fail (u, ENOMEM, "out of memory%s%s", "", "");
    return;
  }
  archive_entry_set_pathname (e, path);
  if (hard) archive_entry_set_hardlink (e, link);
  archive_entry_set_perm (e, archive_entry_perm (e) & 0777);
  archive_entry_set_uid (e, getuid ());
  archive_entry_set_gid (e, getgid ());
  int r = archive_write_header (u->out, e);
  if (r >= ARCHIVE_WARN && archive_entry_size (e) > 0 && type == AE_IFREG) {
    const void *buf;
    size_t size;
    la_int64_t off;
    while ((r = archive_read_data_block (u->in, &buf, &size, &off)) == ARCHIVE_OK)
      if (archive_write_data_block (u->out, buf, size, off) < ARCHIVE_WARN) {
        r = ARCHIVE_FATAL;
        untar_fail (u, archive_errno (u->out), "%s: %s", shown, archive_error_string (u->out));
        break;
      }
    if (r == ARCHIVE_EOF) r = ARCHIVE_OK;
    else if (r < ARCHIVE_WARN)
      untar_fail (u, archive_errno (u->in), "%s: %s", shown, archive_error_string (u->in));
  }
  else if (r < ARCHIVE_WARN) {
    /* libarchive's own checks (a symbolic link on the way...) */
    gk_int_debug (u->g, "copy-out: refused %s: %s", shown, archive_error_string (u->out));
    u->refused++;
    untar_fail (u, archive_errno (u->out) > 0 ? archive_errno (u->out) : EPERM, "%s: %s",
                shown, archive_error_string (u->out));
  }
  if (archive_write_finish_entry (u->out) < ARCHIVE_WARN)
    untar_fail (u, archive_errno (u->out), "%s: %s", shown, archive_error_string (u->out));
  free (path);
  free (link);
}

static void *
untar_main (void *arg)
{
  struct untar *u = arg;
  struct archive_entry *e;
  int r = ARCHIVE_FATAL;
  if (archive_read_open_fd (u->in, u->fd, 65536) != ARCHIVE_OK)
    untar_fail (u, archive_errno (u->in), "%s%s", archive_error_string (u->in), "");
  else
    while ((r = archive_read_next_header (u->in, &e)) != ARCHIVE_EOF) {
      if (r < ARCHIVE_WARN) {
        untar_fail (u, archive_errno (u->in), "reading the archive: %s%s",
                    archive_error_string (u->in), "");
        break;
      }
      untar_entry (u, e);
      if (u->err && u->err != EPERM) break;
    }
  /* At the end-of-archive marker the stream may go on (tar pads to its
   * record size): read it out, so the writer is not failed with EPIPE for
   * padding that had not arrived yet (a race a slow channel lost). */
  if (r == ARCHIVE_EOF) {
    char pad[4096];
    ssize_t n;
    while ((n = read (u->fd, pad, sizeof pad)) > 0 || (n == -1 && errno == EINTR))
      ;
  }
  /* Our end of the pipe goes: a writer still sending gets EPIPE. */
  close (u->fd);
  u->fd = -1;
  return NULL;
}

/* Start extracting the tar stream read from FD under DEST (an existing
 * directory) in a thread.  FD is closed by the thread when it stops
 * reading.  NULL on error (set; FD closed). */
static struct untar *
untar_start (gk_h *g, const char *call, int fd, const char *dest, pthread_t *thread)
{
  struct untar *u = calloc (1, sizeof *u);
  char *real = realpath (dest, NULL);
  if (!u || !real) {
    gk_int_perror (g, "%s: %s", call, dest);
    free (u); free (real); close (fd);
    return NULL;
  }
  u->g = g;
  u->fd = fd;
  u->dest = real;
  u->in = archive_read_new ();
  u->out = archive_write_disk_new ();
  if (u->in && u->out) {
    archive_read_support_format_tar (u->in);
    archive_read_support_format_gnutar (u->in);
    /* No ARCHIVE_EXTRACT_PERM, _OWNER, _XATTR, _ACL, _FFLAGS: nothing of
     * the guest's ownership or special bits reaches the host. */
    archive_write_disk_set_options (u->out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS
                                    | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    if (pthread_create (thread, NULL, untar_main, u) == 0) return u;
  }
  if (u->in) archive_read_free (u->in);
  if (u->out) archive_write_free (u->out);
  free (real); free (u); close (fd);
  gk_int_error_errno (g, ENOMEM, "%s: out of memory", call);
  return NULL;
}

/* Wait for the extraction; unless it went well set the error (when OK,
 * i.e. nothing else failed first).  Frees U. */
static int
untar_finish (gk_h *g, const char *call, struct untar *u, pthread_t thread, int ok)
{
  pthread_join (thread, NULL);
  int r = u->err ? -1 : 0;
  if (u->err && ok)
    gk_int_error_errno (g, u->err, "%s: extracting into %s: %s%s", call, u->dest, u->msg,
                        u->refused > 1 ? " (and more members refused)" : "");
  if (u->skipped)
    gk_int_debug (g, "%s: %u special files (devices, FIFOs, sockets) not created", call,
                  u->skipped);
  archive_read_free (u->in);
  archive_write_free (u->out);
  free ((char *) u->dest);
  free (u);
  return r;
}

/* Extract the tar archive read from FD under DEST, as copy-out does.
 * Internal, for the tests. */
GK_API int
gk_int_untar_fd (gk_h *g, int fd, const char *dest)
{
  pthread_t t;
  struct untar *u = untar_start (g, "untar", fd, dest, &t);
  return u ? untar_finish (g, "untar", u, t, 1) : -1;
}

int
gk_int_local_copy_out (gk_h *g, const char *remotepath, const char *localdir)
{
  struct stat st;
  if (stat (localdir, &st) == -1) { gk_int_perror (g, "copy-out: %s", localdir); return -1; }
  if (!S_ISDIR (st.st_mode)) {
    gk_int_error_errno (g, ENOTDIR, "copy-out: %s: %s", localdir, strerror (ENOTDIR));
    return -1;
  }
  int isdir = gk_is_dir (g, remotepath, NULL);
  if (isdir == -1) return -1;
  char *b = strdup (remotepath), *dest = NULL;
  const char *base = b ? basename (b) : NULL;
  if (!base || !*base || strcmp (base, "/") == 0) base = "";
  if (!b || asprintf (&dest, "%s/%s", localdir, base) == -1) {
    free (b);
    gk_int_error_errno (g, ENOMEM, "copy-out: out of memory");
    return -1;
  }
  int r;
  if (!isdir) r = gk_download (g, remotepath, dest, NULL);
  else if (mkdir (dest, 0755) == -1 && errno != EEXIST) {
    gk_int_perror (g, "copy-out: %s", dest);
    r = -1;
  }
  else {
    int p[2];
    pthread_t t;
    struct untar *u = NULL;
    if (pipe2 (p, O_CLOEXEC) == -1) gk_int_perror (g, "copy-out: pipe");
    else if (!(u = untar_start (g, "copy-out", p[0], dest, &t))) close (p[1]);
    r = -1;
    if (u) {
      char out[64];
      snprintf (out, sizeof out, "/proc/self/fd/%d", p[1]);
      /* tar-out writes the pipe (an extraction that stops reading makes
       * it fail with EPIPE, never SIGPIPE). */
      r = gk_tar_out (g, remotepath, out, NULL);
      close (p[1]);
      /* The extraction's own error explains an EPIPE. */
      if (untar_finish (g, "copy-out", u, t, r == 0 || gk_last_errno (g) == EPIPE) == -1) r = -1;
    }
  }
  free (b);
  free (dest);
  return r;
}

/* --- tgz-in, txz-in, tgz-out, txz-out: tar-in / tar-out compressed --- */

int
gk_int_local_tgz_in (gk_h *g, const char *tarball, const char *directory)
{
  struct gk_tar_in_opts o = { .bitmask = GK_TAR_IN_COMPRESS, .compress = "gzip" };
  return gk_tar_in (g, tarball, directory, &o);
}

int
gk_int_local_txz_in (gk_h *g, const char *tarball, const char *directory)
{
  struct gk_tar_in_opts o = { .bitmask = GK_TAR_IN_COMPRESS, .compress = "xz" };
  return gk_tar_in (g, tarball, directory, &o);
}

int
gk_int_local_tgz_out (gk_h *g, const char *directory, const char *tarball)
{
  struct gk_tar_out_opts o = { .bitmask = GK_TAR_OUT_COMPRESS, .compress = "gzip" };
  return gk_tar_out (g, directory, tarball, &o);
}

int
gk_int_local_txz_out (gk_h *g, const char *directory, const char *tarball)
{
  struct gk_tar_out_opts o = { .bitmask = GK_TAR_OUT_COMPRESS, .compress = "xz" };
  return gk_tar_out (g, directory, tarball, &o);
}
