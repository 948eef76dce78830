/* The order to mount filesystems in: parents before children ("/"
 * before "/boot" before "/boot/efi").  Pure; common/README.md. */
#ifndef GK_COMMON_MOUNTORDER_H
#define GK_COMMON_MOUNTORDER_H

#include <stddef.h>

/* "/" 0, "/boot" 1, "/var/log" 2 (empty components count nothing);
 * anything else that is not "/" at least 1, so "/" always comes first. */
size_t gk_int_mountpoint_depth (const char *mp);

/* Sort the NPAIRS pairs (mount point, other) of V shallowest first;
 * within a depth by name if BY_NAME, else as given (stable). */
void gk_int_mountpoints_sort (char **v, size_t npairs, int by_name);

/* Split a -m argument DEV[:MOUNTPOINT[:OPTIONS]] in place: S becomes the
 * device; *MP the mount point ("/" when absent or empty); *OPTS the
 * options, or NULL (always NULL without WITH_OPTIONS: then all after the
 * first ':' is the mount point).  -1 if the device is empty or the
 * mount point does not start with '/'. */
int gk_int_mount_arg (char *s, int with_options, char **mp, char **opts);

#endif
