/* guestkitd: checking, resizing and tuning filesystems (e2fsck, fsck,
 * resize2fs*, xfs-growfs, tune2fs-l, set-label, set-uuid,
 * get/set-e2generation, fstrim, vfs-minimum-size, filesystem-available).
 *
 * Tools that work on a device run through gk_int_run_on_dev, so their
 * complaints about a damaged filesystem reach the user prefixed with the
 * device name ("/dev/sdb: e2fsck: Bad magic number in super-block ...").
 * Every argument is checked before a tool runs.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/fs.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"

#define XFS_MAGIC 0x58465342
#define EXT_MAGIC 0xEF53

static int
is_ext (const char *type)
{
  return strcmp (type, "ext2") == 0 || strcmp (type, "ext3") == 0
    || strcmp (type, "ext4") == 0;
}

/* The filesystem type on DEV (appliance name) as vfs-type says it;
 * malloc'd, "" if none. */
static char *
fs_type (const char *dev)
{
  return do_vfs_type (dev);
}

/* Refuse if DEV does not hold an ext2/3/4 filesystem. */
static int
need_ext (const char *dev)
{
  char *t = fs_type (dev);
  if (!t) return -1;
  int ok = is_ext (t);
  if (!ok)
    gk_int_dev_err (EINVAL, dev, "not an ext2/3/4 filesystem (%s)",
                    *t ? t : "no filesystem found");
  free (t);
  return ok ? 0 : -1;
}

/* ---- e2fsck and fsck ---------------------------------------------- */

int
do_e2fsck (const char *device, int correct, int forceall)
{
  if (correct && forceall)
    return gk_int_err (EINVAL, "e2fsck: correct and forceall cannot be "
                       "used together");
  if (gk_int_check_unused (device) == -1) return -1;
  const char *argv[] = { "e2fsck", "-f",
                         correct ? "-p" : forceall ? "-y" : "-n",
                         device, NULL };
  char *out = NULL, *err = NULL;
  int st = gk_int_run_status (&out, &err, NULL, argv);
  if (st == -1) return -1;
  int r = 0;
  /* 0: clean; 1: errors corrected; 2: corrected, reboot (a mounted root:
   * not here).  4 and up: errors left, or e2fsck itself failed. */
  if (st >= 4) {
    char *msg = gk_int_text_to_user (err && *err ? err : out ? out : "");
    size_t len = msg ? strlen (msg) : 0;
    while (len > 0 && isspace ((unsigned char) msg[len - 1])) msg[--len] = '\0';
    const char *tail = len > 2000 ? msg + len - 2000 : msg ? msg : "";
    gk_int_dev_err (st & 4 ? EUCLEAN : EIO, device,
                    "e2fsck (status %d)%s: %s", st,
                    st & 4 ? ": the filesystem has errors left" : "", tail);
    free (msg);
    r = -1;
  }
  free (out);
  free (err);
  return r;
}

int
do_e2fsck_f (const char *device)
{
  return do_e2fsck (device, 1, 0);
}

static int
valid_fs_name (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > 32) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(islower ((unsigned char) s[i]) || isdigit ((unsigned char) s[i])
          || s[i] == '_'))
      return 0;
  return 1;
}

