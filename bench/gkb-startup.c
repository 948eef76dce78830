/* gkbench startup: launch-to-ready per backend (and control channel),
 * with the phase split of get-timings, the host CPU time and peak RSS of
 * the backend's process, and the first small calls after launch.  On
 * the qemu backend both launch paths, by restoring the saved appliance
 * (the default) and by a cold boot (set-snapshot false), one after the
 * other in each run; with --compare-libguestfs, `guestfish -a DRIVE
 * run` after them, so that machine noise hits all three alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <guestkit.h>
#include "gkbench.h"
#include "gkb-limiter.h"
#include "gkb-stats.h"

#define DEFAULT_RUNS 5
#define ECHO_CALLS 100    /* per launch: the mean is one sample */
#define FIRST_CALLS 10    /* right after launch, each timed: TCG translates on first use */

/* How a launch starts the appliance: the backend's own way (uml boots),
 * or on qemu by restore or by a cold boot. */
enum path { P_DEFAULT, P_RESTORE, P_COLD };
static const char *const path_suffix[] = { "", " restore", " cold" };

static int
is_qemu (const char *backend)
{
  return strncmp (backend, "qemu", 4) == 0;
}

/* Seconds per echo-daemon call on G, averaged over ECHO_CALLS; -1 on error. */
static double
echo_round_trip (gk_h *g)
{
  char *words[] = { "x", NULL };
  double t0 = gkb_now ();
  for (int i = 0; i < ECHO_CALLS; i++) {
    char *s = gk_echo_daemon (g, words);
    if (!s) return -1;
    free (s);
  }
  return (gkb_now () - t0) / ECHO_CALLS;
}

/* The first FIRST_CALLS echo-daemon calls after launch, each timed into
 * T (s), then the first list-devices into *LD (s): 0, or -1. */
static int
first_calls (gk_h *g, double *t, double *ld)
{
  char *words[] = { "x", NULL };
  for (int i = 0; i < FIRST_CALLS; i++) {
    double t0 = gkb_now ();
    char *s = gk_echo_daemon (g, words);
    if (!s) return -1;
    free (s);
    t[i] = gkb_now () - t0;
  }
  double t0 = gkb_now ();
  char **d = gk_list_devices (g);
  if (!d) return -1;
  gk_free_strings (d);
  *ld = gkb_now () - t0;
  return 0;
}

/* The timer NAME in T (s), or -1 if T has none. */
static double
timer (const struct gk_timing_list *t, const char *name)
{
  for (size_t i = 0; t && i < t->len; i++)
    if (strcmp (t->val[i].name, name) == 0) return (double) t->val[i].usec / 1e6;
  return -1;
}

/* The figure's configuration for a launch on PATH: "qemu:tcg restore",
 * "uml", ... with the channel and datapath when chosen.  malloc'd. */
static char *
config (const struct gkb_opts *o, const char *used, const char *backend, const char *channel,
        enum path path)
{
  char *u = NULL;
  if (asprintf (&u, "%s%s", used ? used : backend, path_suffix[path]) == -1) return NULL;
  char *c = gkb_config_name (o, u, backend, channel);
  free (u);
  return c;
}

/* What one launch measured. */
struct meas {
  double launch, total, cpu, rss, calls[FIRST_CALLS], listdev, echo;
  struct gk_timing_list *t;
  char *used;
};

/* Launch BACKEND on CHANNEL and PATH with one user drive (the small raw
 * image), time the first calls, read the backend's peak RSS, shut down:
 * 0 and *M filled (free m->t and m->used), or -1 + message. */
static int
measure (const struct gkb_opts *o, const char *backend, const char *channel, enum path path,
         struct meas *m)
{
  memset (m, 0, sizeof *m);
  double t0 = gkb_now ();
  gk_h *g = gkb_open ();
  if (!g) return -1;
  if (gkb_configure (g, o, backend, channel) == -1
      || (path != P_DEFAULT && gk_set_snapshot (g, path == P_RESTORE) == -1)
      || gk_add_drive (g, gkb_empty_drive, NULL) == -1)
    goto fail;
  double l0 = gkb_now ();
  if (gk_launch (g) == -1) goto fail;
  double l1 = gkb_now ();
  pid_t pid = gk_get_pid (g);
  m->launch = l1 - l0;
  m->cpu = gkb_group_cpu (pid);
  m->used = gk_get_backend (g);
  m->t = gk_get_timings (g);
  if (first_calls (g, m->calls, &m->listdev) == -1 || (m->echo = echo_round_trip (g)) < 0)
    goto fail;
  m->rss = gkb_peak_rss (pid);           /* just before shutdown: the whole life's peak */
  double s0 = gkb_now ();
  if (gk_shutdown (g) == -1) goto fail;
  gkb_close (g);
  /* Launch + shutdown without the calls in between: what a guestfish
     `-a DRIVE run` does. */
  m->total = (l1 - t0) + (gkb_now () - s0);
  return 0;
 fail:
  if (!gkb_stop)
    gkb_error ("startup %s%s: %s", backend, path_suffix[path], gk_last_error (g));
  gkb_close (g);
  free (m->used); m->used = NULL;
  gk_free_timing_list (m->t); m->t = NULL;
  return -1;
}

