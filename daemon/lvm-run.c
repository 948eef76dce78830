/* guestkitd: running lvm for the LVM calls (lvm.h, "shared by lvm*.c").
 *
 * Every lvm command goes through gk_int_lvm_run(), which passes one
 * --config (gk_int_lvm_config: no udev, no daemons, no backups, locks in
 * /run, and a filter that only lets lvm see the user's drives, never the
 * appliance's root or staging disk).  lvm has no cache here: each
 * command reads the drives' metadata afresh.  device-mapper (dm_mod) is
 * loaded by the first command, not at boot.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "grow.h"
#include "lvm.h"
#include "md.h"

#define DM_MISC "/sys/class/misc/device-mapper"

static int dm_ready;            /* dm_mod is loaded */
static int activation_done;     /* automatic activation done or overruled */

/* Load device-mapper on first use (not at boot: it costs ~0.3 s under
 * TCG and most sessions never need it).  It may be built in. */
int
gk_int_dm_load (void)
{
  if (dm_ready) return 0;
  if (access (DM_MISC, F_OK) != 0) {
    const char *argv[] = { "/sbin/modprobe", "dm_mod", NULL };
    char *errs = NULL;
    int st = gk_int_run_status (NULL, &errs, NULL, argv);
    if (access (DM_MISC, F_OK) != 0) {
      size_t n = errs ? strcspn (errs, "\n") : 0;
      gk_int_err (ENOTSUP, "device-mapper is not available in the appliance "
                  "kernel, so LVM and LUKS cannot be used (modprobe dm_mod: %.*s%s)",
                  (int) n, errs ? errs : "",
                  st == 0 ? "loaded, but no " DM_MISC : "");
      free (errs);
      return -1;
    }
    free (errs);
  }
  dm_ready = 1;
  return 0;
}

/* DISKS plus the open encrypted devices ("/dev/dm-N", dm uuid
 * "CRYPT-...") and the md arrays ("/dev/mdN"): LVM on LUKS is found once
 * luks-open made the mapping, LVM on RAID once the array runs.
 * Consumes DISKS; NULL with the error set. */
static char **
with_crypt_devices (char **disks)
{
  if (!disks) return NULL;
  size_t n = gk_int_count_strings (disks), cap = n + 1;
  DIR *d = opendir ("/sys/block");
  struct dirent *e;
  while (d && (e = readdir (d))) {
    char p[300], uuid[160];
    if (strncmp (e->d_name, "dm-", 3) != 0) continue;
    snprintf (p, sizeof p, "/sys/block/%s/dm/uuid", e->d_name);
    if (gk_int_read_sysfs_line (p, uuid, sizeof uuid) == -1
        || strncmp (uuid, "CRYPT-", 6) != 0)
      continue;
    if (gk_int_grow ((void **) &disks, &cap, n + 2, sizeof *disks, 8) == -1
        || asprintf (&disks[n], "/dev/%s", e->d_name) == -1) {
      disks[n] = NULL;
      break;
    }
    disks[++n] = NULL;
  }
  if (d) closedir (d);
  char **mds = disks[n] == NULL ? gk_int_md_arrays () : NULL;
  for (size_t i = 0; mds && mds[i]; i++) {
    if (gk_int_grow ((void **) &disks, &cap, n + 2, sizeof *disks, 8) == -1)
      break;
    disks[n++] = mds[i];
    mds[i] = NULL;
    disks[n] = NULL;
  }
  gk_int_free_strings (mds);
  return disks;
}

/* Run "lvm ARGS[0] --config ... ARGS[1...]", capturing standard output
 * into *OUT_R if not NULL.  READONLY: no metadata may be written (used
 * for activation).  On failure the error is "lvm SUBCOMMAND: <what lvm
 * said>" with device names as the user knows them. */
