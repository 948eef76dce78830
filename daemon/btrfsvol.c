/* guestkitd: "btrfsvol:DEV/VOL", libguestfs's name of the btrfs
 * subvolume VOL (its path from the top of the filesystem, as
 * btrfs-subvolume-list gives it) of the filesystem on DEV.  Accepted
 * wherever a mountable is (args.c), mounted with subvol=VOL (mount.c),
 * and named so by inspection (inspect.c, inspect-fstab.c).
 *
 * DEV is the shortest leading part of the name that has the form of a
 * device name (/dev/sda2, /dev/VG/LV); the rest is VOL.  Pure (no I/O).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"

#define PREFIX "btrfsvol:"
#define VOL_MAX 4000            /* below the kernel's page of mount data */

/* VOL goes into mount data as subvol=VOL: a ',' would add options,
 * control characters have no place in a subvolume name we hand on, and
 * "." or ".." components name no subvolume of their own. */
static int
vol_ok (const char *vol)
{
  size_t n = strlen (vol);
  if (n == 0 || n > VOL_MAX || vol[0] == '/')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (vol[i] == ',' || (unsigned char) vol[i] < 0x20 || vol[i] == 0x7f)
      return 0;
  for (const char *c = vol; *c;) {
    size_t k = strcspn (c, "/");
    if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
      return 0;
    c += k + (c[k] == '/');
  }
  return 1;
}

int
gk_int_btrfsvol_split (const char *s, char **dev_r, const char **vol_r)
{
  size_t pl = strlen (PREFIX);
  if (strncmp (s, PREFIX, pl) != 0) return 0;
  const char *name = s + pl;
  if (strncmp (name, "/dev/", 5) == 0)
    for (const char *q = strchr (name + 5, '/'); q; q = strchr (q + 1, '/')) {
      char *dev = strndup (name, (size_t) (q - name));
      if (!dev) return gk_int_err (ENOMEM, "out of memory");
      if (gk_int_dev_name_ok (dev) == 0) {
        if (!vol_ok (q + 1)) {
          free (dev);
          break;
        }
        *dev_r = dev;
        *vol_r = q + 1;
        return 1;
      }
      gk_int_err_clear ();
      free (dev);
    }
  return gk_int_err (EINVAL, "%.300s: not a btrfs subvolume name (expected "
                     "btrfsvol:/dev/sdXN/SUBVOLUME, the subvolume's path "
                     "without ',', '.' or '..' components or a leading "
                     "'/')", s);
}

char *
gk_int_btrfsvol_join (const char *dev, const char *vol)
{
  size_t n = strlen (PREFIX) + strlen (dev) + 1 + strlen (vol) + 1;
  char *r = malloc (n);
  if (!r) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  snprintf (r, n, "%s%s/%s", PREFIX, dev, vol);
  return r;
}

/* gk_int_dev_to_user for any mountable: a btrfsvol: name gets its
 * device part translated (a malformed one is copied as it is). */
char *
gk_int_mountable_to_user (const char *m)
{
  char *bdev;
  const char *vol;
  int b = strncmp (m, PREFIX, strlen (PREFIX)) == 0 ? gk_int_btrfsvol_split (m, &bdev, &vol) : 0;
  if (b == 1) {
    char *u = gk_int_dev_to_user (bdev);
    char *r = u ? gk_int_btrfsvol_join (u, vol) : NULL;
    free (bdev);
    free (u);
    return r;
  }
  if (b == -1) gk_int_err_clear ();
  return gk_int_dev_to_user (m);
}
