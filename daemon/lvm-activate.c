/* guestkitd: LVM activation and LVs as devices (lvm.h): vg-activate,
 * vg-activate-all, lvm-scan, is-lv, the dispatcher's check of /dev/VG/LV
 * names, LV names back to the user, the LVs for list-filesystems.
 *
 * Nothing LVM happens at boot.  All VGs are activated once per session,
 * at the first need (a missing /dev/VG/LV argument, list-filesystems
 * finding a PV), unless the user activated or deactivated something
 * first.  See daemon/README.md, "LVM".
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
#include "lvm.h"

static int activation_done;     /* automatic activation done or overruled */

/* --- activation --- */

int
gk_int_lvm_activate_all (void)
{
  const char *a[] = { "vgchange", "-a", "y", NULL };
  if (gk_int_lvm_run (NULL, 1, a) == -1) return -1;
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
  if (strncmp (dev, "/dev/mapper/", 12) != 0
      && strncmp (dev, "/dev/dm-", 8) != 0)
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
    if (gk_int_lvm_check_vg (volgroups[i]) == -1) return -1;
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
  if (gk_int_lvm_run (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

int
do_lvm_scan (int activate)
{
  if (activate) return gk_int_lvm_activate_all ();
  const char *a[] = { "vgscan", NULL };
  if (gk_int_lvm_run (NULL, 1, a) == -1) return -1;
  activation_done = 1;
  return 0;
}

