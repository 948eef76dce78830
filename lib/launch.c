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

static const struct { const char *name; const struct gk_int_backend_ops *ops; } backends[] = {
  { "qemu", &gk_int_backend_qemu },
  { "uml", &gk_int_backend_uml },
};

const struct gk_int_backend_ops *
gk_int_find_backend (const char *name, const char **variant_r)
{
  size_t n = strcspn (name, ":");
  *variant_r = name[n] == ':' ? name + n + 1 : NULL;
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strlen (backends[i].name) == n && strncmp (backends[i].name, name, n) == 0)
      return backends[i].ops;
  return NULL;
}

int
gk_int_child_fds (int ctl, int console, const int *inherit, size_t n)
{
  if (n > GK_INHERIT_MAX) return -1;
  /* First out of the way (>= 100, above every target), then into place:
   * a source may sit on another's target. */
  int hi_ctl = fcntl (ctl, F_DUPFD, 100), hi_con = fcntl (console, F_DUPFD, 100);
  int hi[GK_INHERIT_MAX];
  for (size_t k = 0; k < n; k++) {
    hi[k] = inherit[k] >= 0 ? fcntl (inherit[k], F_DUPFD, 100) : -1;
    if (inherit[k] >= 0 && hi[k] == -1) return -1;
  }
  int null = open ("/dev/null", O_RDONLY);
  if (null == -1 || hi_ctl == -1 || hi_con == -1 || dup2 (null, 0) == -1
      || dup2 (hi_con, 1) == -1 || dup2 (hi_con, 2) == -1 || dup2 (hi_ctl, 3) == -1)
    return -1;
  for (size_t k = 0; k < n; k++)
    if (hi[k] >= 0 && dup2 (hi[k], 4 + (int) k) == -1) return -1;
  close_range (4 + (unsigned) n, ~0U, 0);
  return 0;
}

pid_t
gk_int_spawn (gk_h *g, char *const *argv, int ctl, int console,
              const int *inherit, size_t n)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid == -1) {
    gk_int_perror (g, "launch: fork");
    return -1;
  }
  if (pid > 0) return pid;
  /* Child.  Die with the host program, even on SIGKILL.  (Linux sends
   * this when the *thread* that forked exits: documented at launch.) */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent) _exit (1);
  setpgid (0, 0);               /* Ctrl-C in a shell is for gkfish */
  signal (SIGINT, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  if (gk_int_child_fds (ctl, console, inherit, n) == -1) _exit (1);
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  execvp (argv[0], argv);
  fprintf (stderr, "guestkit: exec %s: %s\n", argv[0], strerror (errno));
  _exit (127);
}

/* The READY wait in milliseconds (GUESTKIT_LAUNCH_TIMEOUT, seconds). */
static int
launch_timeout_ms (gk_h *g)
{
  return g->launch_timeout_s > 0 ? g->launch_timeout_s * 1000 : -1;
}

/* One attempt: prepare the backend, start it, wait for READY. */
static int
launch_once (gk_h *g, const struct gk_int_backend_ops *ops, const char *variant)
{
  g->kernel_seen = 0;
  g->launch_fatal = 0;
  memset (g->fatal_match, 0, sizeof g->fatal_match);
  g->contail_len = g->contail_pos = 0;
  /* The drives' content may have changed since add-drive (same files:
   * the descriptors were kept); look again just before the VM opens them. */
  for (size_t i = 0; i < g->nr_drives; i++)
    if (gk_int_drive_recheck (g, &g->drives[i]) == -1) return -1;
  if (ops->prepare (g, variant) == -1) return -1;
  g->ops = ops;
  int64_t t0 = gk_int_now_us ();
  struct gk_int_appliance ap = { 0 };
  if (gk_int_appliance_get (g, ops->flavour, &ap) == -1) return -1;
  int64_t t_app = gk_int_now_us ();
  gk_int_timing_set (g, "launch.appliance", t_app - t0);

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
    return -1;
  }
  g->state = GK_LAUNCHING;
  gk_int_stage_setup (g);        /* blk datapath: the staging disk */
  pid_t pid = ops->start (g, &ap, sv[1], cp[1]);
  gk_int_appliance_free (&ap);
  close (sv[1]);
  close (cp[1]);
  g->sock = sv[0];
  g->console = cp[0];
  fcntl (g->sock, F_SETFL, O_NONBLOCK);
  fcntl (g->console, F_SETFL, O_NONBLOCK);
  if (pid == -1) {
    gk_int_mark_dead (g);
    return -1;
  }
  g->pid = pid;
  int64_t t_spawn = gk_int_now_us ();
  gk_int_timing_set (g, "launch.spawn", t_spawn - t_app);

  if (gk_int_wait_ready (g, launch_timeout_ms (g)) == -1) {
    gk_int_mark_dead (g);
    return -1;
  }
  g->state = GK_READY;
  gk_int_timing_set (g, "launch.total", gk_int_now_us () - g->t_launch0);
  return 0;
}

GK_API int
gk_launch (gk_h *g)
{
  if (g->state != GK_CONFIG) {
    gk_int_error_errno (g, EINVAL, "launch: the handle was already launched; "
                        "create a new handle");
    return -1;
  }
  const char *variant;
  const struct gk_int_backend_ops *ops = gk_int_find_backend (g->backend, &variant);
  if (!ops) {
    gk_int_error_errno (g, EINVAL, "launch: unknown backend '%s' "
                        "(valid: qemu, qemu:kvm, qemu:tcg, uml)", g->backend);
    return -1;
  }
  if ((int) g->nr_drives > ops->max_drives) {
    gk_int_error_errno (g, EINVAL, "launch: backend %s supports at most %d drives",
                        ops->name, ops->max_drives);
    return -1;
  }
  gk_int_timing_reset (g, "launch.");
  gk_int_timing_reset (g, "guest.");
  g->t_launch0 = gk_int_now_us ();
  if (launch_once (g, ops, variant) == 0) return 0;
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
    if (launch_once (g, ops, "tcg") == 0) return 0;
  }
  return -1;
}

GK_API int
gk_shutdown (gk_h *g)
{
  int r = 0;
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
