/* guestkit library internals.  Nothing here is part of the ABI. */
#ifndef GK_LIB_INTERNAL_H
#define GK_LIB_INTERNAL_H

#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include "guestkit.h"
#include "api.h"
#include "wire.h"
#include "exported.h"   /* gk_int_call_generic, gk_int_untar_fd */
#include "backend.h"    /* struct gk_int_drive, gk_int_appliance, gk_int_vm, GK_MAX_DRIVES */
#include "local-calls.h"      /* generated: gk_int_local_<name> */

#define GK_DEFAULT_MEMSIZE 512

enum gk_int_state { GK_CONFIG = 0, GK_LAUNCHING, GK_READY, GK_DEAD };

/* Named phases (launch.*, guest.*, xfer.*), in microseconds. */
#define GK_MAX_TIMINGS 48
struct gk_int_timing { char name[48]; int64_t usec; };

struct gk_int_backend_ops;

/* conn.c: how many console patterns make a launch fail at once. */
#define GK_INT_FATAL_PATTERNS 5

struct gk_h {
  enum gk_int_state state;
  int debug;
  int trace;                      /* set-trace: the command layer traces each call */
  char *last_error;
  int last_errno;

  char *backend;                  /* as set: "qemu", "qemu:tcg", "uml" */
  char *backend_used;             /* after launch: "qemu:kvm", "qemu:tcg", "uml" */
  const struct gk_int_backend_ops *ops;
  struct gk_int_vm vm;            /* what the backend was asked and answered (launch.c) */
  int memsize;
  int smp;                        /* set-smp: virtual CPUs (qemu -smp) */
  int network;                    /* set-network: user-mode network (qemu) */
  int snapshot;                   /* set-snapshot: launch by restore (qemu) */
  int vm_killed;                  /* the VM was killed by a signal (not by us) */
  int died;                       /* the running appliance died by itself: as in
                                     libguestfs, the handle may be configured and
                                     launched again (callcheck.c) */
  int channel;                    /* set-channel: GK_INT_CHANNEL_*; 0: GUESTKIT_CHANNEL */

  struct gk_int_drive drives[GK_MAX_DRIVES];
  size_t nr_drives;

  /* Channel to the daemon and the console (both owned by the library). */
  int sock;                       /* control channel, -1 when closed */
  int console;                    /* console/log output of the VM, or -1 */
  pid_t pid;                      /* main backend process, 0 if none */
  uint32_t serial;
  char contail[8192];             /* last console bytes, ring */
  size_t contail_len, contail_pos;
  char conline[512];              /* current console line (debug echo) */
  size_t conline_len;
  int kernel_seen;                /* first console byte arrived */
  int launch_fatal;               /* 1 + which pattern of conn.c's launch_fatal[]
                                     the console printed while launching, or 0 */
  unsigned char fatal_match[GK_INT_FATAL_PATTERNS];   /* progress through each */
  int64_t t_launch0;              /* monotonic usec at launch start */

  struct gk_int_timing timings[GK_MAX_TIMINGS];
  size_t nr_timings;

  gk_progress_cb progress_cb;
  void *progress_opaque;
  volatile sig_atomic_t cancel;   /* set by gk_user_cancel */
  int cancel_fd;                  /* eventfd gk_user_cancel writes: wakes a wait in any thread */
  int64_t cancel_at;              /* monotonic usec the running call saw the cancel, or 0 */
  int64_t cancel_until;           /* the daemon must answer by then, or the appliance is killed */
  int timeout_s;                  /* per-call timeout (set-timeout), 0: none */
  int launch_timeout_s;           /* READY wait (GUESTKIT_LAUNCH_TIMEOUT) */
  int in_shutdown;                /* gk_shutdown's own calls: bounded even without a timeout */
  int64_t call_deadline;          /* monotonic usec the running call must end by, or 0 */
  const char *call_name;          /* the running call, for timeout/cancel messages */
  size_t chunk_size;              /* upload chunk size */
  char *datapath;                 /* "blk", "serial"; NULL: GUESTKIT_DATAPATH */
  char *stage_map;                /* staging disk (lib/stage.c), or NULL */
  int stage_fd;                   /* its memfd (valid when stage_map) */
  char stage_path[64];            /* the name the VMM opens */
};

/* channel.c: the control channel, virtio-serial or an emulated 16550
 * UART (set-channel). */
#define GK_INT_CHANNEL_VIRTIO 1
#define GK_INT_CHANNEL_SERIAL 2
/* The channel this launch uses: GK_INT_CHANNEL_*, or -1 + error (an
 * unknown GUESTKIT_CHANNEL, or virtio-serial asked of a backend without). */
int gk_int_channel (gk_h *g);

