/* gkfish: -N prepared disks, and the alloc/allocate/sparse built-ins.
 *
 *   disk, part, fs, lv, lvfs, bootroot, bootrootlv with guestfish's
 *   parameters and defaults (the table "kinds" below; gkfish -N help)
 *  The file is
 * created (or truncated and rewritten) before launch; partitioning and
 * formatting are ordinary calls (part-disk, mkfs) right after launch.
 * alloc FILE SIZE and sparse FILE SIZE create a disk file the same way
 * (allocated or sparse) and add it at once, as guestfish does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkfish.h"

/* guestfish's defaults (guestfish -N help). */
#define DEFAULT_SIZE (1LL << 30)
#define DEFAULT_BOOTSIZE (128LL << 20)

int
gk_fish_parse_size (const char *s, long long *bytes)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  int shift = 0;
  if (end == s || errno || v <= 0) return -1;
  switch (*end) {
  case '\0': break;
  case 'b': case 'B': shift = 0; end++; break;
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  case 't': case 'T': shift = 40; end++; break;
  default: return -1;
  }
  if (*end != '\0' || v > (LLONG_MAX >> shift)) return -1;
  *bytes = v << shift;
  return 0;
}

/* Create FILE of SIZE bytes (truncating it): sparse, or with its blocks
 * allocated (ALLOCATE).  WHO names the command in errors. */
static int
create_file (const char *who, const char *file, long long size, int allocate)
{
  int fd = open (file, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0644);
  int e = 0;
  if (fd == -1) {
    gk_fish_fail ("%s: %s: %s", who, file, strerror (errno));
    return -1;
  }
  if (ftruncate (fd, (off_t) size) == -1) e = errno;
  /* A filesystem that cannot preallocate still gives zeroes. */
  else if (allocate && (e = posix_fallocate (fd, 0, (off_t) size)) == EOPNOTSUPP) e = 0;
  if (close (fd) == -1 && !e) e = errno;
  if (e) {
    gk_fish_fail ("%s: %s: %s", who, file, strerror (e));
    unlink (file);
    return -1;
  }
  return 0;
}

enum kind { K_DISK, K_PART, K_FS, K_LV, K_LVFS, K_BOOTROOT, K_BOOTROOTLV };

/* guestfish's prepared disk types and their parameters, in order. */
static const struct kind_def {
  const char *name;
  enum kind k;
  const char *params;   /* name fs bootfs size bootsize ptype */
  const char *desc;
} kinds[] = {
  { "disk", K_DISK, "size", "a blank disk" },
  { "part", K_PART, "size ptype", "one partition covering the disk" },
  { "fs", K_FS, "fs size ptype", "one partition holding a filesystem" },
  { "lv", K_LV, "name size ptype",
    "one partition: an LVM PV, its VG and an LV filling it" },
  { "lvfs", K_LVFS, "name fs size ptype", "as lv, with a filesystem on the LV" },
  { "bootroot", K_BOOTROOT, "bootfs fs size bootsize ptype",
    "two partitions, a boot and a root filesystem" },
  { "bootrootlv", K_BOOTROOTLV, "name bootfs fs size bootsize ptype",
    "as bootroot, with root on a logical volume" },
};
#define NR_KINDS (sizeof kinds / sizeof kinds[0])

struct layout {
  enum kind k;
  long long size, bootsize;
  const char *fstype, *bootfs, *ptype;
  char vg[128], lv[128];
  char buf[256];        /* the parameters point into this copy */
};

/* "/dev/VG/LV" into its two names. */
static int
parse_lvname (const char *name, struct layout *l)
{
  const char *vg = name + 5, *slash;
  if (strncmp (name, "/dev/", 5) != 0 || !(slash = strchr (vg, '/'))
      || slash == vg || !slash[1] || strchr (slash + 1, '/')
      || (size_t) (slash - vg) >= sizeof l->vg || strlen (slash + 1) >= sizeof l->lv)
    return -1;
  snprintf (l->vg, sizeof l->vg, "%.*s", (int) (slash - vg), vg);
  snprintf (l->lv, sizeof l->lv, "%s", slash + 1);
  return 0;
}

/* Split "fs:ext4:1G:gpt" by its kind's parameter list; empty or missing
 * parameters take guestfish's defaults. */
