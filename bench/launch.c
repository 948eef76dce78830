/* One launch to ready and shutdown with the public API, like
 * `guestfish -a /dev/null run`; prints the timers as name=usec lines. */
#include <stdio.h>
#include <stdlib.h>
#include <guestkit.h>

int
main (int argc, char **argv)
{
  gk_h *g = gk_create ();
  if (!g) return 1;
  if (gk_add_drive (g, argc > 1 ? argv[1] : "/dev/null", NULL) == -1 || gk_launch (g) == -1) {
    fprintf (stderr, "launch: %s\n", gk_last_error (g));
    gk_close (g);
    return 1;
  }
  struct gk_timing_list *t = gk_get_timings (g);
  for (size_t i = 0; t && i < t->len; i++)
    printf ("%s=%lld\n", t->val[i].name, (long long) t->val[i].usec);
  gk_free_timing_list (t);
  int r = gk_shutdown (g);
  if (r == -1) fprintf (stderr, "shutdown: %s\n", gk_last_error (g));
  gk_close (g);
  return r == -1;
}
