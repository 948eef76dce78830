/* guestkit: wire encoding (docs/protocol.md).  All integers are little
 * endian.  Decoders never read past the frame and cap every length. */
#include <stdlib.h>
#include <string.h>
#include "wire.h"
#include "stage.h"

#define ABSENT 0xffffffffu      /* length marker of a NULL optional string */

void
gk_int_wb_init (struct gk_int_wbuf *b, enum gk_int_kind kind)
{
  b->p = NULL; b->len = 0; b->cap = 0; b->oom = 0;
  gk_int_wb_u32 (b, 0);         /* frame length, set by finish */
  gk_int_wb_u32 (b, kind);
}

static int
grow (struct gk_int_wbuf *b, size_t n)
{
  if (b->oom) return -1;
  if (b->len + n <= b->cap) return 0;
  if (b->len + n > GK_MSG_MAX + 4) { b->oom = 1; return -1; }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n) cap *= 2;
  char *p = realloc (b->p, cap);
  if (!p) { b->oom = 1; return -1; }
  b->p = p; b->cap = cap;
  return 0;
}

void
gk_int_wb_raw (struct gk_int_wbuf *b, const void *p, size_t n)
{
  if (n == 0 || grow (b, n) == -1) return;
  memcpy (b->p + b->len, p, n);
  b->len += n;
}

void
gk_int_wb_u32 (struct gk_int_wbuf *b, uint32_t v)
{
  unsigned char x[4];
  gk_int_put_u32 (x, v);
  gk_int_wb_raw (b, x, 4);
}

void
gk_int_wb_u64 (struct gk_int_wbuf *b, uint64_t v)
{
  gk_int_wb_u32 (b, (uint32_t) v);
  gk_int_wb_u32 (b, (uint32_t) (v >> 32));
}

void
gk_int_wb_bytes (struct gk_int_wbuf *b, const void *p, size_t n)
{
  if (n > GK_MSG_MAX) { b->oom = 1; return; }
  gk_int_wb_u32 (b, (uint32_t) n);
  gk_int_wb_raw (b, p, n);
}

void
gk_int_wb_str (struct gk_int_wbuf *b, const char *s)
{
  if (!s) gk_int_wb_u32 (b, ABSENT);
  else gk_int_wb_bytes (b, s, strlen (s));
}

int
gk_int_wb_finish (struct gk_int_wbuf *b)
{
  if (b->oom || b->len < 8 || b->len - 4 > GK_MSG_MAX) return -1;
  gk_int_put_u32 (b->p, (uint32_t) (b->len - 4));
  return 0;
}

void
gk_int_wb_free (struct gk_int_wbuf *b)
{
  free (b->p);
  b->p = NULL; b->len = b->cap = 0;
}

void
gk_int_rb_init (struct gk_int_rbuf *r, const void *p, size_t len)
{
  r->p = p; r->len = len; r->off = 0; r->err = NULL;
}

static const char *
take (struct gk_int_rbuf *r, size_t n)
{
  if (r->err) return NULL;
  if (n > r->len - r->off) { r->err = "message truncated"; return NULL; }
  const char *p = r->p + r->off;
  r->off += n;
  return p;
}

uint32_t
gk_int_rb_u32 (struct gk_int_rbuf *r)
{
  const char *p = take (r, 4);
  return p ? gk_int_get_u32 (p) : 0;
}

uint64_t
gk_int_rb_u64 (struct gk_int_rbuf *r)
{
  uint64_t lo = gk_int_rb_u32 (r);
  uint64_t hi = gk_int_rb_u32 (r);
  return lo | hi << 32;
}

int
gk_int_rb_bytes (struct gk_int_rbuf *r, char **out, size_t *n)
{
  *out = NULL; *n = 0;
  uint32_t len = gk_int_rb_u32 (r);
  if (r->err) return -1;
  if (len > GK_MSG_MAX) { r->err = "length field too large"; return -1; }
  const char *p = take (r, len);
  if (!p) return -1;
  char *s = malloc ((size_t) len + 1);
  if (!s) { r->err = "out of memory"; return -1; }
  memcpy (s, p, len);
  s[len] = '\0';
  *out = s; *n = len;
  return 0;
}

char *
gk_int_rb_str (struct gk_int_rbuf *r, int *absent)
{
  if (absent) *absent = 0;
  if (r->err) return NULL;
  if (r->len - r->off >= 4 && gk_int_get_u32 (r->p + r->off) == ABSENT) {
    r->off += 4;
    if (!absent) { r->err = "missing string"; return NULL; }
    *absent = 1;
    return NULL;
  }
  char *s; size_t n;
  if (gk_int_rb_bytes (r, &s, &n) == -1) return NULL;
  if (memchr (s, '\0', n)) {
    free (s);
    r->err = "string contains a NUL byte";
    return NULL;
  }
  return s;
}

