/* guestkit: lookups and freeing over the API table. */
#include <stdlib.h>
#include <string.h>
#include "api.h"

/* Names compare with '_' equal to '-': guestfish accepts both
 * spellings (list_partitions). */
static int
name_eq (const char *a, const char *b, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char x = a[i] == '_' ? '-' : a[i], y = b[i] == '_' ? '-' : b[i];
    if (x != y || !x) return 0;
  }
  return 1;
}

const struct gk_int_call *
gk_int_lookup_call (const char *name)
{
  size_t n = strlen (name);
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (strlen (c->name) == n && name_eq (c->name, name, n)) return c;
    if (c->aliases) {
      for (const char *p = c->aliases; *p; ) {
        size_t w = strcspn (p, " ");
        if (w == n && name_eq (p, name, n)) return c;
        p += w;
        while (*p == ' ') p++;
      }
    }
  }
  return NULL;
}

const struct gk_int_call *
gk_int_lookup_proc (int proc)
{
  if (proc <= 0) return NULL;
  for (size_t i = 0; gk_int_calls[i].name; i++)
    if (gk_int_calls[i].proc == proc) return &gk_int_calls[i];
  return NULL;
}

const struct gk_int_struct *
gk_int_lookup_struct (const char *name)
{
  for (size_t i = 0; gk_int_structs[i].name; i++)
    if (strcmp (gk_int_structs[i].name, name) == 0) return &gk_int_structs[i];
  return NULL;
}

size_t
gk_int_count_args (const struct gk_int_arg *args)
{
  size_t n = 0;
  while (args[n].type != GK_T_END) n++;
  return n;
}

int
gk_int_has_key_arg (const struct gk_int_call *c)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    if (c->args[i].sub == GK_S_KEY) return 1;
  return 0;
}

static void
free_strlist (char **sl)
{
  if (!sl) return;
  for (size_t i = 0; sl[i]; i++) free (sl[i]);
  free (sl);
}

void
gk_int_free_val (enum gk_int_type t, union gk_int_val *v)
{
  switch (t) {
  case GK_T_STRING: case GK_T_OPTSTRING: free (v->s); v->s = NULL; break;
  case GK_T_STRINGLIST: free_strlist (v->sl); v->sl = NULL; break;
  case GK_T_BUFFER: free (v->buf.data); v->buf.data = NULL; break;
  default: break;
  }
}

void
gk_int_free_sval (const struct gk_int_struct *s, struct gk_int_sval *v)
{
  for (size_t i = 0; s->fields[i].type != GK_FT_END; i++)
    if (s->fields[i].type == GK_FT_STRING) { free (v->f[i].s); v->f[i].s = NULL; }
}

void
gk_int_free_ret (const struct gk_int_call *c, union gk_int_val *v)
{
  const struct gk_int_struct *s = c->ret_struct ? gk_int_lookup_struct (c->ret_struct) : NULL;
  switch (c->ret) {
  case GK_R_STRING: free (v->s); v->s = NULL; break;
  case GK_R_STRINGLIST: free_strlist (v->sl); v->sl = NULL; break;
  case GK_R_BUFFER: free (v->buf.data); v->buf.data = NULL; break;
  case GK_R_STRUCT:
    if (v->st) { gk_int_free_sval (s, v->st); free (v->st); v->st = NULL; }
    break;
  case GK_R_STRUCTLIST:
    if (v->stl) {
      for (size_t i = 0; i < v->stl->len; i++) gk_int_free_sval (s, &v->stl->val[i]);
      free (v->stl->val);
      free (v->stl);
      v->stl = NULL;
    }
    break;
  default: break;
  }
}

/* The result of a call that did nothing: 0, "", an empty list, a struct of
 * empty fields.  Only the test-only no-op check (configure
 * --enable-noop-check, tests/noop-check.sh) uses it. */
int
gk_int_empty_ret (const struct gk_int_call *c, union gk_int_val *r)
{
  const struct gk_int_struct *s = c->ret_struct ? gk_int_lookup_struct (c->ret_struct) : NULL;
  memset (r, 0, sizeof *r);
  switch (c->ret) {
  case GK_R_STRING: return (r->s = strdup ("")) ? 0 : -1;
  case GK_R_STRINGLIST: return (r->sl = calloc (1, sizeof *r->sl)) ? 0 : -1;
  case GK_R_BUFFER: return (r->buf.data = malloc (1)) ? 0 : -1;
  case GK_R_STRUCT:
    if (!s || !(r->st = calloc (1, sizeof *r->st))) return -1;
    for (size_t i = 0; s->fields[i].type != GK_FT_END; i++)
      if (s->fields[i].type == GK_FT_STRING && !(r->st->f[i].s = strdup (""))) {
        gk_int_free_ret (c, r);
        return -1;
      }
    return 0;
  case GK_R_STRUCTLIST:
    if (!(r->stl = calloc (1, sizeof *r->stl))) return -1;
    if (!(r->stl->val = calloc (1, sizeof *r->stl->val))) {
      free (r->stl);
      r->stl = NULL;
      return -1;
    }
    return 0;
  default: return 0;
  }
}
