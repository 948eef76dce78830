/* guestkitd: a Linux root's machine id, installed kernels and boot
 * loader (inspect-get-machine-id, -kernels, -bootloader).
 *
 * Read during inspect-os, while the root is mounted: /etc/machine-id
 * from the root; /boot, /boot/efi and /efi from the filesystems the
 * guest's fstab mounts there when they are not the root's (Fedora keeps
 * /boot on its own partition), each mounted read-only for the scan.
 * Only names are read under /boot: a kernel is a regular file
 * vmlinuz-VERSION (a symbolic link there is not followed, whatever it
 * points at); every open is confined to its filesystem (RESOLVE_IN_ROOT)
 * and directory scans are bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "grow.h"
#include "inspect.h"

#define MAX_KERNELS 64
#define MAX_DIR_ENTRIES 10000   /* looked at per directory */
#define MAX_EFI_DIRS 32

/* The root and the filesystems mounted for /boot, /boot/efi, /efi. */
struct view {
  const struct gk_insp_root *r;
  int rootfd;
  size_t n;
  const char *mp[3];
  struct gk_insp_mnt m[3];
};

/* Mount the filesystem fstab puts at MP, if it is not the root's. */
static void
view_add (struct view *v, const char *mp)
{
  const char *rel;
  const char *dev = gk_int_insp_device_for (v->r, mp, &rel);
  if (strcmp (dev, v->r->dev) == 0 || strcmp (rel, "/") != 0 || v->n >= 3)
    return;
  char *type = do_vfs_type (dev);
  if (type && gk_int_insp_mount (dev, type, &v->m[v->n]) == 0)
    v->mp[v->n++] = mp;
  else {
    gk_int_log ("inspect: %s: not read: %s", mp, gk_int_err_msg ());
    gk_int_err_clear ();
  }
  free (type);
}

/* The filesystem holding guest PATH (its root's descriptor), and *REL
 * the path in it. */
static int
view_find (const struct view *v, const char *path, const char **rel)
{
  int fd = v->rootfd;
  size_t best = 0;
  for (size_t i = 0; i < v->n; i++) {
    size_t k = strlen (v->mp[i]);
    if (k > best && strncmp (path, v->mp[i], k) == 0
        && (path[k] == '/' || path[k] == '\0')) {
      best = k;
      fd = v->m[i].rootfd;
    }
  }
  *rel = path + best;
  return fd;
}

/* Open guest PATH in the filesystem that holds it; -1 with errno. */
static int
view_open (const struct view *v, const char *path, int flags)
{
  const char *rel;
  int fd = view_find (v, path, &rel);
  return gk_int_insp_open (fd, rel, flags);
}

/* 1 if PATH is a directory (WANT_DIR) or a regular file. */
static int
view_is (const struct view *v, const char *path, int want_dir)
{
  const char *rel;
  int fd = view_find (v, path, &rel);
  return gk_int_insp_is (fd, rel, want_dir);
}

/* A kernel version as distributions spell it: 6.5.6-300.fc39.x86_64. */
static int
version_ok (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "0123456789._+~-", s[i]))
      return 0;
  return 1;
}

struct list { char **v; size_t n, cap; };

static int
list_add (struct list *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i], s) == 0) return 0;
  if (gk_int_grow ((void **) &l->v, &l->cap, l->n + 2, sizeof *l->v, 8) == -1
      || !(l->v[l->n] = strdup (s)))
    return gk_int_err (ENOMEM, "out of memory");
  l->v[++l->n] = NULL;
  return 0;
}

/* The VERSION of each entry PREFIX + VERSION of directory DIR that is a
 * directory (WANT_DIR) or a regular file, never following a link. */
