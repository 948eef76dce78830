/* Unit tests of the wire encoding, no appliance: round trips of every
 * type, and garbage that must be refused without crashing (run under
 * ASan/UBSan with ./configure --enable-sanitizers). */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "api.h"
#include "wire.h"
#include "stage.h"
#include "tap.h"

static const struct gk_int_call *
call (const char *name)
{
  const struct gk_int_call *c = gk_int_lookup_call (name);
  if (!c) { fprintf (stderr, "no call %s\n", name); exit (2); }
  return c;
}

/* Encode args of C, decode them back; returns the decoder status. */
static int
roundtrip_args (const struct gk_int_call *c, union gk_int_val *in,
                struct gk_int_optvals *oin, union gk_int_val *out,
                struct gk_int_optvals *oout)
{
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CALL);
  gk_int_enc_args (&b, c, in, oin);
  if (gk_int_wb_finish (&b) == -1) { gk_int_wb_free (&b); return -2; }
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, b.p + 8, b.len - 8);
  int rc = gk_int_dec_args (&r, c, out, oout);
  gk_int_wb_free (&b);
  return rc;
}

static void
test_args (void)
{
  union gk_int_val in[GK_MAX_ARGS] = { 0 }, out[GK_MAX_ARGS];
  struct gk_int_optvals o = { 0 }, oo;
  in[0].i = 0755;
  in[1].s = "/a/b";
  CHECK (roundtrip_args (call ("chmod"), in, &o, out, &oo) == 0
         && out[0].i == 0755 && strcmp (out[1].s, "/a/b") == 0, "chmod args round trip");
  gk_int_free_args (call ("chmod"), out, &oo);

  memset (in, 0, sizeof in);
  in[0].s = "ext4"; in[1].s = "/dev/sda1";
  o.bitmask = 1 | 4;            /* blocksize and label */
  o.v[0].i = 4096; o.v[2].s = "LBL";
  CHECK (roundtrip_args (call ("mkfs"), in, &o, out, &oo) == 0 && oo.bitmask == 5
         && oo.v[0].i == 4096 && oo.v[1].s == NULL && strcmp (oo.v[2].s, "LBL") == 0,
         "optional args keep their bitmask and values");
  gk_int_free_args (call ("mkfs"), out, &oo);

  char *words[] = { "a", "", "c d", NULL };
  memset (in, 0, sizeof in);
  memset (&o, 0, sizeof o);
  in[0].sl = words;
  CHECK (roundtrip_args (call ("echo-daemon"), in, &o, out, &oo) == 0
         && out[0].sl && strcmp (out[0].sl[1], "") == 0 && strcmp (out[0].sl[2], "c d") == 0
         && out[0].sl[3] == NULL, "string list round trip, empty strings kept");
  gk_int_free_args (call ("echo-daemon"), out, &oo);

  char bin[5] = { 'a', 0, 'b', 0, (char) 0xff };
  memset (in, 0, sizeof in);
  in[0].s = "/f"; in[1].buf.data = bin; in[1].buf.len = 5;
  CHECK (roundtrip_args (call ("write"), in, &o, out, &oo) == 0 && out[1].buf.len == 5
         && memcmp (out[1].buf.data, bin, 5) == 0, "buffers carry NUL bytes");
  gk_int_free_args (call ("write"), out, &oo);

  /* FILEIN args are never sent: only the remote path travels. */
  memset (in, 0, sizeof in);
  in[0].s = "/local/secret/path"; in[1].s = "/remote";
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CALL);
  gk_int_enc_args (&b, call ("upload"), in, &o);
  gk_int_wb_finish (&b);
  CHECK (memmem (b.p, b.len, "secret", 6) == NULL, "local file names are not sent");
  gk_int_wb_free (&b);
}

static int
decode_garbage (const struct gk_int_call *c, const char *p, size_t n)
{
  union gk_int_val out[GK_MAX_ARGS];
  struct gk_int_optvals oo;
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, p, n);
  int rc = gk_int_dec_args (&r, c, out, &oo);
  gk_int_free_args (c, out, &oo);
  return rc;
}

/* Decode N random bytes as C's arguments: 0 refused with a reason, -2
 * refused silently, 1 accepted and re-encoded identically, -3 accepted
 * but re-encoded differently. */
