/* gkbench: output formats (gkb-output.h). */
#include <math.h>
#include <string.h>
#include "gkb-output.h"
#include "gkb-stats.h"

void
gkb_json_string (FILE *fp, const char *s)
{
  fputc ('"', fp);
  for (const unsigned char *p = (const unsigned char *) s; p && *p; p++) {
    switch (*p) {
    case '"': fputs ("\\\"", fp); break;
    case '\\': fputs ("\\\\", fp); break;
    case '\n': fputs ("\\n", fp); break;
    case '\r': fputs ("\\r", fp); break;
    case '\t': fputs ("\\t", fp); break;
    default:
      if (*p < 0x20) fprintf (fp, "\\u%04x", *p);
      else fputc (*p, fp);
    }
  }
  fputc ('"', fp);
}

void
gkb_csv_field (FILE *fp, const char *s)
{
  if (!s) s = "";
  if (!strpbrk (s, ",\"\r\n")) { fputs (s, fp); return; }
  fputc ('"', fp);
  for (; *s; s++) {
    if (*s == '"') fputc ('"', fp);
    fputc (*s, fp);
  }
  fputc ('"', fp);
}

/* JSON has no NaN or infinity. */
static void
json_num (FILE *fp, double v)
{
  if (isfinite (v)) fprintf (fp, "%.9g", v);
  else fputs ("null", fp);
}

static void
json_array (FILE *fp, const struct gkb_series *s)
{
  fputc ('[', fp);
  for (size_t i = 0; i < s->n; i++) {
    if (i) fputs (", ", fp);
    json_num (fp, s->v[i]);
  }
  fputc (']', fp);
}

static char *
fig_label (const struct gkb_fig *f, char *buf, size_t len)
{
  snprintf (buf, len, "%s/%s", f->group, f->name);
  return buf;
}

/* MiB/s of a time figure that moved bytes, from its median; 0 if none. */
static double
rate (const struct gkb_fig *f, const struct gkb_summary *s)
{
  if (f->bytes <= 0 || f->higher_better || s->median <= 0) return 0;
  return f->bytes / 1048576.0 / s->median;
}

void
gkb_write_table (FILE *fp, const struct gkb_results *r)
{
  int wf = 6, wc = 6;
  char lab[256];
  for (size_t i = 0; i < r->nfigs; i++) {
    int a = (int) strlen (fig_label (r->figs[i], lab, sizeof lab));
    int b = (int) strlen (r->figs[i]->config);
    if (a > wf) wf = a;
    if (b > wc) wc = b;
  }
  fprintf (fp, "%-*s  %-*s %10s %10s %10s  %-6s %4s %9s %7s  %s\n", wf, "figure", wc, "config",
           "median", "min", "max", "unit", "runs", "MiB/s", "ratio", "limiter (observed)");
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *f = r->figs[i];
    struct gkb_summary s = gkb_summarize (f->main.v, f->main.n);
    double mb = rate (f, &s), q = gkb_ratio (r, f);
    char mbs[32] = "-", qs[32] = "-";
    if (mb > 0) snprintf (mbs, sizeof mbs, "%.1f", mb);
    if (q > 0) snprintf (qs, sizeof qs, "%.2fx", q);
    fprintf (fp, "%-*s  %-*s %10.4g %10.4g %10.4g  %-6s %4zu %9s %7s  %s\n", wf,
             fig_label (f, lab, sizeof lab), wc, f->config, s.median, s.min, s.max,
             f->unit, s.n, mbs, qs, f->limiter ? f->limiter : "-");
  }
  for (size_t i = 0; i < r->nnotes; i++) fprintf (fp, "note: %s\n", r->notes[i]);
  if (r->interrupted) fprintf (fp, "note: interrupted: figures hold the runs finished before Ctrl-C\n");
}