static int
parse_type (const char *type, struct layout *l)
{
  char *parts[8] = { NULL };
  size_t n = 0;

  if (strlen (type) >= sizeof l->buf) return -1;
  strcpy (l->buf, type);
  for (char *p = l->buf; p && n < 8; n++) {
    parts[n] = p;
    if ((p = strchr (p, ':')) != NULL) *p++ = '\0';
  }
  const struct kind_def *kd = NULL;
  for (size_t i = 0; i < NR_KINDS; i++)
    if (strcmp (parts[0], kinds[i].name) == 0) kd = &kinds[i];
  if (!kd) return -1;
  l->k = kd->k;
  l->size = DEFAULT_SIZE;
  l->bootsize = DEFAULT_BOOTSIZE;
  l->fstype = l->bootfs = "ext2";
  l->ptype = "mbr";
  snprintf (l->vg, sizeof l->vg, "VG");
  snprintf (l->lv, sizeof l->lv, "LV");
  size_t i = 1;
  for (const char *p = kd->params; *p; i++) {
    size_t w = strcspn (p, " ");
    const char *v = i < n ? parts[i] : NULL;
    if (v && *v) {
      if (strncmp (p, "size", w) == 0 && w == 4) {
        if (gk_fish_parse_size (v, &l->size) == -1) return -1;
      }
      else if (strncmp (p, "bootsize", w) == 0) {
        if (gk_fish_parse_size (v, &l->bootsize) == -1) return -1;
      }
      else if (strncmp (p, "fs", w) == 0 && w == 2) l->fstype = v;
      else if (strncmp (p, "bootfs", w) == 0) l->bootfs = v;
      else if (strncmp (p, "ptype", w) == 0) l->ptype = v;
      else if (strncmp (p, "name", w) == 0 && parse_lvname (v, l) == -1) return -1;
    }
    p += w;
    p += strspn (p, " ");
  }
  if (i < n) return -1;         /* more parameters than the kind has */
  /* The boot partition, from sector 64, must leave room for root. */
  if ((l->k == K_BOOTROOT || l->k == K_BOOTROOTLV)
      && (l->bootsize % 512 || l->bootsize / 512 + 2048 + 128 >= l->size / 512))
    return -1;
  return 0;
}

/* -N help: the types and their parameters. */
static void
prep_help (void)
{
  printf ("Prepared disk types for -N [FILE=]TYPE[:PARAM...]\n"
          "(empty or left-out parameters take their defaults):\n\n");
  for (size_t i = 0; i < NR_KINDS; i++) {
    printf ("  %s", kinds[i].name);
    for (const char *p = kinds[i].params; *p; ) {
      size_t w = strcspn (p, " ");
      printf (":<%.*s>", (int) w, p);
      p += w;
      p += strspn (p, " ");
    }
    printf ("\n      %s\n", kinds[i].desc);
  }
  printf ("\nDefaults: size 1G, bootsize 128M, fs and bootfs ext2, ptype mbr\n"
          "(or gpt), name /dev/VG/LV.\nThe file is FILE, or test1.img, "
          "test2.img, ... for the first, second, ... -N.\n");
}

int
gk_fish_prepare_file (const struct prep *p)
{
  struct layout l;

  if (parse_type (p->type, &l) == -1) {
    gk_fish_fail ("-N %s: expected disk, part, fs, lv, lvfs, bootroot or "
                  "bootrootlv and their parameters (SIZE like 100M or 1G, NAME "
                  "like /dev/VG/LV; gkfish -N help lists them)", p->type);
    return -1;
  }
  return create_file ("-N", p->file, l.size, 0);
}

int
gk_fish_prep_help (const char *arg)
{
  if (strcmp (arg, "help") != 0) return 0;
  prep_help ();
  return 1;
}

/* alloc/allocate FILE SIZE and sparse FILE SIZE (guestfish's): create
 * FILE (overwriting it), zeroed and allocated or sparse, and add it as a
 * raw drive. */
static int
alloc_or_sparse (struct shell *sh, char **words, int allocate)
{
  long long size;
  if (!words[1] || !words[2] || words[3]) {
    gk_fish_fail ("%s: usage: %s FILE SIZE (SIZE like 100M or 1G)", words[0], words[0]);
    return CMD_ERROR;
  }
  if (gk_fish_parse_size (words[2], &size) == -1) {
    gk_fish_fail ("%s: %s: expected a size like 100M or 1G", words[0], words[2]);
    return CMD_ERROR;
  }
  if (sh->launched || sh->launch_failed) {
    gk_fish_fail ("%s: %s: drives can only be added before launch", words[0], words[1]);
    return CMD_ERROR;
  }
  if (create_file (words[0], words[1], size, allocate) == -1) return CMD_ERROR;
  struct gk_add_drive_opts o = { .bitmask = GK_ADD_DRIVE_FORMAT, .format = "raw" };
  if (gk_add_drive (sh->g, words[1], &o) == -1) {
    gk_fish_fail ("%s", gk_last_error (sh->g));
    return CMD_ERROR;
  }
  sh->drives++;
  return CMD_OK;
}

