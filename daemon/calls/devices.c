/* guestkitd: block devices and what is on them (list-devices,
 * list-filesystems, vfs-type/label/uuid, blockdev-getsize64, zero).
 * list-partitions, part-disk and part-list are in devices-partitions.c.
 *
 * Probing uses libblkid's low-level API on a descriptor we open: no cache
 * file (the appliance is fresh each time and a cache could only be stale)
 * and no exec of blkid(8), which is slow under emulation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <blkid/blkid.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "lvm.h"
#include "md.h"

#define MIB (1024 * 1024)

/* Report errno about appliance device DEV under the user's name. */
static int
dev_perr (const char *dev, const char *what)
{
  int e = errno;
  char *u = gk_int_mountable_to_user (dev);
  errno = e;
  if (what && *what)
    gk_int_perr ("%s: %s", u ? u : dev, what);
  else
    gk_int_perr ("%s", u ? u : dev);
  free (u);
  return -1;
}

char **
do_list_devices (void)
{
  char **disks = gk_int_list_disks ();
  if (disks) gk_int_devs_to_user (disks);
  return disks;
}

/* --- probing --- */

struct probe {
  char *type, *label, *uuid;    /* "" when absent */
  int has_pt;                   /* a partition table (if asked) */
  int ambivalent;               /* several conflicting signatures */
};

static void
free_probe (struct probe *p)
{
  free (p->type); free (p->label); free (p->uuid);
  p->type = p->label = p->uuid = NULL;
}

static char *
probe_value (blkid_probe pr, const char *name)
{
  const char *v = NULL;
  if (blkid_probe_lookup_value (pr, name, &v, NULL) != 0 || !v)
    v = "";
  return strdup (v);
}

/* Probe DEV (appliance name) for a filesystem and, if WANT_PT, a
 * partition table.  Returns 0, or an errno value with *WHAT set to what
 * failed; the caller decides whether that fails the call. */
static int
probe_dev (const char *dev, int want_pt, struct probe *p, const char **what)
{
  memset (p, 0, sizeof *p);
  /* Drop cached blocks first: a disk and its partitions are different
   * block devices with separate page caches, so after a write through
   * one (mkfs on /dev/vda1) the other (/dev/vda) may still hold old
   * blocks.  Not on a device in use (O_EXCL fails): there BLKFLSBUF
   * would sync the mounted filesystem, and the mounted filesystem keeps
   * its own blocks current anyway. */
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_EXCL);
  if (fd >= 0)
    ioctl (fd, BLKFLSBUF, 0);
  else if (errno == EBUSY)
    fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) {
    *what = "open";
    return errno;
  }

  int err = 0;
  blkid_probe pr = blkid_new_probe ();
  if (!pr) {
    err = ENOMEM;
    *what = "out of memory";
    goto out;
  }
  if (blkid_probe_set_device (pr, fd, 0, 0) != 0) {
    err = errno ? errno : EIO;
    *what = "cannot probe";
    goto out;
  }
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_TYPE
                                     | BLKID_SUBLKS_LABEL
                                     | BLKID_SUBLKS_UUID);
  blkid_probe_enable_partitions (pr, want_pt);

  errno = 0;
  int r = blkid_do_safeprobe (pr);
  if (r == -1) {
    err = errno ? errno : EIO;
    *what = "cannot read";
    goto out;
  }
  p->ambivalent = r == -2;
  if (r == 0) {
    p->type = probe_value (pr, "TYPE");
    p->label = probe_value (pr, "LABEL");
    p->uuid = probe_value (pr, "UUID");
    p->has_pt = blkid_probe_has_value (pr, "PTTYPE");
  }
  else {
    p->type = strdup ("");
    p->label = strdup ("");
    p->uuid = strdup ("");
  }
  if (!p->type || !p->label || !p->uuid) {
    free_probe (p);
    err = ENOMEM;
    *what = "out of memory";
  }
 out:
  if (pr) blkid_free_probe (pr);
  close (fd);
  return err;
}

enum field { F_TYPE, F_LABEL, F_UUID };

