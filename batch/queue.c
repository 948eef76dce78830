/* gkbatch: the scheduler.  Up to -j workers (one child process each) run
 * at a time; their output and result pipes are read with poll, so one
 * thread watches them all.  A worker past --timeout gets SIGTERM (the
 * call in flight is cancelled), then SIGKILL 5 s later; its appliance
 * dies with it.  With --rw a worker that succeeded is followed by a
 * commit ("committing" journalled first, see overlay.c).
 *
 * Every outcome is written to the output and to the journal (fsync'd)
 * as soon as it is known.  On SIGINT/SIGTERM no new image starts, the
 * running workers are stopped (SIGTERM, then SIGKILL on a second
 * Ctrl-C or after 5 s), commits in progress are let finish, and the
 * stopped images are not journalled, so a rerun does them again. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gkbatch.h"
#include "hostspawn.h"
#include "i18n.h"

volatile sig_atomic_t gkb_interrupted;

#define KILL_GRACE 5.0
#define RESULT_MAX 65536

enum jstate { J_FREE, J_WORK, J_COMMIT };

struct job {
  enum jstate state;
  pid_t pid;
  int outfd, resfd;        /* -1 at EOF */
  const char *path;
  char *overlay;           /* --rw with overlays */
  double start, term_at;   /* term_at: SIGTERM sent (0: not) */
  int timed_out, stopped;
  char *out; size_t outlen; int cut;
  char *res; size_t reslen;
  struct gkb_result r;     /* during the commit: the worker's result */
  double commit_start;
};

struct run {
  const struct gkb_opts *o;
  const struct gkb_script *s;
  struct gkb_journal *jn;
  FILE *out;
  struct gkb_counts *c;
  struct job *jobs;
  size_t njobs;
  const char *work_dir;
  int fatal;
  double t0;
};

static void
emit (struct run *u, struct gkb_result *r, int journal)
{
  if (u->o->csv) gkb_csv_line (u->out, r);
  else {
    char *j = gkb_result_json (r);
    if (j) { fputs (j, u->out); fputc ('\n', u->out); free (j); }
  }
  fflush (u->out);
  if (journal && u->jn && gkb_journal_append (u->jn, r) == -1) {
    gkb_warn ("journal: %s: %s; stopping", r->path, strerror (errno));
    u->fatal = 1;
    gkb_interrupted = 1;
  }
  struct gkb_counts *c = u->c;
  c->done++;
  switch (r->status) {
  case GKB_OK: c->ok++; break;
  case GKB_FAILED: c->failed++; break;
  case GKB_TIMEOUT: c->timeout++; break;
  case GKB_SKIPPED: c->skipped++; break;
  case GKB_COMMITTING: break;
  }
  if ((r->status == GKB_FAILED || r->status == GKB_TIMEOUT) && r->retryable) c->retryable++;
}

/* PATH is not run; LAST: its failure in the journal, which still
 * counts for the exit status (the list is not all done). */
static void
skip (struct run *u, const char *path, const char *why, const struct gkb_result *last)
{
  struct gkb_result r = { .path = (char *) path, .status = GKB_SKIPPED,
                          .error = (char *) why, .retryable = last && last->retryable };
  emit (u, &r, 0);
  if (last) {
    u->c->prior_failed++;
    if (last->retryable) u->c->prior_retryable++;
  }
}

static void
append (char **buf, size_t *len, const char *data, size_t n, size_t max, int *cut)
{
  size_t keep = *len + n > max ? (max > *len ? max - *len : 0) : n;
  if (keep < n && cut) *cut = 1;
  if (keep == 0) return;
  char *b = realloc (*buf, *len + keep + 1);
  if (!b) { if (cut) *cut = 1; return; }
  memcpy (b + *len, data, keep);
  *len += keep;
  b[*len] = '\0';
  *buf = b;
}

/* Read what FD has; close it at EOF. */
static void
drain (int *fd, char **buf, size_t *len, size_t max, int *cut)
{
  char tmp[16384];
  for (;;) {
    ssize_t n = read (*fd, tmp, sizeof tmp);
    if (n > 0) { append (buf, len, tmp, (size_t) n, max, cut); continue; }
    if (n == -1 && errno == EINTR) continue;
    if (n == -1 && errno == EAGAIN) return;
    close (*fd);
    *fd = -1;
    return;
  }
}

