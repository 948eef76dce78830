/* guestkitd: editing partition tables (part-init, part-add, part-del,
 * part-resize, part-set-*, part-get-*, part-expand-gpt, part-to-*).
 *
 * Reading: libblkid's partition list on a descriptor of the disk (no
 * exec, which is slow under emulation).  Writing: sfdisk, always with
 * --no-reread --no-tell-kernel, then sync_kernel() brings the kernel's
 * view in line with the new table: BLKRRPART when no partition of the
 * disk is in use, else partition by partition with BLKPG (the way partx
 * does it), so that adding a partition to a disk whose first partition
 * is mounted works.  Partitions that are in use are never deleted or
 * moved: the calls that would do that check first and refuse with EBUSY
 * before anything is written.
 *
 * Sector numbers are in 512-byte units (sfdisk's and guestfish's);
 * the guest disks have 512-byte logical sectors.
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
#include "actions.h"
#include "devtool.h"

#define SECTOR 512
#define MAX_PARTNUM 256
#define SETTLE_NS (2000 * 1000000ull)
#define GPT_NAME_MAX 36         /* UTF-16 code units in a GPT entry */

/* ---- the table on the disk (libblkid) ---------------------------- */

struct tpart {
  int num;
  uint64_t start, size;         /* sectors */
  int extended, logical;
  int mbr_type;                 /* dos */
  unsigned long long flags;     /* dos: boot byte; gpt: attributes */
  char type[40], uuid[40], name[128];
};

struct table {
  int gpt;                      /* else dos */
  size_t n;
  struct tpart p[MAX_PARTNUM];
};

static void
copy_str (char *dst, size_t size, const char *src)
{
  snprintf (dst, size, "%s", src ? src : "");
}

/* Read the partition table of DEV.  Returns 0, -1 with the error set
 * (EINVAL "no partition table" if there is none). */