int
do_fsck (const char *fstype, const char *device)
{
  if (!valid_fs_name (fstype))
    return gk_int_err (EINVAL, "%.64s: invalid filesystem type", fstype);
  if (gk_int_check_unused (device) == -1) return -1;
  char prog[64];
  snprintf (prog, sizeof prog, "fsck.%s", fstype);
  /* -a: repair what is safe without asking.  The result is fsck's exit
   * status, as fsck(8) documents it. */
  const char *argv[] = { prog, "-a", device, NULL };
  /* fsck.xfs and fsck.btrfs check nothing and always succeed: run the
   * real checkers read-only instead.  They exit 1 on damage, which
   * stays unrepaired: fsck's 4. */
  const char *xfs[] = { "xfs_repair", "-n", device, NULL };
  const char *btrfs[] = { "btrfs", "check", "--readonly", device, NULL };
  int readonly_checker = 1;
  const char *const *run = argv;
  if (strcmp (fstype, "xfs") == 0) run = xfs;
  else if (strcmp (fstype, "btrfs") == 0) run = btrfs;
  else readonly_checker = 0;
  char *err = NULL;
  int st = gk_int_run_status (NULL, &err, NULL, run);
  free (err);
  if (readonly_checker && st > 0)
    return st == 1 ? 4 : 8;
  if (st == -1 && strcmp (gk_int_err_name (), "ENOENT") == 0) {
    gk_int_err_clear ();
    return gk_int_err (EINVAL, "%s: no checker for this filesystem type "
                       "(%s is missing)", fstype, run[0]);
  }
  return st;
}

/* ---- resizing ----------------------------------------------------- */

static int
resize2fs (const char *dev, const char *arg)
{
  if (need_ext (dev) == -1) return -1;
  /* ARG NULL ends the list early: resize to the device size. */
  const char *argv[] = { "resize2fs", dev, arg, NULL };
  return gk_int_run_on_dev (dev, NULL, argv);
}

int
do_resize2fs (const char *device)
{
  return resize2fs (device, NULL);
}

int
do_resize2fs_size (const char *device, int64_t size)
{
  if (size < 65536)
    return gk_int_err (EINVAL, "%" PRId64 ": size too small (bytes; at "
                       "least 64 KiB)", size);
  char arg[32];
  snprintf (arg, sizeof arg, "%" PRId64 "K", size / 1024);
  return resize2fs (device, arg);
}

int
do_resize2fs_M (const char *device)
{
  if (need_ext (device) == -1) return -1;
  const char *argv[] = { "resize2fs", "-M", device, NULL };
  return gk_int_run_on_dev (device, NULL, argv);
}

int
do_xfs_growfs (const char *path, int datasec, int logsec, int64_t datasize,
               int maxpct)
{
  const uint64_t o = gk_int_optargs_bitmask;
  if ((o & GK_XFS_GROWFS_DATASIZE) && datasize <= 0)
    return gk_int_err (EINVAL, "%" PRId64 ": invalid datasize", datasize);
  if ((o & GK_XFS_GROWFS_MAXPCT) && (maxpct < 0 || maxpct > 100))
    return gk_int_err (EINVAL, "%d: maxpct must be 0 to 100", maxpct);
  int fd = gk_int_open (path, O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) return gk_int_perr ("%s", path);
  struct statfs sf;
  int r = fstatfs (fd, &sf);
  close (fd);
  if (r == -1) return gk_int_perr ("%s", path);
  if (sf.f_type != XFS_MAGIC)
    return gk_int_err (EINVAL, "%s: not a mounted XFS filesystem", path);
  char *real = gk_int_sysroot_path (path);
  if (!real) return gk_int_perr ("%s", path);
  char ds[32], mp[16];
  const char *argv[12];
  size_t n = 0;
  argv[n++] = "xfs_growfs";
  if (!(o & GK_XFS_GROWFS_DATASEC) || datasec) argv[n++] = "-d";
  if ((o & GK_XFS_GROWFS_LOGSEC) && logsec) argv[n++] = "-l";
  if (o & GK_XFS_GROWFS_DATASIZE) {
    /* -D counts filesystem blocks. */
    snprintf (ds, sizeof ds, "%" PRId64, datasize / (int64_t) sf.f_bsize);
    argv[n++] = "-D"; argv[n++] = ds;
  }
  if (o & GK_XFS_GROWFS_MAXPCT) {
    snprintf (mp, sizeof mp, "%d", maxpct);
    argv[n++] = "-m"; argv[n++] = mp;
  }
  argv[n++] = real;
  argv[n] = NULL;
  r = gk_int_run (NULL, NULL, argv);
  free (real);
  return r;
}

