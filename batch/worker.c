/* gkbatch: the worker, a child process per image.  A process of its own
 * isolates the images from each other and from gkbatch: a crash, a
 * hang or a kill ends only this image, and the appliance dies with the
 * process that launched it (the library arranges that).
 *
 * It writes the script's output to its standard output (a pipe that
 * gkbatch bounds) and, at the end, one JSON result to RESFD: the phase
 * that failed, the message, the failing command and line, and timings.
 * SIGTERM (timeout, Ctrl-C) cancels the call in flight and ends the
 * script; gkbatch follows with SIGKILL if that takes too long. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkbatch.h"
#include "fullio.h"
#include "guestkit.h"
#include "cmd.h"

volatile sig_atomic_t gkb_worker_stop;
static gk_h *volatile cur;
static int resfd_ = -1;

/* "#PHASE\n" on the result pipe as each phase starts, so that gkbatch
 * can say where a worker it had to kill (timeout) was. */
static void
phase (const char *name)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "#%s\n", name);
  if (resfd_ != -1 && write (resfd_, buf, (size_t) n) < 0) { /* gkbatch is gone */ }
}

static void
on_term (int sig)
{
  gkb_worker_stop = 1;
  gk_h *g = cur;
  if (g) gk_user_cancel (g);
}

static void
fail (struct gkb_result *r, const char *phase, const char *msg)
{
  r->status = GKB_FAILED;
  r->phase = strdup (phase);
  r->error = strdup (msg && *msg ? msg : "failed");
  /* The appliance dying or not starting is about the machine, not the
   * image: worth another try.  A script or mount error is the image's. */
  r->retryable = strcmp (phase, "launch") == 0
    || (msg && strstr (msg, "the appliance died"));
}

static void
fail_g (struct gkb_result *r, const char *phase, gk_h *g)
{
  fail (r, phase, gk_last_error (g));
}

/* Run one line; 0, -1 on error (R filled), 1 to stop (quit). */
static int
run_line (gk_h *g, const struct gkb_script *s, const struct gkb_script_line *l,
          struct gkb_result *r)
{
  char **w = l->words;
  if (!strcmp (w[0], "run") || !strcmp (w[0], "launch")) return 0;
  if (!strcmp (w[0], "quit") || !strcmp (w[0], "exit")) return 1;
  if (!strcmp (w[0], "echo")) {
    for (size_t i = 1; w[i]; i++) printf ("%s%s", i > 1 ? " " : "", w[i]);
    putchar ('\n');
    return 0;
  }
  char *msg = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&msg, &len);
  if (!m) { fail (r, "script", "out of memory"); return -1; }
  int ret = gk_cmd_run (g, w, stdout, m);
  fclose (m);
  if (ret == 0 || l->ignore_errors) { free (msg); return 0; }
  /* "gkbatch: mkdir: /a: No such file or directory\n" */
  const char *e = msg ? msg : "";
  if (strncmp (e, "gkbatch: ", 9) == 0) e += 9;
  if (len && msg[len - 1] == '\n') msg[len - 1] = '\0';
  fail (r, "script", e);
  r->command = strdup (w[0]);
  r->line = (long) l->lineno;
  free (msg);
  (void) s;
  return -1;
}

static int
validate (const struct gkb_opts *o, const char *path, struct gkb_result *r)
{
  /* The image passes add-drive's checks on its own (no backing file,
   * format as claimed) before an overlay of ours is put over it. */
  gk_h *g = gk_create ();
  if (!g) { fail (r, "drive", "cannot create a handle"); return -1; }
  struct gk_add_drive_opts d = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
  if (o->format) { d.bitmask |= GK_ADD_DRIVE_FORMAT; d.format = o->format; }
  int ret = gk_add_drive (g, path, &d);
  if (ret == -1) fail_g (r, "drive", g);
  gk_close (g);
  /* The image must also be writable for the commit. */
  if (ret == 0 && access (path, W_OK) == -1) {
    char *e;
    if (asprintf (&e, "%s: %s", path, strerror (errno)) == -1) e = NULL;
    fail (r, "drive", e);
    free (e);
    return -1;
  }
  return ret;
}