static int
start_worker (struct run *u, struct job *jb, const char *path)
{
  int rp[2];
  if (pipe2 (rp, O_CLOEXEC) == -1) return -1;
  memset (jb, 0, sizeof *jb);
  jb->path = path;
  if (u->work_dir && !(jb->overlay = gkb_overlay_path (u->work_dir, path))) goto fail;
  fflush (NULL);
  /* A process group of its own: Ctrl-C at the terminal is gkbatch's to
   * pass on, so a stop is always an orderly one.  If gkbatch is killed,
   * the worker goes too, and its appliance with it. */
  struct gk_int_spawn_cfg c = {
    .flags = GK_SPAWN_PGROUP | GK_SPAWN_PDEATH,
    .io = { { .how = GK_SPAWN_KEEP }, { .how = GK_SPAWN_PIPE },
            { .how = u->o->verbose ? GK_SPAWN_KEEP : GK_SPAWN_NULL } },
  };
  struct gk_int_proc p;
  int f = gk_int_proc_fork (&c, &p);
  if (f == -1) goto fail;
  if (f == 0) {
    close (rp[0]);
    int r = gkb_worker (u->o, u->s, path, jb->overlay, rp[1]);
    fflush (stdout);
    _exit (r);
  }
  close (rp[1]);
  jb->pid = p.pid;
  jb->outfd = p.fd[1];
  jb->resfd = rp[0];
  fcntl (jb->outfd, F_SETFL, O_NONBLOCK);
  fcntl (jb->resfd, F_SETFL, O_NONBLOCK);
  jb->state = J_WORK;
  jb->start = gkb_now ();
  u->c->running++;
  return 0;
 fail:
  close (rp[0]); close (rp[1]);
  free (jb->overlay); jb->overlay = NULL;
  return -1;
}

static int
start_commit (struct run *u, struct job *jb)
{
  char *err = NULL;
  jb->commit_start = gkb_now ();
  jb->pid = gkb_commit_start (jb->overlay, &jb->outfd, &err);
  if (jb->pid == -1) {
    gkb_warn ("commit %s: %s", jb->overlay, err ? err : "failed");
    free (err);
    return -1;
  }
  fcntl (jb->outfd, F_SETFL, O_NONBLOCK);
  jb->resfd = -1;
  jb->state = J_COMMIT;
  free (jb->out); jb->out = NULL; jb->outlen = 0;
  return 0;
}

static void
release (struct run *u, struct job *jb)
{
  free (jb->overlay); free (jb->out); free (jb->res);
  gkb_result_free (&jb->r);
  memset (jb, 0, sizeof *jb);
  jb->outfd = jb->resfd = -1;
  u->c->running--;
}

static char *
exit_msg (int st)
{
  char *m;
  int r = WIFSIGNALED (st)
    ? asprintf (&m, "the worker was killed by signal %d", WTERMSIG (st))
    : asprintf (&m, "the worker exited with status %d and no result", WEXITSTATUS (st));
  return r == -1 ? NULL : m;
}

/* A worker ended (ST from waitpid): its result, then commit or emit. */
static void
worker_done (struct run *u, struct job *jb, int st)
{
  /* The result pipe holds "#PHASE" lines, then the result's JSON. */
  struct gkb_result r;
  char *json = NULL, *ph = NULL;
  for (char *l = jb->res, *e; l && *l; l = e ? e + 1 : NULL) {
    if ((e = strchr (l, '\n'))) *e = '\0';
    if (*l == '#') ph = l + 1;
    else if (*l == '{') json = l;
    if (!e) break;
  }
  if (!json || gkb_result_parse (json, &r) == -1) {
    memset (&r, 0, sizeof r);
    r.status = GKB_FAILED;
    r.retryable = 1;    /* a crash of the worker or appliance: not the image's fault */
    r.phase = strdup (ph ? ph : "worker");
    r.error = exit_msg (st);
  }
  free (r.path);
  r.path = strdup (jb->path);
  if (jb->timed_out) {
    r.status = GKB_TIMEOUT;
    r.retryable = 1;
    free (r.error);
    if (asprintf (&r.error, "timed out after %g s", u->o->timeout) == -1) r.error = NULL;
  }
  free (r.output);     /* the worker sends none: its stdout is the pipe */
  r.output = jb->out; r.output_len = jb->outlen; r.output_cut = jb->cut;
  jb->out = NULL;
  r.t_total = gkb_now () - jb->start;
  if (jb->stopped && !jb->timed_out) {
    /* Interrupted: not this image's outcome; a rerun does it. */
    if (jb->overlay) unlink (jb->overlay);
    free (r.error);
    r.error = strdup ("interrupted");
    r.status = GKB_SKIPPED;
    emit (u, &r, 0);
    gkb_result_free (&r);
    release (u, jb);
    return;
  }
  if (r.status == GKB_OK && jb->overlay) {
    r.status = GKB_COMMITTING;
    if (u->jn && gkb_journal_append (u->jn, &r) == -1) {
      gkb_warn ("journal: %s: %s; stopping", r.path, strerror (errno));
      u->fatal = 1; gkb_interrupted = 1;
    }
    jb->r = r;
    if (!u->fatal && start_commit (u, jb) == 0) return;
    jb->r.status = GKB_FAILED;
    jb->r.retryable = 1;
    jb->r.phase = (free (jb->r.phase), strdup ("commit"));
    free (jb->r.error);
    jb->r.error = strdup ("could not start qemu-img commit");
    emit (u, &jb->r, 0);      /* the "committing" record stands: a rerun commits */
    release (u, jb);
    return;
  }
  if (jb->overlay) unlink (jb->overlay);
  emit (u, &r, 1);
  gkb_result_free (&r);
  release (u, jb);
}

