/* guestkit: the local file's side of a transfer (lib/xfer.h): waiting on
 * local pipes (a cancel or the call's deadline ends the wait), writing
 * downloads (sparse if asked), the output file replaced only on success,
 * SIGPIPE kept from the program, and progress to the user's callback. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"
#include "xfer.h"

void
gk_int_xfer_progress (gk_h *g, const struct gk_int_call *c, uint64_t done, uint64_t total)
{
  if (g->progress_cb) g->progress_cb (g, g->progress_opaque, c->name, done, total);
}

void
gk_int_xfer_progress_frame (gk_h *g, const struct gk_int_call *c, const char *buf, size_t len)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, buf, len);
  (void) gk_int_rb_u32 (&rb);   /* kind */
  (void) gk_int_rb_u32 (&rb);   /* proc */
  (void) gk_int_rb_u32 (&rb);   /* serial */
  uint64_t done = gk_int_rb_u64 (&rb), total = gk_int_rb_u64 (&rb);
  if (!rb.err) gk_int_xfer_progress (g, c, done, total);
}

/* A local pipe, FIFO or socket can block for ever (a reader or writer
 * that stopped): wait for it with poll, which a cancel (the eventfd) or
 * the call's deadline ends.  0, or an errno value. */
int
gk_int_local_wait (gk_h *g, int fd, short events)
{
  for (;;) {
    if (g->cancel) return ECANCELED;
    int wait = -1;
    if (g->call_deadline) {
      int64_t left = g->call_deadline - gk_int_now_us ();
      if (left <= 0) return ETIMEDOUT;
      wait = (int) (left / 1000) + 1;
    }
    struct pollfd p[2] = { { fd, events, 0 }, { g->cancel_fd, POLLIN, 0 } };
    int r = poll (p, 2, wait);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return errno;
    if (p[0].revents) return 0;
  }
}

int
gk_int_is_pipe_like (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode));
}

ssize_t
gk_int_xfer_read_full (struct gk_int_transfer *x, int fd, char *buf, size_t size)
{
  gk_h *g = x->g;
  size_t got = 0;
  if (x->pipe_like == -1) x->pipe_like = gk_int_is_pipe_like (fd);
  while (got < size) {
    int e = x->pipe_like ? gk_int_local_wait (g, fd, POLLIN) : 0;
    if (e) { errno = e; return -1; }
    ssize_t n = read (fd, buf + got, size - got);
    if (n == -1 && errno == EINTR && !g->cancel) continue;
    if (n == -1) return -1;
    if (n == 0) break;
    got += (size_t) n;
  }
  return (ssize_t) got;
}

