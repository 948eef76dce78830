/* guestkit: drive labels (add-drive's label, guestfish's
 * /dev/disk/guestfs/LABEL and LABELN for partition N).
 *
 * The library knows every drive's label and position, so it resolves
 * labels itself: a call's device arguments naming a label are sent as
 * the drive's /dev/sdX[N], which the daemon already maps onto the
 * appliance's disks.  Nothing in the appliance changes, so labels work
 * the same after a cold boot, a snapshot restore and under every
 * backend.  Names coming back from the daemon stay /dev/sdX, as in
 * guestfish. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "grow.h"

#define LABEL_PREFIX "/dev/disk/guestfs/"
#define LABEL_MAX 20            /* as libguestfs */

int
gk_int_label_check (gk_h *g, const char *filename, const char *label)
{
  size_t n = strlen (label);
  if (n == 0 || n > LABEL_MAX) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: label '%s': must be 1 to %d letters",
                        filename, label, LABEL_MAX);
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    if (!((label[i] >= 'a' && label[i] <= 'z') || (label[i] >= 'A' && label[i] <= 'Z'))) {
      gk_int_error_errno (g, EINVAL, "add-drive: %s: label '%s': only ASCII letters "
                          "[a-zA-Z] are allowed", filename, label);
      return -1;
    }
  for (size_t i = 0; i < g->nr_drives; i++)
    if (g->drives[i].label && strcmp (g->drives[i].label, label) == 0) {
      gk_int_error_errno (g, EINVAL, "add-drive: %s: label '%s' is already the label of "
                          "drive %zu (%s)", filename, label, i + 1, g->drives[i].filename);
      return -1;
    }
  return 0;
}

/* "/dev/sd" + the letters of drive INDEX (a, ..., z, aa, ...) + SUFFIX.
 * Malloc'd or NULL. */
static char *
drive_name (size_t index, const char *suffix)
{
  char letters[8], tmp[8];
  size_t n = 0, v = index + 1;
  while (v > 0 && n < sizeof tmp) {
    v--;
    tmp[n++] = (char) ('a' + v % 26);
    v /= 26;
  }
  for (size_t i = 0; i < n; i++) letters[i] = tmp[n - 1 - i];
  letters[n] = '\0';
  size_t sl = strlen (suffix);
  char *r = malloc (7 + n + sl + 1);
  if (!r) return NULL;
  memcpy (r, "/dev/sd", 7);
  memcpy (r + 7, letters, n);
  memcpy (r + 7 + n, suffix, sl + 1);
  return r;
}

/* If S is /dev/disk/guestfs/LABEL[N]: *OUT = the drive's /dev/sdX[N]
 * (malloc'd) and 1; 0 if S is not of that form; -1 with the error set
 * (no such label, out of memory). */
static int
resolve (gk_h *g, const char *call, const char *s, char **out)
{
  const size_t pl = sizeof LABEL_PREFIX - 1;
  if (!s || strncmp (s, LABEL_PREFIX, pl) != 0) return 0;
  const char *l = s + pl;
  size_t n = 0;
  while ((l[n] >= 'a' && l[n] <= 'z') || (l[n] >= 'A' && l[n] <= 'Z')) n++;
  size_t nd = strspn (l + n, "0123456789");
  if (n == 0 || l[n + nd] != '\0' || (nd > 0 && l[n] == '0')) {
    gk_int_error_errno (g, ENOENT, "%s: %s: not a drive label name (expected "
                        "/dev/disk/guestfs/LABEL or /dev/disk/guestfs/LABELN)", call, s);
    return -1;
  }
  for (size_t i = 0; i < g->nr_drives; i++) {
    const char *dl = g->drives[i].label;
    if (!dl || strlen (dl) != n || strncmp (dl, l, n) != 0) continue;
    if (!(*out = drive_name (i, l + n))) {
      gk_int_error_errno (g, ENOMEM, "%s: %s: out of memory", call, s);
      return -1;
    }
    return 1;
  }
  gk_int_error_errno (g, ENOENT, "%s: %s: no drive has the label '%.*s'", call, s, (int) n, l);
  return -1;
}

