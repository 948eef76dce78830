/* Unit test of gkbench's pure parts: statistics, the result set, the
 * limiter observation and the output formats (no appliance). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gkb-stats.h"
#include "gkb-results.h"
#include "gkb-output.h"
#include "gkb-limiter.h"
#include "tap.h"

static int
near (double a, double b)
{
  return fabs (a - b) < 1e-9;
}

/* Output captured in memory: open, write, then take the text. */
struct mem { char *buf; size_t len; FILE *fp; };

static FILE *
mem_open (struct mem *m)
{
  m->buf = NULL;
  return m->fp = open_memstream (&m->buf, &m->len);
}

static char *
mem_take (struct mem *m)
{
  fclose (m->fp);
  return m->buf;
}

/* What WRITER prints for R. */
static char *
capture (void (*writer) (FILE *, const struct gkb_results *), const struct gkb_results *r)
{
  struct mem m;
  writer (mem_open (&m), r);
  return mem_take (&m);
}

static char *
capture_str (void (*writer) (FILE *, const char *), const char *s)
{
  struct mem m;
  writer (mem_open (&m), s);
  return mem_take (&m);
}

int
main (void)
{
  double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };
  struct gkb_summary s = gkb_summarize (odd, 3);
  CHECK (s.n == 3 && near (s.median, 3) && near (s.min, 1) && near (s.max, 5) && near (s.mean, 3),
         "odd count: median 3, min 1, max 5, mean 3");
  CHECK (odd[0] == 5 && odd[1] == 1, "the samples are not reordered");
  s = gkb_summarize (even, 4);
  CHECK (near (s.median, 2.5) && near (s.min, 1) && near (s.max, 4), "even count: median 2.5");
  s = gkb_summarize (one, 1);
  CHECK (near (s.median, 7) && near (s.min, 7) && near (s.max, 7), "one sample");
  s = gkb_summarize (NULL, 0);
  CHECK (s.n == 0 && s.median == 0, "no samples: zeros, no crash");
  CHECK (near (gkb_percentile (even, 4, 0), 1) && near (gkb_percentile (even, 4, 100), 4)
         && near (gkb_percentile (even, 4, 50), 2.5) && near (gkb_percentile (even, 4, 25), 1.75),
         "percentiles interpolate between ranks");

  struct gkb_results r = { 0 };
  struct gkb_fig *f = gkb_fig (&r, "upload", "upload", "qemu:tcg", "s", 0);
  CHECK (f && gkb_fig (&r, "upload", "upload", "qemu:tcg", "x", 1) == f, "figures are found again by name");
  f->bytes = 10 * 1048576.0;
  double up[] = { 2, 1, 4 };
  for (int i = 0; i < 3; i++) {
    gkb_add (f, up[i]);
    gkb_add_aux (f, "wall_s", up[i]);
    gkb_add_aux (f, "backend_cpu_s", up[i] * 0.95);
    gkb_add_aux (f, "transport_s", up[i] * 0.5);
    gkb_add_aux (f, "guest_write_s", up[i] * 0.6);
    gkb_add_aux (f, "guest_fsync_s", up[i] * 0.1);
  }
  struct gkb_fig *l = gkb_fig (&r, "upload", "upload", "libguestfs", "s", 0);
  gkb_add (l, 10);
  gkb_add (l, 12);
  CHECK (near (gkb_ratio (&r, f), 11.0 / 2), "ratio: libguestfs median / ours for times (%g)", gkb_ratio (&r, f));
  CHECK (gkb_ratio (&r, l) == 0, "no ratio for libguestfs itself");
  struct gkb_fig *d = gkb_fig (&r, "disk", "seqwrite", "qemu:tcg virtio-blk \"raw\", none", "MiB/s", 1);
  gkb_add (d, 100);
  gkb_add_aux (d, "wall_s", 1.0);
  gkb_add_aux (d, "guest_busy_s", 0.2);
  gkb_add_aux (d, "backend_cpu_s", 0.5);
  gkb_note (&r, "backend uml does not work here, skipped: \"x\"\tok");
  gkb_machine (&r, "cpu", "AMD \"EPYC\"\n");

  f->limiter = gkb_limiter (f);
  d->limiter = gkb_limiter (d);
  CHECK (f->limiter && strstr (f->limiter, "host CPU") && strstr (f->limiter, "95%")
         && strstr (f->limiter, "guest disk (write + fsync) 70%"),
         "limiter: saturated backend CPU, largest part named with its share (%s)", f->limiter);
  CHECK (d->limiter && strstr (d->limiter, "guest disk") && strstr (d->limiter, "busy only 20%"),
         "limiter: idle guest, unsaturated host: the disk path (%s)", d->limiter);
  CHECK (gkb_limiter (l) == NULL, "limiter: nothing to observe without wall_s");
  struct gkb_fig g = { 0 };
  gkb_add_aux (&g, "wall_s", 2);
  gkb_add_aux (&g, "guest_busy_s", 1.9);
  char *gl = gkb_limiter (&g);
  CHECK (gl && strncmp (gl, "guest CPU: appliance busy 95%", 29) == 0, "limiter: busy guest (%s)", gl);
  free (gl);
  gkb_add_aux (&g, "transport_s", 1.2);
  g.aux[1].v[0] = 0.5;                       /* appliance busy 25% */
  gl = gkb_limiter (&g);
  CHECK (gl && strcmp (gl, "transport 60% of wall; appliance busy 25%") == 0,
         "limiter: neither CPU saturated: the largest part, with the guest's CPU (%s)", gl);
  free (gl);
  for (size_t i = 0; i < g.naux; i++) free (g.aux[i].v);

  char *j = capture_str (gkb_json_string, "a\"b\\c\n\x01\xc3\xa9");
  CHECK (strcmp (j, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"") == 0, "JSON escaping (%s)", j);
  free (j);
  char *c1 = capture_str (gkb_csv_field, "plain"), *c2 = capture_str (gkb_csv_field, "a,\"b\"\nc");
  CHECK (strcmp (c1, "plain") == 0 && strcmp (c2, "\"a,\"\"b\"\"\nc\"") == 0,
         "CSV quoting only when needed, quotes doubled (%s)", c2);
  free (c1);
  free (c2);

  char *js = capture (gkb_write_json, &r);
  CHECK (strstr (js, "\"samples\": [2, 1, 4]") && strstr (js, "\"median\": 2,")
         && strstr (js, "\"wall_s\": [2, 1, 4]") && strstr (js, "\"ratio_vs_libguestfs\": 5.5")
         && strstr (js, "\"cpu\": \"AMD \\\"EPYC\\\"\\n\"") && strstr (js, "\\tok")
         && strstr (js, "\"interrupted\": false"),
         "JSON: raw samples, split, ratio, machine and notes escaped");
  free (js);
  char *csv = capture (gkb_write_csv, &r);
  CHECK (strncmp (csv, "group,name,config,series,unit,run,value\n", 40) == 0
         && strstr (csv, "upload,upload,qemu:tcg,value,s,3,4\n")
         && strstr (csv, "upload,upload,qemu:tcg,transport_s,s,1,1\n")
         && strstr (csv, "disk,seqwrite,\"qemu:tcg virtio-blk \"\"raw\"\", none\",value,MiB/s,1,100\n"),
         "CSV: one row per sample, quoted config");
  free (csv);
  char *t = capture (gkb_write_table, &r);
  CHECK (strstr (t, "median") && strstr (t, "upload/upload") && strstr (t, "5.50x")
         && strstr (t, "5.0") /* MiB/s: 10 MiB in a median of 2 s */
         && strstr (t, "note: backend uml"), "table: median, rate, ratio, notes");
  free (t);
  char *md = capture (gkb_write_markdown, &r);
  CHECK (strstr (md, "| upload/upload | qemu:tcg | 2 | 1 | 4 | s | 3 | 5.0 | 5.50x |")
         && strstr (md, "|---|"), "markdown table row");
  free (md);
  r.interrupted = 1;
  js = capture (gkb_write_json, &r);
  CHECK (strstr (js, "\"interrupted\": true"), "JSON says when the run was interrupted");
  free (js);
  gkb_results_free (&r);

  char *o = gkb_one_line ("launch: the appliance died\n--- last console output ---\n"
                          "modprobe: x?\nguestkitd: only 0 of 1 drives appeared?\n[ 2.1] reboot?\n");
  CHECK (o && strcmp (o, "launch: the appliance died (guestkitd: only 0 of 1 drives appeared)") == 0,
         "one-line reason keeps the daemon's last word (%s)", o);
  free (o);
  o = gkb_one_line ("set-backend: unknown backend 'x'");
  CHECK (o && strcmp (o, "set-backend: unknown backend 'x'") == 0, "one-line reason unchanged");
  free (o);
  return tap_done ();
}
