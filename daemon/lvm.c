/* guestkitd: the LVM calls (calls/lvm.def) and the LVM side of device
 * names (lvm.h).
 *
 * Every lvm command goes through run_lvm(), which passes one --config
 * (gk_int_lvm_config: no udev, no daemons, no backups, locks in /run,
 * and a filter that only lets lvm see the user's drives, never the
 * appliance's root or staging disk).  lvm has no cache here: each
 * command reads the drives' metadata afresh.
 *
 * Nothing LVM happens at boot.  device-mapper (dm_mod) is loaded at the
 * first lvm command; all VGs are activated once per session, at the
 * first need (a missing /dev/VG/LV argument, list-filesystems finding a
 * PV) unless the user activated or deactivated something first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "daemon.h"
#include "actions.h"
#include "structs.h"
#include "lvm.h"

#define DM_MISC "/sys/class/misc/device-mapper"

static int dm_ready;            /* dm_mod is loaded */
static int activation_done;     /* automatic activation done or overruled */

/* Load device-mapper on first use (not at boot: it costs ~0.3 s under
 * TCG and most sessions never need it).  It may be built in. */
static int
need_dm (void)
{
  if (dm_ready) return 0;
  if (access (DM_MISC, F_OK) != 0) {
    const char *argv[] = { "/sbin/modprobe", "dm_mod", NULL };
    char *errs = NULL;
    int st = gk_int_run_status (NULL, &errs, NULL, argv);
    if (access (DM_MISC, F_OK) != 0) {
      size_t n = errs ? strcspn (errs, "\n") : 0;
      gk_int_err (ENOTSUP, "device-mapper is not available in the appliance "
                  "kernel, so LVM cannot be used (modprobe dm_mod: %.*s%s)",
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

/* Run "lvm ARGS[0] --config ... ARGS[1...]", capturing standard output
 * into *OUT_R if not NULL.  READONLY: no metadata may be written (used
 * for activation).  On failure the error is "lvm SUBCOMMAND: <what lvm
 * said>" with device names as the user knows them. */
static int
run_lvm (char **out_r, int readonly, const char *const *args)
{
  if (need_dm () == -1) return -1;
  char **disks = gk_int_list_disks ();
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
  if (run_lvm (text_r, 0, argv) == -1) return NULL;
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
static char **
report_list (const char *const *args, const char *fields, size_t nfields,
             const char *format)
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
static char *
report_one (const char *const *args, const char *field, const char *what)
{
  char **l = report_list (args, field, 1, "%s");
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

static int
check_vg (const char *vg)
{
  if (gk_int_lvm_name_ok (vg)) return 0;
  return gk_int_err (EINVAL, "%s: invalid volume group name (letters, "
                     "digits and +_.- only)", vg);
}

/* USER as lvm's "VG/LV" (or "VG" if ALLOW_VG and it names a VG).
 * malloc'd; NULL with the error set. */
static char *
lv_arg (const char *user, int allow_vg)
{
  char *vg, *lv, *r = NULL;
  if (gk_int_lvm_parse_lv (user, allow_vg, &vg, &lv) == -1) {
    if (errno == ENOMEM) gk_int_err (ENOMEM, "out of memory");
    else gk_int_err (EINVAL, "%s: not a logical volume name (expected "
                     "/dev/VG/LV or /dev/mapper/VG-LV)", user);
    return NULL;
  }
  if ((lv ? asprintf (&r, "%s/%s", vg, lv) : asprintf (&r, "%s", vg)) == -1) {
    r = NULL;
    gk_int_err (ENOMEM, "out of memory");
  }
  free (vg);
  free (lv);
  return r;
}

/* A size or percentage argument in 1..MAX. */
static int
check_range (const char *what, int v, int max)
{
  if (v >= 1 && v <= max) return 0;
  return gk_int_err (EINVAL, "%s %d: must be between 1 and %d", what, v, max);
}

/* --- activation --- */

int
gk_int_lvm_activate_all (void)
{
  const char *a[] = { "vgchange", "-a", "y", NULL };
  if (run_lvm (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

/* The automatic activation, once per session.  A failure is logged, not
 * reported: the call that needed it reports what is then missing. */
static void
auto_activate (void)
{
  if (activation_done) return;
  activation_done = 1;
  if (gk_int_lvm_activate_all () == -1) {
    gk_int_log ("automatic LVM activation: %s", gk_int_err_msg ());
    gk_int_err_clear ();
  }
}

/* Read /sys/dev/block/MAJ:MIN/dm/FILE into BUF (first line). */
static int
dm_attr (dev_t rdev, const char *file, char *buf, size_t size)
{
  char p[96];
  snprintf (p, sizeof p, "/sys/dev/block/%u:%u/dm/%s", major (rdev),
            minor (rdev), file);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  ssize_t n = read (fd, buf, size - 1);
  close (fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return 0;
}

/* "/dev/VG/LV" of block device RDEV if it is an LVM LV, else NULL. */
static char *
rdev_to_lv (dev_t rdev)
{
  char uuid[160], name[300];
  if (dm_attr (rdev, "uuid", uuid, sizeof uuid) == -1
      || strncmp (uuid, "LVM-", 4) != 0
      || dm_attr (rdev, "name", name, sizeof name) == -1)
    return NULL;
  char *vg, *lv, *r;
  if (gk_int_lvm_split_dm (name, &vg, &lv) == -1) return NULL;
  if (asprintf (&r, "/dev/%s/%s", vg, lv) == -1) r = NULL;
  free (vg);
  free (lv);
  return r;
}

int
gk_int_lvm_check_dev (const char *user)
{
  struct stat st;
  if (stat (user, &st) == -1 && errno == ENOENT) auto_activate ();
  if (stat (user, &st) == -1) {
    if (errno == ENOENT || errno == ENOTDIR)
      return gk_int_err (ENOENT, "%s: no such device", user);
    return gk_int_perr ("%s", user);
  }
  char *lv = S_ISBLK (st.st_mode) ? rdev_to_lv (st.st_rdev) : NULL;
  if (!lv)
    return gk_int_err (EINVAL, "%s: not a logical volume", user);
  free (lv);
  return 0;
}

char *
gk_int_lvm_dm_to_lv (const char *dev)
{
  struct stat st;
  if (strncmp (dev, "/dev/mapper/", 12) != 0 && strncmp (dev, "/dev/dm-", 8) != 0)
    return NULL;
  if (stat (dev, &st) == -1 || !S_ISBLK (st.st_mode)) return NULL;
  return rdev_to_lv (st.st_rdev);
}

/* The active LVs, from sysfs (no lvm run). */
static char **
active_lvs (void)
{
  DIR *d = opendir ("/sys/block");
  if (!d) { gk_int_perr ("/sys/block"); return NULL; }
  size_t n = 0, cap = 8;
  char **l = calloc (cap, sizeof *l);
  struct dirent *e;
  while (l && (e = readdir (d)) != NULL) {
    if (strncmp (e->d_name, "dm-", 3) != 0) continue;
    char dev[300];
    snprintf (dev, sizeof dev, "/dev/%s", e->d_name);
    char *lv = gk_int_lvm_dm_to_lv (dev);
    if (!lv) continue;
    if (n + 1 >= cap) {
      char **nl = realloc (l, 2 * cap * sizeof *l);
      if (!nl) { free (lv); gk_int_free_strings (l); l = NULL; break; }
      l = nl;
      cap *= 2;
    }
    l[n++] = lv;
    l[n] = NULL;
  }
  closedir (d);
  if (!l) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  gk_int_sort_strings (l);
  return l;
}

int
do_is_lv (const char *mountable)
{
  /* The dispatcher already refused LV names that are not LVs. */
  struct stat st;
  if (stat (mountable, &st) == -1) return gk_int_perr ("%s", mountable);
  char *lv = S_ISBLK (st.st_mode) ? rdev_to_lv (st.st_rdev) : NULL;
  int r = lv != NULL;
  free (lv);
  return r;
}

char **
gk_int_lvm_lv_paths (void)
{
  auto_activate ();
  return active_lvs ();
}

int
do_vg_activate_all (int activate)
{
  return do_vg_activate (activate, (char *const[]) { NULL });
}

int
do_vg_activate (int activate, char *const *volgroups)
{
  for (size_t i = 0; volgroups[i]; i++)
    if (check_vg (volgroups[i]) == -1) return -1;
  if (!activate && !volgroups[0]) {
    /* Deactivating all with nothing active: nothing to do, and no need
     * to load dm_mod (the test fixture runs this before every call's
     * tests).  Named VGs still go to lvm, which checks they exist. */
    char **act = active_lvs ();
    if (!act) return -1;
    int none = act[0] == NULL;
    gk_int_free_strings (act);
    if (none) return 0;
  }
  size_t n = gk_int_count_strings (volgroups);
  const char *a[n + 4];
  a[0] = "vgchange";
  a[1] = "-a";
  a[2] = activate ? "y" : "n";
  for (size_t i = 0; i < n; i++) a[3 + i] = volgroups[i];
  a[3 + n] = NULL;
  if (run_lvm (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

int
do_lvm_scan (int activate)
{
  if (activate) return gk_int_lvm_activate_all ();
  const char *a[] = { "vgscan", NULL };
  if (run_lvm (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

/* --- physical volumes --- */

int
do_pvcreate (const char *device)
{
  /* --yes: wipe old signatures without asking (stdin is not a tty). */
  const char *a[] = { "pvcreate", "--yes", device, NULL };
  return run_lvm (NULL, 0, a);
}

int
do_pvremove (const char *device)
{
  const char *a[] = { "pvremove", device, NULL };
  return run_lvm (NULL, 0, a);
}

int
do_pvresize (const char *device)
{
  const char *a[] = { "pvresize", device, NULL };
  return run_lvm (NULL, 0, a);
}

char **
do_pvs (void)
{
  const char *a[] = { "pvs", NULL };
  char **l = report_list (a, "pv_name", 1, "%s");
  if (l) gk_int_devs_to_user (l);
  return l;
}

char *
do_pvuuid (const char *device)
{
  const char *a[] = { "pvs", device, NULL };
  char *u = gk_int_dev_to_user (device);
  char *r = report_one (a, "pv_uuid", u ? u : device);
  free (u);
  return r;
}

/* --- volume groups --- */

int
do_vgcreate (const char *volgroup, char *const *physvols)
{
  if (check_vg (volgroup) == -1) return -1;
  size_t n = gk_int_count_strings (physvols);
  if (n == 0)
    return gk_int_err (EINVAL, "%s: no physical volumes given", volgroup);
  char *devs[n + 1];
  const char *a[n + 4];
  int r = -1;
  size_t k = 0;
  for (; k < n; k++)
    if (!(devs[k] = gk_int_dev_from_user (physvols[k]))) goto out;
  a[0] = "vgcreate";
  a[1] = "--yes";
  a[2] = volgroup;
  for (size_t i = 0; i < n; i++) a[3 + i] = devs[i];
  a[3 + n] = NULL;
  r = run_lvm (NULL, 0, a);
 out:
  while (k > 0) free (devs[--k]);
  return r;
}

int
do_vgremove (const char *vgname)
{
  if (check_vg (vgname) == -1) return -1;
  const char *a[] = { "vgremove", "--force", vgname, NULL };
  return run_lvm (NULL, 0, a);
}

int
do_vgrename (const char *volgroup, const char *newvolgroup)
{
  if (check_vg (volgroup) == -1 || check_vg (newvolgroup) == -1) return -1;
  const char *a[] = { "vgrename", volgroup, newvolgroup, NULL };
  return run_lvm (NULL, 0, a);
}

char **
do_vgs (void)
{
  const char *a[] = { "vgs", NULL };
  return report_list (a, "vg_name", 1, "%s");
}

char *
do_vguuid (const char *vgname)
{
  if (check_vg (vgname) == -1) return NULL;
  const char *a[] = { "vgs", vgname, NULL };
  return report_one (a, "vg_uuid", vgname);
}

char **
do_vglvuuids (const char *vgname)
{
  if (check_vg (vgname) == -1) return NULL;
  const char *a[] = { "lvs", vgname, NULL };
  return report_list (a, "lv_uuid", 1, "%s");
}

char **
do_vgpvuuids (const char *vgname)
{
  if (check_vg (vgname) == -1) return NULL;
  const char *a[] = { "vgs", vgname, NULL };
  return report_list (a, "pv_uuid", 1, "%s");
}

/* --- logical volumes --- */

int
do_lvcreate (const char *logvol, const char *volgroup, int mbytes)
{
  if (check_vg (volgroup) == -1) return -1;
  if (!gk_int_lvm_name_ok (logvol))
    return gk_int_err (EINVAL, "%s: invalid logical volume name", logvol);
  if (check_range ("size (MB)", mbytes, 1 << 30) == -1) return -1;
  char size[32];
  snprintf (size, sizeof size, "%dm", mbytes);
  const char *a[] = { "lvcreate", "--yes", "-L", size, "-n", logvol,
                      volgroup, NULL };
  if (run_lvm (NULL, 0, a) == -1) return -1;
  return 0;
}

int
do_lvcreate_free (const char *logvol, const char *volgroup, int percent)
{
  if (check_vg (volgroup) == -1) return -1;
  if (!gk_int_lvm_name_ok (logvol))
    return gk_int_err (EINVAL, "%s: invalid logical volume name", logvol);
  if (check_range ("percentage", percent, 100) == -1) return -1;
  char ext[32];
  snprintf (ext, sizeof ext, "%d%%FREE", percent);
  const char *a[] = { "lvcreate", "--yes", "-l", ext, "-n", logvol,
                      volgroup, NULL };
  return run_lvm (NULL, 0, a);
}

int
do_lvremove (const char *device)
{
  char *lv = lv_arg (device, 1);
  if (!lv) return -1;
  const char *a[] = { "lvremove", "--force", lv, NULL };
  int r = run_lvm (NULL, 0, a);
  free (lv);
  return r;
}

/* lvresize/lvextend of DEVICE with SIZEOPT ("-L" or "-l") VALUE. */
static int
resize (const char *cmd, const char *device, const char *sizeopt,
        const char *value)
{
  char *lv = lv_arg (device, 0);
  if (!lv) return -1;
  /* --force: shrinking must not wait for a confirmation. */
  const char *a[] = { cmd, "--force", sizeopt, value, lv, NULL };
  int r = run_lvm (NULL, 0, a);
  free (lv);
  return r;
}

int
do_lvresize (const char *device, int mbytes)
{
  if (check_range ("size (MB)", mbytes, 1 << 30) == -1) return -1;
  char size[32];
  snprintf (size, sizeof size, "%dm", mbytes);
  return resize ("lvresize", device, "-L", size);
}

int
do_lvresize_free (const char *lv, int percent)
{
  if (check_range ("percentage", percent, 100) == -1) return -1;
  char ext[32];
  snprintf (ext, sizeof ext, "+%d%%FREE", percent);
  return resize ("lvextend", lv, "-l", ext);
}

int
do_lvrename (const char *logvol, const char *newlogvol)
{
  char *vg1, *lv1, *vg2, *lv2;
  if (gk_int_lvm_parse_lv (logvol, 0, &vg1, &lv1) == -1)
    return gk_int_err (EINVAL, "%s: not a logical volume name (expected "
                       "/dev/VG/LV)", logvol);
  if (gk_int_lvm_parse_lv (newlogvol, 0, &vg2, &lv2) == -1) {
    free (vg1); free (lv1);
    return gk_int_err (EINVAL, "%s: not a logical volume name (expected "
                       "/dev/VG/LV)", newlogvol);
  }
  int r;
  if (strcmp (vg1, vg2) != 0)
    r = gk_int_err (EINVAL, "%s -> %s: an LV cannot move to another volume "
                    "group", logvol, newlogvol);
  else {
    const char *a[] = { "lvrename", vg1, lv1, lv2, NULL };
    r = run_lvm (NULL, 0, a);
  }
  free (vg1); free (lv1); free (vg2); free (lv2);
  return r;
}

char **
do_lvs (void)
{
  /* Without -a, lvm leaves out hidden internal LVs (mirror images ...). */
  const char *a[] = { "lvs", NULL };
  return report_list (a, "vg_name,lv_name", 2, "/dev/%s/%s");
}

char *
do_lvuuid (const char *device)
{
  char *lv = lv_arg (device, 0);
  if (!lv) return NULL;
  const char *a[] = { "lvs", lv, NULL };
  char *r = report_one (a, "lv_uuid", device);
  free (lv);
  return r;
}

char *
do_lvm_canonical_lv_name (const char *lvname)
{
  char *vg, *lv;
  if (gk_int_lvm_parse_lv (lvname, 0, &vg, &lv) == -1) {
    gk_int_err (EINVAL, "%s: not a logical volume", lvname);
    return NULL;
  }
  char *full = NULL, *r = NULL;
  if (asprintf (&full, "%s/%s", vg, lv) == -1) full = NULL;
  const char *a[] = { "lvs", full, NULL };
  char **l = full ? report_list (a, "lv_name", 1, "%s") : NULL;
  if (!full)
    gk_int_err (ENOMEM, "out of memory");
  else if (!l || !l[0]) {
    gk_int_err_clear ();
    gk_int_err (EINVAL, "%s: not a logical volume", lvname);
  }
  else if (asprintf (&r, "/dev/%s/%s", vg, lv) == -1) {
    r = NULL;
    gk_int_err (ENOMEM, "out of memory");
  }
  gk_int_free_strings (l);
  free (full); free (vg); free (lv);
  return r;
}

int
do_lvm_remove_all (void)
{
  /* vgremove --force deactivates and removes the LVs too. */
  char **vgs = do_vgs ();
  if (!vgs) return -1;
  size_t n = gk_int_count_strings (vgs);
  const char *a[n + 3];
  a[0] = "vgremove";
  a[1] = "--force";
  for (size_t i = 0; i < n; i++) a[2 + i] = vgs[i];
  a[2 + n] = NULL;
  int r = n ? run_lvm (NULL, 0, a) : 0;
  gk_int_free_strings (vgs);
  if (r == -1) return -1;

  const char *p[] = { "pvs", NULL };
  char **pvs = report_list (p, "pv_name", 1, "%s");
  if (!pvs) return -1;
  n = gk_int_count_strings (pvs);
  const char *b[n + 2];
  b[0] = "pvremove";
  for (size_t i = 0; i < n; i++) b[1 + i] = pvs[i];
  b[1 + n] = NULL;
  r = n ? run_lvm (NULL, 0, b) : 0;
  gk_int_free_strings (pvs);
  return r;
}

/* --- the -full listings --- */

/* Run report ARGS0 with the fields of struct SNAME and decode each row
 * into *VALS_R (*N_R of them).  pv_name fields are translated to the
 * user's device names. */
static int
full_report (const char *args0, const char *sname, struct gk_int_sval **vals_r,
             size_t *n_r)
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

/* do_pvs_full, do_vgs_full, do_lvs_full: the same over three structs. */
#define FULL_LIST(fn, cmd, st)                                          \
  struct gk_##st##_list *                                               \
  fn (void)                                                             \
  {                                                                     \
    struct gk_int_sval *v;                                              \
    size_t n;                                                           \
    if (full_report (cmd, #st, &v, &n) == -1) return NULL;              \
    struct gk_##st##_list *l = malloc (sizeof *l);                      \
    if (l && !(l->val = calloc (n ? n : 1, sizeof *l->val))) {          \
      free (l);                                                         \
      l = NULL;                                                         \
    }                                                                   \
    const struct gk_int_struct *s = gk_int_lookup_struct (#st);         \
    for (size_t i = 0; i < n; i++) {                                    \
      if (l) gk_int_##st##_from_sval (&v[i], &l->val[i]);               \
      gk_int_free_sval (s, &v[i]);                                      \
    }                                                                   \
    free (v);                                                           \
    if (!l) gk_int_err (ENOMEM, "out of memory");                       \
    else l->len = n;                                                    \
    return l;                                                           \
  }

FULL_LIST (do_pvs_full, "pvs", lvm_pv)
FULL_LIST (do_vgs_full, "vgs", lvm_vg)
FULL_LIST (do_lvs_full, "lvs", lvm_lv)
