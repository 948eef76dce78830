/* guestkit: the library's exported internal entry points.  Not part of
 * the ABI (they take the API table's types), but visible outside the
 * library so that gkfish's command layer and the tests need nothing else
 * of lib/: this header, not lib/internal.h, is what they include. */
#ifndef GK_LIB_EXPORTED_H
#define GK_LIB_EXPORTED_H

#include "guestkit.h"
#include "api.h"

/* gkfish and the test runner: any call, by table entry. */
GK_API int gk_int_call_generic (gk_h *g, const struct gk_int_call *c,
                                union gk_int_val *a, struct gk_int_optvals *o,
                                union gk_int_val *r);
/* copy.c: extract a tar stream from FD under DEST as copy-out does
 * (tests feed it hostile archives).  Closes FD. */
GK_API int gk_int_untar_fd (gk_h *g, int fd, const char *dest);

#endif