static int
garbage_args (const struct gk_int_call *c, const char *p, size_t n)
{
  union gk_int_val out[GK_MAX_ARGS];
  struct gk_int_optvals oo;
  struct gk_int_rbuf r;
  char *copy = malloc (n ? n : 1);   /* exact size: ASan sees over-reads */
  memcpy (copy, p, n);
  gk_int_rb_init (&r, copy, n);
  int rc = gk_int_dec_args (&r, c, out, &oo);
  if (rc == -1) rc = r.err ? 0 : -2;
  else {
    struct gk_int_wbuf b;
    gk_int_wb_init (&b, GK_K_CALL);
    gk_int_enc_args (&b, c, out, &oo);
    rc = gk_int_wb_finish (&b) == 0 && b.len - 8 == n && memcmp (b.p + 8, copy, n) == 0
      ? 1 : -3;
    gk_int_wb_free (&b);
  }
  gk_int_free_args (c, out, &oo);
  free (copy);
  return rc;
}

/* The same for C's return value. */
static int
garbage_ret (const struct gk_int_call *c, const char *p, size_t n)
{
  union gk_int_val out;
  struct gk_int_rbuf r;
  char *copy = malloc (n ? n : 1);
  memcpy (copy, p, n);
  gk_int_rb_init (&r, copy, n);
  int rc = gk_int_dec_ret (&r, c, &out);
  if (rc == -1) rc = r.err ? 0 : -2;
  else {
    struct gk_int_wbuf b;
    gk_int_wb_init (&b, GK_K_REPLY);
    gk_int_enc_ret (&b, c, &out);
    rc = gk_int_wb_finish (&b) == 0 && b.len - 8 == n && memcmp (b.p + 8, copy, n) == 0
      ? 1 : -3;
    gk_int_wb_free (&b);
    gk_int_free_ret (c, &out);
  }
  free (copy);
  return rc;
}

/* The encoding of C's arguments (KIND 0) or return value (KIND 1) with
 * every value zero or empty; malloc'd, *N bytes (frame header dropped). */
static char *
valid_frame (const struct gk_int_call *c, int kind, size_t *n)
{
  union gk_int_val a[GK_MAX_ARGS];
  struct gk_int_optvals o;
  struct gk_int_sval sv;
  struct gk_int_slist sl = { 0, NULL };
  memset (a, 0, sizeof a);
  memset (&o, 0, sizeof o);
  memset (&sv, 0, sizeof sv);
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, kind ? GK_K_REPLY : GK_K_CALL);
  if (kind) {
    if (c->ret == GK_R_STRUCT) a[0].st = &sv;
    if (c->ret == GK_R_STRUCTLIST) a[0].stl = &sl;
    gk_int_enc_ret (&b, c, &a[0]);
  }
  else gk_int_enc_args (&b, c, a, &o);
  if (gk_int_wb_finish (&b) == -1) { fprintf (stderr, "cannot encode %s\n", c->name); exit (2); }
  *n = b.len - 8;
  char *f = malloc (*n ? *n : 1);
  memcpy (f, b.p + 8, *n);
  gk_int_wb_free (&b);
  return f;
}