const char *
gk_int_rb_rest (struct gk_int_rbuf *r, size_t *n)
{
  *n = r->len - r->off;
  const char *p = r->p + r->off;
  r->off = r->len;
  return p;
}

int
gk_int_rb_done (struct gk_int_rbuf *r)
{
  if (!r->err && r->off != r->len) r->err = "trailing bytes in message";
  return r->err ? -1 : 0;
}

/* --- typed values --- */

static void
enc_strlist (struct gk_int_wbuf *b, char **sl)
{
  uint32_t n = 0;
  if (sl) while (sl[n]) n++;
  gk_int_wb_u32 (b, n);
  for (uint32_t i = 0; i < n; i++) gk_int_wb_str (b, sl[i]);
}

static char **
dec_strlist (struct gk_int_rbuf *r)
{
  uint32_t n = gk_int_rb_u32 (r);
  if (r->err) return NULL;
  /* Each string needs at least 4 bytes, which bounds n by the frame. */
  if (n > (r->len - r->off) / 4) { r->err = "list count too large"; return NULL; }
  char **sl = calloc ((size_t) n + 1, sizeof *sl);
  if (!sl) { r->err = "out of memory"; return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    sl[i] = gk_int_rb_str (r, NULL);
    if (!sl[i]) {
      for (uint32_t j = 0; j < i; j++) free (sl[j]);
      free (sl);
      return NULL;
    }
  }
  return sl;
}

void
gk_int_enc_val (struct gk_int_wbuf *b, enum gk_int_type t,
                const union gk_int_val *v)
{
  switch (t) {
  case GK_T_BOOL: case GK_T_INT: gk_int_wb_u32 (b, (uint32_t) v->i); break;
  case GK_T_INT64: gk_int_wb_u64 (b, (uint64_t) v->i64); break;
  case GK_T_STRING: gk_int_wb_str (b, v->s ? v->s : ""); break;
  case GK_T_OPTSTRING: gk_int_wb_str (b, v->s); break;
  case GK_T_STRINGLIST: enc_strlist (b, v->sl); break;
  case GK_T_BUFFER: gk_int_wb_bytes (b, v->buf.data, v->buf.len); break;
  case GK_T_END: break;
  }
}

int
gk_int_dec_val (struct gk_int_rbuf *r, enum gk_int_type t,
                union gk_int_val *v)
{
  int absent;
  memset (v, 0, sizeof *v);
  switch (t) {
  case GK_T_BOOL:
    v->i = (int32_t) gk_int_rb_u32 (r);
    if (!r->err && v->i != 0 && v->i != 1) r->err = "boolean not 0 or 1";
    break;
  case GK_T_INT: v->i = (int32_t) gk_int_rb_u32 (r); break;
  case GK_T_INT64: v->i64 = (int64_t) gk_int_rb_u64 (r); break;
  case GK_T_STRING: v->s = gk_int_rb_str (r, NULL); break;
  case GK_T_OPTSTRING: v->s = gk_int_rb_str (r, &absent); break;
  case GK_T_STRINGLIST: v->sl = dec_strlist (r); break;
  case GK_T_BUFFER: gk_int_rb_bytes (r, &v->buf.data, &v->buf.len); break;
  case GK_T_END: break;
  }
  return r->err ? -1 : 0;
}

static int
is_sent (const struct gk_int_arg *a)
{
  return a->sub != GK_S_FILEIN && a->sub != GK_S_FILEOUT;
}

void
gk_int_enc_args (struct gk_int_wbuf *b, const struct gk_int_call *c,
                 const union gk_int_val *args,
                 const struct gk_int_optvals *opt)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    if (is_sent (&c->args[i])) gk_int_enc_val (b, c->args[i].type, &args[i]);
  uint64_t mask = opt ? opt->bitmask : 0;
  gk_int_wb_u64 (b, mask);
  for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
    if (mask & (UINT64_C(1) << i))
      gk_int_enc_val (b, c->optargs[i].type, &opt->v[i]);
}