/* ---- tune2fs -l --------------------------------------------------- */

char **
do_tune2fs_l (const char *device)
{
  if (need_ext (device) == -1) return NULL;
  char *out = NULL;
  const char *argv[] = { "tune2fs", "-l", device, NULL };
  char *err = NULL;
  int st = gk_int_run_status (&out, &err, NULL, argv);
  if (st != 0) {
    if (st > 0)
      gk_int_dev_err (EIO, device, "tune2fs: %s", err ? err : "failed");
    free (out);
    free (err);
    return NULL;
  }
  free (err);
  char *text = gk_int_text_to_user (out);
  free (out);
  if (!text) return NULL;
  char **lines = gk_int_split_lines (text);
  if (!lines) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
  size_t n = gk_int_count_strings (lines), k = 0;
  char **r = calloc (2 * n + 1, sizeof *r);
  if (!r) { gk_int_free_strings (lines); gk_int_err (ENOMEM, "out of memory"); return NULL; }
  for (size_t i = 0; i < n; i++) {
    char *c = strchr (lines[i], ':');
    if (!c || c == lines[i]) continue;        /* the version banner */
    *c = '\0';
    char *v = c + 1;
    while (*v == ' ' || *v == '\t') v++;
    char *key = strdup (lines[i]), *val = strdup (v);
    if (!key || !val) {
      free (key); free (val);
      gk_int_free_strings (r);
      gk_int_free_strings (lines);
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
    r[k++] = key;
    r[k++] = val;
  }
  gk_int_free_strings (lines);
  return r;
}

/* ---- labels and UUIDs --------------------------------------------- */

/* xfs_db parses its -c command into words itself: keep the value to
 * one plain word. */
static int
xfs_word (const char *s)
{
  for (const char *p = s; *p; p++)
    if (isspace ((unsigned char) *p) || *p == '"' || *p == '\''
        || *p == '\\' || (unsigned char) *p < 32)
      return 0;
  return *s != '\0';
}

int
do_set_label (const char *mountable, const char *label)
{
  for (const char *p = label; *p; p++)
    if ((unsigned char) *p < 32)
      return gk_int_err (EINVAL, "label: control characters are not allowed");
  char *t = fs_type (mountable);
  if (!t) return -1;
  size_t len = strlen (label), max = 0;
  const char *argv[8];
  char cmd[64];
  int r = -1;
  if (is_ext (t)) {
    max = 16;
    argv[0] = "tune2fs"; argv[1] = "-L"; argv[2] = label;
    argv[3] = mountable; argv[4] = NULL;
  }
  else if (strcmp (t, "vfat") == 0) {
    max = 11;
    argv[0] = "fatlabel"; argv[1] = mountable; argv[2] = label; argv[3] = NULL;
  }
  else if (strcmp (t, "btrfs") == 0) {
    max = 255;
    argv[0] = "btrfs"; argv[1] = "filesystem"; argv[2] = "label";
    argv[3] = mountable; argv[4] = label; argv[5] = NULL;
  }
  else if (strcmp (t, "xfs") == 0) {
    max = 12;
    if (!xfs_word (label)) {
      gk_int_err (EINVAL, "xfs labels here are one word without quotes");
      goto out;
    }
    snprintf (cmd, sizeof cmd, "label %s", label);
    argv[0] = "xfs_db"; argv[1] = "-x"; argv[2] = "-p"; argv[3] = "xfs_admin";
    argv[4] = "-c"; argv[5] = cmd; argv[6] = mountable; argv[7] = NULL;
  }
  else {
    gk_int_dev_err (EINVAL, mountable, "setting the label of %s is not "
                    "supported", *t ? t : "an unknown filesystem");
    goto out;
  }
  if (len > max) {
    gk_int_err (EINVAL, "%.64s: label too long for %s (at most %zu bytes)",
                label, t, max);
    goto out;
  }
  r = gk_int_run_on_dev (mountable, NULL, argv);
 out:
  free (t);
  return r;
}

/* A FAT volume id: XXXX-XXXX, given to fatlabel -i as 8 hex digits. */
static int
fat_id (const char *s, char *out)
{
  if (strlen (s) != 9 || s[4] != '-') return 0;
  for (int i = 0, k = 0; i < 9; i++) {
    if (i == 4) continue;
    if (!isxdigit ((unsigned char) s[i])) return 0;
    out[k++] = s[i];
  }
  out[8] = '\0';
  return 1;
}

int
do_set_uuid (const char *device, const char *uuid)
{
  char *t = fs_type (device);
  if (!t) return -1;
  const char *argv[8];
  char cmd[64], id[9];
  int r = -1;
  if (strcmp (t, "vfat") == 0) {
    if (!fat_id (uuid, id)) {
      gk_int_err (EINVAL, "%.64s: a FAT volume id looks like 1234-ABCD", uuid);
      goto out;
    }
    argv[0] = "fatlabel"; argv[1] = "-i"; argv[2] = device; argv[3] = id;
    argv[4] = NULL;
  }
  else if (!gk_int_is_uuid (uuid)) {
    gk_int_err (EINVAL, "%.64s: not a UUID "
                "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", uuid);
    goto out;
  }
  else if (is_ext (t)) {
    if (gk_int_check_unused (device) == -1) goto out;
    argv[0] = "tune2fs"; argv[1] = "-U"; argv[2] = uuid; argv[3] = device;
    argv[4] = NULL;
  }
  else if (strcmp (t, "btrfs") == 0) {
    if (gk_int_check_unused (device) == -1) goto out;
    argv[0] = "btrfstune"; argv[1] = "-f"; argv[2] = "-U"; argv[3] = uuid;
    argv[4] = device; argv[5] = NULL;
  }
  else if (strcmp (t, "xfs") == 0) {
    snprintf (cmd, sizeof cmd, "uuid %s", uuid);
    argv[0] = "xfs_db"; argv[1] = "-x"; argv[2] = "-p"; argv[3] = "xfs_admin";
    argv[4] = "-c"; argv[5] = cmd; argv[6] = device; argv[7] = NULL;
  }
  else {
    gk_int_dev_err (EINVAL, device, "setting the UUID of %s is not "
                    "supported", *t ? t : "an unknown filesystem");
    goto out;
  }
  r = gk_int_run_on_dev (device, NULL, argv);
 out:
  free (t);
  return r;
}

/* guestfish's deprecated set-e2uuid: tune2fs -U, which also takes
 * clear, random and time. */
int
do_set_e2uuid (const char *device, const char *uuid)
{
  if (!gk_int_is_uuid (uuid) && strcmp (uuid, "clear") != 0
      && strcmp (uuid, "random") != 0 && strcmp (uuid, "time") != 0)
    return gk_int_err (EINVAL, "%.64s: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) "
                       "nor clear, random or time", uuid);
  char *t = fs_type (device);
  if (!t) return -1;
  int ext = is_ext (t);
  if (!ext)
    gk_int_dev_err (EINVAL, device, "not an ext2/3/4 filesystem (%s)",
                    *t ? t : "unknown");
  free (t);
  if (!ext || gk_int_check_unused (device) == -1) return -1;
  const char *argv[] = { "tune2fs", "-U", uuid, device, NULL };
  return gk_int_run_on_dev (device, NULL, argv);
}

/* ---- ext generation numbers --------------------------------------- */

int64_t
do_get_e2generation (const char *file)
{
  /* The ioctl must never reach a device driver: files and directories. */
  int fd = gk_int_open_content (file, O_RDONLY, 0, 1);
  if (fd == -1) return -1;
  int gen = 0;
  int r = ioctl (fd, FS_IOC_GETVERSION, &gen);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s: FS_IOC_GETVERSION", file);
  }
  return (int64_t) (uint32_t) gen;
}

