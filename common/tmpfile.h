/* The one way host code makes a temporary file: one that never has a
   name (common/README.md). */
#ifndef GK_COMMON_TMPFILE_H
#define GK_COMMON_TMPFILE_H

/* A new, empty read-write file in $TMPDIR (an absolute one; else
   /var/tmp) opened O_TMPFILE, so nothing is left behind even if the
   program is killed; where the filesystem lacks O_TMPFILE, a name that
   lives for a few microseconds.  *DIR_R (if not NULL) is set to the
   directory, for messages.  Returns the descriptor (close-on-exec), or
   -1 with errno. */
int gk_int_tmpfile (const char **dir_r);

#endif
