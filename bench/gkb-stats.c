/* gkbench: summary statistics (gkb-stats.h). */
#include <stdlib.h>
#include <string.h>
#include "gkb-stats.h"

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* A sorted copy, or NULL (N == 0 or out of memory). */
static double *
sorted (const double *v, size_t n)
{
  if (n == 0) return NULL;
  double *s = malloc (n * sizeof *s);
  if (!s) return NULL;
  memcpy (s, v, n * sizeof *s);
  qsort (s, n, sizeof *s, cmp);
  return s;
}

static double
pct_sorted (const double *s, size_t n, double p)
{
  if (p <= 0) return s[0];
  if (p >= 100) return s[n - 1];
  double r = p / 100.0 * (double) (n - 1);
  size_t i = (size_t) r;
  double f = r - (double) i;
  return i + 1 < n ? s[i] + f * (s[i + 1] - s[i]) : s[i];
}

double
gkb_percentile (const double *v, size_t n, double p)
{
  double *s = sorted (v, n);
  if (!s) return 0;
  double r = pct_sorted (s, n, p);
  free (s);
  return r;
}

struct gkb_summary
gkb_summarize (const double *v, size_t n)
{
  struct gkb_summary r = { 0 };
  double *s = sorted (v, n);
  if (!s) return r;
  r.n = n;
  r.min = s[0];
  r.max = s[n - 1];
  r.median = pct_sorted (s, n, 50);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += s[i];
  r.mean = sum / (double) n;
  free (s);
  return r;
}
