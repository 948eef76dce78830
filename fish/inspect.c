/* gkfish: -i, inspect the disks and mount the guest's filesystems.
 *
 * After launch: inspect-os; no root or several roots is an error (-m
 * chooses among several); with one, its filesystems are mounted by the
 * guest's own fstab (inspect-get-mountpoints), parents first.  As in
 * guestfish, -i mounts read-write unless --ro was given.  The "Operating system ... mounted on" banner is for
 * people: only in interactive mode, so scripts' output stays clean.
 */
#include <stdlib.h>
#include <string.h>
#include "gkfish.h"
#include "keys.h"
#include "mountorder.h"
#include "escape.h"

/* The -a images, for the "no operating system found" message. */
static void
print_drives (FILE *f, const struct options *o)
{
  for (size_t i = 0; i < o->nr_drives; i++)
    fprintf (f, "%s%s", i ? ", " : "", o->drives[i].file);
  if (o->nr_drives == 0) fprintf (f, "the disks");
}

static const char *
err_of (gk_h *g)
{
  const char *m = gk_last_error (g);
  return m ? m : "failed";
}

/* Mount the pairs of MPS (mount point, device), shallowest first. */
static int
mount_all (struct shell *sh, char **mps)
{
  size_t n = 0;
  while (mps[n] && mps[n + 1]) n += 2;
  gk_int_mountpoints_sort (mps, n / 2, 0);
  int r = 0;
  for (size_t i = 0; i < n; i += 2) {
    int is_root = strcmp (mps[i], "/") == 0;
    int m = sh->o->readonly ? gk_mount_ro (sh->g, mps[i + 1], mps[i])
      : gk_mount (sh->g, mps[i + 1], mps[i]);
    if (m == 0) {
      if (gk_fish_interactive) printf ("%s mounted on %s\n", mps[i + 1], mps[i]);
      continue;
    }
    /* Without / nothing else can be mounted; a missing /home is a
     * warning, as the rest of the guest is still useful. */
    gk_fish_fail ("-i: %s", err_of (sh->g));
    if (is_root) return -1;
    r = 0;
  }
  return r;
}

int
gk_fish_inspect_mount (struct shell *sh)
{
  /* As guestfish -i: encrypted devices are opened first (keys.c). */
  char prog[64];
  snprintf (prog, sizeof prog, "%s: -i", gk_cmd_prefix ());
  if (gk_keys_open_luks (sh->g, prog) == -1) return -1;
  char **roots = gk_inspect_os (sh->g);
  if (!roots) {
    gk_fish_fail ("-i: %s", err_of (sh->g));
    return -1;
  }
  size_t n = 0;
  while (roots[n]) n++;
  if (n != 1) {
    fprintf (stderr, "%s: -i: ", gk_cmd_prefix ());
    if (n == 0) {
      fprintf (stderr, "no operating system found on ");
      print_drives (stderr, sh->o);
    }
    else {
      fprintf (stderr, "%zu operating systems found (", n);
      for (size_t i = 0; i < n; i++) fprintf (stderr, "%s%s", i ? ", " : "", roots[i]);
      fprintf (stderr, "); choose with -m instead of -i");
    }
    fputc ('\n', stderr);
    gk_free_strings (roots);
    return -1;
  }
  char **mps = gk_inspect_get_mountpoints (sh->g, roots[0]);
  if (!mps) {
    gk_fish_fail ("-i: %s", err_of (sh->g));
    gk_free_strings (roots);
    return -1;
  }
  if (gk_fish_interactive) {
    char *name = gk_inspect_get_product_name (sh->g, roots[0]);
    printf ("\nOperating system: ");
    gk_esc_guest (stdout, name ? name : "unknown", strlen (name ? name : "unknown"));
    putchar ('\n');
    free (name);
  }
  int r = mount_all (sh, mps);
  if (gk_fish_interactive && r == 0) putchar ('\n');
  gk_free_strings (mps);
  gk_free_strings (roots);
  return r;
}
