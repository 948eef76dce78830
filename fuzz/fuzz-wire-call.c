/* Fuzz target: a call frame as the appliance's daemon decodes it
 * (daemon/proto.c gk_int_serve and handle_call), through the API table
 * like the daemon: procedure number, serial, then the call's arguments
 * and optional arguments with common/wire.c's gk_int_dec_args.
 *
 * Input: one frame as the daemon's gk_int_recv_frame returns it (kind first).
 *
 * Properties: arguments the daemon would accept re-encode to exactly the
 * same bytes (no trailing bytes, no unknown optional argument, canonical
 * booleans); every decoded string is NUL-free; a refusal says why; all
 * that was decoded is freed (LeakSanitizer).
 */
#include "fuzz.h"
#include "api.h"
#include "wire.h"

static void
check_strings (enum gk_int_type t, const union gk_int_val *v)
{
  if (t == GK_T_STRING) FUZZ_ASSERT (v->s != NULL, "a string argument decoded as NULL");
  if (t == GK_T_STRINGLIST) {
    FUZZ_ASSERT (v->sl != NULL, "a list argument decoded as NULL");
    for (size_t i = 0; v->sl[i]; i++) (void) strlen (v->sl[i]);
  }
  if (t == GK_T_BOOL) FUZZ_ASSERT (v->i == 0 || v->i == 1, "boolean %d", v->i);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *f = fuzz_exact (data, size);
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, f, size);
  uint32_t kind = gk_int_rb_u32 (&rb);
  if (kind != GK_K_CALL) { free (f); return 0; }
  uint32_t proc = gk_int_rb_u32 (&rb);
  uint32_t serial = gk_int_rb_u32 (&rb);
  const struct gk_int_call *c = gk_int_lookup_proc ((int) proc);
  if (rb.err || !c || (c->flags & GK_F_LOCAL)) { free (f); return 0; }
  FUZZ_ASSERT ((uint32_t) c->proc == proc, "lookup_proc(%u) gave %s", proc, c->name);

  union gk_int_val a[GK_MAX_ARGS];
  struct gk_int_optvals o;
  memset (a, 0, sizeof a);
  if (gk_int_dec_args (&rb, c, a, &o) == -1) {
    FUZZ_ASSERT (rb.err != NULL, "%s: arguments refused without a reason", c->name);
    gk_int_free_args (c, a, &o);
    free (f);
    return 0;
  }
  FUZZ_ASSERT (rb.off == rb.len, "%s: arguments accepted with bytes left", c->name);
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    if (c->args[i].sub != GK_S_FILEIN && c->args[i].sub != GK_S_FILEOUT)
      check_strings (c->args[i].type, &a[i]);
  for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
    if (o.bitmask & (UINT64_C(1) << i)) check_strings (c->optargs[i].type, &o.v[i]);

  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CALL);
  gk_int_wb_u32 (&b, proc);
  gk_int_wb_u32 (&b, serial);
  gk_int_enc_args (&b, c, a, &o);
  FUZZ_ASSERT (gk_int_wb_finish (&b) == 0, "%s: re-encoding failed", c->name);
  FUZZ_ASSERT (b.len - 4 == size && memcmp (b.p + 4, f, size) == 0,
               "%s: decoded arguments re-encode differently (%zu vs %zu bytes)",
               c->name, b.len - 4, size);
  gk_int_wb_free (&b);
  gk_int_free_args (c, a, &o);
  free (f);
  return 0;
}
