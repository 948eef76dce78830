/* The order to mount filesystems in (common/mountorder.h). */
#include <string.h>

#include "mountorder.h"

size_t
gk_int_mountpoint_depth (const char *mp)
{
  size_t d = 0;
  for (const char *p = mp; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/') d++;
  if (d == 0 && strcmp (mp, "/") != 0) d = 1;
  return d;
}

int
gk_int_mount_arg (char *s, int with_options, char **mp, char **opts)
{
  *opts = NULL;
  *mp = strchr (s, ':');
  if (*mp) {
    *(*mp)++ = '\0';
    if (with_options && (*opts = strchr (*mp, ':')) != NULL) *(*opts)++ = '\0';
  }
  if (!*mp || !**mp) *mp = (char *) "/";
  return *s && **mp == '/' ? 0 : -1;
}

static int
before (const char *x, const char *y, int by_name)
{
  size_t dx = gk_int_mountpoint_depth (x), dy = gk_int_mountpoint_depth (y);
  if (dx != dy) return dx < dy;
  return by_name && strcmp (x, y) < 0;
}

/* Insertion sort: stable, no allocation, and the lists are short (an
 * fstab is cut at a few hundred entries). */
void
gk_int_mountpoints_sort (char **v, size_t npairs, int by_name)
{
  for (size_t i = 1; i < npairs; i++) {
    char *mp = v[2 * i], *other = v[2 * i + 1];
    size_t j = i;
    for (; j > 0 && before (mp, v[2 * (j - 1)], by_name); j--) {
      v[2 * j] = v[2 * (j - 1)];
      v[2 * j + 1] = v[2 * (j - 1) + 1];
    }
    v[2 * j] = mp;
    v[2 * j + 1] = other;
  }
}
