/* guestkitd: streaming helpers for FILEOUT calls (fileout.c). */
#ifndef GK_FILEOUT_H
#define GK_FILEOUT_H

#include <stddef.h>

#define GK_INT_OS_SIZE ((size_t) 256 * 1024)

/* A buffered writer to the host: chunks of GK_INT_OS_SIZE. */
struct gk_int_ostream {
  char *buf;
  size_t len;
};
int gk_int_os_init (struct gk_int_ostream *os);
/* -1 (error set) when the host cancelled or the channel failed. */
int gk_int_os_write (struct gk_int_ostream *os, const char *p, size_t n);
/* Send what is buffered and end the stream with success. */
int gk_int_os_finish (struct gk_int_ostream *os);
/* Free the buffer after a failure (the dispatcher ends the stream). */
void gk_int_os_abort (struct gk_int_ostream *os);

/* Run ARGV (argv[0] a program of the appliance, found in its bin
 * directories) with IN_FD as standard input and stream its standard
 * output to the host, then end the stream.  A non-zero exit fails with
 * "WHAT: PROG: <its stderr>".  Returns 0 or -1. */
int gk_int_filter_out (const char *const *argv, int in_fd, const char *what);

#endif
