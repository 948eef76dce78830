/* guestkitd: mkfs.
 *
 * Each supported type maps to one program of the appliance.  Arguments
 * are checked here first so that the user gets a clear error before
 * anything is written (the mkfs tools overwrite the device's start,
 * partition tables and old signatures included, as soon as they run).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"

enum family { FS_EXT, FS_XFS, FS_VFAT, FS_BTRFS, FS_NTFS };

struct fstype {
  const char *name;
  enum family family;
  const char *prog;             /* the program run */
  size_t label_max;             /* bytes the on-disk label holds */
};

static const struct fstype fstypes[] = {
  { "ext2", FS_EXT, "mke2fs", 16 },
  { "ext3", FS_EXT, "mke2fs", 16 },
  { "ext4", FS_EXT, "mke2fs", 16 },
  { "xfs", FS_XFS, "mkfs.xfs", 12 },
  { "vfat", FS_VFAT, "mkfs.vfat", 11 },
  { "btrfs", FS_BTRFS, "mkfs.btrfs", 255 },
  { "ntfs", FS_NTFS, "mkntfs", 128 },
  { NULL, 0, NULL, 0 }
};

#define FEATURES_MAX 1024

static int
is_pow2 (int n)
{
  return n > 0 && (n & (n - 1)) == 0;
}

/* mkfs on a whole disk wipes its partition table, but the kernel keeps
 * the old partitions until told: tell it.  On a partition the ioctl
 * fails with EINVAL, which is expected. */
static void
reread_partitions (const char *dev)
{
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) return;
  if (ioctl (fd, BLKRRPART, 0) == -1 && errno != EINVAL)
    gk_int_log ("%s: re-reading the partition table: %s", dev,
                strerror (errno));
  close (fd);
}

/* Run the mkfs program ARGV on the unused DEVICE. */
static int
run_mkfs (const char *device, const char *const *argv)
{
  if (gk_int_check_unused (device) == -1) return -1;
  gk_int_progress (0, 1);
  if (gk_int_run_on_dev (device, NULL, argv) == -1) return -1;
  reread_partitions (device);
  gk_int_progress (1, 1);
  return 0;
}

