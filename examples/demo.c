/* Example: the README's first job.  Creates a sample image, partitions
 * and formats it, writes a file, reads it back, and prints where the
 * launch time went.   Usage: demo IMAGE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <guestkit.h>

static int
fail (gk_h *g)
{
  fprintf (stderr, "demo: %s\n", gk_last_error (g));
  gk_close (g);
  return 1;
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  int fd = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || ftruncate (fd, 128 << 20) == -1 || close (fd) == -1) {
    perror (argv[1]);
    return 1;
  }
  gk_h *g = gk_create ();
  if (!g) { perror ("gk_create"); return 1; }
  const char *msg = "hello from guestkit\n";
  if (gk_add_drive (g, argv[1], NULL) == -1 || gk_launch (g) == -1) return fail (g);
  struct gk_timing_list *t = gk_get_timings (g);
  if (!t) return fail (g);
  char *backend = gk_get_backend (g);
  printf ("launched (%s); where the time went:\n", backend ? backend : "?");
  free (backend);
  for (size_t i = 0; i < t->len; i++)
    printf ("  %-22s %9.1f ms\n", t->val[i].name, t->val[i].usec / 1000.0);
  gk_free_timing_list (t);
  if (gk_part_disk (g, "/dev/sda", "mbr") == -1
      || gk_mkfs (g, "ext4", "/dev/sda1", NULL) == -1
      || gk_mount (g, "/dev/sda1", "/") == -1
      || gk_write (g, "/hello.txt", msg, strlen (msg)) == -1)
    return fail (g);
  char *back = gk_cat (g, "/hello.txt");
  if (!back) return fail (g);
  printf ("wrote /hello.txt on %s:/dev/sda1 and read back: %s", argv[1], back);
  int same = strcmp (back, msg) == 0;
  free (back);
  if (gk_shutdown (g) == -1) return fail (g);
  gk_close (g);
  if (!same) { fprintf (stderr, "demo: content differs\n"); return 1; }
  return 0;
}
