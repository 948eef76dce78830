/* gkbatch: run one gkfish-syntax script over many disk images, each in
 * its own appliance, with a journal that makes a rerun resume.
 *
 *   gkbatch.c   main: the image list, the run, the summary, exit status
 *   options.c   command-line options and --help
 *   script.c    the script: loaded and checked once, run in each worker
 *   worker.c    the child process that handles one image
 *   mount.c     -i (mount by inspection) and -m in a worker
 *   queue.c     the scheduler: -j workers, timeouts, commits, signals
 *   overlay.c   --rw all-or-nothing: qemu-img overlays and commits
 *   record.c    one image's result: JSON line, CSV line, parsing back
 *   journal.c   the append-only journal and --merge
 *   shard.c     --shard K/N: stable hash of the path
 *   progress.c  the progress line on a terminal
 */
#ifndef GK_BATCH_GKBATCH_H
#define GK_BATCH_GKBATCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Exit statuses (documented in docs/gkbatch.md). */
enum {
  GKB_EXIT_OK = 0,           /* every image ok (or already done) */
  GKB_EXIT_FAILED = 1,       /* at least one permanent failure */
  GKB_EXIT_USAGE = 2,        /* bad options or script: nothing was run */
  GKB_EXIT_RETRYABLE = 3,    /* failures, all of them retryable */
  GKB_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; rerun to resume */
};

enum gkb_status { GKB_OK, GKB_FAILED, GKB_TIMEOUT, GKB_SKIPPED, GKB_COMMITTING };
const char *gkb_status_name (enum gkb_status s);
int gkb_status_parse (const char *s, enum gkb_status *st);

struct gkb_mount { char *dev, *mountpoint; };

struct gkb_script_line { char **words; size_t lineno; int ignore_errors; };
struct gkb_script {
  const char *name;          /* file name, or "-- commands" */
  struct gkb_script_line *lines;
  size_t n, cap;
};

struct gkb_opts {
  const char *script_file;   /* -f */
  char **inline_cmds;        /* after "--", split on ":" */
  const char *images_list;   /* --images FILE or - */
  char **images;             /* on the command line */
  size_t nr_images;
  long jobs;                 /* -j; 0: default */
  int inspect;               /* -i */
  struct gkb_mount *mounts;  /* -m DEV[:MOUNTPOINT] */
  size_t nr_mounts, cap_mounts;
  int rw;                    /* --rw */
  int in_place;              /* --in-place: --rw without the overlay */
  const char *format;        /* --format */
  const char *backend;       /* --backend */
  const char *cachemode;     /* --cachemode */
  const char *iface;         /* --iface */
  const char *output;        /* --output, default stdout */
  int csv;                   /* --csv */
  const char *journal;       /* --journal */
  int retry_failed;          /* --retry-failed */
  double timeout;            /* --timeout seconds, 0 none */
  unsigned shard_k, shard_n; /* --shard K/N (1-based K); n 0: all */
  int merge;                 /* --merge JOURNAL... */
  int dry_run;               /* --dry-run */
  size_t max_output;         /* --max-output bytes of script stdout kept */
  int progress;              /* -1 auto, 0 no, 1 yes */
  int verbose;               /* -v: workers' stderr passes through */
  const char *work_dir;      /* --work-dir: overlays */
};

/* One image's outcome. */
struct gkb_result {
  char *path;
  enum gkb_status status;
  int retryable;
  char *output;              /* script stdout, at most max_output bytes */
  size_t output_len;
  int output_cut;
  char *error;               /* NULL when ok */
  char *command;             /* the failing command, or NULL */
  long line;                 /* its line in the script, 0 if none */
  char *phase;               /* drive, launch, mount, script, shutdown, commit */
  double t_launch, t_script, t_commit, t_total;   /* seconds */
  char *backend;
  int dry_run;
};
void gkb_result_free (struct gkb_result *r);

/* record.c */
/* One JSON object, no newline; malloc'd. */
char *gkb_result_json (const struct gkb_result *r);
/* Parse a line made by gkb_result_json; -1 if it is not one. */
int gkb_result_parse (const char *line, struct gkb_result *r);
void gkb_csv_header (FILE *f);
void gkb_csv_line (FILE *f, const struct gkb_result *r);
/* Copy of S[0..N) that is valid UTF-8 (bad bytes become U+FFFD). */
char *gkb_utf8_clean (const char *s, size_t n);

/* shard.c */
uint64_t gkb_hash (const char *s);
int gkb_in_shard (const char *path, unsigned k, unsigned n);
int gkb_parse_shard (const char *s, unsigned *k, unsigned *n);

/* journal.c: the latest record of each path. */
struct gkb_journal;
struct gkb_journal *gkb_journal_open (const char *file, char **err);
/* The last record for PATH, or NULL. */
const struct gkb_result *gkb_journal_find (struct gkb_journal *j, const char *path);
/* Append one record and fsync it; -1 with errno on failure. */
int gkb_journal_append (struct gkb_journal *j, const struct gkb_result *r);
size_t gkb_journal_torn (const struct gkb_journal *j);
void gkb_journal_close (struct gkb_journal *j);
/* Iterate over the paths (in order of first appearance). */
const struct gkb_result *gkb_journal_at (struct gkb_journal *j, size_t i);
size_t gkb_journal_count (const struct gkb_journal *j);
/* Read one journal FILE into J (shared with --merge). */
int gkb_journal_load (struct gkb_journal *j, const char *file, char **err);
struct gkb_journal *gkb_journal_new (void);

/* options.c: 0 go on, 1 done (--help), -1 usage error (printed). */
int gkb_parse_options (int argc, char **argv, struct gkb_opts *o);
long gkb_default_jobs (void);

/* script.c */
int gkb_script_load (const struct gkb_opts *o, struct gkb_script *s);
void gkb_script_free (struct gkb_script *s);

/* worker.c: runs in the child; writes a result (JSON) to RESFD and
 * returns the exit status for the child. */
int gkb_worker (const struct gkb_opts *o, const struct gkb_script *s,
                const char *path, const char *overlay, int resfd);
extern volatile sig_atomic_t gkb_worker_stop;

/* mount.c */
struct gk_h;
int gkb_mount_all (struct gk_h *g, const struct gkb_opts *o, char **err);

/* overlay.c */
/* The overlay path of IMAGE in DIR (stable across runs); malloc'd. */
char *gkb_overlay_path (const char *dir, const char *image);
int gkb_overlay_create (const char *image, const char *format, const char *overlay, char **err);
/* Start "qemu-img commit OVERLAY" with its stderr to *ERRFD; returns
 * the pid or -1. */
pid_t gkb_commit_start (const char *overlay, int *errfd, char **err);
/* The image's format as add-drive would see it (qcow2 magic). */
const char *gkb_probe_format (const char *image);

/* queue.c */
struct gkb_counts {
  size_t total, ok, failed, retryable, timeout, skipped, running, done;
  size_t prior_failed, prior_retryable;   /* skipped: failed in the journal */
};
int gkb_run (const struct gkb_opts *o, const struct gkb_script *s, char **paths,
             size_t n, struct gkb_journal *j, FILE *out, struct gkb_counts *c);
extern volatile sig_atomic_t gkb_interrupted;

/* progress.c */
void gkb_progress (const struct gkb_counts *c, double elapsed, int final);

/* Monotonic seconds. */
double gkb_now (void);
/* "gkbatch: ..." to stderr. */
void gkb_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