static int
add_versions (const struct view *v, const char *dir, const char *prefix,
              int want_dir, struct list *l)
{
  int fd = view_open (v, dir, O_RDONLY | O_DIRECTORY);
  if (fd == -1) return 0;
  DIR *d = fdopendir (fd);
  if (!d) { close (fd); return 0; }
  size_t pl = strlen (prefix);
  struct dirent *e;
  int r = 0;
  for (size_t k = 0; r == 0 && k < MAX_DIR_ENTRIES && l->n < MAX_KERNELS
         && (e = readdir (d)); k++) {
    struct stat st;
    if (strncmp (e->d_name, prefix, pl) != 0 || !version_ok (e->d_name + pl)
        || fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1
        || !(want_dir ? S_ISDIR (st.st_mode) : S_ISREG (st.st_mode)))
      continue;
    r = list_add (l, e->d_name + pl);
  }
  closedir (d);
  return r;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* "grub2" or "systemd-boot" from the directories of /boot/efi/EFI (or
 * /efi/EFI): DIR/grub.cfg is GRUB 2's, EFI/systemd systemd-boot's; vfat
 * looks names up without regard to case. */
static const char *
efi_loader (const struct view *v, const char *esp)
{
  char p[300];
  snprintf (p, sizeof p, "%s/EFI/systemd", esp);
  if (view_is (v, p, 1)) return "systemd-boot";
  snprintf (p, sizeof p, "%s/EFI", esp);
  int fd = view_open (v, p, O_RDONLY | O_DIRECTORY);
  if (fd == -1) return NULL;
  DIR *d = fdopendir (fd);
  if (!d) { close (fd); return NULL; }
  const char *found = NULL;
  struct dirent *e;
  for (size_t k = 0; !found && k < MAX_EFI_DIRS && (e = readdir (d)); k++) {
    if (e->d_name[0] == '.' || strlen (e->d_name) > 64) continue;
    snprintf (p, sizeof p, "%s/EFI/%s/grub.cfg", esp, e->d_name);
    if (view_is (v, p, 0)) found = "grub2";
  }
  closedir (d);
  return found;
}

static const char *
bootloader (const struct view *v)
{
  if (view_is (v, "/boot/grub2/grub.cfg", 0) || view_is (v, "/boot/grub/grub.cfg", 0))
    return "grub2";
  if (view_is (v, "/boot/loader/loader.conf", 0)
      || view_is (v, "/boot/efi/loader/loader.conf", 0)
      || view_is (v, "/efi/loader/loader.conf", 0))
    return "systemd-boot";
  const char *l = efi_loader (v, "/boot/efi");
  if (!l) l = efi_loader (v, "/efi");
  if (l) return l;
  if (view_is (v, "/boot/loader/entries", 1)) return "systemd-boot";
  if (view_is (v, "/boot/grub/menu.lst", 0) || view_is (v, "/boot/grub/grub.conf", 0))
    return "grub";
  if (view_is (v, "/boot/extlinux/extlinux.conf", 0)
      || view_is (v, "/boot/extlinux.conf", 0))
    return "extlinux";
  if (view_is (v, "/boot/syslinux/syslinux.cfg", 0)
      || view_is (v, "/syslinux.cfg", 0))
    return "syslinux";
  return "unknown";
}

/* /etc/machine-id: 32 hexadecimal digits (lower case: as systemd writes
 * it), a newline at most; anything else (systemd's "uninitialized", an
 * empty file, all zeros) is not an id. */
static void
machine_id (int rootfd, char id[33])
{
  size_t len;
  char *s = gk_int_insp_read (rootfd, "/etc/machine-id", 64, &len);
  snprintf (id, 33, "unknown");
  if (!s) return;
  if (len == 33 && s[32] == '\n') len = 32;
  if (len == 32 && strspn (s, "0123456789abcdef") == 32
      && strspn (s, "0") != 32) {
    memcpy (id, s, 32);
    id[32] = '\0';
  }
  free (s);
}

int
gk_int_insp_boot (int rootfd, struct gk_insp_root *r)
{
  machine_id (rootfd, r->machine_id);
  struct view v = { .r = r, .rootfd = rootfd, .n = 0 };
  view_add (&v, "/boot");
  view_add (&v, "/boot/efi");
  view_add (&v, "/efi");
  struct list l = { NULL, 0, 0 };
  int ret = add_versions (&v, "/boot", "vmlinuz-", 0, &l) == 0
    && add_versions (&v, "/lib/modules", "", 1, &l) == 0 ? 0 : -1;
  if (ret == 0 && !l.v && !(l.v = calloc (1, sizeof *l.v)))
    ret = gk_int_err (ENOMEM, "out of memory");
  if (ret == 0) {
    qsort (l.v, l.n, sizeof *l.v, cmp_str);
    r->kernels = l.v;
    snprintf (r->bootloader, sizeof r->bootloader, "%s", bootloader (&v));
  }
  else
    gk_int_free_strings (l.v);
  for (size_t i = 0; i < v.n; i++) gk_int_insp_umount (&v.m[i]);
  return ret;
}
