/* guestkitd: partition tables on disk and in the kernel, for the
 * partition calls (partitions-table.h).
 *
 * Reading: libblkid's partition list on a descriptor of the disk (no
 * exec, which is slow under emulation).  Writing: sfdisk, always with
 * --no-reread --no-tell-kernel, then gk_int_pt_sync_kernel() brings the
 * kernel's view in line with the new table: BLKRRPART when no partition
 * of the disk is in use, else partition by partition with BLKPG (the way
 * partx does it), so that adding a partition to a disk whose first
 * partition is mounted works.
 */
#include <ctype.h>
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
#include "devtool.h"
#include "partitions-table.h"

#define SETTLE_NS (2000 * 1000000ull)

/* ---- the table on the disk (libblkid) ---------------------------- */

static void
copy_str (char *dst, size_t size, const char *src)
{
  snprintf (dst, size, "%s", src ? src : "");
}

/* Read the partition table of DEV.  Returns 0, -1 with the error set
 * (EINVAL "no partition table" if there is none). */
int
gk_int_pt_read (const char *dev, struct table *t)
{
  memset (t, 0, sizeof *t);
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) return gk_int_dev_perr (dev, "open");
  /* Drop stale cached blocks (see devices.c: probe_dev). */
  ioctl (fd, BLKFLSBUF, 0);
  int r = -1;
  blkid_probe pr = blkid_new_probe ();
  if (!pr) { gk_int_err (ENOMEM, "out of memory"); goto out; }
  blkid_partlist pl = NULL;
  if (blkid_probe_set_device (pr, fd, 0, 0) == 0
      && blkid_probe_enable_partitions (pr, 1) == 0
      && blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS) == 0)
    pl = blkid_probe_get_partitions (pr);
  blkid_parttable tab = pl ? blkid_partlist_get_table (pl) : NULL;
  if (!tab) {
    gk_int_dev_err (EINVAL, dev, "no partition table");
    goto out;
  }
  const char *ty = blkid_parttable_get_type (tab);
  if (ty && strcmp (ty, "gpt") == 0) t->gpt = 1;
  else if (!ty || strcmp (ty, "dos") != 0) {
    gk_int_dev_err (EINVAL, dev, "unsupported partition table type %s",
                    ty ? ty : "?");
    goto out;
  }
  int n = blkid_partlist_numof_partitions (pl);
  for (int i = 0; i < n && t->n < MAX_PARTNUM; i++) {
    blkid_partition p = blkid_partlist_get_partition (pl, i);
    struct tpart *q = &t->p[t->n++];
    q->num = blkid_partition_get_partno (p);
    q->start = (uint64_t) blkid_partition_get_start (p);
    q->size = (uint64_t) blkid_partition_get_size (p);
    q->extended = blkid_partition_is_extended (p);
    q->logical = blkid_partition_is_logical (p);
    q->mbr_type = blkid_partition_get_type (p);
    q->flags = blkid_partition_get_flags (p);
    copy_str (q->type, sizeof q->type, blkid_partition_get_type_string (p));
    copy_str (q->uuid, sizeof q->uuid, blkid_partition_get_uuid (p));
    copy_str (q->name, sizeof q->name, blkid_partition_get_name (p));
  }
  r = 0;
 out:
  if (pr) blkid_free_probe (pr);
  close (fd);
  return r;
}

static struct tpart *
find_part (struct table *t, int num)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->p[i].num == num) return &t->p[i];
  return NULL;
}

static int
check_partnum (const char *dev, int partnum)
{
  if (partnum < 1 || partnum > MAX_PARTNUM)
    return gk_int_dev_err (EINVAL, dev, "%d: invalid partition number",
                           partnum);
  return 0;
}

/* Read the table and find PARTNUM in it (ENOENT if absent). */
struct tpart *
gk_int_pt_get_part (const char *dev, int partnum, struct table *t)
{
  if (check_partnum (dev, partnum) == -1
      || gk_int_need_whole_disk (dev) == -1
      || gk_int_pt_read (dev, t) == -1)
    return NULL;
  struct tpart *p = find_part (t, partnum);
  if (!p) gk_int_dev_err (ENOENT, dev, "no partition %d", partnum);
  return p;
}

/* ---- what the kernel sees (sysfs) and bringing it in line ---------- */

static const char *
base_name (const char *dev)
{
  const char *s = strrchr (dev, '/');
  return s ? s + 1 : dev;
}

char *
gk_int_pt_part_dev (const char *disk, int num)
{
  size_t len = strlen (disk);
  int p = len > 0 && isdigit ((unsigned char) disk[len - 1]);
  char *s;
  if (asprintf (&s, "%s%s%d", disk, p ? "p" : "", num) == -1) return NULL;
  return s;
}

/* The kernel's partitions of DEV: KP[num] = {start, size}, present[num]. */
struct kparts {
  int present[MAX_PARTNUM + 1];
  uint64_t start[MAX_PARTNUM + 1], size[MAX_PARTNUM + 1];
};

