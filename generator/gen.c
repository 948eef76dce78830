/* guestkit generator: reads the API table (common/api-table.c, linked in)
 * and writes one generated file to stdout.
 *
 *   gen header     include/guestkit-actions.h  public prototypes, optarg structs
 *   gen struct-types include/guestkit-structs.h the returned structs (lib and daemon)
 *   gen lib        lib/actions.c               public functions: checks, then RPC or local
 *   gen lib-h      lib/local-calls.h           gk_int_local_* (local calls' bodies)
 *   gen structs    common/structs.c            struct <-> generic conversions
 *   gen daemon-h   daemon/actions.h            do_* prototypes
 *   gen daemon-c   daemon/dispatch.c           daemon dispatch
 *   gen docs       docs/api.md                 reference documentation
 *   gen man3 V     man/guestkit.3              manual page of every call (gen-man.c)
 *   gen man-fish   commands part of man/gkfish.1 (gen-man.c)
 *   gen fish-commands  command names, one a line (bash completion)
 *   gen python     python/guestkit/_actions.py  Python binding (gen-python.c)
 *
 * It also checks the table (unique names and procedure numbers, docs and
 * a test for every call) and fails the build when the table is wrong.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "gen.h"

/* cname and upper return one of a ring of buffers: one statement may
 * use a call's name and all its arguments'. */
#define NAME_RING (GK_MAX_ARGS + GK_MAX_OPTARGS + 2)

char *
cname (const char *name)          /* "mkdir-p" -> "mkdir_p" */
{
  static char buf[NAME_RING][128];
  static int k;
  char *b = buf[k++ % NAME_RING];
  snprintf (b, 128, "%s", name);
  for (char *p = b; *p; p++) if (*p == '-') *p = '_';
  return b;
}

char *
upper (const char *s)
{
  static char buf[NAME_RING][128];
  static int k;
  char *b = buf[k++ % NAME_RING];
  size_t i;
  for (i = 0; s[i] && i < 127; i++) b[i] = s[i] == '-' ? '_' : toupper ((unsigned char) s[i]);
  b[i] = '\0';
  return b;
}

static void
emit_param (const struct gk_int_arg *a)
{
  switch (a->type) {
  case GK_T_BOOL: case GK_T_INT: P ("int %s", a->name); break;
  case GK_T_INT64: P ("int64_t %s", a->name); break;
  case GK_T_STRING: case GK_T_OPTSTRING: P ("const char *%s", a->name); break;
  case GK_T_STRINGLIST: P ("char *const *%s", a->name); break;
  case GK_T_BUFFER: P ("const char *%s, size_t %s_size", a->name, a->name); break;
  case GK_T_END: break;
  }
}

const char *
ret_ctype (const struct gk_int_call *c)
{
  static char b[128];
  switch (c->ret) {
  case GK_R_ERR: case GK_R_INT: case GK_R_BOOL: return "int";
  case GK_R_INT64: return "int64_t";
  case GK_R_STRING: case GK_R_BUFFER: return "char *";
  case GK_R_STRINGLIST: return "char **";
  case GK_R_STRUCT: snprintf (b, sizeof b, "struct gk_%s *", c->ret_struct); return b;
  case GK_R_STRUCTLIST: snprintf (b, sizeof b, "struct gk_%s_list *", c->ret_struct); return b;
  }
  return "int";
}

int has_opts (const struct gk_int_call *c) { return c->optargs[0].type != GK_T_END; }

/* When the call may run, as its flags say (common/api.h). */
const char *
state_doc (const struct gk_int_call *c)
{
  if (c->flags & GK_F_CONFIG) return "Only before the appliance is launched.";
  if (c->flags & GK_F_ANYSTATE) return "In any state, before or after launch.";
  return "Only while the appliance is running.";
}

/* Parameters after the handle (or, in the daemon, the first ones). */
void
emit_params (const struct gk_int_call *c, int daemon)
{
  int first = !daemon ? 0 : 1;
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    if (daemon && c->args[i].sub == GK_S_FILEIN) continue;
    if (daemon && c->args[i].sub == GK_S_FILEOUT) continue;
    if (!first || !daemon) P (", ");
    first = 0;
    emit_param (&c->args[i]);
  }
  if (has_opts (c)) {
    if (!daemon) P (", const struct gk_%s_opts *opts", cname (c->name));
    else
      for (size_t i = 0; c->optargs[i].type != GK_T_END; i++) {
        if (!first) P (", ");
        first = 0;
        emit_param (&c->optargs[i]);
      }
  }
  if (c->ret == GK_R_BUFFER) P ("%ssize_t *size_r", daemon && first ? "" : ", "), first = 0;
  if (daemon && first) P ("void");
}