int
gk_int_dec_args (struct gk_int_rbuf *r, const struct gk_int_call *c,
                 union gk_int_val *args, struct gk_int_optvals *opt)
{
  size_t nopt = gk_int_count_args (c->optargs);
  /* Zero everything first: on failure the caller frees all slots. */
  memset (opt, 0, sizeof *opt);
  memset (args, 0, gk_int_count_args (c->args) * sizeof *args);
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    if (is_sent (&c->args[i]) && gk_int_dec_val (r, c->args[i].type, &args[i]) == -1)
      return -1;
  }
  uint64_t mask = gk_int_rb_u64 (r);
  if (r->err) return -1;
  if (nopt < 64 && (mask >> nopt) != 0) {
    r->err = "unknown optional argument (peer is newer)";
    return -1;
  }
  opt->bitmask = mask;
  for (size_t i = 0; i < nopt; i++)
    if (mask & (UINT64_C(1) << i)
        && gk_int_dec_val (r, c->optargs[i].type, &opt->v[i]) == -1)
      return -1;
  return gk_int_rb_done (r);
}

void
gk_int_free_args (const struct gk_int_call *c, union gk_int_val *args,
                  struct gk_int_optvals *opt)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    gk_int_free_val (c->args[i].type, &args[i]);
  if (opt)
    for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
      gk_int_free_val (c->optargs[i].type, &opt->v[i]);
}

static void
enc_sval (struct gk_int_wbuf *b, const struct gk_int_struct *s,
          const struct gk_int_sval *v)
{
  for (size_t i = 0; s->fields[i].type != GK_FT_END; i++)
    if (s->fields[i].type == GK_FT_INT64) gk_int_wb_u64 (b, (uint64_t) v->f[i].i);
    else gk_int_wb_str (b, v->f[i].s ? v->f[i].s : "");
}

/* The fewest bytes one struct of S takes on the wire (8 per integer, 4
 * per string): bounds a list's count by what the frame can hold, so a
 * peer cannot make us allocate 192-byte structs for 4-byte claims. */
static size_t
sval_min_size (const struct gk_int_struct *s)
{
  size_t n = 0;
  for (size_t i = 0; s && s->fields[i].type != GK_FT_END; i++)
    n += s->fields[i].type == GK_FT_INT64 ? 8 : 4;
  return n ? n : 1;
}

static int
dec_sval (struct gk_int_rbuf *r, const struct gk_int_struct *s,
          struct gk_int_sval *v)
{
  memset (v, 0, sizeof *v);
  for (size_t i = 0; s->fields[i].type != GK_FT_END; i++) {
    if (s->fields[i].type == GK_FT_INT64) v->f[i].i = (int64_t) gk_int_rb_u64 (r);
    else v->f[i].s = gk_int_rb_str (r, NULL);
    if (r->err) return -1;
  }
  return 0;
}

void
gk_int_enc_ret (struct gk_int_wbuf *b, const struct gk_int_call *c,
                const union gk_int_val *ret)
{
  const struct gk_int_struct *s = c->ret_struct ? gk_int_lookup_struct (c->ret_struct) : NULL;
  switch (c->ret) {
  case GK_R_ERR: break;
  case GK_R_INT: case GK_R_BOOL: gk_int_wb_u32 (b, (uint32_t) ret->i); break;
  case GK_R_INT64: gk_int_wb_u64 (b, (uint64_t) ret->i64); break;
  case GK_R_STRING: gk_int_wb_str (b, ret->s ? ret->s : ""); break;
  case GK_R_STRINGLIST: enc_strlist (b, ret->sl); break;
  case GK_R_BUFFER: gk_int_wb_bytes (b, ret->buf.data, ret->buf.len); break;
  case GK_R_STRUCT: enc_sval (b, s, ret->st); break;
  case GK_R_STRUCTLIST:
    gk_int_wb_u32 (b, (uint32_t) ret->stl->len);
    for (size_t i = 0; i < ret->stl->len; i++) enc_sval (b, s, &ret->stl->val[i]);
    break;
  }
}

