/* Minimal test helpers: each check prints "ok"/"not ok" and the program
 * ends with "N passed, N failed" and a matching exit status. */
#ifndef GK_TESTS_TAP_H
#define GK_TESTS_TAP_H
#include <stdio.h>

static int tap_pass, tap_fail;

#define CHECK(cond, ...) do {                                   \
    if (cond) { tap_pass++; printf ("ok - "); }                 \
    else { tap_fail++; printf ("not ok - %s:%d: ", __FILE__, __LINE__); } \
    printf (__VA_ARGS__); printf ("\n"); fflush (stdout);       \
  } while (0)

static inline int
tap_done (void)
{
  printf ("%d passed, %d failed\n", tap_pass, tap_fail);
  return tap_fail ? 1 : 0;
}
#endif
