/* Round trip of a small call (echo-daemon) on one launched appliance:
 * 5 rounds of 200 calls, prints ms per call.  The backend comes from
 * GUESTKIT_BACKEND.  Usage: bench/roundtrip */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <guestkit.h>

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int
main (void)
{
  gk_h *g = gk_create ();
  if (!g) return 1;
  if (gk_add_drive (g, "/dev/null", NULL) == -1 || gk_launch (g) == -1) {
    fprintf (stderr, "roundtrip: %s\n", gk_last_error (g));
    gk_close (g);
    return 1;
  }
  char *words[] = { "x", NULL };
  double ms[5];
  for (int r = 0; r < 5; r++) {
    double t0 = now ();
    for (int i = 0; i < 200; i++) {
      char *s = gk_echo_daemon (g, words);
      if (!s) { fprintf (stderr, "roundtrip: %s\n", gk_last_error (g)); gk_close (g); return 1; }
      free (s);
    }
    ms[r] = (now () - t0) / 200 * 1000;
  }
  /* Median of the 5 rounds. */
  for (int i = 0; i < 5; i++)
    for (int j = i + 1; j < 5; j++)
      if (ms[j] < ms[i]) { double t = ms[i]; ms[i] = ms[j]; ms[j] = t; }
  char *b = gk_get_backend (g);
  printf ("%s: echo-daemon round trip median %.3f ms (min %.3f, max %.3f; 5 x 200 calls)\n",
          b ? b : "?", ms[2], ms[0], ms[4]);
  free (b);
  gk_close (g);
  return 0;
}
