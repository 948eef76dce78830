/* guestkitd: helpers for FILEOUT calls that produce their data bit by
 * bit (find0, ls0, base64-out, checksums-out, compress-out): a buffered
 * writer over gk_int_send_chunk, and running a filter program whose
 * output streams to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "daemon.h"
#include "fileout.h"

#define ERR_KEEP 2048

int
gk_int_os_init (struct gk_int_ostream *os)
{
  os->len = 0;
  os->buf = malloc (GK_INT_OS_SIZE);
  if (!os->buf) return gk_int_err (ENOMEM, "out of memory");
  return 0;
}

static int
os_flush (struct gk_int_ostream *os)
{
  if (os->len == 0) return 0;
  int r = gk_int_send_chunk (os->buf, os->len);
  os->len = 0;
  return r;
}

int
gk_int_os_write (struct gk_int_ostream *os, const char *p, size_t n)
{
  while (n > 0) {
    size_t k = GK_INT_OS_SIZE - os->len;
    if (k > n) k = n;
    memcpy (os->buf + os->len, p, k);
    os->len += k;
    p += k;
    n -= k;
    if (os->len == GK_INT_OS_SIZE && os_flush (os) == -1) return -1;
  }
  return 0;
}

int
gk_int_os_finish (struct gk_int_ostream *os)
{
  int r = os_flush (os);
  free (os->buf);
  os->buf = NULL;
  if (r == -1) return -1;
  if (gk_int_send_end (1) == -1) {
    if (!gk_int_err_isset ()) gk_int_err (EIO, "sending the data failed");
    return -1;
  }
  return 0;
}

void
gk_int_os_abort (struct gk_int_ostream *os)
{
  free (os->buf);
  os->buf = NULL;
}

/* ---- a filter: guest file -> program -> host ---------------------- */

/* A running filter: our ends of its stdout and stderr, and the tail of
 * what it said on stderr. */
struct filter {
  const char *prog;
  pid_t pid;
  int out, err;
  char errbuf[ERR_KEEP + 1];
  size_t errlen;
};

static void
close_end (int *fd)
{
  if (*fd >= 0) { close (*fd); *fd = -1; }
}

/* Start ARGV[0] (found in the appliance) reading IN_FD, its stdout and
 * stderr piped to us.  0, or -1 with the error set. */
static int
filter_start (struct filter *f, const char *const *argv, int in_fd,
              const char *what)
{
  char prog[64];
  int out[2], err[2];
  if (gk_int_find_program (argv[0], prog, sizeof prog) == -1)
    return gk_int_err (ENOENT, "%s: %s is not in the appliance", what, argv[0]);
  if (pipe2 (out, O_CLOEXEC) == -1) return gk_int_perr ("%s: pipe", argv[0]);
  if (pipe2 (err, O_CLOEXEC) == -1) {
    close (out[0]);
    close (out[1]);
    return gk_int_perr ("%s: pipe", argv[0]);
  }
  f->pid = gk_int_spawn (&(struct gk_int_child) {
      .argv = argv, .file = prog, .fd = { in_fd, out[1], err[1] } });
  close (out[1]);
  close (err[1]);
  f->out = out[0];
  f->err = err[0];
  if (f->pid == -1) {
    close_end (&f->out);
    close_end (&f->err);
    return -1;
  }
  return 0;
}

/* Keep the first ERR_KEEP bytes of its stderr.  1 at its end. */
static int
filter_read_err (struct filter *f)
{
  char tmp[512];
  ssize_t n = read (f->err, tmp, sizeof tmp);
  if (n == -1 && errno == EINTR) return 0;
  if (n <= 0) return 1;
  size_t k = (size_t) n;
  if (f->errlen + k > ERR_KEEP) k = ERR_KEEP - f->errlen;
  memcpy (f->errbuf + f->errlen, tmp, k);
  f->errlen += k;
  return 0;
}

/* Stream its stdout to the host until both pipes end.  0, or -1 with the
 * error set (the host cancelled, poll failed). */
static int
filter_pump (struct filter *f, char *buf)
{
  while (f->out >= 0 || f->err >= 0) {
    struct pollfd p[2] = { { f->out, POLLIN, 0 }, { f->err, POLLIN, 0 } };
    if (poll (p, 2, -1) == -1) {
      if (errno == EINTR) continue;
      return gk_int_perr ("%s: poll", f->prog);
    }
    if (f->out >= 0 && p[0].revents) {
      ssize_t n = read (f->out, buf, GK_INT_OS_SIZE);
      if (n == -1 && errno == EINTR) continue;
      if (n <= 0) close_end (&f->out);
      else if (gk_int_send_chunk (buf, (size_t) n) == -1)
        return -1;              /* the host cancelled: error set */
    }
    if (f->err >= 0 && p[1].revents && filter_read_err (f))
      close_end (&f->err);
  }
  return 0;
}

/* Reap it (killed first if FAILED).  0 if it exited with 0, else -1 with
 * "WHAT: PROG: <its stderr>" (unless FAILED: the error is set). */
static int
filter_finish (struct filter *f, int failed, const char *what)
{
  close_end (&f->out);
  close_end (&f->err);
  if (failed) kill (-f->pid, SIGKILL);
  int st = gk_int_reap (f->pid);
  if (failed) return -1;
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    size_t n = f->errlen;
    f->errbuf[n] = '\0';
    while (n > 0 && (f->errbuf[n - 1] == '\n' || f->errbuf[n - 1] == ' '))
      f->errbuf[--n] = '\0';
    return gk_int_err (EIO, "%s: %s: %s", what, f->prog,
                       n ? f->errbuf : "failed");
  }
  return 0;
}

int
gk_int_filter_out (const char *const *argv, int in_fd, const char *what)
{
  struct filter f = { .prog = argv[0], .pid = -1, .out = -1, .err = -1 };
  char *buf = malloc (GK_INT_OS_SIZE);
  if (!buf) return gk_int_err (ENOMEM, "out of memory");
  if (filter_start (&f, argv, in_fd, what) == -1) {
    free (buf);
    return -1;
  }
  int failed = filter_pump (&f, buf) == -1;
  free (buf);
  if (filter_finish (&f, failed, what) == -1) return -1;
  if (gk_int_send_end (1) == -1) {
    if (!gk_int_err_isset ()) gk_int_err (EIO, "%s: sending failed", what);
    return -1;
  }
  return 0;
}