int
gk_int_dec_ret (struct gk_int_rbuf *r, const struct gk_int_call *c,
                union gk_int_val *ret)
{
  const struct gk_int_struct *s = c->ret_struct ? gk_int_lookup_struct (c->ret_struct) : NULL;
  memset (ret, 0, sizeof *ret);
  switch (c->ret) {
  case GK_R_ERR: break;
  case GK_R_INT: ret->i = (int32_t) gk_int_rb_u32 (r); break;
  case GK_R_BOOL:
    ret->i = (int32_t) gk_int_rb_u32 (r);
    if (!r->err && ret->i != 0 && ret->i != 1) r->err = "boolean not 0 or 1";
    break;
  case GK_R_INT64: ret->i64 = (int64_t) gk_int_rb_u64 (r); break;
  case GK_R_STRING: ret->s = gk_int_rb_str (r, NULL); break;
  case GK_R_STRINGLIST: ret->sl = dec_strlist (r); break;
  case GK_R_BUFFER: gk_int_rb_bytes (r, &ret->buf.data, &ret->buf.len); break;
  case GK_R_STRUCT:
    ret->st = calloc (1, sizeof *ret->st);
    if (!ret->st) { r->err = "out of memory"; break; }
    dec_sval (r, s, ret->st);
    break;
  case GK_R_STRUCTLIST: {
    uint32_t n = gk_int_rb_u32 (r);
    if (r->err) break;
    /* Each element takes at least its struct's minimum encoding: a count
     * beyond what the bytes left can hold is refused before allocating
     * (a decoded element is far larger than its encoding). */
    if (!s || n > (r->len - r->off) / sval_min_size (s)) { r->err = "list count too large"; break; }
    ret->stl = calloc (1, sizeof *ret->stl);
    if (!ret->stl || !(ret->stl->val = calloc (n ? n : 1, sizeof (struct gk_int_sval)))) {
      r->err = "out of memory";
      break;
    }
    for (uint32_t i = 0; i < n; i++) {
      ret->stl->len = i + 1;
      if (dec_sval (r, s, &ret->stl->val[i]) == -1) break;
    }
    break;
  }
  }
  if (gk_int_rb_done (r) == -1) {
    gk_int_free_ret (c, ret);
    return -1;
  }
  return 0;
}

/* --- fixed headers --- */

uint32_t
gk_int_frame_len (const void *h)
{
  return gk_int_get_u32 (h);
}

int
gk_int_frame_len_ok (uint32_t len)
{
  return len >= 4 && len <= GK_MSG_MAX;
}

int
gk_int_frame_head_decode (const void *h, uint32_t *kind, size_t *body)
{
  const char *p = h;
  uint32_t len = gk_int_get_u32 (p);
  *kind = gk_int_get_u32 (p + GK_FRAME_LEN);
  *body = len >= GK_FRAME_HEAD - GK_FRAME_LEN ? len - (GK_FRAME_HEAD - GK_FRAME_LEN) : 0;
  return gk_int_frame_len_ok (len) ? 0 : -1;
}

uint32_t
gk_int_frame_kind (const void *f, size_t fl)
{
  return fl >= 4 ? gk_int_get_u32 (f) : 0;
}

/* Offsets in a received frame (kind first) and in a chunk header (the
 * length word first). */
#define F_KIND 0
#define F_SERIAL 4
#define F_FLAGS 8
#define F_CHUNK_DATA 12

void
gk_int_chunk_encode (unsigned char h[GK_CHUNK_HEAD], uint32_t serial, uint32_t flags,
                     size_t n)
{
  gk_int_put_u32 (h, (uint32_t) (GK_CHUNK_HEAD - GK_FRAME_LEN + n));
  gk_int_put_u32 (h + GK_FRAME_LEN + F_KIND, GK_K_CHUNK);
  gk_int_put_u32 (h + GK_FRAME_LEN + F_SERIAL, serial);
  gk_int_put_u32 (h + GK_FRAME_LEN + F_FLAGS, flags);
}

int
gk_int_chunk_decode (const void *f, size_t fl, struct gk_int_chunk *ch, const char **data)
{
  const char *p = f;
  if (fl < F_CHUNK_DATA || gk_int_get_u32 (p + F_KIND) != GK_K_CHUNK) return -1;
  ch->serial = gk_int_get_u32 (p + F_SERIAL);
  ch->flags = gk_int_get_u32 (p + F_FLAGS);
  ch->n = fl - F_CHUNK_DATA;
  if (ch->flags > GK_CH_STAGED || ch->n > GK_CHUNK_MAX) return -1;
  *data = p + F_CHUNK_DATA;
  return 0;
}

int
gk_int_chunk_head_decode (const void *h, struct gk_int_chunk *ch)
{
  const char *p = h;
  uint32_t len = gk_int_get_u32 (p);
  if (!gk_int_frame_len_ok (len) || len < F_CHUNK_DATA
      || gk_int_get_u32 (p + GK_FRAME_LEN + F_KIND) != GK_K_CHUNK)
    return -1;
  ch->serial = gk_int_get_u32 (p + GK_FRAME_LEN + F_SERIAL);
  ch->flags = gk_int_get_u32 (p + GK_FRAME_LEN + F_FLAGS);
  ch->n = len - F_CHUNK_DATA;
  return ch->flags > GK_CH_STAGED || ch->n > GK_CHUNK_MAX ? -1 : 0;
}