int
gk_int_lvm_run (char **out_r, int readonly, const char *const *args)
{
  if (gk_int_dm_load () == -1) return -1;
  char **disks = with_crypt_devices (gk_int_list_disks ());
  if (!disks) return -1;
  char *cfg = gk_int_lvm_config (disks, readonly);
  gk_int_free_strings (disks);
  if (!cfg) return gk_int_err (ENOMEM, "out of memory");

  size_t n = 0;
  while (args[n]) n++;
  const char *argv[n + 4];
  argv[0] = "lvm";
  argv[1] = args[0];
  argv[2] = "--config";
  argv[3] = cfg;
  for (size_t i = 1; i <= n; i++) argv[i + 3] = args[i];

  char *errs = NULL;
  int st = gk_int_run_status (out_r, &errs, NULL, argv);
  free (cfg);
  if (st == 0) {
    free (errs);
    return 0;
  }
  if (st > 0) {
    char *msg = gk_int_lvm_message (errs ? errs : "");
    char *umsg = msg ? gk_int_text_to_user (msg) : NULL;
    if (umsg && *umsg)
      gk_int_err (gk_int_lvm_errno (umsg), "lvm %s: %s", args[0], umsg);
    else if (umsg)
      gk_int_err (EIO, "lvm %s: exited with status %d", args[0], st);
    else
      gk_int_err (ENOMEM, "out of memory");
    free (msg);
    free (umsg);
  }
  if (out_r) { free (*out_r); *out_r = NULL; }
  free (errs);
  return -1;
}

/* Run a report command ARGS[0] with the fields FIELDS (comma-separated,
 * NFIELDS of them) and the extra arguments ARGS[1...].  Returns the rows
 * (see gk_int_lvm_parse_report); *TEXT_R holds the strings. */
static char **
report (const char *const *args, const char *fields, size_t nfields,
        size_t *nrows_r, char **text_r)
{
  /* PVs on md arrays (pvs, vgs, lvs as guestfish sees them): the
   * arrays first, once per session (md.h). */
  gk_int_md_auto_assemble ();
  size_t n = 0;
  while (args[n]) n++;
  const char *argv[n + 10];
  size_t k = 0;
  argv[k++] = args[0];
  argv[k++] = "--noheadings";
  argv[k++] = "--separator";
  argv[k++] = "|";
  argv[k++] = "--units";
  argv[k++] = "b";
  argv[k++] = "--nosuffix";
  argv[k++] = "-o";
  argv[k++] = fields;
  for (size_t i = 1; i < n; i++) argv[k++] = args[i];
  argv[k] = NULL;

  *text_r = NULL;
  if (gk_int_lvm_run (text_r, 0, argv) == -1) return NULL;
  char **rows = gk_int_lvm_parse_report (*text_r ? *text_r : "", nfields,
                                         nrows_r);
  if (!rows) {
    if (errno == ENOMEM) gk_int_err (ENOMEM, "out of memory");
    else gk_int_err (EIO, "lvm %s: unexpected output", args[0]);
    free (*text_r);
    *text_r = NULL;
  }
  return rows;
}

/* A report of one field as a string list; FORMAT ("%s", "/dev/%s/%s")
 * combines NFIELDS (1 or 2) fields of each row. */
char **
gk_int_lvm_report_list (const char *const *args, const char *fields,
                        size_t nfields, const char *format)
{
  size_t nrows;
  char *text;
  char **rows = report (args, fields, nfields, &nrows, &text);
  if (!rows) return NULL;
  char **list = calloc (nrows + 1, sizeof *list);
  for (size_t i = 0; list && i < nrows; i++) {
    const char *a = rows[i * nfields];
    const char *b = nfields > 1 ? rows[i * nfields + 1] : "";
    if (asprintf (&list[i], format, a, b) == -1) {
      list[i] = NULL;
      gk_int_free_strings (list);
      list = NULL;
    }
  }
  free (rows);
  free (text);
  if (!list) gk_int_err (ENOMEM, "out of memory");
  return list;
}

/* One value (UUID ...) of one object. */
char *
gk_int_lvm_report_one (const char *const *args, const char *field,
                       const char *what)
{
  char **l = gk_int_lvm_report_list (args, field, 1, "%s");
  if (!l) return NULL;
  char *r = NULL;
  if (!l[0])
    gk_int_err (ENOENT, "%s: not found", what);
  else if (!(r = strdup (l[0])))
    gk_int_err (ENOMEM, "out of memory");
  gk_int_free_strings (l);
  return r;
}

/* --- names --- */

