/* guestkit: calls to the daemon (docs/protocol.md).  One call at a time
 * per handle; every frame from the appliance is checked before use.
 * Layer: on top of conn.c (frames), xfer.c (the local file's side) and
 * stream.c (the file streams); launch.c and handle.c call it, never the
 * other way round.  A call (gk_int_call) is a sequence of named steps:
 * open the local file, encode and send the CALL, stream, receive the
 * REPLY, finish the local file, decide which error wins, record times. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/random.h>
#include "internal.h"
#include "xfer.h"

/* Text from the guest is shown to people: keep it printable. */
static void
sanitize (char *s)
{
  for (unsigned char *p = (unsigned char *) s; *p; p++)
    if ((*p < 32 && *p != '\n' && *p != '\t') || *p == 127) *p = '?';
}

/* --- READY --- */

/* The READY wait failed: say so as a launch error. */
static void
ready_failed (gk_h *g, int timeout_ms)
{
  if (g->last_errno == ETIMEDOUT) {
    char what[160];
    snprintf (what, sizeof what, "launch: timed out after %d s waiting for the appliance to "
              "start (GUESTKIT_LAUNCH_TIMEOUT)", timeout_ms / 1000);
    gk_int_error_with_console (g, ETIMEDOUT, what);
  }
  else if (g->last_errno == ECANCELED) ;
  else if (g->state != GK_DEAD || g->last_errno == EIO) {
    char *m = strdup (g->last_error ? g->last_error : "");
    gk_int_error_errno (g, EIO, "launch: %s", m ? m : "the appliance failed to start");
    free (m);
  }
}

static int64_t
timing_of (gk_h *g, const char *name)
{
  int64_t v = 0;
  for (size_t i = 0; i < g->nr_timings; i++)
    if (strcmp (g->timings[i].name, name) == 0) v = g->timings[i].usec;
  return v;
}

/* The READY frame BUF: version, then the guest's boot phases as timings.
 * Sets *last_us to the latest phase.  -1 with the error set. */
static int
ready_decode (gk_h *g, const char *buf, size_t len, uint64_t *last_us)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, buf, len);
  uint32_t kind = gk_int_rb_u32 (&rb);
  uint32_t version = gk_int_rb_u32 (&rb);
  uint32_t n = gk_int_rb_u32 (&rb);
  if (rb.err || kind != GK_K_READY || version != GK_PROTO_VERSION || n > 16) {
    gk_int_error_errno (g, EPROTO, "launch: the appliance did not send a valid ready message "
                        "(kind %u, protocol version %u, expected %u)", kind, version,
                        GK_PROTO_VERSION);
    return -1;
  }
  *last_us = 0;
  for (uint32_t i = 0; i < n && !rb.err; i++) {
    char *name = gk_int_rb_str (&rb, NULL);
    uint64_t us = gk_int_rb_u64 (&rb);
    if (name && strncmp (name, "guest.", 6) == 0 && strlen (name) < 40 && us < (uint64_t) 1 << 40) {
      sanitize (name);
      gk_int_timing_set (g, name, (int64_t) us);
      if (us > *last_us) *last_us = us;
    }
    free (name);
  }
  return 0;
}

int
gk_int_wait_ready (gk_h *g, int timeout_ms)
{
  char *buf;
  size_t len;
  if (gk_int_conn_recv (g, &buf, &len, timeout_ms) == -1) {
    ready_failed (g, timeout_ms);
    return -1;
  }
  int64_t t_ready = gk_int_now_us () - g->t_launch0;
  uint64_t last_us;
  int r = ready_decode (g, buf, len, &last_us);
  free (buf);
  if (r == -1) return -1;
  gk_int_timing_set (g, "launch.ready", t_ready);
  /* Time before the guest kernel's clock started: process start,
   * firmware, loading kernel and initrd. */
  int64_t vmm = t_ready - timing_of (g, "launch.appliance") - timing_of (g, "launch.spawn")
    - (int64_t) last_us;
  if (vmm > 0) gk_int_timing_set (g, "launch.vmm", vmm);
  return 0;
}

