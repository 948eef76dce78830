/* guestkit: errors live on the handle (gk_last_error / gk_last_errno). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errmsg.h"
#include "internal.h"

static void
vset (gk_h *g, int errnum, const char *fmt, va_list ap, int with_strerror)
{
  char *msg = gk_int_vformat_error (errnum, fmt, ap, with_strerror);
  free (g->last_error);
  g->last_error = msg;
  g->last_errno = errnum;
  if (g->debug) fprintf (stderr, "guestkit: error: %s\n", g->last_error);
}

void
gk_int_error (gk_h *g, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset (g, EINVAL, fmt, ap, 0);
  va_end (ap);
}

void
gk_int_error_errno (gk_h *g, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset (g, errnum, fmt, ap, 0);
  va_end (ap);
}

void
gk_int_perror (gk_h *g, const char *fmt, ...)
{
  int e = errno;
  va_list ap;
  va_start (ap, fmt);
  vset (g, e, fmt, ap, 1);
  va_end (ap);
  errno = e;
}

void
gk_int_debug (gk_h *g, const char *fmt, ...)
{
  if (!g->debug) return;
  va_list ap;
  va_start (ap, fmt);
  fputs ("guestkit: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

GK_API const char *
gk_last_error (gk_h *g)
{
  return g ? g->last_error : "no handle (gk_create failed: out of memory)";
}

GK_API int
gk_last_errno (gk_h *g)
{
  return g ? g->last_errno : ENOMEM;
}
