/* guestkit: the blk datapath.  Bulk data goes through a staging disk: an
 * anonymous memory file (memfd) that the VM sees as a virtio-blk disk
 * (common/stage.h).  The library copies the local file into a slot of the
 * map; the daemon reads the slot with O_DIRECT (the VMM copies it into
 * guest memory natively) and writes it to the target, again with
 * O_DIRECT.  Under TCG this avoids every copy by the emulated CPU, which
 * is what limits the serial channel (docs/benchmarks.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "internal.h"
#include "backend.h"
#include "stage.h"
#include "xfer.h"

static const char *
datapath_default (void)
{
  const char *e = getenv ("GUESTKIT_DATAPATH");
  return e && *e ? e : "blk";
}

static int
datapath_valid (const char *d)
{
  return strcmp (d, "blk") == 0 || strcmp (d, "serial") == 0;
}

int
gk_int_local_set_datapath (gk_h *g, const char *datapath)
{
  /* One of the table's choices (GUESTKIT_DATAPATH is checked at launch). */
  char *d = strdup (datapath);
  if (!d) { gk_int_error_errno (g, ENOMEM, "set-datapath: out of memory"); return -1; }
  free (g->datapath);
  g->datapath = d;
  return 0;
}

char *
gk_int_local_get_datapath (gk_h *g)
{
  const char *d = g->datapath ? g->datapath : datapath_default ();
  if (g->state != GK_CONFIG) d = g->stage_map ? "blk" : "serial";
  char *s = strdup (d);
  if (!s) gk_int_error_errno (g, ENOMEM, "get-datapath: out of memory");
  return s;
}

void
gk_int_stage_setup (gk_h *g)
{
  const char *d = g->datapath ? g->datapath : datapath_default ();
  if (g->stage_map) return;
  if (!datapath_valid (d))
    gk_int_debug (g, "GUESTKIT_DATAPATH=%s is not blk or serial: using blk", d);
  else if (strcmp (d, "serial") == 0)
    return;
  /* The backends that attach the staging disk: qemu (virtio-blk) and
   * uml (ubd); elsewhere bulk data uses the channel. */
  if (!g->ops || (strcmp (g->ops->name, "qemu") != 0 && strcmp (g->ops->name, "uml") != 0)) {
    gk_int_debug (g, "backend %s: no staging disk, using the serial datapath",
                  g->ops ? g->ops->name : "?");
    return;
  }
  int fd = memfd_create ("guestkit-stage", MFD_CLOEXEC);
  if (fd == -1 || ftruncate (fd, (off_t) GK_STAGE_SIZE) == -1) {
    gk_int_debug (g, "staging disk: memfd: %s; using the serial datapath", strerror (errno));
    if (fd >= 0) close (fd);
    return;
  }
  void *m = mmap (NULL, GK_STAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    gk_int_debug (g, "staging disk: mmap: %s; using the serial datapath", strerror (errno));
    close (fd);
    return;
  }
  g->stage_fd = fd;
  g->stage_map = m;
  /* The VMM opens our descriptor by name; nothing exists on disk. */
  snprintf (g->stage_path, sizeof g->stage_path, "/proc/%d/fd/%d", (int) getpid (), fd);
}

const char *
gk_int_stage_path (gk_h *g)
{
  return g->stage_map ? g->stage_path : NULL;
}

void
gk_int_stage_free (gk_h *g)
{
  if (g->stage_map) {
    munmap (g->stage_map, GK_STAGE_SIZE);
    close (g->stage_fd);
    g->stage_map = NULL;
  }
  free (g->datapath);
  g->datapath = NULL;
}

static void
put_slot (unsigned char *b, uint64_t off, uint32_t len)
{
  gk_int_put_u32 (b, (uint32_t) off);
  gk_int_put_u32 (b + 4, (uint32_t) (off >> 32));
  gk_int_put_u32 (b + 8, len);
}

/* F is a CHUNK frame (kind included) of SERIAL with flag STAGED naming a
 * valid slot?  Sets *off, *len. */
static int
get_slot (const char *f, size_t fl, uint32_t serial, uint64_t *off, uint32_t *len)
{
  if (fl != 24 || gk_int_get_u32 (f) != GK_K_CHUNK || gk_int_get_u32 (f + 4) != serial
      || gk_int_get_u32 (f + 8) != GK_CH_STAGED)
    return -1;
  *off = gk_int_get_u32 (f + 12) | (uint64_t) gk_int_get_u32 (f + 16) << 32;
  *len = gk_int_get_u32 (f + 20);
  if (*off % GK_STAGE_SLOT || *off >= GK_STAGE_SIZE || *len > GK_STAGE_SLOT) return -1;
  return 0;
}

static int
protocol_error (gk_h *g, const struct gk_int_call *c, const char *what)
{
  gk_int_error_errno (g, EPROTO, "%s: protocol error: %s", c->name, what);
  gk_int_mark_dead (g);
  return -2;
}