static int
add_drive (gk_h *g, const struct gkb_opts *o, const char *path, const char *overlay,
           struct gkb_result *r)
{
  struct gk_add_drive_opts d = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = !o->rw };
  if (o->cachemode) { d.bitmask |= GK_ADD_DRIVE_CACHEMODE; d.cachemode = o->cachemode; }
  if (o->iface) { d.bitmask |= GK_ADD_DRIVE_IFACE; d.iface = o->iface; }
  if (overlay) {
    if (validate (o, path, r) == -1) return -1;
    char *err = NULL;
    const char *fmt = o->format ? o->format : gkb_probe_format (path);
    if (gkb_overlay_create (path, fmt, overlay, &err) == -1) {
      fail (r, "drive", err);
      free (err);
      return -1;
    }
    d.bitmask |= GK_ADD_DRIVE_FORMAT | GK_ADD_DRIVE_ALLOW_BACKING;
    d.format = "qcow2";
    d.allow_backing = 1;
    path = overlay;
  }
  else if (o->format) { d.bitmask |= GK_ADD_DRIVE_FORMAT; d.format = o->format; }
  if (gk_add_drive (g, path, &d) == -1) { fail_g (r, "drive", g); return -1; }
  return 0;
}

static int
run_image (gk_h *g, const struct gkb_opts *o, const struct gkb_script *s,
           const char *path, const char *overlay, struct gkb_result *r)
{
  phase ("drive");
  if (o->backend && gk_set_backend (g, o->backend) == -1) { fail_g (r, "drive", g); return -1; }
  if (add_drive (g, o, path, overlay, r) == -1) return -1;
  phase ("launch");
  double t = gkb_now ();
  int lr = gk_launch (g);
  r->t_launch = gkb_now () - t;
  r->backend = gk_get_backend (g);
  if (lr == -1) { fail_g (r, "launch", g); return -1; }
  t = gkb_now ();
  char *err = NULL;
  phase ("mount");
  if (gkb_mount_all (g, o, &err) == -1) {
    fail (r, "mount", err);
    free (err);
    return -1;
  }
  int sr = 0;
  phase ("script");
  for (size_t i = 0; i < s->n && sr == 0 && !gkb_worker_stop; i++)
    sr = run_line (g, s, &s->lines[i], r);
  fflush (stdout);
  r->t_script = gkb_now () - t;
  if (sr == -1) return -1;
  if (gkb_worker_stop) { fail (r, "script", "stopped"); return -1; }
  /* Shut down cleanly: with --rw this is where data reaches the disk. */
  phase ("shutdown");
  if (gk_shutdown (g) == -1) { fail_g (r, "shutdown", g); return -1; }
  return 0;
}

int
gkb_worker (const struct gkb_opts *o, const struct gkb_script *s,
            const char *path, const char *overlay, int resfd)
{
  struct sigaction sa = { .sa_handler = on_term };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGINT, SIG_IGN);     /* Ctrl-C is gkbatch's to handle */
  gk_cmd_set_prefix ("gkbatch");
  resfd_ = resfd;

  struct gkb_result r = { .status = GKB_OK, .path = strdup (path) };
  double t0 = gkb_now ();
  if (o->dry_run) r.dry_run = 1;
  else {
    gk_h *g = gk_create ();
    if (!g) fail (&r, "launch", "cannot create a handle");
    else {
      cur = g;
      run_image (g, o, s, path, overlay, &r);
      cur = NULL;
      gk_close (g);
    }
  }
  r.t_total = gkb_now () - t0;
  char *j = gkb_result_json (&r);
  int ret = r.status == GKB_OK ? 0 : 1;
  if (j) {
    if (gk_int_write_full (resfd, j, strlen (j)) == -1) ret = 1;
    free (j);
  }
  gkb_result_free (&r);
  return ret;
}