int
gk_int_lvm_check_vg (const char *vg)
{
  if (gk_int_lvm_name_ok (vg)) return 0;
  return gk_int_err (EINVAL, "%s: invalid volume group name (letters, "
                     "digits and +_.- only)", vg);
}

/* --- the -full listings --- */

/* Run report ARGS0 with the fields of struct SNAME and decode each row
 * into *VALS_R (*N_R of them).  pv_name fields are translated to the
 * user's device names. */
int
gk_int_lvm_full_report (const char *args0, const char *sname,
                        struct gk_int_sval **vals_r, size_t *n_r)
{
  const struct gk_int_struct *s = gk_int_lookup_struct (sname);
  size_t nf = 0;
  char fields[1024] = "";
  for (; s->fields[nf].name; nf++) {
    if (nf) strcat (fields, ",");
    strcat (fields, s->fields[nf].name);
  }
  const char *a[] = { args0, NULL };
  size_t nrows;
  char *text;
  char **rows = report (a, fields, nf, &nrows, &text);
  if (!rows) return -1;
  struct gk_int_sval *v = calloc (nrows ? nrows : 1, sizeof *v);
  int r = v ? 0 : gk_int_err (ENOMEM, "out of memory");
  for (size_t i = 0; r == 0 && i < nrows; i++) {
    for (size_t j = 0; r == 0 && j < nf; j++) {
      const char *f = rows[i * nf + j];
      if (s->fields[j].type == GK_FT_INT64) {
        if (gk_int_lvm_int64 (f, &v[i].f[j].i) == -1)
          r = gk_int_err (EIO, "lvm %s: %s: not a number: %.40s", args0,
                          s->fields[j].name, f);
      }
      else if (strcmp (s->fields[j].name, "pv_name") == 0) {
        if (!(v[i].f[j].s = gk_int_dev_to_user (f))) r = -1;
      }
      else if (!(v[i].f[j].s = strdup (f)))
        r = gk_int_err (ENOMEM, "out of memory");
    }
  }
  free (rows);
  free (text);
  if (r == -1 && v) {
    for (size_t i = 0; i < nrows; i++) gk_int_free_sval (s, &v[i]);
    free (v);
    return -1;
  }
  *vals_r = v;
  *n_r = nrows;
  return 0;
}


/* --- activation (daemon/README.md, "LVM") --- */

int
gk_int_lvm_activate_all (void)
{
  const char *a[] = { "vgchange", "-a", "y", NULL };
  if (gk_int_lvm_run (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

void
gk_int_lvm_activation_overruled (void)
{
  activation_done = 1;
}

void
gk_int_lvm_auto_activate (void)
{
  if (activation_done) return;
  activation_done = 1;
  gk_int_md_auto_assemble ();   /* VGs on md arrays */
  if (gk_int_lvm_activate_all () == -1) {
    gk_int_log ("automatic LVM activation: %s", gk_int_err_msg ());
    gk_int_err_clear ();
  }
}

char **
gk_int_lvm_active_lvs (void)
{
  DIR *d = opendir ("/sys/block");
  if (!d) { gk_int_perr ("/sys/block"); return NULL; }
  size_t n = 0, cap = 0;
  char **l = NULL;
  int oom = gk_int_grow ((void **) &l, &cap, 1, sizeof *l, 8) == -1;
  struct dirent *e;
  while (!oom && (e = readdir (d)) != NULL) {
    if (strncmp (e->d_name, "dm-", 3) != 0) continue;
    char dev[300];
    snprintf (dev, sizeof dev, "/dev/%s", e->d_name);
    char *lv = gk_int_dev_dm_to_lv (dev);
    if (!lv) continue;
    if (gk_int_grow ((void **) &l, &cap, n + 2, sizeof *l, 8) == -1) {
      free (lv);
      oom = 1;
      break;
    }
    l[n++] = lv;
  }
  closedir (d);
  if (oom) {
    if (l) { l[n] = NULL; gk_int_free_strings (l); }
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  l[n] = NULL;
  gk_int_sort_strings (l);
  return l;
}

char **
gk_int_lvm_lv_paths (void)
{
  gk_int_lvm_auto_activate ();
  return gk_int_lvm_active_lvs ();
}