static int
check_table (void)
{
  int bad = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (!c->shortdesc || !c->longdesc) {
      fprintf (stderr, "gen: %s: missing shortdesc or longdesc\n", c->name); bad = 1;
    }
    if (!(c->flags & GK_F_LOCAL) && c->proc <= 0) {
      fprintf (stderr, "gen: %s: RPC call without a procedure number\n", c->name); bad = 1;
    }
    /* The lists end with GK_T_END inside their arrays: a full array
     * has no end, and every loop over it would run off. */
    if (c->args[GK_MAX_ARGS - 1].type != GK_T_END
        || c->optargs[GK_MAX_OPTARGS - 1].type != GK_T_END) {
      fprintf (stderr, "gen: %s: more than %d arguments or %d optional ones\n",
               c->name, GK_MAX_ARGS - 1, GK_MAX_OPTARGS - 1);
      bad = 1;
      continue;
    }
    /* Each flag is enforced somewhere (common/api.h); a state flag on
     * an RPC call could never hold (RPC calls need the appliance). */
    if (c->flags & ~(unsigned) (GK_F_LOCAL | GK_F_CONFIG | GK_F_ANYSTATE | GK_F_PROGRESS | GK_F_HASH
                                 | GK_F_HEX)) {
      fprintf (stderr, "gen: %s: unknown flags 0x%x\n", c->name, c->flags); bad = 1;
    }
    if ((c->flags & GK_F_CONFIG) && (c->flags & GK_F_ANYSTATE)) {
      fprintf (stderr, "gen: %s: GK_F_CONFIG and GK_F_ANYSTATE contradict\n", c->name); bad = 1;
    }
    if (!(c->flags & GK_F_LOCAL) && (c->flags & (GK_F_CONFIG | GK_F_ANYSTATE))) {
      fprintf (stderr, "gen: %s: an RPC call runs only in a launched appliance: "
               "no GK_F_CONFIG or GK_F_ANYSTATE\n", c->name); bad = 1;
    }
    if (!(c->flags & GK_F_LOCAL) && (!c->tests || !*c->tests)) {
      fprintf (stderr, "gen: %s: no test\n", c->name); bad = 1;
    }
    if ((c->ret == GK_R_STRUCT || c->ret == GK_R_STRUCTLIST)
        && (!c->ret_struct || !gk_int_lookup_struct (c->ret_struct))) {
      fprintf (stderr, "gen: %s: unknown return struct\n", c->name); bad = 1;
    }
    for (int opt = 0; opt < 2; opt++)
      for (const struct gk_int_arg *a = opt ? c->optargs : c->args; a->type != GK_T_END; a++)
        if (a->choices && a->type != GK_T_STRING && a->type != GK_T_OPTSTRING) {
          fprintf (stderr, "gen: %s: %s: choices on an argument that is not a string\n",
                   c->name, a->name); bad = 1;
        }
    int nin = 0, nout = 0;
    for (size_t k = 0; c->args[k].type != GK_T_END; k++) {
      nin += c->args[k].sub == GK_S_FILEIN;
      nout += c->args[k].sub == GK_S_FILEOUT;
    }
    if (nin + nout > 1) { fprintf (stderr, "gen: %s: more than one file stream\n", c->name); bad = 1; }
    for (size_t j = 0; j < i; j++) {
      if (strcmp (gk_int_calls[j].name, c->name) == 0) {
        fprintf (stderr, "gen: %s: duplicate name\n", c->name); bad = 1;
      }
      if (c->proc && gk_int_calls[j].proc == c->proc) {
        fprintf (stderr, "gen: %s: duplicate procedure %d\n", c->name, c->proc); bad = 1;
      }
    }
  }
  return bad;
}

/* include/guestkit-structs.h: the structs calls return, once, for the
 * public header and the daemon (whose handlers build them).  Not GK_API:
 * the daemon does not include guestkit.h, and the attribute is the same. */
