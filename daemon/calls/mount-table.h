/* guestkitd: the kernel's mount table under the sysroot (mount-table.c),
 * for mount.c's calls. */
#ifndef GK_MOUNT_TABLE_H
#define GK_MOUNT_TABLE_H

#include <limits.h>
#include <sys/types.h>

struct mnt {
  char *source;                 /* as given to mount(2): "/dev/vda1" */
  char *target;                 /* appliance path: "/sysroot/boot" */
  const char *guest;            /* inside target: "/boot", or "/" */
  dev_t dev;                    /* st_dev of the mounted filesystem */
  unsigned long id, parent;     /* mount ids: the tree of mounts */
};

struct mnts {
  struct mnt *v;
  size_t n;
  char *buf;                    /* the mountinfo text the strings live in */
  char root[PATH_MAX];          /* the sysroot, canonical */
};

/* The mounts at or below the sysroot, in mount order, from
 * /proc/self/mountinfo.  0, or -1 with the error set. */
int gk_int_mnts_list (struct mnts *m);
void gk_int_mnts_free (struct mnts *m);
/* The canonical sysroot into BUF (PATH_MAX): mountinfo shows resolved
 * paths. */
void gk_int_sysroot_real (char *buf);
/* 1 for a mount of a block device, which is what the user mounted (a
 * program run in the guest may have had proc or a tmpfs mounted for it). */
int gk_int_mnt_is_dev (const struct mnt *x);

#endif