int
do_mkfs (const char *fstype, const char *device, int blocksize,
         const char *features, const char *label)
{
  const uint64_t opts = gk_int_optargs_bitmask;
  const struct fstype *t = NULL;
  for (size_t i = 0; fstypes[i].name; i++)
    if (strcmp (fstypes[i].name, fstype) == 0) t = &fstypes[i];
  if (!t)
    return gk_int_err (EINVAL, "%.64s: unknown filesystem type", fstype);
  char path[PATH_MAX];
  if (gk_int_find_program (t->prog, path, sizeof path) == -1)
    return gk_int_err (EINVAL, "%s: not supported by this appliance "
                       "(%s is missing)", fstype, t->prog);

  char bsarg[64];
  bsarg[0] = '\0';
  if (opts & GK_MKFS_BLOCKSIZE) {
    int min = t->family == FS_EXT ? 1024 : 512;
    if (t->family == FS_BTRFS)
      return gk_int_err (EINVAL, "btrfs: blocksize is not supported "
                         "(btrfs chooses its sector size)");
    if (!is_pow2 (blocksize) || blocksize < min || blocksize > 65536)
      return gk_int_err (EINVAL, "%d: invalid blocksize for %s (a power "
                         "of 2 from %d to 65536)", blocksize, fstype, min);
    switch (t->family) {
    case FS_XFS: snprintf (bsarg, sizeof bsarg, "size=%d", blocksize); break;
    /* FAT's unit is the cluster, given in 512-byte sectors. */
    case FS_VFAT: snprintf (bsarg, sizeof bsarg, "%d", blocksize / 512); break;
    default: snprintf (bsarg, sizeof bsarg, "%d", blocksize); break;
    }
  }
  if (opts & GK_MKFS_FEATURES) {
    if (t->family != FS_EXT)
      return gk_int_err (EINVAL, "%s: features are only supported for "
                         "ext2, ext3 and ext4", fstype);
    if (strlen (features) > FEATURES_MAX)
      return gk_int_err (EINVAL, "%.64s...: features string too long",
                         features);
  }
  /* The tools would truncate (mke2fs) or reject a long label; refuse
   * before anything is written. */
  if ((opts & GK_MKFS_LABEL) && strlen (label) > t->label_max)
    return gk_int_err (EINVAL, "%.64s: label too long for %s (at most "
                       "%zu bytes)", label, fstype, t->label_max);

  const char *argv[20];
  size_t n = 0;
  argv[n++] = t->prog;
  switch (t->family) {
  case FS_EXT:
    /* -F: also on a whole disk and without asking; lazy init leaves
     * the inode tables (ext4) and journal to be zeroed later, which
     * saves most of the time on an emulated disk. */
    argv[n++] = "-t"; argv[n++] = t->name;
    argv[n++] = "-F"; argv[n++] = "-q";
    argv[n++] = "-E"; argv[n++] = "lazy_itable_init=1,lazy_journal_init=1";
    if (*bsarg) { argv[n++] = "-b"; argv[n++] = bsarg; }
    if (opts & GK_MKFS_FEATURES) { argv[n++] = "-O"; argv[n++] = features; }
    if (opts & GK_MKFS_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
    break;
  case FS_XFS:
    argv[n++] = "-f"; argv[n++] = "-q";
    if (*bsarg) { argv[n++] = "-b"; argv[n++] = bsarg; }
    if (opts & GK_MKFS_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
    break;
  case FS_VFAT:
    /* -I: a whole disk without partition table is fine. */
    argv[n++] = "-I";
    if (*bsarg) { argv[n++] = "-s"; argv[n++] = bsarg; }
    if (opts & GK_MKFS_LABEL) { argv[n++] = "-n"; argv[n++] = label; }
    break;
  case FS_BTRFS:
    argv[n++] = "-f";
    if (opts & GK_MKFS_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
    break;
  case FS_NTFS:
    /* -Q: quick (no zeroing of the whole device, no bad-block scan);
     * -F: also on a whole disk; BLOCKSIZE is the cluster size. */
    argv[n++] = "-Q"; argv[n++] = "-q"; argv[n++] = "-F";
    if (*bsarg) { argv[n++] = "-c"; argv[n++] = bsarg; }
    if (opts & GK_MKFS_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
    break;
  }
  argv[n++] = device;
  argv[n] = NULL;

  return run_mkfs (device, argv);
}

/* mke2fs with guestfish's names for its options (a subset: the table). */
int
do_mke2fs (const char *device, int64_t blockscount, int64_t blocksize,
           int64_t inodesize, const char *label, const char *fstype,
           const char *uuid, int forcecreate)
{
  const uint64_t o = gk_int_optargs_bitmask;
  (void) forcecreate;           /* always: -F, as mkfs */
  char bs[32] = "", is[32] = "", bc[32] = "";
  if (o & GK_MKE2FS_BLOCKSIZE) {
    if (blocksize < 1024 || blocksize > 65536 || !is_pow2 ((int) blocksize))
      return gk_int_err (EINVAL, "%lld: invalid blocksize (a power of 2 from "
                         "1024 to 65536)", (long long) blocksize);
    snprintf (bs, sizeof bs, "%lld", (long long) blocksize);
  }
  if (o & GK_MKE2FS_INODESIZE) {
    if (inodesize < 128 || inodesize > 65536 || !is_pow2 ((int) inodesize))
      return gk_int_err (EINVAL, "%lld: invalid inodesize (a power of 2, at "
                         "least 128)", (long long) inodesize);
    snprintf (is, sizeof is, "%lld", (long long) inodesize);
  }
  if (o & GK_MKE2FS_BLOCKSCOUNT) {
    if (blockscount <= 0)
      return gk_int_err (EINVAL, "%lld: invalid blockscount", (long long) blockscount);
    snprintf (bc, sizeof bc, "%lld", (long long) blockscount);
  }
  if ((o & GK_MKE2FS_LABEL) && strlen (label) > 16)
    return gk_int_err (EINVAL, "%.64s: label too long (at most 16 bytes)", label);
  if ((o & GK_MKE2FS_UUID) && !gk_int_is_uuid (uuid) && strcmp (uuid, "clear") != 0
      && strcmp (uuid, "random") != 0 && strcmp (uuid, "time") != 0)
    return gk_int_err (EINVAL, "%.64s: not a UUID (nor clear, random or time)", uuid);

  const char *argv[24];
  size_t n = 0;
  argv[n++] = "mke2fs";
  argv[n++] = "-t"; argv[n++] = (o & GK_MKE2FS_FSTYPE) ? fstype : "ext2";
  argv[n++] = "-F"; argv[n++] = "-q";
  argv[n++] = "-E"; argv[n++] = "lazy_itable_init=1,lazy_journal_init=1";
  if (*bs) { argv[n++] = "-b"; argv[n++] = bs; }
  if (*is) { argv[n++] = "-I"; argv[n++] = is; }
  if (o & GK_MKE2FS_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
  if (o & GK_MKE2FS_UUID) { argv[n++] = "-U"; argv[n++] = uuid; }
  argv[n++] = device;
  if (*bc) argv[n++] = bc;
  argv[n] = NULL;

  return run_mkfs (device, argv);
}
