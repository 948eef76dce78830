/* guestkit qemu backend: a minimal QMP client over an inherited socket.
 *
 * What the snapshot code needs of QMP is a handful of commands sent one
 * at a time (qemu-snap.c): each reply is the next line that starts with
 * {"return" or {"error"; asynchronous events ({"timestamp"...) are
 * skipped.  Only the error's "desc" string is ever extracted, so no JSON
 * library is needed (qemu writes one object per line).  Every wait is
 * bounded, a line is at most QMP_LINE bytes, and a qemu that exits
 * mid-way is an error, never a hang. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "backend.h"
#include "qmp.h"
#include "monoclock.h"

static int64_t
now_ms (void)
{
  return gk_int_mono_us () / 1000;
}

/* The next line (without its end) into q->line; -1 + vm->err. */
static int
read_line (struct gk_int_qmp *q, int64_t deadline)
{
  for (;;) {
    char *nl = memchr (q->buf, '\n', q->len);
    if (nl) {
      size_t n = (size_t) (nl - q->buf);
      memcpy (q->line, q->buf, n);
      q->line[n] = '\0';
      if (n && q->line[n - 1] == '\r') q->line[n - 1] = '\0';
      memmove (q->buf, nl + 1, q->len - n - 1);
      q->len -= n + 1;
      return 0;
    }
    if (q->len == sizeof q->buf) {
      gk_int_vm_error (q->vm, EPROTO, "launch: qemu's QMP monitor sent a line longer than %zu bytes",
                       sizeof q->buf);
      return -1;
    }
    int64_t left = deadline - now_ms ();
    if (left <= 0) {
      gk_int_vm_error (q->vm, ETIMEDOUT, "launch: qemu's QMP monitor did not answer in time");
      return -1;
    }
    struct pollfd p = { .fd = q->fd, .events = POLLIN };
    int r = poll (&p, 1, (int) left);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) { gk_int_vm_perror (q->vm, "launch: poll (QMP)"); return -1; }
    if (r == 0) continue;
    ssize_t n = read (q->fd, q->buf + q->len, sizeof q->buf - q->len);
    if (n == -1 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      gk_int_vm_error (q->vm, ECONNRESET, "launch: qemu exited (its QMP monitor closed)");
      return -1;
    }
    q->len += (size_t) n;
  }
}

static int
starts (const char *s, const char *p)
{
  return strncmp (s, p, strlen (p)) == 0;
}

/* The string value of "KEY" in LINE (qemu's error texts), printable
 * characters only; "" if absent. */
static void
str_value (const char *line, const char *key, char *out, size_t n)
{
  char pat[64];
  snprintf (pat, sizeof pat, "\"%s\": \"", key);
  const char *d = strstr (line, pat);
  size_t k = 0;
  if (d) {
    d += strlen (pat);
    for (; *d && *d != '"' && k + 1 < n; d++) {
      if (*d == '\\' && d[1]) d++;
      out[k++] = (*d >= 0x20 && *d < 0x7f) ? *d : '?';
    }
  }
  out[k] = '\0';
}

/* Send TEXT, with FD attached when >= 0 (SCM_RIGHTS). */
static int
send_text (struct gk_int_qmp *q, const char *text, int fd)
{
  size_t len = strlen (text);
  struct iovec iov = { (void *) text, len };
  union { char b[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (fd >= 0) {
    memset (&u, 0, sizeof u);
    m.msg_control = u.b;
    m.msg_controllen = sizeof u.b;
    struct cmsghdr *c = CMSG_FIRSTHDR (&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (c), &fd, sizeof fd);
  }
  ssize_t w;
  do w = sendmsg (q->fd, &m, MSG_NOSIGNAL); while (w == -1 && errno == EINTR);
  if (w != (ssize_t) len) {   /* a few hundred bytes on an idle socket: all or nothing */
    gk_int_vm_perror (q->vm, "launch: sending to qemu's QMP monitor");
    return -1;
  }
  return 0;
}

int
gk_int_qmp_cmd_fd (struct gk_int_qmp *q, int timeout_ms, int fd, const char *fmt, ...)
{
  char cmd[1024];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (cmd, sizeof cmd - 1, fmt, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= sizeof cmd - 1) {
    gk_int_vm_error (q->vm, EINVAL, "launch: QMP command too long");
    return -1;
  }
  strcat (cmd, "\n");
  if (send_text (q, cmd, fd) == -1) return -1;
  int64_t deadline = now_ms () + timeout_ms;
  for (;;) {
    if (read_line (q, deadline) == -1) return -1;
    if (starts (q->line, "{\"return\"")) return 0;
    if (starts (q->line, "{\"error\"")) {
      char desc[512];
      str_value (q->line, "desc", desc, sizeof desc);
      cmd[strcspn (cmd, "\n")] = '\0';
      gk_int_vm_error (q->vm, EIO, "launch: qemu refused %s: %s", cmd, desc[0] ? desc : q->line);
      return -1;
    }
    /* Anything else is an event: skip it. */
  }
}

int
gk_int_qmp_open (struct gk_int_qmp *q, struct gk_int_vm *vm, int fd, int timeout_ms)
{
  q->vm = vm;
  q->fd = fd;
  q->len = 0;
  int64_t deadline = now_ms () + timeout_ms;
  if (read_line (q, deadline) == -1) return -1;
  if (!starts (q->line, "{\"QMP\"")) {
    gk_int_vm_error (vm, EPROTO, "launch: qemu's QMP monitor did not greet as expected");
    return -1;
  }
  return gk_int_qmp_cmd (q, timeout_ms, "{\"execute\": \"qmp_capabilities\"}");
}

int
gk_int_qmp_wait_migration (struct gk_int_qmp *q, int timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;
  const struct timespec tick = { 0, 1000000 };
  for (;;) {
    if (gk_int_qmp_cmd (q, timeout_ms, "{\"execute\": \"query-migrate\"}") == -1) return -1;
    if (strstr (q->line, "\"status\": \"completed\"")) return 0;
    if (strstr (q->line, "\"status\": \"failed\"") || strstr (q->line, "\"status\": \"cancelled\"")) {
      char desc[512];
      str_value (q->line, "error-desc", desc, sizeof desc);
      gk_int_vm_error (q->vm, EIO, "launch: qemu's migration failed%s%s", desc[0] ? ": " : "", desc);
      return -1;
    }
    if (now_ms () > deadline) {
      gk_int_vm_error (q->vm, ETIMEDOUT, "launch: qemu's migration did not complete in %d ms",
                       timeout_ms);
      return -1;
    }
    nanosleep (&tick, NULL);
  }
}