static void
gen_struct_types (void)
{
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#ifndef GUESTKIT_STRUCTS_H\n#define GUESTKIT_STRUCTS_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n");
  for (size_t i = 0; gk_int_structs[i].name; i++) {
    const struct gk_int_struct *s = &gk_int_structs[i];
    P ("struct gk_%s {\n", s->name);
    for (size_t f = 0; s->fields[f].type != GK_FT_END; f++)
      P ("  %s%s;\n", s->fields[f].type == GK_FT_INT64 ? "int64_t " : "char *", s->fields[f].name);
    P ("};\nstruct gk_%s_list {\n  size_t len;\n  struct gk_%s *val;\n};\n", s->name, s->name);
    P ("extern __attribute__ ((visibility (\"default\"))) void gk_free_%s (struct gk_%s *);\n", s->name, s->name);
    P ("extern __attribute__ ((visibility (\"default\"))) void gk_free_%s_list (struct gk_%s_list *);\n\n", s->name, s->name);
  }
  P ("#endif\n");
}

static void
gen_header (void)
{
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#ifndef GUESTKIT_ACTIONS_H\n#define GUESTKIT_ACTIONS_H\n\n#include \"guestkit-structs.h\"\n\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    const char *n = cname (c->name);
    P ("/* %s: %s */\n", c->name, c->shortdesc);
    if (has_opts (c)) {
      P ("struct gk_%s_opts {\n  uint64_t bitmask;\n", n);
      for (size_t k = 0; c->optargs[k].type != GK_T_END; k++) {
        P ("  "); emit_param (&c->optargs[k]); P (";\n");
      }
      P ("};\n");
      for (size_t k = 0; c->optargs[k].type != GK_T_END; k++)
        P ("#define GK_%s_%s (UINT64_C(1) << %zu)\n", upper (c->name), upper (c->optargs[k].name), k);
    }
    const char *rt = ret_ctype (c);
    P ("extern GK_API %s%sgk_%s (gk_h *g", rt, rt[strlen (rt) - 1] == '*' ? "" : " ", n);
    emit_params (c, 0);
    P (");\n\n");
  }
  P ("#endif\n");
}

static void
gen_structs (void)
{
  P ("/* Generated by generator/gen.c.  Do not edit. */\n");
  P ("#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n");
  P ("#include \"guestkit.h\"\n#include \"structs.h\"\n\n");
  for (size_t i = 0; gk_int_structs[i].name; i++) {
    const struct gk_int_struct *s = &gk_int_structs[i];
    const char *n = s->name;
    P ("void\ngk_int_%s_to_sval (const struct gk_%s *x, struct gk_int_sval *v)\n{\n  memset (v, 0, sizeof *v);\n", n, n);
    for (size_t f = 0; s->fields[f].type != GK_FT_END; f++)
      if (s->fields[f].type == GK_FT_INT64) P ("  v->f[%zu].i = x->%s;\n", f, s->fields[f].name);
      else P ("  v->f[%zu].s = x->%s ? strdup (x->%s) : strdup (\"\");\n", f, s->fields[f].name, s->fields[f].name);
    P ("}\n\n");
    P ("void\ngk_int_%s_from_sval (struct gk_int_sval *v, struct gk_%s *x)\n{\n", n, n);
    for (size_t f = 0; s->fields[f].type != GK_FT_END; f++)
      if (s->fields[f].type == GK_FT_INT64) P ("  x->%s = v->f[%zu].i;\n", s->fields[f].name, f);
      else P ("  x->%s = v->f[%zu].s; v->f[%zu].s = NULL;\n", s->fields[f].name, f, f);
    P ("}\n\n");
    P ("void\ngk_free_%s (struct gk_%s *x)\n{\n  if (!x) return;\n", n, n);
    for (size_t f = 0; s->fields[f].type != GK_FT_END; f++)
      if (s->fields[f].type == GK_FT_STRING) P ("  free (x->%s);\n", s->fields[f].name);
    P ("  free (x);\n}\n\n");
    P ("void\ngk_free_%s_list (struct gk_%s_list *l)\n{\n  if (!l) return;\n  for (size_t i = 0; i < l->len; i++) {\n", n, n);
    for (size_t f = 0; s->fields[f].type != GK_FT_END; f++)
      if (s->fields[f].type == GK_FT_STRING) P ("    free (l->val[i].%s);\n", s->fields[f].name);
    P ("  }\n  free (l->val);\n  free (l);\n}\n\n");
  }
  /* Declarations for the two directions. */
}

