/* Module dependency resolution (moddeps.h). */
#include "moddeps.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

struct mod {
  char name[64];             /* normalised: no directory, no .ko*, '_' */
  char *path;                /* as in modules.dep */
  char *deps;                /* space-separated paths */
  unsigned char done[2];     /* printed as COPY / BOOT */
};

static void
modname (const char *p, size_t len, char *out, size_t outlen)
{
  const char *b = p;
  for (size_t i = 0; i < len; i++) if (p[i] == '/') b = p + i + 1;
  size_t n = (size_t) (p + len - b);
  const char *ko = NULL;
  for (const char *s = b; s + 3 <= b + n; s++)
    if (memcmp (s, ".ko", 3) == 0 && (s + 3 == b + n || s[3] == '.')) { ko = s; break; }
  if (ko) n = (size_t) (ko - b);
  if (n >= outlen) n = outlen - 1;
  for (size_t i = 0; i < n; i++) out[i] = b[i] == '-' ? '_' : b[i];
  out[n] = '\0';
}

static int
cmp (const void *a, const void *b)
{
  return strcmp (((const struct mod *) a)->name, ((const struct mod *) b)->name);
}

static struct mod *
find (struct mod *m, size_t n, const char *name)
{
  struct mod key;
  snprintf (key.name, sizeof key.name, "%s", name);
  return bsearch (&key, m, n, sizeof *m, cmp);
}

/* Print M's dependencies (last listed first, as depmod orders them)
   and then M, once each. */
static void
visit (struct mod *all, size_t n, struct mod *m, int which, FILE *out)
{
  if (m->done[which]) return;
  m->done[which] = 1;
  const char *d = m->deps, *end = d + strlen (d);
  while (end > d) {
    while (end > d && end[-1] == ' ') end--;
    const char *s = end;
    while (s > d && s[-1] != ' ') s--;
    if (s < end) {
      char nm[64];
      modname (s, (size_t) (end - s), nm, sizeof nm);
      struct mod *dep = find (all, n, nm);
      if (dep) visit (all, n, dep, which, out);
    }
    end = s;
  }
  fprintf (out, "%s %s\n", which ? "BOOT" : "COPY", m->path);
}

static int
in_builtin (const char *builtin, const char *name)
{
  char nm[64];
  for (const char *l = builtin; *l; ) {
    const char *e = strchr (l, '\n');
    size_t len = e ? (size_t) (e - l) : strlen (l);
    modname (l, len, nm, sizeof nm);
    if (len && strcmp (nm, name) == 0) return 1;
    l += len + (e ? 1 : 0);
  }
  return 0;
}

int
gk_int_moddeps_resolve (char *dep, const char *builtin, char *list,
                        const char *flavour, FILE *out, char *err, size_t errlen)
{
  struct mod *m = NULL;
  size_t n = 0, cap = 0, nwant = 0, wcap = 0;
  struct { struct mod *m; int boot; } *want = NULL;
  int r = -1;
  for (char *save = NULL, *l = strtok_r (dep, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
    char *colon = strchr (l, ':');
    if (!colon) continue;
    *colon = '\0';
    if (gk_int_grow ((void **) &m, &cap, n + 1, sizeof *m, 256) == -1) goto nomem;
    modname (l, strlen (l), m[n].name, sizeof m[n].name);
    m[n].path = l;
    m[n].deps = colon + 1;
    m[n].done[0] = m[n].done[1] = 0;
    n++;
  }
  if (n) qsort (m, n, sizeof *m, cmp);
  for (char *save = NULL, *l = strtok_r (list, "\n", &save); l; l = strtok_r (NULL, "\n", &save)) {
    char *hash = strchr (l, '#');
    if (hash) *hash = '\0';
    char *s2 = NULL, *w = strtok_r (l, " \t", &s2);
    if (!w) continue;
    char name[64];
    size_t wl = strlen (w);
    int opt = wl > 0 && w[wl - 1] == '?', boot = 0, has_fl = 0, match_fl = 0;
    modname (w, wl - (size_t) opt, name, sizeof name);
    for (char *t = strtok_r (NULL, " \t", &s2); t; t = strtok_r (NULL, " \t", &s2)) {
      if (strcmp (t, "boot") == 0) boot = 1;
      else if (strcmp (t, "qemu") == 0 || strcmp (t, "uml") == 0) {
        has_fl = 1;
        if (strcmp (t, flavour) == 0) match_fl = 1;
      } else {
        snprintf (err, errlen, "modules.list: unknown tag '%s' (expected boot, qemu or uml)", t);
        goto out;
      }
    }
    if (has_fl && !match_fl) continue;
    struct mod *f = n ? find (m, n, name) : NULL;
    if (f) {
      if (gk_int_grow ((void **) &want, &wcap, nwant + 1, sizeof *want, 16) == -1) goto nomem;
      want[nwant].m = f;
      want[nwant++].boot = boot;
    } else if (in_builtin (builtin, name)) fprintf (out, "BUILTIN %s\n", name);
    else fprintf (out, "%s %s\n", opt ? "OPTMISSING" : "MISSING", name);
  }
  for (size_t i = 0; i < nwant; i++) visit (m, n, want[i].m, 0, out);
  for (size_t i = 0; i < nwant; i++) if (want[i].boot) visit (m, n, want[i].m, 1, out);
  r = 0;
  goto out;
nomem:
  snprintf (err, errlen, "resolving modules: out of memory");
out:
  free (m);
  free (want);
  return r;
}
