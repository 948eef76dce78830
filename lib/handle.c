/* guestkit: the handle, its states and its settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "internal.h"

/* TCG boots in seconds, but a loaded host with several appliances
 * booting at once can take minutes. */
#define GK_DEFAULT_LAUNCH_TIMEOUT 300
#define GK_MAX_TIMEOUT (7 * 24 * 3600)   /* a week; fits in int milliseconds */

/* Seconds from the environment; DEF when unset or not a number in range. */
static int
env_seconds (const char *name, int def)
{
  const char *s = getenv (name);
  if (!s || !*s) return def;
  char *end;
  long v = strtol (s, &end, 10);
  return *end || v < 0 || v > GK_MAX_TIMEOUT ? def : (int) v;
}

/* A handle's settings as gk_create makes them (from the environment).
 * DEBUG, the progress callback and the cancel descriptor are kept. */
static int
handle_init (gk_h *g)
{
  g->sock = g->console = -1;
  g->timeout_s = env_seconds ("GUESTKIT_TIMEOUT", 0);
  g->launch_timeout_s = env_seconds ("GUESTKIT_LAUNCH_TIMEOUT", GK_DEFAULT_LAUNCH_TIMEOUT);
  g->memsize = GK_DEFAULT_MEMSIZE;
  g->smp = 1;
  g->chunk_size = GK_CHUNK_DEFAULT;
  const char *sn = getenv ("GUESTKIT_SNAPSHOT");
  g->snapshot = !(sn && (strcmp (sn, "0") == 0 || strcasecmp (sn, "no") == 0
                         || strcasecmp (sn, "false") == 0 || strcasecmp (sn, "off") == 0));
  const char *b = getenv ("GUESTKIT_BACKEND");
  g->backend = strdup (b && *b ? b : "qemu");
  if (!g->backend) return -1;
  const char *cs = getenv ("GUESTKIT_CHUNK_SIZE");
  if (cs && *cs) {
    long v = strtol (cs, NULL, 0);
    if (v >= 4096 && v <= (long) GK_CHUNK_MAX) g->chunk_size = (size_t) v;
  }
  return 0;
}

GK_API gk_h *
gk_create (void)
{
  gk_h *g = calloc (1, sizeof *g);
  if (!g) return NULL;
  g->cancel_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  const char *d = getenv ("GUESTKIT_DEBUG");
  g->debug = d && *d && strcmp (d, "0") != 0;
  if (handle_init (g) == -1) { free (g); return NULL; }
  return g;
}

/* Everything gk_close frees but the handle itself and its cancel
 * descriptor. */
static void
handle_release (gk_h *g)
{
  if (g->state == GK_READY || g->state == GK_LAUNCHING) (void) gk_int_local_shutdown (g);
  gk_int_mark_dead (g);
  for (size_t i = 0; i < g->nr_drives; i++) {
    gk_int_drive_free (&g->drives[i]);
  }
  gk_int_stage_free (g);
  free (g->backend);
  free (g->backend_used);
  free (g->last_error);
}

GK_API void
gk_close (gk_h *g)
{
  if (!g) return;
  handle_release (g);
  if (g->cancel_fd >= 0) close (g->cancel_fd);
  free (g);
}

/* guestfish's reopen: as gk_close then gk_create, on the same handle:
 * the appliance is shut down (unmount, sync), the drives are dropped
 * and the settings are the defaults again; the debug and trace flags,
 * the progress callback and cancellation stay.  A failed shutdown is reported, but
 * the handle is new all the same. */
int
gk_int_local_reopen (gk_h *g)
{
  int r = 0;
  char *err = NULL;
  int errnum = 0;
  if ((g->state == GK_READY || g->state == GK_LAUNCHING)
      && gk_int_local_shutdown (g) == -1) {
    r = -1;
    errnum = g->last_errno;
    if (g->last_error) err = strdup (g->last_error);
  }
  int debug = g->debug, trace = g->trace, cancel_fd = g->cancel_fd;
  gk_progress_cb cb = g->progress_cb;
  void *opaque = g->progress_opaque;
  handle_release (g);
  memset (g, 0, sizeof *g);
  g->debug = debug;
  g->trace = trace;
  g->cancel_fd = cancel_fd;
  g->progress_cb = cb;
  g->progress_opaque = opaque;
  if (handle_init (g) == -1) {
    /* No backend name: every later call fails on it; say so now. */
    g->state = GK_DEAD;
    free (err);
    gk_int_error_errno (g, ENOMEM, "reopen: out of memory");
    return -1;
  }
  if (r == -1) {
    gk_int_error_errno (g, errnum ? errnum : EIO, "reopen: closing the old handle: %s",
                        err ? err : "shutdown failed");
    free (err);
  }
  return r;
}

GK_API void
gk_set_debug (gk_h *g, int on)
{
  g->debug = on != 0;
}

GK_API void
gk_set_progress_callback (gk_h *g, gk_progress_cb cb, void *opaque)
{
  g->progress_cb = cb;
  g->progress_opaque = opaque;
}

