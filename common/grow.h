/* The one way to grow an array: gk_int_grow.  See common/README.md. */
#ifndef GK_COMMON_GROW_H
#define GK_COMMON_GROW_H

#include <stddef.h>

/* Make room for NEED elements of ELSIZE bytes in *ARRAY, whose capacity
   (in elements) is *CAP: doubles the capacity (at least MIN) until NEED
   fits.  Returns 0, or -1 with errno ENOMEM (out of memory or a size
   that would overflow), leaving *ARRAY and *CAP untouched.
   Typical use, appending one element:
     if (gk_int_grow ((void **) &v, &cap, n + 1, sizeof *v, 16) == -1) ...
     v[n++] = x; */
int gk_int_grow (void **array, size_t *cap, size_t need, size_t elsize, size_t min);

#endif
