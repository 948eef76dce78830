/* guestkit: the file streams of FILEIN/FILEOUT calls (docs/protocol.md,
 * "Streams"): the serial datapath's DATA chunks here, the blk datapath's
 * slots through stage.c.  Layer: on conn.c, xfer.c and stage.c; proto.c
 * calls it. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"
#include "xfer.h"

/* --- upload (FILEIN), serial datapath --- */

/* Frames the daemon sent while we upload: progress, or CANCEL (its disk
 * is full...).  0 to go on, 1 if the daemon cancelled, -2 if the channel
 * died or the daemon broke the protocol (error set). */
static int
upload_daemon_frames (gk_h *g, const struct gk_int_call *c)
{
  while (gk_int_conn_readable (g)) {
    char *f; size_t fl;
    if (gk_int_conn_recv (g, &f, &fl, -1) == -1) return -2;
    uint32_t k = gk_int_frame_kind (f, fl);
    if (k == GK_K_PROGRESS) gk_int_xfer_progress_frame (g, c, f, fl);
    free (f);
    if (k == GK_K_CANCEL) return 1;
    if (k == GK_K_REPLY) {
      gk_int_error_errno (g, EPROTO, "%s: protocol error: reply before the upload ended", c->name);
      gk_int_mark_dead (g);
      return -2;
    }
  }
  return 0;
}

/* One read of the local file into BUF: the bytes read (0 at its end),
 * -1 with *why and *why_errno (a local error or a cancel), or -2 if a
 * signal interrupted it (look at the daemon's frames, then again). */
static ssize_t
upload_read (gk_h *g, struct gk_int_transfer *x, int fd, char *buf, size_t size,
             const char **why, int *why_errno)
{
  {
    int64_t t0 = gk_int_now_us ();
    if (x->pipe_like == -1) x->pipe_like = gk_int_is_pipe_like (fd);
    int e = x->pipe_like ? gk_int_local_wait (g, fd, POLLIN) : 0;
    if (e) {
      *why = e == ECANCELED ? "cancelled" : e == ETIMEDOUT ? "timed out waiting for local data"
        : strerror (e);
      *why_errno = e;
      return -1;
    }
    ssize_t n = read (fd, buf, size);
    x->host_io += gk_int_now_us () - t0;
    /* A signal (gk_user_cancel from a handler) ends a read that blocks
     * on a pipe or FIFO. */
    if (n == -1 && errno == EINTR && !g->cancel) return -2;
    if (n == -1 && g->cancel) { *why = "cancelled"; *why_errno = ECANCELED; return -1; }
    if (n == -1) { *why = strerror (errno); *why_errno = errno; return -1; }
    return n;
  }
}

/* The stream's last chunk: END if it ended normally (STATUS 0), else
 * CANCEL.  Returns STATUS, or -2 if the channel died. */
static int
upload_end (gk_h *g, uint32_t serial, int status)
{
  int r = gk_int_conn_send_chunk (g, serial, status == 0 ? GK_CH_END : GK_CH_CANCEL, NULL, 0);
  return r == -1 ? -2 : status;
}

/* Stream the local file in DATA chunks; returns 0 if the stream ended
 * normally, -1 if it was cancelled (by us, *why set, or by the daemon),
 * -2 if the channel died (error already set). */
static int
upload_chunks (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
               uint64_t total, int regular, struct gk_int_transfer *x,
               const char **why, int *why_errno)
{
  size_t csz = g->chunk_size;
  char *buf = malloc (csz);
  if (!buf) { *why = "out of memory"; *why_errno = ENOMEM; return upload_end (g, serial, -1); }
  int status = 0;
  for (;;) {
    if (g->cancel) { *why = "cancelled"; *why_errno = ECANCELED; status = -1; break; }
    /* Did the daemon ask us to stop (e.g. its disk is full)? */
    int d = upload_daemon_frames (g, c);
    if (d == -2) { free (buf); return -2; }
    if (d == 1) { *why = NULL; status = -1; break; }
    ssize_t n = upload_read (g, x, fd, buf, csz, why, why_errno);
    if (n == -2) continue;
    if (n == -1) { status = -1; break; }
    if (n == 0) break;
    int64_t t0 = gk_int_now_us ();
    if (gk_int_conn_send_chunk (g, serial, GK_CH_DATA, buf, (size_t) n) == -1) {
      free (buf);
      return -2;
    }
    x->transport += gk_int_now_us () - t0;
    x->bytes += (uint64_t) n;
    gk_int_xfer_progress (g, c, x->bytes, total);
  }
  free (buf);
  if (status == 0 && regular && x->bytes != total) {
    *why = "the local file changed size during the upload";
    *why_errno = EIO;
    status = -1;
  }
  return upload_end (g, serial, status);
}

