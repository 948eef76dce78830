/* gk_int_call_generic: any call by its table entry (gkfish and the test
 * runner).  Its own file, above both generated entry files
 * (actions.c, actions-local.c), so that nothing below calls up. */
#include <errno.h>
#include <string.h>

#include "internal.h"

GK_API int
gk_int_call_generic (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                     struct gk_int_optvals *o, union gk_int_val *r)
{
  memset (r, 0, sizeof *r);
  if (gk_int_check_call (g, c, a, o) == -1) return -1;
  if ((c->flags & GK_F_LOCAL) && gk_int_noop (c)) {
    if (gk_int_empty_ret (c, r) == 0) return 0;
    gk_int_error_errno (g, ENOMEM, "%s: out of memory", c->name);
    return -1;
  }
  if (c->flags & GK_F_LOCAL) return gk_int_local_dispatch (g, c, a, o, r);
  return gk_int_call (g, c, a, o, r);
}
