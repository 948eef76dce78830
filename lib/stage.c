/* guestkit: the blk datapath (layer: on conn.c and xfer.c; proto.c
 * calls it).  Bulk data goes through a staging disk: an
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
  /* The backends that attach the staging disk: qemu and libvirt
   * (virtio-blk; not libvirt's system qemu, another user) and uml (ubd);
   * elsewhere bulk data uses the channel. */
  if (!g->ops || (strcmp (g->ops->name, "qemu") != 0 && strcmp (g->ops->name, "uml") != 0
                  && strcmp (g->ops->name, "libvirt") != 0) || g->vm.no_stage) {
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

static int
protocol_error (gk_h *g, const struct gk_int_call *c, const char *what)
{
  gk_int_error_errno (g, EPROTO, "%s: protocol error: %s", c->name, what);
  gk_int_mark_dead (g);
  return -2;
}

/* The upload's ring: slots filled (HEAD) and not yet given back. */
struct ring { unsigned head, inflight; };

/* Frames from the daemon: slots it has read (it reads them in order),
 * progress, or CANCEL (its disk is full...).  Waits while every slot is
 * in use.  0 to go on, 1 if the daemon cancelled, 2 if the user did, -2
 * if the channel died or the daemon broke the protocol (error set). */
static int
daemon_frames (gk_h *g, const struct gk_int_call *c, uint32_t serial, struct ring *r,
               struct gk_int_transfer *x)
{
  while (r->inflight == GK_STAGE_SLOTS || gk_int_conn_readable (g)) {
    if (g->cancel) return 2;
    char *f; size_t fl;
    int64_t t0 = gk_int_now_us ();
    if (gk_int_conn_recv (g, &f, &fl, -1) == -1)
      return g->cancel && g->state == GK_READY ? 2 : -2;
    x->transport += gk_int_now_us () - t0;
    uint32_t k = gk_int_frame_kind (f, fl);
    uint64_t off; uint32_t len;
    int freed = gk_int_staged_decode (f, fl, serial, &off, &len) == 0 && r->inflight > 0
      && off == (uint64_t) ((r->head - r->inflight) % GK_STAGE_SLOTS) * GK_STAGE_SLOT;
    if (k == GK_K_PROGRESS) gk_int_xfer_progress_frame (g, c, f, fl);
    free (f);
    if (k == GK_K_CANCEL) return 1;
    if (k != GK_K_PROGRESS && !freed)
      return protocol_error (g, c, "unexpected frame during the upload");
    if (k != GK_K_PROGRESS) r->inflight--;
  }
  return 0;
}

/* Fill the ring's next slot from FD and name it to the daemon: the bytes
 * (less than a slot at the end of the file), -1 (errno) on a local error,
 * -2 if the channel died. */
static ssize_t
fill_slot (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd, uint64_t total,
           struct ring *r, struct gk_int_transfer *x)
{
  uint64_t off = (uint64_t) (r->head % GK_STAGE_SLOTS) * GK_STAGE_SLOT;
  int64_t t0 = gk_int_now_us ();
  ssize_t n = gk_int_xfer_read_full (x, fd, g->stage_map + off, GK_STAGE_SLOT);
  x->host_io += gk_int_now_us () - t0;
  if (n <= 0) return n;
  unsigned char b[GK_SLOT_BODY];
  gk_int_slot_encode (b, off, (uint32_t) n);
  t0 = gk_int_now_us ();
  if (gk_int_conn_send_chunk (g, serial, GK_CH_STAGED, (char *) b, sizeof b) == -1)
    return -2;
  x->transport += gk_int_now_us () - t0;
  r->head++;
  r->inflight++;
  x->bytes += (uint64_t) n;
  gk_int_xfer_progress (g, c, x->bytes, total);
  return n;
}

int
gk_int_stage_send (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
                   uint64_t total, struct gk_int_transfer *x, const char **why,
                   int *why_errno)
{
  struct ring r = { 0, 0 };
  for (;;) {
    int d = daemon_frames (g, c, serial, &r, x);
    if (d == -2) return -2;
    if (d == 1) { *why = NULL; *why_errno = 0; goto cancel; }
    if (d == 2 || g->cancel) goto cancelled;
    ssize_t n = fill_slot (g, c, serial, fd, total, &r, x);
    if (n == -2) return -2;
    if (n == -1 && g->cancel) goto cancelled;
    if (n == -1) { *why = strerror (errno); *why_errno = errno; goto cancel; }
    if ((size_t) n < GK_STAGE_SLOT) break;
  }
  if (total && x->bytes != total) {
    *why = "the local file changed size during the upload";
    *why_errno = EIO;
    goto cancel;
  }
  return gk_int_conn_send_chunk (g, serial, GK_CH_END, NULL, 0) == -1 ? -2 : 0;
 cancelled:
  *why = "cancelled";
  *why_errno = ECANCELED;
 cancel:
  return gk_int_conn_send_chunk (g, serial, GK_CH_CANCEL, NULL, 0) == -1 ? -2 : -1;
}

int
gk_int_stage_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                   const char *f, size_t fl, int fd, struct gk_int_transfer *x,
                   int *write_errno)
{
  uint64_t off; uint32_t len;
  if (!g->stage_map || gk_int_staged_decode (f, fl, serial, &off, &len) == -1)
    return protocol_error (g, c, "bad staged chunk during the download");
  int64_t t0 = gk_int_now_us ();
  if (!*write_errno) *write_errno = gk_int_xfer_write (x, fd, g->stage_map + off, len);
  x->host_io += gk_int_now_us () - t0;
  x->bytes += len;
  gk_int_xfer_progress (g, c, x->bytes, 0);
  /* Give the slot back (also after a local error: the daemon may be
   * waiting for it before it sees our CANCEL). */
  unsigned char b[GK_SLOT_BODY];
  gk_int_slot_encode (b, off, len);
  t0 = gk_int_now_us ();
  if (gk_int_conn_send_chunk (g, serial, GK_CH_STAGED, (char *) b, sizeof b) == -1)
    return -2;
  x->transport += gk_int_now_us () - t0;
  return 0;
}