/* Upload FD by the handle's datapath (lib/xfer.h). */
int
gk_int_stream_send (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
           struct gk_int_transfer *x, const char **why, int *why_errno)
{
  struct stat st;
  int regular = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
  uint64_t total = regular ? (uint64_t) st.st_size : 0;
  if (g->stage_map)
    return gk_int_stage_send (g, c, serial, fd, total, x, why, why_errno);
  return upload_chunks (g, c, serial, fd, total, regular, x, why, why_errno);
}

/* --- download (FILEOUT) --- */

/* One frame of the download, waiting for the next: until our CANCEL is
 * sent, a cancel ends the wait so that it can be sent at once.  0, 1
 * (cancelled, nothing read), -1 (channel died). */
static int
download_next (gk_h *g, int sent_cancel, char **f, size_t *fl, struct gk_int_transfer *x)
{
  int64_t t0 = gk_int_now_us ();
  int w = sent_cancel ? gk_int_conn_recv (g, f, fl, -1) : gk_int_conn_recv_or_cancel (g, f, fl);
  if (w == 0) x->transport += gk_int_now_us () - t0;
  return w;
}

/* A DATA chunk's bytes to the local file (unless a local write already
 * failed: then they are dropped while the stream drains). */
static void
download_data (gk_h *g, const struct gk_int_call *c, int fd, const char *data, size_t n,
               struct gk_int_transfer *x, int *write_errno)
{
  int64_t t0 = gk_int_now_us ();
  if (!*write_errno) *write_errno = gk_int_xfer_write (x, fd, data, n);
  x->host_io += gk_int_now_us () - t0;
  x->bytes += n;
  gk_int_xfer_progress (g, c, x->bytes, 0);
}

/* Receive chunks into FD until the stream ends.  0 on END, -1 if the
 * daemon aborted the stream, -2 if the channel died. */
int
gk_int_stream_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
           struct gk_int_transfer *x, int *write_errno)
{
  int sent_cancel = 0;
  for (;;) {
    /* The user cancelled, or a local write failed: tell the daemon to
     * stop, keep draining. */
    if ((g->cancel || *write_errno) && !sent_cancel) {
      if (gk_int_conn_send_cancel (g, serial) == -1) return -2;
      sent_cancel = 1;
      if (!*write_errno) *write_errno = ECANCELED;
    }
    char *f; size_t fl;
    int w = download_next (g, sent_cancel, &f, &fl, x);
    if (w == -1) return -2;
    if (w == 1) continue;
    uint32_t k = gk_int_frame_kind (f, fl);
    struct gk_int_chunk ch;
    const char *data = NULL;
    int chunk = gk_int_chunk_decode (f, fl, &ch, &data) == 0;
    if (k == GK_K_PROGRESS) { gk_int_xfer_progress_frame (g, c, f, fl); free (f); continue; }
    if (chunk && ch.flags == GK_CH_STAGED) {
      int r = gk_int_stage_recv (g, c, serial, f, fl, fd, x, write_errno);
      free (f);
      if (r == -2) return -2;
      continue;
    }
    if (!chunk || ch.serial != serial) {
      free (f);
      gk_int_error_errno (g, EPROTO, "%s: protocol error: unexpected frame (kind %u) "
                          "during the download", c->name, k);
      gk_int_mark_dead (g);
      return -2;
    }
    if (ch.flags == GK_CH_DATA) download_data (g, c, fd, data, ch.n, x, write_errno);
    free (f);
    if (ch.flags != GK_CH_DATA) return ch.flags == GK_CH_END ? 0 : -1;
  }
}

