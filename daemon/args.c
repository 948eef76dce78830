/* guestkitd: a call's arguments, in two steps (daemon.h, "the call's
 * arguments").
 *
 * Checking (gk_int_args_check) is syntax only: a request that is refused
 * is refused without having read a disk or started a program.  Resolving
 * device names is part of running the call (gk_int_run_call): the user's
 * /dev/sdX becomes the appliance's name, and a /dev/VG/LV that does not
 * exist yet first activates the volume groups once per session
 * (daemon/README.md, "LVM"), which takes a vgchange and changes what the
 * kernel has.
 *
 * Layers: devname.c (names; reads sysfs only) < lvm-run.c (runs lvm,
 * activation) < this file < the handlers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "daemon.h"
#include "lvm.h"
#include "md.h"

int
gk_int_args_check (const struct gk_int_call *c, const union gk_int_val *a)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    const struct gk_int_arg *d = &c->args[i];
    if (d->type != GK_T_STRING) continue;
    if (d->sub == GK_S_PATHNAME) {
      if (gk_int_check_path (a[i].s) == -1 || gk_int_need_root () <= 0) return -1;
    }
    else if (d->sub == GK_S_MOUNTABLE) {
      char *dev;
      const char *vol;
      int r = gk_int_btrfsvol_split (a[i].s, &dev, &vol);
      free (r == 1 ? dev : NULL);
      if (r == -1 || (r == 0 && gk_int_dev_name_ok (a[i].s) == -1)) return -1;
    }
    else if (d->sub == GK_S_DEVICE) {
      if (gk_int_dev_name_ok (a[i].s) == -1) return -1;
    }
  }
  return 0;
}

char *
gk_int_dev_from_user (const char *user)
{
  struct stat st;
  if (strncmp (user, "/dev/md", 7) == 0 && stat (user, &st) == -1 && errno == ENOENT)
    gk_int_md_auto_assemble ();
  if (gk_int_dev_is_dm_path (user) && stat (user, &st) == -1 && errno == ENOENT)
    gk_int_lvm_auto_activate ();
  return gk_int_dev_lookup (user);
}

int
gk_int_run_call (const struct gk_int_call *c, union gk_int_val *a,
                 struct gk_int_optvals *o, union gk_int_val *r)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    const struct gk_int_arg *d = &c->args[i];
    if (d->type != GK_T_STRING
        || (d->sub != GK_S_DEVICE && d->sub != GK_S_MOUNTABLE))
      continue;
    char *bdev = NULL;
    const char *vol = NULL;
    if (d->sub == GK_S_MOUNTABLE
        && gk_int_btrfsvol_split (a[i].s, &bdev, &vol) == -1)
      return -1;
    char *dev = gk_int_dev_from_user (bdev ? bdev : a[i].s);
    free (bdev);
    if (dev && vol) {           /* btrfsvol:/dev/vda2/VOL */
      char *j = gk_int_btrfsvol_join (dev, vol);
      free (dev);
      dev = j;
    }
    if (!dev) return -1;
    free (a[i].s);
    a[i].s = dev;
  }
  return gk_int_dispatch (c, a, o, r);
}
