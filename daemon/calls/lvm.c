/* guestkitd: the LVM calls that create, change and list PVs, VGs and
 * LVs (calls/lvm.def; activation is in lvm-activate.c, running lvm in
 * lvm-run.c).  LV arguments are parsed into lvm's "VG/LV", so no path
 * reaches lvm; device arguments arrive translated (/dev/vdb).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "actions.h"
#include "structs.h"
#include "lvm.h"

/* --- names --- */

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

/* --- physical volumes --- */

int
do_pvcreate (const char *device)
{
  /* --yes: wipe old signatures without asking (stdin is not a tty). */
  const char *a[] = { "pvcreate", "--yes", device, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

int
do_pvremove (const char *device)
{
  const char *a[] = { "pvremove", device, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

int
do_pvresize (const char *device)
{
  const char *a[] = { "pvresize", device, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

char **
do_pvs (void)
{
  const char *a[] = { "pvs", NULL };
  char **l = gk_int_lvm_report_list (a, "pv_name", 1, "%s");
  if (l) gk_int_devs_to_user (l);
  return l;
}

char *
do_pvuuid (const char *device)
{
  const char *a[] = { "pvs", device, NULL };
  char *u = gk_int_mountable_to_user (device);
  char *r = gk_int_lvm_report_one (a, "pv_uuid", u ? u : device);
  free (u);
  return r;
}

/* --- volume groups --- */

int
do_vgcreate (const char *volgroup, char *const *physvols)
{
  if (gk_int_lvm_check_vg (volgroup) == -1) return -1;
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
  r = gk_int_lvm_run (NULL, 0, a);
 out:
  while (k > 0) free (devs[--k]);
  return r;
}

int
do_vgremove (const char *vgname)
{
  if (gk_int_lvm_check_vg (vgname) == -1) return -1;
  const char *a[] = { "vgremove", "--force", vgname, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

int
do_vgrename (const char *volgroup, const char *newvolgroup)
{
  if (gk_int_lvm_check_vg (volgroup) == -1
      || gk_int_lvm_check_vg (newvolgroup) == -1)
    return -1;
  const char *a[] = { "vgrename", volgroup, newvolgroup, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

char **
do_vgs (void)
{
  const char *a[] = { "vgs", NULL };
  return gk_int_lvm_report_list (a, "vg_name", 1, "%s");
}

char *
do_vguuid (const char *vgname)
{
  if (gk_int_lvm_check_vg (vgname) == -1) return NULL;
  const char *a[] = { "vgs", vgname, NULL };
  return gk_int_lvm_report_one (a, "vg_uuid", vgname);
}

char **
do_vglvuuids (const char *vgname)
{
  if (gk_int_lvm_check_vg (vgname) == -1) return NULL;
  const char *a[] = { "lvs", vgname, NULL };
  return gk_int_lvm_report_list (a, "lv_uuid", 1, "%s");
}

char **
do_vgpvuuids (const char *vgname)
{
  if (gk_int_lvm_check_vg (vgname) == -1) return NULL;
  const char *a[] = { "vgs", vgname, NULL };
  return gk_int_lvm_report_list (a, "pv_uuid", 1, "%s");
}

/* --- logical volumes --- */

int
do_lvcreate (const char *logvol, const char *volgroup, int mbytes)
{
  if (gk_int_lvm_check_vg (volgroup) == -1) return -1;
  if (!gk_int_lvm_name_ok (logvol))
    return gk_int_err (EINVAL, "%s: invalid logical volume name", logvol);
  if (check_range ("size (MB)", mbytes, 1 << 30) == -1) return -1;
  char size[32];
  snprintf (size, sizeof size, "%dm", mbytes);
  const char *a[] = { "lvcreate", "--yes", "-L", size, "-n", logvol,
                      volgroup, NULL };
  if (gk_int_lvm_run (NULL, 0, a) == -1) return -1;
  return 0;
}

int
do_lvcreate_free (const char *logvol, const char *volgroup, int percent)
{
  if (gk_int_lvm_check_vg (volgroup) == -1) return -1;
  if (!gk_int_lvm_name_ok (logvol))
    return gk_int_err (EINVAL, "%s: invalid logical volume name", logvol);
  if (check_range ("percentage", percent, 100) == -1) return -1;
  char ext[32];
  snprintf (ext, sizeof ext, "%d%%FREE", percent);
  const char *a[] = { "lvcreate", "--yes", "-l", ext, "-n", logvol,
                      volgroup, NULL };
  return gk_int_lvm_run (NULL, 0, a);
}

int
do_lvremove (const char *device)
{
  char *lv = lv_arg (device, 1);
  if (!lv) return -1;
  const char *a[] = { "lvremove", "--force", lv, NULL };
  int r = gk_int_lvm_run (NULL, 0, a);
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
  int r = gk_int_lvm_run (NULL, 0, a);
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
    r = gk_int_lvm_run (NULL, 0, a);
  }
  free (vg1); free (lv1); free (vg2); free (lv2);
  return r;
}

char **
do_lvs (void)
{
  /* Without -a, lvm leaves out hidden internal LVs (mirror images ...). */
  const char *a[] = { "lvs", NULL };
  return gk_int_lvm_report_list (a, "vg_name,lv_name", 2, "/dev/%s/%s");
}

char *
do_lvuuid (const char *device)
{
  char *lv = lv_arg (device, 0);
  if (!lv) return NULL;
  const char *a[] = { "lvs", lv, NULL };
  char *r = gk_int_lvm_report_one (a, "lv_uuid", device);
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
  char **l = full ? gk_int_lvm_report_list (a, "lv_name", 1, "%s") : NULL;
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
  int r = n ? gk_int_lvm_run (NULL, 0, a) : 0;
  gk_int_free_strings (vgs);
  if (r == -1) return -1;

  const char *p[] = { "pvs", NULL };
  char **pvs = gk_int_lvm_report_list (p, "pv_name", 1, "%s");
  if (!pvs) return -1;
  n = gk_int_count_strings (pvs);
  const char *b[n + 2];
  b[0] = "pvremove";
  for (size_t i = 0; i < n; i++) b[1 + i] = pvs[i];
  b[1 + n] = NULL;
  r = n ? gk_int_lvm_run (NULL, 0, b) : 0;
  gk_int_free_strings (pvs);
  return r;
}

/* The body of do_pvs_full, do_vgs_full and do_lvs_full: report CMD
 * into struct gk_ST_list (ST: lvm_pv, lvm_vg, lvm_lv). */
#define FULL_LIST(cmd, st)                                              \
  do {                                                                  \
    struct gk_int_sval *v;                                              \
    size_t n;                                                           \
    if (gk_int_lvm_full_report (cmd, #st, &v, &n) == -1) return NULL;  \
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
  } while (0)

struct gk_lvm_pv_list *
do_pvs_full (void)
{
  FULL_LIST ("pvs", lvm_pv);
}

struct gk_lvm_vg_list *
do_vgs_full (void)
{
  FULL_LIST ("vgs", lvm_vg);
}

struct gk_lvm_lv_list *
do_lvs_full (void)
{
  FULL_LIST ("lvs", lvm_lv);
}
