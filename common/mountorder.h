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

#endif