int
gk_fish_bi_alloc (struct shell *sh, char **words)
{
  return alloc_or_sparse (sh, words, 1);
}

int
gk_fish_bi_sparse (struct shell *sh, char **words)
{
  return alloc_or_sparse (sh, words, 0);
}

static int
run (struct shell *sh, const char *a, const char *b, const char *c, const char *d,
     const char *e)
{
  char *words[] = { (char *) a, (char *) b, (char *) c, (char *) d, (char *) e, NULL };
  int r = gk_cmd_run (sh->g, words, stdout, stderr);
  gk_fish_progress_end (r == 0);
  return r;
}

/* PV on PART, then the volume group and a logical volume filling it. */
static int
make_lv (struct shell *sh, const struct layout *l, const char *part)
{
  return run (sh, "pvcreate", part, NULL, NULL, NULL) == -1
    || run (sh, "vgcreate", l->vg, part, NULL, NULL) == -1
    || run (sh, "lvcreate-free", l->lv, l->vg, "100", NULL) == -1 ? -1 : 0;
}

static int
lay_out (struct shell *sh, const struct layout *l, const char *dev)
{
  char p1[40], p2[40], lvdev[300], s1[32], e1[32], s2[32];
  snprintf (p1, sizeof p1, "%s1", dev);
  snprintf (p2, sizeof p2, "%s2", dev);
  snprintf (lvdev, sizeof lvdev, "/dev/%s/%s", l->vg, l->lv);
  switch (l->k) {
  case K_DISK: return 0;
  case K_PART: case K_FS: case K_LV: case K_LVFS:
    if (run (sh, "part-disk", dev, l->ptype, NULL, NULL) == -1) return -1;
    if (l->k == K_FS) return run (sh, "mkfs", l->fstype, p1, NULL, NULL);
    if (l->k == K_PART) return 0;
    if (make_lv (sh, l, p1) == -1) return -1;
    return l->k == K_LVFS ? run (sh, "mkfs", l->fstype, lvdev, NULL, NULL) : 0;
  case K_BOOTROOT: case K_BOOTROOTLV:
    /* As guestfish: boot from sector 64, root after it up to 64 sectors
     * before the end.  GPT: from sector 2048, the first one the daemon's
     * part-add (sfdisk) allows there. */
    long long first = strcmp (l->ptype, "mbr") == 0 || strcmp (l->ptype, "msdos") == 0 ? 64 : 2048;
    snprintf (s1, sizeof s1, "%lld", first);
    snprintf (e1, sizeof e1, "%lld", first + l->bootsize / 512 - 1);
    snprintf (s2, sizeof s2, "%lld", first + l->bootsize / 512);
    if (run (sh, "part-init", dev, l->ptype, NULL, NULL) == -1
        || run (sh, "part-add", dev, "p", s1, e1) == -1
        || run (sh, "part-add", dev, "p", s2, "-64") == -1
        || run (sh, "mkfs", l->bootfs, p1, NULL, NULL) == -1)
      return -1;
    if (l->k == K_BOOTROOT) return run (sh, "mkfs", l->fstype, p2, NULL, NULL);
    return make_lv (sh, l, p2) == -1 ? -1 : run (sh, "mkfs", l->fstype, lvdev, NULL, NULL);
  }
  return -1;
}

int
gk_fish_prepare_layout (struct shell *sh)
{
  const struct options *o = sh->o;
  for (size_t i = 0; i < o->nr_drives; i++) {
    int pi = o->drives[i].prep;
    struct layout l;
    char dev[16];

    if (pi < 0) continue;
    if (parse_type (o->preps[pi].type, &l) == -1) return -1;
    if (i >= 26) {
      gk_fish_fail ("-N: only the first 26 drives can be prepared");
      return -1;
    }
    snprintf (dev, sizeof dev, "/dev/sd%c", (char) ('a' + i));
    if (lay_out (sh, &l, dev) == -1) return -1;
  }
  return 0;
}
