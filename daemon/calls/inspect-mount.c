/* guestkitd: private read-only mounts and bounded reads for inspection.
 *
 * Inspection mounts on its own directory under /run (a tmpfs of the
 * appliance), never in the user's sysroot, so the user's mounts and the
 * "mounts" call see nothing of it.  Mount flags ro, noexec, nosuid,
 * nodev; journals are not replayed (ext3/4 noload, xfs norecovery,
 * btrfs nologreplay), so a dirty filesystem is read as it is and not a
 * byte of the disk changes.  NTFS goes through ntfs-3g (mount-ntfs.c).  A
 * device the user has mounted already cannot be mounted again read-only
 * (the kernel refuses to change its read-only state: EBUSY); then its
 * existing mount is read instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>
#include "daemon.h"
#include "devtool.h"
#include "inspect.h"
#include "mount-ntfs.h"

#define INSP_DIR "/run/gk-inspect"
#define MOUNTINFO_LINE_MAX 8192

static unsigned counter;

/* Mount options that turn off journal replay, by blkid type; the ext
 * family goes through the ext4 driver, which reads ext2 and ext3 too. */
static void
options_for (const char *type, const char **fstype, const char **data)
{
  *fstype = type;
  *data = NULL;
  if (strcmp (type, "ext2") == 0 || strcmp (type, "ext3") == 0
      || strcmp (type, "ext4") == 0) {
    *fstype = "ext4";
    *data = "noload";
  }
  else if (strcmp (type, "xfs") == 0)
    *data = "norecovery";
  else if (strcmp (type, "btrfs") == 0)
    *data = "rescue=nologreplay";
}

/* Where DEV (device number RDEV) is mounted already, from mountinfo:
 * the shortest mount point whose root in the filesystem is WANT ("/":
 * all of it; "/VOL" a btrfs subvolume).  FUSE mounts (ntfs-3g) have an
 * anonymous device number, but DEV as source. */
static int
find_mounted (const char *dev, dev_t rdev, const char *want, char *dir, size_t dlen)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (!f) return -1;
  char line[MOUNTINFO_LINE_MAX];
  int found = -1;
  while (fgets (line, sizeof line, f)) {
    unsigned maj, min;
    char root[4096], mp[4096];
    /* id parent maj:min root mountpoint ...; only mounts of the
     * directory WANT show what we look for. */
    if (sscanf (line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mp) != 4
        || mp[0] != '/')
      continue;
    char source[4096] = "";
    const char *sep = strstr (line, " - ");
    if (sep) sscanf (sep + 3, "%*s %4095s", source);
    if ((makedev (maj, min) != rdev && strcmp (source, dev) != 0)
        || strcmp (root, want) != 0 || strchr (mp, '\\'))
      continue;
    if (found == -1 || strlen (mp) < strlen (dir)) {
      snprintf (dir, dlen, "%s", mp);
      found = 0;
    }
  }
  fclose (f);
  return found;
}

/* btrfsvol:DEV/VOL: *DEV_R (malloc'd) and the mount data with
 * subvol=VOL in BUF; *WANT "/VOL" for find_mounted. */
static int
subvol_options (const char *name, const char **data, char **dev_r,
                char *buf, size_t blen, char *want, size_t wlen)
{
  const char *vol;
  int b = gk_int_btrfsvol_split (name, dev_r, &vol);
  if (b != 1) return b;
  snprintf (want, wlen, "/%s", vol);
  if ((size_t) snprintf (buf, blen, "subvol=%s%s%s", vol, *data ? "," : "",
                         *data ? *data : "") >= blen) {
    free (*dev_r);
    return gk_int_err (EINVAL, "%.200s: subvolume name too long", name);
  }
  *data = buf;
  return 1;
}

/* gk_int_insp_mount of device DEV (NAME, as the user's errors name it). */
static int
insp_mount (const char *name, const char *dev, const char *type,
            const char *fstype, const char *data, const char *want,
            struct gk_insp_mnt *m)
{
  if (mkdir (INSP_DIR, 0700) == -1 && errno != EEXIST)
    return gk_int_perr ("%s", INSP_DIR);
  snprintf (m->dir, sizeof m->dir, "%s/%u", INSP_DIR, counter++);
  if (mkdir (m->dir, 0700) == -1 && errno != EEXIST)
    return gk_int_perr ("%s", m->dir);

