/* Fuzz target: the frames the host library decodes from the appliance
 * (lib/proto.c, lib/stage.c), with the shared decoders of common/wire.c.
 *
 * Input: one frame as gk_int_conn_recv returns it (kind first, no
 * length).  A REPLY is decoded for the call its procedure number names
 * (the host refuses a reply whose procedure is not the call it made, so
 * this reaches every call's return decoder the way the host does; a
 * separate selector byte left most calls unreached in a 1-hour run).  The frame is
 * checked the way the library checks it: REPLY (header, then an error or
 * the call's return value), PROGRESS, CHUNK (data or staged slot) and
 * READY.  The header checks are restated here because in the library
 * they sit inside functions that need a live handle; the value decoders
 * are the real ones.
 *
 * Properties: a reply the library would accept re-encodes to exactly the
 * same bytes (so nothing is ignored: no trailing garbage, no
 * non-canonical value); an error reply has a short errno name; every
 * decoded string is NUL-free.
 */
#include "fuzz.h"
#include "api.h"
#include "wire.h"
#include "stage.h"

/* Re-encode what was decoded; it must give the frame back byte for byte. */
static void
check_same (struct gk_int_wbuf *b, const char *f, size_t fl, const char *what)
{
  FUZZ_ASSERT (gk_int_wb_finish (b) == 0, "%s: re-encoding failed", what);
  FUZZ_ASSERT (b->len - 4 == fl && memcmp (b->p + 4, f, fl) == 0,
               "%s: decoded value re-encodes differently (%zu vs %zu bytes)",
               what, b->len - 4, fl);
  gk_int_wb_free (b);
}

static void
reply (const char *f, size_t fl)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, f + 4, fl - 4);
  uint32_t rproc = gk_int_rb_u32 (&rb), rserial = gk_int_rb_u32 (&rb);
  uint32_t status = gk_int_rb_u32 (&rb);
  uint64_t x[4];
  for (int i = 0; i < 4; i++) x[i] = gk_int_rb_u64 (&rb);
  /* recv_reply: a header that does not match the call is refused. */
  const struct gk_int_call *c = gk_int_lookup_proc ((int) rproc);
  if (rb.err || !c || (c->flags & GK_F_LOCAL) || status > GK_ST_ERROR) return;
  FUZZ_ASSERT ((uint32_t) c->proc == rproc, "lookup_proc(%u) gave %s", rproc, c->name);

  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_REPLY);
  gk_int_wb_u32 (&b, rproc);
  gk_int_wb_u32 (&b, rserial);
  gk_int_wb_u32 (&b, status);
  for (int i = 0; i < 4; i++) gk_int_wb_u64 (&b, x[i]);

  if (status == GK_ST_ERROR) {
    char *ename = gk_int_rb_str (&rb, NULL);
    char *msg = gk_int_rb_str (&rb, NULL);
    if (gk_int_rb_done (&rb) == 0 && ename && msg && strlen (ename) <= GK_ERRNAME_MAX) {
      gk_int_wb_str (&b, ename);
      gk_int_wb_str (&b, msg);
      check_same (&b, f, fl, "error reply");
      (void) gk_int_errno_from_name (ename);   /* any name maps to an errno */
    }
    else {
      FUZZ_ASSERT (rb.err || !ename || !msg || strlen (ename) > GK_ERRNAME_MAX,
                   "error reply refused without a reason");
      gk_int_wb_free (&b);
    }
    free (ename);
    free (msg);
    return;
  }

  union gk_int_val r;
  if (gk_int_dec_ret (&rb, c, &r) == -1) {
    FUZZ_ASSERT (rb.err != NULL, "%s: return refused without a reason", c->name);
    gk_int_wb_free (&b);
    return;
  }
  FUZZ_ASSERT (rb.off == rb.len, "%s: return accepted with bytes left", c->name);
  gk_int_enc_ret (&b, c, &r);
  gk_int_free_ret (c, &r);
  check_same (&b, f, fl, c->name);
}

/* lib/xfer.c gk_int_xfer_progress_frame: kind, proc, serial, then done, total. */
static void
progress (const char *f, size_t fl)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, f, fl);
  (void) gk_int_rb_u32 (&rb);
  (void) gk_int_rb_u32 (&rb);
  (void) gk_int_rb_u32 (&rb);
  uint64_t done = gk_int_rb_u64 (&rb), total = gk_int_rb_u64 (&rb);
  FUZZ_ASSERT (rb.err || rb.off == 28, "progress frame read %zu bytes", rb.off);
  (void) done; (void) total;
}

/* lib/proto.c recv_file and lib/stage.c: what a download accepts as a
 * chunk (the real decoders of common/wire.c; fuzz-wire-header checks
 * them further). */
static void
chunk (const char *f, size_t fl)
{
  struct gk_int_chunk ch;
  const char *data;
  if (gk_int_chunk_decode (f, fl, &ch, &data) == -1) return;
  FUZZ_ASSERT (ch.n <= GK_CHUNK_MAX, "chunk too large");
  uint64_t off; uint32_t len;
  /* An accepted slot lies inside the staging area. */
  if (gk_int_staged_decode (f, fl, ch.serial, &off, &len) == 0)
    FUZZ_ASSERT (off + len <= GK_STAGE_SIZE, "staged slot past the area");
}

/* lib/proto.c gk_int_wait_ready: version, count, then name/time pairs. */
static void
ready (const char *f, size_t fl)
{
  struct gk_int_rbuf rb;
  gk_int_rb_init (&rb, f, fl);
  uint32_t kind = gk_int_rb_u32 (&rb);
  uint32_t version = gk_int_rb_u32 (&rb);
  uint32_t n = gk_int_rb_u32 (&rb);
  if (rb.err || kind != GK_K_READY || version != GK_PROTO_VERSION || n > 16) return;
  for (uint32_t i = 0; i < n && !rb.err; i++) {
    char *name = gk_int_rb_str (&rb, NULL);
    (void) gk_int_rb_u64 (&rb);
    FUZZ_ASSERT (!name || strlen (name) < fl, "timing name longer than the frame");
    free (name);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t fl = size;
  char *f = fuzz_exact (data, fl);
  uint32_t k = fl >= 4 ? gk_int_get_u32 (f) : 0;
  switch (k) {
  case GK_K_REPLY: reply (f, fl); break;
  case GK_K_PROGRESS: progress (f, fl); break;
  case GK_K_CHUNK: chunk (f, fl); break;
  case GK_K_READY: ready (f, fl); break;
  default: break;
  }
  free (f);
  return 0;
}
