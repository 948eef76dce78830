/* guestkitd: file streams (FILEIN/FILEOUT calls) and progress messages.
 * Data moves either in CHUNK frames of up to GK_CHUNK_MAX bytes on the
 * channel (serial datapath) or through slots of the staging disk, named
 * by CHUNK frames with flag STAGED (blk datapath, common/stage.h).
 * Either side can cancel (docs/protocol.md, "Streams").
 *
 * Data handed to a FILEIN handler is always in a GK_DIRECT_ALIGN-aligned
 * buffer, so that it can be written with O_DIRECT without a copy: channel
 * chunks are read so that their data lands on the alignment, and staged
 * slots are read straight from the staging disk. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "daemon.h"
#include "proto.h"
#include "stage.h"

/* The running call's stream and transfer times: owned here, set up by
 * the request loop (gk_int_stream_begin) for each call. */
struct gk_int_stream gk_int_cur;
struct gk_int_xfer_times gk_int_xfer;

void
gk_int_stream_begin (uint32_t serial, uint32_t proc, int in, int out)
{
  gk_int_cur = (struct gk_int_stream) { .serial = serial, .proc = proc, .in = in, .out = out };
  memset (&gk_int_xfer, 0, sizeof gk_int_xfer);
}

/* One aligned buffer of a staging slot, plus one alignment unit in front
 * for frame headers. */
static char *abuf;

static char *
data_buffer (void)
{
  if (!abuf) {
    void *p;
    if (posix_memalign (&p, GK_DIRECT_ALIGN, GK_DIRECT_ALIGN + GK_STAGE_SLOT) != 0)
      return NULL;
    abuf = p;
  }
  return abuf + GK_DIRECT_ALIGN;
}

char *
gk_int_chunk_buffer (size_t *size_r)
{
  *size_r = gk_int_stage_fd () >= 0 ? GK_STAGE_SLOT : GK_CHUNK_MAX;
  return data_buffer ();
}

static int
send_cancel (void)
{
  return gk_int_chan_send_cancel (gk_int_cur.serial);
}

static void
protocol_error (const char *what)
{
  gk_int_cur.done = 1;
  gk_int_err (EPROTO, "protocol error: %s", what);
  gk_int_log ("protocol error: %s", what);
  exit (1);                     /* framing is lost */
}

/* Copy a staged slot into the data buffer.  -1 + error on failure. */
static int
stage_read (uint64_t off, uint32_t len, char *dst)
{
  int fd = gk_int_stage_fd ();
  if (fd == -1)
    return gk_int_err (EPROTO, "protocol error: staged data but no staging disk");
  size_t want = (len + GK_DIRECT_ALIGN - 1) / GK_DIRECT_ALIGN * GK_DIRECT_ALIGN, got = 0;
  while (got < want) {
    ssize_t r = pread (fd, dst + got, want - got, (off_t) (off + got));
    if (r == -1 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;
      return gk_int_perr ("staging disk");
    }
    got += (size_t) r;
  }
  return 0;
}

/* One upload being received: the handler's callback, the aligned buffer
 * channel chunks are gathered in (FILL bytes so far), and whether the
 * callback (or the buffer) failed, after which the rest is drained. */
struct upload {
  int (*cb) (void *, const char *, size_t);
  void *opaque;
  char *data;
  size_t fill;
  int failed;
};

/* The callback failed: tell the host to stop sending. */
static void
upload_failed (struct upload *u)
{
  u->failed = 1;
  send_cancel ();
}

/* Deliver the channel data gathered in the buffer. */
static void
flush (struct upload *u)
{
  size_t n = u->fill;
  u->fill = 0;
  if (u->failed || n == 0) return;
  if (u->cb (u->opaque, u->data, n) == -1) upload_failed (u);
}

/* The next CHUNK header of the current call (CANCEL frames, which an END
 * or CANCEL chunk follows, are skipped).  Exits on anything else. */
static void
next_chunk (struct gk_int_chunk *ch)
{
  for (;;) {
    unsigned char h[GK_CHUNK_HEAD];
    uint32_t kind;
    size_t body;
    gk_int_chan_read_exact (h, GK_FRAME_HEAD);
    if (gk_int_frame_head_decode (h, &kind, &body) == -1)
      protocol_error ("bad frame length during upload");
    if (kind == GK_K_CANCEL && body == GK_CANCEL_BODY) {
      gk_int_chan_read_exact (h, GK_CANCEL_BODY);
      continue;
    }
    if (kind != GK_K_CHUNK || body < GK_CHUNK_FIELDS)
      protocol_error ("unexpected frame during upload");
    gk_int_chan_read_exact (h + GK_FRAME_HEAD, GK_CHUNK_FIELDS);
    if (gk_int_chunk_head_decode (h, ch) == -1)
      protocol_error ("unexpected frame during upload");
    if (ch->serial != gk_int_cur.serial)
      protocol_error ("chunk of another call during upload");
    return;
  }
}

/* A DATA chunk's N bytes: into the buffer, handed on in pieces of up to
 * a slot (few, large, aligned writes); dropped without a buffer. */
static void
recv_data (struct upload *u, size_t n)
{
  if (!u->data) {                       /* out of memory: drain */
    char sink[256];
    for (size_t left = n; left > 0; ) {
      size_t k = left > sizeof sink ? sizeof sink : left;
      gk_int_chan_read_exact (sink, k);
      left -= k;
    }
    return;
  }
  if (u->fill + n > GK_STAGE_SLOT) flush (u);
  gk_int_chan_read_exact (u->data + u->fill, n);
  u->fill += n;
  if (u->fill % GK_DIRECT_ALIGN || u->fill + GK_CHUNK_MAX > GK_STAGE_SLOT) flush (u);
}

