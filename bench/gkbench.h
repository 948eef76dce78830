/* gkbench: the backend benchmark tool (bench/gkbench.c), shared by its
 * measurement files.  Uses guestkit's public API only. */
#ifndef GKBENCH_H
#define GKBENCH_H
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include "gkb-results.h"

struct gkb_opts {
  char **backends;        /* the backends that work here, as given */
  size_t nbackends;
  int runs;               /* 0: each figure's default */
  int64_t size;           /* upload bytes */
  int64_t image_size;     /* the fresh ext2 image (upload) and disk image */
  int64_t disk_size;      /* disk: sequential file size */
  int64_t ops;            /* disk: random ops, files created */
  int all;                /* disk: the whole matrix */
  const char *ifaces, *formats, *caches;  /* disk: filters (comma lists) or NULL */
  int libguestfs;         /* --compare-libguestfs */
  const char *workdir;
  char **channels;        /* --channel: each control channel, or one NULL (the default) */
  size_t nchannels;
  const char *datapath;   /* --datapath blk|serial, or NULL (the default) */
};

/* Set by SIGINT/SIGTERM: finish or abort the current run, then stop. */
extern volatile sig_atomic_t gkb_stop;

/* gk_create and gk_close, and in between the handle is the one that
 * Ctrl-C cancels (gk_user_cancel: a launch or call fails at once and the
 * appliance is stopped). */
typedef struct gk_h gk_h;
gk_h *gkb_open (void);
void gkb_close (gk_h *g);

/* Backend, and channel and datapath when asked: 0, or -1 (error in G). */
int gkb_configure (gk_h *g, const struct gkb_opts *o, const char *backend, const char *channel);
/* A figure's configuration: the backend used (USED, else BACKEND), with
 * the channel and the datapath when they were chosen.  malloc'd or NULL. */
char *gkb_config_name (const struct gkb_opts *o, const char *used, const char *backend,
                       const char *channel);
/* 0 if CHANNEL cannot be used on BACKEND (UML has no virtio-serial). */
int gkb_channel_fits (const char *backend, const char *channel);
/* RUNS times (or --runs): ONE for every backend and channel that fits,
 * then for libguestfs (BACKEND NULL) if --compare-libguestfs, with a
 * progress line naming WHAT; until gkb_stop.  -1 if any run failed. */
int gkb_each_run (const struct gkb_opts *o, const char *what, int runs,
                  int (*one) (void *arg, const char *backend, const char *channel),
                  void *arg);

/* A 1 MiB sparse image in the workdir, the drive of the launches that
 * need none: /dev/null would be locked by qemu, so two appliances on
 * /dev/null (another user's benchmark) cannot run at once. */
extern const char *gkb_empty_drive;

int gkb_startup (struct gkb_results *r, const struct gkb_opts *o);
int gkb_upload (struct gkb_results *r, const struct gkb_opts *o);
int gkb_disk (struct gkb_results *r, const struct gkb_opts *o);
void gkb_describe_machine (struct gkb_results *r, int libguestfs);
/* Plot R into PATH (.svg or .png) with gnuplot: 0, or -1 + message. */
int gkb_plot (const struct gkb_results *r, const char *path);

/* gkb-proc.c */
double gkb_now (void);                    /* monotonic seconds */
double gkb_group_cpu (pid_t pgrp);        /* host CPU s of a process group */
double gkb_self_cpu (void);               /* CPU s of this process */
/* "gkbench: " and FMT in the user's language (common/i18n.h) on stderr:
 * progress and errors.  The tables, JSON and CSV stay untranslated. */
void gkb_progress (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void gkb_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Run ARGV (its own process group), output to OUT (a path, or NULL: to
 * /dev/null); *wall_r, *cpu_r: its wall and CPU time (with its waited-for
 * children).  Returns the exit status, or -1.  Killed on gkb_stop. */
int gkb_run (char *const *argv, const char *out, double *wall_r, double *cpu_r);
/* The same, and *rss_r (if not NULL): the peak RSS in MiB of the largest
 * process of its tree that was waited for (wait4's ru_maxrss). */
int gkb_run_rss (char *const *argv, const char *out, double *wall_r, double *cpu_r,
                 double *rss_r);
/* Peak resident set (VmHWM) of process PID so far, in MiB; -1 if unknown. */
double gkb_peak_rss (pid_t pid);
/* A sparse copy of SRC to DST (cp --sparse=always): 0 or -1. */
int gkb_copy (const char *src, const char *dst);
#endif
