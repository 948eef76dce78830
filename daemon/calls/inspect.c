/* guestkitd: the inspection calls (inspect-os, inspect-get-*).
 *
 * inspect-os looks at every candidate filesystem (inspect-fstab.c),
 * mounts each read-only on a private directory (inspect-mount.c) and asks
 * the Linux and Windows recognisers whether it is a root.  The results
 * are kept here, in the daemon, until the next inspect-os: the
 * inspect-get-* calls only read them, so they are cheap and consistent
 * with each other.  inspect-list-applications2 reads the package database
 * when asked (inspect-apps.c).  A filesystem that cannot be mounted is
 * logged and skipped: one damaged partition must not hide the others.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "inspect.h"

static struct gk_insp_root *roots;
static size_t nroots;
static int inspected;           /* inspect-os has run */

/* Logical volumes are candidates too: activate them as list-filesystems
 * does (once per session, and only when some disk or partition is an LVM
 * physical volume, so images without LVM pay nothing), so that their
 * /dev/VG/LV and /dev/mapper/VG-LV nodes exist before the candidates are
 * listed and fstab names resolve.  Returns 0, or -1 with the error set. */
int
inspect_activate_lvm (void)
{
  char **fs = do_list_filesystems ();
  if (!fs) return -1;
  gk_int_free_strings (fs);
  return 0;
}

static void
free_root (struct gk_insp_root *r)
{
  free (r->dev);
  gk_int_free_strings (r->drives);
  gk_int_free_strings (r->mounts);
  gk_int_free_strings (r->swaps);
  gk_int_free_strings (r->kernels);
}

static void
free_roots (void)
{
  for (size_t i = 0; i < nroots; i++) free_root (&roots[i]);
  free (roots);
  roots = NULL;
  nroots = 0;
}

/* blkid types that are worth mounting. */
static int
mountable_type (const char *t)
{
  size_t n = strlen (t);
  return *t && strcmp (t, "swap") != 0 && strncmp (t, "crypto_", 7) != 0
    && !(n > 7 && strcmp (t + n - 7, "_member") == 0);
}

/* Look at NAME (a device or btrfsvol:DEV/VOL, blkid TYPE); append to
 * ROOTS if it is one.  -1 only on fatal errors. */
static int
inspect_one (const char *name, const char *type, const struct gk_insp_devs *ds)
{
  struct gk_insp_mnt m;
  if (gk_int_insp_mount (name, type, &m) == -1) {
    gk_int_log ("inspect: skipping %s: %s", name, gk_int_err_msg ());
    gk_int_err_clear ();
    return 0;
  }
  struct gk_insp_root r;
  memset (&r, 0, sizeof r);
  char *fstab = NULL;
  size_t flen = 0;
  int ret = 0;
  int is_linux = gk_int_insp_linux (m.rootfd, &r, &fstab, &flen);
  if (!is_linux && !gk_int_insp_windows (m.rootfd, &r)) goto out;

  ret = -1;
  struct gk_insp_root *v = realloc (roots, (nroots + 1) * sizeof *v);
  if (v) roots = v;
  if (!v || !(r.dev = strdup (name))) {
    gk_int_err (ENOMEM, "out of memory");
    goto out;
  }
  /* fstab first: the boot files are on the filesystems it puts at /boot
   * and /boot/efi, read while the root is still mounted. */
  if (gk_int_insp_fstab (fstab, flen, ds, &r) == -1) goto out;
  if (is_linux) {
    if (gk_int_insp_boot (m.rootfd, &r) == -1) goto out;
  }
  else {
    snprintf (r.machine_id, sizeof r.machine_id, "unknown");
    snprintf (r.bootloader, sizeof r.bootloader, "unknown");
    if (!(r.kernels = calloc (1, sizeof *r.kernels))) {
      gk_int_err (ENOMEM, "out of memory");
      goto out;
    }
  }
  roots[nroots++] = r;
  memset (&r, 0, sizeof r);
  ret = 0;
 out:
  free_root (&r);
  gk_int_insp_umount (&m);
  free (fstab);
  return ret;
}

/* D, and if it holds btrfs, its subvolumes. */
static int
inspect_dev (const struct gk_insp_dev *d, const struct gk_insp_devs *ds)
{
  if (!mountable_type (d->type)) return 0;
  if (inspect_one (d->dev, d->type, ds) == -1) return -1;
  if (strcmp (d->type, "btrfs") != 0) return 0;
  char **vols = gk_int_insp_btrfs_subvols (d->dev, d->type);
  if (!vols) return -1;
  int r = 0;
  for (size_t i = 0; vols[i] && r == 0; i++)
    r = inspect_one (vols[i], d->type, ds);
  gk_int_free_strings (vols);
  return r;
}