static void
commit_done (struct run *u, struct job *jb, int st)
{
  struct gkb_result *r = &jb->r;
  r->t_commit = gkb_now () - jb->commit_start;
  r->t_total += r->t_commit;
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0) {
    r->status = GKB_OK;
    emit (u, r, 1);
    /* Only now: the "ok" record is on disk, the overlay is not needed. */
    if (!u->fatal) unlink (jb->overlay);
  }
  else {
    /* The image may be half-committed: keep the overlay and the
     * "committing" record so that the next run commits again. */
    r->status = GKB_FAILED;
    r->retryable = 1;
    free (r->phase); r->phase = strdup ("commit");
    free (r->error);
    if (asprintf (&r->error, "qemu-img commit %s: %s%s", jb->overlay,
                  jb->outlen ? jb->out : "failed",
                  "; rerun with the same journal to commit again") == -1) r->error = NULL;
    emit (u, r, 0);
  }
  release (u, jb);
}

/* The journal says PATH was committing when the last run ended. */
static int
redo_commit (struct run *u, struct job *jb, const char *path, const struct gkb_result *last)
{
  memset (jb, 0, sizeof *jb);
  jb->outfd = jb->resfd = -1;
  jb->path = path;
  jb->overlay = u->work_dir ? gkb_overlay_path (u->work_dir, path) : NULL;
  if (!jb->overlay || access (jb->overlay, F_OK) == -1) {
    free (jb->overlay); jb->overlay = NULL;
    return -1;
  }
  u->c->running++;
  jb->start = gkb_now ();
  struct gkb_result *r = &jb->r;
  r->path = strdup (path);
  r->backend = last->backend ? strdup (last->backend) : NULL;
  r->t_launch = last->t_launch; r->t_script = last->t_script;
  if (start_commit (u, jb) == -1) { release (u, jb); return -1; }
  return 0;
}

/* Decide what to do with PATH; 1 if a job was started in JB. */
static int
dispatch (struct run *u, struct job *jb, const char *path)
{
  const struct gkb_result *last = gkb_journal_find (u->jn, path);
  if (last) {
    switch (last->status) {
    case GKB_OK: skip (u, path, "done (journal)", NULL); return 0;
    case GKB_COMMITTING:
      if (!u->work_dir) {
        skip (u, path, "a commit is pending (journal): rerun with --rw to finish it", last);
        return 0;
      }
      if (redo_commit (u, jb, path, last) == 0) return 1;
      {
        struct gkb_result r = { .path = (char *) path, .status = GKB_FAILED,
          .phase = (char *) "commit", .error = (char *) "the journal says a commit was under "
          "way but its overlay is gone; check the image" };
        emit (u, &r, 1);
      }
      return 0;
    case GKB_FAILED: case GKB_TIMEOUT:
      if (!u->o->retry_failed) {
        skip (u, path, "failed before (journal); --retry-failed reruns it", last);
        return 0;
      }
      break;
    case GKB_SKIPPED: break;
    }
  }
  if (start_worker (u, jb, path) == -1) {
    struct gkb_result r = { .path = (char *) path, .status = GKB_FAILED, .retryable = 1,
      .phase = (char *) "worker", .error = strerror (errno) };
    emit (u, &r, 0);
    return 0;
  }
  return 1;
}

static void
signal_all (struct run *u, int sig)
{
  double now = gkb_now ();
  for (size_t i = 0; i < u->njobs; i++) {
    struct job *jb = &u->jobs[i];
    if (jb->state != J_WORK || jb->pid <= 0) continue;
    if (sig == SIGTERM && jb->term_at) continue;
    jb->stopped = 1;
    if (!jb->term_at) jb->term_at = now;
    kill (jb->pid, sig);
  }
}

/* Timeouts and escalation; returns the seconds until the next deadline. */
static double
deadlines (struct run *u)
{
  double now = gkb_now (), next = 1.0;
  for (size_t i = 0; i < u->njobs; i++) {
    struct job *jb = &u->jobs[i];
    if (jb->state != J_WORK) continue;
    if (!jb->term_at && u->o->timeout > 0) {
      double d = jb->start + u->o->timeout - now;
      if (d <= 0) { jb->timed_out = 1; jb->term_at = now; kill (jb->pid, SIGTERM); d = KILL_GRACE; }
      if (d < next) next = d;
    }
    if (jb->term_at) {
      double d = jb->term_at + KILL_GRACE - now;
      if (d <= 0) { kill (jb->pid, SIGKILL); d = 1; }
      if (d < next) next = d;
    }
  }
  return next;
}

