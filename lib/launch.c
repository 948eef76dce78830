/* guestkit: launch and shutdown, the same for every backend. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "internal.h"
#include "backend.h"

#define SHUTDOWN_GRACE_MS 10000
/* A restored appliance answers RESUME in a fraction of a second; one
 * that does not within this (a damaged saved state that hangs the guest
 * instead of killing it) is given up for a cold boot. */
#define RESTORE_READY_MS 30000

/* The backend's error, onto the handle in its own words. */
static int
backend_failed (gk_h *g)
{
  struct gk_int_vm_err *e = &g->vm.err;
  gk_int_error_errno (g, e->errnum, "%s", e->msg ? e->msg : "launch: the backend failed");
  free (e->msg);
  e->msg = NULL;
  return -1;
}

/* The READY wait in milliseconds (GUESTKIT_LAUNCH_TIMEOUT, seconds). */
static int
launch_timeout_ms (gk_h *g)
{
  return g->launch_timeout_s > 0 ? g->launch_timeout_s * 1000 : -1;
}

/* Where saved appliances of FLAVOUR live: beside its appliance cache
 * directory DIR.  malloc'd, or NULL. */
static char *
snapshot_dir (const char *dir, const char *flavour)
{
  const char *slash = strrchr (dir, '/');
  char *s = NULL;
  if (!slash || asprintf (&s, "%.*s/snapshot-%s", (int) (slash - dir), dir, flavour) == -1)
    return NULL;
  return s;
}

/* One attempt: prepare the backend, start it, wait for READY.  SNAPSHOT:
 * the backend may restore a saved appliance. */
static int
launch_once (gk_h *g, const struct gk_int_backend_ops *ops, const char *variant, int snapshot)
{
  g->kernel_seen = 0;
  g->launch_fatal = 0;
  g->vm_killed = 0;
  memset (g->fatal_match, 0, sizeof g->fatal_match);
  g->contail_len = g->contail_pos = 0;
  /* The drives' content may have changed since add-drive (same files:
   * the descriptors were kept); look again just before the VM opens them. */
  for (size_t i = 0; i < g->nr_drives; i++)
    if (gk_int_drive_recheck (g, &g->drives[i]) == -1) return -1;
  int ch = gk_int_channel (g);
  if (ch == -1) return -1;
  /* Everything the backend may know of the handle. */
  g->vm = (struct gk_int_vm) {
    .drives = g->drives, .nr_drives = g->nr_drives, .memsize = g->memsize, .smp = g->smp,
    .network = g->network, .debug = g->debug, .serial_channel = ch == GK_INT_CHANNEL_SERIAL,
    /* libvirt's variant is its URI, not an accelerator. */
    .kvm_broken = (!variant || ops == &gk_int_backend_libvirt) && gk_int_kvm_known_broken (g),
    .stage_fd = -1,
    .timeout_ms = launch_timeout_ms (g),
  };
  if (ops->prepare (&g->vm, variant) == -1) return backend_failed (g);
  free (g->backend_used);
  g->backend_used = strdup (g->vm.used);
  g->ops = ops;
  int64_t t0 = gk_int_now_us ();
  struct gk_int_appliance ap = { 0 };
  if (gk_int_appliance_get (g, ops->flavour, &ap) == -1) return -1;
  int64_t t_app = gk_int_now_us ();
  gk_int_timing_set (g, "launch.appliance", t_app - t0);
  char *snapdir = snapshot && ops->restore_failed ? snapshot_dir (ap.dir, ops->flavour) : NULL;
  g->vm.snapshot_dir = snapdir;

  int sv[2], cp[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
    gk_int_perror (g, "launch: socketpair");
    gk_int_appliance_free (&ap);
    return -1;
  }
  if (pipe2 (cp, O_CLOEXEC) == -1) {
    gk_int_perror (g, "launch: pipe");
    close (sv[0]); close (sv[1]);
    gk_int_appliance_free (&ap);
    free (snapdir);
    return -1;
  }
  g->state = GK_LAUNCHING;
  gk_int_stage_setup (g);        /* blk datapath: the staging disk */
  if ((g->vm.stage = gk_int_stage_path (g))) g->vm.stage_fd = g->stage_fd;
  pid_t pid = ops->start (&g->vm, &ap, sv[1], cp[1]);
  gk_int_appliance_free (&ap);
  g->vm.snapshot_dir = NULL;
  free (snapdir);
  for (size_t i = 0; i < g->vm.ntimings; i++)
    gk_int_timing_set (g, g->vm.timings[i].name, g->vm.timings[i].us);
  close (sv[1]);
  close (cp[1]);
  g->sock = sv[0];
  g->console = cp[0];
  fcntl (g->sock, F_SETFL, O_NONBLOCK);
  fcntl (g->console, F_SETFL, O_NONBLOCK);
  if (pid == -1) {
    backend_failed (g);
    gk_int_mark_dead (g);
    return -1;
  }
  g->pid = pid;
  int64_t t_spawn = gk_int_now_us ();
  gk_int_timing_set (g, "launch.spawn", t_spawn - t_app);

  /* A restored appliance waits for fresh entropy, the clock and its
   * drives; then it says READY again. */
  int tmo = launch_timeout_ms (g);
  if (g->vm.restored && (tmo < 0 || tmo > RESTORE_READY_MS)) tmo = RESTORE_READY_MS;
  if ((g->vm.restored && gk_int_send_resume (g, g->nr_drives) == -1)
      || gk_int_wait_ready (g, tmo) == -1) {
    gk_int_mark_dead (g);
    return -1;
  }
  if (g->vm.restored)
    gk_int_timing_set (g, "launch.resume", gk_int_now_us () - t_spawn);
  g->state = GK_READY;
  gk_int_timing_set (g, "launch.total", gk_int_now_us () - g->t_launch0);
  return 0;
}

