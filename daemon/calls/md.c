/* guestkitd: md RAID arrays (calls/md.def), with mdadm.
 *
 * md_mod is loaded by the first call (not at boot); the kernel loads a
 * RAID personality (raid1, raid456 ...) through modprobe when an array
 * needs it.  No udev in the appliance: mdadm makes /dev/mdN and the
 * /dev/md/NAME link itself.  Arrays are accepted as device arguments by
 * devname.c (/sys/dev/block/M:N/md exists).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"
#include "lvm.h"
#include "md.h"
#include "proto.h"

static int
popcount64 (uint64_t v)
{
  int n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

/* mdadm --create of /dev/md/NAME with the members DEVS (appliance
 * names or "missing") in array order. */
static int
run_create (const char *name, char *const *devs, size_t total, int nrdevices,
            int spare, int64_t chunk, const char *level)
{
  char path[160], nr[32], sp[32], ch[40], lv[48];
  snprintf (path, sizeof path, "/dev/md/%s", name);
  snprintf (nr, sizeof nr, "--raid-devices=%d", nrdevices);
  snprintf (sp, sizeof sp, "--spare-devices=%d", spare);
  snprintf (ch, sizeof ch, "--chunk=%" PRId64 "K", chunk / 1024);
  snprintf (lv, sizeof lv, "--level=%s", level);
  const char *argv[total + 12];
  size_t n = 0;
  argv[n++] = "mdadm";
  argv[n++] = "--create";
  argv[n++] = "--run";
  argv[n++] = "--homehost=any";
  argv[n++] = path;
  argv[n++] = lv;
  argv[n++] = nr;
  if (spare) argv[n++] = sp;
  if (chunk) argv[n++] = ch;
  for (size_t i = 0; i < total; i++) argv[n++] = devs[i];
  argv[n] = NULL;
  return gk_int_run_on_dev (path, NULL, argv);
}

int
do_md_create (const char *name, char *const *devices, int64_t missingbitmap,
              int nrdevices, int spare, int64_t chunk, const char *level)
{
  uint64_t m = gk_int_optargs_bitmask;
  if (!gk_int_lvm_name_ok (name))
    return gk_int_err (EINVAL, "%s: not a valid array name (1 to 127 of "
                       "A-Z a-z 0-9 + _ . -)", name);
  size_t ndev = gk_int_count_strings (devices);
  if (!(m & 1)) missingbitmap = 0;
  if (missingbitmap < 0)
    return gk_int_err (EINVAL, "missingbitmap %" PRId64 " is negative",
                       missingbitmap);
  int nmissing = popcount64 ((uint64_t) missingbitmap);
  if (!(m & 4)) spare = 0;
  if (!(m & 2)) nrdevices = (int) ndev + nmissing - spare;
  if (ndev == 0 || ndev > 64 || nrdevices < 1 || spare < 0
      || (size_t) nrdevices + (size_t) spare != ndev + (size_t) nmissing)
    return gk_int_err (EINVAL, "%zu devices and %d missing do not make %d "
                       "active and %d spare devices", ndev, nmissing,
                       nrdevices, spare);
  if ((m & 8) && (chunk <= 0 || chunk % 1024 != 0))
    return gk_int_err (EINVAL, "chunk %" PRId64 ": not a positive multiple "
                       "of 1024 bytes", chunk);

  /* The members in array order: devices, with "missing" where the
   * bitmap says. */
  size_t total = ndev + (size_t) nmissing;
  char *devs[total + 1];
  size_t di = 0, ok = 1;
  memset (devs, 0, sizeof devs);
  for (size_t i = 0; i < total && ok; i++) {
    if (i < 64 && (missingbitmap & ((int64_t) 1 << i)))
      ok = (devs[i] = strdup ("missing")) != NULL;
    else if (di < ndev) {
      if (!(devs[i] = gk_int_dev_from_user (devices[di++]))) goto fail;
      if (gk_int_check_unused (devs[i]) == -1) goto fail;
    }
    else
      ok = 0;
  }
  if (!ok || di != ndev) {
    gk_int_err (EINVAL, "missingbitmap %" PRId64 " does not fit %zu devices",
                missingbitmap, ndev);
    goto fail;
  }
  if (gk_int_md_load () == -1) goto fail;
  gk_int_md_assembly_overruled ();
  int r = run_create (name, devs, total, nrdevices, spare,
                      (m & 8) ? chunk : 0, (m & 16) ? level : "raid1");
  for (size_t i = 0; i < total; i++) free (devs[i]);
  return r;

 fail:
  for (size_t i = 0; i < total; i++) free (devs[i]);
  return -1;
}

char **
do_list_md_devices (void)
{
  gk_int_md_auto_assemble ();
  return gk_int_md_arrays ();
}

static int
need_array (const char *md)
{
  if (!gk_int_dev_is_md (md))
    return gk_int_dev_err (EINVAL, md, "not an md array");
  return gk_int_md_load ();
}

char **
do_md_detail (const char *md)
{
  if (need_array (md) == -1) return NULL;
  char *out = NULL, *errs = NULL;
  const char *argv[] = { "mdadm", "-DY", md, NULL };
  int st = gk_int_run_status (&out, &errs, NULL, argv);
  if (st != 0) {
    if (st > 0)
      gk_int_dev_err (EINVAL, md, "mdadm -DY: %.*s",
                      (int) (errs ? strcspn (errs, "\n") : 0), errs ? errs : "");
    free (out);
    free (errs);
    return NULL;
  }
  free (errs);
  /* "MD_LEVEL=raid1" -> "level", "raid1" (as guestfish). */
  char **lines = gk_int_split_lines (out);
  if (!lines) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  struct gk_int_reply_list l = { .what = "md-detail" };
  for (size_t i = 0; lines[i]; i++) {
    char *k = lines[i], *eq = strchr (k, '=');
    if (!eq) continue;
    *eq = '\0';
    if (strncmp (k, "MD_", 3) == 0) k += 3;
    for (char *p = k; *p; p++) *p = (char) tolower ((unsigned char) *p);
    if (gk_int_reply_list_add (&l, k, strlen (k)) == -1
        || gk_int_reply_list_add (&l, eq + 1, strlen (eq + 1)) == -1) {
      gk_int_free_strings (lines);
      gk_int_free_strings (l.v);
      return NULL;
    }
  }
  gk_int_free_strings (lines);
  if (!l.v && !(l.v = calloc (1, sizeof *l.v)))
    gk_int_err (ENOMEM, "out of memory");
  return l.v;
}

int
do_md_stop (const char *md)
{
  if (need_array (md) == -1) return -1;
  gk_int_md_assembly_overruled ();
  const char *argv[] = { "mdadm", "--stop", md, NULL };
  char *errs = NULL;
  int st = gk_int_run_status (NULL, &errs, NULL, argv);
  if (st > 0) {
    int busy = errs && (strstr (errs, "exclusive access") || strstr (errs, "in use"));
    gk_int_dev_err (busy ? EBUSY : EINVAL, md, "mdadm --stop: %.*s",
                    (int) (errs ? strcspn (errs, "\n") : 0), errs ? errs : "");
  }
  free (errs);
  return st == 0 ? 0 : -1;
}
