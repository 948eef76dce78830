/* guestkit: calls to the daemon (docs/protocol.md).  One call at a time
 * per handle; every frame from the appliance is checked before use. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"
#include "xfer.h"

/* Text from the guest is shown to people: keep it printable. */
static void
sanitize (char *s)
{
  for (unsigned char *p = (unsigned char *) s; *p; p++)
    if ((*p < 32 && *p != '\n' && *p != '\t') || *p == 127) *p = '?';
}

int
gk_int_wait_ready (gk_h *g, int timeout_ms)
{
  char *buf;
  size_t len;
  if (gk_int_recv_frame (g, &buf, &len, timeout_ms) == -1) {
    if (g->last_errno == ETIMEDOUT)
      gk_int_error_with_console (g, ETIMEDOUT, "launch: timed out waiting for the appliance to start");
    else if (g->last_errno == ECANCELED) ;
    else if (g->state != GK_DEAD || g->last_errno == EIO) {
      char *m = strdup (g->last_error ? g->last_error : "");
      gk_int_error_errno (g, EIO, "launch: %s", m ? m : "the appliance failed to start");
      free (m);
    }
    return -1;
  }
  int64_t t_ready = gk_int_now_us () - g->t_launch0;
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, buf, len);
  uint32_t kind = gk_int_rb_u32 (&rb);
  uint32_t version = gk_int_rb_u32 (&rb);
  uint32_t n = gk_int_rb_u32 (&rb);
  if (rb.err || kind != GK_K_READY || version != GK_PROTO_VERSION || n > 16) {
    free (buf);
    gk_int_error_errno (g, EPROTO, "launch: the appliance did not send a valid ready message "
                        "(kind %u, protocol version %u, expected %u)", kind, version,
                        GK_PROTO_VERSION);
    return -1;
  }
  uint64_t last_us = 0;
  for (uint32_t i = 0; i < n && !rb.err; i++) {
    char *name = gk_int_rb_str (&rb, NULL);
    uint64_t us = gk_int_rb_u64 (&rb);
    if (name && strncmp (name, "guest.", 6) == 0 && strlen (name) < 40 && us < (uint64_t) 1 << 40) {
      sanitize (name);
      gk_int_timing_set (g, name, (int64_t) us);
      if (us > last_us) last_us = us;
    }
    free (name);
  }
  free (buf);
  gk_int_timing_set (g, "launch.ready", t_ready);
  /* Time before the guest kernel's clock started: process start,
   * firmware, loading kernel and initrd. */
  int64_t spawn = 0;
  for (size_t i = 0; i < g->nr_timings; i++)
    if (strcmp (g->timings[i].name, "launch.spawn") == 0) spawn = g->timings[i].usec;
  int64_t app = 0;
  for (size_t i = 0; i < g->nr_timings; i++)
    if (strcmp (g->timings[i].name, "launch.appliance") == 0) app = g->timings[i].usec;
  int64_t vmm = t_ready - app - spawn - (int64_t) last_us;
  if (vmm > 0) gk_int_timing_set (g, "launch.vmm", vmm);
  return 0;
}

void
gk_int_xfer_progress (gk_h *g, const struct gk_int_call *c, uint64_t done, uint64_t total)
{
  if (g->progress_cb) g->progress_cb (g, g->progress_opaque, c->name, done, total);
}

/* Handle a PROGRESS or stray frame while waiting for something else.
 * Returns the frame kind. */
static uint32_t
frame_kind (const char *buf, size_t len)
{
  return len >= 4 ? gk_int_get_u32 (buf) : 0;
}

void
gk_int_xfer_progress_frame (gk_h *g, const struct gk_int_call *c, const char *buf, size_t len)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, buf + 4, len - 4);
  (void) gk_int_rb_u32 (&rb);
  (void) gk_int_rb_u32 (&rb);
  uint64_t done = gk_int_rb_u64 (&rb), total = gk_int_rb_u64 (&rb);
  if (!rb.err) gk_int_xfer_progress (g, c, done, total);
}