static void
test_garbage (void)
{
  /* A string claiming 4 GiB. */
  const char huge[] = { (char) 0xfe, (char) 0xff, (char) 0xff, (char) 0x7f, 'x' };
  CHECK (decode_garbage (call ("mkdir"), huge, sizeof huge) == -1, "huge string length refused");
  /* Embedded NUL in a path. */
  const char nul[] = { 3, 0, 0, 0, '/', 0, 'x', 0, 0, 0, 0, 0, 0, 0, 0 };
  CHECK (decode_garbage (call ("mkdir"), nul, sizeof nul) == -1, "NUL inside a string refused");
  /* Bool out of range. */
  const char bb[] = { 1, 0, 0, 0, '/', 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0 };
  CHECK (decode_garbage (call ("is-dir"), bb, sizeof bb) == -1, "boolean 7 refused");
  /* Unknown optional argument bit. */
  const char ob[] = { 1, 0, 0, 0, '/', 2, 0, 0, 0, 0, 0, 0, 0 };
  CHECK (decode_garbage (call ("is-dir"), ob, sizeof ob) == -1, "unknown optarg bit refused");
  /* Trailing bytes. */
  const char tb[] = { 1, 0, 0, 0, '/', 0, 0, 0, 0, 0, 0, 0, 0, 'z' };
  CHECK (decode_garbage (call ("mkdir"), tb, sizeof tb) == -1, "trailing bytes refused");
  /* A list count far beyond the frame. */
  const char lc[] = { (char) 0xff, (char) 0xff, (char) 0xff, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0 };
  CHECK (decode_garbage (call ("echo-daemon"), lc, sizeof lc) == -1, "list count beyond frame refused");
  /* Random bytes into every call's argument and return decoders.  What
   * is refused must say why; what is accepted must be exactly what the
   * encoder writes for the decoded values (nothing ignored or trailing). */
  srand (42);
  size_t tried = 0, accepted = 0, silent = 0, differ = 0;
  for (int round = 0; round < 2000; round++) {
    char buf[64];
    size_t n = (size_t) (rand () % (int) sizeof buf);
    for (size_t i = 0; i < n; i++) buf[i] = (char) (rand () % 4 == 0 ? 0 : rand ());
    for (size_t i = 0; gk_int_calls[i].name; i++) {
      int rc = garbage_args (&gk_int_calls[i], buf, n);
      tried++;
      if (rc == 1) accepted++;
      if (rc == -2) silent++;
      if (rc == -3) differ++;
      rc = garbage_ret (&gk_int_calls[i], buf, n);
      tried++;
      if (rc == 1) accepted++;
      if (rc == -2) silent++;
      if (rc == -3) differ++;
    }
  }
  /* Valid frames of every call with random bytes appended (must be
   * refused: no decoder takes trailing garbage) or one byte changed
   * (refused with a reason, or a different valid frame). */
  size_t trailing = 0, mutated = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    for (int kind = 0; kind < 2; kind++) {
      size_t n;
      char *f = valid_frame (&gk_int_calls[i], kind, &n);
      char *m = malloc (n + 8);
      for (int round = 0; round < 20; round++) {
        size_t extra = 1 + (size_t) (rand () % 8);
        memcpy (m, f, n);
        for (size_t j = 0; j < extra; j++) m[n + j] = (char) rand ();
        int rc = kind ? garbage_ret (&gk_int_calls[i], m, n + extra)
          : garbage_args (&gk_int_calls[i], m, n + extra);
        if (rc != 0) trailing++;
        if (n == 0) continue;
        memcpy (m, f, n);
        m[rand () % (int) n] = (char) rand ();
        rc = kind ? garbage_ret (&gk_int_calls[i], m, n) : garbage_args (&gk_int_calls[i], m, n);
        tried++;
        if (rc == 1) accepted++;
        if (rc == -2) silent++;
        if (rc == -3) differ++;
        if (rc < 0) mutated++;
      }
      free (m);
      free (f);
    }
  }
  CHECK (trailing == 0, "valid frames with trailing bytes refused (%zu accepted)", trailing);
  CHECK (mutated == 0, "valid frames with a byte changed: refused with a reason or re-encoded "
         "identically (%zu not)", mutated);
  CHECK (silent == 0, "random frames: every refusal says why (%zu silent)", silent);
  CHECK (differ == 0, "random frames: all %zu accepted re-encode to the same bytes (%zu differ)",
         accepted, differ);
  /* Random bytes are mostly not a valid frame: a decoder that accepted
   * most of them would be ignoring its input. */
  CHECK (accepted * 10 < tried, "random frames: %zu of %zu accepted (mostly refused)",
         accepted, tried);
}

