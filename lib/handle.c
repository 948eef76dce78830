/* guestkit: the handle, its states and its settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "internal.h"

static const char *const valid_backends[] = { "qemu", "qemu:kvm", "qemu:tcg", "uml", NULL };

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

GK_API gk_h *
gk_create (void)
{
  gk_h *g = calloc (1, sizeof *g);
  if (!g) return NULL;
  g->sock = g->console = -1;
  g->cancel_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  g->timeout_s = env_seconds ("GUESTKIT_TIMEOUT", 0);
  g->launch_timeout_s = env_seconds ("GUESTKIT_LAUNCH_TIMEOUT", GK_DEFAULT_LAUNCH_TIMEOUT);
  g->memsize = GK_DEFAULT_MEMSIZE;
  g->smp = 1;
  g->chunk_size = GK_CHUNK_DEFAULT;
  const char *d = getenv ("GUESTKIT_DEBUG");
  g->debug = d && *d && strcmp (d, "0") != 0;
  const char *b = getenv ("GUESTKIT_BACKEND");
  g->backend = strdup (b && *b ? b : "qemu");
  if (!g->backend) { free (g); return NULL; }
  const char *cs = getenv ("GUESTKIT_CHUNK_SIZE");
  if (cs && *cs) {
    long v = strtol (cs, NULL, 0);
    if (v >= 4096 && v <= (long) GK_CHUNK_MAX) g->chunk_size = (size_t) v;
  }
  return g;
}

GK_API void
gk_close (gk_h *g)
{
  if (!g) return;
  if (g->state == GK_READY || g->state == GK_LAUNCHING) (void) gk_shutdown (g);
  gk_int_mark_dead (g);
  for (size_t i = 0; i < g->nr_drives; i++) {
    gk_int_drive_free (&g->drives[i]);
  }
  gk_int_stage_free (g);
  if (g->cancel_fd >= 0) close (g->cancel_fd);
  free (g->backend);
  free (g->backend_used);
  free (g->last_error);
  free (g);
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

GK_API int
gk_set_timeout (gk_h *g, int seconds)
{
  if (seconds < 0 || seconds > GK_MAX_TIMEOUT) {
    gk_int_error_errno (g, EINVAL, "set-timeout: %d s is out of range (0 for none, "
                        "up to %d)", seconds, GK_MAX_TIMEOUT);
    return -1;
  }
  g->timeout_s = seconds;
  return 0;
}

GK_API int
gk_get_timeout (gk_h *g)
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

static int
check_config (gk_h *g, const char *call)
{
  if (g->state != GK_CONFIG) {
    gk_int_error_errno (g, EINVAL, "%s: only allowed before launch", call);
    return -1;
  }
  return 0;
}

GK_API int
gk_set_backend (gk_h *g, const char *backend)
{
  if (check_config (g, "set-backend") == -1) return -1;
  /* libguestfs's name for running qemu itself. */
  if (strcmp (backend, "direct") == 0) backend = "qemu";
  for (size_t i = 0; valid_backends[i]; i++)
    if (strcmp (backend, valid_backends[i]) == 0) {
      char *b = strdup (backend);
      if (!b) { gk_int_error_errno (g, ENOMEM, "set-backend: out of memory"); return -1; }
      free (g->backend);
      g->backend = b;
      return 0;
    }
  gk_int_error_errno (g, EINVAL, "set-backend: unknown backend '%s' "
                      "(valid: qemu, qemu:kvm, qemu:tcg, uml)", backend);
  return -1;
}

GK_API char *
gk_get_backend (gk_h *g)
{
  char *s = strdup (g->backend_used ? g->backend_used : g->backend);
  if (!s) gk_int_error_errno (g, ENOMEM, "get-backend: out of memory");
  return s;
}

/* A configuration number in [LO, HI] (UNIT names it in the error). */
static int
set_ranged (gk_h *g, const char *call, const char *unit, int v, int lo, int hi,
            int *field)
{
  if (check_config (g, call) == -1) return -1;
  if (v < lo || v > hi) {
    gk_int_error_errno (g, EINVAL, "%s: %d %s is out of range (%d to %d)",
                        call, v, unit, lo, hi);
    return -1;
  }
  *field = v;
  return 0;
}

GK_API int
gk_set_memsize (gk_h *g, int memsize)
{
  return set_ranged (g, "set-memsize", "MiB", memsize, 128, 65536, &g->memsize);
}

GK_API int
gk_set_smp (gk_h *g, int smp)
{
  return set_ranged (g, "set-smp", "CPUs", smp, 1, 64, &g->smp);
}

GK_API int
gk_get_smp (gk_h *g)
{
  return g->smp;
}

/* guestfish's ping-daemon: any round trip will do. */
GK_API int
gk_ping_daemon (gk_h *g)
{
  char *const words[] = { (char *) "ping", NULL };
  if (g->state != GK_READY) {
    gk_int_error_errno (g, EINVAL, "ping-daemon: the appliance is not running");
    return -1;
  }
  char *r = gk_echo_daemon (g, words);
  if (!r) return -1;
  free (r);
  return 0;
}

GK_API GK_API int
gk_get_pid (gk_h *g)
{
  if (g->pid <= 0) {
    gk_int_error_errno (g, ESRCH, "get-pid: no backend process is running (launch first)");
    return -1;
  }
  return (int) g->pid;
}

int
gk_get_memsize (gk_h *g)
{
  return g->memsize;
}

GK_API int
gk_set_network (gk_h *g, int network)
{
  if (check_config (g, "set-network") == -1) return -1;
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

GK_API int
gk_get_network (gk_h *g)
{
  return g->network;
}

GK_API int
gk_int_call_generic (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                     struct gk_int_optvals *o, union gk_int_val *r)
{
  if ((c->flags & GK_F_LOCAL) && gk_int_noop (c)) {
    if (gk_int_empty_ret (c, r) == 0) return 0;
    gk_int_error_errno (g, ENOMEM, "%s: out of memory", c->name);
    return -1;
  }
  if (c->flags & GK_F_LOCAL) return gk_int_local_dispatch (g, c, a, o, r);
  return gk_int_call (g, c, a, o, r);
}