int
do_set_e2generation (const char *file, int64_t generation)
{
  if (generation < 0 || generation > UINT32_MAX)
    return gk_int_err (EINVAL, "%" PRId64 ": generation must be 0 to "
                       "4294967295", generation);
  int fd = gk_int_open_content (file, O_RDONLY, 0, 1);
  if (fd == -1) return -1;
  int gen = (int) (uint32_t) generation;
  int r = ioctl (fd, FS_IOC_SETVERSION, &gen);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s: FS_IOC_SETVERSION", file);
  }
  return 0;
}

/* ---- fstrim ------------------------------------------------------- */

int
do_fstrim (const char *mountpoint, int64_t offset, int64_t length,
           int64_t minimumfreeextent)
{
  const uint64_t o = gk_int_optargs_bitmask;
  if (((o & GK_FSTRIM_OFFSET) && offset < 0)
      || ((o & GK_FSTRIM_LENGTH) && length < 0)
      || ((o & GK_FSTRIM_MINIMUMFREEEXTENT) && minimumfreeextent < 0))
    return gk_int_err (EINVAL, "fstrim: offset, length and "
                       "minimumfreeextent may not be negative");
  int fd = gk_int_open (mountpoint, O_RDONLY | O_DIRECTORY, 0);
  if (fd == -1) return gk_int_perr ("%s", mountpoint);
  struct fstrim_range range = {
    .start = (o & GK_FSTRIM_OFFSET) ? (uint64_t) offset : 0,
    .len = (o & GK_FSTRIM_LENGTH) ? (uint64_t) length : UINT64_MAX,
    .minlen = (o & GK_FSTRIM_MINIMUMFREEEXTENT) ? (uint64_t) minimumfreeextent : 0,
  };
  int r = ioctl (fd, FITRIM, &range);
  int e = errno;
  close (fd);
  if (r == -1) {
    errno = e;
    return gk_int_perr ("%s: FITRIM", mountpoint);
  }
  /* Some filesystems need the data written after a trim (sync). */
  sync ();
  return 0;
}