static int
read_table (const char *dev, struct table *t)
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
static struct tpart *
get_part (const char *dev, int partnum, struct table *t)
{
  if (check_partnum (dev, partnum) == -1
      || gk_int_need_whole_disk (dev) == -1
      || read_table (dev, t) == -1)
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

static char *
part_dev (const char *disk, int num)
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
static int
sync_kernel (const char *dev)
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
    if (read_table (dev, t) == -1) {
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
    char *node = part_dev (dev, num);
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
static int
sfdisk (const char *dev, const char *script, const char *const *pre,
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

/* ---- the calls ---------------------------------------------------- */

int
do_part_init (const char *device, const char *parttype)
{
  const char *label;
  if (strcmp (parttype, "mbr") == 0 || strcmp (parttype, "msdos") == 0)
    label = "dos";
  else if (strcmp (parttype, "gpt") == 0 || strcmp (parttype, "efi") == 0)
    label = "gpt";
  else
    return gk_int_err (EINVAL, "%.64s: unknown partition table type "
                       "(expected mbr, msdos or gpt)", parttype);
  if (gk_int_need_whole_disk (device) == -1
      || gk_int_check_unused (device) == -1)
    return -1;
  char script[32];
  snprintf (script, sizeof script, "label: %s\n", label);
  const char *pre[] = { "--wipe", "always", NULL };
  if (sfdisk (device, script, pre, NULL) == -1) return -1;
  return sync_kernel (device);
}

static int
disk_sectors (const char *dev, uint64_t *n)
{
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) return gk_int_dev_perr (dev, "open");
  uint64_t size;
  int r = ioctl (fd, BLKGETSIZE64, &size);
  close (fd);
  if (r == -1) return gk_int_dev_perr (dev, "BLKGETSIZE64");
  *n = size / SECTOR;
  return 0;
}

int
do_part_add (const char *device, const char *prlogex, int64_t startsect,
             int64_t endsect)
{
  int ext = 0;
  if (strcmp (prlogex, "e") == 0 || strcmp (prlogex, "extended") == 0)
    ext = 1;
  else if (strcmp (prlogex, "p") && strcmp (prlogex, "primary")
           && strcmp (prlogex, "l") && strcmp (prlogex, "logical"))
    return gk_int_err (EINVAL, "%.64s: expected p, l or e (primary, "
                       "logical, extended)", prlogex);
  uint64_t total;
  struct table t;
  if (gk_int_need_whole_disk (device) == -1
      || disk_sectors (device, &total) == -1
      || read_table (device, &t) == -1)
    return -1;
  if (endsect < 0) endsect += (int64_t) total;
  if (startsect < 1 || endsect < startsect || (uint64_t) endsect >= total)
    return gk_int_dev_err (EINVAL, device, "sectors %" PRId64 "-%" PRId64
                           " are not inside the disk (%" PRIu64 " sectors)",
                           startsect, endsect, total);
  if (t.gpt && strcmp (prlogex, "p") && strcmp (prlogex, "primary"))
    return gk_int_dev_err (EINVAL, device, "GPT partitions are all primary");
  int logical = prlogex[0] == 'l';
  int in_ext = 0;
  for (size_t i = 0; i < t.n; i++)
    if (t.p[i].extended && (uint64_t) startsect > t.p[i].start
        && (uint64_t) endsect < t.p[i].start + t.p[i].size)
      in_ext = 1;
  if (logical != in_ext)
    return gk_int_dev_err (EINVAL, device, logical
                           ? "a logical partition must lie inside the "
                           "extended partition"
                           : "a primary or extended partition may not lie "
                           "inside the extended partition");
  char script[128];
  snprintf (script, sizeof script, "start=%" PRId64 ", size=%" PRId64 "%s\n",
            startsect, endsect - startsect + 1, ext ? ", type=5" : "");
  const char *pre[] = { "--append", NULL };
  if (sfdisk (device, script, pre, NULL) == -1) return -1;
  return sync_kernel (device);
}

int
do_part_del (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  char *node = part_dev (device, partnum);
  if (!node) return gk_int_err (ENOMEM, "out of memory");
  int busy = access (node, F_OK) == 0 ? gk_int_check_unused (node) : 0;
  free (node);
  if (busy == -1) return -1;
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--delete", NULL };
  const char *post[] = { num, NULL };
  if (sfdisk (device, NULL, pre, post) == -1) return -1;
  return sync_kernel (device);
}

int
do_part_resize (const char *device, int partnum, int64_t endsect)
{
  struct table t;
  uint64_t total;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p || disk_sectors (device, &total) == -1) return -1;
  if (endsect < 0) endsect += (int64_t) total;
  if ((uint64_t) endsect < p->start || (uint64_t) endsect >= total)
    return gk_int_dev_err (EINVAL, device, "end sector %" PRId64 " is not "
                           "between the partition's start %" PRIu64
                           " and the disk's end %" PRIu64, endsect,
                           p->start, total - 1);
  char script[64], num[16];
  snprintf (script, sizeof script, "%" PRIu64 ",%" PRIu64 "\n", p->start,
            (uint64_t) endsect - p->start + 1);
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "-N", num, NULL };
  if (sfdisk (device, script, pre, NULL) == -1) return -1;
  return sync_kernel (device);
}

char *
do_part_get_parttype (const char *device)
{
  struct table t;
  if (gk_int_need_whole_disk (device) == -1 || read_table (device, &t) == -1)
    return NULL;
  return strdup (t.gpt ? "gpt" : "msdos");
}

#define GPT_ATTR_LEGACY_BOOT (1ull << 2)

int
do_part_get_bootable (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt) return (p->flags & GPT_ATTR_LEGACY_BOOT) != 0;
  return p->flags == 0x80;
}

/* The attribute string sfdisk takes for GPT attribute bits F. */
static void
gpt_attrs (unsigned long long f, char *buf, size_t size)
{
  static const char *const names[3] = { "RequiredPartition",
    "NoBlockIOProtocol", "LegacyBIOSBootable" };
  size_t len = 0;
  buf[0] = '\0';
  for (int b = 0; b < 64 && len < size; b++) {
    if (!(f & (1ull << b)) || (b >= 3 && b < 48)) continue;
    if (b < 3)
      len += (size_t) snprintf (buf + len, size - len, "%s%s",
                                len ? "," : "", names[b]);
    else
      len += (size_t) snprintf (buf + len, size - len, "%sGUID:%d",
                                len ? "," : "", b);
  }
}