int
gk_int_local_launch (gk_h *g)
{
  const char *variant;
  const struct gk_int_backend_ops *ops = gk_int_find_backend (g->backend, &variant);
  if (!ops) {
    gk_int_error_errno (g, EINVAL, "launch: unknown backend '%s' "
                        "(valid: qemu, qemu:kvm, qemu:tcg, direct, uml, libvirt, libvirt:URI)", g->backend);
    return -1;
  }
  if ((int) g->nr_drives > ops->max_drives) {
    gk_int_error_errno (g, EINVAL, "launch: backend %s supports at most %d drives",
                        ops->name, ops->max_drives);
    return -1;
  }
  g->died = 0;
  gk_int_timing_reset (g, "launch.");
  gk_int_timing_reset (g, "guest.");
  g->t_launch0 = gk_int_now_us ();
  if (launch_once (g, ops, variant, g->snapshot) == 0) return 0;
  /* A restored appliance that did not become ready: that saved state is
   * never used again, and this launch boots.  Not when something killed
   * it: that is no fault of the state, and the launch fails as a cold
   * boot's would. */
  if (g->vm.restored && g->state != GK_READY && !g->vm_killed) {
    const char *why = gk_last_error (g) ? gk_last_error (g) : "";
    gk_int_debug (g, "launch: the restored appliance failed (%.*s); booting instead",
                  (int) strcspn (why, "\n"), why);
    ops->restore_failed (&g->vm);
    g->state = GK_CONFIG;
    gk_int_timing_set (g, "launch.restore_failed", gk_int_now_us () - g->t_launch0);
    if (launch_once (g, ops, variant, 0) == 0) return 0;
  }
  /* KVM chosen by us (not asked for) that cannot run the guest: remember
   * it for this boot and boot again under TCG, once. */
  if (variant == NULL && gk_int_launch_fatal_is_kvm (g) && g->backend_used
      && strcmp (g->backend_used, "qemu:kvm") == 0) {
    const char *why = gk_last_error (g) ? gk_last_error (g) : "";
    gk_int_debug (g, "launch: KVM failed (%.*s); retrying under TCG, and under TCG "
                  "directly until the host reboots", (int) strcspn (why, "\n"), why);
    gk_int_kvm_mark_broken (g);
    g->state = GK_CONFIG;
    gk_int_timing_set (g, "launch.kvm_failed", gk_int_now_us () - g->t_launch0);
    if (launch_once (g, ops, "tcg", g->snapshot) == 0) return 0;
  }
  return -1;
}

int
gk_int_local_shutdown (gk_h *g)
{
  int r = 0;
  g->died = 0;                  /* shut down on purpose: not launched again */
  if (g->state == GK_CONFIG) {
    g->state = GK_DEAD;
    return 0;
  }
  if (g->state == GK_READY) {
    /* Everything the user wrote must be on the images when we return;
     * a stuck daemon must not keep us here (in_shutdown bounds them). */
    g->in_shutdown = 1;
    if (gk_umount_all (g) == -1 || gk_sync (g) == -1) r = -1;
    /* A serial line has no hangup: say goodbye (docs/protocol.md) so the
     * daemon exits instead of reading forever until we kill the VM. */
    static const char bye[4];
    if (g->sock >= 0 && gk_int_channel (g) == GK_INT_CHANNEL_SERIAL
        && send (g->sock, bye, sizeof bye, MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof bye)
      gk_int_debug (g, "shutdown: goodbye to the daemon: %s", strerror (errno));
    if (g->sock >= 0) { close (g->sock); g->sock = -1; }   /* daemon exits */
    int st = gk_int_backend_reap (g, SHUTDOWN_GRACE_MS);
    if (r == 0 && st != -1 && !(WIFEXITED (st) && WEXITSTATUS (st) == 0)) {
      gk_int_error_with_console (g, EIO, "shutdown: the backend did not exit cleanly");
      r = -1;
    }
  }
  gk_int_mark_dead (g);
  return r;
}

/* guestfish's kill-subprocess: the appliance is killed at once (no
 * unmount, no sync: what was not written back is lost) and the handle
 * is back before launch, with its drives and settings, so launch may be
 * called again.  Nothing to kill is not an error, as in guestfish. */
int
gk_int_local_kill_subprocess (gk_h *g)
{
  if (g->pid > 0) {
    gk_int_debug (g, "kill-subprocess: killing backend process %d", (int) g->pid);
    kill (g->pid, SIGKILL);
  }
  gk_int_mark_dead (g);         /* closes the channel, reaps, cleans up */
  g->state = GK_CONFIG;
  return 0;
}
