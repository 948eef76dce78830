/* guestkitd: the filesystems inspection looks at, and the guest's fstab
 * names resolved to them.
 *
 * Candidates: partitions, whole disks without a partition table, and
 * device-mapper devices (LVM logical volumes, once activated), each
 * probed once with libblkid for its type, UUID, label and partition
 * UUID.  fstab names are matched against those probes, or by drive
 * letter for kernel names (the guest's /dev/sdb2, /dev/vdb2, /dev/hdb2,
 * /dev/xvdb2 are the user's /dev/sdb2: same position), or taken as they
 * are for /dev/mapper/NAME and /dev/VG/LV when that node exists here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <blkid/blkid.h>
#include "daemon.h"
#include "actions.h"
#include "inspect.h"
#include "mountorder.h"
#include "inspect-parse.h"

/* More entries than this in an fstab is an attack or a mistake. */
#define MAX_FSTAB_ENTRIES 256
#define MAX_MAPPER 256

static char *
value (blkid_probe pr, const char *name)
{
  const char *v = NULL;
  if (blkid_probe_lookup_value (pr, name, &v, NULL) != 0 || !v) v = "";
  return strdup (v);
}

/* Probe DEV; 0 with D filled (empty strings for what is not there),
 * -1 only when out of memory. */
static int
probe (const char *dev, struct gk_insp_dev *d)
{
  memset (d, 0, sizeof *d);
  d->dev = strdup (dev);
  blkid_probe pr = NULL;
  int fd = open (dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0 && (pr = blkid_new_probe ())
      && blkid_probe_set_device (pr, fd, 0, 0) == 0) {
    blkid_probe_enable_superblocks (pr, 1);
    blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL
                                       | BLKID_SUBLKS_UUID);
    blkid_probe_enable_partitions (pr, 1);
    blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS);
    if (blkid_do_safeprobe (pr) != 0) {
      blkid_free_probe (pr);
      pr = NULL;
    }
  }
  if (pr) {
    d->type = value (pr, "TYPE");
    d->uuid = value (pr, "UUID");
    d->label = value (pr, "LABEL");
    d->partuuid = value (pr, "PART_ENTRY_UUID");
    blkid_free_probe (pr);
  }
  else {
    d->type = strdup ("");
    d->uuid = strdup ("");
    d->label = strdup ("");
    d->partuuid = strdup ("");
  }
  if (fd >= 0) close (fd);
  if (!d->dev || !d->type || !d->uuid || !d->label || !d->partuuid)
    return gk_int_err (ENOMEM, "out of memory");
  return 0;
}

static int
add (struct gk_insp_devs *ds, const char *dev)
{
  struct gk_insp_dev *v = realloc (ds->v, (ds->n + 1) * sizeof *v);
  if (!v) return gk_int_err (ENOMEM, "out of memory");
  ds->v = v;
  if (probe (dev, &ds->v[ds->n]) == -1) {
    ds->n++;
    return -1;
  }
  ds->n++;
  return 0;
}

static int
add_user (struct gk_insp_devs *ds, const char *user)
{
  char *dev = gk_int_dev_from_user (user);
  if (!dev) return -1;
  int r = add (ds, dev);
  free (dev);
  return r;
}

static int
is_part_of (const char *part, const char *disk)
{
  size_t n = strlen (disk);
  return strncmp (part, disk, n) == 0 && part[n] >= '0' && part[n] <= '9';
}

/* Every node of /dev/mapper except "control". */
static int
add_mapper (struct gk_insp_devs *ds)
{
  DIR *d = opendir ("/dev/mapper");
  if (!d) return 0;
  struct dirent *e;
  int r = 0;
  for (size_t n = 0; r == 0 && n < MAX_MAPPER && (e = readdir (d));) {
    if (e->d_name[0] == '.' || strcmp (e->d_name, "control") == 0) continue;
    char p[300];
    struct stat st;
    snprintf (p, sizeof p, "/dev/mapper/%s", e->d_name);
    if (stat (p, &st) == -1 || !S_ISBLK (st.st_mode)) continue;
    r = add (ds, p);
    n++;
  }
  closedir (d);
  return r;
}

