/* guestkitd: btrfs subvolumes and resizing, with the appliance's btrfs
 * tool on mounted guest paths.  Paths are resolved inside the guest
 * root first (symbolic links cannot lead out of it). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "grow.h"

/* The sysroot path of guest PATH, which must exist and be a directory
 * (EXIST) or whose parent must (a new subvolume's name).  NULL + error. */
static char *
btrfs_path (const char *path, int exist)
{
  char *p = gk_int_sysroot_path (path);
  if (!p) { gk_int_perr ("%s", path); return NULL; }
  struct stat st;
  if (exist && stat (p, &st) == -1) { gk_int_perr ("%s", path); free (p); return NULL; }
  if (exist && !S_ISDIR (st.st_mode)) {
    gk_int_err (ENOTDIR, "%s: %s", path, strerror (ENOTDIR));
    free (p);
    return NULL;
  }
  if (!exist && lstat (p, &st) == 0) {
    gk_int_err (EEXIST, "%s: %s", path, strerror (EEXIST));
    free (p);
    return NULL;
  }
  return p;
}

/* "-i QGROUPID" when set: QGROUPID is "LEVEL/ID", digits only. */
static int
qgroup_ok (const char *q)
{
  const char *s = strchr (q, '/');
  if (!s || s == q || !s[1] || strspn (q, "0123456789") != (size_t) (s - q)
      || strspn (s + 1, "0123456789") != strlen (s + 1))
    return gk_int_err (EINVAL, "qgroupid '%.64s': expected LEVEL/ID (e.g. 0/257)", q);
  return 0;
}

int
do_btrfs_subvolume_create (const char *dest, const char *qgroupid)
{
  int hasq = (gk_int_optargs_bitmask & GK_BTRFS_SUBVOLUME_CREATE_QGROUPID) != 0;
  if (hasq && qgroup_ok (qgroupid) == -1) return -1;
  char *d = btrfs_path (dest, 0);
  if (!d) return -1;
  const char *argv[] = { "btrfs", "subvolume", "create", hasq ? "-i" : d,
                         hasq ? qgroupid : NULL, d, NULL };
  int r = gk_int_run (NULL, NULL, argv);
  free (d);
  return r;
}

int
do_btrfs_subvolume_snapshot (const char *source, const char *dest, int ro,
                             const char *qgroupid)
{
  int hasq = (gk_int_optargs_bitmask & GK_BTRFS_SUBVOLUME_SNAPSHOT_QGROUPID) != 0;
  ro = (gk_int_optargs_bitmask & GK_BTRFS_SUBVOLUME_SNAPSHOT_RO) && ro;
  if (hasq && qgroup_ok (qgroupid) == -1) return -1;
  char *s = btrfs_path (source, 1), *d = s ? btrfs_path (dest, 0) : NULL;
  if (!d) { free (s); return -1; }
  const char *argv[10];
  size_t n = 0;
  argv[n++] = "btrfs"; argv[n++] = "subvolume"; argv[n++] = "snapshot";
  if (ro) argv[n++] = "-r";
  if (hasq) { argv[n++] = "-i"; argv[n++] = qgroupid; }
  argv[n++] = s; argv[n++] = d; argv[n] = NULL;
  int r = gk_int_run (NULL, NULL, argv);
  free (s);
  free (d);
  return r;
}

/* One line of "btrfs subvolume list": "ID 256 gen 7 top level 5 path a/b". */
static int
parse_subvol (const char *line, struct gk_btrfssubvolume *v)
{
  uint64_t id, gen, top;
  int off = -1;
  if (sscanf (line, "ID %" SCNu64 " gen %" SCNu64 " top level %" SCNu64 " path %n",
              &id, &gen, &top, &off) != 3 || off < 0)
    return gk_int_err (EIO, "btrfs subvolume list: cannot parse '%.100s'", line);
  v->btrfssubvolume_id = (int64_t) id;
  v->btrfssubvolume_top_level_id = (int64_t) top;
  v->btrfssubvolume_path = strdup (line + off);
  return v->btrfssubvolume_path ? 0 : gk_int_err (ENOMEM, "out of memory");
}

struct gk_btrfssubvolume_list *
do_btrfs_subvolume_list (const char *fs)
{
  char *p = btrfs_path (fs, 1);
  if (!p) return NULL;
  char *out = NULL;
  const char *argv[] = { "btrfs", "subvolume", "list", p, NULL };
  int r = gk_int_run (&out, NULL, argv);
  free (p);
  if (r == -1) return NULL;
  char **lines = gk_int_split_lines (out);
  struct gk_btrfssubvolume_list *l = calloc (1, sizeof *l);
  size_t cap = 0;
  if (!lines || !l) { gk_int_err (ENOMEM, "out of memory"); goto fail; }
  for (size_t i = 0; lines[i]; i++) {
    if (!lines[i][0]) continue;
    if (gk_int_grow ((void **) &l->val, &cap, l->len + 1, sizeof *l->val, 8) == -1) {
      gk_int_err (ENOMEM, "out of memory");
      goto fail;
    }
    if (parse_subvol (lines[i], &l->val[l->len]) == -1) goto fail;
    l->len++;
  }
  gk_int_free_strings (lines);
  return l;
 fail:
  gk_int_free_strings (lines);
  if (l) gk_free_btrfssubvolume_list (l);
  return NULL;
}

int
do_btrfs_filesystem_resize (const char *mountpoint, int64_t size)
{
  char sz[32] = "max";
  if (gk_int_optargs_bitmask & GK_BTRFS_FILESYSTEM_RESIZE_SIZE) {
    if (size <= 0)
      return gk_int_err (EINVAL, "%s: size %" PRId64 ": must be above 0", mountpoint, size);
    snprintf (sz, sizeof sz, "%" PRId64, size);
  }
  char *p = btrfs_path (mountpoint, 1);
  if (!p) return -1;
  const char *argv[] = { "btrfs", "filesystem", "resize", sz, p, NULL };
  int r = gk_int_run (NULL, NULL, argv);
  free (p);
  return r;
}
