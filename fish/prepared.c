/* gkfish: -N prepared disks, and the alloc/allocate/sparse built-ins.
 *
 *   disk[:SIZE]            a blank (sparse) raw disk
 *   part[:SIZE]            one MBR partition covering the disk
 *   fs[:FSTYPE[:SIZE]]     that partition formatted as FSTYPE
 *
 * SIZE defaults to 100M and FSTYPE to ext2, as in guestfish.  The file is
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

#define DEFAULT_SIZE (100LL << 20)

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

enum kind { K_DISK, K_PART, K_FS };

/* Split "fs:ext4:1G" into its kind, filesystem type and size.  FSTYPE
 * points into a static copy. */
static int
parse_type (const char *type, enum kind *k, const char **fstype, long long *size)
{
  static char buf[256];
  char *parts[4] = { NULL };
  size_t n = 0;

  if (strlen (type) >= sizeof buf) return -1;
  strcpy (buf, type);
  for (char *p = buf; p && n < 4; n++) {
    parts[n] = p;
    if ((p = strchr (p, ':')) != NULL) *p++ = '\0';
  }
  *size = DEFAULT_SIZE;
  *fstype = "ext2";
  const char *sz = NULL;
  if (strcmp (parts[0], "disk") == 0 && n <= 2) { *k = K_DISK; sz = parts[1]; }
  else if (strcmp (parts[0], "part") == 0 && n <= 2) { *k = K_PART; sz = parts[1]; }
  else if (strcmp (parts[0], "fs") == 0 && n <= 3) {
    *k = K_FS;
    if (parts[1] && *parts[1]) *fstype = parts[1];
    sz = parts[2];
  }
  else return -1;
  if (sz && gk_fish_parse_size (sz, size) == -1) return -1;
  return 0;
}

int
gk_fish_prepare_file (const struct prep *p)
{
  enum kind k;
  const char *fstype;
  long long size;

  if (parse_type (p->type, &k, &fstype, &size) == -1) {
    gk_fish_fail ("-N %s: expected disk[:SIZE], part[:SIZE] or "
                  "fs[:FSTYPE[:SIZE]] (SIZE like 100M or 1G)", p->type);
    return -1;
  }
  return create_file ("-N", p->file, size, 0);
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
run (struct shell *sh, const char *a, const char *b, const char *c)
{
  char *words[] = { (char *) a, (char *) b, (char *) c, NULL };
  int r = gk_cmd_run (sh->g, words, stdout, stderr);
  gk_fish_progress_end (r == 0);
  return r;
}

int
gk_fish_prepare_layout (struct shell *sh)
{
  const struct options *o = sh->o;
  for (size_t i = 0; i < o->nr_drives; i++) {
    int pi = o->drives[i].prep;
    enum kind k;
    const char *fstype;
    long long size;
    char dev[16], part[24];

    if (pi < 0) continue;
    if (parse_type (o->preps[pi].type, &k, &fstype, &size) == -1) return -1;
    if (i >= 26) {
      gk_fish_fail ("-N: only the first 26 drives can be prepared");
      return -1;
    }
    snprintf (dev, sizeof dev, "/dev/sd%c", (char) ('a' + i));
    snprintf (part, sizeof part, "%s1", dev);
    if (k >= K_PART && run (sh, "part-disk", dev, "mbr") == -1) return -1;
    if (k == K_FS && run (sh, "mkfs", fstype, part) == -1) return -1;
  }
  return 0;
}