int
gk_int_send_resume (gk_h *g, size_t ndrives)
{
  /* The saved guest's RNG state and clock are the same in every restore:
   * fresh bytes from our kernel, our clock (common/wire.h). */
  struct gk_int_resume r = { .ndrives = (uint32_t) ndrives };
  struct timespec ts;
  if (getrandom (r.seed, sizeof r.seed, 0) != (ssize_t) sizeof r.seed) {
    gk_int_perror (g, "launch: getrandom (entropy for the restored appliance)");
    return -1;
  }
  clock_gettime (CLOCK_REALTIME, &ts);
  r.sec = (uint64_t) ts.tv_sec;
  r.nsec = (uint32_t) ts.tv_nsec;
  struct gk_int_wbuf b;
  gk_int_resume_encode (&b, &r);
  int ret = gk_int_wb_finish (&b) == -1 ? -1 : gk_int_conn_send (g, &b);
  if (ret == -1 && !gk_last_error (g))
    gk_int_error_errno (g, ENOMEM, "launch: out of memory");
  gk_int_wb_free (&b);
  explicit_bzero (r.seed, sizeof r.seed);
  return ret;
}

/* --- the call --- */

/* The local file of a FILEIN or FILEOUT call, from open to close. */
struct local_file {
  int in, out;          /* index of the FILEIN / FILEOUT argument, or -1 */
  const char *name;     /* as given; "-" is standard input or output */
  int fd, created;
  char *tmp, *final;    /* replacing a regular file: the new one until done */
  struct gk_int_sigpipe_guard spg;
};

/* What the stream ended with. */
struct stream_end {
  int status;           /* 0 ended, -1 cancelled (by either side) */
  const char *why;      /* a local reason, or NULL */
  int why_errno;        /* its errno value, or 0 */
};

/* Find the FILEIN/FILEOUT arguments (the caller checked the arguments
 * from the table: gk_int_check_call). */
static void
local_find (const struct gk_int_call *c, struct local_file *lf)
{
  *lf = (struct local_file) { .in = -1, .out = -1, .fd = -1 };
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    if (c->args[i].sub == GK_S_FILEIN) lf->in = (int) i;
    if (c->args[i].sub == GK_S_FILEOUT) lf->out = (int) i;
  }
}

/* Open the local file before anything is sent, so a bad local path is
 * an error here, not a half-started transfer. */
