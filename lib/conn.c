/* guestkit: the connection to a running appliance, the library's lowest
 * layer: framed I/O on the control channel, the console, the call's
 * deadlines and cancel, and the backend process's end.  While waiting,
 * the console is drained (a VM blocked on a full console pipe would
 * stall) and its tail kept for error messages.  Calls nothing else of
 * lib/ but errors.c and timings.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/wait.h>
#include "internal.h"
#include "backend.h"

/* What a backend prints when it started but cannot run the appliance on
 * this host.  qemu pauses the VM on a KVM failure and UML stops at its
 * first process, so waiting would end only at the READY timeout. */
static const struct { const char *pat, *what; int kvm; } launch_fatal[GK_INT_FATAL_PATTERNS] = {
  { "KVM internal error", "KVM cannot run the appliance on this host", 1 },
  { "kvm run failed", "KVM cannot run the appliance on this host", 1 },
  { "failed to initialize kvm", "qemu cannot use KVM on this host", 1 },
  { "Could not access KVM", "qemu cannot use KVM on this host", 1 },
  /* UML before Linux 6.3 sizes the x86 FPU state for ptrace below what
   * hosts with AMX use; every process it starts then dies. */
  { "ptrace set fp regs failed", "User-Mode Linux cannot run processes on this host: its "
    "CPU state (AMX) is larger than this UML kernel supports (\"ptrace set fp regs "
    "failed\"; fixed in newer UML kernels); use the qemu backend", 0 },
};

static void
fatal_watch (gk_h *g, char c)
{
  for (size_t k = 0; k < GK_INT_FATAL_PATTERNS; k++) {
    const char *pat = launch_fatal[k].pat;
    unsigned char *m = &g->fatal_match[k];
    if (pat[*m] == c) (*m)++;
    else *m = pat[0] == c;      /* no pattern repeats its first letter */
    if (pat[*m] == '\0' && !g->launch_fatal) g->launch_fatal = (int) k + 1;
    if (pat[*m] == '\0') *m = 0;
  }
}

int
gk_int_launch_fatal_is_kvm (gk_h *g)
{
  return g->launch_fatal && launch_fatal[g->launch_fatal - 1].kvm;
}

/* One debug line of the console.  On a terminal, control characters
 * (but a tab) show as \xNN: the guest must not drive the terminal. */
static void
console_line_print (gk_h *g)
{
  char out[4 * sizeof g->conline + 1];
  size_t n = 0;
  int tty = isatty (STDERR_FILENO);
  for (size_t i = 0; i < g->conline_len; i++) {
    unsigned char c = (unsigned char) g->conline[i];
    if (tty && ((c < 32 && c != '\t') || c == 127)) n += (size_t) sprintf (out + n, "\\x%02x", c);
    else out[n++] = (char) c;
  }
  out[n] = '\0';
  fprintf (stderr, "[%7.3f] %s\n", (gk_int_now_us () - g->t_launch0) / 1e6, out);
}

static void
console_keep (gk_h *g, const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (g->state == GK_LAUNCHING) fatal_watch (g, c);
    g->contail[g->contail_pos] = c;
    g->contail_pos = (g->contail_pos + 1) % sizeof g->contail;
    if (g->contail_len < sizeof g->contail) g->contail_len++;
    if (g->debug) {
      if (c == '\n' || g->conline_len == sizeof g->conline - 1) {
        console_line_print (g);
        g->conline_len = 0;
      }
      else if (c != '\r') g->conline[g->conline_len++] = c;
    }
  }
}

void
gk_int_console_drain (gk_h *g)
{
  char buf[4096];
  while (g->console >= 0) {
    ssize_t n = read (g->console, buf, sizeof buf);
    if (n > 0) {
      if (!g->kernel_seen) {
        g->kernel_seen = 1;
        gk_int_timing_set (g, "launch.first_console", gk_int_now_us () - g->t_launch0);
      }
      console_keep (g, buf, (size_t) n);
      continue;
    }
    if (n == -1 && errno == EINTR) continue;
    if (n == 0) { close (g->console); g->console = -1; }
    break;                      /* EAGAIN: nothing more now */
  }
}