static char *
vfs_field (const char *dev, enum field f)
{
  struct probe p;
  const char *what = "";
  int err = probe_dev (dev, 0, &p, &what);
  if (err) {
    errno = err;
    dev_perr (dev, what);
    return NULL;
  }
  if (p.ambivalent) {
    char *u = gk_int_mountable_to_user (dev);
    gk_int_log ("%s: several filesystem signatures, not reporting any",
                u ? u : dev);
    free (u);
  }
  char *r;
  switch (f) {
  case F_TYPE: r = p.type; p.type = NULL; break;
  case F_LABEL: r = p.label; p.label = NULL; break;
  default: r = p.uuid; p.uuid = NULL; break;
  }
  free_probe (&p);
  return r;
}

/* A btrfs subvolume (btrfsvol:DEV/VOL) has its filesystem's type,
 * label and UUID: those of DEV. */
static char *
mountable_field (const char *mountable, enum field f)
{
  char *dev = NULL;
  const char *vol;
  if (gk_int_btrfsvol_split (mountable, &dev, &vol) == -1) return NULL;
  char *r = vfs_field (dev ? dev : mountable, f);
  free (dev);
  return r;
}

char *
do_vfs_type (const char *mountable)
{
  return mountable_field (mountable, F_TYPE);
}

char *
do_vfs_label (const char *mountable)
{
  return mountable_field (mountable, F_LABEL);
}

char *
do_vfs_uuid (const char *mountable)
{
  return mountable_field (mountable, F_UUID);
}

/* --- list-filesystems --- */

/* A growing NULL-terminated list; push sets the error on failure. */
struct strlist { char **v; size_t n, cap; };

static int
sl_push (struct strlist *l, const char *s)
{
  if (gk_int_grow ((void **) &l->v, &l->cap, l->n + 2, sizeof *l->v, 16) == -1)
    return gk_int_err (ENOMEM, "out of memory");
  char *c = strdup (s);
  if (!c) return gk_int_err (ENOMEM, "out of memory");
  l->v[l->n++] = c;
  l->v[l->n] = NULL;
  return 0;
}

/* 1 if the user's partition name PART is on the user's disk DISK. */
static int
is_part_of (const char *part, const char *disk)
{
  size_t n = strlen (disk);
  return strncmp (part, disk, n) == 0 && part[n] >= '0' && part[n] <= '9';
}

/* Append USER (a user device name) and its filesystem type, unless
 * IS_DISK and it holds a partition table but no filesystem, or it is an
 * LVM PV (then *SAW_PV is set: its LVs are listed instead).  A device
 * that cannot be read is listed as "unknown" rather than failing the
 * whole list: one bad drive should not hide the others. */
static int
add_fs (struct strlist *l, const char *user, int is_disk, int *saw_pv)
{
  char *dev = gk_int_dev_from_user (user);
  if (!dev) return -1;
  struct probe p;
  const char *what = "";
  int err = probe_dev (dev, is_disk, &p, &what);
  free (dev);
  if (err == ENOMEM)
    return gk_int_err (ENOMEM, "out of memory");
  if (err) {
    gk_int_log ("%s: %s: %s", user, what, strerror (err));
    return sl_push (l, user) == 0 ? sl_push (l, "unknown") : -1;
  }
  int r = 0;
  /* md members, like PVs, are not filesystems: their arrays are
   * (assembled, then listed; bit 2 of *SAW_PV). */
  int md = strcmp (p.type, "linux_raid_member") == 0;
  int pv = strcmp (p.type, "LVM2_member") == 0 || md;
  if (pv) *saw_pv |= md ? 2 : 1;
  if (!pv && !(is_disk && p.has_pt && !*p.type)) {
    r = sl_push (l, user);
    if (r == 0) r = sl_push (l, *p.type ? p.type : "unknown");
  }
  free_probe (&p);
  return r;
}

/* add_fs for each device of DEVS (NULL: an error is set), then free it. */
static int
add_all (struct strlist *l, char **devs, int *saw_pv)
{
  int r = devs ? 0 : -1;
  for (size_t i = 0; devs && devs[i] && r == 0; i++)
    r = add_fs (l, devs[i], 0, saw_pv);
  gk_int_free_strings (devs);
  return r;
}

