/* The one way to read or write a whole buffer on a blocking descriptor
   (common/README.md).  Descriptors that need a timeout or cancellation
   (the library's channel) poll first and then use these for the bytes. */
#ifndef GK_COMMON_FULLIO_H
#define GK_COMMON_FULLIO_H

#include <stddef.h>
#include <sys/types.h>

/* Read until N bytes or end of file; retries EINTR.  Returns the number
   of bytes read (less than N only at end of file), or -1 with errno. */
ssize_t gk_int_read_full (int fd, void *buf, size_t n);

/* Write all N bytes; retries EINTR and short writes.  Returns 0, or -1
   with errno (EPIPE, ENOSPC, EIO ...); a write of 0 bytes is EIO. */
int gk_int_write_full (int fd, const void *buf, size_t n);

/* Read the start of a small file (a /proc or /sys entry, a marker) into
 * BUF, at most N - 1 bytes, and end it with '\0'.  Returns the number
 * of bytes read, or -1 with errno (N 0 is EINVAL). */
ssize_t gk_int_read_small (const char *path, char *buf, size_t n);

#endif