/* Whether the launch took PATH (get-timings has launch.state_load after
 * a restore only, and launch.restore_failed when the restored appliance
 * failed and it booted instead); if not, a note, and it is not counted. */
static int
took_path (struct gkb_results *r, const struct meas *m, const char *cfg, enum path path)
{
  int restored = timer (m->t, "launch.state_load") >= 0
    && timer (m->t, "launch.restore_failed") < 0;
  if (path == P_DEFAULT || restored == (path == P_RESTORE)) return 1;
  gkb_note (r, "%s: a launch %s; not counted", cfg,
            restored ? "restored although set-snapshot was false"
            : "booted cold instead of restoring (GUESTKIT_DEBUG=1 says why)");
  gkb_error ("%s", r->notes[r->nnotes - 1]);
  return 0;
}

static int
one (struct gkb_results *r, const struct gkb_opts *o, const char *backend, const char *channel,
     enum path path)
{
  struct meas m;
  if (measure (o, backend, channel, path, &m) == -1) return -1;
  int ret = -1;
  char *cfg = config (o, m.used, backend, channel, path);
  if (!cfg || !took_path (r, &m, cfg, path)) goto out;
  struct gkb_fig *f = gkb_fig (r, "startup", "launch", cfg, "s", 0);
  struct gkb_fig *fs = gkb_fig (r, "startup", "launch+shutdown", cfg, "s", 0);
  struct gkb_fig *f1 = gkb_fig (r, "startup", "first-call", cfg, "ms", 0);
  struct gkb_fig *fn = gkb_fig (r, "startup", "calls-2-10", cfg, "ms", 0);
  struct gkb_fig *fl = gkb_fig (r, "startup", "first-list-devices", cfg, "ms", 0);
  struct gkb_fig *fe = gkb_fig (r, "startup", "echo-daemon", cfg, "ms", 0);
  struct gkb_fig *fr = gkb_fig (r, "startup", "backend-peak-rss", cfg, "MiB", 0);
  if (!f || !fs || !f1 || !fn || !fl || !fe || !fr) goto out;
  gkb_add (f, m.launch);
  gkb_add_aux (f, "wall_s", m.launch);
  gkb_add_aux (f, "backend_cpu_s", m.cpu);
  for (size_t i = 0; m.t && i < m.t->len; i++) {
    char name[40];
    if (strncmp (m.t->val[i].name, "launch.", 7) && strncmp (m.t->val[i].name, "guest.", 6))
      continue;
    snprintf (name, sizeof name, "%.28s_s", m.t->val[i].name);
    gkb_add_aux (f, name, (double) m.t->val[i].usec / 1e6);
  }
  /* After a restore, the guest's part of launch.resume (its clock:
     only differences mean something). */
  double gr = timer (m.t, "guest.resume"), gc = timer (m.t, "guest.clock");
  double gd = timer (m.t, "guest.drives");
  if (gr >= 0 && gc >= 0 && gd >= 0) {
    gkb_add_aux (f, "guest_reseed_clock_s", gc - gr);
    gkb_add_aux (f, "guest_drive_attach_s", gd - gc);
  }
  gkb_add (fs, m.total);
  gkb_add_aux (fs, "wall_s", m.total);
  gkb_add (f1, m.calls[0] * 1000);
  gkb_add (fn, gkb_summarize (m.calls + 1, FIRST_CALLS - 1).median * 1000);
  gkb_add (fl, m.listdev * 1000);
  gkb_add (fe, m.echo * 1000);
  if (m.rss > 0) gkb_add (fr, m.rss);
  ret = 0;
 out:
  free (cfg);
  free (m.used);
  gk_free_timing_list (m.t);
  return ret;
}