/* --- upload (FILEIN) --- */

/* Stream the local file; returns 0 if the stream ended normally, -1 if
 * it was cancelled (by us or the daemon) with *why set, -2 if the channel
 * died (error already set). */
static int
send_file (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
           struct gk_int_xfer *x, const char **why, int *why_errno)
{
  struct stat st;
  uint64_t total = 0;
  int regular = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
  if (regular) total = (uint64_t) st.st_size;
  if (g->stage_map)
    return gk_int_stage_send (g, c, serial, fd, regular ? total : 0, x, why, why_errno);
  size_t csz = g->chunk_size;
  char *buf = malloc (csz);
  if (!buf) { *why = "out of memory"; *why_errno = ENOMEM; goto cancel; }
  for (;;) {
    if (g->cancel) { *why = "cancelled"; *why_errno = ECANCELED; goto cancel; }
    /* Did the daemon ask us to stop (e.g. its disk is full)? */
    while (gk_int_readable (g)) {
      char *f; size_t fl;
      if (gk_int_recv_frame (g, &f, &fl, -1) == -1) { free (buf); return -2; }
      uint32_t k = frame_kind (f, fl);
      if (k == GK_K_PROGRESS) gk_int_xfer_progress_frame (g, c, f, fl);
      free (f);
      if (k == GK_K_CANCEL) { *why = NULL; goto cancel; }
      if (k == GK_K_REPLY) {
        free (buf);
        gk_int_error_errno (g, EPROTO, "%s: protocol error: reply before the upload ended", c->name);
        gk_int_mark_dead (g);
        return -2;
      }
    }
    int64_t t0 = gk_int_now_us ();
    ssize_t n = read (fd, buf, csz);
    x->host_io += gk_int_now_us () - t0;
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { *why = strerror (errno); *why_errno = errno; goto cancel; }
    if (n == 0) break;
    t0 = gk_int_now_us ();
    if (gk_int_send_chunk_frame (g, serial, GK_CH_DATA, buf, (size_t) n) == -1) {
      free (buf);
      return -2;
    }
    x->transport += gk_int_now_us () - t0;
    x->bytes += (uint64_t) n;
    gk_int_xfer_progress (g, c, x->bytes, total);
  }
  free (buf);
  if (regular && x->bytes != total) {
    *why = "the local file changed size during the upload";
    *why_errno = EIO;
    return gk_int_send_chunk_frame (g, serial, GK_CH_CANCEL, NULL, 0) == -1 ? -2 : -1;
  }
  return gk_int_send_chunk_frame (g, serial, GK_CH_END, NULL, 0) == -1 ? -2 : 0;
 cancel:
  free (buf);
  return gk_int_send_chunk_frame (g, serial, GK_CH_CANCEL, NULL, 0) == -1 ? -2 : -1;
}

/* --- download (FILEOUT) --- */

