/* guestkitd: partitions (list-partitions, part-disk, part-list).
 *
 * What the kernel sees is read from sysfs (/sys/block/<disk>/<part>/
 * {partition,start,size}, always in 512-byte sectors) rather than by
 * running sfdisk: no exec, and part-disk makes sure the kernel's view is
 * the new table before it returns.  Tables are written with sfdisk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/blkpg.h>
#include <blkid/blkid.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "devtool.h"

#define SYS_BLOCK "/sys/block"
#define SECTOR 512
/* The one partition of part-disk starts at 1 MiB. */
#define FIRST_SECTOR 2048
/* How long to wait for the kernel and devtmpfs to show a new partition. */
#define SETTLE_NS (2000 * 1000000ull)
#define SETTLE_STEP_NS (10 * 1000000l)

struct part {
  uint64_t num, start, size;    /* start and size in sectors */
};

static int
compare_parts (const void *a, const void *b)
{
  const struct part *x = a, *y = b;
  return x->num < y->num ? -1 : x->num > y->num;
}

/* The partitions the kernel knows on DISK ("vda"), sorted by number.
 * *PARTS_R is malloc'd (may be NULL when *N_R is 0).  Returns 0, or -1
 * with errno set. */
static int
disk_parts (const char *disk, struct part **parts_r, size_t *n_r)
{
  char path[PATH_MAX];
  *parts_r = NULL;
  *n_r = 0;
  if ((size_t) snprintf (path, sizeof path, SYS_BLOCK "/%s", disk)
      >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  DIR *dir = opendir (path);
  if (!dir) return -1;

  struct part *parts = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir (dir)) != NULL) {
    if (e->d_name[0] == '.') continue;
    struct part p;
    char f[PATH_MAX];
    /* Only partitions have a "partition" file (not queue, holders ...). */
    if ((size_t) snprintf (f, sizeof f, SYS_BLOCK "/%s/%s/partition", disk,
                           e->d_name) >= sizeof f
        || gk_int_read_sysfs_u64 (f, &p.num) == -1)
      continue;
    snprintf (f, sizeof f, SYS_BLOCK "/%s/%s/start", disk, e->d_name);
    if (gk_int_read_sysfs_u64 (f, &p.start) == -1) goto fail;
    snprintf (f, sizeof f, SYS_BLOCK "/%s/%s/size", disk, e->d_name);
    if (gk_int_read_sysfs_u64 (f, &p.size) == -1) goto fail;
    if (gk_int_grow ((void **) &parts, &cap, n + 1, sizeof *parts, 8) == -1)
      goto fail;
    parts[n++] = p;
  }
  closedir (dir);
  if (n > 0) qsort (parts, n, sizeof *parts, compare_parts);
  *parts_r = parts;
  *n_r = n;
  return 0;

 fail:;
  int saved = errno;
  closedir (dir);
  free (parts);
  errno = saved;
  return -1;
}

/* The kernel's name of partition NUM of DISK ("vda" 1 -> "/dev/vda1";
 * a disk name ending in a digit takes a "p": "loop0p1"). */
static char *
part_name (const char *disk, uint64_t num)
{
  size_t len = strlen (disk);
  int p = len > 0 && disk[len - 1] >= '0' && disk[len - 1] <= '9';
  char *s;
  if (asprintf (&s, "/dev/%s%s%" PRIu64, disk, p ? "p" : "", num) == -1)
    return NULL;
  return s;
}

/* "/dev/vda" -> "vda". */
static const char *
base_name (const char *dev)
{
  const char *s = strrchr (dev, '/');
  return s ? s + 1 : dev;
}

