/* guestkit: file streams of FILEIN/FILEOUT calls (lib/proto.c, the serial
 * datapath; lib/stage.c, the blk datapath).  Internal. */
#ifndef GK_LIB_XFER_H
#define GK_LIB_XFER_H
#include "internal.h"

/* Host-side times of one transfer, microseconds. */
struct gk_int_xfer {
  int64_t host_io, transport; uint64_t bytes;
  int sparse;           /* download: leave holes for zero blocks */
  gk_h *g;              /* a wait on a local pipe ends on cancel or timeout */
  int pipe_like;        /* the local file is a pipe, FIFO or socket (-1: not known yet) */
};

/* Write downloaded data to FD (holes for all-zero 4 KiB blocks when
 * x->sparse).  Returns 0 or an errno value (ECANCELED, ETIMEDOUT when a
 * pipe does not drain before a cancel or the call's deadline). */
int gk_int_xfer_write (struct gk_int_xfer *x, int fd, const char *p, size_t n);

/* A local pipe, FIFO or socket may never become ready: wait for EVENTS
 * with poll, ended by gk_user_cancel (any thread) or the call's
 * deadline.  0, or an errno value (ECANCELED, ETIMEDOUT...). */
int gk_int_local_wait (gk_h *g, int fd, short events);
int gk_int_is_pipe_like (int fd);

int gk_int_send_chunk_frame (gk_h *g, uint32_t serial, uint32_t flags,
                             const char *data, size_t n);
/* A PROGRESS frame (kind included) to the callback. */
void gk_int_xfer_progress_frame (gk_h *g, const struct gk_int_call *c,
                                 const char *buf, size_t len);
void gk_int_xfer_progress (gk_h *g, const struct gk_int_call *c,
                           uint64_t done, uint64_t total);

/* Upload FD through the staging disk.  TOTAL: size of a regular file, or
 * 0.  Returns 0 if the stream ended (END sent), -1 if cancelled (by us:
 * why and why_errno set, or by the daemon, *why_errno 0), -2 if the
 * channel died (error set). */
int gk_int_stage_send (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                       int fd, uint64_t total, struct gk_int_xfer *x,
                       const char **why, int *why_errno);
/* Download: the daemon's STAGED frame F (FL bytes) names a slot: write
 * it to FD (unless *write_errno is set) and free the slot.  0, or -2
 * (error set) on a protocol error or a dead channel. */
int gk_int_stage_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                       const char *f, size_t fl, int fd, struct gk_int_xfer *x,
                       int *write_errno);
#endif