int
do_part_set_bootable (const char *device, int partnum, int bootable)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt) {
    unsigned long long f = p->flags & ~GPT_ATTR_LEGACY_BOOT;
    if (bootable) f |= GPT_ATTR_LEGACY_BOOT;
    char attrs[256], num[16];
    gpt_attrs (f, attrs, sizeof attrs);
    snprintf (num, sizeof num, "%d", partnum);
    const char *pre[] = { "--part-attrs", NULL };
    const char *post[] = { num, attrs, NULL };
    return sfdisk (device, NULL, pre, post);
  }
  if (p->logical || partnum > 4)
    return gk_int_dev_err (EINVAL, device, "only primary MBR partitions "
                           "(1-4) have a bootable flag");
  /* The boot indicator of entry N of the MBR: one byte, written in
   * place. */
  int fd = open (device, O_RDWR | O_CLOEXEC);
  if (fd == -1) return gk_int_dev_perr (device, "open");
  unsigned char mbr[SECTOR];
  off_t off = 446 + 16 * (partnum - 1);
  if (pread (fd, mbr, SECTOR, 0) != SECTOR || mbr[510] != 0x55
      || mbr[511] != 0xaa) {
    close (fd);
    return gk_int_dev_err (EIO, device, "cannot read the MBR");
  }
  unsigned char b = bootable ? 0x80 : 0;
  if (pwrite (fd, &b, 1, off) != 1 || fsync (fd) == -1) {
    gk_int_dev_perr (device, "writing the MBR");
    close (fd);
    return -1;
  }
  close (fd);
  return 0;
}

int
do_part_set_name (const char *device, int partnum, const char *name)
{
  size_t len = strlen (name);
  if (len > GPT_NAME_MAX)
    return gk_int_err (EINVAL, "%.64s: partition name too long (at most "
                       "%d characters)", name, GPT_NAME_MAX);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char) name[i] < 32 || (unsigned char) name[i] >= 127)
      return gk_int_err (EINVAL, "partition name: only printable ASCII "
                         "characters are allowed");
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt)
    return gk_int_dev_err (EINVAL, device, "MBR partitions have no names "
                           "(GPT only)");
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--part-label", NULL };
  const char *post[] = { num, name, NULL };
  return sfdisk (device, NULL, pre, post);
}

char *
do_part_get_name (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return NULL;
  if (!t.gpt) {
    gk_int_dev_err (EINVAL, device, "MBR partitions have no names (GPT only)");
    return NULL;
  }
  return strdup (p->name);
}

int
do_part_get_mbr_id (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt)
    return gk_int_dev_err (EINVAL, device, "not an MBR partition table "
                           "(use part-get-gpt-type)");
  return p->mbr_type;
}

int
do_part_set_mbr_id (const char *device, int partnum, int idbyte)
{
  if (idbyte < 1 || idbyte > 255)
    return gk_int_err (EINVAL, "%d: MBR type byte must be 1 to 255", idbyte);
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt)
    return gk_int_dev_err (EINVAL, device, "not an MBR partition table");
  char num[16], hex[8];
  snprintf (num, sizeof num, "%d", partnum);
  snprintf (hex, sizeof hex, "%x", (unsigned) idbyte);
  const char *pre[] = { "--part-type", NULL };
  const char *post[] = { num, hex, NULL };
  return sfdisk (device, NULL, pre, post);
}

static char *
upper (const char *s)
{
  char *r = strdup (s);
  if (!r) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  for (char *p = r; *p; p++) *p = (char) toupper ((unsigned char) *p);
  return r;
}

static char *
gpt_field (const char *device, int partnum, int guid)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return NULL;
  if (!t.gpt) {
    gk_int_dev_err (EINVAL, device, "not a GPT partition table");
    return NULL;
  }
  return upper (guid ? p->uuid : p->type);
}

char *
do_part_get_gpt_type (const char *device, int partnum)
{
  return gpt_field (device, partnum, 0);
}

char *
do_part_get_gpt_guid (const char *device, int partnum)
{
  return gpt_field (device, partnum, 1);
}

static int
set_gpt_field (const char *device, int partnum, const char *guid,
               const char *opt)
{
  if (!gk_int_is_uuid (guid))
    return gk_int_err (EINVAL, "%.64s: not a GUID "
                       "(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)", guid);
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { opt, NULL };
  const char *post[] = { num, guid, NULL };
  return sfdisk (device, NULL, pre, post);
}

