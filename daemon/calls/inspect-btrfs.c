/* guestkitd: the btrfs subvolumes inspection looks at.
 *
 * Fedora puts / and /home in the subvolumes "root" and "home" of one
 * btrfs filesystem, openSUSE / in "@" (and its history in snapper's
 * "@/.snapshots/N/snapshot"): the filesystem's default subvolume, which
 * a plain mount shows, is then not the root.  Each subvolume is named
 * btrfsvol:DEV/PATH (libguestfs's name: btrfsvol.c), PATH as "btrfs
 * subvolume list" gives it.  Bounded: a filesystem may hold thousands of
 * subvolumes; only the first MAX_SUBVOLS are looked at (and the log says
 * so), snapper's snapshots (copies of a root already found) are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include "daemon.h"
#include "grow.h"
#include "inspect.h"

#define MAX_SUBVOLS 64

/* The id of the subvolume mounted on DIR (the default one for a plain
 * mount), or 0 if unknown. */
static uint64_t
mounted_subvol (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd == -1) return 0;
  struct btrfs_ioctl_ino_lookup_args a;
  memset (&a, 0, sizeof a);
  a.objectid = BTRFS_FIRST_FREE_OBJECTID;   /* treeid 0: the fd's own */
  uint64_t id = ioctl (fd, BTRFS_IOC_INO_LOOKUP, &a) == 0 ? a.treeid : 0;
  close (fd);
  return id;
}

/* snapper's history: PATH has a ".snapshots" component with more after. */
static int
is_snapshot (const char *path)
{
  return strncmp (path, ".snapshots/", 11) == 0 || strstr (path, "/.snapshots/");
}

/* Append S (malloc'd, taken) unless it is there already: a name with a
 * newline makes "btrfs subvolume list" print a line of the guest's
 * choosing, which may repeat a real subvolume. */
static int
push (char ***v, size_t *n, size_t *cap, char *s)
{
  if (!s) return -1;
  for (size_t i = 0; i < *n; i++)
    if (strcmp ((*v)[i], s) == 0) {
      free (s);
      return 0;
    }
  if (gk_int_grow ((void **) v, cap, *n + 2, sizeof **v, 8) == -1) {
    free (s);
    return gk_int_err (ENOMEM, "out of memory");
  }
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
  return 0;
}

char **
gk_int_insp_btrfs_subvols (const char *dev, const char *type)
{
  char **v = calloc (1, sizeof *v), *out = NULL;
  size_t n = 0, cap = 1, seen = 0;
  if (!v) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  struct gk_insp_mnt m;
  if (gk_int_insp_mount (dev, type, &m) == -1) {
    gk_int_log ("inspect: %s: no subvolumes looked at: %s", dev, gk_int_err_msg ());
    gk_int_err_clear ();
    return v;
  }
  uint64_t def = mounted_subvol (m.dir);
  const char *argv[] = { "btrfs", "subvolume", "list", m.dir, NULL };
  int r = gk_int_run (&out, NULL, argv);
  gk_int_insp_umount (&m);
  if (r == -1) {
    gk_int_log ("inspect: %s: no subvolumes looked at: %s", dev, gk_int_err_msg ());
    gk_int_err_clear ();
    free (out);
    return v;
  }
  char *save = NULL;
  for (char *line = strtok_r (out, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    uint64_t id, gen, top;
    int off = -1;
    if (sscanf (line, "ID %" SCNu64 " gen %" SCNu64 " top level %" SCNu64 " path %n",
                &id, &gen, &top, &off) != 3 || off < 0)
      continue;
    const char *path = line + off;
    /* The default subvolume was looked at as DEV itself. */
    if (id == def || is_snapshot (path)) continue;
    if (++seen > MAX_SUBVOLS) continue;
    char *name = gk_int_btrfsvol_join (dev, path), *d;
    const char *vol;
    if (name && gk_int_btrfsvol_split (name, &d, &vol) == -1) {
      gk_int_log ("inspect: %s: skipping subvolume %.200s: %s", dev, path,
                  gk_int_err_msg ());
      gk_int_err_clear ();
      free (name);
      continue;
    }
    if (name) free (d);
    if (push (&v, &n, &cap, name) == -1) {
      gk_int_free_strings (v);
      free (out);
      return NULL;
    }
  }
  if (seen > MAX_SUBVOLS)
    gk_int_log ("inspect: %s: %zu subvolumes; only the first %d looked at",
                dev, seen, MAX_SUBVOLS);
  free (out);
  return v;
}