/* Remember P (malloc'd) to free in gk_int_labels_free. */
static int
own (struct gk_int_labels *lb, void *p)
{
  if (gk_int_grow ((void **) &lb->owned, &lb->cap, lb->n + 1, sizeof *lb->owned, 4) == -1) {
    free (p);
    return -1;
  }
  lb->owned[lb->n++] = p;
  return 0;
}

/* One value V of type D, replaced in place (the caller's copy) if it
 * names a label. */
static int
resolve_val (gk_h *g, const char *call, const struct gk_int_arg *d, union gk_int_val *v,
             struct gk_int_labels *lb)
{
  char *dev;
  int r;
  if ((d->type == GK_T_STRING || d->type == GK_T_OPTSTRING)
      && (d->sub == GK_S_DEVICE || d->sub == GK_S_MOUNTABLE)) {
    if ((r = resolve (g, call, v->s, &dev)) <= 0) return r;
    if (own (lb, dev) == -1) goto oom;
    v->s = dev;
    return 0;
  }
  if (d->type != GK_T_STRINGLIST || !v->sl) return 0;
  /* Lists of devices (vg-create, md-create ...) are plain string lists:
   * only whole elements of the label form are replaced. */
  char **copy = NULL;
  size_t len = 0;
  while (v->sl[len]) len++;
  for (size_t i = 0; i < len; i++) {
    if ((r = resolve (g, call, v->sl[i], &dev)) == -1) return -1;
    if (r == 0) continue;
    if (!copy) {
      if (!(copy = malloc ((len + 1) * sizeof *copy))) { free (dev); goto oom; }
      memcpy (copy, v->sl, (len + 1) * sizeof *copy);
      if (own (lb, copy) == -1) { free (dev); goto oom; }
    }
    if (own (lb, dev) == -1) goto oom;
    copy[i] = dev;
  }
  if (copy) v->sl = copy;
  return 0;
 oom:
  gk_int_error_errno (g, ENOMEM, "%s: out of memory", call);
  return -1;
}

int
gk_int_labels_resolve (gk_h *g, const struct gk_int_call *c, union gk_int_val *a,
                       struct gk_int_optvals *o, struct gk_int_labels *lb)
{
  *lb = (struct gk_int_labels) { 0 };
  int any = 0;
  for (size_t i = 0; i < g->nr_drives; i++) any |= g->drives[i].label != NULL;
  if (!any) return 0;           /* the usual case: nothing to look at */
  for (size_t i = 0; c->args[i].type != GK_T_END; i++)
    if (resolve_val (g, c->name, &c->args[i], &a[i], lb) == -1) goto fail;
  for (size_t k = 0; o && c->optargs[k].type != GK_T_END; k++)
    if ((o->bitmask & (UINT64_C (1) << k))
        && resolve_val (g, c->name, &c->optargs[k], &o->v[k], lb) == -1)
      goto fail;
  return 0;
 fail:
  gk_int_labels_free (lb);
  return -1;
}

void
gk_int_labels_free (struct gk_int_labels *lb)
{
  for (size_t i = 0; i < lb->n; i++) free (lb->owned[i]);
  free (lb->owned);
  *lb = (struct gk_int_labels) { 0 };
}

/* list-disk-labels: label, device, label, device ... */
char **
gk_int_local_list_disk_labels (gk_h *g)
{
  size_t n = 0;
  char **r = calloc (2 * g->nr_drives + 1, sizeof *r);
  if (!r) goto oom;
  for (size_t i = 0; i < g->nr_drives; i++) {
    if (!g->drives[i].label) continue;
    if (!(r[n++] = strdup (g->drives[i].label))) goto oom;
    if (!(r[n++] = drive_name (i, ""))) goto oom;
  }
  return r;
 oom:
  /* (not gk_free_strings: handle.c is above this file) */
  for (size_t i = 0; r && i < n; i++) free (r[i]);
  free (r);
  gk_int_error_errno (g, ENOMEM, "list-disk-labels: out of memory");
  return NULL;
}
