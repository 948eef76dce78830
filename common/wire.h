/* guestkit: wire encoding shared by the library and the daemon.
 * The format is described in docs/protocol.md.  Every decoder checks
 * bounds: a peer that sends garbage gets an error, never a crash.
 */
#ifndef GK_COMMON_WIRE_H
#define GK_COMMON_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "api.h"

#define GK_PROTO_VERSION 1
/* Largest frame (kind + header + body).  Bulk data goes in chunks well
 * below this; strings and lists larger than this are refused. */
#define GK_MSG_MAX (4u * 1024 * 1024)
#define GK_CHUNK_MAX (1024u * 1024)        /* data bytes per CHUNK frame */
#define GK_CHUNK_DEFAULT (256u * 1024)
#define GK_ERRNAME_MAX 32
#define GK_ERRMSG_MAX 4096

/* Frame kinds (field order as sent; docs/protocol.md). */
enum gk_int_kind {
  GK_K_CALL = 1,      /* host->daemon: proc, serial, args, optargs bitmask, optargs */
  GK_K_REPLY = 2,     /* daemon->host: proc, serial, status, 4 times, ret|error */
  GK_K_CHUNK = 3,     /* both: serial, flags, data */
  GK_K_PROGRESS = 4,  /* daemon->host: proc, serial, done, total */
  GK_K_READY = 5,     /* daemon->host, once: version, timings */
  GK_K_CANCEL = 6,    /* either side: serial; stop the current stream */
  GK_K_RESUME = 7,    /* host->daemon, once, after a restore: struct gk_int_resume */
};

enum gk_int_status { GK_ST_OK = 0, GK_ST_ERROR = 1 };
/* GK_CH_STAGED: the data is in the staging disk, body u64 offset + u32
 * length (common/stage.h); the receiver answers with the same frame once
 * the slot may be reused. */
enum gk_int_chunkflag { GK_CH_DATA = 0, GK_CH_END = 1, GK_CH_CANCEL = 2,
                        GK_CH_STAGED = 3 };

/* A growable output buffer.  The first 4 bytes are reserved for the
 * frame length, filled in by gk_int_wb_finish. */
struct gk_int_wbuf {
  char *p;
  size_t len, cap;
  int oom;            /* sticky: an allocation failed */
};

void gk_int_wb_init (struct gk_int_wbuf *b, enum gk_int_kind kind);
void gk_int_wb_u32 (struct gk_int_wbuf *b, uint32_t v);
void gk_int_wb_u64 (struct gk_int_wbuf *b, uint64_t v);
void gk_int_wb_bytes (struct gk_int_wbuf *b, const void *p, size_t n);
void gk_int_wb_str (struct gk_int_wbuf *b, const char *s);  /* NULL ok */
void gk_int_wb_raw (struct gk_int_wbuf *b, const void *p, size_t n);
/* Returns 0, or -1 if allocation failed or the frame exceeds GK_MSG_MAX. */
int gk_int_wb_finish (struct gk_int_wbuf *b);
void gk_int_wb_free (struct gk_int_wbuf *b);

/* A bounded reader over a received frame body. */
struct gk_int_rbuf {
  const char *p;
  size_t len, off;
  const char *err;    /* first decoding error, static string */
};

void gk_int_rb_init (struct gk_int_rbuf *r, const void *p, size_t len);
uint32_t gk_int_rb_u32 (struct gk_int_rbuf *r);
uint64_t gk_int_rb_u64 (struct gk_int_rbuf *r);
/* Strings: NUL-free, at most GK_MSG_MAX; allocated; NULL on error or if
 * the peer sent the absent marker (only valid for optional strings). */
char *gk_int_rb_str (struct gk_int_rbuf *r, int *absent);
int gk_int_rb_bytes (struct gk_int_rbuf *r, char **p, size_t *n);
const char *gk_int_rb_rest (struct gk_int_rbuf *r, size_t *n);
int gk_int_rb_done (struct gk_int_rbuf *r);  /* -1 if error or bytes left */

/* Typed values (arguments, optional arguments, returns). */
void gk_int_enc_val (struct gk_int_wbuf *b, enum gk_int_type t,
                     const union gk_int_val *v);
int gk_int_dec_val (struct gk_int_rbuf *r, enum gk_int_type t,
                    union gk_int_val *v);
/* Args of a call, excluding FILEIN/FILEOUT which are never sent. */
void gk_int_enc_args (struct gk_int_wbuf *b, const struct gk_int_call *c,
                      const union gk_int_val *args,
                      const struct gk_int_optvals *opt);
int gk_int_dec_args (struct gk_int_rbuf *r, const struct gk_int_call *c,
                     union gk_int_val *args, struct gk_int_optvals *opt);
void gk_int_free_args (const struct gk_int_call *c, union gk_int_val *args,
                       struct gk_int_optvals *opt);
void gk_int_enc_ret (struct gk_int_wbuf *b, const struct gk_int_call *c,
                     const union gk_int_val *ret);
int gk_int_dec_ret (struct gk_int_rbuf *r, const struct gk_int_call *c,
                    union gk_int_val *ret);

/* --- fixed headers: every byte offset of the protocol is here --- */

/* Every frame: u32 length (the bytes after it, kind included), u32 kind. */
#define GK_FRAME_LEN 4        /* the length word */
#define GK_FRAME_HEAD 8       /* length + kind */
/* The length word of a frame starting at H (GK_FRAME_LEN bytes). */
uint32_t gk_int_frame_len (const void *h);
/* 1 if LEN is a valid frame length (4 .. GK_MSG_MAX); 0 (the host's
 * goodbye) and anything else are not. */
int gk_int_frame_len_ok (uint32_t len);
/* A frame head read off the channel (GK_FRAME_HEAD bytes): 0, *kind and
 * *body (the bytes that follow the head), or -1 if the length is not valid. */