static int
write_all (int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write (fd, p, n);
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

int
gk_int_xfer_write (struct gk_int_xfer *x, int fd, const char *p, size_t n)
{
  if (!x->sparse) return write_all (fd, p, n);
  /* Runs of non-zero blocks are written in one go, zero blocks skipped
   * (the caller sets the final size, so a trailing hole counts). */
  while (n > 0) {
    size_t run = 0;
    while (run < n && !all_zero (p + run, n - run < HOLE_BLOCK ? n - run : HOLE_BLOCK))
      run += n - run < HOLE_BLOCK ? n - run : HOLE_BLOCK;
    int e = write_all (fd, p, run);
    if (e) return e;
    p += run;
    n -= run;
    size_t hole = 0;
    while (hole < n && all_zero (p + hole, n - hole < HOLE_BLOCK ? n - hole : HOLE_BLOCK))
      hole += n - hole < HOLE_BLOCK ? n - hole : HOLE_BLOCK;
    if (hole && lseek (fd, (off_t) hole, SEEK_CUR) == -1) return errno;
    p += hole;
    n -= hole;
  }
  return 0;
}

/* Receive chunks into FD until the stream ends.  0 on END, -1 if the
 * daemon aborted the stream, -2 if the channel died. */
static int
recv_file (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
           struct gk_int_xfer *x, int *write_errno)
{
  int sent_cancel = 0;
  for (;;) {
    if (g->cancel && !sent_cancel) {
      struct gk_int_wbuf b;
      gk_int_wb_init (&b, GK_K_CANCEL);
      gk_int_wb_u32 (&b, serial);
      int r = gk_int_wb_finish (&b) == -1 ? -1 : gk_int_send_frame (g, &b);
      gk_int_wb_free (&b);
      if (r == -1) return -2;
      sent_cancel = 1;
      if (!*write_errno) *write_errno = ECANCELED;
    }
    char *f; size_t fl;
    int64_t t0 = gk_int_now_us ();
    if (gk_int_recv_frame (g, &f, &fl, -1) == -1) return -2;
    x->transport += gk_int_now_us () - t0;
    uint32_t k = frame_kind (f, fl);
    if (k == GK_K_PROGRESS) { gk_int_xfer_progress_frame (g, c, f, fl); free (f); continue; }
    if (k == GK_K_CHUNK && fl >= 12 && gk_int_get_u32 (f + 8) == GK_CH_STAGED) {
      int r = gk_int_stage_recv (g, c, serial, f, fl, fd, x, write_errno);
      free (f);
      if (r == -2) return -2;
      if (*write_errno && !sent_cancel) g->cancel = 1;
      continue;
    }
    if (k != GK_K_CHUNK || fl < 12 || gk_int_get_u32 (f + 4) != serial
        || gk_int_get_u32 (f + 8) > GK_CH_CANCEL || fl - 12 > GK_CHUNK_MAX) {
      free (f);
      gk_int_error_errno (g, EPROTO, "%s: protocol error: unexpected frame (kind %u) "
                          "during the download", c->name, k);
      gk_int_mark_dead (g);
      return -2;
    }
    uint32_t flags = gk_int_get_u32 (f + 8);
    if (flags == GK_CH_DATA) {
      t0 = gk_int_now_us ();
      if (!*write_errno) *write_errno = gk_int_xfer_write (x, fd, f + 12, fl - 12);
      x->host_io += gk_int_now_us () - t0;
      x->bytes += fl - 12;
      free (f);
      gk_int_xfer_progress (g, c, x->bytes, 0);
      /* A local write error: tell the daemon to stop, keep draining. */
      if (*write_errno && !sent_cancel) { g->cancel = 1; continue; }
      continue;
    }
    free (f);
    return flags == GK_CH_END ? 0 : -1;
  }
}

/* --- the call --- */

struct gk_int_xfer_reply { uint64_t handler_ns, bytes, write_ns, fsync_ns; };

static int
recv_reply (gk_h *g, const struct gk_int_call *c, uint32_t proc, uint32_t serial,
            union gk_int_val *r, struct gk_int_xfer_reply *xr);

int
gk_int_call (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
             struct gk_int_optvals *o, union gk_int_val *r)
{
  memset (r, 0, sizeof *r);
  if (gk_int_check_ready (g, c->name) == -1) return -1;
  int filein = -1, fileout = -1;
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    const struct gk_int_arg *d = &c->args[i];
    if ((d->type == GK_T_STRING || d->type == GK_T_STRINGLIST) && !a[i].s) {
      gk_int_error_errno (g, EINVAL, "%s: argument %s must not be NULL", c->name, d->name);
      return -1;
    }
    if (d->sub == GK_S_FILEIN) filein = (int) i;
    if (d->sub == GK_S_FILEOUT) fileout = (int) i;
  }
  /* Open the local file before anything is sent, so a bad local path is
   * an error here, not a half-started transfer. */
  int fd = -1, created = 0;
  const char *local = NULL;
  if (filein >= 0) {
    local = a[filein].s;
    fd = strcmp (local, "-") == 0 ? dup (0) : open (local, O_RDONLY | O_CLOEXEC);
    if (fd == -1) { gk_int_perror (g, "%s: %s", c->name, local); return -1; }
    posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  if (fileout >= 0) {
    local = a[fileout].s;
    if (strcmp (local, "-") == 0) fd = dup (1);
    else {
      struct stat st;
      created = stat (local, &st) == -1;
      fd = open (local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd == -1) { gk_int_perror (g, "%s: %s", c->name, local); return -1; }
  }

  uint32_t serial = ++g->serial;
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CALL);
  gk_int_wb_u32 (&b, (uint32_t) c->proc | (gk_int_noop (c) ? GK_NOOP_BIT : 0));
  gk_int_wb_u32 (&b, serial);
  gk_int_enc_args (&b, c, a, o);
  if (gk_int_wb_finish (&b) == -1) {
    gk_int_wb_free (&b);
    if (fd >= 0) close (fd);
    gk_int_error_errno (g, EMSGSIZE, "%s: arguments too large (the protocol limit is %u bytes; "
                        "use upload for large data)", c->name, GK_MSG_MAX);
    return -1;
  }
  g->cancel = 0;
  int64_t t0 = gk_int_now_us ();
  int rc = gk_int_send_frame (g, &b);
  gk_int_wb_free (&b);
  struct gk_int_xfer x = { 0 };
  /* A "sparse" optional argument (download): holes for zero blocks, in a
   * regular local file only. */
  for (size_t k = 0; fileout >= 0 && c->optargs[k].type != GK_T_END; k++) {
    struct stat st;
    if (o && strcmp (c->optargs[k].name, "sparse") == 0 && (o->bitmask & ((uint64_t) 1 << k))
        && o->v[k].i && fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
      x.sparse = 1;
  }
  const char *why = NULL;
  int why_errno = 0, stream = 0;
  if (rc == 0 && filein >= 0) {
    stream = send_file (g, c, serial, fd, &x, &why, &why_errno);
    if (stream == -2) rc = -1;
  }
  if (rc == 0 && fileout >= 0) {
    stream = recv_file (g, c, serial, fd, &x, &why_errno);
    if (stream == -2) rc = -1;
  }
  struct gk_int_xfer_reply xr = { 0 };
  if (rc == 0) rc = recv_reply (g, c, (uint32_t) c->proc, serial, r, &xr);
  if (x.sparse && rc == 0 && stream == 0 && ftruncate (fd, (off_t) x.bytes) == -1) {
    gk_int_perror (g, "%s: %s", c->name, local);
    rc = -1;
  }
  if (fd >= 0 && fileout >= 0 && strcmp (local, "-") != 0 && rc == 0 && stream == 0
      && fsync (fd) == -1 && errno != EINVAL) {
    gk_int_perror (g, "%s: %s", c->name, local);
    rc = -1;
  }
  if (fd >= 0 && close (fd) == -1 && fileout >= 0 && rc == 0) {
    gk_int_perror (g, "%s: %s", c->name, local);
    rc = -1;
  }
  /* A local problem during the stream wins over the daemon's reply
   * (which then only says "cancelled by the host"). */
  int channel_ok = g->state == GK_READY;
  if (channel_ok && stream == -1) {
    if (why_errno) {
      if (rc == 0) gk_int_free_ret (c, r);
      gk_int_error_errno (g, why_errno, "%s: %s: %s", c->name, local,
                          why ? why : strerror (why_errno));
      rc = -1;
    }
    else if (fileout >= 0 && rc == 0) {
      gk_int_free_ret (c, r);
      gk_int_error_errno (g, EIO, "%s: the appliance aborted the transfer", c->name);
      rc = -1;
    }
  }
  if (rc == -1 && fileout >= 0 && created) unlink (local);
  if (filein >= 0 || fileout >= 0) {
    gk_int_timing_reset (g, "xfer.");
    gk_int_timing_set (g, "xfer.bytes", (int64_t) x.bytes);
    gk_int_timing_set (g, "xfer.wall", gk_int_now_us () - t0);
    gk_int_timing_set (g, "xfer.host_io", x.host_io);
    gk_int_timing_set (g, "xfer.transport", x.transport);
    gk_int_timing_set (g, "xfer.guest_write", (int64_t) (xr.write_ns / 1000));
    gk_int_timing_set (g, "xfer.guest_fsync", (int64_t) (xr.fsync_ns / 1000));
  }
  else if (rc == 0 && (c->flags & GK_F_PROGRESS) && xr.bytes) {
    /* fill and friends: the guest side of write-no-upload. */
    gk_int_timing_reset (g, "xfer.");
    gk_int_timing_set (g, "xfer.bytes", (int64_t) xr.bytes);
    gk_int_timing_set (g, "xfer.wall", gk_int_now_us () - t0);
    gk_int_timing_set (g, "xfer.guest_write", (int64_t) (xr.write_ns / 1000));
    gk_int_timing_set (g, "xfer.guest_fsync", (int64_t) (xr.fsync_ns / 1000));
  }
  g->cancel = 0;
  return rc;
}

static int
recv_reply (gk_h *g, const struct gk_int_call *c, uint32_t proc, uint32_t serial,
            union gk_int_val *r, struct gk_int_xfer_reply *xr)
{
  for (;;) {
    char *f; size_t fl;
    if (gk_int_recv_frame (g, &f, &fl, -1) == -1) return -1;
    uint32_t k = frame_kind (f, fl);
    if (k == GK_K_PROGRESS) { gk_int_xfer_progress_frame (g, c, f, fl); free (f); continue; }
    /* Leftovers of a stream the daemon cancelled. */
    if (k == GK_K_CANCEL || k == GK_K_CHUNK) { free (f); continue; }
    if (k != GK_K_REPLY) {
      free (f);
      gk_int_error_errno (g, EPROTO, "%s: protocol error: unexpected frame kind %u", c->name, k);
      gk_int_mark_dead (g);
      return -1;
    }
    struct gk_int_rbuf rb;
    gk_int_rb_init (&rb, f + 4, fl - 4);
    uint32_t rproc = gk_int_rb_u32 (&rb), rserial = gk_int_rb_u32 (&rb);
    uint32_t status = gk_int_rb_u32 (&rb);
    xr->handler_ns = gk_int_rb_u64 (&rb);
    xr->bytes = gk_int_rb_u64 (&rb);
    xr->write_ns = gk_int_rb_u64 (&rb);
    xr->fsync_ns = gk_int_rb_u64 (&rb);
    if (rb.err || rproc != proc || rserial != serial || status > GK_ST_ERROR) {
      free (f);
      gk_int_error_errno (g, EPROTO, "%s: protocol error: reply does not match the call "
                          "(procedure %u/%u, serial %u/%u)", c->name, rproc, proc, rserial, serial);
      gk_int_mark_dead (g);
      return -1;
    }
    if (status == GK_ST_ERROR) {
      char *ename = gk_int_rb_str (&rb, NULL);
      char *msg = gk_int_rb_str (&rb, NULL);
      if (gk_int_rb_done (&rb) == -1 || !ename || !msg || strlen (ename) > GK_ERRNAME_MAX) {
        gk_int_error_errno (g, EPROTO, "%s: protocol error: malformed error reply", c->name);
      }
      else {
        if (strlen (msg) > GK_ERRMSG_MAX) msg[GK_ERRMSG_MAX] = '\0';
        sanitize (msg);
        gk_int_error_errno (g, gk_int_errno_from_name (ename), "%s: %s", c->name, msg);
      }
      free (ename);
      free (msg);
      free (f);
      return -1;
    }
    int d = gk_int_dec_ret (&rb, c, r);
    free (f);
    if (d == -1) {
      gk_int_error_errno (g, EPROTO, "%s: protocol error: malformed reply: %s", c->name,
                          rb.err ? rb.err : "?");
      return -1;
    }
    return 0;
  }
}
