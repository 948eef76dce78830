/* guestkitd: the LVM activation calls (calls/lvm.def): vg-activate,
 * vg-activate-all, lvm-scan, is-lv.
 *
 * The automatic activation, once per session, and the list of active
 * LVs are in the core (lvm-run.c), since resolving a /dev/VG/LV argument
 * needs them; after one of these calls there is no automatic activation
 * any more.  See daemon/README.md, "LVM".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "lvm.h"

int
do_is_lv (const char *mountable)
{
  /* The dispatcher already refused LV names that are not LVs. */
  struct stat st;
  if (stat (mountable, &st) == -1) return gk_int_perr ("%s", mountable);
  char *lv = S_ISBLK (st.st_mode) ? gk_int_dev_lv_of (st.st_rdev) : NULL;
  int r = lv != NULL;
  free (lv);
  return r;
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
    char **act = gk_int_lvm_active_lvs ();
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
  gk_int_lvm_activation_overruled ();
  return 0;
}

int
do_lvm_scan (int activate)
{
  if (activate) return gk_int_lvm_activate_all ();
  const char *a[] = { "vgscan", NULL };
  if (gk_int_lvm_run (NULL, 1, a) == -1) return -1;
  gk_int_lvm_activation_overruled ();
  return 0;
}