/* Wait for I/O on the jobs; handle those whose pipes are closed. */
static void
step (struct run *u, int show)
{
  struct pollfd pf[2 * u->njobs + 1];
  size_t np = 0;
  double wait = deadlines (u);
  for (size_t i = 0; i < u->njobs; i++) {
    struct job *jb = &u->jobs[i];
    if (jb->state == J_FREE) continue;
    if (jb->outfd != -1) pf[np++] = (struct pollfd) { jb->outfd, POLLIN, 0 };
    if (jb->resfd != -1) pf[np++] = (struct pollfd) { jb->resfd, POLLIN, 0 };
  }
  int ms = (int) (wait * 1000) + 1;
  if (poll (pf, np, ms) == -1 && errno != EINTR) gkb_warn ("poll: %s", strerror (errno));
  for (size_t i = 0; i < u->njobs; i++) {
    struct job *jb = &u->jobs[i];
    if (jb->state == J_FREE) continue;
    if (jb->outfd != -1)
      drain (&jb->outfd, &jb->out, &jb->outlen,
             jb->state == J_COMMIT ? 4096 : u->o->max_output, &jb->cut);
    if (jb->resfd != -1) drain (&jb->resfd, &jb->res, &jb->reslen, RESULT_MAX, NULL);
    if (jb->outfd != -1 || jb->resfd != -1) continue;
    int st;
    if (waitpid (jb->pid, &st, 0) == -1) st = 0;
    if (jb->state == J_WORK) worker_done (u, jb, st);
    else commit_done (u, jb, st);
  }
  if (show) gkb_progress (u->c, gkb_now () - u->t0, 0);
}

int
gkb_run (const struct gkb_opts *o, const struct gkb_script *s, char **paths,
         size_t n, struct gkb_journal *jn, FILE *out, struct gkb_counts *c)
{
  struct run u = { .o = o, .s = s, .jn = jn, .out = out, .c = c, .t0 = gkb_now () };
  long nj = o->jobs > 0 ? o->jobs : gkb_default_jobs ();
  u.njobs = (size_t) nj;
  u.jobs = calloc (u.njobs, sizeof *u.jobs);
  if (!u.jobs) return -1;
  for (size_t i = 0; i < u.njobs; i++) u.jobs[i].outfd = u.jobs[i].resfd = -1;
  char *tmpdir = NULL;
  if (o->rw && !o->in_place && !o->dry_run) {
    if (o->work_dir) u.work_dir = o->work_dir;
    else if (o->journal) {
      if (asprintf (&tmpdir, "%s.d", o->journal) == -1) return -1;
      u.work_dir = tmpdir;
    }
    else {
      const char *t = getenv ("TMPDIR");
      if (asprintf (&tmpdir, "%s/gkbatch.XXXXXX", t && *t == '/' ? t : "/var/tmp") == -1
          || !mkdtemp (tmpdir)) {
        gkb_warn ("cannot create a directory for the overlays: %s", strerror (errno));
        return -1;
      }
      u.work_dir = tmpdir;
    }
    if (mkdir (u.work_dir, 0700) == -1 && errno != EEXIST) {
      gkb_warn ("--work-dir %s: %s", u.work_dir, strerror (errno));
      return -1;
    }
  }
  int show = o->progress == 1 || (o->progress == -1 && isatty (2));
  c->total = n;
  int termed = 0, killed = 0;
  size_t next = 0;
  for (;;) {
    if (gkb_interrupted && !termed) { signal_all (&u, SIGTERM); termed = gkb_interrupted; }
    if (gkb_interrupted > 1 && !killed) { signal_all (&u, SIGKILL); killed = 1; }
    while (!gkb_interrupted && next < n && c->running < u.njobs) {
      struct job *jb = NULL;
      for (size_t i = 0; i < u.njobs && !jb; i++)
        if (u.jobs[i].state == J_FREE) jb = &u.jobs[i];
      const char *p = paths[next++];
      dispatch (&u, jb, p);
    }
    if (c->running == 0) break;
    step (&u, show);
  }
  if (show) gkb_progress (c, gkb_now () - u.t0, 1);
  /* Our directory goes when empty: no overlay awaits a commit. */
  if (tmpdir && rmdir (tmpdir) == -1 && errno == ENOTEMPTY)
    gkb_warn ("overlays awaiting a commit are kept in %s; rerun%s to commit them", tmpdir,
              o->journal ? _(" with the same journal") : "");
  free (tmpdir);
  free (u.jobs);
  return u.fatal ? -1 : 0;
}
