/* gkbench: writing the results: the plain table a person reads, JSON with
 * every raw sample, CSV, a markdown table for docs/benchmarks.md. */
#ifndef GKB_OUTPUT_H
#define GKB_OUTPUT_H
#include <stdio.h>
#include "gkb-results.h"

void gkb_write_table (FILE *fp, const struct gkb_results *r);
void gkb_write_json (FILE *fp, const struct gkb_results *r);
void gkb_write_csv (FILE *fp, const struct gkb_results *r);
void gkb_write_markdown (FILE *fp, const struct gkb_results *r);

/* S as a JSON string, quotes included (control characters escaped, bytes
 * >= 0x80 passed through). */
void gkb_json_string (FILE *fp, const char *s);
/* S as one CSV field (RFC 4180: quoted when it holds , " CR or LF). */
void gkb_csv_field (FILE *fp, const char *s);
#endif
