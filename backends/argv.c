/* guestkit backends: argv building shared by the backends' pure
 * command-line functions (qemu-args.c, uml-args.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "argv.h"
#include "grow.h"

void
gk_int_argv_add (struct gk_int_argv *a, const char *s)
{
  if (a->oom) return;
  if (gk_int_grow ((void **) &a->v, &a->cap, a->n + 2, sizeof *a->v, 32) == -1) {
    a->oom = 1;
    return;
  }
  if (!(a->v[a->n] = strdup (s))) { a->oom = 1; return; }
  a->v[++a->n] = NULL;
}

void
gk_int_argv_addf (struct gk_int_argv *a, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r == -1) { a->oom = 1; return; }
  gk_int_argv_add (a, s);
  free (s);
}

char **
gk_int_argv_finish (struct gk_int_argv *a)
{
  if (!a->oom) return a->v;
  gk_int_argv_free (a->v);
  a->v = NULL;
  return NULL;
}

void
gk_int_argv_free (char **v)
{
  if (!v) return;
  for (size_t i = 0; v[i]; i++) free (v[i]);
  free (v);
}
