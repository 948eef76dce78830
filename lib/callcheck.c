/* guestkit: the checks every call passes before it does anything, read
 * from its table entry (common/api.h): the handle's state its flags
 * allow, then the arguments its types and choices forbid.  The generated
 * public functions (lib/actions.c, also what Python calls) and
 * gk_int_call_generic (gkfish, the test runner) run them, so no call
 * checks its state, NULL arguments or choices by hand. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include "internal.h"

/* What the handle is doing, for "only before launch (...)". */
static const char *
state_words (enum gk_int_state s)
{
  switch (s) {
  case GK_CONFIG: break;
  case GK_LAUNCHING: return "the appliance is launching";
  case GK_READY: return "the appliance is running";
  case GK_DEAD: return "the handle has been shut down: create a new handle";
  }
  return "not launched";
}

/* A running appliance whose backend has exited, unnoticed so far (no
 * call since): reap it now and remember that it died. */
static void
notice_death (gk_h *g)
{
  siginfo_t si = { 0 };
  if (g->state != GK_READY || g->pid <= 0
      || waitid (P_PID, (id_t) g->pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1
      || si.si_pid != g->pid)
    return;
  gk_int_mark_dead (g);
  g->died = 1;
}

static int
check_state (gk_h *g, const struct gk_int_call *c)
{
  if (c->flags & GK_F_ANYSTATE) return 0;
  if (!(c->flags & GK_F_CONFIG)) return gk_int_check_ready (g, c->name);
  notice_death (g);
  /* After the appliance died (not after shutdown, a timeout or a
   * cancel, which kill it on purpose), as in libguestfs: the handle is
   * before launch again, with its drives. */
  if (g->state == GK_DEAD && g->died) {
    g->died = 0;
    g->state = GK_CONFIG;
  }
  if (g->state == GK_CONFIG) return 0;
  gk_int_error_errno (g, EINVAL, "%s: only allowed before launch (%s)",
                      c->name, state_words (g->state));
  return -1;
}

/* 1 if S is one of the space-separated words of CHOICES; a word ending
 * in ":*" allows any text after its colon ("libvirt:*": libvirt:URI). */
static int
is_choice (const char *s, const char *choices)
{
  size_t n = strlen (s);
  for (const char *p = choices; *p; ) {
    size_t w = strcspn (p, " ");
    if (w == n && n > 0 && strncmp (p, s, n) == 0) return 1;
    if (w >= 2 && p[w - 1] == '*' && p[w - 2] == ':' && n >= w && strncmp (p, s, w - 1) == 0)
      return 1;
    p += w + (p[w] == ' ');
  }
  return 0;
}

/* "unknown NAME 'S' (valid: a, b, c)". */
static void
error_not_choice (gk_h *g, const struct gk_int_call *c, const struct gk_int_arg *d,
                  const char *s)
{
  char valid[256];
  size_t k = 0;
  for (const char *p = d->choices; *p && k + 3 < sizeof valid; p++) {
    if (*p == ' ') valid[k++] = ',';
    valid[k++] = *p;
  }
  valid[k] = '\0';
  gk_int_error_errno (g, EINVAL, "%s: unknown %s '%s' (valid: %s)", c->name, d->name, s, valid);
}

/* One argument's value V, as its type D allows; KIND ("argument",
 * "optional argument") words the message. */
static int
check_value (gk_h *g, const struct gk_int_call *c, const struct gk_int_arg *d,
             const union gk_int_val *v, const char *kind)
{
  switch (d->type) {
  case GK_T_STRING: case GK_T_OPTSTRING: case GK_T_STRINGLIST:
    if (!v->s && d->type != GK_T_OPTSTRING) {
      gk_int_error_errno (g, EINVAL, "%s: %s %s must not be NULL", c->name, kind, d->name);
      return -1;
    }
    if (v->s && d->choices && d->type != GK_T_STRINGLIST && !is_choice (v->s, d->choices)) {
      error_not_choice (g, c, d, v->s);
      return -1;
    }
    return 0;
  case GK_T_BUFFER:
    if (v->buf.data || v->buf.len == 0) return 0;
    gk_int_error_errno (g, EINVAL, "%s: %s %s is NULL but its size is %zu",
                        c->name, kind, d->name, v->buf.len);
    return -1;
  default:
    return 0;
  }
}

static int
check_args (gk_h *g, const struct gk_int_call *c, const union gk_int_val *a,
            const struct gk_int_optvals *o)
{
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    if (check_value (g, c, &c->args[i], &a[i], "argument") == -1) return -1;
  size_t n = gk_int_count_args (c->optargs);
  uint64_t known = n >= 64 ? ~UINT64_C (0) : (UINT64_C (1) << n) - 1;
  if (o->bitmask & ~known) {
    gk_int_error_errno (g, EINVAL, "%s: optional argument bitmask 0x%llx names arguments "
                        "this call does not have (it has %zu)", c->name,
                        (unsigned long long) o->bitmask, n);
    return -1;
  }
  for (size_t k = 0; k < n; k++)
    if ((o->bitmask & (UINT64_C (1) << k))
        && check_value (g, c, &c->optargs[k], &o->v[k], "optional argument") == -1)
      return -1;
  return 0;
}

int
gk_int_check_call (gk_h *g, const struct gk_int_call *c, const union gk_int_val *a,
                   const struct gk_int_optvals *o)
{
  if (check_state (g, c) == -1) return -1;
  return check_args (g, c, a, o);
}

/* States as the user sees them, for messages. */
int
gk_int_check_ready (gk_h *g, const char *call)
{
  switch (g->state) {
  case GK_READY: return 0;
  case GK_CONFIG:
    gk_int_error_errno (g, EINVAL, "%s: call launch before using the appliance", call);
    return -1;
  case GK_LAUNCHING:
    gk_int_error_errno (g, EINVAL, "%s: the appliance is still launching", call);
    return -1;
  case GK_DEAD: break;
  }
  gk_int_error_errno (g, EINVAL, "%s: the appliance has been shut down or has died; "
                      "close the handle and create a new one", call);
  return -1;
}

/* Test-only: in a --enable-noop-check build, GK_NOOP_CALL=NAME makes
 * call NAME succeed without doing anything, so that tests/noop-check.sh
 * can prove each call's tests fail when the call does nothing. */
int
gk_int_noop (const struct gk_int_call *c)
{
#ifdef GK_NOOP_CHECK
  const char *n = getenv ("GK_NOOP_CALL");
  return n && strcmp (n, c->name) == 0;
#else
  (void) c;
  return 0;
#endif
}