/* Read until BUF is full or end of file.  -1 + errno on error; a
 * cancel or the call's deadline ends the wait on a FIFO or pipe (which
 * may never fill). */
static ssize_t
read_full (gk_h *g, struct gk_int_xfer *x, int fd, char *buf, size_t size)
{
  size_t got = 0;
  if (x->pipe_like == -1) x->pipe_like = gk_int_is_pipe_like (fd);
  while (got < size) {
    int e = x->pipe_like ? gk_int_local_wait (g, fd, POLLIN) : 0;
    if (e) { errno = e; return -1; }
    ssize_t n = read (fd, buf + got, size - got);
    if (n == -1 && errno == EINTR && !g->cancel) continue;
    if (n == -1) return -1;
    if (n == 0) break;
    got += (size_t) n;
  }
  return (ssize_t) got;
}

int
gk_int_stage_send (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
                   uint64_t total, struct gk_int_xfer *x, const char **why,
                   int *why_errno)
{
  unsigned head = 0, inflight = 0;
  int eof = 0;
  while (!eof) {
    /* Frames from the daemon: slots it has read (it reads them in order),
     * progress, or CANCEL (its disk is full...).  Wait when every slot is
     * in use. */
    while (inflight == GK_STAGE_SLOTS || gk_int_readable (g)) {
      if (g->cancel) goto cancelled;
      char *f; size_t fl;
      int64_t t0 = gk_int_now_us ();
      if (gk_int_recv_frame (g, &f, &fl, -1) == -1) {
        if (g->cancel && g->state == GK_READY) goto cancelled;
        return -2;
      }
      x->transport += gk_int_now_us () - t0;
      uint32_t k = fl >= 4 ? gk_int_get_u32 (f) : 0;
      uint64_t off; uint32_t len;
      if (k == GK_K_PROGRESS) gk_int_xfer_progress_frame (g, c, f, fl);
      else if (k == GK_K_CANCEL) { free (f); *why = NULL; *why_errno = 0; goto cancel; }
      else if (k == GK_K_CHUNK && get_slot (f, fl, serial, &off, &len) == 0 && inflight > 0
               && off == (uint64_t) ((head - inflight) % GK_STAGE_SLOTS) * GK_STAGE_SLOT)
        inflight--;
      else { free (f); return protocol_error (g, c, "unexpected frame during the upload"); }
      free (f);
    }
    if (g->cancel) goto cancelled;
    uint64_t off = (uint64_t) (head % GK_STAGE_SLOTS) * GK_STAGE_SLOT;
    int64_t t0 = gk_int_now_us ();
    ssize_t n = read_full (g, x, fd, g->stage_map + off, GK_STAGE_SLOT);
    x->host_io += gk_int_now_us () - t0;
    if (n == -1 && g->cancel) goto cancelled;
    if (n == -1) { *why = strerror (errno); *why_errno = errno; goto cancel; }
    if ((size_t) n < GK_STAGE_SLOT) eof = 1;
    if (n == 0) break;
    unsigned char b[12];
    put_slot (b, off, (uint32_t) n);
    t0 = gk_int_now_us ();
    if (gk_int_send_chunk_frame (g, serial, GK_CH_STAGED, (char *) b, sizeof b) == -1)
      return -2;
    x->transport += gk_int_now_us () - t0;
    head++;
    inflight++;
    x->bytes += (uint64_t) n;
    gk_int_xfer_progress (g, c, x->bytes, total);
  }
  if (total && x->bytes != total) {
    *why = "the local file changed size during the upload";
    *why_errno = EIO;
    goto cancel;
  }
  return gk_int_send_chunk_frame (g, serial, GK_CH_END, NULL, 0) == -1 ? -2 : 0;
 cancelled:
  *why = "cancelled";
  *why_errno = ECANCELED;
 cancel:
  return gk_int_send_chunk_frame (g, serial, GK_CH_CANCEL, NULL, 0) == -1 ? -2 : -1;
}

int
gk_int_stage_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                   const char *f, size_t fl, int fd, struct gk_int_xfer *x,
                   int *write_errno)
{
  uint64_t off; uint32_t len;
  if (!g->stage_map || get_slot (f, fl, serial, &off, &len) == -1)
    return protocol_error (g, c, "bad staged chunk during the download");
  int64_t t0 = gk_int_now_us ();
  if (!*write_errno) *write_errno = gk_int_xfer_write (x, fd, g->stage_map + off, len);
  x->host_io += gk_int_now_us () - t0;
  x->bytes += len;
  gk_int_xfer_progress (g, c, x->bytes, 0);
  /* Give the slot back (also after a local error: the daemon may be
   * waiting for it before it sees our CANCEL). */
  unsigned char b[12];
  put_slot (b, off, len);
  t0 = gk_int_now_us ();
  if (gk_int_send_chunk_frame (g, serial, GK_CH_STAGED, (char *) b, sizeof b) == -1)
    return -2;
  x->transport += gk_int_now_us () - t0;
  return 0;
}