/* The last lines of the console, made printable (a guest could send
 * terminal escapes). */
static char *
console_tail (gk_h *g, size_t max)
{
  size_t n = g->contail_len < max ? g->contail_len : max;
  char *s = malloc (n + 1);
  if (!s) return NULL;
  size_t start = (g->contail_pos + sizeof g->contail - n) % sizeof g->contail;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) g->contail[(start + i) % sizeof g->contail];
    s[i] = (c == '\n' || c == '\t' || (c >= 32 && c < 127)) ? (char) c : '?';
  }
  s[n] = '\0';
  return s;
}

void
gk_int_error_with_console (gk_h *g, int errnum, const char *what)
{
  gk_int_console_drain (g);
  char *tail = console_tail (g, 2048);
  if (tail && *tail)
    gk_int_error_errno (g, errnum, "%s\n--- last console output of the appliance ---\n%s",
                        what, tail);
  else
    gk_int_error_errno (g, errnum, "%s (the appliance printed nothing; "
                        "set GUESTKIT_DEBUG=1 to see its console)", what);
  free (tail);
}

int
gk_int_backend_reap (gk_h *g, int grace_ms)
{
  int st = -1;
  if (g->pid <= 0) return -1;
  const struct timespec tick = { 0, 5000000 };
  for (int waited = 0; ; waited += 5) {
    pid_t r = waitpid (g->pid, &st, WNOHANG);
    if (r == g->pid || (r == -1 && errno != EINTR)) break;
    if (waited >= grace_ms) {
      kill (g->pid, SIGKILL);
      while (waitpid (g->pid, &st, 0) == -1 && errno == EINTR) ;
      break;
    }
    nanosleep (&tick, NULL);
  }
  g->pid = 0;
  if (g->ops && g->ops->cleanup) g->ops->cleanup (&g->vm);
  return st;
}

void
gk_int_mark_dead (gk_h *g)
{
  if (g->sock >= 0) { close (g->sock); g->sock = -1; }
  if (g->pid > 0) gk_int_backend_reap (g, 0);
  if (g->console >= 0) {
    gk_int_console_drain (g);
    if (g->console >= 0) { close (g->console); g->console = -1; }
  }
  if (g->state != GK_CONFIG || g->pid == 0) g->state = GK_DEAD;
}

/* A cancelled call's daemon must answer (a frame) within CANCEL_GRACE
 * and end the call within CANCEL_MAX, or the appliance is killed: a
 * daemon stuck in a read of a device node, or a stopped VM, never will. */
#define CANCEL_GRACE_US 1000000
#define CANCEL_MAX_US 3000000
/* gk_shutdown's unmount and sync, when no shorter timeout is set. */
#define SHUTDOWN_CALL_TIMEOUT_S 60

static void
cancel_fd_drain (gk_h *g)
{
  uint64_t v;
  while (g->cancel_fd >= 0 && read (g->cancel_fd, &v, sizeof v) == (ssize_t) sizeof v) ;
}

/* The running call's time limit in seconds (0: none). */
static int
call_timeout_s (gk_h *g)
{
  int t = g->timeout_s;
  if (g->in_shutdown && (t == 0 || t > SHUTDOWN_CALL_TIMEOUT_S)) t = SHUTDOWN_CALL_TIMEOUT_S;
  return t;
}

void
gk_int_call_begin (gk_h *g, const char *name)
{
  cancel_fd_drain (g);
  g->cancel = 0;
  g->cancel_at = g->cancel_until = 0;
  g->call_name = name;
  int t = call_timeout_s (g);
  g->call_deadline = t > 0 ? gk_int_now_us () + (int64_t) t * 1000000 : 0;
}

void
gk_int_call_end (gk_h *g)
{
  g->call_name = NULL;
  g->call_deadline = 0;
  g->cancel = 0;
  g->cancel_at = g->cancel_until = 0;
  cancel_fd_drain (g);
}

