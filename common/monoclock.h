/* The one monotonic clock reading for host code that measures or bounds
 * time (the library's timings, the backends' waits, gkfish's progress). */
#ifndef GK_COMMON_MONOCLOCK_H
#define GK_COMMON_MONOCLOCK_H
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in microseconds. */
static inline int64_t
gk_int_mono_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
#endif
