/* guestkit: the version call, the library's own version (PACKAGE_VERSION
 * of the build that made libguestkit, not of the program using it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guestkit.h"
#include "internal.h"

struct gk_version *
gk_int_local_version (gk_h *g)
{
  struct gk_version *v = calloc (1, sizeof *v);
  const char *p = PACKAGE_VERSION;
  char *end;
  if (v) {
    v->major = strtoll (p, &end, 10);
    if (*end == '.') v->minor = strtoll (end + 1, &end, 10);
    if (*end == '.') v->release = strtoll (end + 1, &end, 10);
    v->extra = strdup (end);
  }
  if (!v || !v->extra) {
    free (v);
    gk_int_error_errno (g, ENOMEM, "version: out of memory");
    return NULL;
  }
  return v;
}
