/* Growing arrays (common/grow.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

int
gk_int_grow (void **array, size_t *cap, size_t need, size_t elsize, size_t min)
{
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : (min ? min : 1);
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) { errno = ENOMEM; return -1; }
    ncap *= 2;
  }
  if (elsize && ncap > SIZE_MAX / elsize) { errno = ENOMEM; return -1; }
  void *p = realloc (*array, ncap * elsize);
  if (!p) { errno = ENOMEM; return -1; }
  *array = p;
  *cap = ncap;
  return 0;
}