char **
do_inspect_get_roots (void)
{
  char **list = calloc (nroots + 1, sizeof *list);
  if (!list) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < nroots; i++)
    if (!(list[i] = gk_int_mountable_to_user (roots[i].dev))) {
      gk_int_free_strings (list);
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
  gk_int_sort_strings (list);
  return list;
}

char **
do_inspect_os (void)
{
  free_roots ();
  inspected = 1;
  if (inspect_activate_lvm () == -1) return NULL;
  struct gk_insp_devs ds;
  if (gk_int_insp_devices (&ds) == -1) return NULL;
  int r = 0;
  for (size_t i = 0; i < ds.n && r == 0; i++)
    r = inspect_dev (&ds.v[i], &ds);
  gk_int_insp_free_devices (&ds);
  if (r == -1) {
    free_roots ();
    return NULL;
  }
  return do_inspect_get_roots ();
}

const struct gk_insp_root *
gk_int_insp_find_root (const char *root)
{
  for (size_t i = 0; i < nroots; i++)
    if (strcmp (roots[i].dev, root) == 0) return &roots[i];
  /* An LV has several names (/dev/VG/LV, /dev/mapper/VG-LV, /dev/dm-N):
   * the same block device is the same root. */
  struct stat a, b;
  if (stat (root, &a) == 0 && S_ISBLK (a.st_mode))
    for (size_t i = 0; i < nroots; i++)
      if (stat (roots[i].dev, &b) == 0 && S_ISBLK (b.st_mode)
          && a.st_rdev == b.st_rdev)
        return &roots[i];
  char *u = gk_int_mountable_to_user (root);
  gk_int_err (EINVAL, "%s: not a root found by inspect-os%s", u ? u : root,
              inspected ? "" : " (call inspect-os first)");
  free (u);
  return NULL;
}

static char *
dup_or_err (const char *s)
{
  char *r = strdup (s);
  if (!r) gk_int_err (ENOMEM, "out of memory");
  return r;
}

char *
do_inspect_get_type (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->type) : NULL;
}

char *
do_inspect_get_distro (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->distro) : NULL;
}

char *
do_inspect_get_product_name (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->product) : NULL;
}

char *
do_inspect_get_arch (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->arch) : NULL;
}

char *
do_inspect_get_hostname (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->hostname) : NULL;
}

char *
do_inspect_get_package_format (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->pkgfmt) : NULL;
}

char *
do_inspect_get_package_management (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->pkgmgmt) : NULL;
}

int
do_inspect_get_major_version (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? r->major : -1;
}

int
do_inspect_get_minor_version (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? r->minor : -1;
}

/* A copy of LIST with device names given back as the user's, every
 * item if STEP is 1, every second one from FIRST if STEP is 2. */
static char **
user_copy (char **list, size_t first, size_t step)
{
  size_t n = gk_int_count_strings (list);
  char **out = calloc (n + 1, sizeof *out);
  if (!out) goto oom;
  for (size_t i = 0; i < n; i++) {
    int is_dev = i >= first && (i - first) % step == 0;
    out[i] = is_dev ? gk_int_mountable_to_user (list[i]) : strdup (list[i]);
    if (!out[i]) goto oom;
  }
  return out;
 oom:
  gk_int_free_strings (out);
  gk_int_err (ENOMEM, "out of memory");
  return NULL;
}

char **
do_inspect_get_mountpoints (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? user_copy (r->mounts, 1, 2) : NULL;
}

char **
do_inspect_get_filesystems (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  size_t nm = gk_int_count_strings (r->mounts), ns = gk_int_count_strings (r->swaps);
  char **devs = calloc (nm / 2 + ns + 1, sizeof *devs);
  if (!devs) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  /* Mounts are sorted with "/" first; a device listed twice (the same
   * filesystem mounted in two places) is given once. */
  size_t n = 0;
  for (size_t i = 0; i < nm / 2 + ns; i++) {
    const char *d = i < nm / 2 ? r->mounts[2 * i + 1] : r->swaps[i - nm / 2];
    int dup = 0;
    for (size_t k = 0; k < n; k++)
      if (strcmp (devs[k], d) == 0) dup = 1;
    if (!dup) devs[n++] = (char *) d;
  }
  char **out = user_copy (devs, 0, 1);
  free (devs);
  return out;
}

char *
do_inspect_get_machine_id (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->machine_id) : NULL;
}

char *
do_inspect_get_bootloader (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? dup_or_err (r->bootloader) : NULL;
}

char **
do_inspect_get_kernels (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? user_copy (r->kernels, SIZE_MAX, 1) : NULL;   /* no devices */
}
