/* guestkitd: NTFS through ntfs-3g (mount-ntfs.c). */
#ifndef GK_NTFS_H
#define GK_NTFS_H
/* Mount appliance device DEV on directory DIR with ntfs-3g and mount
 * options OPTS ("ro", ...).  -1 + an error naming DEV. */
int gk_int_mount_ntfs3g (const char *dev, const char *dir, const char *opts);
#endif