static void
test_returns (void)
{
  const struct gk_int_call *c = call ("statns");
  struct gk_int_sval sv = { 0 };
  sv.f[7].i = 12345;
  union gk_int_val in = { .st = &sv }, out;
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_REPLY);
  gk_int_enc_ret (&b, c, &in);
  gk_int_wb_finish (&b);
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, b.p + 8, b.len - 8);
  CHECK (gk_int_dec_ret (&r, c, &out) == 0 && out.st->f[7].i == 12345, "struct return round trip");
  gk_int_free_ret (c, &out);
  /* Truncated struct. */
  gk_int_rb_init (&r, b.p + 8, b.len - 9);
  CHECK (gk_int_dec_ret (&r, c, &out) == -1, "truncated struct refused");
  gk_int_wb_free (&b);

  c = call ("part-list");
  const char bad[] = { (char) 0xff, (char) 0xff, (char) 0xff, (char) 0xff };
  gk_int_rb_init (&r, bad, sizeof bad);
  CHECK (gk_int_dec_ret (&r, c, &out) == -1, "struct list count beyond frame refused");
  /* 64 structs claimed in 4 bytes each: refused before allocating 64
   * structs, since no part-list entry fits in 4 bytes. */
  char *few = calloc (1, 4 + 64 * 4);
  few[0] = 64;
  gk_int_rb_init (&r, few, 4 + 64 * 4);
  CHECK (gk_int_dec_ret (&r, c, &out) == -1 && r.err && strcmp (r.err, "list count too large") == 0,
         "struct list count bounded by the struct's size on the wire: %s", r.err ? r.err : "accepted");
  free (few);
}

static void
test_errno (void)
{
  CHECK (gk_int_errno_from_name ("ENOENT") == ENOENT && strcmp (gk_int_errno_name (ENOSPC), "ENOSPC") == 0,
         "errno names both ways");
  CHECK (gk_int_errno_from_name ("EWHATEVER") == EIO, "unknown errno name maps to EIO");
}

static void
test_table (void)
{
  size_t n = 0, rpc = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    n++;
    if (!(gk_int_calls[i].flags & GK_F_LOCAL)) rpc++;
  }
  CHECK (n > 50 && rpc > 40, "table has %zu calls (%zu in the appliance)", n, rpc);
  CHECK (gk_int_lookup_call ("run") == gk_int_lookup_call ("launch"), "aliases resolve");
  CHECK (gk_int_lookup_proc (999999) == NULL, "unknown procedure not found");
}

/* A struct list's count is bounded by the struct's smallest encoding
 * (part-list: 4 integers, 32 bytes), not by 4 bytes an element: a
 * decoded element is ~200 bytes, so a loose bound lets a 4 MiB reply
 * claim (and allocate for) a million elements. */
static void
test_structlist_bound (void)
{
  const struct gk_int_call *c = call ("part-list");
  static char frame[4 + 8000];
  union gk_int_val out;
  struct gk_int_rbuf r;
  gk_int_put_u32 (frame, 1000);
  gk_int_rb_init (&r, frame, sizeof frame);
  CHECK (gk_int_dec_ret (&r, c, &out) == -1 && r.err && strcmp (r.err, "list count too large") == 0,
         "struct list count beyond its smallest encoding refused up front: %s", r.err ? r.err : "-");
  gk_int_put_u32 (frame, 250);
  gk_int_rb_init (&r, frame, sizeof frame);
  CHECK (gk_int_dec_ret (&r, c, &out) == 0 && out.stl->len == 250,
         "a full list of the smallest elements still decodes");
  if (!r.err) gk_int_free_ret (c, &out);
}

/* A received frame (kind first) built from a chunk header and DATA, as
 * the channel readers return it: malloc'd, exactly *FL bytes. */
static char *
chunk_frame (uint32_t serial, uint32_t flags, const void *data, size_t n, size_t *fl)
{
  unsigned char h[GK_CHUNK_HEAD];
  gk_int_chunk_encode (h, serial, flags, n);
  *fl = gk_int_frame_len (h);
  char *f = malloc (*fl);
  memcpy (f, h + GK_FRAME_LEN, GK_CHUNK_HEAD - GK_FRAME_LEN);
  if (n) memcpy (f + GK_CHUNK_HEAD - GK_FRAME_LEN, data, n);
  return f;
}

/* Chunk, cancel and slot headers: round trips, then every truncation and
 * random garbage refused (or accepted only when it re-encodes the same). */
