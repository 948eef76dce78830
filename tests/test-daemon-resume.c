/* guestkit: the daemon's snapshot mode (daemon/resume.c) without an
 * appliance: guestkitd --snapshot --channel-fd N on a socketpair, as a
 * restored appliance would run it.  It must send READY, then ignore
 * everything but RESUME (and wait through EOF at a frame boundary), answer
 * RESUME with a second READY and serve calls; a frame cut short or a
 * malformed RESUME ends it with status 1 without reading further.
 * Outside PID 1 the daemon leaves the clock and the RNG alone (it says
 * so), so this may run as root. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "api.h"
#include "fullio.h"
#include "tap.h"
#include "wire.h"

static const char *daemon_path;

struct daemon { pid_t pid; int host, guest; };

/* guestkitd in snapshot mode; the test keeps the daemon's end too, to
 * see what the daemon left unread. */
static struct daemon
start (void)
{
  int sv[2];
  struct daemon d = { -1, -1, -1 };
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) exit (99);
  pid_t pid = fork ();
  if (pid == 0) {
    int fd = dup (sv[1]);           /* without FD_CLOEXEC */
    char num[16];
    snprintf (num, sizeof num, "%d", fd);
    execl (daemon_path, daemon_path, "--snapshot", "--debug", "--channel-fd", num, (char *) NULL);
    _exit (127);
  }
  d.pid = pid;
  d.host = sv[0];
  d.guest = sv[1];
  return d;
}

/* The daemon's exit status, or -1 if it is still running after MS. */
static int
wait_exit (struct daemon *d, int ms)
{
  for (int i = 0; i <= ms / 10; i++) {
    int st;
    pid_t p = waitpid (d->pid, &st, WNOHANG);
    if (p == d->pid) { d->pid = -1; return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st); }
    usleep (10000);
  }
  return -1;
}

static void
stop (struct daemon *d)
{
  if (d->pid > 0) {
    kill (d->pid, SIGKILL);
    while (waitpid (d->pid, NULL, 0) == -1 && errno == EINTR)
      ;
  }
  close (d->host);
  close (d->guest);
}

/* One frame from the daemon (body from the kind), or NULL if none within MS. */
static char *
recv_frame (int fd, int ms, size_t *len_r)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  unsigned char h[GK_FRAME_LEN];
  if (poll (&p, 1, ms) != 1 || gk_int_read_full (fd, h, sizeof h) != (ssize_t) sizeof h)
    return NULL;
  uint32_t len = gk_int_frame_len (h);
  if (!gk_int_frame_len_ok (len)) return NULL;
  char *b = malloc (len);
  if (gk_int_read_full (fd, b, len) != (ssize_t) len) { free (b); return NULL; }
  *len_r = len;
  return b;
}

static int
send_wbuf (int fd, struct gk_int_wbuf *w)
{
  int r = gk_int_wb_finish (w) == 0 ? gk_int_write_full (fd, w->p, w->len) : -1;
  gk_int_wb_free (w);
  return r;
}

/* A READY frame: its timings counted, *FIRST the first one's name. */
static int
is_ready (char *f, size_t len, uint32_t *ntimes, char **first)
{
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, f, len);
  if (gk_int_rb_u32 (&r) != GK_K_READY || gk_int_rb_u32 (&r) != GK_PROTO_VERSION) return 0;
  *ntimes = gk_int_rb_u32 (&r);
  *first = NULL;
  for (uint32_t i = 0; i < *ntimes && !r.err; i++) {
    char *name = gk_int_rb_str (&r, NULL);     /* malloc'd */
    gk_int_rb_u64 (&r);
    if (i == 0) *first = name;
    else free (name);
  }
  return gk_int_rb_done (&r) == 0;
}

static int
expect_ready (int fd, uint32_t *ntimes, char **first)
{
  size_t len;
  char *f = recv_frame (fd, 10000, &len);
  int ok = f && is_ready (f, len, ntimes, first);
  free (f);
  return ok;
}

/* A daemon started and its first READY read: 1 if it came. */
static int
start_ready (struct daemon *d)
{
  uint32_t n;
  char *first = NULL;
  *d = start ();
  int ok = expect_ready (d->host, &n, &first);
  free (first);
  return ok;
}

static void
resume_frame (struct gk_int_wbuf *w, uint32_t ndrives)
{
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  struct gk_int_resume res = { .sec = (uint64_t) now.tv_sec, .nsec = (uint32_t) now.tv_nsec,
                               .ndrives = ndrives };
  for (size_t i = 0; i < GK_RESUME_SEED; i++) res.seed[i] = (unsigned char) rand ();
  gk_int_resume_encode (w, &res);
}

static void
echo_call (struct gk_int_wbuf *w, uint32_t serial)
{
  const struct gk_int_call *c = gk_int_lookup_call ("echo-daemon");
  char *words[] = { "hello", "resume", NULL };
  union gk_int_val a[GK_MAX_ARGS] = { { 0 } };
  struct gk_int_optvals o = { 0 };
  a[0].sl = words;
  gk_int_enc_call_head (w, (uint32_t) c->proc, serial);
  gk_int_enc_args (w, c, a, &o);
}