/* The open dm-crypt mappings as "/dev/mapper/NAME", sorted; NULL with
 * the error set. */
static char **
crypt_mappings (void)
{
  struct gk_int_reply_list l = { .what = "list-filesystems" };
  DIR *d = opendir ("/sys/block");
  struct dirent *e;
  while (d && (e = readdir (d))) {
    char p[300], name[160], path[200];
    if (strncmp (e->d_name, "dm-", 3) != 0) continue;
    snprintf (p, sizeof p, "/sys/block/%s/dm/name", e->d_name);
    if (gk_int_read_sysfs_line (p, name, sizeof name) == -1) continue;
    int len = snprintf (path, sizeof path, "/dev/mapper/%s", name);
    if (len >= (int) sizeof path || !gk_int_dev_is_crypt (path)) continue;
    if (gk_int_reply_list_add (&l, path, (size_t) len) == -1) {
      closedir (d);
      gk_int_free_strings (l.v);
      return NULL;
    }
  }
  if (d) closedir (d);
  if (!l.v && !(l.v = calloc (1, sizeof *l.v))) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  gk_int_sort_strings (l.v);
  return l.v;
}

char **
do_list_filesystems (void)
{
  struct strlist l = { NULL, 0, 0 };
  char **disks = do_list_devices ();
  char **parts = disks ? do_list_partitions () : NULL;
  char **lvs = NULL;
  int saw_pv = 0;
  if (!disks || !parts) goto fail;

  for (size_t i = 0; disks[i]; i++) {
    int has_parts = 0;
    for (size_t j = 0; parts[j]; j++) {
      if (!is_part_of (parts[j], disks[i])) continue;
      has_parts = 1;
      if (add_fs (&l, parts[j], 0, &saw_pv) == -1) goto fail;
    }
    if (!has_parts && add_fs (&l, disks[i], 1, &saw_pv) == -1) goto fail;
  }
  /* Arrays only when an md member was seen, then LVs only when a PV was
   * seen (on a drive or an array): no cost on other drives. */
  if (saw_pv & 2) {
    gk_int_md_auto_assemble ();
    if (add_all (&l, gk_int_md_arrays (), &saw_pv) == -1) goto fail;
  }
  /* Open encrypted devices (luks-open, or gkfish -i opening them before
   * inspection): what they hold, a filesystem or a PV (LVM on LUKS). */
  if (add_all (&l, crypt_mappings (), &saw_pv) == -1) goto fail;
  if ((saw_pv & 1) && !(lvs = gk_int_lvm_lv_paths ())) goto fail;
  for (size_t i = 0; lvs && lvs[i]; i++)
    if (add_fs (&l, lvs[i], 0, &saw_pv) == -1) goto fail;
  if (!l.v) {                   /* no drives: an empty list, not NULL */
    l.v = calloc (1, sizeof *l.v);
    if (!l.v) {
      gk_int_err (ENOMEM, "out of memory");
      goto fail;
    }
  }
  gk_int_free_strings (disks);
  gk_int_free_strings (parts);
  gk_int_free_strings (lvs);
  return l.v;

 fail:
  gk_int_free_strings (disks);
  gk_int_free_strings (parts);
  gk_int_free_strings (lvs);
  gk_int_free_strings (l.v);
  return NULL;
}

/* --- findfs-label, findfs-uuid --- */

/* The first filesystem of list-filesystems whose label (F_LABEL) or UUID
 * (F_UUID, any case) is WANT, as the user's device name; ENOENT if none. */
