/* gkbench: the result set (gkb-results.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gkb-results.h"
#include "gkb-stats.h"
#include "grow.h"

static int
push (struct gkb_series *s, double v)
{
  if (gk_int_grow ((void **) &s->v, &s->cap, s->n + 1, sizeof *s->v, 8) == -1) return -1;
  s->v[s->n++] = v;
  return 0;
}

struct gkb_fig *
gkb_fig (struct gkb_results *r, const char *group, const char *name,
         const char *config, const char *unit, int higher_better)
{
  for (size_t i = 0; i < r->nfigs; i++) {
    struct gkb_fig *f = r->figs[i];
    if (!strcmp (f->group, group) && !strcmp (f->name, name) && !strcmp (f->config, config))
      return f;
  }
  if (gk_int_grow ((void **) &r->figs, &r->capfigs, r->nfigs + 1, sizeof *r->figs, 8) == -1)
    return NULL;
  struct gkb_fig *f = calloc (1, sizeof *f);
  if (!f) return NULL;
  f->group = strdup (group);
  f->name = strdup (name);
  f->config = strdup (config);
  f->unit = strdup (unit);
  f->higher_better = higher_better;
  snprintf (f->main.name, sizeof f->main.name, "%s", name);
  if (!f->group || !f->name || !f->config || !f->unit) {
    free (f->group); free (f->name); free (f->config); free (f->unit); free (f);
    return NULL;
  }
  r->figs[r->nfigs++] = f;
  return f;
}

int
gkb_add (struct gkb_fig *f, double v)
{
  return push (&f->main, v);
}

const struct gkb_series *
gkb_aux (const struct gkb_fig *f, const char *name)
{
  for (size_t i = 0; i < f->naux; i++)
    if (strcmp (f->aux[i].name, name) == 0) return &f->aux[i];
  return NULL;
}

int
gkb_add_aux (struct gkb_fig *f, const char *name, double v)
{
  struct gkb_series *s = (struct gkb_series *) gkb_aux (f, name);
  if (!s) {
    if (f->naux == GKB_MAX_AUX) return -1;
    s = &f->aux[f->naux++];
    snprintf (s->name, sizeof s->name, "%s", name);
  }
  return push (s, v);
}

int
gkb_machine (struct gkb_results *r, const char *key, const char *val)
{
  if (gk_int_grow ((void **) &r->machine, &r->capmachine, r->nmachine + 1, sizeof *r->machine, 8) == -1)
    return -1;
  struct gkb_kv *kv = &r->machine[r->nmachine];
  kv->key = strdup (key);
  kv->val = strdup (val ? val : "");
  if (!kv->key || !kv->val) { free (kv->key); free (kv->val); return -1; }
  r->nmachine++;
  return 0;
}

int
gkb_note (struct gkb_results *r, const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start (ap, fmt);
  int k = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (k == -1) return -1;
  if (gk_int_grow ((void **) &r->notes, &r->capnotes, r->nnotes + 1, sizeof *r->notes, 4) == -1) {
    free (s);
    return -1;
  }
  r->notes[r->nnotes++] = s;
  return 0;
}

double
gkb_ratio (const struct gkb_results *r, const struct gkb_fig *f)
{
  if (strcmp (f->config, "libguestfs") == 0 || f->main.n == 0) return 0;
  for (size_t i = 0; i < r->nfigs; i++) {
    const struct gkb_fig *l = r->figs[i];
    if (strcmp (l->config, "libguestfs") || strcmp (l->group, f->group)
        || strcmp (l->name, f->name) || l->main.n == 0)
      continue;
    double a = gkb_summarize (f->main.v, f->main.n).median;
    double b = gkb_summarize (l->main.v, l->main.n).median;
    if (a <= 0 || b <= 0) return 0;
    return f->higher_better ? a / b : b / a;
  }
  return 0;
}

void
gkb_results_free (struct gkb_results *r)
{
  for (size_t i = 0; i < r->nfigs; i++) {
    struct gkb_fig *f = r->figs[i];
    free (f->group); free (f->name); free (f->config); free (f->unit); free (f->limiter);
    free (f->main.v);
    for (size_t j = 0; j < f->naux; j++) free (f->aux[j].v);
    free (f);
  }
  free (r->figs);
  for (size_t i = 0; i < r->nmachine; i++) { free (r->machine[i].key); free (r->machine[i].val); }
  free (r->machine);
  for (size_t i = 0; i < r->nnotes; i++) free (r->notes[i]);
  free (r->notes);
  free (r->command);
  memset (r, 0, sizeof *r);
}

char *
gkb_one_line (const char *err)
{
  if (!err) err = "";
  size_t first = strcspn (err, "\n");
  const char *last = NULL;
  for (const char *p = err; (p = strstr (p, "guestkitd: ")); p++)
    if (p == err || p[-1] == '\n') last = p;
  size_t ll = last ? strcspn (last, "\n") : 0;
  /* The console's carriage returns arrive shown as '?'. */
  while (ll > 0 && (last[ll - 1] == '?' || last[ll - 1] == '\r')) ll--;
  char *s = NULL;
  if (last && last > err + first)
    return asprintf (&s, "%.*s (%.*s)", (int) first, err, (int) ll, last) == -1 ? NULL : s;
  return strndup (err, first);
}