/* ---- minimum size ------------------------------------------------- */

/* The block size of the ext filesystem on DEV, read from its
 * superblock. */
static int64_t
ext_block_size (const char *dev)
{
  int fd = open (dev, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return gk_int_dev_perr (dev, "open");
  unsigned char sb[1024];
  ssize_t n = pread (fd, sb, sizeof sb, 1024);
  close (fd);
  if (n != (ssize_t) sizeof sb || (sb[56] | sb[57] << 8) != EXT_MAGIC)
    return gk_int_dev_err (EIO, dev, "cannot read the ext superblock");
  uint32_t log = (uint32_t) sb[24] | (uint32_t) sb[25] << 8
    | (uint32_t) sb[26] << 16 | (uint32_t) sb[27] << 24;
  if (log > 6) return gk_int_dev_err (EIO, dev, "corrupt ext superblock "
                                      "(block size)");
  return (int64_t) 1024 << log;
}

int64_t
do_vfs_minimum_size (const char *mountable)
{
  char *t = fs_type (mountable);
  if (!t) return -1;
  if (!is_ext (t)) {
    gk_int_dev_err (EOPNOTSUPP, mountable, "minimum size of %s is not "
                    "supported (ext2/3/4 only)", *t ? t : "no filesystem");
    free (t);
    return -1;
  }
  free (t);
  int64_t bs = ext_block_size (mountable);
  if (bs == -1) return -1;
  char *out = NULL;
  const char *argv[] = { "resize2fs", "-P", mountable, NULL };
  if (gk_int_run (&out, NULL, argv) == -1) {
    char *u = gk_int_mountable_to_user (mountable);
    char *m = strdup (gk_int_err_msg ());
    gk_int_err_clear ();
    gk_int_err (EIO, "%s: %s", u ? u : mountable, m ? m : "resize2fs failed");
    free (u); free (m);
    return -1;
  }
  const char *key = "minimum size of the filesystem:";
  char *p = strstr (out, key);
  long long blocks = -1;
  if (p) {
    char *end;
    errno = 0;
    blocks = strtoll (p + strlen (key), &end, 10);
    if (errno || end == p + strlen (key) || blocks < 0) blocks = -1;
  }
  free (out);
  if (blocks < 0 || blocks > INT64_MAX / bs)
    return gk_int_dev_err (EIO, mountable, "cannot parse resize2fs -P output");
  return blocks * bs;
}

/* ---- filesystem-available ------------------------------------------ */

static int
in_proc_filesystems (const char *fs)
{
  FILE *f = fopen ("/proc/filesystems", "re");
  if (!f) return gk_int_perr ("/proc/filesystems");
  char line[256];
  int found = 0;
  while (fgets (line, sizeof line, f)) {
    char *name = strrchr (line, '\t');
    name = name ? name + 1 : line;
    name[strcspn (name, "\n")] = '\0';
    if (strcmp (name, fs) == 0) found = 1;
  }
  fclose (f);
  return found;
}

int
do_filesystem_available (const char *filesystem)
{
  if (!valid_fs_name (filesystem))
    return gk_int_err (EINVAL, "%.64s: invalid filesystem name", filesystem);
  int r = in_proc_filesystems (filesystem);
  if (r != 0) return r;
  /* Not registered yet: a module may provide it. */
  const char *argv[] = { "modprobe", "-q", filesystem, NULL };
  char *err = NULL;
  int st = gk_int_run_status (NULL, &err, NULL, argv);
  free (err);
  if (st == -1) gk_int_err_clear ();
  return in_proc_filesystems (filesystem);
}

/* ---- zerofree, mkswap, random UUIDs -------------------------------- */

int
do_zerofree (const char *device)
{
  if (need_ext (device) == -1 || gk_int_check_unused (device) == -1)
    return -1;
  const char *argv[] = { "zerofree", device, NULL };
  return gk_int_run_on_dev (device, NULL, argv);
}

int
do_mkswap (const char *device, const char *label, const char *uuid)
{
  const uint64_t o = gk_int_optargs_bitmask;
  if ((o & GK_MKSWAP_LABEL) && strlen (label) > 16)
    return gk_int_err (EINVAL, "%.64s: swap label too long (at most 16 "
                       "bytes)", label);
  if ((o & GK_MKSWAP_UUID) && !gk_int_is_uuid (uuid))
    return gk_int_err (EINVAL, "%.64s: not a UUID", uuid);
  if (gk_int_check_unused (device) == -1) return -1;
  const char *argv[8];
  size_t n = 0;
  argv[n++] = "mkswap";
  argv[n++] = "-f";
  if (o & GK_MKSWAP_LABEL) { argv[n++] = "-L"; argv[n++] = label; }
  if (o & GK_MKSWAP_UUID) { argv[n++] = "-U"; argv[n++] = uuid; }
  argv[n++] = device;
  argv[n] = NULL;
  return gk_int_run_on_dev (device, NULL, argv);
}

int
do_set_uuid_random (const char *device)
{
  /* A version 4 UUID from the kernel's generator. */
  char u[40];
  int fd = open ("/proc/sys/kernel/random/uuid", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, u, sizeof u - 1) : -1;
  if (fd >= 0) close (fd);
  if (n < 36) return gk_int_perr ("/proc/sys/kernel/random/uuid");
  u[36] = '\0';
  char *t = fs_type (device);
  if (!t) return -1;
  if (strcmp (t, "vfat") == 0) {
    /* A FAT volume id is 8 hex digits: use the UUID's first ones. */
    char id[10];
    snprintf (id, sizeof id, "%.4s-%.4s", u, u + 4);
    for (char *p = id; *p; p++) *p = (char) toupper ((unsigned char) *p);
    free (t);
    return do_set_uuid (device, id);
  }
  free (t);
  return do_set_uuid (device, u);
}
