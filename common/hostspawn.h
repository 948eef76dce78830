/* The one way host programs (the library, gkfish, gkbatch, gkbench)
 * start a process: common/README.md.  The daemon has its own (it runs
 * commands inside the appliance, with other rules). */
#ifndef GK_COMMON_HOSTSPAWN_H
#define GK_COMMON_HOSTSPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/resource.h>

/* What one of the child's stdin, stdout, stderr is. */
enum gk_int_spawn_io {
  GK_SPAWN_KEEP = 0,            /* ours, as it is */
  GK_SPAWN_NULL,                /* /dev/null */
  GK_SPAWN_PIPE,                /* a pipe; our end in proc->fd[i] */
  GK_SPAWN_FD,                  /* the descriptor .fd */
  GK_SPAWN_FILE,                /* .path: stdin read, else created/truncated 0644 */
  GK_SPAWN_STDOUT,              /* (stderr only) the same as stdout */
};

/* Flags. */
#define GK_SPAWN_PGROUP   0x01  /* its own process group (Ctrl-C is ours; kill the group) */
#define GK_SPAWN_PDEATH   0x02  /* SIGKILL when the thread that started it dies */
#define GK_SPAWN_PIDNS    0x04  /* a new PID namespace (its descendants die with it),
                                   else a process group; implies PDEATH */
#define GK_SPAWN_NOCORE   0x08  /* no core files */
#define GK_SPAWN_IGNINT   0x10  /* SIGINT ignored (not cut short by Ctrl-C) */

struct gk_int_spawn_cfg {
  char *const *argv;            /* argv[0] is looked up in PATH ... */
  const char *path;             /* ... unless this file is given (run as is) */
  char *const *env;             /* "NAME=value" added to ours (replacing NAME), or NULL */
  struct { enum gk_int_spawn_io how; int fd; const char *path; } io[3];
  /* KEEP[k] becomes the child's descriptor 3+k (-1: left closed); with
   * exec every other descriptor is closed. */
  const int *keep;
  size_t nkeep;
  unsigned flags;
  /* With PIDNS (where getppid() says nothing): the child's descriptor
   * whose hangup means we are gone; 0 for none. */
  int hangup_fd;
};

struct gk_int_proc {
  pid_t pid;
  pid_t pgid;                   /* its process group to kill, or 0 */
  int fd[3];                    /* our ends of its PIPE stdin/stdout/stderr, or -1 */
  int pidns;                    /* PIDNS: 1 if it got one (pid is its PID 1, a reaper) */
  int pidns_errno;              /* ... else why not */
};

#define GK_SPAWN_MAX_KEEP 64

/* Start CFG->argv.  0, or -1 with errno (a failed exec too: ENOENT,
 * EACCES ... of the program).  Only async-signal-safe calls run between
 * fork and exec: safe in multi-threaded programs. */
int gk_int_proc_start (const struct gk_int_spawn_cfg *cfg, struct gk_int_proc *p);

/* The same set-up without exec (CFG->argv unused, other descriptors
 * kept, signals untouched): like fork, returns 1 in the parent, 0 in
 * the child, -1 with errno.  The child runs our code: anything in a
 * single-threaded program, async-signal-safe calls only otherwise. */
int gk_int_proc_fork (const struct gk_int_spawn_cfg *cfg, struct gk_int_proc *p);

/* Wait for it up to TIMEOUT_MS (-1: for ever).  1: reaped (*STATUS,
 * *RU if not NULL); 0: still running at the timeout; -1 with errno
 * (EINTR: a signal came, the caller decides; ECHILD ...). */
int gk_int_proc_wait (struct gk_int_proc *p, int timeout_ms, int *status, struct rusage *ru);

/* Wait for it, whatever signals come; its status, or -1 with errno. */
int gk_int_proc_reap (struct gk_int_proc *p);

/* SIG to its process group if it has one, else to it. */
void gk_int_proc_kill (const struct gk_int_proc *p, int sig);

/* Close our pipe ends. */
void gk_int_proc_close (struct gk_int_proc *p);

/* "exit status N" / "killed by signal N" for a wait status. */
void gk_int_proc_status_str (int status, char *buf, size_t n);

#endif