int
do_part_set_gpt_type (const char *device, int partnum, const char *guid)
{
  return set_gpt_field (device, partnum, guid, "--part-type");
}

int
do_part_set_gpt_guid (const char *device, int partnum, const char *guid)
{
  return set_gpt_field (device, partnum, guid, "--part-uuid");
}

int
do_part_expand_gpt (const char *device)
{
  struct table t;
  if (gk_int_need_whole_disk (device) == -1 || read_table (device, &t) == -1)
    return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  const char *pre[] = { "--relocate", "gpt-bak-std", NULL };
  return sfdisk (device, NULL, pre, NULL);
}

/* Split appliance partition name DEV into disk and number. */
static int
split_part (const char *dev, char **disk_r, int *num_r)
{
  size_t len = strlen (dev), i = len;
  while (i > 0 && isdigit ((unsigned char) dev[i - 1])) i--;
  if (i == len || i == 0)
    return gk_int_dev_err (EINVAL, dev, "not a partition");
  size_t dlen = i;
  /* "loop0p1": the disk name ends in a digit, a "p" separates. */
  if (dlen >= 2 && dev[dlen - 1] == 'p' && isdigit ((unsigned char) dev[dlen - 2]))
    dlen--;
  *num_r = atoi (dev + i);
  *disk_r = strndup (dev, dlen);
  if (!*disk_r) return gk_int_err (ENOMEM, "out of memory");
  return 0;
}

char *
do_part_to_dev (const char *partition)
{
  char *disk;
  int num;
  if (split_part (partition, &disk, &num) == -1) return NULL;
  char *u = gk_int_dev_to_user (disk);
  free (disk);
  if (!u) gk_int_err (ENOMEM, "out of memory");
  return u;
}

int
do_part_to_partnum (const char *partition)
{
  char *disk;
  int num;
  if (split_part (partition, &disk, &num) == -1) return -1;
  free (disk);
  return num;
}

/* ---- the disk's own GUID (GPT) ------------------------------------- */

char *
do_part_get_disk_guid (const char *device)
{
  struct table t;
  if (gk_int_need_whole_disk (device) == -1 || read_table (device, &t) == -1)
    return NULL;
  if (!t.gpt) {
    gk_int_dev_err (EINVAL, device, "not a GPT partition table");
    return NULL;
  }
  char *out = NULL;
  const char *argv[] = { "sfdisk", "--disk-id", device, NULL };
  if (gk_int_run (&out, NULL, argv) == -1) return NULL;
  out[strcspn (out, "\n")] = '\0';
  char *r = upper (out);
  free (out);
  return r;
}

int
do_part_set_disk_guid (const char *device, const char *guid)
{
  if (!gk_int_is_uuid (guid))
    return gk_int_err (EINVAL, "%.64s: not a GUID "
                       "(XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)", guid);
  struct table t;
  if (gk_int_need_whole_disk (device) == -1 || read_table (device, &t) == -1)
    return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  const char *pre[] = { "--disk-id", NULL };
  const char *post[] = { guid, NULL };
  return sfdisk (device, NULL, pre, post);
}

/* ---- MBR partition kinds, GPT attributes ------------------------------ */

char *
do_part_get_mbr_part_type (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return NULL;
  if (t.gpt) {
    gk_int_dev_err (EINVAL, device, "not an MBR partition table");
    return NULL;
  }
  return strdup (p->extended ? "extended" : p->logical ? "logical" : "primary");
}

int64_t
do_part_get_gpt_attributes (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  return (int64_t) p->flags;
}

int
do_part_set_gpt_attributes (const char *device, int partnum,
                            int64_t attributes)
{
  uint64_t a = (uint64_t) attributes;
  /* Bits 3-47 are reserved by the UEFI specification. */
  if (a & 0x0000fffffffffff8ull)
    return gk_int_err (EINVAL, "%#llx: only bits 0-2 and 48-63 may be set",
                       (unsigned long long) a);
  struct table t;
  struct tpart *p = get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  char attrs[512], num[16];
  gpt_attrs (a, attrs, sizeof attrs);
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--part-attrs", NULL };
  const char *post[] = { num, attrs, NULL };
  return sfdisk (device, NULL, pre, post);
}