static int
one_libguestfs (struct gkb_results *r)
{
  char *argv[] = { "guestfish", "--format=raw", "-a", (char *) gkb_empty_drive, "run", NULL };
  double wall, cpu, rss;
  int st = gkb_run_rss (argv, NULL, &wall, &cpu, &rss);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    if (!gkb_stop) gkb_error ("guestfish -a %s run failed", gkb_empty_drive);
    return -1;
  }
  struct gkb_fig *f = gkb_fig (r, "startup", "launch+shutdown", "libguestfs", "s", 0);
  struct gkb_fig *fr = gkb_fig (r, "startup", "backend-peak-rss", "libguestfs", "MiB", 0);
  if (!f || !fr) return -1;
  gkb_add (f, wall);
  gkb_add_aux (f, "wall_s", wall);
  gkb_add_aux (f, "backend_cpu_s", cpu);
  gkb_add (fr, rss);
  return 0;
}

struct run_arg { struct gkb_results *r; const struct gkb_opts *o; };

static int
one_run (void *arg, const char *backend, const char *channel)
{
  struct run_arg *a = arg;
  if (!backend) return one_libguestfs (a->r);
  if (!is_qemu (backend)) return one (a->r, a->o, backend, channel, P_DEFAULT);
  int e1 = one (a->r, a->o, backend, channel, P_RESTORE);
  int e2 = gkb_stop ? 0 : one (a->r, a->o, backend, channel, P_COLD);
  return e1 == -1 || e2 == -1 ? -1 : 0;
}

/* Untimed: a launch on each path, so that a snapshot exists and the
 * files are in the page cache before the runs.  If this launch saved
 * the snapshot, its cost is the figure first-launch. */
static int
warm_up (struct gkb_results *r, const struct gkb_opts *o, const char *backend, const char *channel)
{
  gkb_progress ("startup: %s%s%s, warm-up (a restore, saving the snapshot if there is none; "
                "a cold boot)", backend, channel ? " channel " : "", channel ? channel : "");
  struct meas m;
  if (measure (o, backend, channel, P_RESTORE, &m) == -1) return -1;
  char *cfg = config (o, m.used, backend, channel, P_RESTORE);
  double build = timer (m.t, "launch.snapshot_build");
  int err = cfg ? 0 : -1;
  if (cfg && build >= 0) {
    struct gkb_fig *f = gkb_fig (r, "startup", "first-launch", cfg, "s", 0);
    if (f) {
      gkb_add (f, m.launch);
      gkb_add_aux (f, "wall_s", m.launch);
      gkb_add_aux (f, "launch.snapshot_build_s", build);
    }
  } else if (cfg) {
    gkb_note (r, "%s: the snapshot existed already, so the first launch (which saves it) was "
              "not measured; to measure it, remove snapshot-qemu/ from the cache directory "
              "(GUESTKIT_CACHEDIR) first", cfg);
  }
  free (cfg);
  free (m.used);
  gk_free_timing_list (m.t);
  if (gkb_stop) return err;
  if (measure (o, backend, channel, P_COLD, &m) == -1) return -1;
  free (m.used);
  gk_free_timing_list (m.t);
  return err;
}

/* The startup figure NAME/CONFIG, or NULL. */
static const struct gkb_fig *
find (const struct gkb_results *r, const char *name, const char *cfg)
{
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *f = r->figs[i];
    if (!strcmp (f->group, "startup") && !strcmp (f->name, name) && !strcmp (f->config, cfg))
      return f;
  }
  return NULL;
}

/* Median of figure NAME/CONFIG, or -1 if there is none. */
static double
median (const struct gkb_results *r, const char *name, const char *cfg)
{
  const struct gkb_fig *f = find (r, name, cfg);
  return f && f->main.n ? gkb_summarize (f->main.v, f->main.n).median : -1;
}

/* Median of F's split series AUX in ms, or -1. */
static double
aux_ms (const struct gkb_fig *f, const char *aux)
{
  const struct gkb_series *s = gkb_aux (f, aux);
  return s && s->n ? gkb_summarize (s->v, s->n).median * 1000 : -1;
}

/* A note with the medians of a restore's phases (get-timings). */
static void
restore_phases (struct gkb_results *r, const char *rcfg)
{
  const struct gkb_fig *f = find (r, "launch", rcfg);
  if (!f || !gkb_aux (f, "launch.state_load_s")) return;
  gkb_note (r, "%s phases, medians (ms): qemu start %.0f, state load %.0f, cont %.0f, "
            "resume %.0f (in the guest: reseed + clock %.0f, drive attach %.0f), total %.0f",
            rcfg, aux_ms (f, "launch.qemu_start_s"), aux_ms (f, "launch.state_load_s"),
            aux_ms (f, "launch.cont_s"), aux_ms (f, "launch.resume_s"),
            aux_ms (f, "guest_reseed_clock_s"), aux_ms (f, "guest_drive_attach_s"),
            aux_ms (f, "launch.total_s"));
}