static void
test_resume (void)
{
  struct daemon d = start ();
  uint32_t n = 0;
  char *first = NULL;
  CHECK (expect_ready (d.host, &n, &first) && n >= 1, "first READY (%u timings)", n);
  free (first);

  /* Before RESUME: a call, a CANCEL, an unknown kind.  None is answered. */
  struct gk_int_wbuf w;
  echo_call (&w, 1);
  int sent = send_wbuf (d.host, &w) == 0;
  gk_int_wb_init (&w, GK_K_CANCEL);
  gk_int_wb_u32 (&w, 1);
  sent &= send_wbuf (d.host, &w) == 0;
  gk_int_wb_init (&w, 99);
  gk_int_wb_u64 (&w, 12345);
  sent &= send_wbuf (d.host, &w) == 0;
  size_t len;
  char *f = recv_frame (d.host, 500, &len);
  CHECK (sent && f == NULL && wait_exit (&d, 0) == -1,
         "CALL, CANCEL and kind 99 before RESUME: no answer, daemon still waiting");
  free (f);

  resume_frame (&w, 0);
  CHECK (send_wbuf (d.host, &w) == 0 && expect_ready (d.host, &n, &first)
         && n >= 1 && first && strcmp (first, "guest.resume") == 0,
         "RESUME answered by a second READY (%u timings, first %s)", n, first ? first : "-");
  free (first);

  /* Then calls as usual: the reply is for serial 2, not the early 1. */
  echo_call (&w, 2);
  CHECK (send_wbuf (d.host, &w) == 0, "echo-daemon sent");
  f = recv_frame (d.host, 10000, &len);
  struct gk_int_reply_head rh = { 0 };
  union gk_int_val ret = { 0 };
  int ok = 0;
  if (f && gk_int_frame_kind (f, len) == GK_K_REPLY) {
    struct gk_int_rbuf r;
    gk_int_rb_init (&r, f + 4, len - 4);
    const struct gk_int_call *c = gk_int_lookup_call ("echo-daemon");
    ok = gk_int_dec_reply_head (&r, &rh) == 0 && rh.status == GK_ST_OK && rh.serial == 2
      && gk_int_dec_ret (&r, c, &ret) == 0 && ret.s && strcmp (ret.s, "hello resume") == 0;
    if (ok) gk_int_free_ret (c, &ret);
  }
  CHECK (ok, "echo-daemon after RESUME: serial %u, status %u", rh.serial, rh.status);
  free (f);

  /* A second RESUME is just an unknown frame now; then the goodbye. */
  resume_frame (&w, 0);
  sent = send_wbuf (d.host, &w) == 0;
  unsigned char bye[GK_FRAME_LEN] = { 0 };
  sent &= gk_int_write_full (d.host, bye, sizeof bye) == 0;
  CHECK (sent && wait_exit (&d, 10000) == 0, "goodbye after a stray RESUME: exit 0");
  stop (&d);
}

/* EOF at a frame boundary while waiting is "host not there yet". */
static void
test_eof_waits (void)
{
  struct daemon d;
  CHECK (start_ready (&d), "READY");
  shutdown (d.host, SHUT_WR);
  CHECK (wait_exit (&d, 700) == -1, "EOF while waiting for RESUME: the daemon waits");
  stop (&d);
}

/* A frame cut short by EOF cannot be resynchronised: exit 1. */
static void
test_partial_frame (void)
{
  struct daemon d;
  CHECK (start_ready (&d), "READY");
  struct gk_int_wbuf w;
  resume_frame (&w, 0);
  gk_int_wb_finish (&w);
  int sent = gk_int_write_full (d.host, w.p, 10) == 0;
  gk_int_wb_free (&w);
  shutdown (d.host, SHUT_WR);
  int st = wait_exit (&d, 10000);
  CHECK (sent && st == 1, "RESUME cut short by EOF: exit status %d", st);
  stop (&d);
}

/* A malformed RESUME: exit 1, and the frame after it is left unread. */
static void
test_bad_resume (const char *what, uint32_t ndrives, uint32_t nsec, size_t cut)
{
  struct daemon d;
  int ready = start_ready (&d);
  struct gk_int_resume res = { .sec = 1, .nsec = nsec, .ndrives = ndrives };
  struct gk_int_wbuf w;
  gk_int_resume_encode (&w, &res);
  w.len -= cut;                 /* a whole frame, its body short */
  gk_int_wb_finish (&w);
  int sent = gk_int_write_full (d.host, w.p, w.len) == 0;
  gk_int_wb_free (&w);
  gk_int_wb_init (&w, GK_K_CANCEL);
  gk_int_wb_u32 (&w, 0xabcd);
  gk_int_wb_finish (&w);
  size_t marker = w.len;
  sent &= gk_int_write_full (d.host, w.p, w.len) == 0;
  gk_int_wb_free (&w);
  int st = wait_exit (&d, 10000);
  unsigned char left[64];
  ssize_t got = recv (d.guest, left, sizeof left, MSG_DONTWAIT);
  CHECK (ready && sent && st == 1 && got == (ssize_t) marker
         && gk_int_frame_kind (left + GK_FRAME_LEN, marker - GK_FRAME_LEN) == GK_K_CANCEL,
         "%s RESUME: exit status %d, the next frame left unread (%zd of %zu bytes)",
         what, st, got, marker);
  stop (&d);
}

int
main (void)
{
  daemon_path = getenv ("GUESTKIT_DAEMON");
  if (!daemon_path || access (daemon_path, X_OK) != 0) {
    printf ("SKIP: GUESTKIT_DAEMON (the built guestkitd) not set or not executable\n");
    return 77;
  }
  signal (SIGPIPE, SIG_IGN);
  alarm (120);
  srand ((unsigned) getpid ());
  test_resume ();
  test_eof_waits ();
  test_partial_frame ();
  test_bad_resume ("truncated", 0, 0, 1);
  test_bad_resume ("65-drive", GK_RESUME_MAX_DRIVES + 1, 0, 0);
  test_bad_resume ("nsec 1e9", 0, 1000000000u, 0);
  CHECK (waitpid (-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no child left");
  return tap_done ();
}
