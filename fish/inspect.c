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

/* As guestfish -i: every LUKS device is opened before inspection, as
 * /dev/mapper/luks-DEV, with a key read for it
 * (keys.c: the terminal, or stdin with --keys-from-stdin), so the
 * filesystems and LVM inside are inspected.  A device whose key is
 * refused is an error. */
static int
open_encrypted (struct shell *sh)
{
  char **fs = gk_list_filesystems (sh->g);
  if (!fs) {
    gk_fish_fail ("-i: %s", err_of (sh->g));
    return -1;
  }
  int r = 0;
  for (size_t i = 0; fs[i] && fs[i + 1] && r == 0; i += 2) {
    if (strcmp (fs[i + 1], "crypto_LUKS") != 0 || strncmp (fs[i], "/dev/", 5) != 0)
      continue;
    char map[128];
    snprintf (map, sizeof map, "luks-%s", fs[i] + 5);
    char *key = gk_fish_read_key (fs[i]);
    if (!key) {
      gk_fish_fail ("-i: %s: no key given for this encrypted device", fs[i]);
      r = -1;
      break;
    }
    /* Read-write even with --ro: a read-only drive is an overlay that
     * keeps the image unchanged, and LVM cannot activate LVs on a
     * read-only mapping. */
    r = gk_luks_open (sh->g, fs[i], key, map);
    explicit_bzero (key, strlen (key));
    free (key);
    if (r == -1) gk_fish_fail ("-i: %s", err_of (sh->g));
  }
  gk_free_strings (fs);
  return r;
}

int
gk_fish_inspect_mount (struct shell *sh)
{
  if (open_encrypted (sh) == -1) return -1;
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
