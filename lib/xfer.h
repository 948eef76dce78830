/* guestkit: file streams of FILEIN/FILEOUT calls.  Internal.
 *
 * Layers (each calls only those before it): conn.c (framed I/O on the
 * channel) < xfer.c (the local file's side of a transfer, progress) <
 * stage.c (the blk datapath's staging ring) < stream.c (a call's file
 * stream; the serial datapath's chunks) < proto.c (calls). */
#ifndef GK_LIB_XFER_H
#define GK_LIB_XFER_H
#include "internal.h"

/* One transfer's local side and its host-side times, microseconds. */
struct gk_int_transfer {
  int64_t host_io, transport; uint64_t bytes;
  int sparse;           /* download: leave holes for zero blocks */
  gk_h *g;              /* a wait on a local pipe ends on cancel or timeout */
  int pipe_like;        /* the local file is a pipe, FIFO or socket (-1: not known yet) */
};

/* --- xfer.c --- */
/* Write downloaded data to FD (holes for all-zero 4 KiB blocks when
 * x->sparse).  Returns 0 or an errno value (ECANCELED, ETIMEDOUT when a
 * pipe does not drain before a cancel or the call's deadline). */
int gk_int_xfer_write (struct gk_int_transfer *x, int fd, const char *p, size_t n);
/* Read until BUF is full or end of file.  -1 + errno on error; a cancel
 * or the call's deadline ends the wait on a FIFO or pipe. */
ssize_t gk_int_xfer_read_full (struct gk_int_transfer *x, int fd, char *buf, size_t size);
/* A local pipe, FIFO or socket may never become ready: wait for EVENTS
 * with poll, ended by gk_user_cancel (any thread) or the call's
 * deadline.  0, or an errno value (ECANCELED, ETIMEDOUT...). */
int gk_int_local_wait (gk_h *g, int fd, short events);
int gk_int_is_pipe_like (int fd);
/* Open LOCAL for a download.  An existing regular file is replaced only
 * when the call succeeds: the data goes to a temporary file beside it
 * (*tmp_r), renamed over it (*final_r) at the end.  Anything else is
 * written in place; a new file is created and removed again on failure
 * (*created_r).  -1 with errno set, or with errno 0 and the error set. */
int gk_int_output_open (gk_h *g, const char *call, const char *local, int *created_r,
                        char **tmp_r, char **final_r);
/* The call failed: remove what gk_int_output_open created. */
void gk_int_output_discard (const char *local, int created, const char *tmp);
/* SIGPIPE blocked while writing to a local reader, and a SIGPIPE our
 * writes raised consumed afterwards: a reader gone is EPIPE. */
struct gk_int_sigpipe_guard { sigset_t old; int ours; };
void gk_int_sigpipe_block (struct gk_int_sigpipe_guard *s);
void gk_int_sigpipe_restore (struct gk_int_sigpipe_guard *s);
/* A PROGRESS frame (kind included) to the callback. */
void gk_int_xfer_progress_frame (gk_h *g, const struct gk_int_call *c,
                                 const char *buf, size_t len);
void gk_int_xfer_progress (gk_h *g, const struct gk_int_call *c,
                           uint64_t done, uint64_t total);

/* --- stream.c --- */
/* Upload FD by the handle's datapath: 0 if the stream ended (END sent),
 * -1 if cancelled (by us: *why and *why_errno set; by the daemon:
 * *why NULL), -2 if the channel died (error set). */
int gk_int_stream_send (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
                        struct gk_int_transfer *x, const char **why, int *why_errno);
/* Download into FD until the stream ends: 0 on END, -1 if the daemon
 * aborted it, -2 if the channel died.  *write_errno: the first local
 * write error (or ECANCELED), after which the rest is drained. */
int gk_int_stream_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial, int fd,
                        struct gk_int_transfer *x, int *write_errno);

/* --- stage.c --- */
/* Upload FD through the staging disk.  TOTAL: size of a regular file, or
 * 0.  Returns 0 if the stream ended (END sent), -1 if cancelled (by us:
 * why and why_errno set, or by the daemon, *why_errno 0), -2 if the
 * channel died (error set). */
int gk_int_stage_send (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                       int fd, uint64_t total, struct gk_int_transfer *x,
                       const char **why, int *why_errno);
/* Download: the daemon's STAGED frame F (FL bytes) names a slot: write
 * it to FD (unless *write_errno is set) and free the slot.  0, or -2
 * (error set) on a protocol error or a dead channel. */
int gk_int_stage_recv (gk_h *g, const struct gk_int_call *c, uint32_t serial,
                       const char *f, size_t fl, int fd, struct gk_int_transfer *x,
                       int *write_errno);
#endif
