/* gkbatch: one progress line on standard error (a terminal, or
 * --progress): done, failed, running, images per minute and the
 * estimated time left. */
#include "gkbatch.h"
#include "i18n.h"

void
gkb_progress (const struct gkb_counts *c, double elapsed, int final)
{
  size_t bad = c->failed + c->timeout;
  size_t worked = c->done - c->skipped;     /* skipped ones took no time */
  double rate = elapsed > 0 ? worked * 60.0 / elapsed : 0;
  size_t left = c->total > c->done ? c->total - c->done : 0;
  fputs ("\r\033[K", stderr);
  fprintf (stderr, _("%zu/%zu done, %zu failed, %zu running, %.1f images/min"),
           c->done, c->total, bad, c->running, rate);
  if (!final && rate > 0 && left) {
    long eta = (long) (left * 60.0 / rate);
    fprintf (stderr, _(", ETA %ld:%02ld:%02ld"), eta / 3600, eta / 60 % 60, eta % 60);
  }
  if (final) fputc ('\n', stderr);
  fflush (stderr);
}
