/* guestkit: the daemon kills a running program when the host cancels the
 * call (daemon/command.c), without an appliance: command.c runs here on
 * the host with a socketpair standing in for the channel, and this file
 * provides the few protocol functions it uses (as daemon/proto.c does). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "tap.h"
#include "daemon.h"
#include "proto.h"

struct gk_int_stream gk_int_cur;
static int chan = -1;

int gk_int_p_chan (void) { return chan; }

int
gk_int_recv_frame (char **buf_r, size_t *len_r)
{
  unsigned char h[4];
  if (read (chan, h, 4) != 4) return -1;
  uint32_t len = gk_int_get_u32 (h);
  if (len < 4 || len > 64) return -1;
  char *buf = malloc (len);
  if (!buf || read (chan, buf, len) != (ssize_t) len) { free (buf); return -1; }
  *buf_r = buf;
  *len_r = len;
  return 0;
}

/* Send frame KIND with u32 SERIAL from the host end H after DELAY_MS. */
static pid_t
send_later (int h, uint32_t kind, uint32_t serial, int delay_ms)
{
  pid_t pid = fork ();
  if (pid == 0) {
    usleep ((useconds_t) delay_ms * 1000);
    unsigned char f[12];
    gk_int_put_u32 (f, 8);
    gk_int_put_u32 (f + 4, kind);
    gk_int_put_u32 (f + 8, serial);
    _exit (write (h, f, sizeof f) == (ssize_t) sizeof f ? 0 : 1);
  }
  return pid;
}

static void
reap (pid_t pid)
{
  while (waitpid (pid, NULL, 0) == -1 && errno == EINTR)
    ;
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main (void)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) return 99;
  chan = sv[0];
  /* A daemon that missed the cancel would wait for sleep 30: fail then. */
  alarm (20);

  /* A CANCEL for the running call: the program is killed at once. */
  gk_int_err_clear ();
  gk_int_cur = (struct gk_int_stream) { .serial = 7 };
  const char *sleep_argv[] = { "sh", "-c", "sleep 30; echo late", NULL };
  pid_t w = send_later (sv[1], GK_K_CANCEL, 7, 300);
  double t0 = now ();
  char *out = NULL;
  int r = gk_int_run (&out, NULL, sleep_argv);
  double dt = now () - t0;
  reap (w);
  CHECK (r == -1 && gk_int_err_isset ()
         && strcmp (gk_int_err_name (), "ECANCELED") == 0
         && strstr (gk_int_err_msg (), "cancelled by the host"),
         "CANCEL kills the program: %s: %s", gk_int_err_name (),
         gk_int_err_msg ());
  CHECK (dt < 10, "within %.1f s (the program would run 30 s)", dt);
  free (out);

  /* A leftover CANCEL of an earlier call is dropped; the program ends
   * normally with its output. */
  gk_int_err_clear ();
  gk_int_cur = (struct gk_int_stream) { .serial = 8 };
  const char *echo_argv[] = { "sh", "-c", "sleep 1; echo done", NULL };
  w = send_later (sv[1], GK_K_CANCEL, 7, 0);
  out = NULL;
  r = gk_int_run (&out, NULL, echo_argv);
  reap (w);
  CHECK (r == 0 && out && strcmp (out, "done\n") == 0,
         "a stale CANCEL is ignored: r=%d out=%s err=%s", r, out ? out : "(null)",
         gk_int_err_isset () ? gk_int_err_msg () : "none");
  free (out);

  /* During a file stream the channel is stream.c's: not read here. */
  gk_int_err_clear ();
  gk_int_cur = (struct gk_int_stream) { .serial = 9, .in = 1 };
  w = send_later (sv[1], GK_K_CANCEL, 9, 0);
  reap (w);
  out = NULL;
  const char *true_argv[] = { "sh", "-c", "sleep 0.3; echo fine", NULL };
  r = gk_int_run (&out, NULL, true_argv);
  CHECK (r == 0 && out && strcmp (out, "fine\n") == 0, "a FILEIN call: the program is not cancelled");
  free (out);
  char *f = NULL;
  size_t fl = 0;
  CHECK (gk_int_recv_frame (&f, &fl) == 0 && gk_int_get_u32 (f) == GK_K_CANCEL,
         "the frame is left for the stream");
  free (f);

  /* No process is left behind. */
  CHECK (waitpid (-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no child left");
  return tap_done ();
}