int
gk_int_insp_devices (struct gk_insp_devs *ds)
{
  memset (ds, 0, sizeof *ds);
  char **disks = do_list_devices ();
  char **parts = disks ? do_list_partitions () : NULL;
  int r = -1;
  if (!disks || !parts) goto out;
  for (size_t i = 0; disks[i]; i++) {
    int has_parts = 0;
    for (size_t j = 0; parts[j]; j++)
      if (is_part_of (parts[j], disks[i])) {
        has_parts = 1;
        if (add_user (ds, parts[j]) == -1) goto out;
      }
    if (!has_parts && add_user (ds, disks[i]) == -1) goto out;
  }
  r = add_mapper (ds);
 out:
  gk_int_free_strings (disks);
  gk_int_free_strings (parts);
  if (r == -1) gk_int_insp_free_devices (ds);
  return r;
}

void
gk_int_insp_free_devices (struct gk_insp_devs *ds)
{
  for (size_t i = 0; i < ds->n; i++) {
    free (ds->v[i].dev); free (ds->v[i].type); free (ds->v[i].uuid);
    free (ds->v[i].label); free (ds->v[i].partuuid);
  }
  free (ds->v);
  ds->v = NULL;
  ds->n = 0;
}

/* --- resolving fstab names --- */

enum key { K_UUID, K_LABEL, K_PARTUUID };

static const char *
find_by (const struct gk_insp_devs *ds, enum key k, const char *v)
{
  if (!*v) return NULL;
  for (size_t i = 0; i < ds->n; i++) {
    const struct gk_insp_dev *d = &ds->v[i];
    const char *x = k == K_UUID ? d->uuid : k == K_LABEL ? d->label : d->partuuid;
    if (strcasecmp (x, v) == 0 && (k != K_LABEL || strcmp (x, v) == 0))
      return d->dev;
  }
  return NULL;
}

/* A name made only of characters LVM and dm allow, not "." or "..". */
static int
dm_word (const char *s, size_t n)
{
  if (n == 0 || n > 127 || (n <= 2 && strspn (s, ".") == n)) return 0;
  for (size_t i = 0; i < n; i++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789+_.-", s[i]))
      return 0;
  return 1;
}

/* /dev/mapper/NAME or /dev/VG/LV, if that block device exists here. */
static char *
dm_name (const char *spec)
{
  const char *rest = spec + 5;
  const char *slash = strchr (rest, '/');
  if (!slash || !dm_word (rest, (size_t) (slash - rest))
      || !dm_word (slash + 1, strlen (slash + 1)))
    return NULL;
  /* Only device-mapper nodes: /dev/fd/N or /dev/block/M:N, which the
   * word check lets through, must not lead to whatever they point at. */
  char real[PATH_MAX];
  struct stat st;
  if (!realpath (spec, real) || stat (real, &st) == -1 || !S_ISBLK (st.st_mode)
      || (strncmp (real, "/dev/dm-", 8) != 0 && strncmp (real, "/dev/mapper/", 12) != 0))
    return NULL;
  return strdup (spec);
}

/* /dev/{sd,vd,hd,xvd}<letters><digits> -> the user's /dev/sd<same>. */
static char *
kernel_name (const char *spec)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/vd", "/dev/hd",
                                          "/dev/xvd", NULL };
  for (size_t i = 0; prefixes[i]; i++) {
    size_t k = strlen (prefixes[i]);
    if (strncmp (spec, prefixes[i], k) != 0) continue;
    const char *tail = spec + k;
    size_t nl = strspn (tail, "abcdefghijklmnopqrstuvwxyz");
    size_t nd = strspn (tail + nl, "0123456789");
    if (nl == 0 || nl > 4 || nd > 4 || tail[nl + nd] != '\0') return NULL;
    char user[32];
    snprintf (user, sizeof user, "/dev/sd%s", tail);
    char *dev = gk_int_dev_from_user (user);
    if (!dev) gk_int_err_clear ();     /* not one of our drives */
    return dev;
  }
  return NULL;
}

/* The appliance device for an fstab SPEC (malloc'd), or NULL. */
static char *
resolve (const struct gk_insp_devs *ds, const char *spec)
{
  static const struct { const char *prefix; enum key k; } tags[] = {
    { "UUID=", K_UUID }, { "LABEL=", K_LABEL }, { "PARTUUID=", K_PARTUUID },
    { "/dev/disk/by-uuid/", K_UUID }, { "/dev/disk/by-label/", K_LABEL },
    { "/dev/disk/by-partuuid/", K_PARTUUID }, { NULL, 0 }
  };
  for (size_t i = 0; tags[i].prefix; i++) {
    size_t k = strlen (tags[i].prefix);
    if (strncmp (spec, tags[i].prefix, k) == 0) {
      char v[256];
      snprintf (v, sizeof v, "%s", spec + k);
      /* UUID="..." is allowed by mount(8). */
      size_t n = strlen (v);
      if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        memmove (v, v + 1, n - 2);
        v[n - 2] = '\0';
      }
      const char *d = find_by (ds, tags[i].k, v);
      return d ? strdup (d) : NULL;
    }
  }
  if (strncmp (spec, "/dev/", 5) != 0) return NULL;
  char *d = kernel_name (spec);
  return d ? d : dm_name (spec);
}

