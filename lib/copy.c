/* guestkit: copy-in and copy-out, recursive copies between a local path
 * and a guest directory, as tar streams through tar-in / tar-out and the
 * host's GNU tar.  The archive from the guest is untrusted: the host tar
 * extracts it with its safety defaults (no leading "/", no "..", links
 * created last) and without taking owners or modes from it. */
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
#include "internal.h"

struct host_tar { pid_t pid; int fd, err; };

/* Start the host's tar with ARGV, its stdout (TO_US) or stdin a pipe
 * whose other end is returned in t->fd. */
static int
host_tar_start (gk_h *g, const char *call, struct host_tar *t, char *const *argv, int to_us)
{
  int p[2];
  t->err = memfd_create ("gk-tar-stderr", MFD_CLOEXEC);
  if (t->err == -1) { gk_int_perror (g, "%s: memfd", call); return -1; }
  if (pipe2 (p, O_CLOEXEC) == -1) { gk_int_perror (g, "%s: pipe", call); close (t->err); return -1; }
  t->pid = fork ();
  if (t->pid == -1) {
    gk_int_perror (g, "%s: fork", call);
    close (p[0]); close (p[1]); close (t->err);
    return -1;
  }
  if (t->pid == 0) {
    signal (SIGPIPE, SIG_DFL);
    int null = open ("/dev/null", O_RDWR);
    if (dup2 (to_us ? null : p[0], 0) == -1 || dup2 (to_us ? p[1] : null, 1) == -1
        || dup2 (t->err, 2) == -1)
      _exit (126);
    execvp ("tar", argv);
    dprintf (2, "tar: %s", strerror (errno));
    _exit (127);
  }
  t->fd = to_us ? p[0] : p[1];
  close (to_us ? p[1] : p[0]);
  return 0;
}

/* Reap tar; unless it exited 0 set the error from its stderr (when OK
 * is set, i.e. nothing else failed first). */
static int
host_tar_finish (gk_h *g, const char *call, struct host_tar *t, int ok)
{
  if (t->fd >= 0) close (t->fd);
  t->fd = -1;
  int st = 0;
  while (waitpid (t->pid, &st, 0) == -1 && errno == EINTR) ;
  int good = WIFEXITED (st) && WEXITSTATUS (st) == 0;
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

GK_API int
gk_copy_in (gk_h *g, const char *localpath, const char *remotedir)
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
    if (r == -1) kill (t.pid, SIGKILL);
    if (host_tar_finish (g, "copy-in", &t, r == 0) == -1) r = -1;
  }
  free (d);
  free (b);
  return r;
}

GK_API int
gk_copy_out (gk_h *g, const char *remotepath, const char *localdir)
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
    char *argv[] = { "tar", "-x", "-f", "-", "-C", dest, "--no-same-owner",
                     "--no-same-permissions", NULL };
    struct host_tar t;
    r = host_tar_start (g, "copy-out", &t, argv, 0);
    if (r == 0) {
      char out[64];
      snprintf (out, sizeof out, "/proc/self/fd/%d", t.fd);
      /* If the local tar dies, our writes to its pipe must fail with
       * EPIPE, not kill the program with SIGPIPE. */
      sigset_t pipe_set, old;
      sigemptyset (&pipe_set);
      sigaddset (&pipe_set, SIGPIPE);
      pthread_sigmask (SIG_BLOCK, &pipe_set, &old);
      r = gk_tar_out (g, remotepath, out, NULL);
      struct timespec zero = { 0, 0 };
      while (sigtimedwait (&pipe_set, NULL, &zero) == SIGPIPE) ;
      pthread_sigmask (SIG_SETMASK, &old, NULL);
      if (host_tar_finish (g, "copy-out", &t, r == 0) == -1) r = -1;
    }
  }
  free (b);
  free (dest);
  return r;
}
