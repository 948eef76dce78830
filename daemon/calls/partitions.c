/* guestkitd: editing partition tables (part-init, part-add, part-del,
 * part-resize, part-set-*, part-get-*, part-expand-gpt, part-to-*).
 * Reading and writing the table, and the kernel's view of it, are in
 * partitions-table.c.  Partitions that are in use are never deleted or
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
#include "partitions-table.h"

#define GPT_NAME_MAX 36         /* UTF-16 code units in a GPT entry */

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
  if (gk_int_pt_sfdisk (device, script, pre, NULL) == -1) return -1;
  return gk_int_pt_sync_kernel (device);
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
      || gk_int_pt_read (device, &t) == -1)
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
  if (gk_int_pt_sfdisk (device, script, pre, NULL) == -1) return -1;
  return gk_int_pt_sync_kernel (device);
}

int
do_part_del (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  char *node = gk_int_pt_part_dev (device, partnum);
  if (!node) return gk_int_err (ENOMEM, "out of memory");
  int busy = access (node, F_OK) == 0 ? gk_int_check_unused (node) : 0;
  free (node);
  if (busy == -1) return -1;
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--delete", NULL };
  const char *post[] = { num, NULL };
  if (gk_int_pt_sfdisk (device, NULL, pre, post) == -1) return -1;
  return gk_int_pt_sync_kernel (device);
}

int
do_part_resize (const char *device, int partnum, int64_t endsect)
{
  struct table t;
  uint64_t total;
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  if (gk_int_pt_sfdisk (device, script, pre, NULL) == -1) return -1;
  return gk_int_pt_sync_kernel (device);
}

char *
do_part_get_parttype (const char *device)
{
  struct table t;
  if (gk_int_need_whole_disk (device) == -1 || gk_int_pt_read (device, &t) == -1)
    return NULL;
  return strdup (t.gpt ? "gpt" : "msdos");
}

#define GPT_ATTR_LEGACY_BOOT (1ull << 2)

int
do_part_get_bootable (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt) {
    unsigned long long f = p->flags & ~GPT_ATTR_LEGACY_BOOT;
    if (bootable) f |= GPT_ATTR_LEGACY_BOOT;
    char attrs[256], num[16];
    gpt_attrs (f, attrs, sizeof attrs);
    snprintf (num, sizeof num, "%d", partnum);
    const char *pre[] = { "--part-attrs", NULL };
    const char *post[] = { num, attrs, NULL };
    return gk_int_pt_sfdisk (device, NULL, pre, post);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt)
    return gk_int_dev_err (EINVAL, device, "MBR partitions have no names "
                           "(GPT only)");
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--part-label", NULL };
  const char *post[] = { num, name, NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, post);
}

char *
do_part_get_name (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  if (t.gpt)
    return gk_int_dev_err (EINVAL, device, "not an MBR partition table");
  char num[16], hex[8];
  snprintf (num, sizeof num, "%d", partnum);
  snprintf (hex, sizeof hex, "%x", (unsigned) idbyte);
  const char *pre[] = { "--part-type", NULL };
  const char *post[] = { num, hex, NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, post);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { opt, NULL };
  const char *post[] = { num, guid, NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, post);
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
  if (gk_int_need_whole_disk (device) == -1 || gk_int_pt_read (device, &t) == -1)
    return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  const char *pre[] = { "--relocate", "gpt-bak-std", NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, NULL);
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
  char *u = gk_int_mountable_to_user (disk);
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
  if (gk_int_need_whole_disk (device) == -1 || gk_int_pt_read (device, &t) == -1)
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
  if (gk_int_need_whole_disk (device) == -1 || gk_int_pt_read (device, &t) == -1)
    return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  const char *pre[] = { "--disk-id", NULL };
  const char *post[] = { guid, NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, post);
}

/* ---- MBR partition kinds, GPT attributes ------------------------------ */

