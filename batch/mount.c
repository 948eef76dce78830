/* gkbatch: in a worker, after launch: -i mounts the guest by inspection
 * (one operating system, its fstab's mount points, shallowest first),
 * -m mounts what was named.  Read-only unless --rw.  Unlike gkfish, a
 * mount point other than / that fails is an error too: a bulk result
 * must not silently come from half a guest. */
#include <stdlib.h>
#include <string.h>
#include "gkbatch.h"
#include "guestkit.h"
#include "mountorder.h"

static int
set_err (char **err, gk_h *g, const char *what)
{
  const char *m = gk_last_error (g);
  if (asprintf (err, "%s: %s", what, m ? m : "failed") == -1) *err = NULL;
  return -1;
}

static int
mount1 (gk_h *g, const struct gkb_opts *o, const char *dev, const char *mp, char **err)
{
  int r = o->rw ? gk_mount (g, dev, mp) : gk_mount_ro (g, dev, mp);
  return r == -1 ? set_err (err, g, o->inspect ? "-i" : "-m") : 0;
}

static int
inspect_mount (gk_h *g, const struct gkb_opts *o, char **err)
{
  char **roots = gk_inspect_os (g);
  if (!roots) return set_err (err, g, "-i");
  size_t n = 0;
  while (roots[n]) n++;
  int r = -1;
  char **mps = NULL;
  if (n != 1) {
    if (asprintf (err, "-i: %s", n == 0 ? "no operating system found"
                  : "several operating systems found; use -m") == -1) *err = NULL;
    goto out;
  }
  if (!(mps = gk_inspect_get_mountpoints (g, roots[0]))) { set_err (err, g, "-i"); goto out; }
  size_t m = 0;
  while (mps[m] && mps[m + 1]) m += 2;
  gk_int_mountpoints_sort (mps, m / 2, 0);
  for (size_t i = 0; i < m; i += 2)
    if (mount1 (g, o, mps[i + 1], mps[i], err) == -1) goto out;
  r = 0;
 out:
  gk_free_strings (mps);
  gk_free_strings (roots);
  return r;
}

int
gkb_mount_all (gk_h *g, const struct gkb_opts *o, char **err)
{
  *err = NULL;
  if (o->inspect) return inspect_mount (g, o, err);
  for (size_t i = 0; i < o->nr_mounts; i++)
    if (mount1 (g, o, o->mounts[i].dev, o->mounts[i].mountpoint, err) == -1) return -1;
  return 0;
}