static char *
findfs (enum field f, const char *want)
{
  const char *what = f == F_LABEL ? "LABEL" : "UUID";
  if (!*want) {
    gk_int_err (EINVAL, "%s: an empty value matches no filesystem", what);
    return NULL;
  }
  char **fs = do_list_filesystems ();
  if (!fs) return NULL;
  char *found = NULL;
  for (size_t i = 0; fs[i] && fs[i + 1] && !found; i += 2) {
    char *dev = gk_int_dev_from_user (fs[i]);
    if (!dev) break;
    char *v = vfs_field (dev, f);
    free (dev);
    if (!v) {
      if (strcmp (gk_int_err_name (), "ENOMEM") == 0) break;
      /* Unreadable: skipped, as list-filesystems lists it "unknown". */
      gk_int_log ("%s: %s", fs[i], gk_int_err_msg ());
      gk_int_err_clear ();
      continue;
    }
    if (f == F_LABEL ? strcmp (v, want) == 0 : strcasecmp (v, want) == 0) {
      found = strdup (fs[i]);
      if (!found) gk_int_err (ENOMEM, "out of memory");
    }
    free (v);
    if (gk_int_err_isset ()) break;
  }
  gk_int_free_strings (fs);
  if (!found && !gk_int_err_isset ())
    gk_int_err (ENOENT, "%s=%.256s: no filesystem found", what, want);
  return found;
}

char *
do_findfs_label (const char *label)
{
  return findfs (F_LABEL, label);
}

char *
do_findfs_uuid (const char *uuid)
{
  return findfs (F_UUID, uuid);
}

/* --- size and zeroing --- */

int64_t
do_blockdev_getsize64 (const char *device)
{
  int fd = open (device, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1)
    return dev_perr (device, "open");
  uint64_t size;
  if (ioctl (fd, BLKGETSIZE64, &size) == -1) {
    dev_perr (device, "BLKGETSIZE64");
    close (fd);
    return -1;
  }
  close (fd);
  if (size > INT64_MAX) {
    errno = EOVERFLOW;
    return dev_perr (device, "size");
  }
  return (int64_t) size;
}

/* Write LEN zero bytes at OFFSET. */
static int
write_zeroes (int fd, const char *zeroes, size_t zlen, uint64_t offset,
              uint64_t len)
{
  while (len > 0) {
    size_t n = len < zlen ? (size_t) len : zlen;
    ssize_t r = pwrite (fd, zeroes, n, (off_t) offset);
    if (r == -1) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) {               /* cannot happen below the device size */
      errno = ENOSPC;
      return -1;
    }
    offset += (uint64_t) r;
    len -= (uint64_t) r;
  }
  return 0;
}

int
do_zero (const char *device)
{
  /* O_EXCL fails with EBUSY while the device, or for a disk one of its
   * partitions, is mounted or otherwise claimed: zeroing a mounted
   * filesystem would corrupt it behind the kernel's back. */
  int fd = open (device, O_WRONLY | O_CLOEXEC | O_EXCL);
  if (fd == -1) {
    if (errno == EBUSY) {
      char *u = gk_int_mountable_to_user (device);
      gk_int_err (EBUSY, "%s: device is in use (mounted?)", u ? u : device);
      free (u);
      return -1;
    }
    return dev_perr (device, "open");
  }
  uint64_t size;
  if (ioctl (fd, BLKGETSIZE64, &size) == -1) {
    dev_perr (device, "BLKGETSIZE64");
    goto fail;
  }

  const size_t zlen = 64 * 1024;
  char *zeroes = calloc (1, zlen);
  if (!zeroes) {
    gk_int_err (ENOMEM, "out of memory");
    goto fail;
  }
  uint64_t head = size < MIB ? size : MIB;
  uint64_t tail = size < MIB ? size : MIB;
  int r = write_zeroes (fd, zeroes, zlen, 0, head);
  if (r == 0)
    r = write_zeroes (fd, zeroes, zlen, size - tail, tail);
  free (zeroes);
  if (r == -1) {
    dev_perr (device, "write");
    goto fail;
  }
  if (fsync (fd) == -1) {
    dev_perr (device, "fsync");
    goto fail;
  }

  /* The partition table may be gone: let the kernel drop the old
   * partitions.  EINVAL: DEVICE is itself a partition (nothing to do);
   * EBUSY: something still holds a partition open, the kernel keeps the
   * old view until the next re-read, as fdisk does. */
  if (ioctl (fd, BLKRRPART, 0) == -1 && errno != EINVAL) {
    int e = errno;
    char *u = gk_int_mountable_to_user (device);
    gk_int_log ("%s: re-reading the partition table: %s", u ? u : device,
                strerror (e));
    free (u);
  }
  close (fd);
  return 0;

 fail:
  close (fd);
  return -1;
}
