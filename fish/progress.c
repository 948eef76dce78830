/* gkfish: progress bars for long calls (upload, download, mkfs ...).
 * Drawn on standard error, redrawn at most 10 times a second:
 *
 *   upload       [=============>                ]  54%    123.0 MiB
 */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gkfish.h"
#include "monoclock.h"

#define BAR_WIDTH 30

static int drawn;            /* a bar is on the screen, its line open */
static char last_call[GK_CMD_NAME_MAX];
static uint64_t last_done, last_total;
static int64_t last_draw_ms;

static int64_t
now_ms (void)
{
  return gk_int_mono_us () / 1000;
}

/* Transfers count bytes; other calls (mkfs) count their own units. */
static int
counts_bytes (const char *call)
{
  const struct gk_int_call *c = gk_int_lookup_call (call);
  for (size_t i = 0; c && c->args[i].type != GK_T_END; i++)
    if (c->args[i].sub == GK_S_FILEIN || c->args[i].sub == GK_S_FILEOUT) return 1;
  return 0;
}

static void
draw (const char *call, uint64_t done, uint64_t total)
{
  char bar[BAR_WIDTH + 1], size[32] = "";
  if (counts_bytes (call))
    snprintf (size, sizeof size, " %8.1f MiB", (double) done / (1024.0 * 1024.0));

  if (total > 0) {
    if (done > total) done = total;
    int pct = (int) (done * 100 / total);
    size_t fill = (size_t) (done * BAR_WIDTH / total);
    memset (bar, '=', fill);
    memset (bar + fill, ' ', BAR_WIDTH - fill);
    if (fill < BAR_WIDTH) bar[fill] = '>';
    bar[BAR_WIDTH] = '\0';
    fprintf (stderr, "\r%-12.12s [%s] %3d%%%s", call, bar, pct, size);
  }
  else
    fprintf (stderr, "\r%-12.12s %s", call, *size ? size : " ...");
  fflush (stderr);
  drawn = 1;
}

static void
on_progress (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) opaque;
  int64_t t = now_ms ();
  int finished = total > 0 && done >= total;

  if (!finished && drawn && t - last_draw_ms < 100) return;
  last_draw_ms = t;
  draw (call, done, total);
  snprintf (last_call, sizeof last_call, "%s", call);
  last_done = done;
  last_total = total;
  if (finished) gk_fish_progress_end (1);
}

void
gk_fish_progress_end (int ok)
{
  if (!drawn) return;
  /* The daemon may not report the very end: a call that succeeded did
   * all of its work. */
  if (ok && last_total > 0 && last_done < last_total)
    draw (last_call, last_total, last_total);
  fputc ('\n', stderr);
  fflush (stderr);
  drawn = 0;
}

void
gk_fish_progress_setup (gk_h *g, int mode)
{
  if (mode == -1) mode = isatty (STDERR_FILENO);
  if (mode) gk_set_progress_callback (g, on_progress, NULL);
}
