/* guestkitd: file streams (FILEIN/FILEOUT calls) and progress messages.
 * Data moves as CHUNK frames of up to GK_CHUNK_MAX bytes; either side can
 * cancel (docs/protocol.md, "Streams"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "daemon.h"
#include "proto.h"

static int
send_cancel (void)
{
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CANCEL);
  gk_int_wb_u32 (&b, gk_int_cur.serial);
  int r = gk_int_send_wbuf (&b);
  gk_int_wb_free (&b);
  return r;
}

int
gk_int_recv_stream (int (*cb) (void *, const char *, size_t), void *opaque)
{
  int failed = 0;
  if (!gk_int_cur.in || gk_int_cur.done)
    return gk_int_err (EINVAL, "internal error: no upload stream to read");
  for (;;) {
    char *buf;
    size_t len;
    if (gk_int_recv_frame (&buf, &len) == -1) exit (1);   /* host gone */
    struct gk_int_rbuf rb;
    gk_int_rb_init (&rb, buf, len);
    uint32_t kind = gk_int_rb_u32 (&rb);
    if (kind == GK_K_CANCEL) { free (buf); continue; }     /* a chunk END/CANCEL follows */
    uint32_t serial = gk_int_rb_u32 (&rb);
    uint32_t flags = gk_int_rb_u32 (&rb);
    if (kind != GK_K_CHUNK || rb.err || serial != gk_int_cur.serial || flags > GK_CH_CANCEL) {
      free (buf);
      gk_int_cur.done = 1;
      /* Framing is lost: nothing sensible can follow. */
      gk_int_err (EPROTO, "protocol error: unexpected frame during upload");
      exit (1);
    }
    size_t n;
    const char *data = gk_int_rb_rest (&rb, &n);
    if (flags == GK_CH_DATA) {
      if (n > GK_CHUNK_MAX) {
        free (buf);
        gk_int_err (EPROTO, "protocol error: chunk of %zu bytes", n);
        exit (1);
      }
      if (!failed && n > 0 && cb (opaque, data, n) == -1) {
        failed = 1;
        send_cancel ();         /* tell the host to stop sending */
      }
      free (buf);
      continue;
    }
    free (buf);
    gk_int_cur.done = 1;
    if (flags == GK_CH_CANCEL) {
      gk_int_cur.cancelled = 1;
      if (!failed) gk_int_err (ECANCELED, "transfer cancelled by the host");
      return -1;
    }
    return failed ? -1 : 0;
  }
}

/* Did the host send CANCEL?  Only checked between chunks. */
static int
host_cancelled (void)
{
  while (gk_int_chan_readable ()) {
    char *buf;
    size_t len;
    if (gk_int_recv_frame (&buf, &len) == -1) exit (1);
    uint32_t kind = len >= 4 ? gk_int_get_u32 (buf) : 0;
    free (buf);
    if (kind == GK_K_CANCEL) return 1;
  }
  return 0;
}

static int
send_chunk_frame (uint32_t flags, const char *data, size_t n)
{
  unsigned char h[16];
  gk_int_put_u32 (h, (uint32_t) (12 + n));
  gk_int_put_u32 (h + 4, GK_K_CHUNK);
  gk_int_put_u32 (h + 8, gk_int_cur.serial);
  gk_int_put_u32 (h + 12, flags);
  /* Header and data in one write: no copy of the data. */
  struct iovec iov[2] = { { h, 16 }, { (void *) data, n } };
  size_t total = 16 + n, done = 0;
  int k = 0;
  while (done < total) {
    ssize_t w = writev (gk_int_p_chan (), iov + k, 2 - k);
    if (w == -1 && errno == EINTR) continue;
    if (w <= 0) exit (1);     /* host gone */
    done += (size_t) w;
    while (k < 2 && (size_t) w >= iov[k].iov_len) { w -= (ssize_t) iov[k].iov_len; iov[k].iov_len = 0; k++; }
    if (k < 2) { iov[k].iov_base = (char *) iov[k].iov_base + w; iov[k].iov_len -= (size_t) w; }
  }
  return 0;
}

int
gk_int_send_chunk (const char *buf, size_t n)
{
  if (!gk_int_cur.out || gk_int_cur.done)
    return gk_int_err (EINVAL, "internal error: no download stream open");
  if (host_cancelled ()) {
    gk_int_cur.cancelled = 1;
    return gk_int_err (ECANCELED, "transfer cancelled by the host");
  }
  while (n > 0) {
    size_t k = n > GK_CHUNK_MAX ? GK_CHUNK_MAX : n;
    send_chunk_frame (GK_CH_DATA, buf, k);
    buf += k;
    n -= k;
  }
  return 0;
}

int
gk_int_send_end (int ok)
{
  if (!gk_int_cur.out || gk_int_cur.done) return 0;
  gk_int_cur.done = 1;
  return send_chunk_frame (ok && !gk_int_cur.cancelled ? GK_CH_END : GK_CH_CANCEL, NULL, 0);
}

static int
discard (void *opaque, const char *b, size_t n)
{
  (void) opaque; (void) b; (void) n;
  return 0;
}

void
gk_int_stream_finish (int ok)
{
  if (gk_int_cur.in && !gk_int_cur.done) {
    /* The handler failed before reading: stop the host, drop the rest. */
    send_cancel ();
    gk_int_recv_stream (discard, NULL);
  }
  if (gk_int_cur.out && !gk_int_cur.done) gk_int_send_end (ok);
}

void
gk_int_progress (uint64_t done, uint64_t total)
{
  /* First after 0.2 s, then every 0.2 s: short calls send none. */
  static uint64_t start_ns, last_ns;
  static uint32_t serial_seen = 0xffffffff;
  uint64_t now = gk_int_now_ns ();
  if (serial_seen != gk_int_cur.serial) {
    serial_seen = gk_int_cur.serial;
    start_ns = last_ns = now;
    return;
  }
  if (now - start_ns < 200000000 || now - last_ns < 200000000) return;
  last_ns = now;
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_PROGRESS);
  gk_int_wb_u32 (&b, gk_int_cur.proc);
  gk_int_wb_u32 (&b, gk_int_cur.serial);
  gk_int_wb_u64 (&b, done);
  gk_int_wb_u64 (&b, total);
  if (gk_int_send_wbuf (&b) == -1) exit (1);
  gk_int_wb_free (&b);
}