static int
write_all (struct gk_int_transfer *x, int fd, const char *p, size_t n)
{
  if (x->pipe_like == -1) x->pipe_like = gk_int_is_pipe_like (fd);
  while (n > 0) {
    size_t step = n;
    if (x->pipe_like && x->g) {
      /* Once POLLOUT is seen, PIPE_BUF bytes are written without blocking. */
      int e = gk_int_local_wait (x->g, fd, POLLOUT);
      if (e) return e;
      if (step > PIPE_BUF) step = PIPE_BUF;
    }
    ssize_t w = write (fd, p, step);
    if (w == -1 && errno == EINTR) continue;
    if (w == -1) return errno;
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

#define HOLE_BLOCK 4096

static int
all_zero (const char *p, size_t n)
{
  static const char zero[HOLE_BLOCK];
  return memcmp (p, zero, n) == 0;
}

/* The length of the run at P (N bytes left) whose blocks are all zero
 * (ZERO) or none zero. */
static size_t
run_of (const char *p, size_t n, int zero)
{
  size_t run = 0;
  while (run < n) {
    size_t b = n - run < HOLE_BLOCK ? n - run : HOLE_BLOCK;
    if (all_zero (p + run, b) != zero) break;
    run += b;
  }
  return run;
}

int
gk_int_xfer_write (struct gk_int_transfer *x, int fd, const char *p, size_t n)
{
  if (!x->sparse) return write_all (x, fd, p, n);
  /* Runs of non-zero blocks are written in one go, zero blocks skipped
   * (the caller sets the final size, so a trailing hole counts). */
  while (n > 0) {
    size_t run = run_of (p, n, 0);
    int e = write_all (x, fd, p, run);
    if (e) return e;
    p += run;
    n -= run;
    size_t hole = run_of (p, n, 1);
    if (hole && lseek (fd, (off_t) hole, SEEK_CUR) == -1) return errno;
    p += hole;
    n -= hole;
  }
  return 0;
}

/* --- the local output file --- */


/* Open LOCAL for a download.  An existing regular file is replaced only
 * when the call succeeds: the data goes to a temporary file beside it
 * (*tmp_r), renamed over it (*final_r, the name with symbolic links
 * resolved) at the end.  Anything else (a device, a pipe, /dev/stdout, a
 * file with other hard links, a directory we may not write) is written
 * in place; a new file is created and removed again on failure
 * (*created_r).  -1 with errno set, or with errno 0 and the error set. */
int
gk_int_output_open (gk_h *g, const char *call, const char *local, int *created_r, char **tmp_r,
             char **final_r)
{
  struct stat st;
  *created_r = 0;
  *tmp_r = *final_r = NULL;
  if (stat (local, &st) == -1) {
    if (errno != ENOENT) return -1;
    int fd = open (local, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) *created_r = 1;
    return fd;
  }
  if (!S_ISREG (st.st_mode) || st.st_nlink > 1)
    return open (local, O_WRONLY | O_TRUNC | O_CLOEXEC);
  /* Open the file itself first: a file we may not write is an error
   * even if its directory would let us replace it. */
  int fd = open (local, O_WRONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  close (fd);
  char *real = realpath (local, NULL);
  char *d = real ? strdup (real) : NULL, *b = real ? strdup (real) : NULL;
  if (!d || !b || asprintf (tmp_r, "%s/.%s.gkXXXXXX", dirname (d), basename (b)) == -1) {
    free (d); free (b); free (real);
    *tmp_r = NULL;
    errno = 0;
    gk_int_error_errno (g, ENOMEM, "%s: out of memory", call);
    return -1;
  }
  free (d); free (b);
  fd = mkostemp (*tmp_r, O_CLOEXEC);
  if (fd == -1) {
    gk_int_debug (g, "%s: %s: no temporary file beside it (%s); writing in place",
                  call, local, strerror (errno));
    free (*tmp_r); free (real);
    *tmp_r = NULL;
    return open (local, O_WRONLY | O_TRUNC | O_CLOEXEC);
  }
  *final_r = real;
  /* The new file is the old one's: owner (when we may) and mode, but
   * never setuid, setgid or sticky from a download. */
  if (fchown (fd, st.st_uid, st.st_gid) == -1) { /* not ours to give away */ }
  (void) fchmod (fd, st.st_mode & 0777);
  return fd;
}

void
gk_int_output_discard (const char *local, int created, const char *tmp)
{
  if (tmp) unlink (tmp);
  else if (created) unlink (local);
}

void
gk_int_sigpipe_block (struct gk_int_sigpipe_guard *s)
{
  sigset_t set, pending;
  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &set, &s->old);
  /* Consume only a SIGPIPE that our writes raise. */
  s->ours = !sigismember (&s->old, SIGPIPE)
    && !(sigpending (&pending) == 0 && sigismember (&pending, SIGPIPE));
}

void
gk_int_sigpipe_restore (struct gk_int_sigpipe_guard *s)
{
  if (s->ours) {
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGPIPE);
    const struct timespec zero = { 0, 0 };
    while (sigtimedwait (&set, NULL, &zero) == SIGPIPE) ;
  }
  pthread_sigmask (SIG_SETMASK, &s->old, NULL);
}

