/* guestkitd: partition tables for partitions.c (partitions-table.c). */
#ifndef GK_PARTITIONS_TABLE_H
#define GK_PARTITIONS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SECTOR 512
#define MAX_PARTNUM 256

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

/* Read the partition table of DEV.  Returns 0, -1 with the error set
 * (EINVAL "no partition table" if there is none). */
int gk_int_pt_read (const char *dev, struct table *t);
/* Read the table of whole disk DEV and find PARTNUM in it (EINVAL for a
 * bad number, ENOENT if absent). */
struct tpart *gk_int_pt_get_part (const char *dev, int partnum, struct table *t);
/* The device of partition NUM of DISK ("/dev/vda" 1 -> "/dev/vda1").
 * malloc'd, NULL on ENOMEM. */
char *gk_int_pt_part_dev (const char *disk, int num);
/* Make the kernel's partitions those of the table on DEV (BLKRRPART, or
 * BLKPG partition by partition while one is in use), then wait until
 * their device nodes exist.  0, or -1 with the error set. */
int gk_int_pt_sync_kernel (const char *dev);
/* Run sfdisk --no-reread --no-tell-kernel PRE... DEV POST... with SCRIPT
 * as its input.  0, or -1 with the error set. */
int gk_int_pt_sfdisk (const char *dev, const char *script,
                      const char *const *pre, const char *const *post);

#endif
