/* gkbench: the measurements of one run of the tool: figures (one per
 * measured quantity and configuration) with every raw sample, the
 * machine's description and notes (skipped backends and why). */
#ifndef GKB_RESULTS_H
#define GKB_RESULTS_H
#include <stddef.h>

#define GKB_MAX_AUX 24

/* Samples of one quantity, one per run. */
struct gkb_series { char name[32]; double *v; size_t n, cap; };

struct gkb_fig {
  char *group;            /* "startup", "upload", "disk" */
  char *name;             /* "launch", "upload", "seqwrite" ... */
  char *config;           /* "qemu:tcg", "libguestfs", "qemu:tcg virtio-scsi raw none" */
  char *unit;             /* of the main samples: "s", "MiB/s", "IOPS", "ops/s" */
  int higher_better;      /* rates: 1; times: 0 */
  double bytes;           /* bytes moved per run (times only, for MiB/s), or 0 */
  struct gkb_series main;
  /* The split and the limiter inputs, same runs: wall_s, backend_cpu_s,
   * guest_busy_s, transport_s, guest_write_s ... (seconds). */
  struct gkb_series aux[GKB_MAX_AUX];
  size_t naux;
  char *limiter;          /* observation, set after the runs */
};

struct gkb_kv { char *key, *val; };

struct gkb_results {
  struct gkb_fig **figs; size_t nfigs, capfigs;
  struct gkb_kv *machine; size_t nmachine, capmachine;
  char **notes; size_t nnotes, capnotes;
  char *command;
  int interrupted;
};

/* The figure GROUP/NAME/CONFIG, created with UNIT if new; NULL on ENOMEM. */
struct gkb_fig *gkb_fig (struct gkb_results *r, const char *group, const char *name,
                         const char *config, const char *unit, int higher_better);
/* Append a sample; -1 on ENOMEM. */
int gkb_add (struct gkb_fig *f, double v);
int gkb_add_aux (struct gkb_fig *f, const char *name, double v);
/* The aux series NAME, or NULL. */
const struct gkb_series *gkb_aux (const struct gkb_fig *f, const char *name);
int gkb_machine (struct gkb_results *r, const char *key, const char *val);
int gkb_note (struct gkb_results *r, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
void gkb_results_free (struct gkb_results *r);
/* An error message on one line: its first line, plus the daemon's last
 * "guestkitd: " line from a console dump if there is one.  malloc'd. */
char *gkb_one_line (const char *err);

/* Ratio for --compare-libguestfs: how many times better F is than the
 * libguestfs figure of the same group and name (>1: F is faster).
 * 0 if there is none. */
double gkb_ratio (const struct gkb_results *r, const struct gkb_fig *f);
#endif