char **
do_list_partitions (void)
{
  char **disks = gk_int_list_disks ();
  if (!disks) return NULL;
  size_t n = 0, cap = 16;
  char **list = malloc (cap * sizeof *list);
  if (!list) goto oom;
  list[0] = NULL;

  for (size_t i = 0; disks[i]; i++) {
    const char *disk = base_name (disks[i]);
    struct part *parts;
    size_t np;
    if (disk_parts (disk, &parts, &np) == -1) {
      gk_int_dev_perr (disks[i], "reading partitions from " SYS_BLOCK);
      goto fail;
    }
    for (size_t j = 0; j < np; j++) {
      if (gk_int_grow ((void **) &list, &cap, n + 2, sizeof *list, 8) == -1) {
        free (parts);
        goto oom;
      }
      char *s = part_name (disk, parts[j].num);
      if (!s) { free (parts); goto oom; }
      list[n++] = s;
      list[n] = NULL;
    }
    free (parts);
  }
  gk_int_free_strings (disks);
  gk_int_devs_to_user (list);
  return list;

 oom:
  gk_int_err (ENOMEM, "out of memory");
 fail:
  gk_int_free_strings (disks);
  gk_int_free_strings (list);
  return NULL;
}

struct gk_partition_list *
do_part_list (const char *device)
{
  if (gk_int_need_whole_disk (device) == -1) return NULL;
  struct part *parts;
  size_t n;
  if (disk_parts (base_name (device), &parts, &n) == -1) {
    gk_int_dev_perr (device, "reading partitions from " SYS_BLOCK);
    return NULL;
  }
  struct gk_partition_list *l = malloc (sizeof *l);
  if (l) l->val = calloc (n ? n : 1, sizeof *l->val);
  if (!l || !l->val) {
    free (l);
    free (parts);
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  l->len = n;
  for (size_t i = 0; i < n; i++) {
    /* sysfs counts 512-byte sectors whatever the logical block size;
     * the values are bounded by the device size, far below 2^63 bytes. */
    l->val[i].part_num = (int64_t) parts[i].num;
    l->val[i].part_start = (int64_t) (parts[i].start * SECTOR);
    l->val[i].part_size = (int64_t) (parts[i].size * SECTOR);
    l->val[i].part_end = l->val[i].part_start + l->val[i].part_size - 1;
  }
  free (parts);
  return l;
}

/* 1 if the kernel shows exactly the table part-disk wrote. */
static int
kernel_has_new_table (const char *disk)
{
  struct part *parts;
  size_t n;
  if (disk_parts (disk, &parts, &n) == -1) return 0;
  int ok = n == 1 && parts[0].num == 1 && parts[0].start == FIRST_SECTOR;
  free (parts);
  return ok;
}

static void
sleep_ns (long ns)
{
  struct timespec ts = { 0, ns };
  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

/* Tell the kernel the partitions one by one (BLKPG), from the table on
 * the disk, as partx(8) does.  For when BLKRRPART does not take: some
 * kernels accept it and change nothing (a loop device without partition
 * scanning, for instance). */
static int
update_kernel_parts (int fd, const char *device)
{
  struct part *old;
  size_t nold;
  if (disk_parts (base_name (device), &old, &nold) == -1)
    return gk_int_dev_perr (device, "reading partitions from " SYS_BLOCK);
  for (size_t i = 0; i < nold; i++) {
    struct blkpg_partition bp = { .pno = (int) old[i].num };
    struct blkpg_ioctl_arg arg = { .op = BLKPG_DEL_PARTITION,
                                   .datalen = sizeof bp, .data = &bp };
    if (ioctl (fd, BLKPG, &arg) == -1) {
      free (old);
      return gk_int_dev_perr (device, "removing an old partition (in use?)");
    }
  }
  free (old);

  blkid_probe pr = blkid_new_probe ();
  if (!pr) return gk_int_err (ENOMEM, "out of memory");
  int r = -1;
  blkid_partlist pl = NULL;
  if (blkid_probe_set_device (pr, fd, 0, 0) == 0
      && blkid_probe_enable_partitions (pr, 1) == 0)
    pl = blkid_probe_get_partitions (pr);
  if (!pl) {
    gk_int_dev_err (EIO, device, "cannot read the new partition table");
    goto out;
  }
  int n = blkid_partlist_numof_partitions (pl);
  for (int i = 0; i < n; i++) {
    blkid_partition p = blkid_partlist_get_partition (pl, i);
    /* libblkid counts 512-byte sectors, BLKPG bytes. */
    struct blkpg_partition bp = {
      .start = (long long) blkid_partition_get_start (p) * SECTOR,
      .length = (long long) blkid_partition_get_size (p) * SECTOR,
      .pno = blkid_partition_get_partno (p)
    };
    struct blkpg_ioctl_arg arg = { .op = BLKPG_ADD_PARTITION,
                                   .datalen = sizeof bp, .data = &bp };
    if (ioctl (fd, BLKPG, &arg) == -1) {
      gk_int_dev_perr (device, "adding a partition");
      goto out;
    }
  }
  r = 0;
 out:
  blkid_free_probe (pr);
  return r;
}

/* Make the kernel use the table just written and wait for the node of
 * partition 1 (devtmpfs creates it as the kernel adds the partition). */
static int
settle (const char *device)
{
  const char *disk = base_name (device);
  uint64_t deadline = gk_int_now_ns () + SETTLE_NS;

  /* sfdisk asks the kernel itself; try again only if that did not work.
   * EBUSY is transient only if something briefly held the disk. */
  if (!kernel_has_new_table (disk)) {
    int fd = open (device, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1) return gk_int_dev_perr (device, "open");
    int r;
    while ((r = ioctl (fd, BLKRRPART, 0)) == -1 && errno == EBUSY
           && gk_int_now_ns () < deadline)
      sleep_ns (SETTLE_STEP_NS);
    if (r == -1 && errno != EBUSY) {
      gk_int_dev_perr (device, "re-reading the partition table");
      close (fd);
      return -1;
    }
    if (!kernel_has_new_table (disk)
        && update_kernel_parts (fd, device) == -1) {
      close (fd);
      return -1;
    }
    close (fd);
    if (!kernel_has_new_table (disk))
      return gk_int_dev_err (EIO, device, "the kernel still uses the old "
                      "partition table");
  }

  char *node = part_name (disk, 1);
  if (!node) return gk_int_err (ENOMEM, "out of memory");
  struct stat st;
  while (stat (node, &st) == -1 || !S_ISBLK (st.st_mode)) {
    if (gk_int_now_ns () >= deadline) {
      free (node);
      return gk_int_dev_err (ETIMEDOUT, device,
                      "the partition device did not appear");
    }
    sleep_ns (SETTLE_STEP_NS);
  }
  free (node);
  return 0;
}

int
do_part_disk (const char *device, const char *parttype)
{
  const char *label;
  if (strcmp (parttype, "mbr") == 0 || strcmp (parttype, "msdos") == 0)
    label = "dos";
  else if (strcmp (parttype, "gpt") == 0)
    label = "gpt";
  else
    return gk_int_err (EINVAL, "%.64s: unknown partition table type "
                       "(expected mbr, msdos or gpt)", parttype);
  if (gk_int_need_whole_disk (device) == -1) return -1;
  /* Refused while a partition of the disk is mounted or claimed (sfdisk
   * would refuse too, at more length). */
  if (gk_int_check_unused (device) == -1) return -1;

  /* One partition from 1 MiB to the end; sfdisk picks the type (Linux
   * filesystem).  --wipe always removes old signatures from the disk's
   * first sectors and --wipe-partitions always those found in the new
   * partition, so "everything on the disk is lost" holds for blkid too.
   * sfdisk refuses a disk with mounted partitions. */
  char script[64];
  snprintf (script, sizeof script, "label: %s\nstart=%d\n", label,
            FIRST_SECTOR);
  const char *argv[] = { "sfdisk", "--quiet", "--wipe", "always",
                         "--wipe-partitions", "always", device, NULL };
  if (gk_int_run_on_dev (device, script, argv) == -1) return -1;
  return settle (device);
}
