/* Writes the wire seeds of fuzz/corpus/wire-call and wire-reply with the
 * real encoder (so they stay valid frames).  Built and run by hand:
 *   cc -Icommon -Iinclude -o /tmp/mkseeds fuzz/mkseeds.c common/api-table.c \
 *      common/api-util.c common/wire.c common/errnostr.c && /tmp/mkseeds fuzz/corpus
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "wire.h"

static void
save (const char *dir, const char *name, const void *p, size_t n)
{
  char path[512];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen (path, "wb");
  if (!f || fwrite (p, 1, n, f) != n || fclose (f) != 0) { perror (path); exit (1); }
}

static const struct gk_int_call *
call (const char *n)
{
  const struct gk_int_call *c = gk_int_lookup_call (n);
  if (!c) { fprintf (stderr, "no call %s\n", n); exit (1); }
  return c;
}

static void
seed_call (const char *dir, const char *name, const char *cname,
           union gk_int_val *a, struct gk_int_optvals *o)
{
  const struct gk_int_call *c = call (cname);
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_CALL);
  gk_int_wb_u32 (&b, (uint32_t) c->proc);
  gk_int_wb_u32 (&b, 7);
  gk_int_enc_args (&b, c, a, o);
  gk_int_wb_finish (&b);
  save (dir, name, b.p + 4, b.len - 4);
  gk_int_wb_free (&b);
}

/* Reply seeds: one REPLY frame of CNAME (kind first). */
static void
seed_reply (const char *dir, const char *name, const char *cname, int err,
            union gk_int_val *r)
{
  const struct gk_int_call *c = call (cname);
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_REPLY);
  gk_int_wb_u32 (&b, (uint32_t) c->proc);
  gk_int_wb_u32 (&b, 7);
  gk_int_wb_u32 (&b, err ? GK_ST_ERROR : GK_ST_OK);
  for (int i = 0; i < 4; i++) gk_int_wb_u64 (&b, 1000);
  if (err) { gk_int_wb_str (&b, "ENOENT"); gk_int_wb_str (&b, "/x: No such file"); }
  else gk_int_enc_ret (&b, c, r);
  gk_int_wb_finish (&b);
  save (dir, name, b.p + 4, b.len - 4);
  gk_int_wb_free (&b);
}

int
main (int argc, char **argv)
{
  if (argc != 2) return 2;
  char d1[512], d2[512];
  snprintf (d1, sizeof d1, "%s/wire-call", argv[1]);
  snprintf (d2, sizeof d2, "%s/wire-reply", argv[1]);
  union gk_int_val a[GK_MAX_ARGS];
  struct gk_int_optvals o;
  memset (a, 0, sizeof a); memset (&o, 0, sizeof o);
  a[0].s = "/a/b";
  seed_call (d1, "mkdir", "mkdir", a, &o);
  a[0].s = "ext4"; a[1].s = "/dev/sda1";
  o.bitmask = 5; o.v[0].i = 4096; o.v[2].s = "LBL";
  seed_call (d1, "mkfs-opts", "mkfs", a, &o);
  memset (&o, 0, sizeof o);
  char *words[] = { "a", "", "c d", NULL };
  a[0].sl = words;
  seed_call (d1, "echo-daemon", "echo-daemon", a, &o);
  a[0].s = "/f"; a[1].buf.data = "a\0b"; a[1].buf.len = 3;
  seed_call (d1, "write", "write", a, &o);
  a[0].s = "/d"; a[1].i = 1;
  seed_call (d1, "is-dir", "is-dir", a, &o);

  union gk_int_val r;
  r.s = "hello";
  seed_reply (d2, "cat", "cat", 0, &r);
  seed_reply (d2, "cat-error", "cat", 1, &r);
  r.sl = words;
  seed_reply (d2, "ls", "ls", 0, &r);
  r.i = 1;
  seed_reply (d2, "is-dir", "is-dir", 0, &r);
  struct gk_int_sval sv; memset (&sv, 0, sizeof sv);
  sv.f[0].i = 1; sv.f[1].s = "x";
  struct gk_int_sval svs[2] = { sv, sv };
  struct gk_int_slist l = { .len = 2, .val = svs };
  r.stl = &l;
  seed_reply (d2, "part-list", "part-list", 0, &r);
  r.st = &sv;
  seed_reply (d2, "statns", "statns", 0, &r);
  /* progress, chunk and ready frames */
  unsigned char pf[28] = { 4 };
  pf[12] = 10; pf[20] = 100;
  save (d2, "progress", pf, sizeof pf);
  unsigned char cf[12 + 3] = { 3, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c' };
  save (d2, "chunk", cf, sizeof cf);
  unsigned char sf[24] = { 3, 0, 0, 0, 7, 0, 0, 0, 3 };
  sf[20] = 0x10;
  save (d2, "chunk-staged", sf, sizeof sf);
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_READY);
  gk_int_wb_u32 (&b, GK_PROTO_VERSION);
  gk_int_wb_u32 (&b, 1);
  gk_int_wb_str (&b, "guest.init");
  gk_int_wb_u64 (&b, 12345);
  gk_int_wb_finish (&b);
  save (d2, "ready", b.p + 4, b.len - 4);
  gk_int_wb_free (&b);
  return 0;
}