static void
gen_structs_h (void)
{
  P ("/* Generated by generator/gen.c.  Do not edit. */\n#ifndef GK_STRUCTS_H\n#define GK_STRUCTS_H\n#include \"api.h\"\n");
  for (size_t i = 0; gk_int_structs[i].name; i++) {
    const char *n = gk_int_structs[i].name;
    P ("void gk_int_%s_to_sval (const struct gk_%s *, struct gk_int_sval *);\n", n, n);
    P ("void gk_int_%s_from_sval (struct gk_int_sval *, struct gk_%s *);\n", n, n);
  }
  P ("#endif\n");
}

/* Unpack generic args "a[]" and optargs "o" into a call's C parameters. */
static void
emit_call_args (const struct gk_int_call *c, int daemon)
{
  for (size_t k = 0; c->args[k].type != GK_T_END; k++) {
    const struct gk_int_arg *a = &c->args[k];
    if (daemon && (a->sub == GK_S_FILEIN || a->sub == GK_S_FILEOUT)) continue;
    if (!daemon || k > 0) P (", ");
    switch (a->type) {
    case GK_T_BOOL: case GK_T_INT: P ("a[%zu].i", k); break;
    case GK_T_INT64: P ("a[%zu].i64", k); break;
    case GK_T_STRING: case GK_T_OPTSTRING: P ("a[%zu].s", k); break;
    case GK_T_STRINGLIST: P ("a[%zu].sl", k); break;
    case GK_T_BUFFER: P ("a[%zu].buf.data, a[%zu].buf.len", k, k); break;
    case GK_T_END: break;
    }
  }
}

static const char *
val_field (enum gk_int_type t)
{
  switch (t) {
  case GK_T_BOOL: case GK_T_INT: return "i";
  case GK_T_INT64: return "i64";
  case GK_T_STRING: case GK_T_OPTSTRING: return "s";
  case GK_T_STRINGLIST: return "sl";
  default: return "buf";
  }
}

/* "return -1;" or "return NULL;": how a call of C return type fails. */
static const char *
fail_value (const struct gk_int_call *c)
{
  switch (c->ret) {
  case GK_R_ERR: case GK_R_INT: case GK_R_BOOL: case GK_R_INT64: return "-1";
  default: return "NULL";
  }
}

/* Pack a public function's parameters into the generic a[] and o, which
 * gk_int_check_call reads (and gk_int_call sends). */
static void
emit_pack_args (const struct gk_int_call *c)
{
  P ("  union gk_int_val a[GK_MAX_ARGS];\n  struct gk_int_optvals o;\n");
  P ("  memset (a, 0, sizeof a);\n  memset (&o, 0, sizeof o);\n");
  for (size_t k = 0; c->args[k].type != GK_T_END; k++) {
    const struct gk_int_arg *a = &c->args[k];
    switch (a->type) {
    case GK_T_BOOL: case GK_T_INT: P ("  a[%zu].i = %s;\n", k, a->name); break;
    case GK_T_INT64: P ("  a[%zu].i64 = %s;\n", k, a->name); break;
    case GK_T_STRING: case GK_T_OPTSTRING: P ("  a[%zu].s = (char *) %s;\n", k, a->name); break;
    case GK_T_STRINGLIST: P ("  a[%zu].sl = (char **) %s;\n", k, a->name); break;
    case GK_T_BUFFER: P ("  a[%zu].buf.data = (char *) %s;\n  a[%zu].buf.len = %s_size;\n", k, a->name, k, a->name); break;
    case GK_T_END: break;
    }
  }
  if (has_opts (c)) {
    P ("  if (opts) {\n    o.bitmask = opts->bitmask;\n");
    for (size_t k = 0; c->optargs[k].type != GK_T_END; k++) {
      const struct gk_int_arg *a = &c->optargs[k];
      if (a->type == GK_T_STRING || a->type == GK_T_OPTSTRING)
        P ("    o.v[%zu].s = (char *) opts->%s;\n", k, a->name);
      else if (a->type == GK_T_STRINGLIST)
        P ("    o.v[%zu].sl = (char **) opts->%s;\n", k, a->name);
      else
        P ("    o.v[%zu].%s = opts->%s;\n", k, val_field (a->type), a->name);
    }
    P ("  }\n");
  }
}

/* A local call's stub hands its own parameters to gk_int_local_<name>. */
static void
emit_local_tail (const struct gk_int_call *c)
{
  P ("  return gk_int_local_%s (g", cname (c->name));
  for (size_t k = 0; c->args[k].type != GK_T_END; k++) {
    P (", %s", c->args[k].name);
    if (c->args[k].type == GK_T_BUFFER) P (", %s_size", c->args[k].name);
  }
  if (has_opts (c)) P (", opts");
  if (c->ret == GK_R_BUFFER) P (", size_r");
  P (");\n");
}

