/* guestkit: calls to the daemon (docs/protocol.md).  One call at a time
 * per handle; every frame from the appliance is checked before use. */
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
    if (x->pipe_like == -1) x->pipe_like = gk_int_is_pipe_like (fd);
    int e = x->pipe_like ? gk_int_local_wait (g, fd, POLLIN) : 0;
    if (e) {
      *why = e == ECANCELED ? "cancelled" : e == ETIMEDOUT ? "timed out waiting for local data"
        : strerror (e);
      *why_errno = e;
      goto cancel;
    }
    ssize_t n = read (fd, buf, csz);
    x->host_io += gk_int_now_us () - t0;
    /* A signal (gk_user_cancel from a handler) ends a read that blocks
     * on a pipe or FIFO. */
    if (n == -1 && errno == EINTR && !g->cancel) continue;
    if (n == -1 && g->cancel) { *why = "cancelled"; *why_errno = ECANCELED; goto cancel; }
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
write_all (struct gk_int_xfer *x, int fd, const char *p, size_t n)
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

int
gk_int_xfer_write (struct gk_int_xfer *x, int fd, const char *p, size_t n)
{
  if (!x->sparse) return write_all (x, fd, p, n);
  /* Runs of non-zero blocks are written in one go, zero blocks skipped
   * (the caller sets the final size, so a trailing hole counts). */
  while (n > 0) {
    size_t run = 0;
    while (run < n && !all_zero (p + run, n - run < HOLE_BLOCK ? n - run : HOLE_BLOCK))
      run += n - run < HOLE_BLOCK ? n - run : HOLE_BLOCK;
    int e = write_all (x, fd, p, run);
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
    /* The user cancelled, or a local write failed: tell the daemon to
     * stop, keep draining. */
    if ((g->cancel || *write_errno) && !sent_cancel) {
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
    /* Until our CANCEL is sent, a cancel ends the wait for the next frame
     * so that it can be sent at once. */
    int w = sent_cancel ? gk_int_recv_frame (g, &f, &fl, -1)
      : gk_int_recv_frame_or_cancel (g, &f, &fl);
    if (w == -1) return -2;
    if (w == 1) continue;
    x->transport += gk_int_now_us () - t0;
    uint32_t k = frame_kind (f, fl);
    if (k == GK_K_PROGRESS) { gk_int_xfer_progress_frame (g, c, f, fl); free (f); continue; }
    if (k == GK_K_CHUNK && fl >= 12 && gk_int_get_u32 (f + 8) == GK_CH_STAGED) {
      int r = gk_int_stage_recv (g, c, serial, f, fl, fd, x, write_errno);
      free (f);
      if (r == -2) return -2;
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
      continue;
    }
    free (f);
    return flags == GK_CH_END ? 0 : -1;
  }
}

/* --- the local output file --- */

/* Open LOCAL for a download.  An existing regular file is replaced only
 * when the call succeeds: the data goes to a temporary file beside it
 * (*tmp_r), renamed over it (*final_r, the name with symbolic links
 * resolved) at the end.  Anything else (a device, a pipe, /dev/stdout, a
 * file with other hard links, a directory we may not write) is written
 * in place; a new file is created and removed again on failure
 * (*created_r).  -1 with errno set, or with errno 0 and the error set. */
static int
open_output (gk_h *g, const char *call, const char *local, int *created_r, char **tmp_r,
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

static void
discard_output (const char *local, int created, const char *tmp)
{
  if (tmp) unlink (tmp);
  else if (created) unlink (local);
}

struct sigpipe_guard { sigset_t old; int ours; };

static void
sigpipe_block (struct sigpipe_guard *s)
{
  sigset_t set, pending;
  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &set, &s->old);
  /* Consume only a SIGPIPE that our writes raise. */
  s->ours = !sigismember (&s->old, SIGPIPE)
    && !(sigpending (&pending) == 0 && sigismember (&pending, SIGPIPE));
}

static void
sigpipe_restore (struct sigpipe_guard *s)
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
  /* State and arguments: checked from the table by the caller
   * (gk_int_check_call). */
  int filein = -1, fileout = -1;
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    const struct gk_int_arg *d = &c->args[i];
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
  char *tmp = NULL, *final = NULL;   /* replacing a regular file: the new one until done */
  if (fileout >= 0) {
    local = a[fileout].s;
    if (strcmp (local, "-") == 0) fd = dup (1);
    else fd = open_output (g, c->name, local, &created, &tmp, &final);
    if (fd == -1) {
      if (errno) gk_int_perror (g, "%s: %s", c->name, local);
      return -1;
    }
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
    discard_output (local, created, tmp);
    free (tmp);
    free (final);
    gk_int_error_errno (g, EMSGSIZE, "%s: arguments too large (the protocol limit is %u bytes; "
                        "use upload for large data)", c->name, GK_MSG_MAX);
    return -1;
  }
  gk_int_call_begin (g, c->name);
  /* A local reader that went away is EPIPE here, never SIGPIPE in the
   * program (whose signal dispositions are not ours to change). */
  struct sigpipe_guard spg;
  if (fileout >= 0) sigpipe_block (&spg);
  int64_t t0 = gk_int_now_us ();
  int rc = gk_int_send_frame (g, &b);
  gk_int_wb_free (&b);
  struct gk_int_xfer x = { .g = g, .pipe_like = -1 };
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
   * (which then only says "cancelled by the host").  A local write error
   * fails the call even when the stream had already ended. */
  int channel_ok = g->state == GK_READY;
  if (channel_ok && (stream == -1 || (fileout >= 0 && why_errno))) {
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
  if (fileout >= 0) {
    if (rc == 0 && tmp && rename (tmp, final) == -1) {
      gk_int_perror (g, "%s: %s", c->name, local);
      rc = -1;
    }
    if (rc == -1) discard_output (local, created, tmp);
    free (tmp);
    free (final);
    sigpipe_restore (&spg);
  }
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
  gk_int_call_end (g);
  return rc;
}

static int
recv_reply (gk_h *g, const struct gk_int_call *c, uint32_t proc, uint32_t serial,
            union gk_int_val *r, struct gk_int_xfer_reply *xr)
{
  int sent_cancel = 0;
  for (;;) {
    char *f; size_t fl;
    /* A cancel is passed on: a daemon running a program kills it and
     * answers ECANCELED; one that can't answer is killed after 1 s. */
    int w = sent_cancel ? gk_int_recv_frame (g, &f, &fl, -1)
      : gk_int_recv_frame_or_cancel (g, &f, &fl);
    if (w == -1) return -1;
    if (w == 1) {
      struct gk_int_wbuf b;
      gk_int_wb_init (&b, GK_K_CANCEL);
      gk_int_wb_u32 (&b, serial);
      int sr = gk_int_wb_finish (&b) == -1 ? -1 : gk_int_send_frame (g, &b);
      gk_int_wb_free (&b);
      if (sr == -1) return -1;
      sent_cancel = 1;
      continue;
    }
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
