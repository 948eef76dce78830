/* guestkitd: mounting guest filesystems under the sysroot.
 *
 * mount(2) is called directly: executing mount(8) costs a fork and exec,
 * which is slow under emulation, and its helpers and fstab handling are
 * not wanted here.  The kernel's mount table (/proc/self/mountinfo) is
 * the only record of what is mounted, so nothing can get out of step.
 *
 * Read-only mounts: the kernel still replays an ext3/4 or XFS journal on
 * a read-only mount when the device is writable.  That is accepted on
 * purpose: the protection of a drive added read-only is at the block
 * layer (qemu writes to a snapshot overlay), so the host image is never
 * changed, and the guest sees a consistent filesystem.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include "daemon.h"
#include "actions.h"
#include "mount-ntfs.h"
#include "mount-table.h"

/* The kernel copies at most a page of mount data. */
#define OPTIONS_MAX 4095

/* --- mount --- */

struct flagopt {
  const char *name;
  unsigned long set, clear;
};

static const struct flagopt flagopts[] = {
  { "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
  { "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
  { "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
  { "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
  { "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
  { "dirsync", MS_DIRSYNC, 0 },
  { "noatime", MS_NOATIME, 0 }, { "atime", 0, MS_NOATIME },
  { "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
  { "relatime", MS_RELATIME, MS_STRICTATIME },
  { "norelatime", 0, MS_RELATIME },
  { "strictatime", MS_STRICTATIME, MS_RELATIME },
  { "nostrictatime", 0, MS_STRICTATIME },
  { "lazytime", MS_LAZYTIME, 0 }, { "nolazytime", 0, MS_LAZYTIME },
  { "silent", MS_SILENT, 0 }, { "loud", 0, MS_SILENT },
  { NULL, 0, 0 }
};

/* Options only mount(8) and fstab care about: accepted and ignored, so
 * that an option string from a guest's fstab can be used as is. */
static const char *const ignored_opts[] = {
  "defaults", "auto", "noauto", "nofail", "_netdev", "user", "nouser",
  "users", "owner", "group", NULL
};

/* Operations this call does not do (they are not mounting a device). */
static const char *const refused_opts[] = {
  "remount", "bind", "rbind", "move", "loop", "shared", "rshared",
  "private", "rprivate", "slave", "rslave", "unbindable", "runbindable",
  NULL
};

static int
in_list (const char *const *list, const char *s, size_t n)
{
  for (size_t i = 0; list[i]; i++)
    if (strlen (list[i]) == n && strncmp (list[i], s, n) == 0) return 1;
  return 0;
}

/* Split OPTIONS into mount flags and the filesystem's data string
 * (*DATA_R malloc'd, NULL if empty).  Flags start as nodev,nosuid: a
 * device node in a guest image must not reach the appliance's devices
 * (another attached disk, /dev/zero, /dev/kmsg ...) and no guest binary
 * gets setuid powers; "dev" and "suid" lift them explicitly. */
static int
parse_options (const char *options, unsigned long *flags_r, char **data_r)
{
  *flags_r = 0;
  *data_r = NULL;
  size_t len = strlen (options);
  if (len > OPTIONS_MAX)
    return gk_int_err (EINVAL, "%.64s...: options string too long", options);
  char *data = malloc (len + 1);
  if (!data) return gk_int_err (ENOMEM, "out of memory");
  size_t dn = 0;
  unsigned long flags = MS_NODEV | MS_NOSUID;

  for (const char *p = options; *p;) {
    size_t n = strcspn (p, ",");
    const char *next = p[n] ? p + n + 1 : p + n;
    if (n == 0) { p = next; continue; }
    const struct flagopt *fo = NULL;
    for (size_t i = 0; flagopts[i].name; i++)
      if (strlen (flagopts[i].name) == n
          && strncmp (flagopts[i].name, p, n) == 0)
        fo = &flagopts[i];
    if (fo) {
      flags = (flags & ~fo->clear) | fo->set;
    }
    else if (in_list (refused_opts, p, n)
             || (n > 5 && strncmp (p, "loop=", 5) == 0)) {
      free (data);
      return gk_int_err (EINVAL, "%.*s: mount option not supported by this "
                         "call", (int) n, p);
    }
    else if (in_list (ignored_opts, p, n) || (n > 2 && strncmp (p, "x-", 2)
                                               == 0)
             || (n > 8 && strncmp (p, "comment=", 8) == 0)) {
      /* mount(8) only */
    }
    else {
      if (dn > 0) data[dn++] = ',';
      memcpy (data + dn, p, n);
      dn += n;
    }
    p = next;
  }
  data[dn] = '\0';
  if (dn == 0) {
    free (data);
    data = NULL;
  }
  *flags_r = flags;
  *data_r = data;
  return 0;
}

/* blkid types that are not mountable filesystems. */
static int
is_not_fs (const char *type)
{
  size_t n = strlen (type);
  return strcmp (type, "swap") == 0
    || strncmp (type, "crypto_", 7) == 0
    || (n > 7 && strcmp (type + n - 7, "_member") == 0);
}

/* Where blkid's name is not the kernel's, or the kernel may only have
 * the newer driver. */
static const char *
fallback_type (const char *type)
{
  if (strcmp (type, "ext2") == 0 || strcmp (type, "ext3") == 0)
    return "ext4";
  if (strcmp (type, "ntfs") == 0)
    return "ntfs3";
  return NULL;
}

/* "/", "//", "/." ... */
static int
is_root_path (const char *path)
{
  for (const char *p = path; *p; p++)
    if (*p != '/' && !(*p == '.' && (p[1] == '/' || p[1] == '\0')
                       && p[-1] == '/'))
      return 0;
  return 1;
}

/* The source name of the tmpfs mkmountpoint puts at the sysroot. */
#define MOUNTPOINTS_FS "gkmountpoints"

/* What is mounted exactly at the sysroot (the latest of stacked mounts):
 * 0 nothing, 1 the tmpfs of mkmountpoint, 2 a guest filesystem; -1 on
 * error. */
static int
root_kind (void)
{
  struct mnts m;
  if (gk_int_mnts_list (&m) == -1) return -1;
  int r = 0;
  for (size_t i = 0; i < m.n; i++)
    if (strcmp (m.v[i].guest, "/") == 0)
      r = strcmp (m.v[i].source, MOUNTPOINTS_FS) == 0 ? 1 : 2;
  gk_int_mnts_free (&m);
  return r;
}

static int
root_is_mounted (void)
{
  int k = root_kind ();
  return k > 0 ? 1 : k;
}

/* The appliance directory to mount on for guest MOUNTPOINT. */
static char *
resolve_mountpoint (const char *mountpoint)
{
  if (gk_int_check_path (mountpoint) == -1) return NULL;

  char root[PATH_MAX];
  gk_int_sysroot_real (root);
  char *target;
  if (is_root_path (mountpoint)) {
    target = strdup (root);
    if (!target) {
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
    /* Normally made by the appliance's init; harmless if it exists. */
    if (mkdir (target, 0755) == -1 && errno != EEXIST) {
      gk_int_perr ("%s", target);
      free (target);
      return NULL;
    }
  }
  else {
    if (gk_int_need_root () != 1) return NULL;
    /* Symlinks in the guest are followed inside the guest tree. */
    target = gk_int_sysroot_path (mountpoint);
    if (!target) {
      gk_int_perr ("%s", mountpoint);
      return NULL;
    }
    struct stat st;
    if (stat (target, &st) == -1) {
      gk_int_perr ("%s", mountpoint);
      free (target);
      return NULL;
    }
    if (!S_ISDIR (st.st_mode)) {
      gk_int_err (ENOTDIR, "%s: not a directory", mountpoint);
      free (target);
      return NULL;
    }
  }

  /* Also catches "/boot/.." and a symlink to "/". */
  if (strcmp (target, root) == 0) {
    int r = root_is_mounted ();
    if (r != 0) {
      if (r == 1) gk_int_err (EBUSY, "/ is already mounted");
      free (target);
      return NULL;
    }
  }
  return target;
}

int
do_mount_options (const char *options, const char *mountable,
                  const char *mountpoint)
{
  unsigned long flags;
  char *data = NULL, *type = NULL, *target = NULL, *user = NULL, *bdev = NULL;
  int ret = -1;

  if (parse_options (options, &flags, &data) == -1) goto out;
  user = gk_int_mountable_to_user (mountable);
  if (!user) goto out;
  /* btrfsvol:DEV/VOL: DEV with subvol=VOL before the user's options. */
  const char *vol;
  int b = gk_int_btrfsvol_split (mountable, &bdev, &vol);
  if (b == -1) goto out;
  if (b == 1) {
    size_t n = strlen (vol) + (data ? strlen (data) : 0) + 10;
    char *d = n <= OPTIONS_MAX ? malloc (n) : NULL;
    if (!d) {
      gk_int_err (n <= OPTIONS_MAX ? ENOMEM : EINVAL, "%s: options too long", user);
      goto out;
    }
    snprintf (d, n, "subvol=%s%s%s", vol, data ? "," : "", data ? data : "");
    free (data);
    data = d;
    mountable = bdev;
  }
  type = do_vfs_type (mountable);
  if (!type) goto out;
  if (b == 1 && strcmp (type, "btrfs") != 0) {
    gk_int_err (EINVAL, "%s: holds %s, not btrfs (no subvolumes)", user,
                *type ? type : "no filesystem");
    goto out;
  }
  if (!*type) {
    gk_int_err (EINVAL, "%s: no filesystem found (cannot mount)", user);
    goto out;
  }
  if (is_not_fs (type)) {
    gk_int_err (EINVAL, "%s: holds %s, not a filesystem (cannot mount)",
                user, type);
    goto out;
  }
  target = resolve_mountpoint (mountpoint);
  if (!target) goto out;

  /* The kernel loads the driver on demand (modprobe); ENODEV means it
   * has none by that name. */
  int r = mount (mountable, target, type, flags, data);
  const char *fb = fallback_type (type);
  if (r == -1 && errno == ENODEV && fb)
    r = mount (mountable, target, fb, flags, data);
  /* No NTFS driver in the kernel: ntfs-3g (mount-ntfs.c) sets its own error. */
  if (r == -1 && errno == ENODEV && strcmp (type, "ntfs") == 0) {
    /* ntfs-3g knows nodev and nosuid; without them FUSE allows both. */
    char o[32];
    snprintf (o, sizeof o, "%s%s%s", flags & MS_RDONLY ? "ro" : "rw",
              flags & MS_NODEV ? ",nodev" : "",
              flags & MS_NOSUID ? ",nosuid" : "");
    if (gk_int_mount_ntfs3g (mountable, target, o) == 0)
      ret = 0;
    goto out;
  }
  if (r == -1) {
    int e = errno;
    switch (e) {
    case ENODEV:
      gk_int_err (ENODEV, "%s: filesystem type %s is not supported by the "
                  "appliance kernel", user, type);
      break;
    case EINVAL:
      gk_int_err (EINVAL, "%s: cannot mount %s on %s: %s (bad option or "
                  "damaged filesystem?)", user, type, mountpoint,
                  strerror (e));
      break;
    default:
      gk_int_err (e, "%s: cannot mount %s on %s: %s", user, type,
                  mountpoint, strerror (e));
      break;
    }
    goto out;
  }
  ret = 0;

 out:
  free (data);
  free (type);
  free (target);
  free (user);
  free (bdev);
  return ret;
}

int
do_mount (const char *mountable, const char *mountpoint)
{
  return do_mount_options ("", mountable, mountpoint);
}

int
do_mount_ro (const char *mountable, const char *mountpoint)
{
  return do_mount_options ("ro", mountable, mountpoint);
}

/* --- unmounting --- */

/* A guest path without ".", "..", repeated or trailing slashes
 * (check_path has made sure ".." cannot climb above the root). */
static char *
normalize (const char *path)
{
  size_t len = strlen (path);
  char *out = malloc (len + 2);
  if (!out) return NULL;
  size_t n = 0;
  for (const char *p = path; *p;) {
    while (*p == '/') p++;
    size_t c = strcspn (p, "/");
    if (c == 0 || (c == 1 && p[0] == '.')) { p += c; continue; }
    if (c == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/') n--;
      if (n > 0) n--;
    }
    else {
      out[n++] = '/';
      memcpy (out + n, p, c);
      n += c;
    }
    p += c;
  }
  if (n == 0) out[n++] = '/';
  out[n] = '\0';
  return out;
}

/* The user's drives by name; other names are guest paths. */
static int
looks_like_device (const char *s)
{
  return strncmp (s, "/dev/sd", 7) == 0 || strncmp (s, "/dev/vd", 7) == 0
    || strncmp (s, "/dev/ubd", 8) == 0 || strncmp (s, "/dev/mapper/", 12) == 0;
}

/* The last mount of appliance device DEV (name or device number), or
 * -1. */
static long
find_by_device (const struct mnts *m, const char *dev)
{
  struct stat st;
  int have_rdev = stat (dev, &st) == 0 && S_ISBLK (st.st_mode);
  for (size_t i = m->n; i-- > 0;)
    if (strcmp (m->v[i].source, dev) == 0
        || (have_rdev && m->v[i].dev == st.st_rdev))
      return (long) i;
  return -1;
}

/* The last mount at guest path PATH, or -1. */
static long
find_by_path (const struct mnts *m, const char *path)
{
  char *norm = normalize (path);
  if (!norm) return -1;
  for (size_t i = m->n; i-- > 0;)
    if (strcmp (m->v[i].guest, norm) == 0) {
      free (norm);
      return (long) i;
    }
  free (norm);

  /* A symlink to the mount point, resolved inside the guest. */
  char *real = gk_int_sysroot_path (path);
  if (!real) return -1;
  for (size_t i = m->n; i-- > 0;)
    if (strcmp (m->v[i].target, real) == 0) {
      free (real);
      return (long) i;
    }
  free (real);
  return -1;
}

/* Unmount M->v[I]; errors name it as WHAT. */
static int
umount_one (const struct mnts *m, size_t i, int flags, const char *what)
{
  if (umount2 (m->v[i].target, flags | UMOUNT_NOFOLLOW) == 0) return 0;
  if (errno == EBUSY)
    return gk_int_err (EBUSY, "%s: cannot unmount: busy (files open, or "
                       "filesystems mounted below it?)", what);
  return gk_int_perr ("%s: cannot unmount", what);
}

int
do_umount (const char *pathordevice, int force, int lazyunmount)
{
  struct mnts m;
  long i;

  if (looks_like_device (pathordevice)) {
    char *dev = gk_int_dev_from_user (pathordevice);
    if (!dev) return -1;
    if (gk_int_mnts_list (&m) == -1) { free (dev); return -1; }
    i = find_by_device (&m, dev);
    free (dev);
  }
  else {
    if (gk_int_check_path (pathordevice) == -1) return -1;
    if (gk_int_mnts_list (&m) == -1) return -1;
    i = find_by_path (&m, pathordevice);
    /* /dev/VG/LV: a device in the appliance, not a guest path. */
    if (i == -1 && strncmp (pathordevice, "/dev/", 5) == 0)
      i = find_by_device (&m, pathordevice);
  }
  if (i == -1) {
    gk_int_mnts_free (&m);
    return gk_int_err (EINVAL, "%s: not mounted", pathordevice);
  }
  int flags = (force ? MNT_FORCE : 0) | (lazyunmount ? MNT_DETACH : 0);
  int r = umount_one (&m, (size_t) i, flags, pathordevice);
  gk_int_mnts_free (&m);
  return r;
}

/* --- remount --- */

/* The per-mount flags statvfs reports, as mount(2) flags: MS_REMOUNT
 * resets every one not given, and nodev,nosuid must survive. */
static const struct { unsigned long st, ms; } keep_flags[] = {
  { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
  { ST_SYNCHRONOUS, MS_SYNCHRONOUS }, { ST_NOATIME, MS_NOATIME },
  { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
};

int
do_remount (const char *mountpoint, int rw)
{
  if (!(gk_int_optargs_bitmask & GK_REMOUNT_RW))
    return gk_int_err (EINVAL, "%s: give rw:true or rw:false", mountpoint);
  if (gk_int_check_path (mountpoint) == -1) return -1;
  struct mnts m;
  if (gk_int_mnts_list (&m) == -1) return -1;
  long i = find_by_path (&m, mountpoint);
  if (i == -1) {
    gk_int_mnts_free (&m);
    return gk_int_err (EINVAL, "%s: not mounted", mountpoint);
  }
  const char *target = m.v[i].target;
  struct statvfs sv;
  int r = -1;
  if (statvfs (target, &sv) == -1)
    gk_int_perr ("%s", mountpoint);
  else {
    unsigned long flags = MS_REMOUNT | (rw ? 0 : MS_RDONLY);
    for (size_t k = 0; k < sizeof keep_flags / sizeof keep_flags[0]; k++)
      if (sv.f_flag & keep_flags[k].st) flags |= keep_flags[k].ms;
    r = mount (NULL, target, NULL, flags, NULL);
    if (r == -1)
      gk_int_perr ("%s: cannot remount %s", mountpoint, rw ? "read-write" : "read-only");
  }
  gk_int_mnts_free (&m);
  return r;
}

/* 1 if mount I has a child among those not yet unmounted. */
static int
has_child (const struct mnts *m, const char *done, size_t i)
{
  for (size_t k = 0; k < m->n; k++)
    if (!done[k] && k != i && m->v[k].parent == m->v[i].id) return 1;
  return 0;
}

int
do_umount_all (void)
{
  /* Unmounting writes everything back anyway, but an error then is
   * easier to understand after a sync that did most of the work. */
  sync ();
  struct mnts m;
  if (gk_int_mnts_list (&m) == -1) return -1;

  /* Children before their parents, i.e. deepest first.  The tree comes
   * from the mount ids, not from the paths: a filesystem mounted on /a/b
   * and then hidden by another mounted on /a must go after /a, when its
   * path leads to it again.  Among the candidates the latest goes first,
   * so mounts stacked on one directory come off in reverse order. */
  char *done = calloc (m.n ? m.n : 1, 1);
  if (!done) {
    gk_int_mnts_free (&m);
    return gk_int_err (ENOMEM, "out of memory");
  }
  int r = 0;
  for (size_t left = m.n; left > 0 && r == 0; left--) {
    size_t pick = m.n;
    for (size_t i = m.n; i-- > 0;)
      if (!done[i] && !has_child (&m, done, i)) { pick = i; break; }
    if (pick == m.n) break;     /* a cycle: cannot happen */
    r = umount_one (&m, pick, 0, m.v[pick].guest);
    done[pick] = 1;
  }
  free (done);
  gk_int_mnts_free (&m);
  return r;
}

/* --- mkmountpoint, rmmountpoint --- */

/* Mount points for filesystems side by side, with none of them at /
 * (say an ISO at /cd and its squashfs at /squash): before the first
 * mount, a small tmpfs becomes the guest root to hold the directories.
 * It is not listed by mounts; umount-all removes it. */
int
do_mkmountpoint (const char *exemptpath)
{
  if (exemptpath[0] != '/' || is_root_path (exemptpath))
    return gk_int_err (EINVAL, "%s: not an absolute path below /", exemptpath);
  int k = root_kind ();
  if (k == -1) return -1;
  if (k == 2)
    return gk_int_err (EBUSY, "%s: a filesystem is mounted at /: mount "
                       "points are made before the first mount (use mkdir)",
                       exemptpath);
  if (k == 0) {
    char root[PATH_MAX];
    gk_int_sysroot_real (root);
    if (mount (MOUNTPOINTS_FS, root, "tmpfs", MS_NOSUID | MS_NODEV,
               "size=1m,mode=0755") == -1)
      return gk_int_perr ("%s: mounting a tmpfs for mount points", root);
  }
  char *base;
  int dfd = gk_int_open_parent (exemptpath, &base);
  if (dfd == -1) return gk_int_perr ("%s", exemptpath);
  int r = mkdirat (dfd, base, 0755);
  return gk_int_parent_done (dfd, base, r, exemptpath);
}

int
do_rmmountpoint (const char *exemptpath)
{
  int k = root_kind ();
  if (k == -1) return -1;
  if (k != 1)
    return gk_int_err (EINVAL, "%s: not made by mkmountpoint (/ is %s)",
                       exemptpath, k ? "a guest filesystem" : "not mounted");
  char *base;
  int dfd = gk_int_open_parent (exemptpath, &base);
  if (dfd == -1) return gk_int_perr ("%s", exemptpath);
  int r = unlinkat (dfd, base, AT_REMOVEDIR);
  return gk_int_parent_done (dfd, base, r, exemptpath);
}

/* --- listing --- */

static char **
list_mounted (int with_paths)
{
  struct mnts m;
  if (gk_int_mnts_list (&m) == -1) return NULL;
  char **list = calloc (2 * m.n + 1, sizeof *list);
  if (!list) goto oom;
  size_t n = 0;
  for (size_t i = 0; i < m.n; i++) {
    if (!gk_int_mnt_is_dev (&m.v[i])) continue;
    list[n] = gk_int_mountable_to_user (m.v[i].source);
    if (!list[n++]) goto fail;
    if (with_paths) {
      list[n] = strdup (m.v[i].guest);
      if (!list[n++]) goto oom;
    }
  }
  gk_int_mnts_free (&m);
  return list;

 oom:
  gk_int_err (ENOMEM, "out of memory");
 fail:
  gk_int_free_strings (list);
  gk_int_mnts_free (&m);
  return NULL;
}

char **
do_mounts (void)
{
  return list_mounted (0);
}

char **
do_mountpoints (void)
{
  return list_mounted (1);
}

/* --- sync --- */

int
do_sync (void)
{
  sync ();

  /* sync() writes the data out; only a flush of each disk makes the
   * virtual disk's write cache reach the host image.  fsync of a block
   * device sends that flush. */
  char **disks = gk_int_list_disks ();
  if (!disks) return -1;
  int r = 0;
  for (size_t i = 0; disks[i] && r == 0; i++) {
    int fd = open (disks[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1 || fsync (fd) == -1) {
      int e = errno;
      char *u = gk_int_mountable_to_user (disks[i]);
      gk_int_err (e, "%s: %s: %s", u ? u : disks[i],
                  fd == -1 ? "open" : "fsync", strerror (e));
      free (u);
      r = -1;
    }
    if (fd >= 0) close (fd);
  }
  gk_int_free_strings (disks);
  return r;
}