/* An RPC stub sends a[] and o and converts the generic reply. */
static void
emit_rpc_tail (const struct gk_int_call *c, size_t i)
{
  P ("  union gk_int_val r;\n");
  P ("  if (gk_int_call (g, &gk_int_calls[%zu], a, &o, &r) == -1)\n    return %s;\n", i, fail_value (c));
  switch (c->ret) {
  case GK_R_ERR: P ("  return 0;\n"); break;
  case GK_R_INT: case GK_R_BOOL: P ("  return r.i;\n"); break;
  case GK_R_INT64: P ("  return r.i64;\n"); break;
  case GK_R_STRING: P ("  return r.s;\n"); break;
  case GK_R_STRINGLIST: P ("  return r.sl;\n"); break;
  case GK_R_BUFFER: P ("  *size_r = r.buf.len;\n  return r.buf.data;\n"); break;
  case GK_R_STRUCT:
    P ("  struct gk_%s *x = malloc (sizeof *x);\n", c->ret_struct);
    P ("  if (!x) {\n    gk_int_free_ret (&gk_int_calls[%zu], &r);\n    gk_int_error_errno (g, ENOMEM, \"%s: out of memory\");\n    return NULL;\n  }\n", i, c->name);
    P ("  gk_int_%s_from_sval (r.st, x);\n  gk_int_free_ret (&gk_int_calls[%zu], &r);\n  return x;\n", c->ret_struct, i);
    break;
  case GK_R_STRUCTLIST:
    P ("  struct gk_%s_list *x = malloc (sizeof *x);\n", c->ret_struct);
    P ("  if (x) x->val = calloc (r.stl->len ? r.stl->len : 1, sizeof *x->val);\n");
    P ("  if (!x || !x->val) {\n    free (x);\n    gk_int_free_ret (&gk_int_calls[%zu], &r);\n    gk_int_error_errno (g, ENOMEM, \"%s: out of memory\");\n    return NULL;\n  }\n", i, c->name);
    P ("  x->len = r.stl->len;\n  for (size_t i = 0; i < x->len; i++)\n    gk_int_%s_from_sval (&r.stl->val[i], &x->val[i]);\n", c->ret_struct);
    P ("  gk_int_free_ret (&gk_int_calls[%zu], &r);\n  return x;\n", i);
    break;
  }
}

/* lib/local-calls.h: the hand-written implementation of each local
 * call, gk_int_local_<name>, with the public function's parameters. */
static void
gen_lib_h (void)
{
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#ifndef GK_LIB_LOCAL_CALLS_H\n#define GK_LIB_LOCAL_CALLS_H\n#include \"guestkit.h\"\n\n");
  P ("/* Each local call (GK_F_LOCAL) is gk_<name> (lib/actions.c: the table's\n"
     " * state and argument checks) calling gk_int_local_<name>, written by hand. */\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (!(c->flags & GK_F_LOCAL)) continue;
    const char *rt = ret_ctype (c);
    P ("%s%sgk_int_local_%s (gk_h *g", rt, rt[strlen (rt) - 1] == '*' ? "" : " ", cname (c->name));
    emit_params (c, 0);
    P (");\n");
  }
  P ("\n#endif\n");
}

/* lib/actions.c: every public call checks its state and arguments from
 * the table (gk_int_check_call), then runs locally or in the appliance. */