/* The call cannot end normally: kill the appliance, fail the call. */
static void
stop_call (gk_h *g, int errnum, const char *why)
{
  if (errnum == ETIMEDOUT)
    gk_int_error_errno (g, errnum, "%s: timed out after %d s (%s); the appliance was stopped",
                        g->call_name, call_timeout_s (g), call_timeout_s (g) != g->timeout_s
                        ? "the shutdown's limit" : "set-timeout, GUESTKIT_TIMEOUT");
  else
    gk_int_error_errno (g, errnum, "%s: %s; the appliance was stopped", g->call_name, why);
  gk_int_mark_dead (g);
}

static int64_t
earliest (int64_t a, int64_t b)
{
  return a <= 0 ? b : b <= 0 ? a : a < b ? a : b;
}

/* Waits until the socket is ready for EVENTS, draining the console.
 * Returns 0; 1 if OR_CANCEL and the running call was cancelled (first
 * time only); -1 on timeout, cancel without answer (the appliance is
 * then killed) or appliance death, with the error set. */
static int
wait_sock (gk_h *g, short events, int timeout_ms, int or_cancel)
{
  int64_t deadline = timeout_ms < 0 ? 0 : gk_int_now_us () + (int64_t) timeout_ms * 1000;
  for (;;) {
    int64_t now = gk_int_now_us ();
    if (g->cancel && g->state == GK_LAUNCHING) {
      /* A launch has no call to cancel: it fails, and the backend dies. */
      gk_int_error_errno (g, ECANCELED, "launch: cancelled (gk_user_cancel)");
      return -1;
    }
    if (g->cancel && g->call_name && !g->cancel_at) {
      g->cancel_at = now;
      g->cancel_until = now + CANCEL_GRACE_US;
      if (or_cancel) return 1;
    }
    if (g->cancel_at && now >= g->cancel_until) {
      stop_call (g, ECANCELED, "cancelled (gk_user_cancel), and the daemon did not stop "
                 "within 1 s");
      return -1;
    }
    if (g->call_deadline && now >= g->call_deadline) {
      stop_call (g, ETIMEDOUT, NULL);
      return -1;
    }
    if (deadline && now >= deadline) {
      gk_int_error_with_console (g, ETIMEDOUT, "timed out waiting for the appliance");
      return -1;
    }
    int64_t end = earliest (earliest (deadline, g->call_deadline), g->cancel_at ? g->cancel_until : 0);
    int wait = end > 0 ? (int) ((end - now) / 1000) + 1 : -1;
    struct pollfd p[3] = { { g->sock, events, 0 }, { g->cancel_fd, POLLIN, 0 },
                           { g->console, POLLIN, 0 } };
    int r = poll (p, g->console >= 0 ? 3 : 2, wait);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) { gk_int_perror (g, "poll"); return -1; }
    if (p[1].revents) cancel_fd_drain (g);
    if (g->console >= 0 && p[2].revents) gk_int_console_drain (g);
    if (g->launch_fatal && g->state == GK_LAUNCHING) {
      gk_int_error_with_console (g, EIO, launch_fatal[g->launch_fatal - 1].what);
      return -1;
    }
    if (p[0].revents & (events | POLLHUP | POLLERR)) return 0;
  }
}

static void
died (gk_h *g, const char *doing)
{
  char what[256];
  int st = g->pid > 0 ? gk_int_backend_reap (g, 1) : -1;
  if (st >= 0 && WIFSIGNALED (st)) {
    snprintf (what, sizeof what, "the appliance died while %s (backend killed by signal %d)",
              doing, WTERMSIG (st));
    g->vm_killed = 1;
  }
  else
    snprintf (what, sizeof what, "the appliance died while %s", doing);
  gk_int_error_with_console (g, EIO, what);
  gk_int_mark_dead (g);
  g->died = g->state == GK_DEAD;
}