GK_API void
gk_user_cancel (gk_h *g)
{
  /* Async-signal-safe; the eventfd wakes a wait in another thread. */
  int e = errno;
  uint64_t one = 1;
  g->cancel = 1;
  if (g->cancel_fd >= 0 && write (g->cancel_fd, &one, sizeof one) == -1) { /* already woken */ }
  errno = e;
}

int
gk_int_local_set_timeout (gk_h *g, int seconds)
{
  if (seconds < 0 || seconds > GK_MAX_TIMEOUT) {
    gk_int_error_errno (g, EINVAL, "set-timeout: %d s is out of range (0 for none, "
                        "up to %d)", seconds, GK_MAX_TIMEOUT);
    return -1;
  }
  g->timeout_s = seconds;
  return 0;
}

int
gk_int_local_get_timeout (gk_h *g)
{
  return g->timeout_s;
}

GK_API void
gk_free_strings (char **list)
{
  if (!list) return;
  for (size_t i = 0; list[i]; i++) free (list[i]);
  free (list);
}

int
gk_int_local_set_backend (gk_h *g, const char *backend)
{
  /* direct is libguestfs's name for qemu, kept as given (get-backend
   * prints it back, as guestfish does; backends/registry.c knows it). */
  static const char *const names[] = { "qemu", "qemu:kvm", "qemu:tcg", "direct", "uml",
                                        "libvirt", NULL };
  int ok = strncmp (backend, "libvirt:", 8) == 0;
  for (size_t i = 0; !ok && names[i]; i++) ok = strcmp (backend, names[i]) == 0;
  if (!ok) {
    gk_int_error_errno (g, EINVAL, "set-backend: invalid backend: %s (valid: qemu, qemu:kvm, "
                        "qemu:tcg, direct, uml, libvirt, libvirt:URI)", backend);
    return -1;
  }
  char *b = strdup (backend);
  if (!b) { gk_int_error_errno (g, ENOMEM, "set-backend: out of memory"); return -1; }
  free (g->backend);
  g->backend = b;
  return 0;
}

char *
gk_int_local_get_backend (gk_h *g)
{
  char *s = strdup (g->backend_used ? g->backend_used : g->backend ? g->backend : "");
  if (!s) gk_int_error_errno (g, ENOMEM, "get-backend: out of memory");
  return s;
}

/* A configuration number in [LO, HI] (UNIT names it in the error). */
static int
set_ranged (gk_h *g, const char *call, const char *unit, int v, int lo, int hi,
            int *field)
{
  if (v < lo || v > hi) {
    gk_int_error_errno (g, EINVAL, "%s: %d %s is out of range (%d to %d)",
                        call, v, unit, lo, hi);
    return -1;
  }
  *field = v;
  return 0;
}

int
gk_int_local_set_memsize (gk_h *g, int memsize)
{
  return set_ranged (g, "set-memsize", "MiB", memsize, 128, 65536, &g->memsize);
}

int
gk_int_local_set_smp (gk_h *g, int smp)
{
  return set_ranged (g, "set-smp", "CPUs", smp, 1, 64, &g->smp);
}

int
gk_int_local_get_smp (gk_h *g)
{
  return g->smp;
}

/* guestfish's ping-daemon: any round trip will do. */
int
gk_int_local_ping_daemon (gk_h *g)
{
  char *const words[] = { (char *) "ping", NULL };
  char *r = gk_echo_daemon (g, words);
  if (!r) return -1;
  free (r);
  return 0;
}

int
gk_int_local_get_pid (gk_h *g)
{
  if (g->pid <= 0) {
    gk_int_error_errno (g, ESRCH, "get-pid: no backend process is running (launch first)");
    return -1;
  }
  return (int) g->pid;
}

int
gk_int_local_get_memsize (gk_h *g)
{
  return g->memsize;
}

int
gk_int_local_set_network (gk_h *g, int network)
{
  /* UML has no user-mode network here (backends/README.md): say so now
   * rather than launch an appliance without the network asked for.  The
   * uml backend checks again at launch (the backend may be set later). */
  if (network && strncmp (g->backend, "uml", 3) == 0) {
    gk_int_error_errno (g, ENOTSUP, "set-network: the uml backend has no network "
                        "(only qemu has one: set-backend qemu)");
    return -1;
  }
  g->network = network != 0;
  return 0;
}

int
gk_int_local_get_network (gk_h *g)
{
  return g->network;
}

int
gk_int_local_set_snapshot (gk_h *g, int snapshot)
{
  g->snapshot = snapshot != 0;
  return 0;
}

int
gk_int_local_get_snapshot (gk_h *g)
{
  return g->snapshot;
}

int
gk_int_local_set_trace (gk_h *g, int trace)
{
  g->trace = trace != 0;
  return 0;
}

int
gk_int_local_get_trace (gk_h *g)
{
  return g->trace;
}

