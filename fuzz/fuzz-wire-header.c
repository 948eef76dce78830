/* Fuzz target: the fixed headers of common/wire.c, the only code that
 * reads the protocol at byte offsets: frame heads, CHUNK headers (as a
 * whole received frame and as a header read off the channel), STAGED
 * slot bodies, CANCEL and REPLY heads, RESUME.
 *
 * Input: one frame as the channel readers return it (kind first), also
 * tried as a raw 16-byte chunk header and as a slot body.
 *
 * Properties: no read past the input (ASan: the buffer is exactly its
 * size); whatever a decoder accepts is within its limits (flags known,
 * chunk data at most GK_CHUNK_MAX and exactly the bytes that follow the
 * header, slots inside the staging ring) and encodes back to the same
 * bytes.
 */
#include "fuzz.h"
#include "wire.h"
#include "stage.h"

static void
check_chunk_frame (const char *f, size_t n)
{
  struct gk_int_chunk ch;
  const char *data;
  if (gk_int_chunk_decode (f, n, &ch, &data) == -1) return;
  FUZZ_ASSERT (ch.flags <= GK_CH_STAGED, "flag %u accepted", ch.flags);
  FUZZ_ASSERT (ch.n <= GK_CHUNK_MAX, "%zu data bytes accepted", ch.n);
  FUZZ_ASSERT (data >= f && data + ch.n == f + n, "data not the rest of the frame");
  unsigned char h[GK_CHUNK_HEAD];
  gk_int_chunk_encode (h, ch.serial, ch.flags, ch.n);
  FUZZ_ASSERT (gk_int_frame_len (h) == n && memcmp (h + GK_FRAME_LEN, f, (size_t) (data - f)) == 0,
               "chunk header does not encode back");
  uint64_t off; uint32_t len;
  if (gk_int_staged_decode (f, n, ch.serial, &off, &len) == 0)
    FUZZ_ASSERT (ch.flags == GK_CH_STAGED && ch.n == GK_SLOT_BODY, "a non-STAGED chunk was a slot");
}

static void
check_chunk_head (const char *h, size_t n)
{
  struct gk_int_chunk ch;
  if (n < GK_CHUNK_HEAD || gk_int_chunk_head_decode (h, &ch) == -1) return;
  FUZZ_ASSERT (ch.flags <= GK_CH_STAGED && ch.n <= GK_CHUNK_MAX, "flags %u, %zu bytes accepted",
               ch.flags, ch.n);
  unsigned char e[GK_CHUNK_HEAD];
  gk_int_chunk_encode (e, ch.serial, ch.flags, ch.n);
  FUZZ_ASSERT (memcmp (e, h, GK_CHUNK_HEAD) == 0, "chunk head does not encode back");
  uint32_t kind; size_t body;
  FUZZ_ASSERT (gk_int_frame_head_decode (h, &kind, &body) == 0 && kind == GK_K_CHUNK
               && body == GK_CHUNK_FIELDS + ch.n, "frame head disagrees with the chunk head");
}

static void
check_slot (const char *b, size_t n)
{
  uint64_t off; uint32_t len;
  if (gk_int_slot_decode (b, n, &off, &len) == -1) return;
  FUZZ_ASSERT (n == GK_SLOT_BODY, "slot body of %zu bytes", n);
  FUZZ_ASSERT (off % GK_STAGE_SLOT == 0 && off < GK_STAGE_SIZE && len <= GK_STAGE_SLOT,
               "slot %llu+%u outside the ring", (unsigned long long) off, len);
  unsigned char e[GK_SLOT_BODY];
  gk_int_slot_encode (e, off, len);
  FUZZ_ASSERT (memcmp (e, b, GK_SLOT_BODY) == 0, "slot does not encode back");
}

static void
check_reply_head (const char *f, size_t n)
{
  struct gk_int_rbuf r;
  struct gk_int_reply_head h;
  gk_int_rb_init (&r, f, n);
  (void) gk_int_rb_u32 (&r);
  if (gk_int_dec_reply_head (&r, &h) == -1) {
    FUZZ_ASSERT (r.err != NULL, "reply head refused without a reason");
    return;
  }
  FUZZ_ASSERT (h.status <= GK_ST_ERROR, "status %u accepted", h.status);
}

/* RESUME (after the kind): what is accepted is in range and encodes back
 * to exactly the input. */
static void
check_resume (const char *f, size_t n)
{
  struct gk_int_rbuf r;
  struct gk_int_resume res;
  gk_int_rb_init (&r, f, n);
  (void) gk_int_rb_u32 (&r);
  if (gk_int_resume_decode (&r, &res) == -1) {
    FUZZ_ASSERT (r.err != NULL, "RESUME refused without a reason");
    return;
  }
  FUZZ_ASSERT (res.nsec < 1000000000u && res.ndrives <= GK_RESUME_MAX_DRIVES,
               "RESUME out of range accepted");
  struct gk_int_wbuf b;
  gk_int_resume_encode (&b, &res);
  FUZZ_ASSERT (gk_int_wb_finish (&b) == 0 && b.len == n + GK_FRAME_LEN
               && memcmp (b.p + GK_FRAME_LEN + 4, f + 4, n - 4) == 0,
               "RESUME does not encode back");
  gk_int_wb_free (&b);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *f = fuzz_exact (data, size);
  check_chunk_frame (f, size);
  check_chunk_head (f, size);
  check_slot (f, size);
  check_reply_head (f, size);
  check_resume (f, size);
  uint32_t serial;
  if (gk_int_cancel_decode (f, size, &serial) == 0)
    FUZZ_ASSERT (size == 4 + GK_CANCEL_BODY, "CANCEL of %zu bytes", size);
  (void) gk_int_frame_kind (f, size);
  free (f);
  return 0;
}
