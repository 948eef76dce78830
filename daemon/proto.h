/* guestkitd: the daemon's core, in layers (each calls only those above
 * it in this list, never back):
 *   chan.c    the control channel: frames in and out
 *   stream.c  the current call's file stream and transfer times
 *             (handlers: daemon.h, "file streams")
 *   resume.c  a restored appliance's RESUME (entropy, clock, drives)
 *   proto.c   the request loop: CALL in, arguments checked, handler run,
 *             REPLY out
 *   main.c    PID 1 work, then gk_int_serve
 * errors.c (the current call's error, the log) is below them all. */
#ifndef GK_DAEMON_PROTO_H
#define GK_DAEMON_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

/* --- chan.c --- */
void gk_int_chan_set (int fd);
int gk_int_p_chan (void);            /* the channel fd */
/* Exactly N bytes, or exit: the host is gone. */
void gk_int_chan_read_exact (void *p, size_t n);
int gk_int_chan_readable (void);
/* Finish B's frame and send it.  -1 if it does not fit or the write failed. */
int gk_int_send_wbuf (struct gk_int_wbuf *b);
/* One frame, malloc'd, kind first.  -1 at the host's goodbye, end of
 * file or a frame length out of range. */
int gk_int_recv_frame (char **buf_r, size_t *len_r);
/* The same, for a channel whose host end may not be there yet (a
 * restored appliance, daemon/resume.c): 1 with errno (0 at EOF) if it
 * ended or failed before the frame's first byte, so the caller may wait
 * and try again; 0 with the frame; -1 as above (a frame cut short). */
int gk_int_recv_frame_idle (char **buf_r, size_t *len_r);
/* A CHUNK frame, header and data in one writev; exits if the host is gone. */
void gk_int_chan_send_chunk (uint32_t serial, uint32_t flags, const char *data, size_t n);
int gk_int_chan_send_cancel (uint32_t serial);

/* --- stream.c --- */
/* The file stream of the call being handled (set by gk_int_stream_begin). */
struct gk_int_stream {
  uint32_t serial, proc;
  int in, out;          /* the call has a FILEIN / FILEOUT */
  int done;             /* stream fully consumed or ended */
  int cancelled;        /* the host cancelled it */
};
extern struct gk_int_stream gk_int_cur;
/* A new call: its stream state, and gk_int_xfer (daemon.h) zeroed. */
void gk_int_stream_begin (uint32_t serial, uint32_t proc, int in, int out);
/* After a handler: drain an unread FILEIN, end an open FILEOUT. */
void gk_int_stream_finish (int ok);

/* Boot phases sent in the READY frame (CLOCK_BOOTTIME, microseconds). */
struct gk_int_boot_time { const char *name; uint64_t us; };

/* --- resume.c (between proto.c and chan.c) --- */
/* A restored appliance: wait for the host's RESUME (EOF meanwhile is
 * "not there yet"), then, IN_APPLIANCE (PID 1's child), reseed the RNG,
 * set the clock and scan the user drives' SCSI targets.  The phases' times
 * go to T (at most MAX); returns how many.  Exits on a broken channel or a
 * malformed RESUME. */
size_t gk_int_resume (int in_appliance, struct gk_int_boot_time *t, size_t max);

/* --- proto.c --- */
/* How gk_int_serve starts: READY and the call loop; or, for an appliance
 * saved to be restored (gk.snapshot=1), READY, then RESUME awaited and
 * a second READY (resume.c), with or without touching the machine. */
enum gk_int_serve_mode { GK_SERVE_BOOT, GK_SERVE_RESUME_HOST, GK_SERVE_RESUME_APPLIANCE };
/* Serve the host on FD until it says goodbye or goes away: 0, or exits. */
int gk_int_serve (int fd, const struct gk_int_boot_time *times, size_t ntimes,
                  enum gk_int_serve_mode mode);
#endif
