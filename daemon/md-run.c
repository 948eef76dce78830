/* guestkitd: md RAID core (md.h): loading md_mod, assembling arrays,
 * listing them.
 *
 * mdadm scans only what its configuration's DEVICE lines name: the
 * user's disks and their partitions (never the appliance's root or
 * staging disk), written to a file under /run for each assembly.  No
 * udev: mdadm makes /dev/mdN and /dev/md/NAME itself.  HOMEHOST <ignore>:
 * a guest's arrays belong to another host, and are assembled anyway.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "md.h"

#define MD_MODULE "/sys/module/md_mod"
#define MD_CONF "/run/gk-mdadm.conf"

static int assembled;           /* automatic assembly done */

int
gk_int_md_load (void)
{
  if (access (MD_MODULE, F_OK) == 0) return 0;
  const char *argv[] = { "/sbin/modprobe", "md_mod", NULL };
  char *errs = NULL;
  (void) gk_int_run_status (NULL, &errs, NULL, argv);
  if (access (MD_MODULE, F_OK) != 0) {
    gk_int_err (ENOTSUP, "md RAID is not available in the appliance kernel "
                "(modprobe md_mod: %.*s)", (int) (errs ? strcspn (errs, "\n") : 0),
                errs ? errs : "");
    free (errs);
    return -1;
  }
  free (errs);
  return 0;
}

/* The configuration: DEVICE lines for the user's disks (names of
 * lower-case letters only, so no glob character but ours gets in). */
static int
write_conf (void)
{
  char **disks = gk_int_list_disks ();
  if (!disks) return -1;
  FILE *f = fopen (MD_CONF, "we");
  if (!f) {
    gk_int_free_strings (disks);
    return gk_int_perr ("%s", MD_CONF);
  }
  fputs ("HOMEHOST <ignore>\nAUTO +all\n", f);
  for (size_t i = 0; disks[i]; i++) {
    const char *p = disks[i] + 5;
    if (strncmp (disks[i], "/dev/", 5) != 0 || !*p || strspn (p, "abcdefghijklmnopqrstuvwxyz") != strlen (p))
      continue;
    fprintf (f, "DEVICE %s %s[0-9]*\n", disks[i], disks[i]);
  }
  gk_int_free_strings (disks);
  if (fclose (f) != 0) return gk_int_perr ("%s", MD_CONF);
  return 0;
}

void
gk_int_md_auto_assemble (void)
{
  if (assembled) return;
  assembled = 1;
  if (gk_int_md_load () == -1 || write_conf () == -1) {
    gk_int_log ("md assembly: %s", gk_int_err_msg ());
    gk_int_err_clear ();
    return;
  }
  const char *argv[] = { "mdadm", "--assemble", "--scan", "--run",
                         "--config=" MD_CONF, NULL };
  char *errs = NULL;
  int st = gk_int_run_status (NULL, &errs, NULL, argv);
  /* Status 1 with "No arrays found" is the usual case, not a failure. */
  if (st != 0) gk_int_log ("md assembly: mdadm exited %d: %s", st, errs ? errs : "");
  free (errs);
}

void
gk_int_md_assembly_overruled (void)
{
  assembled = 1;
}

char **
gk_int_md_arrays (void)
{
  struct gk_int_reply_list l = { .what = "list-md-devices" };
  DIR *d = opendir ("/sys/block");
  if (!d) {
    gk_int_perr ("/sys/block");
    return NULL;
  }
  struct dirent *e;
  while ((e = readdir (d))) {
    char p[300], name[300];
    if (strncmp (e->d_name, "md", 2) != 0 || !isdigit ((unsigned char) e->d_name[2]))
      continue;
    snprintf (p, sizeof p, "/sys/block/%s/md/array_state", e->d_name);
    if (!gk_int_md_running (p)) continue;
    int len = snprintf (name, sizeof name, "/dev/%s", e->d_name);
    if (gk_int_reply_list_add (&l, name, (size_t) len) == -1) {
      closedir (d);
      gk_int_free_strings (l.v);
      return NULL;
    }
  }
  closedir (d);
  if (!l.v && !(l.v = calloc (1, sizeof *l.v))) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  gk_int_sort_strings (l.v);
  return l.v;
}
