/* guestkit backends: building a command line (argv) without checking
 * every allocation at the call site: an allocation failure is sticky and
 * reported once by gk_int_argv_finish. */
#ifndef GK_BACKENDS_ARGV_H
#define GK_BACKENDS_ARGV_H
#include <stddef.h>

struct gk_int_argv { char **v; size_t n, cap; int oom; };

void gk_int_argv_add (struct gk_int_argv *a, const char *s);
void gk_int_argv_addf (struct gk_int_argv *a, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* The NULL-terminated argv, or NULL (everything freed) if any allocation
 * failed. */
char **gk_int_argv_finish (struct gk_int_argv *a);
/* Free a finished argv (NULL: nothing). */
void gk_int_argv_free (char **v);
#endif