char *
do_part_get_mbr_part_type (const char *device, int partnum)
{
  struct table t;
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
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
  struct tpart *p = gk_int_pt_get_part (device, partnum, &t);
  if (!p) return -1;
  if (!t.gpt) return gk_int_dev_err (EINVAL, device, "not a GPT partition table");
  char attrs[512], num[16];
  gpt_attrs (a, attrs, sizeof attrs);
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "--part-attrs", NULL };
  const char *post[] = { num, attrs, NULL };
  return gk_int_pt_sfdisk (device, NULL, pre, post);
}

/* guestfish's sfdisk-N (deprecated there, still in scripts): LINE, one
 * line of sfdisk's input ("start,size,type,bootable"; empty fields
 * default), replaces partition PARTNUM.  CYLS, HEADS, SECTORS are the
 * old disk geometry, which sfdisk no longer takes: 0 (the usual), or
 * ignored.  The partition must not be in use. */
/* guestfish's deprecated sfdisk: a whole new table from LINES (sfdisk
 * script lines); the geometry is ignored as in sfdisk-N. */
int
do_sfdisk (const char *device, int cyls, int heads, int sectors, char *const *lines)
{
  if (cyls < 0 || heads < 0 || sectors < 0)
    return gk_int_dev_err (EINVAL, device, "cyls, heads and sectors must not be negative");
  size_t len = 0, blank = 1;
  for (size_t i = 0; lines[i]; i++) {
    if (strpbrk (lines[i], "\n\r"))
      return gk_int_dev_err (EINVAL, device, "sfdisk line %zu holds a newline", i + 1);
    if (lines[i][strspn (lines[i], " \t")]) blank = 0;
    len += strlen (lines[i]) + 1;
  }
  if (blank)
    return gk_int_dev_err (EINVAL, device, "no sfdisk lines (\",\" is one partition "
                           "filling the disk)");
  if (gk_int_need_whole_disk (device) == -1
      || gk_int_check_unused (device) == -1)
    return -1;
  char *script = malloc (len + 1), *p = script;
  if (!script) return gk_int_err (ENOMEM, "out of memory");
  for (size_t i = 0; lines[i]; i++) {
    size_t n = strlen (lines[i]);
    memcpy (p, lines[i], n);
    p[n] = '\n';
    p += n + 1;
  }
  *p = '\0';
  int r = gk_int_pt_sfdisk (device, script, NULL, NULL);
  free (script);
  if (r == -1) return -1;
  return gk_int_pt_sync_kernel (device);
}

int
do_sfdisk_N (const char *device, int partnum, int cyls, int heads, int sectors,
             const char *line)
{
  if (partnum < 1 || partnum > 128)
    return gk_int_dev_err (EINVAL, device, "partition number %d: must be 1 to 128", partnum);
  if (cyls < 0 || heads < 0 || sectors < 0)
    return gk_int_dev_err (EINVAL, device, "cyls, heads and sectors must not be negative");
  if (strpbrk (line, "\n\r"))
    return gk_int_dev_err (EINVAL, device, "the sfdisk line must be one line");
  if (gk_int_need_whole_disk (device) == -1) return -1;
  char *node = gk_int_pt_part_dev (device, partnum);
  if (!node) return gk_int_err (ENOMEM, "out of memory");
  int busy = access (node, F_OK) == 0 ? gk_int_check_unused (node) : 0;
  free (node);
  if (busy == -1) return -1;
  size_t n = strlen (line);
  char *script = malloc (n + 2);
  if (!script) return gk_int_err (ENOMEM, "out of memory");
  memcpy (script, line, n);
  memcpy (script + n, "\n", 2);
  char num[16];
  snprintf (num, sizeof num, "%d", partnum);
  const char *pre[] = { "-N", num, NULL };
  int r = gk_int_pt_sfdisk (device, script, pre, NULL);
  free (script);
  if (r == -1) return -1;
  return gk_int_pt_sync_kernel (device);
}
