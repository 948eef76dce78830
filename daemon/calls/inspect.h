/* guestkitd: what the inspection files share (inspect*.c).
 *
 *   inspect.c          the calls, the cache of results, the LVM hook
 *   inspect-mount.c    private read-only mounts, bounded guest reads
 *   inspect-linux.c    Linux roots: release files, hostname, arch
 *   inspect-windows.c  Windows roots: case-insensitive System32
 *   inspect-registry.c the Windows registry, read with libhivex
 *   inspect-get-windows.c  the calls only Windows answers
 *   inspect-fstab.c    probing the candidates, resolving fstab names
 *   inspect-btrfs.c    the btrfs subvolumes worth looking at
 *   inspect-boot.c     machine id, kernels, boot loader of a Linux root
 *   inspect-apps.c     the package lists: the dpkg database, and which
 *                      rpm database to read
 *   inspect-rpm.c      the rpm database, read with the appliance's rpm
 *   inspect-parse.c    the pure parsers (inspect-parse.h)
 *
 * Device names here are the appliance's (/dev/vda2); they are turned
 * into the user's (/dev/sda2) only when returned.
 */
#ifndef GK_INSPECT_H
#define GK_INSPECT_H

#include <stddef.h>
#include <sys/types.h>

/* Largest guest text file read whole (os-release, fstab, hostname ...). */
#define GK_INSP_FILE_MAX (64 * 1024)

/* A filesystem that may hold a root, with what blkid says of it. */
struct gk_insp_dev {
  char *dev, *type, *uuid, *label, *partuuid;   /* "" when absent */
};
struct gk_insp_devs { struct gk_insp_dev *v; size_t n; };

struct gk_insp_root {
  char *dev;
  char type[16], distro[64], product[256], arch[32], hostname[256];
  char pkgfmt[16], pkgmgmt[16];
  int major, minor;
  /* Windows (inspect-windows.c, from the registry): "" when unknown. */
  char variant[64], build[32], systemroot[256], ccs[32];
  char **drives;        /* pairs: drive letter, device (appliance name) */
  char **mounts;        /* pairs: guest mount point, device; "/" first */
  char **swaps;         /* swap devices named by fstab */
  /* Linux (inspect-boot.c): "unknown" when not known. */
  char machine_id[33], bootloader[16];
  char **kernels;       /* versions, sorted; empty list when none */
};

/* A filesystem mounted for inspection.  OURS: we mounted it (and will
 * unmount it); otherwise it was already mounted and DIR is where. */
struct gk_insp_mnt { char dir[4096]; int rootfd; int ours; };

/* inspect-mount.c */
/* Mount NAME (a device, or a btrfs subvolume btrfsvol:DEV/VOL; blkid
 * TYPE) read-only, noexec, nosuid, nodev, without journal replay, on a
 * private directory; -1 + error naming NAME. */
int gk_int_insp_mount (const char *name, const char *type,
                       struct gk_insp_mnt *m);
void gk_int_insp_umount (struct gk_insp_mnt *m);
/* The device of R holding guest path PATH (the longest mount point
 * that is a prefix of it), and *REL the path on that device. */
const char *gk_int_insp_device_for (const struct gk_insp_root *r,
                                    const char *path, const char **rel);
/* Read at most MAX bytes of regular file PATH (resolved inside ROOTFD)
 * into a malloc'd buffer (NUL-terminated, *LEN_R set).  NULL if absent,
 * not a regular file or unreadable (no error set: a missing file is a
 * normal answer here). */
char *gk_int_insp_read (int rootfd, const char *path, size_t max,
                        size_t *len_r);
/* Open PATH inside ROOTFD (RESOLVE_IN_ROOT); -1 with errno. */
int gk_int_insp_open (int rootfd, const char *path, int flags);
/* 1 if PATH exists inside ROOTFD and is a directory (WANT_DIR) or a
 * regular file (!WANT_DIR). */
int gk_int_insp_is (int rootfd, const char *path, int want_dir);
/* Open NAME in DIRFD, matched without regard to case (Windows names),
 * never following a symbolic link; FOUND (256 bytes, may be NULL) gets
 * the name as spelt on disk.  gk_int_insp_ci_open: the same for each
 * component of a "/"-separated PATH.  -1 with errno. */
int gk_int_insp_ci_openat (int dirfd, const char *name, int flags, char *found);
int gk_int_insp_ci_open (int rootfd, const char *path, int flags);

/* inspect-linux.c: 1 if ROOTFD is a Linux root (R filled, *FSTAB_R the
 * malloc'd fstab text or NULL), 0 if not. */
int gk_int_insp_linux (int rootfd, struct gk_insp_root *r, char **fstab_r,
                       size_t *fstab_len);
/* inspect-windows.c: 1 if ROOTFD holds a Windows system root
 * (Windows/System32 ...), R filled from its registry as far as it can
 * be read. */
int gk_int_insp_windows (int rootfd, struct gk_insp_root *r);
/* inspect-registry.c: the registry facts of a Windows root (product,
 * version, host name, drive letters) into R; the installed applications
 * of R into L.  -1 with the error set (naming the hive) if a hive is
 * unreadable or breaks a limit. */
struct gk_application2_list;
int gk_int_insp_registry (int rootfd, struct gk_insp_root *r);
int gk_int_insp_windows_apps (const struct gk_insp_root *r,
                              struct gk_application2_list *l);

/* inspect-fstab.c */
int gk_int_insp_devices (struct gk_insp_devs *d);
void gk_int_insp_free_devices (struct gk_insp_devs *d);
/* Fill R->mounts and R->swaps from FSTAB (may be NULL). */
int gk_int_insp_fstab (const char *fstab, size_t len,
                       const struct gk_insp_devs *d, struct gk_insp_root *r);

/* inspect-btrfs.c: the btrfs subvolumes of DEV (blkid TYPE) worth
 * looking at, as btrfsvol:DEV/PATH names (bounded; an empty list if
 * they cannot be listed), or NULL + error when out of memory. */
char **gk_int_insp_btrfs_subvols (const char *dev, const char *type);

/* inspect-boot.c: R's machine id, kernels and boot loader, from ROOTFD
 * (R's root, mounted) and the filesystems R->mounts puts at /boot,
 * /boot/efi and /efi.  -1 + error only when out of memory. */
int gk_int_insp_boot (int rootfd, struct gk_insp_root *r);

/* inspect-rpm.c: read the rpm database in directory DIR of ROOTFD (a
 * guest path), each package through ADD (struct gk_dpkg_pkg of
 * inspect-parse.h).  1 read, 0 no database there, -1 error set. */
struct gk_dpkg_pkg;
int gk_int_insp_rpm (int rootfd, const char *dir,
                     int (*add) (void *, const struct gk_dpkg_pkg *),
                     void *opaque);

/* inspect.c */
int inspect_activate_lvm (void);
/* The inspected root ROOT (appliance name), or NULL + error. */
const struct gk_insp_root *gk_int_insp_find_root (const char *root);

#endif