static const char *
verdict (double v, double limit)
{
  return v < 0 ? "not measured" : v <= limit ? "met" : "MISSED";
}

/* Notes comparing the paths of the qemu configuration whose restore row
 * is RCFG: the ratios, issue 13's targets, the first calls. */
static void
compare_paths (struct gkb_results *r, const char *rcfg)
{
  const char *p = strstr (rcfg, " restore");
  char *ccfg = NULL;
  if (!p || asprintf (&ccfg, "%.*s cold%s", (int) (p - rcfg), rcfg, p + 8) == -1) return;
  double lr = median (r, "launch", rcfg), lc = median (r, "launch", ccfg);
  double sr = median (r, "launch+shutdown", rcfg), sc = median (r, "launch+shutdown", ccfg);
  double sg = median (r, "launch+shutdown", "libguestfs");
  double mr = median (r, "backend-peak-rss", rcfg), mc = median (r, "backend-peak-rss", ccfg);
  double mg = median (r, "backend-peak-rss", "libguestfs");
  if (lr > 0 && lc > 0 && sr > 0 && sc > 0) {
    char gf[160] = "";
    if (sg > 0)
      snprintf (gf, sizeof gf, ", guestfish %.3f s (guestfish/restore %.1fx, guestfish/cold %.1fx)",
                sg, sg / sr, sg / sc);
    gkb_note (r, "%s vs cold, medians: launch to ready %.3f s vs %.3f s (cold/restore %.1fx); "
              "launch + shutdown %.3f s vs %.3f s (%.1fx)%s", rcfg, lr, lc, lc / lr, sr, sc,
              sc / sr, gf);
  }
  if (mr > 0 && mc > 0) {
    char gm[80] = "";
    if (mg > 0) snprintf (gm, sizeof gm, ", guestfish's largest process %.0f MiB", mg);
    gkb_note (r, "%s: qemu peak RSS (VmHWM) %.0f MiB, cold %.0f MiB%s", rcfg, mr, mc, gm);
  }
  gkb_note (r, "%s: issue 13's targets (medians): launch to ready <= 0.35 s: %s (%.3f s); "
            "launch + shutdown <= 0.5 s: %s (%.3f s); qemu peak RSS no higher than cold: %s",
            rcfg, verdict (lr, 0.35), lr, verdict (sr, 0.5), sr,
            mr < 0 || mc < 0 ? "not measured" : mr <= mc ? "met" : "MISSED");
  restore_phases (r, rcfg);
  double fr = median (r, "first-call", rcfg), nr = median (r, "calls-2-10", rcfg);
  double fc = median (r, "first-call", ccfg), nc = median (r, "calls-2-10", ccfg);
  double dr = median (r, "first-list-devices", rcfg), dc = median (r, "first-list-devices", ccfg);
  if (fr > 0 && nr > 0 && fc > 0 && nc > 0)
    gkb_note (r, "%s: first echo-daemon after launch %.2f ms, calls 2-10 %.2f ms, first "
              "list-devices %.2f ms (cold: %.2f, %.2f, %.2f ms)", rcfg, fr, nr, dr, fc, nc, dc);
  free (ccfg);
}

int
gkb_startup (struct gkb_results *r, const struct gkb_opts *o)
{
  int err = 0;
  for (size_t b = 0; b < o->nbackends && !gkb_stop; b++)
    for (size_t c = 0; c < o->nchannels && !gkb_stop; c++)
      if (is_qemu (o->backends[b]) && gkb_channel_fits (o->backends[b], o->channels[c])
          && warm_up (r, o, o->backends[b], o->channels[c]) == -1)
        err = -1;
  struct run_arg a = { r, o };
  if (gkb_each_run (o, "startup", DEFAULT_RUNS, one_run, &a) == -1) err = -1;
  size_t n = r->nfigs;         /* compare_paths adds notes, not figures */
  for (size_t i = 0; i < n; i++)
    if (!strcmp (r->figs[i]->group, "startup") && !strcmp (r->figs[i]->name, "launch")
        && strstr (r->figs[i]->config, " restore"))
      compare_paths (r, r->figs[i]->config);
  return err;
}
