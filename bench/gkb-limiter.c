/* gkbench: the limiter observation (gkb-limiter.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gkb-limiter.h"
#include "gkb-stats.h"

/* Median of aux NAME, or -1 if absent. */
static double
med (const struct gkb_fig *f, const char *name)
{
  const struct gkb_series *s = gkb_aux (f, name);
  return s && s->n ? gkb_summarize (s->v, s->n).median : -1;
}

char *
gkb_limiter (const struct gkb_fig *f)
{
  double wall = med (f, "wall_s");
  if (wall <= 0) return NULL;
  double cpu = med (f, "backend_cpu_s"), busy = med (f, "guest_busy_s");
  double gw = med (f, "guest_write_s"), gf = med (f, "guest_fsync_s");
  struct { const char *what; double v; } part[] = {
    { "transport", med (f, "transport_s") },
    { "guest disk (write + fsync)", gw < 0 && gf < 0 ? -1 : (gw > 0 ? gw : 0) + (gf > 0 ? gf : 0) },
    { "host file I/O", med (f, "host_io_s") },
  };
  size_t best = 0;
  for (size_t i = 1; i < sizeof part / sizeof *part; i++)
    if (part[i].v > part[best].v) best = i;
  char cpus[96] = "", parts[96] = "";
  if (cpu >= 0) snprintf (cpus, sizeof cpus, "backend CPU %.0f%% of wall", 100 * cpu / wall);
  if (busy >= 0 && part[best].v > 0)
    snprintf (cpus + strlen (cpus), sizeof cpus - strlen (cpus), "%sappliance busy %.0f%%",
              cpus[0] ? ", " : "", 100 * busy / wall);
  if (part[best].v > 0)
    snprintf (parts, sizeof parts, "%s %.0f%% of wall", part[best].what, 100 * part[best].v / wall);
  char *s = NULL;
  int r;
  if (busy >= 0 && busy / wall >= GKB_SATURATED)
    r = asprintf (&s, "guest CPU: appliance busy %.0f%% of wall%s%s", 100 * busy / wall,
                  cpus[0] ? "; " : "", cpus);
  else if (cpu >= 0 && cpu / wall >= GKB_SATURATED)
    r = asprintf (&s, "host CPU: %s%s%s", cpus, parts[0] ? "; largest part: " : "", parts);
  else if (parts[0])
    r = asprintf (&s, "%s%s%s", parts, cpus[0] ? "; " : "", cpus);
  else if (busy >= 0)
    r = asprintf (&s, "guest disk: appliance busy only %.0f%% of wall%s%s", 100 * busy / wall,
                  cpus[0] ? ", " : "", cpus);
  else if (cpus[0])
    r = asprintf (&s, "waiting, not CPU: %s", cpus);
  else
    return NULL;
  return r == -1 ? NULL : s;
}