static void
test_headers (void)
{
  unsigned char h[GK_CHUNK_HEAD];
  struct gk_int_chunk ch;
  const char *data;
  size_t fl;
  gk_int_chunk_encode (h, 77, GK_CH_DATA, 5);
  CHECK (gk_int_frame_len (h) == GK_CHUNK_HEAD - GK_FRAME_LEN + 5 && gk_int_chunk_head_decode (h, &ch) == 0
         && ch.serial == 77 && ch.flags == GK_CH_DATA && ch.n == 5, "chunk header round trip");
  uint32_t kind; size_t body;
  CHECK (gk_int_frame_head_decode (h, &kind, &body) == 0 && kind == GK_K_CHUNK
         && body == GK_CHUNK_FIELDS + 5, "frame head: kind and body length");
  char *f = chunk_frame (9, GK_CH_END, NULL, 0, &fl);
  CHECK (gk_int_chunk_decode (f, fl, &ch, &data) == 0 && ch.serial == 9 && ch.flags == GK_CH_END
         && ch.n == 0, "END chunk frame decodes");
  int trunc_ok = 1;
  for (size_t n = 0; n < fl; n++) {
    char *t = malloc (n ? n : 1);
    memcpy (t, f, n);
    if (gk_int_chunk_decode (t, n, &ch, &data) == 0) trunc_ok = 0;
    free (t);
  }
  CHECK (trunc_ok, "every truncated chunk frame refused");
  free (f);
  f = chunk_frame (9, GK_CH_STAGED + 1, NULL, 0, &fl);
  CHECK (gk_int_chunk_decode (f, fl, &ch, &data) == -1, "unknown chunk flag refused");
  free (f);
  gk_int_chunk_encode (h, 1, GK_CH_DATA, GK_CHUNK_MAX + 1);
  CHECK (gk_int_chunk_head_decode (h, &ch) == -1, "chunk data beyond GK_CHUNK_MAX refused");
  gk_int_put_u32 (h, GK_MSG_MAX + 1);
  CHECK (gk_int_chunk_head_decode (h, &ch) == -1 && gk_int_frame_head_decode (h, &kind, &body) == -1,
         "frame length beyond GK_MSG_MAX refused");
  gk_int_put_u32 (h, 0);
  CHECK (!gk_int_frame_len_ok (0) && !gk_int_frame_len_ok (3) && gk_int_frame_len_ok (4)
         && gk_int_frame_head_decode (h, &kind, &body) == -1, "frame lengths below 4 refused");
  CHECK (gk_int_frame_kind ("abc", 3) == 0, "a frame too short for a kind has none");

  /* Slots: round trip, and only slots of the ring. */
  unsigned char b[GK_SLOT_BODY];
  uint64_t off; uint32_t len;
  gk_int_slot_encode (b, (uint64_t) 3 * GK_STAGE_SLOT, 4096);
  CHECK (gk_int_slot_decode (b, sizeof b, &off, &len) == 0 && off == (uint64_t) 3 * GK_STAGE_SLOT
         && len == 4096, "slot round trip");
  CHECK (gk_int_slot_decode (b, sizeof b - 1, &off, &len) == -1
         && gk_int_slot_decode (b, sizeof b + 1, &off, &len) == -1, "slot body of the wrong size refused");
  gk_int_slot_encode (b, GK_STAGE_SIZE, 1);
  int beyond = gk_int_slot_decode (b, sizeof b, &off, &len);
  gk_int_slot_encode (b, 4096, 1);
  int unaligned = gk_int_slot_decode (b, sizeof b, &off, &len);
  gk_int_slot_encode (b, (uint64_t) 1 << 40, 1);
  int high = gk_int_slot_decode (b, sizeof b, &off, &len);
  gk_int_slot_encode (b, 0, GK_STAGE_SLOT + 1);
  int big = gk_int_slot_decode (b, sizeof b, &off, &len);
  CHECK (beyond == -1 && unaligned == -1 && high == -1 && big == -1,
         "slots outside the ring, unaligned or too long refused");
  gk_int_slot_encode (b, GK_STAGE_SLOT, 12);
  f = chunk_frame (5, GK_CH_STAGED, b, sizeof b, &fl);
  CHECK (gk_int_staged_decode (f, fl, 5, &off, &len) == 0 && off == GK_STAGE_SLOT && len == 12,
         "STAGED chunk frame decodes");
  CHECK (gk_int_staged_decode (f, fl, 6, &off, &len) == -1, "STAGED chunk of another call refused");
  free (f);
  f = chunk_frame (5, GK_CH_DATA, b, sizeof b, &fl);
  CHECK (gk_int_staged_decode (f, fl, 5, &off, &len) == -1, "a DATA chunk is no slot");
  free (f);

  /* CANCEL. */
  struct gk_int_wbuf w;
  gk_int_wb_init (&w, GK_K_CANCEL);
  gk_int_wb_u32 (&w, 42);
  gk_int_wb_finish (&w);
  uint32_t serial = 0;
  CHECK (gk_int_cancel_decode (w.p + GK_FRAME_LEN, w.len - GK_FRAME_LEN, &serial) == 0 && serial == 42
         && gk_int_cancel_decode (w.p + GK_FRAME_LEN, w.len - GK_FRAME_LEN - 1, &serial) == -1,
         "CANCEL decodes, truncated refused");
  gk_int_wb_free (&w);

  /* REPLY head: round trip, status checked. */
  struct gk_int_reply_head rh = { 3, 4, GK_ST_ERROR, 5, 6, 7, 8 }, back;
  gk_int_enc_reply_head (&w, &rh);
  gk_int_wb_finish (&w);
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, w.p + GK_FRAME_HEAD, w.len - GK_FRAME_HEAD);
  CHECK (gk_int_dec_reply_head (&r, &back) == 0 && gk_int_rb_done (&r) == 0
         && back.proc == 3 && back.serial == 4 && back.status == GK_ST_ERROR && back.handler_ns == 5
         && back.xfer_bytes == 6 && back.xfer_write_ns == 7 && back.xfer_fsync_ns == 8,
         "reply head round trip");
  gk_int_wb_free (&w);
  rh.status = 2;
  gk_int_enc_reply_head (&w, &rh);
  gk_int_wb_finish (&w);
  gk_int_rb_init (&r, w.p + GK_FRAME_HEAD, w.len - GK_FRAME_HEAD);
  CHECK (gk_int_dec_reply_head (&r, &back) == -1 && r.err, "unknown reply status refused");
  gk_int_wb_free (&w);

  /* CALL head: proc then serial, as docs/protocol.md says. */
  gk_int_enc_call_head (&w, 11, 12);
  gk_int_wb_finish (&w);
  gk_int_rb_init (&r, w.p + GK_FRAME_HEAD, w.len - GK_FRAME_HEAD);
  uint32_t p1, p2;
  CHECK (gk_int_dec_call_head (&r, &p1, &p2) == 0 && p1 == 11 && p2 == 12 && gk_int_rb_done (&r) == 0,
         "call head: proc, serial");
  CHECK (gk_int_dec_call_head (&r, &p1, &p2) == -1 && r.err, "truncated call head refused");
  gk_int_wb_free (&w);

  /* Garbage: whatever a decoder accepts is consistent with itself. */
  srand (12);
  int bad = 0, accepted = 0;
  for (int i = 0; i < 20000; i++) {
    size_t n = (size_t) (rand () % 32);
    char *g = malloc (n ? n : 1);   /* exact size: ASan sees over-reads */
    for (size_t k = 0; k < n; k++) g[k] = (char) (rand () % 4 == 0 ? rand () % 4 : rand ());
    if (n >= 4 && rand () % 2) gk_int_put_u32 (g, GK_K_CHUNK);   /* often a chunk */
    if (n >= 12 && rand () % 2) gk_int_put_u32 (g + 8, (uint32_t) (rand () % 5));   /* a flag */
    if (gk_int_chunk_decode (g, n, &ch, &data) == 0) {
      accepted++;
      if (ch.flags > GK_CH_STAGED || ch.n != n - (GK_CHUNK_HEAD - GK_FRAME_LEN)
          || data != g + (GK_CHUNK_HEAD - GK_FRAME_LEN))
        bad++;
    }
    if (gk_int_slot_decode (g, n, &off, &len) == 0
        && (n != GK_SLOT_BODY || off % GK_STAGE_SLOT || off >= GK_STAGE_SIZE || len > GK_STAGE_SLOT))
      bad++;
    if (n >= GK_CHUNK_HEAD && gk_int_chunk_head_decode (g, &ch) == 0
        && (ch.flags > GK_CH_STAGED || ch.n > GK_CHUNK_MAX))
      bad++;
    free (g);
  }
  CHECK (bad == 0 && accepted > 0, "20000 random headers: %d accepted, none inconsistent", accepted);
}