int
gk_int_cancel_decode (const void *f, size_t fl, uint32_t *serial)
{
  const char *p = f;
  if (fl != F_SERIAL + GK_CANCEL_BODY || gk_int_get_u32 (p + F_KIND) != GK_K_CANCEL) return -1;
  *serial = gk_int_get_u32 (p + F_SERIAL);
  return 0;
}

void
gk_int_slot_encode (unsigned char b[GK_SLOT_BODY], uint64_t off, uint32_t len)
{
  gk_int_put_u32 (b, (uint32_t) off);
  gk_int_put_u32 (b + 4, (uint32_t) (off >> 32));
  gk_int_put_u32 (b + 8, len);
}

int
gk_int_slot_decode (const void *b, size_t n, uint64_t *off, uint32_t *len)
{
  const char *p = b;
  if (n != GK_SLOT_BODY) return -1;
  *off = gk_int_get_u32 (p) | (uint64_t) gk_int_get_u32 (p + 4) << 32;
  *len = gk_int_get_u32 (p + 8);
  return *off % GK_STAGE_SLOT || *off >= GK_STAGE_SIZE || *len > GK_STAGE_SLOT ? -1 : 0;
}

int
gk_int_staged_decode (const void *f, size_t fl, uint32_t serial, uint64_t *off, uint32_t *len)
{
  struct gk_int_chunk ch;
  const char *data;
  if (gk_int_chunk_decode (f, fl, &ch, &data) == -1 || ch.serial != serial
      || ch.flags != GK_CH_STAGED)
    return -1;
  return gk_int_slot_decode (data, ch.n, off, len);
}

void
gk_int_enc_call_head (struct gk_int_wbuf *b, uint32_t proc, uint32_t serial)
{
  gk_int_wb_init (b, GK_K_CALL);
  gk_int_wb_u32 (b, proc);
  gk_int_wb_u32 (b, serial);
}

int
gk_int_dec_call_head (struct gk_int_rbuf *r, uint32_t *proc, uint32_t *serial)
{
  *proc = gk_int_rb_u32 (r);
  *serial = gk_int_rb_u32 (r);
  return r->err ? -1 : 0;
}

void
gk_int_enc_reply_head (struct gk_int_wbuf *b, const struct gk_int_reply_head *h)
{
  gk_int_wb_init (b, GK_K_REPLY);
  gk_int_wb_u32 (b, h->proc);
  gk_int_wb_u32 (b, h->serial);
  gk_int_wb_u32 (b, h->status);
  gk_int_wb_u64 (b, h->handler_ns);
  gk_int_wb_u64 (b, h->xfer_bytes);
  gk_int_wb_u64 (b, h->xfer_write_ns);
  gk_int_wb_u64 (b, h->xfer_fsync_ns);
}

int
gk_int_dec_reply_head (struct gk_int_rbuf *r, struct gk_int_reply_head *h)
{
  h->proc = gk_int_rb_u32 (r);
  h->serial = gk_int_rb_u32 (r);
  h->status = gk_int_rb_u32 (r);
  h->handler_ns = gk_int_rb_u64 (r);
  h->xfer_bytes = gk_int_rb_u64 (r);
  h->xfer_write_ns = gk_int_rb_u64 (r);
  h->xfer_fsync_ns = gk_int_rb_u64 (r);
  if (!r->err && h->status > GK_ST_ERROR) r->err = "unknown reply status";
  return r->err ? -1 : 0;
}

void
gk_int_resume_encode (struct gk_int_wbuf *b, const struct gk_int_resume *r)
{
  gk_int_wb_init (b, GK_K_RESUME);
  gk_int_wb_u64 (b, r->sec);
  gk_int_wb_u32 (b, r->nsec);
  gk_int_wb_u32 (b, r->ndrives);
  gk_int_wb_raw (b, r->seed, sizeof r->seed);
}

int
gk_int_resume_decode (struct gk_int_rbuf *rb, struct gk_int_resume *r)
{
  r->sec = gk_int_rb_u64 (rb);
  r->nsec = gk_int_rb_u32 (rb);
  r->ndrives = gk_int_rb_u32 (rb);
  const char *seed = take (rb, sizeof r->seed);
  if (seed) memcpy (r->seed, seed, sizeof r->seed);
  if (!rb->err && (r->nsec >= 1000000000u || r->ndrives > GK_RESUME_MAX_DRIVES))
    rb->err = "RESUME out of range";
  return gk_int_rb_done (rb);
}
