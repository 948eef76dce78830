/* guestkit: the command layer's trace (gkfish -x, LIBGUESTFS_TRACE=1):
 * each call and its result as a line on the trace stream, in libguestfs's
 * trace format with gkfish's name ("gkfish: trace: add_drive "d.img"
 * "format:raw"", "gkfish: trace: add_drive = 0"), so that what scripts
 * and tests grep for (the call, its arguments) reads the same. */
#include <inttypes.h>
#include <string.h>
#include "cmd.h"
#include "escape.h"

static FILE *trace_f;

void
gk_cmd_set_trace (FILE *f)
{
  trace_f = f;
}

/* libguestfs's names: underscores. */
static void
name (const char *n)
{
  for (; *n; n++) fputc (*n == '-' ? '_' : *n, trace_f);
}

/* A quoted string, escaped: the trace may be a terminal. */
static void
quoted (const char *pre, const char *s, size_t n)
{
  fprintf (trace_f, "%s\"", pre);
  gk_esc_write (trace_f, s, n, 0);
  fputc ('"', trace_f);
}

static void
value (enum gk_int_type t, const union gk_int_val *v, const char *optname)
{
  char pre[80] = "";
  if (optname) snprintf (pre, sizeof pre, "%s:", optname);
  fputc (' ', trace_f);
  switch (t) {
  case GK_T_BOOL:
    if (optname) fprintf (trace_f, "\"%s%s\"", pre, v->i ? "true" : "false");
    else fprintf (trace_f, "%s", v->i ? "true" : "false");
    break;
  case GK_T_INT:
    if (optname) fprintf (trace_f, "\"%s%" PRId32 "\"", pre, v->i);
    else fprintf (trace_f, "%" PRId32, v->i);
    break;
  case GK_T_INT64:
    if (optname) fprintf (trace_f, "\"%s%" PRId64 "\"", pre, v->i64);
    else fprintf (trace_f, "%" PRId64, v->i64);
    break;
  case GK_T_STRING: case GK_T_OPTSTRING:
    if (!v->s) fputs ("NULL", trace_f);
    else {
      fprintf (trace_f, "\"%s", pre);
      gk_esc_write (trace_f, v->s, strlen (v->s), 0);
      fputc ('"', trace_f);
    }
    break;
  case GK_T_STRINGLIST:
    fprintf (trace_f, "\"%s", pre);   /* an optional one: "server:tcp:h:p" */
    for (size_t i = 0; v->sl && v->sl[i]; i++) {
      if (i) fputc (' ', trace_f);
      gk_esc_write (trace_f, v->sl[i], strlen (v->sl[i]), 0);
    }
    fputc ('"', trace_f);
    break;
  case GK_T_BUFFER:
    fprintf (trace_f, "<buffer of %zu bytes>", v->buf.len);
    break;
  case GK_T_END: break;
  }
}

void
gk_cmd_trace_call (const struct gk_cmd *cmd)
{
  const struct gk_int_call *c = cmd->call;
  if (!trace_f) return;
  fputs ("gkfish: trace: ", trace_f);
  name (c->name);
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    value (c->args[i].type, &cmd->args[i], NULL);
  /* libguestfs lists add_drive's readonly before its format (scripts and
   * its tests grep "readonly:true.*format:qcow2"): readonly first. */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
      if ((cmd->opt.bitmask & (UINT64_C (1) << i))
          && (strcmp (c->optargs[i].name, "readonly") == 0) == (pass == 0))
        value (c->optargs[i].type, &cmd->opt.v[i], c->optargs[i].name);
  fputc ('\n', trace_f);
  fflush (trace_f);
}

void
gk_cmd_trace_ret (const struct gk_int_call *c, int ok, const union gk_int_val *r)
{
  if (!trace_f) return;
  fputs ("gkfish: trace: ", trace_f);
  name (c->name);
  fputs (" =", trace_f);
  if (!ok) {
    fprintf (trace_f, " %s\n", c->ret == GK_R_STRING || c->ret == GK_R_STRINGLIST
             || c->ret == GK_R_STRUCT || c->ret == GK_R_STRUCTLIST
             || c->ret == GK_R_BUFFER ? "NULL (error)" : "-1 (error)");
    fflush (trace_f);
    return;
  }
  switch (c->ret) {
  case GK_R_ERR: fputs (" 0", trace_f); break;
  case GK_R_INT: case GK_R_BOOL: fprintf (trace_f, " %" PRId32, r->i); break;
  case GK_R_INT64: fprintf (trace_f, " %" PRId64, r->i64); break;
  case GK_R_STRING: quoted (" ", r->s ? r->s : "", r->s ? strlen (r->s) : 0); break;
  case GK_R_BUFFER: fprintf (trace_f, " <buffer of %zu bytes>", r->buf.len); break;
  case GK_R_STRINGLIST:
    fputs (" [", trace_f);
    for (size_t i = 0; r->sl && r->sl[i]; i++)
      quoted (i ? ", " : "", r->sl[i], strlen (r->sl[i]));
    fputc (']', trace_f);
    break;
  case GK_R_STRUCT: fprintf (trace_f, " <struct %s>", c->ret_struct); break;
  case GK_R_STRUCTLIST:
    fprintf (trace_f, " <struct %s list of %zu>", c->ret_struct, r->stl ? r->stl->len : 0);
    break;
  }
  fputc ('\n', trace_f);
  fflush (trace_f);
}