/* errors.c */
void gk_int_error (gk_h *g, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
void gk_int_error_errno (gk_h *g, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
void gk_int_perror (gk_h *g, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
void gk_int_debug (gk_h *g, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* timings.c */
int64_t gk_int_now_us (void);
void gk_int_timing_reset (gk_h *g, const char *prefix);
void gk_int_timing_set (gk_h *g, const char *name, int64_t usec);

/* appliance.c: find or build the cached appliance for FLAVOUR ("qemu"
 * or "uml").  Holds a lock while building so concurrent launches neither
 * race nor see a half-built cache. */
struct gk_int_appliance;        /* backends/backend.h */
int gk_int_appliance_get (gk_h *g, const char *flavour,
                          struct gk_int_appliance *ap);
void gk_int_appliance_free (struct gk_int_appliance *ap);
/* A host whose /dev/kvm opens but cannot run the appliance (seen under
 * nested virtualization: "KVM internal error ... emulation failure") is
 * remembered in the cache root for the current boot, so that automatic
 * backend choice goes straight to TCG next time. */
int gk_int_kvm_known_broken (gk_h *g);
void gk_int_kvm_mark_broken (gk_h *g);

/* proto.c: calls to the daemon (on conn.c, xfer.c, stage.c). */
int gk_int_call (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                 struct gk_int_optvals *o, union gk_int_val *r);
int gk_int_local_dispatch (gk_h *g, const struct gk_int_call *c,
                           union gk_int_val *a, struct gk_int_optvals *o,
                           union gk_int_val *r);
/* callcheck.c: the state and argument checks of call C from its table
 * entry; every entry point (lib/actions.c, gk_int_call_generic) runs
 * them first.  0, or -1 with the error set. */
int gk_int_check_call (gk_h *g, const struct gk_int_call *c, const union gk_int_val *a,
                       const struct gk_int_optvals *o);
/* 0 if the handle can run a call now, else -1 and why (as the user sees
 * the states). */
int gk_int_check_ready (gk_h *g, const char *call);
/* --enable-noop-check builds: 1 if GK_NOOP_CALL names C (tests/noop-check.sh). */
int gk_int_noop (const struct gk_int_call *c);
/* Wait for the daemon's READY frame (launch). */
int gk_int_wait_ready (gk_h *g, int timeout_ms);
/* A restored appliance's first frame: entropy, our clock, the drive count. */
int gk_int_send_resume (gk_h *g, size_t ndrives);

/* conn.c, the lowest layer: framed I/O on g->sock that also drains the
 * console; the backend process's end.  Each returns -1 with the error set
 * (including the console tail when the appliance died). */
int gk_int_conn_send (gk_h *g, const struct gk_int_wbuf *b);
/* A CHUNK frame: header (common/wire.c) and data in one write. */
int gk_int_conn_send_chunk (gk_h *g, uint32_t serial, uint32_t flags,
                            const char *data, size_t n);
int gk_int_conn_send_cancel (gk_h *g, uint32_t serial);
/* Receive one frame; *buf_r is malloc'd (kind + body), *len_r its size. */
int gk_int_conn_recv (gk_h *g, char **buf_r, size_t *len_r, int timeout_ms);
/* The same, but returns 1 (nothing read) when gk_user_cancel is seen
 * before the frame starts, so a stream can send its CANCEL. */
int gk_int_conn_recv_or_cancel (gk_h *g, char **buf_r, size_t *len_r);
/* Start and end the deadlines of one call (timeout, cancel grace). */
void gk_int_call_begin (gk_h *g, const char *name);
void gk_int_call_end (gk_h *g);
/* Non-blocking: 1 if a frame's bytes are waiting on the socket. */
int gk_int_conn_readable (gk_h *g);
void gk_int_console_drain (gk_h *g);
/* Append the console tail to an error message (when useful). */
void gk_int_error_with_console (gk_h *g, int errnum, const char *what);
/* The appliance is gone: close fds, reap, mark the handle dead. */
void gk_int_mark_dead (gk_h *g);
/* The launch failed because KVM cannot run the guest here. */
int gk_int_launch_fatal_is_kvm (gk_h *g);

/* stage.c: the staging disk of the blk datapath (common/stage.h).
 * Setup before the backend starts; falls back to serial if it can't. */
void gk_int_stage_setup (gk_h *g);
void gk_int_stage_free (gk_h *g);
/* The path the VMM opens, or NULL when the datapath is serial. */
const char *gk_int_stage_path (gk_h *g);

/* drives.c: check a drive's file again through its descriptor (launch,
 * just before the VM starts: the content may have changed); free one. */
int gk_int_drive_recheck (gk_h *g, struct gk_int_drive *d);
void gk_int_drive_free (struct gk_int_drive *d);

/* labels.c: drive labels.  gk_int_label_check: LABEL is valid and not
 * yet on the handle (for add-drive of FILENAME); 0 or -1 + error.
 * gk_int_labels_resolve: replace, in the caller's copies A and O of a
 * call's arguments, every device argument /dev/disk/guestfs/LABEL[N]
 * by its drive's /dev/sdX[N]; the new strings are LB's until
 * gk_int_labels_free.  0, or -1 with the error set (nothing to free). */
struct gk_int_labels { void **owned; size_t n, cap; };
int gk_int_label_check (gk_h *g, const char *filename, const char *label);
int gk_int_labels_resolve (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                           struct gk_int_optvals *o, struct gk_int_labels *lb);
void gk_int_labels_free (struct gk_int_labels *lb);

/* Wait up to GRACE_MS for the backend process to exit, then kill it;
 * then the backend's cleanup.  Returns its wait status (-1 if none). */
int gk_int_backend_reap (gk_h *g, int grace_ms);

/* Paths of the installed (or, with GUESTKIT_* env vars, in-tree) parts. */
const char *gk_int_daemon_path (void);       /* GUESTKIT_DAEMON */
const char *gk_int_builder_path (void);      /* GUESTKIT_APPLIANCE_BUILDER */

#endif