int gk_int_frame_head_decode (const void *h, uint32_t *kind, size_t *body);
/* The kind of a received frame F (FL bytes, kind first, as the channel
 * readers return it), or 0 if it is too short to have one. */
uint32_t gk_int_frame_kind (const void *f, size_t fl);

/* CHUNK: u32 serial, u32 flags, data.  GK_CHUNK_HEAD covers the frame
 * head too, so a sender can write header and data with one writev. */
#define GK_CHUNK_FIELDS 8     /* serial, flags */
#define GK_CHUNK_HEAD (GK_FRAME_HEAD + GK_CHUNK_FIELDS)
struct gk_int_chunk {
  uint32_t serial, flags;
  size_t n;             /* data bytes after the header */
};
/* Header of a CHUNK frame of SERIAL with FLAGS and N data bytes (N at
 * most GK_CHUNK_MAX). */
void gk_int_chunk_encode (unsigned char h[GK_CHUNK_HEAD], uint32_t serial,
                          uint32_t flags, size_t n);
/* A whole received frame F (FL bytes, kind first): 0 and *CH set (*DATA
 * pointing into F) if it is a CHUNK with known flags and at most
 * GK_CHUNK_MAX data bytes; -1 otherwise. */
int gk_int_chunk_decode (const void *f, size_t fl, struct gk_int_chunk *ch,
                         const char **data);
/* The same from a header read straight off the channel (GK_CHUNK_HEAD
 * bytes, length word included), before its data: -1 unless the length is
 * valid, the kind is CHUNK and the flags are known. */
int gk_int_chunk_head_decode (const void *h, struct gk_int_chunk *ch);

/* CANCEL: u32 serial. */
#define GK_CANCEL_BODY 4
/* Decode a received frame (kind first): 0 and *serial, or -1 if it is
 * not a well-formed CANCEL. */
int gk_int_cancel_decode (const void *f, size_t fl, uint32_t *serial);

/* A STAGED chunk's body: u64 offset, u32 length of a staging-disk slot
 * (common/stage.h). */
#define GK_SLOT_BODY 12
void gk_int_slot_encode (unsigned char b[GK_SLOT_BODY], uint64_t off, uint32_t len);
/* 0 if B (N bytes) is exactly a slot body naming a slot of the ring (the
 * offset a multiple of GK_STAGE_SLOT inside GK_STAGE_SIZE, the length at
 * most GK_STAGE_SLOT); -1 otherwise. */
int gk_int_slot_decode (const void *b, size_t n, uint64_t *off, uint32_t *len);
/* A received frame that is a STAGED chunk of SERIAL naming a valid slot:
 * 0 and *off, *len; -1 otherwise. */
int gk_int_staged_decode (const void *f, size_t fl, uint32_t serial,
                          uint64_t *off, uint32_t *len);

/* CALL and REPLY heads (what precedes the arguments, the result). */
void gk_int_enc_call_head (struct gk_int_wbuf *b, uint32_t proc, uint32_t serial);
/* After the kind: -1 (r->err set) if truncated. */
int gk_int_dec_call_head (struct gk_int_rbuf *r, uint32_t *proc, uint32_t *serial);
struct gk_int_reply_head {
  uint32_t proc, serial, status;
  /* The daemon's measurement of the call (docs/protocol.md, REPLY). */
  uint64_t handler_ns, xfer_bytes, xfer_write_ns, xfer_fsync_ns;
};
/* Starts a REPLY frame in B (gk_int_wb_init included). */
void gk_int_enc_reply_head (struct gk_int_wbuf *b, const struct gk_int_reply_head *h);
/* After the kind: -1 (r->err set) if truncated or the status unknown. */
int gk_int_dec_reply_head (struct gk_int_rbuf *r, struct gk_int_reply_head *h);

/* RESUME: the first frame the host sends to an appliance restored from a
 * saved state (gk.snapshot=1 on the kernel line; docs/protocol.md).  The
 * saved guest holds the RNG state and the clock of the moment it was
 * saved, and no user drives: the host sends fresh entropy, its
 * CLOCK_REALTIME, and how many user drives to look for (SCSI targets
 * 0..ndrives-1 on the virtio-scsi controller).  The daemon answers with a
 * second READY. */
#define GK_RESUME_SEED 64             /* bytes of entropy */
#define GK_RESUME_MAX_DRIVES 64
struct gk_int_resume {
  uint64_t sec;                       /* host CLOCK_REALTIME */
  uint32_t nsec;
  uint32_t ndrives;
  unsigned char seed[GK_RESUME_SEED];
};
/* A whole RESUME frame in B (gk_int_wb_init included). */
void gk_int_resume_encode (struct gk_int_wbuf *b, const struct gk_int_resume *r);
/* After the kind: 0, or -1 (r->err set) if truncated, too long, or out of
 * range (nsec >= 1e9, ndrives > GK_RESUME_MAX_DRIVES). */
int gk_int_resume_decode (struct gk_int_rbuf *rb, struct gk_int_resume *r);

/* Little-endian helpers for fixed headers (used by the functions above;
 * other code calls those instead of reading at offsets). */
static inline uint32_t gk_int_get_u32 (const void *p)
{
  const unsigned char *b = p;
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16
    | (uint32_t) b[3] << 24;
}
static inline void gk_int_put_u32 (void *p, uint32_t v)
{
  unsigned char *b = p;
  b[0] = v; b[1] = v >> 8; b[2] = v >> 16; b[3] = v >> 24;
}

/* errno <-> name, so errors are portable between host and appliance. */
GK_INT_EXPORT const char *gk_int_errno_name (int e);
GK_INT_EXPORT int gk_int_errno_from_name (const char *name);

#endif
