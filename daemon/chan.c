/* guestkitd: the control channel, framed (docs/protocol.md).  The lowest
 * layer of the daemon's core: whole frames in and out, and CHUNK frames
 * written with their data in one writev.  A host that goes away or
 * breaks framing cannot be resynchronised: the callers exit. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>
#include "daemon.h"
#include "fullio.h"
#include "proto.h"

static int chan = -1;

void gk_int_chan_set (int fd) { chan = fd; }
int gk_int_p_chan (void) { return chan; }


void
gk_int_chan_read_exact (void *p, size_t n)
{
  if (n > 0 && gk_int_read_full (chan, p, n) != (ssize_t) n) exit (1);   /* host gone */
}

int
gk_int_chan_readable (void)
{
  struct pollfd p = { .fd = chan, .events = POLLIN };
  return poll (&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int
gk_int_send_wbuf (struct gk_int_wbuf *b)
{
  if (gk_int_wb_finish (b) == -1) return -1;
  return gk_int_write_full (chan, b->p, b->len);
}

/* The frame whose header H is read: its length checked, its body read. */
static int
frame_body (const unsigned char *h, char **buf_r, size_t *len_r)
{
  uint32_t len = gk_int_frame_len (h);
  if (len == 0) return -1;      /* the host's goodbye (docs/protocol.md) */
  if (!gk_int_frame_len_ok (len)) {
    fprintf (stderr, "guestkitd: bad frame length %u from host\n", len);
    return -1;
  }
  char *buf = malloc (len);
  if (!buf || gk_int_read_full (chan, buf, len) != (ssize_t) len) { free (buf); return -1; }
  *buf_r = buf;
  *len_r = len;
  return 0;
}

/* One frame, body malloc'd (starting at the kind).  -1 on EOF/garbage:
 * a host that breaks framing can't be resynchronised, so we stop. */
int
gk_int_recv_frame (char **buf_r, size_t *len_r)
{
  unsigned char h[GK_FRAME_LEN];
  if (gk_int_read_full (chan, h, sizeof h) != (ssize_t) sizeof h) return -1;
  return frame_body (h, buf_r, len_r);
}

/* The first byte alone decides "nothing there" (EOF or an error before
 * any byte of the frame) from "a frame" (whose end must then follow). */
int
gk_int_recv_frame_idle (char **buf_r, size_t *len_r)
{
  unsigned char h[GK_FRAME_LEN];
  ssize_t r;
  do r = read (chan, h, 1); while (r == -1 && errno == EINTR);
  if (r <= 0) {
    if (r == 0) errno = 0;
    return 1;
  }
  if (gk_int_read_full (chan, h + 1, sizeof h - 1) != (ssize_t) sizeof h - 1) return -1;
  return frame_body (h, buf_r, len_r);
}

void
gk_int_chan_send_chunk (uint32_t serial, uint32_t flags, const char *data, size_t n)
{
  unsigned char h[GK_CHUNK_HEAD];
  gk_int_chunk_encode (h, serial, flags, n);
  /* Header and data in one write: no copy of the data. */
  struct iovec iov[2] = { { h, sizeof h }, { (void *) data, n } };
  size_t total = sizeof h + n, done = 0;
  int k = 0;
  while (done < total) {
    ssize_t w = writev (chan, iov + k, 2 - k);
    if (w == -1 && errno == EINTR) continue;
    if (w <= 0) exit (1);     /* host gone */
    done += (size_t) w;
    while (k < 2 && (size_t) w >= iov[k].iov_len) { w -= (ssize_t) iov[k].iov_len; iov[k].iov_len = 0; k++; }
    if (k < 2) { iov[k].iov_base = (char *) iov[k].iov_base + w; iov[k].iov_len -= (size_t) w; }
  }
}

int
gk_int_chan_send_cancel (uint32_t serial)
{
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CANCEL);
  gk_int_wb_u32 (&b, serial);
  int r = gk_int_send_wbuf (&b);
  gk_int_wb_free (&b);
  return r;
}