static int
kernel_parts (const char *dev, struct kparts *k)
{
  memset (k, 0, sizeof *k);
  char path[300];
  snprintf (path, sizeof path, "/sys/block/%.200s", base_name (dev));
  DIR *d = opendir (path);
  if (!d) return gk_int_dev_perr (dev, "reading /sys/block");
  struct dirent *e;
  while ((e = readdir (d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char f[PATH_MAX + 300];
    uint64_t num, start, size;
    snprintf (f, sizeof f, "%s/%s/partition", path, e->d_name);
    if (gk_int_read_sysfs_u64 (f, &num) == -1 || num < 1 || num > MAX_PARTNUM) continue;
    snprintf (f, sizeof f, "%s/%s/start", path, e->d_name);
    if (gk_int_read_sysfs_u64 (f, &start) == -1) continue;
    snprintf (f, sizeof f, "%s/%s/size", path, e->d_name);
    if (gk_int_read_sysfs_u64 (f, &size) == -1) continue;
    k->present[num] = 1;
    k->start[num] = start;
    k->size[num] = size;
  }
  closedir (d);
  return 0;
}

static int
blkpg (int fd, int op, int num, uint64_t start, uint64_t size)
{
  struct blkpg_partition bp = { .pno = num,
                                .start = (long long) (start * SECTOR),
                                .length = (long long) (size * SECTOR) };
  struct blkpg_ioctl_arg arg = { .op = op, .datalen = sizeof bp, .data = &bp };
  return ioctl (fd, BLKPG, &arg);
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { 0, ms * 1000000 };
  while (nanosleep (&ts, &ts) == -1 && errno == EINTR)
    ;
}

/* Make the kernel's partitions those of the table on DEV, then wait
 * until their device nodes exist. */
int
gk_int_pt_sync_kernel (const char *dev)
{
  struct table *t = malloc (sizeof *t);
  struct kparts *k = malloc (sizeof *k);
  int fd = -1, r = -1;
  if (!t || !k) { gk_int_err (ENOMEM, "out of memory"); goto out; }
  fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) { gk_int_dev_perr (dev, "open"); goto out; }
  if (ioctl (fd, BLKRRPART, 0) == -1) {
    if (errno != EBUSY) {
      gk_int_dev_perr (dev, "re-reading the partition table");
      goto out;
    }
    /* Busy: one partition at a time. */
    if (gk_int_pt_read (dev, t) == -1) {
      if (gk_int_err_isset () && strcmp (gk_int_err_name (), "EINVAL") != 0)
        goto out;
      gk_int_err_clear ();
      t->n = 0;
    }
    if (kernel_parts (dev, k) == -1) goto out;
    for (int num = 1; num <= MAX_PARTNUM; num++) {
      struct tpart *p = find_part (t, num);
      if (!k->present[num]) continue;
      if (p && p->start == k->start[num]
          && (p->extended || p->size == k->size[num]))
        continue;
      if (p && p->start == k->start[num]) {
        if (blkpg (fd, BLKPG_RESIZE_PARTITION, num, p->start, p->size) == -1) {
          gk_int_dev_err (errno, dev, "resizing partition %d in the kernel: %s",
                          num, strerror (errno));
          goto out;
        }
        continue;
      }
      if (blkpg (fd, BLKPG_DEL_PARTITION, num, 0, 0) == -1) {
        gk_int_dev_err (errno, dev, "removing partition %d from the kernel: "
                        "%s", num, strerror (errno));
        goto out;
      }
      k->present[num] = 0;
    }
    for (size_t i = 0; i < t->n; i++) {
      struct tpart *p = &t->p[i];
      if (p->num < 1 || p->num > MAX_PARTNUM || k->present[p->num]) continue;
      /* The kernel shows an extended partition as its first 1 KiB. */
      uint64_t size = p->extended ? 2 : p->size;
      if (blkpg (fd, BLKPG_ADD_PARTITION, p->num, p->start, size) == -1) {
        gk_int_dev_err (errno, dev, "adding partition %d to the kernel: %s",
                        p->num, strerror (errno));
        goto out;
      }
    }
  }
  /* Wait for the nodes of the partitions the kernel has now. */
  if (kernel_parts (dev, k) == -1) goto out;
  uint64_t deadline = gk_int_now_ns () + SETTLE_NS;
  for (int num = 1; num <= MAX_PARTNUM; num++) {
    if (!k->present[num]) continue;
    char *node = gk_int_pt_part_dev (dev, num);
    if (!node) { gk_int_err (ENOMEM, "out of memory"); goto out; }
    struct stat st;
    while (stat (node, &st) == -1 || !S_ISBLK (st.st_mode)) {
      if (gk_int_now_ns () >= deadline) {
        gk_int_dev_err (ETIMEDOUT, dev, "partition %d did not appear", num);
        free (node);
        goto out;
      }
      sleep_ms (10);
    }
    free (node);
  }
  r = 0;
 out:
  if (fd >= 0) close (fd);
  free (t);
  free (k);
  return r;
}

/* Run sfdisk ARGS... on DEV (DEV is added last unless AFTER_DEV names
 * more arguments).  */
int
gk_int_pt_sfdisk (const char *dev, const char *script, const char *const *pre,
        const char *const *post)
{
  const char *argv[24];
  size_t n = 0;
  argv[n++] = "sfdisk";
  argv[n++] = "--quiet";
  argv[n++] = "--no-reread";
  argv[n++] = "--no-tell-kernel";
  for (size_t i = 0; pre && pre[i] && n < 16; i++) argv[n++] = pre[i];
  argv[n++] = dev;
  for (size_t i = 0; post && post[i] && n < 22; i++) argv[n++] = post[i];
  argv[n] = NULL;
  return gk_int_run_on_dev (dev, script, argv);
}
