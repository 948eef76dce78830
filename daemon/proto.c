/* guestkitd: the request loop.  Reads a CALL, checks every field and
 * argument, runs the handler, sends one REPLY (docs/protocol.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "proto.h"

/* The optional arguments present in the running call (handlers read it). */
uint64_t gk_int_optargs_bitmask;

/* Syntax only: device names are resolved (and LVM activated) when the
 * call runs, in gk_int_run_call (args.c). */
static int
check_args (const struct gk_int_call *c, union gk_int_val *a)
{
  return gk_int_args_check (c, a);
}

/* A result too large for a frame becomes an error reply saying so. */
static void
send_reply (const struct gk_int_call *c, uint32_t proc, uint32_t serial,
            int ok, union gk_int_val *r, uint64_t handler_ns)
{
  struct gk_int_reply_head h = {
    .proc = proc, .serial = serial, .status = ok ? GK_ST_OK : GK_ST_ERROR,
    .handler_ns = handler_ns, .xfer_bytes = gk_int_xfer.bytes,
    .xfer_write_ns = gk_int_xfer.write_ns, .xfer_fsync_ns = gk_int_xfer.fsync_ns,
  };
  struct gk_int_wbuf b;
  gk_int_enc_reply_head (&b, &h);
  if (ok) gk_int_enc_ret (&b, c, r);
  else {
    gk_int_wb_str (&b, gk_int_err_name ());
    gk_int_wb_str (&b, gk_int_err_msg ());
  }
  if (ok && gk_int_wb_finish (&b) == -1) {
    gk_int_wb_free (&b);
    h.status = GK_ST_ERROR;
    gk_int_enc_reply_head (&b, &h);
    gk_int_wb_str (&b, "EFBIG");
    gk_int_wb_str (&b, "result larger than the protocol limit (4 MiB): use a "
                   "streaming call such as download");
  }
  if (gk_int_send_wbuf (&b) == -1) {
    gk_int_wb_free (&b);
    exit (1);                   /* host gone */
  }
  gk_int_wb_free (&b);
}

static void
handle_call (struct gk_int_rbuf *rb)
{
  uint32_t proc, serial;
  int head = gk_int_dec_call_head (rb, &proc, &serial);
  int noop = 0;
#ifdef GK_NOOP_CHECK
  /* Test-only (see tests/noop-check.sh): succeed without running. */
  noop = (proc & GK_NOOP_BIT) != 0;
  proc &= ~GK_NOOP_BIT;
#endif
  const struct gk_int_call *c = gk_int_lookup_proc ((int) proc);
  union gk_int_val a[GK_MAX_ARGS], r;
  struct gk_int_optvals o;
  memset (a, 0, sizeof a);
  memset (&o, 0, sizeof o);
  memset (&r, 0, sizeof r);
  gk_int_err_clear ();

  int ok = 0;
  if (head == -1) { fprintf (stderr, "guestkitd: short call header\n"); exit (1); }
  if (!c || (c->flags & GK_F_LOCAL))
    gk_int_err (ENOSYS, "unknown procedure %u (host library is newer than the appliance?)", proc);
  else if (gk_int_dec_args (rb, c, a, &o) == -1)
    gk_int_err (EINVAL, "protocol error decoding arguments: %s", rb->err);
  else {
    int in = 0, out = 0;
    for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
      in |= c->args[i].sub == GK_S_FILEIN;
      out |= c->args[i].sub == GK_S_FILEOUT;
    }
    gk_int_stream_begin (serial, proc, in, out);
    gk_int_optargs_bitmask = o.bitmask;
    uint64_t t0 = gk_int_now_ns ();
    if (check_args (c, a) == 0) {
      gk_int_log ("=> %s", c->name);
      ok = (noop ? gk_int_empty_ret (c, &r) : gk_int_run_call (c, a, &o, &r)) == 0;
      if (!ok && !gk_int_err_isset ())
        gk_int_err (EIO, "%s failed without saying why", c->name);
    }
    gk_int_stream_finish (ok);
    uint64_t dt = gk_int_now_ns () - t0;
    send_reply (c, proc, serial, ok, &r, dt);
    if (ok) gk_int_free_ret (c, &r);
    gk_int_free_args (c, a, &o);
    return;
  }
  /* Refused before running: still a well-formed error reply.  If the
   * call had a FILEIN, the host is streaming: drain it. */
  if (c) {
    int in = 0;
    for (size_t i = 0; c->args[i].type != GK_T_END; i++) in |= c->args[i].sub == GK_S_FILEIN;
    gk_int_stream_begin (serial, proc, in, 0);
    gk_int_stream_finish (0);
    gk_int_free_args (c, a, &o);
  }
  send_reply (c ? c : &(struct gk_int_call) { .ret = GK_R_ERR }, proc, serial, 0, &r, 0);
}

static void
send_ready (const struct gk_int_boot_time *t, size_t n)
{
  struct gk_int_wbuf b;
  gk_int_wb_init (&b, GK_K_READY);
  gk_int_wb_u32 (&b, GK_PROTO_VERSION);
  gk_int_wb_u32 (&b, (uint32_t) n);
  for (size_t i = 0; i < n; i++) {
    gk_int_wb_str (&b, t[i].name);
    gk_int_wb_u64 (&b, t[i].us);
  }
  if (gk_int_send_wbuf (&b) == -1) exit (1);
  gk_int_wb_free (&b);
}

int
gk_int_serve (int fd, const struct gk_int_boot_time *times, size_t ntimes,
              enum gk_int_serve_mode mode)
{
  gk_int_chan_set (fd);
  send_ready (times, ntimes);
  if (mode != GK_SERVE_BOOT) {
    /* The state is saved after the READY above; each restore goes on
     * from here and answers its RESUME with a READY of its own. */
    struct gk_int_boot_time rt[8];
    size_t n = gk_int_resume (mode == GK_SERVE_RESUME_APPLIANCE, rt, sizeof rt / sizeof rt[0]);
    send_ready (rt, n);
  }
  for (;;) {
    char *buf;
    size_t len;
    if (gk_int_recv_frame (&buf, &len) == -1) return 0;   /* host closed */
    struct gk_int_rbuf rb;
    gk_int_rb_init (&rb, buf, len);
    uint32_t kind = gk_int_rb_u32 (&rb);
    if (kind == GK_K_CALL) handle_call (&rb);
    /* Stray CHUNK/CANCEL frames can follow a stream the host aborted
     * late; anything else is ignored too, but logged. */
    else if (kind != GK_K_CHUNK && kind != GK_K_CANCEL)
      fprintf (stderr, "guestkitd: ignoring frame of kind %u\n", kind);
    free (buf);
  }
}