/* A STAGED chunk (body N bytes): the slot's data to the callback, and
 * the slot given back. */
static void
recv_staged (struct upload *u, size_t n)
{
  unsigned char b[GK_SLOT_BODY];
  uint64_t off; uint32_t slen;
  if (n != sizeof b) protocol_error ("bad staged chunk");
  gk_int_chan_read_exact (b, sizeof b);
  if (gk_int_slot_decode (b, n, &off, &slen) == -1) protocol_error ("bad staged chunk");
  flush (u);
  if (u->failed) return;
  int r = stage_read (off, slen, u->data);
  /* The slot is free again as soon as we hold its data. */
  gk_int_chan_send_chunk (gk_int_cur.serial, GK_CH_STAGED, (char *) b, sizeof b);
  if (r == -1 || (slen > 0 && u->cb (u->opaque, u->data, slen) == -1)) upload_failed (u);
}

int
gk_int_recv_stream (int (*cb) (void *, const char *, size_t), void *opaque)
{
  if (!gk_int_cur.in || gk_int_cur.done)
    return gk_int_err (EINVAL, "internal error: no upload stream to read");
  struct upload u = { .cb = cb, .opaque = opaque, .data = data_buffer () };
  if (!u.data) {
    /* Still drain the stream below, then fail. */
    gk_int_err (ENOMEM, "out of memory");
    upload_failed (&u);
  }
  struct gk_int_chunk ch;
  for (;;) {
    next_chunk (&ch);
    if (ch.flags == GK_CH_DATA) recv_data (&u, ch.n);
    else if (ch.flags == GK_CH_STAGED) recv_staged (&u, ch.n);
    else break;
  }
  /* END or CANCEL. */
  if (ch.n > 0) protocol_error ("END or CANCEL chunk with data");
  gk_int_cur.done = 1;
  if (ch.flags == GK_CH_CANCEL) {
    gk_int_cur.cancelled = 1;
    if (!u.failed) gk_int_err (ECANCELED, "transfer cancelled by the host");
    return -1;
  }
  flush (&u);
  return u.failed ? -1 : 0;
}

/* Download through the staging disk: slots in flight (sent, not yet
 * given back by the host), for the current call. */
static struct { uint32_t serial; unsigned head, inflight; int valid; } ring;

/* Read what the host sent: CANCEL, or slots given back.  Waits while
 * every slot is in use.  Returns 1 if the host cancelled. */
static int
host_frames (void)
{
  if (!ring.valid || ring.serial != gk_int_cur.serial)
    ring = (typeof (ring)) { .serial = gk_int_cur.serial, .valid = 1 };
  while (ring.inflight == GK_STAGE_SLOTS || gk_int_chan_readable ()) {
    char *buf;
    size_t len;
    if (gk_int_recv_frame (&buf, &len) == -1) exit (1);
    uint32_t kind = gk_int_frame_kind (buf, len);
    uint64_t off; uint32_t slen;
    int slot = gk_int_staged_decode (buf, len, gk_int_cur.serial, &off, &slen) == 0;
    free (buf);
    if (kind == GK_K_CANCEL) return 1;
    if (slot && ring.inflight > 0) ring.inflight--;
  }
  return 0;
}

static int
send_staged (const char *buf, size_t n)
{
  int fd = gk_int_stage_fd ();
  char *data = data_buffer ();
  if (!data) return gk_int_err (ENOMEM, "out of memory");
  while (n > 0) {
    size_t k = n > GK_STAGE_SLOT ? GK_STAGE_SLOT : n;
    if (buf != data) memcpy (data, buf, k);     /* not the aligned buffer */
    if (host_frames ()) {
      gk_int_cur.cancelled = 1;
      return gk_int_err (ECANCELED, "transfer cancelled by the host");
    }
    uint64_t off = (uint64_t) (ring.head % GK_STAGE_SLOTS) * GK_STAGE_SLOT;
    size_t want = (k + GK_DIRECT_ALIGN - 1) / GK_DIRECT_ALIGN * GK_DIRECT_ALIGN, done = 0;
    while (done < want) {
      ssize_t w = pwrite (fd, data + done, want - done, (off_t) (off + done));
      if (w == -1 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = EIO;
        return gk_int_perr ("staging disk");
      }
      done += (size_t) w;
    }
    unsigned char b[GK_SLOT_BODY];
    gk_int_slot_encode (b, off, (uint32_t) k);
    gk_int_chan_send_chunk (gk_int_cur.serial, GK_CH_STAGED, (char *) b, sizeof b);
    ring.head++;
    ring.inflight++;
    if (buf != data) buf += k;
    n -= k;
  }
  return 0;
}

int
gk_int_send_chunk (const char *buf, size_t n)
{
  if (!gk_int_cur.out || gk_int_cur.done)
    return gk_int_err (EINVAL, "internal error: no download stream open");
  if (gk_int_stage_fd () >= 0)
    return send_staged (buf, n);
  if (host_frames ()) {
    gk_int_cur.cancelled = 1;
    return gk_int_err (ECANCELED, "transfer cancelled by the host");
  }
  while (n > 0) {
    size_t k = n > GK_CHUNK_MAX ? GK_CHUNK_MAX : n;
    gk_int_chan_send_chunk (gk_int_cur.serial, GK_CH_DATA, buf, k);
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
  gk_int_chan_send_chunk (gk_int_cur.serial, ok && !gk_int_cur.cancelled ? GK_CH_END : GK_CH_CANCEL,
                          NULL, 0);
  return 0;
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
