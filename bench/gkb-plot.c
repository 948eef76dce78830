/* gkbench --plot: a gnuplot script and its data, one panel per figure
 * (bars: median per configuration, error bars: min..max), rendered by
 * gnuplot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "gkbench.h"
#include "gkb-stats.h"

struct panel { const char *group, *name, *unit; };

int
gkb_plot (const struct gkb_results *r, const char *path)
{
  const char *ext = strrchr (path, '.');
  int svg = ext && strcmp (ext, ".svg") == 0;
  if (!svg && !(ext && strcmp (ext, ".png") == 0)) {
    gkb_error ("--plot %s: the name must end in .svg or .png", path);
    return -1;
  }
  if (strchr (path, '\'') || strchr (path, '\n')) {
    gkb_error ("--plot %s: quotes and newlines are not supported in the name", path);
    return -1;
  }
  struct panel pn[64];
  size_t np = 0;
  for (size_t i = 0; i < r->nfigs && np < 64; i++) {
    size_t j = 0;
    const struct gkb_fig *f = r->figs[i];
    while (j < np && (strcmp (pn[j].group, f->group) || strcmp (pn[j].name, f->name)))
      j++;
    if (j == np && f->main.n) pn[np++] = (struct panel) { f->group, f->name, f->unit };
  }
  if (np == 0) {
    gkb_error ("--plot: nothing was measured, no plot");
    return -1;
  }
  char dir[] = "/tmp/gkbench-plot.XXXXXX";
  if (!mkdtemp (dir)) { gkb_error ("mkdtemp: %s", strerror (errno)); return -1; }
  char script[64], data[80];
  snprintf (script, sizeof script, "%s/plot.gp", dir);
  FILE *gp = fopen (script, "we");
  if (!gp) { gkb_error ("%s: %s", script, strerror (errno)); rmdir (dir); return -1; }
  int h = 330 * (int) np;
  fprintf (gp, "set terminal %s size 1200,%d\nset output '%s'\n", svg ? "svg" : "png", h, path);
  fprintf (gp, "set multiplot layout %zu,1\nset style fill solid 0.5 border -1\n"
           "set boxwidth 0.6\nset xtics rotate by -20 left font ',9'\nset grid ytics\n"
           "set bmargin 6\nset rmargin 12\nunset key\nset yrange [0:*]\n", np);
  for (size_t p = 0; p < np; p++) {
    snprintf (data, sizeof data, "%s/panel%zu.dat", dir, p);
    FILE *d = fopen (data, "we");
    if (!d) break;
    for (size_t i = 0; i < r->nfigs; i++) {
      const struct gkb_fig *f = r->figs[i];
      if (strcmp (f->group, pn[p].group) || strcmp (f->name, pn[p].name) || !f->main.n) continue;
      struct gkb_summary s = gkb_summarize (f->main.v, f->main.n);
      fputc ('"', d);
      for (const char *c = f->config; *c; c++) if (*c != '"') fputc (*c, d);
      fprintf (d, "\" %g %g %g\n", s.median, s.min, s.max);
    }
    fclose (d);
    fprintf (gp, "set title '%s %s (%s; %s is better; bar: median, whiskers: min..max)'\n"
             "set ylabel '%s'\n"
             "plot '%s' using 0:2:xtic(1) with boxes, '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0\n",
             pn[p].group, pn[p].name, pn[p].unit, strcmp (pn[p].unit, "s") ? "higher" : "lower",
             pn[p].unit, data);
  }
  fputs ("unset multiplot\n", gp);
  fclose (gp);
  char *argv[] = { "gnuplot", script, NULL };
  char log[80];
  snprintf (log, sizeof log, "%s/gnuplot.log", dir);
  int st = gkb_run (argv, log, NULL, NULL);
  int ok = st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == 0;
  if (!ok) {
    if (st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == 127)
      gkb_error ("--plot: gnuplot is not installed (apt-get install "
                 "gnuplot-nox); no plot written");
    else
      gkb_error ("--plot: gnuplot failed; script and log kept in %s", dir);
    return -1;
  }
  for (size_t p = 0; p < np; p++) {
    snprintf (data, sizeof data, "%s/panel%zu.dat", dir, p);
    unlink (data);
  }
  unlink (script);
  unlink (log);
  rmdir (dir);
  return 0;
}
