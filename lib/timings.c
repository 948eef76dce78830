/* guestkit: named timers of the last launch and the last transfer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include "internal.h"
#include "monoclock.h"

int64_t
gk_int_now_us (void)
{
  return gk_int_mono_us ();
}

/* Drop every timer whose name starts with PREFIX ("launch." or "xfer."). */
void
gk_int_timing_reset (gk_h *g, const char *prefix)
{
  size_t j = 0, n = strlen (prefix);
  for (size_t i = 0; i < g->nr_timings; i++)
    if (strncmp (g->timings[i].name, prefix, n) != 0)
      g->timings[j++] = g->timings[i];
  g->nr_timings = j;
}

void
gk_int_timing_set (gk_h *g, const char *name, int64_t usec)
{
  for (size_t i = 0; i < g->nr_timings; i++)
    if (strcmp (g->timings[i].name, name) == 0) {
      g->timings[i].usec = usec;
      return;
    }
  if (g->nr_timings == GK_MAX_TIMINGS) return;
  snprintf (g->timings[g->nr_timings].name, sizeof g->timings[0].name, "%s", name);
  g->timings[g->nr_timings++].usec = usec;
  if (g->debug) fprintf (stderr, "guestkit: timing %s = %.3f ms\n", name, usec / 1000.0);
}

struct gk_timing_list *
gk_int_local_get_timings (gk_h *g)
{
  struct gk_timing_list *l = calloc (1, sizeof *l);
  if (l) l->val = calloc (g->nr_timings ? g->nr_timings : 1, sizeof *l->val);
  if (!l || !l->val) {
    free (l);
    gk_int_error_errno (g, ENOMEM, "get-timings: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < g->nr_timings; i++) {
    l->val[i].name = strdup (g->timings[i].name);
    l->val[i].usec = g->timings[i].usec;
    l->len = i + 1;
    if (!l->val[i].name) {
      gk_free_timing_list (l);
      gk_int_error_errno (g, ENOMEM, "get-timings: out of memory");
      return NULL;
    }
  }
  return l;
}