/* A btrfs entry with subvol=VOL names the subvolume: *DEV (malloc'd)
 * becomes btrfsvol:DEV/VOL (VOL without its leading '/'), as libguestfs
 * names it.  0 (*DEV replaced, or kept for other entries); 1 if VOL is
 * no usable name (logged; the entry is left out: DEV alone would be
 * another subvolume); -1 when out of memory. */
static int
with_subvol (char **dev, const struct gk_fstab_ent *e)
{
  if (strcmp (e->vfstype, "btrfs") != 0) return 0;
  char vol[512] = "";
  int found = 0;
  for (const char *o = e->opts; o && *o;) {
    size_t n = strcspn (o, ",");
    if (n >= 7 && strncmp (o, "subvol=", 7) == 0) {
      const char *v = o + 7;
      size_t k = n - 7;
      while (k > 0 && *v == '/') { v++; k--; }
      found = k < sizeof vol ? 1 : -1;
      snprintf (vol, sizeof vol, "%.*s", (int) (k < sizeof vol ? k : 0), v);
    }
    o += n + (o[n] == ',');
  }
  if (found == -1) return 1;
  if (!found || !*vol) return 0;        /* subvol=/: the top, DEV itself */
  char *name = gk_int_btrfsvol_join (*dev, vol), *d;
  const char *rest;
  if (!name) return -1;
  if (gk_int_btrfsvol_split (name, &d, &rest) == -1) {
    gk_int_log ("inspect: fstab: %s: %s", e->file, gk_int_err_msg ());
    gk_int_err_clear ();
    free (name);
    return 1;
  }
  free (d);
  free (*dev);
  *dev = name;
  return 0;
}

static int
push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof *nv);
  if (!nv) return gk_int_err (ENOMEM, "out of memory");
  *v = nv;
  if (!(nv[*n] = strdup (s))) return gk_int_err (ENOMEM, "out of memory");
  nv[++*n] = NULL;
  return 0;
}

static int
has_mountpoint (char **v, size_t n, const char *mp)
{
  for (size_t i = 0; i < n; i += 2)
    if (strcmp (v[i], mp) == 0) return 1;
  return 0;
}

int
gk_int_insp_fstab (const char *fstab, size_t len, const struct gk_insp_devs *ds,
                   struct gk_insp_root *r)
{
  size_t nm = 0, ns = 0, entries = 0;
  r->mounts = NULL;
  r->swaps = NULL;
  /* The root is where it was found, whatever fstab calls it. */
  if (push (&r->mounts, &nm, "/") == -1 || push (&r->mounts, &nm, r->dev) == -1)
    return -1;
  char *text = fstab ? strndup (fstab, len) : NULL;
  char *save = NULL;
  for (char *line = text ? strtok_r (text, "\n", &save) : NULL;
       line && entries < MAX_FSTAB_ENTRIES; line = strtok_r (NULL, "\n", &save)) {
    struct gk_fstab_ent e;
    if (!gk_int_parse_fstab_line (line, &e)) continue;
    entries++;
    int kind = gk_int_fstab_kind (&e);
    if (kind == 0) continue;
    if (kind == 1 && has_mountpoint (r->mounts, nm, e.file)) continue;
    char *dev = resolve (ds, e.spec);
    if (!dev) {
      gk_int_log ("inspect: fstab: %.200s: no such device here", e.spec);
      continue;
    }
    int sv = kind == 1 ? with_subvol (&dev, &e) : 0;
    if (sv == -1) {
      free (dev);
      free (text);
      return -1;
    }
    if (sv == 1) {
      free (dev);
      continue;
    }
    int rc = kind == 2 ? push (&r->swaps, &ns, dev)
      : push (&r->mounts, &nm, e.file) == 0 ? push (&r->mounts, &nm, dev) : -1;
    free (dev);
    if (rc == -1) { free (text); return -1; }
  }
  free (text);
  gk_int_mountpoints_sort (r->mounts, nm / 2, 1);
  if (!r->swaps && !(r->swaps = calloc (1, sizeof *r->swaps)))
    return gk_int_err (ENOMEM, "out of memory");
  return 0;
}
