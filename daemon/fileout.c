/* guestkitd: helpers for FILEOUT calls that produce their data bit by
 * bit (find0, ls0, base64-out, checksums-out, compress-out): a buffered
 * writer over gk_int_send_chunk, and running a filter program whose
 * output streams to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "daemon.h"
#include "fileout.h"

extern char **environ;

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

int
gk_int_filter_out (const char *const *argv, int in_fd, const char *what)
{
  int out[2] = { -1, -1 }, err[2] = { -1, -1 };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int fa_ok = 0, attr_ok = 0, ret = -1;
  pid_t pid = -1;
  char *buf = NULL, errbuf[ERR_KEEP + 1];
  size_t errlen = 0;

  if (pipe2 (out, O_CLOEXEC) == -1 || pipe2 (err, O_CLOEXEC) == -1) {
    gk_int_perr ("%s: pipe", argv[0]);
    goto out;
  }
  if (posix_spawn_file_actions_init (&fa) != 0) goto oom;
  fa_ok = 1;
  if (posix_spawnattr_init (&attr) != 0) goto oom;
  attr_ok = 1;
  sigset_t none, all;
  sigemptyset (&none);
  sigfillset (&all);
  posix_spawnattr_setsigmask (&attr, &none);
  posix_spawnattr_setsigdefault (&attr, &all);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK
                            | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  if (posix_spawn_file_actions_adddup2 (&fa, in_fd, 0) != 0
      || posix_spawn_file_actions_adddup2 (&fa, out[1], 1) != 0
      || posix_spawn_file_actions_adddup2 (&fa, err[1], 2) != 0)
    goto oom;
  /* Nothing else of ours may leak into the child (the channel!). */
  if (posix_spawn_file_actions_addclosefrom_np (&fa, 3) != 0) goto oom;
  char prog[64];
  if (gk_int_find_program (argv[0], prog, sizeof prog) == -1) {
    gk_int_err (ENOENT, "%s: %s is not in the appliance", what, argv[0]);
    goto out;
  }
  int e = posix_spawn (&pid, prog, &fa, &attr, (char *const *) argv,
                       environ);
  if (e != 0) {
    pid = -1;
    errno = e;
    gk_int_perr ("%s", argv[0]);
    goto out;
  }
  close (out[1]); out[1] = -1;
  close (err[1]); err[1] = -1;

  buf = malloc (GK_INT_OS_SIZE);
  if (!buf) goto oom;
  int failed = 0;
  while (out[0] >= 0 || err[0] >= 0) {
    struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
    if (poll (p, 2, -1) == -1) {
      if (errno == EINTR) continue;
      gk_int_perr ("%s: poll", argv[0]);
      failed = 1;
      break;
    }
    if (out[0] >= 0 && p[0].revents) {
      ssize_t n = read (out[0], buf, GK_INT_OS_SIZE);
      if (n == -1 && errno == EINTR) continue;
      if (n <= 0) { close (out[0]); out[0] = -1; }
      else if (gk_int_send_chunk (buf, (size_t) n) == -1) {
        failed = 1;             /* the host cancelled: error set */
        break;
      }
    }
    if (err[0] >= 0 && p[1].revents) {
      char tmp[512];
      ssize_t n = read (err[0], tmp, sizeof tmp);
      if (n == -1 && errno == EINTR) continue;
      if (n <= 0) { close (err[0]); err[0] = -1; }
      else {
        size_t k = (size_t) n;
        if (errlen + k > ERR_KEEP) k = ERR_KEEP - errlen;
        memcpy (errbuf + errlen, tmp, k);
        errlen += k;
      }
    }
  }
  if (failed) kill (-pid, SIGKILL);
  int st;
  while (waitpid (pid, &st, 0) == -1 && errno == EINTR)
    ;
  pid = -1;
  if (failed) goto out;
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    errbuf[errlen] = '\0';
    while (errlen > 0 && (errbuf[errlen - 1] == '\n' || errbuf[errlen - 1] == ' '))
      errbuf[--errlen] = '\0';
    gk_int_err (EIO, "%s: %s: %s", what, argv[0],
                errlen ? errbuf : "failed");
    goto out;
  }
  if (gk_int_send_end (1) == -1) {
    if (!gk_int_err_isset ()) gk_int_err (EIO, "%s: sending failed", what);
    goto out;
  }
  ret = 0;
  goto out;

 oom:
  gk_int_err (ENOMEM, "out of memory");
 out:
  if (pid > 0) {
    kill (-pid, SIGKILL);
    while (waitpid (pid, NULL, 0) == -1 && errno == EINTR)
      ;
  }
  if (fa_ok) posix_spawn_file_actions_destroy (&fa);
  if (attr_ok) posix_spawnattr_destroy (&attr);
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0) close (out[i]);
    if (err[i] >= 0) close (err[i]);
  }
  free (buf);
  return ret;
}
