/* Example: open a disk image read-only, mount its first filesystem and
 * list /.   Usage: mount-ls IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <guestkit.h>

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  gk_h *g = gk_create ();
  if (!g) { perror ("gk_create"); return 1; }
  struct gk_add_drive_opts o = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
  char **fs = NULL, **names = NULL;
  int r = 1;
  if (gk_add_drive (g, argv[1], &o) == -1 || gk_launch (g) == -1) goto out;
  /* list-filesystems returns pairs: device, type. */
  if (!(fs = gk_list_filesystems (g))) goto out;
  const char *dev = NULL;
  for (size_t i = 0; fs[i] && fs[i + 1]; i += 2)
    if (strcmp (fs[i + 1], "unknown") != 0 && strcmp (fs[i + 1], "swap") != 0) { dev = fs[i]; break; }
  if (!dev) { fprintf (stderr, "%s: no filesystem found\n", argv[1]); goto out; }
  if (gk_mount_ro (g, dev, "/") == -1 || !(names = gk_ls (g, "/"))) goto out;
  printf ("%s on %s:\n", dev, argv[1]);
  for (size_t i = 0; names[i]; i++) printf ("  %s\n", names[i]);
  r = gk_shutdown (g) == -1;
 out:
  if (r) fprintf (stderr, "mount-ls: %s\n", gk_last_error (g));
  gk_free_strings (fs);
  gk_free_strings (names);
  gk_close (g);
  return r;
}
