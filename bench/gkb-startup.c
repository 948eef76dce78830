/* gkbench startup: launch-to-ready per backend (and control channel),
 * with the phase split of get-timings and the host CPU time of the
 * backend's processes, and the round trip of a small call; with
 * --compare-libguestfs, `guestfish -a /dev/null run` interleaved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <guestkit.h>
#include "gkbench.h"
#include "gkb-limiter.h"

#define DEFAULT_RUNS 5
#define ECHO_CALLS 100    /* per launch: the mean is one sample */

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

/* One launch of BACKEND on CHANNEL (NULL: the default): adds the
 * samples, returns 0 or -1. */
static int
one (struct gkb_results *r, const struct gkb_opts *o, const char *backend, const char *channel)
{
  double t0 = gkb_now ();
  gk_h *g = gkb_open ();
  if (!g) return -1;
  int ret = -1;
  if (gkb_configure (g, o, backend, channel) == -1 || gk_add_drive (g, gkb_empty_drive, NULL) == -1)
    goto out;
  double l0 = gkb_now ();
  if (gk_launch (g) == -1) goto out;
  double l1 = gkb_now ();
  double cpu = gkb_group_cpu (gk_get_pid (g));
  char *used = gk_get_backend (g);
  struct gk_timing_list *t = gk_get_timings (g);
  double rt = echo_round_trip (g);
  if (rt < 0 || gk_shutdown (g) == -1) { free (used); gk_free_timing_list (t); goto out; }
  gkb_close (g);
  g = NULL;
  double t1 = gkb_now ();
  char *cfg = gkb_config_name (o, used, backend, channel);
  struct gkb_fig *f = cfg ? gkb_fig (r, "startup", "launch", cfg, "s", 0) : NULL;
  struct gkb_fig *fs = cfg ? gkb_fig (r, "startup", "launch+shutdown", cfg, "s", 0) : NULL;
  struct gkb_fig *fe = cfg ? gkb_fig (r, "startup", "echo-daemon", cfg, "ms", 0) : NULL;
  if (f && fs && fe) {
    gkb_add (fe, rt * 1000);
    gkb_add (f, l1 - l0);
    gkb_add_aux (f, "wall_s", l1 - l0);
    gkb_add_aux (f, "backend_cpu_s", cpu);
    for (size_t i = 0; t && i < t->len; i++) {
      char name[40];
      if (strncmp (t->val[i].name, "launch.", 7) && strncmp (t->val[i].name, "guest.", 6))
        continue;
      snprintf (name, sizeof name, "%.28s_s", t->val[i].name);
      gkb_add_aux (f, name, (double) t->val[i].usec / 1e6);
    }
    gkb_add (fs, t1 - t0);
    gkb_add_aux (fs, "wall_s", t1 - t0);
    ret = 0;
  }
  free (used);
  free (cfg);
  gk_free_timing_list (t);
 out:
  if (g) {
    if (!gkb_stop) fprintf (stderr, "gkbench: startup %s: %s\n", backend, gk_last_error (g));
    gkb_close (g);
  }
  return ret;
}

static int
one_libguestfs (struct gkb_results *r)
{
  char *argv[] = { "guestfish", "-a", "/dev/null", "run", NULL };
  double wall, cpu;
  int st = gkb_run (argv, NULL, &wall, &cpu);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    if (!gkb_stop) fprintf (stderr, "gkbench: guestfish -a /dev/null run failed\n");
    return -1;
  }
  struct gkb_fig *f = gkb_fig (r, "startup", "launch+shutdown", "libguestfs", "s", 0);
  if (!f) return -1;
  gkb_add (f, wall);
  gkb_add_aux (f, "wall_s", wall);
  gkb_add_aux (f, "backend_cpu_s", cpu);
  return 0;
}

struct run_arg { struct gkb_results *r; const struct gkb_opts *o; };

static int
one_run (void *arg, const char *backend, const char *channel)
{
  struct run_arg *a = arg;
  return backend ? one (a->r, a->o, backend, channel) : one_libguestfs (a->r);
}

int
gkb_startup (struct gkb_results *r, const struct gkb_opts *o)
{
  struct run_arg a = { r, o };
  return gkb_each_run (o, "startup", DEFAULT_RUNS, one_run, &a);
}
