/* gkbench: summary statistics of a set of samples (pure functions). */
#ifndef GKB_STATS_H
#define GKB_STATS_H
#include <stddef.h>

struct gkb_summary {
  size_t n;
  double median, min, max, mean;
};

/* Summary of V[0..N-1] (V is not modified).  N == 0 gives all zeros. */
struct gkb_summary gkb_summarize (const double *v, size_t n);
/* The P-th percentile (0..100), linear between closest ranks; 0 if N == 0. */
double gkb_percentile (const double *v, size_t n, double p);
#endif
