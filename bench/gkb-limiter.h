/* gkbench: what limited a figure, as an observation from its split
 * (pure: unit-tested). */
#ifndef GKB_LIMITER_H
#define GKB_LIMITER_H
#include "gkb-results.h"

/* Share of the wall time (aux wall_s) at or above which a resource is
 * called saturated. */
#define GKB_SATURATED 0.85

/* A malloc'd sentence naming the likely limiter and the numbers behind
 * it, from the medians of F's aux series: wall_s, backend_cpu_s (host CPU
 * of the backend's processes), guest_busy_s (non-idle time inside the
 * appliance), transport_s, host_io_s, guest_write_s + guest_fsync_s
 * (guest disk).  In order: a busy appliance (guest CPU), a busy backend
 * (host CPU), the largest part of the split, else an idle appliance
 * waiting for its disk.  NULL if F has no wall_s. */
char *gkb_limiter (const struct gkb_fig *f);
#endif