void
gkb_write_markdown (FILE *fp, const struct gkb_results *r)
{
  fputs ("| figure | config | median | min | max | unit | runs | MiB/s | ratio vs libguestfs | limiter (observed) |\n"
         "|---|---|---|---|---|---|---|---|---|---|\n", fp);
  char lab[256];
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *f = r->figs[i];
    struct gkb_summary s = gkb_summarize (f->main.v, f->main.n);
    double mb = rate (f, &s), q = gkb_ratio (r, f);
    fprintf (fp, "| %s | %s | %.4g | %.4g | %.4g | %s | %zu | ", fig_label (f, lab, sizeof lab),
             f->config, s.median, s.min, s.max, f->unit, s.n);
    if (mb > 0) fprintf (fp, "%.1f | ", mb); else fputs ("- | ", fp);
    if (q > 0) fprintf (fp, "%.2fx | ", q); else fputs ("- | ", fp);
    /* A | inside a cell would split it. */
    for (const char *p = f->limiter ? f->limiter : "-"; *p; p++)
      fputs (*p == '|' ? "\\|" : (char[]) { *p, 0 }, fp);
    fputs (" |\n", fp);
  }
  for (size_t i = 0; i < r->nnotes; i++) fprintf (fp, "\nNote: %s\n", r->notes[i]);
}

void
gkb_write_json (FILE *fp, const struct gkb_results *r)
{
  fputs ("{\n  \"tool\": \"gkbench\",\n  \"command\": ", fp);
  gkb_json_string (fp, r->command ? r->command : "");
  fprintf (fp, ",\n  \"interrupted\": %s,\n  \"machine\": {", r->interrupted ? "true" : "false");
  for (size_t i = 0; i < r->nmachine; i++) {
    fputs (i ? ",\n    " : "\n    ", fp);
    gkb_json_string (fp, r->machine[i].key);
    fputs (": ", fp);
    gkb_json_string (fp, r->machine[i].val);
  }
  fputs ("\n  },\n  \"notes\": [", fp);
  for (size_t i = 0; i < r->nnotes; i++) {
    if (i) fputs (", ", fp);
    gkb_json_string (fp, r->notes[i]);
  }
  fputs ("],\n  \"figures\": [", fp);
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *f = r->figs[i];
    struct gkb_summary s = gkb_summarize (f->main.v, f->main.n);
    fputs (i ? ",\n    {" : "\n    {", fp);
    fputs ("\"group\": ", fp); gkb_json_string (fp, f->group);
    fputs (", \"name\": ", fp); gkb_json_string (fp, f->name);
    fputs (", \"config\": ", fp); gkb_json_string (fp, f->config);
    fputs (", \"unit\": ", fp); gkb_json_string (fp, f->unit);
    fprintf (fp, ", \"higher_is_better\": %s, \"bytes\": ", f->higher_better ? "true" : "false");
    json_num (fp, f->bytes);
    fprintf (fp, ",\n     \"runs\": %zu, \"median\": ", s.n);
    json_num (fp, s.median); fputs (", \"min\": ", fp);
    json_num (fp, s.min); fputs (", \"max\": ", fp);
    json_num (fp, s.max); fputs (", \"mean\": ", fp);
    json_num (fp, s.mean);
    fputs (",\n     \"samples\": ", fp);
    json_array (fp, &f->main);
    fputs (",\n     \"split\": {", fp);
    for (size_t j = 0; j < f->naux; j++) {
      fputs (j ? ", " : "", fp);
      gkb_json_string (fp, f->aux[j].name);
      fputs (": ", fp);
      json_array (fp, &f->aux[j]);
    }
    fputs ("},\n     \"limiter\": ", fp);
    gkb_json_string (fp, f->limiter ? f->limiter : "");
    double q = gkb_ratio (r, f);
    fputs (", \"ratio_vs_libguestfs\": ", fp);
    if (q > 0) json_num (fp, q); else fputs ("null", fp);
    fputc ('}', fp);
  }
  fputs ("\n  ]\n}\n", fp);
}

static void
csv_series (FILE *fp, const struct gkb_fig *f, const struct gkb_series *s, const char *unit)
{
  for (size_t i = 0; i < s->n; i++) {
    gkb_csv_field (fp, f->group); fputc (',', fp);
    gkb_csv_field (fp, f->name); fputc (',', fp);
    gkb_csv_field (fp, f->config); fputc (',', fp);
    gkb_csv_field (fp, s == &f->main ? "value" : s->name); fputc (',', fp);
    gkb_csv_field (fp, unit);
    fprintf (fp, ",%zu,%.9g\n", i + 1, s->v[i]);
  }
}

void
gkb_write_csv (FILE *fp, const struct gkb_results *r)
{
  fputs ("group,name,config,series,unit,run,value\n", fp);
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *f = r->figs[i];
    csv_series (fp, f, &f->main, f->unit);
    for (size_t j = 0; j < f->naux; j++) csv_series (fp, f, &f->aux[j], "s");
  }
}
