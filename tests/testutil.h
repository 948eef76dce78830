/* guestkit tests: host-side helpers shared by the test programs
 * (images, files, and the processes and files a test must not leave). */
#ifndef GK_TESTUTIL_H
#define GK_TESTUTIL_H

#include <sys/types.h>

/* A sparse file of SIZE bytes at PATH; exits with status 2 on failure
 * (a broken test set-up is not a test failure). */
void tu_mkimage (const char *path, off_t size);
/* PATH with content TEXT and mode MODE; exits 2 on failure. */
void tu_write_file (const char *path, const char *text, mode_t mode);
/* How many processes are children of this one; *FIRST (if not NULL) is
 * set to one of them when there is any. */
int tu_children (pid_t *first);
/* How many processes anywhere have S in their command line, or (other
 * than this one) a descriptor open on a file whose name contains S. */
int tu_procs_mentioning (const char *s);
/* Entries of directory D whose names start with PREFIX ("" for all but
 * . and ..); 0 if D does not exist. */
int tu_count_entries (const char *d, const char *prefix);
/* Monotonic clock in seconds. */
double tu_now (void);

#endif