static int
write_all_v (gk_h *g, struct iovec *iov, int cnt)
{
  while (cnt > 0) {
    if (wait_sock (g, POLLOUT, -1, 0) == -1) return -1;
    /* sendmsg, not writev: MSG_NOSIGNAL, so a dead appliance is an
     * error here rather than SIGPIPE killing the host program. */
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t) cnt };
    ssize_t w = sendmsg (g->sock, &m, MSG_NOSIGNAL);
    if (w == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (w == -1) { died (g, "a request was being sent to it"); return -1; }
    while (cnt > 0 && (size_t) w >= iov->iov_len) { w -= (ssize_t) iov->iov_len; iov++; cnt--; }
    if (cnt > 0) { iov->iov_base = (char *) iov->iov_base + w; iov->iov_len -= (size_t) w; }
  }
  return 0;
}

int
gk_int_conn_send (gk_h *g, const struct gk_int_wbuf *b)
{
  struct iovec iov = { b->p, b->len };
  return write_all_v (g, &iov, 1);
}

int
gk_int_conn_send_chunk (gk_h *g, uint32_t serial, uint32_t flags,
                        const char *data, size_t n)
{
  unsigned char h[GK_CHUNK_HEAD];
  gk_int_chunk_encode (h, serial, flags, n);
  struct iovec iov[2] = { { h, sizeof h }, { (void *) data, n } };
  return write_all_v (g, iov, n ? 2 : 1);
}

int
gk_int_conn_send_cancel (gk_h *g, uint32_t serial)
{
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CANCEL);
  gk_int_wb_u32 (&b, serial);
  int r = gk_int_wb_finish (&b) == -1 ? -1 : gk_int_conn_send (g, &b);
  gk_int_wb_free (&b);
  return r;
}

/* 1 (nothing read) if OR_CANCEL and the call was cancelled before the
 * first byte. */
static int
read_all (gk_h *g, void *buf, size_t n, int timeout_ms, int or_cancel)
{
  char *p = buf;
  while (n > 0) {
    int w = wait_sock (g, POLLIN, timeout_ms, or_cancel && p == buf);
    if (w != 0) return w;
    ssize_t r = read (g->sock, p, n);
    if (r == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r <= 0) { died (g, "a call was running"); return -1; }
    p += r;
    n -= (size_t) r;
  }
  return 0;
}

static int
recv_frame (gk_h *g, char **buf_r, size_t *len_r, int timeout_ms, int or_cancel)
{
  unsigned char h[GK_FRAME_LEN];
  *buf_r = NULL;
  if (g->sock < 0) {
    gk_int_error_errno (g, EIO, "the appliance is not running");
    return -1;
  }
  int w = read_all (g, h, sizeof h, timeout_ms, or_cancel);
  if (w != 0) return w;
  uint32_t len = gk_int_frame_len (h);
  if (!gk_int_frame_len_ok (len)) {
    /* Framing is lost: the channel can't be trusted any more. */
    gk_int_error_errno (g, EPROTO, "protocol error: the appliance sent a frame of %u bytes "
                        "(limit %u); stopping it", len, GK_MSG_MAX);
    gk_int_mark_dead (g);
    return -1;
  }
  char *buf = malloc (len);
  if (!buf) { gk_int_error_errno (g, ENOMEM, "out of memory receiving %u bytes", len); return -1; }
  if (read_all (g, buf, len, timeout_ms, 0) == -1) { free (buf); return -1; }
  /* A cancelled daemon that still sends is answering: more grace, up
   * to CANCEL_MAX. */
  if (g->cancel_at) {
    int64_t t = gk_int_now_us () + CANCEL_GRACE_US;
    g->cancel_until = t < g->cancel_at + CANCEL_MAX_US ? t : g->cancel_at + CANCEL_MAX_US;
  }
  *buf_r = buf;
  *len_r = len;
  return 0;
}

int
gk_int_conn_recv (gk_h *g, char **buf_r, size_t *len_r, int timeout_ms)
{
  return recv_frame (g, buf_r, len_r, timeout_ms, 0);
}

int
gk_int_conn_recv_or_cancel (gk_h *g, char **buf_r, size_t *len_r)
{
  return recv_frame (g, buf_r, len_r, -1, 1);
}

int
gk_int_conn_readable (gk_h *g)
{
  struct pollfd p = { g->sock, POLLIN, 0 };
  return g->sock >= 0 && poll (&p, 1, 0) == 1;
}
