/* Parsing the tree description (spec.h). */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

/* Split off the next tab-separated field; NULL when there is none. */
static char *
field (char **s)
{
  if (!*s) return NULL;
  char *f = *s, *t = strchr (f, '\t');
  if (t) { *t = '\0'; *s = t + 1; }
  else *s = NULL;
  return f;
}

static int
octal (const char *s, int *out)
{
  if (strcmp (s, "-") == 0) { *out = -1; return 0; }
  char *end;
  long v = strtol (s, &end, 8);
  if (!*s || *end || v < 0 || v > 07777) return -1;
  *out = (int) v;
  return 0;
}

static int
number (const char *s, unsigned *out)
{
  char *end;
  unsigned long v = strtoul (s, &end, 10);
  if (!*s || *end || v > 0xffffffffUL) return -1;
  *out = (unsigned) v;
  return 0;
}

/* Decode \n \t \\ in place. */
static size_t
unescape (char *s)
{
  char *w = s;
  for (const char *r = s; *r; r++) {
    if (*r == '\\' && r[1]) {
      r++;
      *w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
    } else *w++ = *r;
  }
  *w = '\0';
  return (size_t) (w - s);
}

int
gk_int_spec_parse (char *line, struct gk_int_spec *e, const char **why)
{
  memset (e, 0, sizeof *e);
  if (!line[0]) return 0;
  char *rest = line, *type = field (&rest), *name = field (&rest);
  if (!name || strlen (type) != 1 || !strchr ("dlcfs", type[0])) {
    *why = "expected TYPE<TAB>NAME with TYPE one of d l c f s";
    return -1;
  }
  e->type = type[0];
  while (*name == '/') name++;
  if (!*name || strstr (name, "..")) { *why = "empty name or a name with '..'"; return -1; }
  e->name = name;
  if (e->type == 'l') {
    char *t = field (&rest);
    if (!t || !*t || rest) { *why = "l: expected NAME<TAB>TARGET"; return -1; }
    e->arg = t;
    e->arglen = strlen (t);
    return 1;
  }
  char *mode = field (&rest);
  if (!mode || octal (mode, &e->mode) == -1 || (e->mode == -1 && e->type != 'f')) {
    *why = "bad or missing octal MODE";
    return -1;
  }
  switch (e->type) {
  case 'd':
    if (rest) { *why = "d: expected NAME<TAB>MODE"; return -1; }
    return 1;
  case 'c': {
    char *ma = field (&rest), *mi = field (&rest);
    if (!mi || rest || number (ma, &e->major) == -1 || number (mi, &e->minor) == -1) {
      *why = "c: expected NAME<TAB>MODE<TAB>MAJOR<TAB>MINOR";
      return -1;
    }
    return 1;
  }
  default: {                             /* 'f', 's' */
    char *a = field (&rest);
    if (!a || rest || (e->type == 'f' && a[0] != '/')) {
      *why = e->type == 'f' ? "f: expected NAME<TAB>MODE<TAB>/HOSTPATH"
                            : "s: expected NAME<TAB>MODE<TAB>TEXT";
      return -1;
    }
    e->arg = a;
    e->arglen = e->type == 's' ? unescape (a) : strlen (a);
    return 1;
  }
  }
}