  unsigned long flags = MS_RDONLY | MS_NOEXEC | MS_NOSUID | MS_NODEV | MS_SILENT;
  int r, e;
  if (strcmp (type, "ntfs") == 0) {
    /* Read-only: ntfs-3g neither writes nor resets the journal.  It
     * refuses a device that is mounted already (as EBUSY would). */
    r = gk_int_mount_ntfs3g (dev, m->dir, "ro,noexec,nosuid,nodev");
    e = EBUSY;
  }
  else {
    r = mount (dev, m->dir, fstype, flags, data);
    e = errno;
  }
  if (r == 0)
    m->ours = 1;
  else {
    struct stat st;
    rmdir (m->dir);
    if (e == EBUSY && stat (dev, &st) == 0
        && find_mounted (dev, st.st_rdev, want, m->dir, sizeof m->dir) == 0) {
      gk_int_err_clear ();
      gk_int_log ("inspect: %s is mounted on %s already; reading it there",
                  name, m->dir);
    }
    else if (strcmp (type, "ntfs") == 0)
      return -1;                /* ntfs-3g's error */
    else
      return gk_int_dev_err (e, name, "cannot mount %s read-only for "
                             "inspection: %s", type, strerror (e));
  }
  m->rootfd = open (m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (m->rootfd == -1) {
    int e = errno;
    gk_int_insp_umount (m);
    return gk_int_dev_err (e, name, "%s: %s", m->dir, strerror (e));
  }
  return 0;
}

int
gk_int_insp_mount (const char *name, const char *type, struct gk_insp_mnt *m)
{
  const char *fstype, *data;
  options_for (type, &fstype, &data);
  m->ours = 0;
  m->rootfd = -1;
  char *bdev = NULL, want[4200] = "/", buf[4200];
  int b = subvol_options (name, &data, &bdev, buf, sizeof buf, want, sizeof want);
  if (b == -1) return -1;
  const char *dev = b == 1 ? bdev : name;
  int r = insp_mount (name, dev, type, fstype, data, want, m);
  free (bdev);
  return r;
}

void
gk_int_insp_umount (struct gk_insp_mnt *m)
{
  if (m->rootfd >= 0) close (m->rootfd);
  m->rootfd = -1;
  if (!m->ours) return;
  /* Read-only: nothing to write back, so a lazy unmount cannot lose
   * anything if something still holds it. */
  if (umount2 (m->dir, 0) == -1 && umount2 (m->dir, MNT_DETACH) == -1)
    gk_int_log ("inspect: umount %s: %s", m->dir, strerror (errno));
  rmdir (m->dir);
  m->ours = 0;
}

const char *
gk_int_insp_device_for (const struct gk_insp_root *r, const char *path, const char **rel)
{
  const char *dev = r->dev;
  size_t best = 1;
  *rel = path;
  for (size_t i = 0; r->mounts[i] && r->mounts[i + 1]; i += 2) {
    size_t n = strlen (r->mounts[i]);
    if (n > best && strncmp (path, r->mounts[i], n) == 0
        && (path[n] == '/' || path[n] == '\0')) {
      best = n;
      dev = r->mounts[i + 1];
      *rel = path[n] ? path + n : "/";
    }
  }
  return dev;
}

int
gk_int_insp_open (int rootfd, const char *path, int flags)
{
  struct open_how how;
  memset (&how, 0, sizeof how);
  while (*path == '/') path++;
  how.flags = (uint64_t) (flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int i = 0; i < 100; i++) {
    long fd = syscall (SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return (int) fd;
  }
  return -1;
}

int
gk_int_insp_is (int rootfd, const char *path, int want_dir)
{
  int fd = gk_int_insp_open (rootfd, path, O_PATH);
  if (fd == -1) return 0;
  struct stat st;
  int r = fstat (fd, &st) == 0
    && (want_dir ? S_ISDIR (st.st_mode) : S_ISREG (st.st_mode));
  close (fd);
  return r;
}

char *
gk_int_insp_read (int rootfd, const char *path, size_t max, size_t *len_r)
{
  /* O_NONBLOCK: a FIFO planted by the guest must not hang the open. */
  int fd = gk_int_insp_open (rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd == -1) return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat (fd, &st) == -1 || !S_ISREG (st.st_mode)) goto out;
  buf = malloc (max + 1);
  if (!buf) goto out;
  size_t len = 0;
  while (len < max) {
    ssize_t r = read (fd, buf + len, max - len);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) {
      gk_int_log ("inspect: %s: %s", path, strerror (errno));
      free (buf);
      buf = NULL;
      goto out;
    }
    if (r == 0) break;
    len += (size_t) r;
  }
  buf[len] = '\0';
  *len_r = len;
 out:
  close (fd);
  return buf;
}

/* Windows names are case-insensitive: each component is looked up with
 * readdir and strcasecmp, at most CI_ENTRIES entries per directory (a
 * guest with millions of files in a directory must not make inspection
 * crawl). */
#define CI_ENTRIES 100000

int
gk_int_insp_ci_openat (int dirfd, const char *name, int flags, char *found)
{
  int dfd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd == -1) return -1;
  DIR *d = fdopendir (dfd);
  if (!d) { close (dfd); return -1; }
  int fd = -1;
  struct dirent *e;
  for (size_t n = 0; n < CI_ENTRIES && (e = readdir (d)); n++)
    if (strcasecmp (e->d_name, name) == 0) {
      fd = openat (dirfd, e->d_name, flags | O_NOFOLLOW | O_CLOEXEC);
      if (found) snprintf (found, 256, "%s", e->d_name);
      break;
    }
  closedir (d);
  return fd;
}

int
gk_int_insp_ci_open (int rootfd, const char *path, int flags)
{
  char buf[512];
  if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = dup (rootfd);
  /* ROOTFD may be O_PATH: openat (".") of it still works for readdir. */
  char *save;
  for (char *c = strtok_r (buf, "/", &save); c && fd >= 0;) {
    char *next = strtok_r (NULL, "/", &save);
    int nfd = gk_int_insp_ci_openat (fd, c, next ? O_RDONLY | O_DIRECTORY : flags, NULL);
    close (fd);
    fd = nfd;
    c = next;
  }
  return fd;
}