/* Decode the RESUME body of W (after the kind) from an exact-size copy
 * of its first N bytes, so ASan sees any read beyond them. */
static int
resume_decode_prefix (const struct gk_int_wbuf *w, size_t n, struct gk_int_resume *out,
                      const char **err)
{
  char *copy = malloc (n ? n : 1);
  memcpy (copy, w->p + GK_FRAME_HEAD, n);
  struct gk_int_rbuf r;
  gk_int_rb_init (&r, copy, n);
  int ret = gk_int_resume_decode (&r, out);
  *err = r.err;
  free (copy);
  return ret;
}

static void
test_resume (void)
{
  struct gk_int_resume in = { .sec = 0x123456789abull, .nsec = 999999999,
                              .ndrives = GK_RESUME_MAX_DRIVES }, out;
  for (size_t i = 0; i < GK_RESUME_SEED; i++) in.seed[i] = (unsigned char) (i * 7 + 1);
  struct gk_int_wbuf w;
  gk_int_resume_encode (&w, &in);
  CHECK (gk_int_wb_finish (&w) == 0 && gk_int_frame_kind (w.p + GK_FRAME_LEN, w.len - GK_FRAME_LEN)
         == GK_K_RESUME, "RESUME frame has its kind");
  size_t body = w.len - GK_FRAME_HEAD;
  const char *err;
  memset (&out, 0, sizeof out);
  CHECK (body == 8 + 4 + 4 + GK_RESUME_SEED && resume_decode_prefix (&w, body, &out, &err) == 0
         && out.sec == in.sec && out.nsec == in.nsec && out.ndrives == in.ndrives
         && memcmp (out.seed, in.seed, GK_RESUME_SEED) == 0,
         "RESUME round trip (%zu bytes after the kind)", body);
  int refused = 0;
  for (size_t n = 0; n < body; n++)
    refused += resume_decode_prefix (&w, n, &out, &err) == -1 && err;
  CHECK ((size_t) refused == body, "every truncated RESUME refused with a reason (%d of %zu)",
         refused, body);
  gk_int_wb_free (&w);

  /* A byte too many. */
  gk_int_resume_encode (&w, &in);
  gk_int_wb_u32 (&w, 0);
  gk_int_wb_finish (&w);
  CHECK (resume_decode_prefix (&w, w.len - GK_FRAME_HEAD - 3, &out, &err) == -1 && err,
         "RESUME with a trailing byte refused: %s", err ? err : "(no reason)");
  gk_int_wb_free (&w);

  /* Out of range: nsec a whole second or more, too many drives. */
  struct gk_int_resume bad = in;
  bad.nsec = 1000000000u;
  gk_int_resume_encode (&w, &bad);
  gk_int_wb_finish (&w);
  CHECK (resume_decode_prefix (&w, w.len - GK_FRAME_HEAD, &out, &err) == -1 && err,
         "RESUME with nsec 1e9 refused: %s", err ? err : "(no reason)");
  gk_int_wb_free (&w);
  bad = in;
  bad.ndrives = GK_RESUME_MAX_DRIVES + 1;
  gk_int_resume_encode (&w, &bad);
  gk_int_wb_finish (&w);
  CHECK (resume_decode_prefix (&w, w.len - GK_FRAME_HEAD, &out, &err) == -1 && err,
         "RESUME with %d drives refused: %s", GK_RESUME_MAX_DRIVES + 1, err ? err : "(no reason)");
  gk_int_wb_free (&w);
  bad = in;
  bad.ndrives = 0;
  bad.nsec = 0;
  gk_int_resume_encode (&w, &bad);
  gk_int_wb_finish (&w);
  CHECK (resume_decode_prefix (&w, w.len - GK_FRAME_HEAD, &out, &err) == 0 && out.ndrives == 0,
         "RESUME with no drives accepted");
  gk_int_wb_free (&w);
}

int
main (void)
{
  test_args ();
  test_garbage ();
  test_returns ();
  test_errno ();
  test_table ();
  test_structlist_bound ();
  test_headers ();
  test_resume ();
  return tap_done ();
}