static int
local_open (gk_h *g, const struct gk_int_call *c, union gk_int_val *a, struct local_file *lf)
{
  if (lf->in >= 0) {
    lf->name = a[lf->in].s;
    lf->fd = strcmp (lf->name, "-") == 0 ? dup (0) : open (lf->name, O_RDONLY | O_CLOEXEC);
    if (lf->fd == -1) { gk_int_perror (g, "%s: %s", c->name, lf->name); return -1; }
    posix_fadvise (lf->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  if (lf->out >= 0) {
    lf->name = a[lf->out].s;
    if (strcmp (lf->name, "-") == 0) lf->fd = dup (1);
    else lf->fd = gk_int_output_open (g, c->name, lf->name, &lf->created, &lf->tmp, &lf->final);
    if (lf->fd == -1) {
      if (errno) gk_int_perror (g, "%s: %s", c->name, lf->name);
      return -1;
    }
  }
  return 0;
}

/* A call that failed before it was sent. */
static void
local_abandon (struct local_file *lf)
{
  if (lf->fd >= 0) close (lf->fd);
  gk_int_output_discard (lf->name, lf->created, lf->tmp);
  free (lf->tmp);
  free (lf->final);
}

/* A "sparse" optional argument (download): holes for zero blocks, in a
 * regular local file only. */
static int
want_sparse (const struct gk_int_call *c, struct gk_int_optvals *o, const struct local_file *lf)
{
  struct stat st;
  for (size_t k = 0; lf->out >= 0 && o && c->optargs[k].type != GK_T_END; k++)
    if (strcmp (c->optargs[k].name, "sparse") == 0 && (o->bitmask & ((uint64_t) 1 << k))
        && o->v[k].i && fstat (lf->fd, &st) == 0 && S_ISREG (st.st_mode))
      return 1;
  return 0;
}

static int
encode_call (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
             struct gk_int_optvals *o, uint32_t serial, struct gk_int_wbuf *b)
{
  gk_int_enc_call_head (b, (uint32_t) c->proc | (gk_int_noop (c) ? GK_NOOP_BIT : 0), serial);
  gk_int_enc_args (b, c, a, o);
  if (gk_int_wb_finish (b) == 0) return 0;
  gk_int_wb_free (b);
  gk_int_error_errno (g, EMSGSIZE, "%s: arguments too large (the protocol limit is %u bytes; "
                      "use upload for large data)", c->name, GK_MSG_MAX);
  return -1;
}

/* The file stream, if the call has one.  0, or -1 if the channel died. */
static int
run_stream (gk_h *g, const struct gk_int_call *c, uint32_t serial, struct local_file *lf,
            struct gk_int_transfer *x, struct stream_end *se)
{
  int s = 0;
  if (lf->in >= 0) s = gk_int_stream_send (g, c, serial, lf->fd, x, &se->why, &se->why_errno);
  if (lf->out >= 0) s = gk_int_stream_recv (g, c, serial, lf->fd, x, &se->why_errno);
  se->status = s == -2 ? 0 : s;
  return s == -2 ? -1 : 0;
}

/* --- the reply --- */

/* The next frame that is not progress or a leftover of a stream the
 * daemon cancelled.  A cancel is passed on: a daemon running a program
 * kills it and answers ECANCELED; one that can't answer is killed after
 * 1 s.  0, or -1 (error set). */
static int
reply_wait (gk_h *g, const struct gk_int_call *c, uint32_t serial, char **f, size_t *fl)
{
  int sent_cancel = 0;
  for (;;) {
    int w = sent_cancel ? gk_int_conn_recv (g, f, fl, -1) : gk_int_conn_recv_or_cancel (g, f, fl);
    if (w == -1) return -1;
    if (w == 1) {
      if (gk_int_conn_send_cancel (g, serial) == -1) return -1;
      sent_cancel = 1;
      continue;
    }
    uint32_t k = gk_int_frame_kind (*f, *fl);
    if (k == GK_K_PROGRESS) gk_int_xfer_progress_frame (g, c, *f, *fl);
    if (k == GK_K_PROGRESS || k == GK_K_CANCEL || k == GK_K_CHUNK) { free (*f); continue; }
    if (k == GK_K_REPLY) return 0;
    free (*f);
    gk_int_error_errno (g, EPROTO, "%s: protocol error: unexpected frame kind %u", c->name, k);
    gk_int_mark_dead (g);
    return -1;
  }
}

/* An ERROR reply's errno name and message (RB after the head) as the
 * handle's error.  Always -1. */
static int
reply_error (gk_h *g, const struct gk_int_call *c, struct gk_int_rbuf *rb)
{
  char *ename = gk_int_rb_str (rb, NULL);
  char *msg = gk_int_rb_str (rb, NULL);
  if (gk_int_rb_done (rb) == -1 || !ename || !msg || strlen (ename) > GK_ERRNAME_MAX)
    gk_int_error_errno (g, EPROTO, "%s: protocol error: malformed error reply", c->name);
  else {
    if (strlen (msg) > GK_ERRMSG_MAX) msg[GK_ERRMSG_MAX] = '\0';
    sanitize (msg);
    gk_int_error_errno (g, gk_int_errno_from_name (ename), "%s: %s", c->name, msg);
  }
  free (ename);
  free (msg);
  return -1;
}

/* The REPLY frame F: head checked against the call, then the result
 * into R or the error.  0 or -1. */
static int
reply_decode (gk_h *g, const struct gk_int_call *c, uint32_t serial, const char *f, size_t fl,
              union gk_int_val *r, struct gk_int_reply_head *h)
{
  uint32_t proc = (uint32_t) c->proc;
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, f, fl);
  (void) gk_int_rb_u32 (&rb);   /* kind: REPLY */
  if (gk_int_dec_reply_head (&rb, h) == -1 || h->proc != proc || h->serial != serial) {
    gk_int_error_errno (g, EPROTO, "%s: protocol error: reply does not match the call "
                        "(procedure %u/%u, serial %u/%u)", c->name, h->proc, proc, h->serial, serial);
    gk_int_mark_dead (g);
    return -1;
  }
  if (h->status == GK_ST_ERROR) return reply_error (g, c, &rb);
  if (gk_int_dec_ret (&rb, c, r) == -1) {
    gk_int_error_errno (g, EPROTO, "%s: protocol error: malformed reply: %s", c->name,
                        rb.err ? rb.err : "?");
    return -1;
  }
  return 0;
}

static int
recv_reply (gk_h *g, const struct gk_int_call *c, uint32_t serial, union gk_int_val *r,
            struct gk_int_reply_head *h)
{
  char *f; size_t fl;
  if (reply_wait (g, c, serial, &f, &fl) == -1) return -1;
  int rc = reply_decode (g, c, serial, f, fl, r, h);
  free (f);
  return rc;
}

/* --- after the reply --- */

/* A download's local file: its final size (sparse), fsync, close.
 * Returns RC, or -1 if one of them failed (error set). */
static int
local_close (gk_h *g, const struct gk_int_call *c, struct local_file *lf,
             const struct gk_int_transfer *x, const struct stream_end *se, int rc)
{
  int ok = rc == 0 && se->status == 0;
  if (x->sparse && ok && ftruncate (lf->fd, (off_t) x->bytes) == -1) {
    gk_int_perror (g, "%s: %s", c->name, lf->name);
    rc = -1;
  }
  if (lf->fd >= 0 && lf->out >= 0 && strcmp (lf->name, "-") != 0 && rc == 0 && se->status == 0
      && fsync (lf->fd) == -1 && errno != EINVAL) {
    gk_int_perror (g, "%s: %s", c->name, lf->name);
    rc = -1;
  }
  if (lf->fd >= 0 && close (lf->fd) == -1 && lf->out >= 0 && rc == 0) {
    gk_int_perror (g, "%s: %s", c->name, lf->name);
    rc = -1;
  }
  lf->fd = -1;
  return rc;
}

/* A local problem during the stream wins over the daemon's reply (which
 * then only says "cancelled by the host").  A local write error fails
 * the call even when the stream had already ended. */
static int
local_error_wins (gk_h *g, const struct gk_int_call *c, const struct local_file *lf,
                  const struct stream_end *se, union gk_int_val *r, int rc)
{
  int channel_ok = g->state == GK_READY;
  if (!channel_ok || !(se->status == -1 || (lf->out >= 0 && se->why_errno))) return rc;
  if (se->why_errno) {
    if (rc == 0) gk_int_free_ret (c, r);
    gk_int_error_errno (g, se->why_errno, "%s: %s: %s", c->name, lf->name,
                        se->why ? se->why : strerror (se->why_errno));
    return -1;
  }
  if (lf->out >= 0 && rc == 0) {
    gk_int_free_ret (c, r);
    gk_int_error_errno (g, EIO, "%s: the appliance aborted the transfer", c->name);
    return -1;
  }
  return rc;
}

/* A download's file replaces the old one only now, if the call succeeded. */
static int
local_commit (gk_h *g, const struct gk_int_call *c, struct local_file *lf, int rc)
{
  if (rc == 0 && lf->tmp && rename (lf->tmp, lf->final) == -1) {
    gk_int_perror (g, "%s: %s", c->name, lf->name);
    rc = -1;
  }
  if (rc == -1) gk_int_output_discard (lf->name, lf->created, lf->tmp);
  free (lf->tmp);
  free (lf->final);
  gk_int_sigpipe_restore (&lf->spg);
  return rc;
}

/* xfer.* timings: both sides' measurements of a stream, or the guest's
 * of a call that writes without one (fill and friends). */
static void
record_timings (gk_h *g, const struct gk_int_call *c, const struct local_file *lf,
                const struct gk_int_transfer *x, const struct gk_int_reply_head *h,
                int rc, int64_t t0)
{
  int stream = lf->in >= 0 || lf->out >= 0;
  if (!stream && !(rc == 0 && (c->flags & GK_F_PROGRESS) && h->xfer_bytes)) return;
  gk_int_timing_reset (g, "xfer.");
  gk_int_timing_set (g, "xfer.bytes", stream ? (int64_t) x->bytes : (int64_t) h->xfer_bytes);
  gk_int_timing_set (g, "xfer.wall", gk_int_now_us () - t0);
  if (stream) {
    gk_int_timing_set (g, "xfer.host_io", x->host_io);
    gk_int_timing_set (g, "xfer.transport", x->transport);
  }
  gk_int_timing_set (g, "xfer.guest_write", (int64_t) (h->xfer_write_ns / 1000));
  gk_int_timing_set (g, "xfer.guest_fsync", (int64_t) (h->xfer_fsync_ns / 1000));
}

static int call_resolved (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                          struct gk_int_optvals *o, union gk_int_val *r);

int
gk_int_call (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
             struct gk_int_optvals *o, union gk_int_val *r)
{
  memset (r, 0, sizeof *r);
  /* State and arguments: checked from the table by the caller
   * (gk_int_check_call).  Drive labels become /dev/sdX in copies of
   * the arguments (the caller's stay as given). */
  union gk_int_val a_copy[GK_MAX_ARGS];
  struct gk_int_optvals o_copy = o ? *o : (struct gk_int_optvals) { 0 };
  if (a) memcpy (a_copy, a, gk_int_count_args (c->args) * sizeof *a);
  struct gk_int_labels lb;
  if (gk_int_labels_resolve (g, c, a_copy, &o_copy, &lb) == -1) return -1;
  int rc = call_resolved (g, c, a_copy, o ? &o_copy : NULL, r);
  gk_int_labels_free (&lb);
  return rc;
}

static int
call_resolved (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
               struct gk_int_optvals *o, union gk_int_val *r)
{
  struct local_file lf;
  local_find (c, &lf);
  if (local_open (g, c, a, &lf) == -1) return -1;
  uint32_t serial = ++g->serial;
  struct gk_int_wbuf b;
  if (encode_call (g, c, a, o, serial, &b) == -1) {
    local_abandon (&lf);
    return -1;
  }
  gk_int_call_begin (g, c->name);
  /* A local reader that went away is EPIPE here, never SIGPIPE in the
   * program (whose signal dispositions are not ours to change). */
  if (lf.out >= 0) gk_int_sigpipe_block (&lf.spg);
  int64_t t0 = gk_int_now_us ();
  int rc = gk_int_conn_send (g, &b);
  gk_int_wb_free (&b);
  struct gk_int_transfer x = { .g = g, .pipe_like = -1, .sparse = want_sparse (c, o, &lf) };
  struct stream_end se = { 0 };
  struct gk_int_reply_head h = { 0 };
  if (rc == 0) rc = run_stream (g, c, serial, &lf, &x, &se);
  if (rc == 0) rc = recv_reply (g, c, serial, r, &h);
  rc = local_close (g, c, &lf, &x, &se, rc);
  rc = local_error_wins (g, c, &lf, &se, r, rc);
  if (lf.out >= 0) rc = local_commit (g, c, &lf, rc);
  record_timings (g, c, &lf, &x, &h, rc, t0);
  gk_int_call_end (g);
  return rc;
}