static void
gen_lib (int local)
{
  /* Two files, so that nothing circles: lib/actions-local.c (the local
   * calls' entry points and their generic dispatch) sits above the
   * hand-written bodies (copy.c, handle.c ...), which may use the RPC
   * calls of lib/actions.c, which sits above proto.c. */
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#include <stdlib.h>\n#include <string.h>\n#include <errno.h>\n");
  P ("#include \"guestkit.h\"\n#include \"internal.h\"\n#include \"local-calls.h\"\n#include \"structs.h\"\n\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (!(c->flags & GK_F_LOCAL) != !local) continue;
    const char *rt = ret_ctype (c);
    P ("%s\ngk_%s (gk_h *g", rt, cname (c->name));
    emit_params (c, 0);
    P (")\n{\n");
    emit_pack_args (c);
    P ("  if (gk_int_check_call (g, &gk_int_calls[%zu], a, &o) == -1)\n    return %s;\n", i, fail_value (c));
    if (c->flags & GK_F_LOCAL) emit_local_tail (c);
    else emit_rpc_tail (c, i);
    P ("}\n\n");
  }

  if (!local) return;
  /* Generic entry for local calls: gkfish and the test runner use it,
   * through gk_int_call_generic, which has checked the call. */
  P ("int\ngk_int_local_dispatch (gk_h *g, const struct gk_int_call *c,\n"
     "                       union gk_int_val *a, struct gk_int_optvals *o,\n"
     "                       union gk_int_val *r)\n{\n");
  P ("  (void) a; (void) o;\n  memset (r, 0, sizeof *r);\n  switch (c - gk_int_calls) {\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (!(c->flags & GK_F_LOCAL)) continue;
    const char *n = cname (c->name);
    P ("  case %zu: {     /* %s */\n", i, c->name);
    if (has_opts (c)) {
      P ("    struct gk_%s_opts opts;\n    memset (&opts, 0, sizeof opts);\n    opts.bitmask = o->bitmask;\n", n);
      for (size_t k = 0; c->optargs[k].type != GK_T_END; k++)
        P ("    opts.%s = o->v[%zu].%s;\n", c->optargs[k].name, k, val_field (c->optargs[k].type));
    }
    switch (c->ret) {
    case GK_R_ERR: case GK_R_INT: case GK_R_BOOL: P ("    int x = gk_int_local_%s (g", n); break;
    case GK_R_INT64: P ("    int64_t x = gk_int_local_%s (g", n); break;
    default: P ("    %s%sx = gk_int_local_%s (g", ret_ctype (c), ret_ctype (c)[strlen (ret_ctype (c)) - 1] == '*' ? "" : " ", n);
    }
    emit_call_args (c, 0);
    if (has_opts (c)) P (", &opts");
    if (c->ret == GK_R_BUFFER) P (", &r->buf.len");
    P (");\n");
    switch (c->ret) {
    case GK_R_ERR: case GK_R_INT: case GK_R_BOOL: P ("    r->i = x;\n    return x == -1 ? -1 : 0;\n"); break;
    case GK_R_INT64: P ("    r->i64 = x;\n    return x == -1 ? -1 : 0;\n"); break;
    case GK_R_STRING: P ("    r->s = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_STRINGLIST: P ("    r->sl = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_BUFFER: P ("    r->buf.data = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_STRUCT:
      P ("    if (!x) return -1;\n    r->st = malloc (sizeof *r->st);\n");
      P ("    if (r->st) gk_int_%s_to_sval (x, r->st);\n    gk_free_%s (x);\n    return r->st ? 0 : -1;\n", c->ret_struct, c->ret_struct);
      break;
    case GK_R_STRUCTLIST:
      P ("    if (!x) return -1;\n    r->stl = calloc (1, sizeof *r->stl);\n");
      P ("    if (r->stl) r->stl->val = calloc (x->len ? x->len : 1, sizeof *r->stl->val);\n");
      P ("    if (r->stl && r->stl->val) {\n      r->stl->len = x->len;\n      for (size_t i = 0; i < x->len; i++)\n        gk_int_%s_to_sval (&x->val[i], &r->stl->val[i]);\n    }\n", c->ret_struct);
      P ("    gk_free_%s_list (x);\n    return r->stl && r->stl->val ? 0 : -1;\n", c->ret_struct);
      break;
    }
    P ("  }\n");
  }
  P ("  default:\n    gk_int_error_errno (g, EINVAL, \"%%s: not a local call\", c->name);\n    return -1;\n  }\n}\n");
}

static void
gen_daemon_h (void)
{
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#ifndef GK_DAEMON_ACTIONS_H\n#define GK_DAEMON_ACTIONS_H\n#include <stddef.h>\n#include <stdint.h>\n\n");
  P ("#include \"guestkit-structs.h\"\n\n");
  P ("/* Set in the daemon while a call runs: which optional args were given. */\nextern uint64_t gk_int_optargs_bitmask;\n\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (c->flags & GK_F_LOCAL) continue;
    for (size_t k = 0; c->optargs[k].type != GK_T_END; k++)
      P ("#define GK_%s_%s (UINT64_C(1) << %zu)\n", upper (c->name), upper (c->optargs[k].name), k);
    const char *rt = ret_ctype (c);
    P ("%s%sdo_%s (", rt, rt[strlen (rt) - 1] == '*' ? "" : " ", cname (c->name));
    emit_params (c, 1);
    P (");\n");
  }
  P ("\n#endif\n");
}

static void
gen_daemon_c (void)
{
  P ("/* Generated by generator/gen.c from the API table.  Do not edit. */\n");
  P ("#include <stdlib.h>\n#include <string.h>\n#include <errno.h>\n");
  P ("#include \"daemon.h\"\n#include \"actions.h\"\n#include \"structs.h\"\n\n");
  P ("int\ngk_int_dispatch (const struct gk_int_call *c, union gk_int_val *a,\n"
     "                 struct gk_int_optvals *o, union gk_int_val *r)\n{\n");
  P ("  (void) a; (void) o;\n  memset (r, 0, sizeof *r);\n  switch (c->proc) {\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (c->flags & GK_F_LOCAL) continue;
    const char *n = cname (c->name);
    P ("  case %d: {     /* %s */\n", c->proc, c->name);
    const char *rt = ret_ctype (c);
    P ("    %s%sx = do_%s (", rt, rt[strlen (rt) - 1] == '*' ? "" : " ", n);
    /* args then optargs then size_r */
    int first = 1;
    for (size_t k = 0; c->args[k].type != GK_T_END; k++) {
      const struct gk_int_arg *a = &c->args[k];
      if (a->sub == GK_S_FILEIN || a->sub == GK_S_FILEOUT) continue;
      if (!first) P (", ");
      first = 0;
      if (a->type == GK_T_BUFFER) P ("a[%zu].buf.data, a[%zu].buf.len", k, k);
      else P ("a[%zu].%s", k, val_field (a->type));
    }
    for (size_t k = 0; c->optargs[k].type != GK_T_END; k++) {
      if (!first) P (", ");
      first = 0;
      P ("o->v[%zu].%s", k, val_field (c->optargs[k].type));
    }
    if (c->ret == GK_R_BUFFER) P ("%s&r->buf.len", first ? "" : ", ");
    P (");\n");
    switch (c->ret) {
    case GK_R_ERR: case GK_R_INT: case GK_R_BOOL: P ("    r->i = x;\n    return x == -1 ? -1 : 0;\n"); break;
    case GK_R_INT64: P ("    r->i64 = x;\n    return x == -1 ? -1 : 0;\n"); break;
    case GK_R_STRING: P ("    r->s = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_STRINGLIST: P ("    r->sl = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_BUFFER: P ("    r->buf.data = x;\n    return x ? 0 : -1;\n"); break;
    case GK_R_STRUCT:
      P ("    if (!x) return -1;\n    r->st = malloc (sizeof *r->st);\n    if (!r->st) { gk_free_%s (x); return gk_int_err (ENOMEM, \"out of memory\"); }\n", c->ret_struct);
      P ("    gk_int_%s_to_sval (x, r->st);\n    gk_free_%s (x);\n    return 0;\n", c->ret_struct, c->ret_struct);
      break;
    case GK_R_STRUCTLIST:
      P ("    if (!x) return -1;\n    r->stl = calloc (1, sizeof *r->stl);\n");
      P ("    if (r->stl) r->stl->val = calloc (x->len ? x->len : 1, sizeof *r->stl->val);\n");
      P ("    if (!r->stl || !r->stl->val) { free (r->stl); r->stl = NULL; gk_free_%s_list (x); return gk_int_err (ENOMEM, \"out of memory\"); }\n", c->ret_struct);
      P ("    r->stl->len = x->len;\n    for (size_t i = 0; i < x->len; i++)\n      gk_int_%s_to_sval (&x->val[i], &r->stl->val[i]);\n", c->ret_struct);
      P ("    gk_free_%s_list (x);\n    return 0;\n", c->ret_struct);
      break;
    }
    P ("  }\n");
  }
  P ("  default:\n    return gk_int_err (EINVAL, \"unknown procedure %%d\", c->proc);\n  }\n}\n");
}

const char *
type_doc (const struct gk_int_arg *a)
{
  static char buf[8][256];
  static int k;
  if (a->choices) {         /* "one of: raw, qcow2" */
    char *b = buf[k++ % 8];
    size_t n = (size_t) snprintf (b, 256, "one of: ");
    for (const char *p = a->choices; *p && n + 3 < 256; p++) {
      if (*p == ' ') b[n++] = ',';
      b[n++] = *p;
    }
    b[n] = '\0';
    return b;
  }
  switch (a->type) {
  case GK_T_BOOL: return "bool";
  case GK_T_INT: return "int";
  case GK_T_INT64: return "int64";
  case GK_T_OPTSTRING: return "string or NULL";
  case GK_T_STRINGLIST: return "string list";
  case GK_T_BUFFER: return "buffer";
  default: break;
  }
  switch (a->sub) {
  case GK_S_DEVICE: return "device";
  case GK_S_MOUNTABLE: return "mountable device";
  case GK_S_PATHNAME: return "guest path";
  case GK_S_FILEIN: return "local file (read)";
  case GK_S_FILEOUT: return "local file (written)";
  case GK_S_KEY: return "key (gkfish reads it from the terminal or stdin)";
  default: return "string";
  }
}

static void
gen_docs (void)
{
  static const char *rdoc[] = { "error only", "int", "int64", "bool", "string",
                                "string list", "struct", "struct list", "buffer" };
  P ("# guestkit API reference\n\nGenerated from the API table by generator/gen.c: do not edit.\n\n");
  P ("Every call is `gk_NAME (g, ...)` in C (dashes become underscores) and "
     "`NAME ...` in gkfish.  Functions return -1 or NULL on error; the "
     "message is in `gk_last_error (g)`, the errno in `gk_last_errno (g)`.\n\n");
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    P ("## %s\n\n", c->name);
    P ("```c\n%s%sgk_%s (gk_h *g", ret_ctype (c), ret_ctype (c)[strlen (ret_ctype (c)) - 1] == '*' ? "" : " ", cname (c->name));
    emit_params (c, 0);
    P (");\n```\n\n");
    P ("gkfish: `%s", c->name);
    for (size_t k = 0; c->args[k].type != GK_T_END; k++) P (" %s", c->args[k].name);
    for (size_t k = 0; c->optargs[k].type != GK_T_END; k++) P (" [%s:..]", c->optargs[k].name);
    P ("`%s%s%s\n\n", c->aliases ? " (aliases: " : "", c->aliases ? c->aliases : "", c->aliases ? ")" : "");
    P ("*%s.*  %s\n\n", c->shortdesc, c->longdesc);
    if (c->args[0].type != GK_T_END || c->optargs[0].type != GK_T_END) {
      P ("| argument | type |\n|---|---|\n");
      for (size_t k = 0; c->args[k].type != GK_T_END; k++) P ("| %s | %s |\n", c->args[k].name, type_doc (&c->args[k]));
      for (size_t k = 0; c->optargs[k].type != GK_T_END; k++) P ("| %s (optional) | %s |\n", c->optargs[k].name, type_doc (&c->optargs[k]));
      P ("\n");
    }
    P ("Returns: %s%s%s.", rdoc[c->ret], c->ret_struct ? " of " : "", c->ret_struct ? c->ret_struct : "");
    P (" %s %s\n\n", c->proc ? "Runs in the appliance." : "Runs in the library.", state_doc (c));
  }
}

int
main (int argc, char **argv)
{
  if (argc < 2 || argc > 3) {
    fprintf (stderr, "usage: gen header|struct-types|lib|lib-h|structs|structs-h|daemon-h|daemon-c|docs\n"
             "       gen man3|man-fish|fish-commands|python [VERSION]\n");
    return 2;
  }
  if (check_table ()) return 1;
  const char *m = argv[1];
  if (strcmp (m, "header") == 0) gen_header ();
  else if (strcmp (m, "struct-types") == 0) gen_struct_types ();
  else if (strcmp (m, "lib") == 0) gen_lib (0);
  else if (strcmp (m, "lib-local") == 0) gen_lib (1);
  else if (strcmp (m, "lib-h") == 0) gen_lib_h ();
  else if (strcmp (m, "structs") == 0) gen_structs ();
  else if (strcmp (m, "structs-h") == 0) gen_structs_h ();
  else if (strcmp (m, "daemon-h") == 0) gen_daemon_h ();
  else if (strcmp (m, "daemon-c") == 0) gen_daemon_c ();
  else if (strcmp (m, "docs") == 0) gen_docs ();
  else if (strcmp (m, "man3") == 0) gen_man3 (argc == 3 ? argv[2] : "");
  else if (strcmp (m, "man-fish") == 0) gen_man_fish ();
  else if (strcmp (m, "fish-commands") == 0) gen_fish_commands ();
  else if (strcmp (m, "python") == 0) gen_python ();
  else { fprintf (stderr, "gen: unknown mode %s\n", m); return 2; }
  return ferror (stdout) || fflush (stdout) ? 1 : 0;
}
