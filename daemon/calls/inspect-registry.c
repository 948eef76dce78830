/* guestkitd: the Windows registry of an inspected root, with libhivex.
 *
 * The hives are files of the guest (System32/config/SOFTWARE and SYSTEM,
 * found without regard to case), so they are hostile data: each is
 * opened without following links, must be a regular file of at most
 * HIVE_MAX bytes, and is handed to libhivex (Debian's libhivex, linked
 * statically like the rest of the daemon) through /proc/self/fd, which
 * is exactly the inode checked.  libhivex checks the structure of what
 * it reads (a corrupt hive fails hivex_open, or the single lookup, with
 * an errno) and maps the file read-only.  It converts names and
 * strings with iconv, whose Latin-1 and UTF-16 modules glibc loads at
 * run time even in this static binary (appliance/files.list has them).  Around it: only fixed key
 * paths are walked (no recursion), a key with more than MAX_KEYS
 * subkeys or a value over VALUE_MAX bytes is refused, and listing the
 * applications stops with an error after TIME_MAX seconds.
 *
 * What is read, as libguestfs reads it (so the answers agree):
 *   SOFTWARE \Microsoft\Windows NT\CurrentVersion: ProductName,
 *     InstallationType (the variant), CurrentMajorVersionNumber and
 *     CurrentMinorVersionNumber (else CurrentVersion "6.1"),
 *     CurrentBuildNumber (the build id: Windows 11 reports major 10 and
 *     is told from 10 by build >= 22000).
 *   SYSTEM \Select Current -> ControlSet00N; its
 *     Services\Tcpip\Parameters Hostname; \MountedDevices
 *     "\DosDevices\X:" -> an MBR disk signature and partition offset, or
 *     "DMIO:ID:" and a GPT partition GUID.
 *   SOFTWARE [\WOW6432Node]\Microsoft\Windows\CurrentVersion\Uninstall:
 *     one application per subkey that has a DisplayName (DisplayName,
 *     DisplayVersion).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <hivex.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"
#include "structs.h"
#include "inspect.h"

/* Real SOFTWARE hives reach a few hundred MiB; hivex maps the file. */
#define HIVE_MAX (1024ull << 20)
#define VALUE_MAX (64 * 1024)
#define MAX_KEYS 100000
#define TIME_MAX 60
/* The reply must fit in one message (GK_MSG_MAX, 4 MiB). */
#define REPLY_MAX (3u << 20)

/* libhivex on the file open as FD (it reopens /proc/self/fd/FD). */
static hive_h *
hivex_at_fd (int fd)
{
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  errno = 0;
  return hivex_open (proc, 0);
}

/* Open hive NAME (SOFTWARE, SYSTEM) of the root whose system root is
 * SYSROOT; NULL with the error set, naming the hive. */
static hive_h *
open_hive (int rootfd, const char *sysroot, const char *name)
{
  char path[512];
  snprintf (path, sizeof path, "%s/System32/config/%s", sysroot + 1, name);
  int fd = gk_int_insp_ci_open (rootfd, path, O_RDONLY | O_NONBLOCK);
  if (fd == -1) {
    gk_int_perr ("%s/System32/config/%s", sysroot, name);
    return NULL;
  }
  struct stat st;
  hive_h *h = NULL;
  if (fstat (fd, &st) == -1)
    gk_int_perr ("%s/System32/config/%s", sysroot, name);
  else if (!S_ISREG (st.st_mode))
    gk_int_err (EINVAL, "%s/System32/config/%s: not a regular file", sysroot, name);
  else if ((unsigned long long) st.st_size > HIVE_MAX)
    gk_int_err (EFBIG, "%s/System32/config/%s: %lld bytes, more than the "
                "%llu MiB a hive is allowed", sysroot, name,
                (long long) st.st_size, HIVE_MAX >> 20);
  else if (!(h = hivex_at_fd (fd)))
    gk_int_err (errno ? errno : EINVAL, "%s/System32/config/%s: not a "
                "readable registry hive (libhivex: %s)", sysroot, name,
                strerror (errno ? errno : EINVAL));
  close (fd);
  return h;
}

/* The node at PATH ("A\\B\\C", names without regard to case) below the
 * root; 0 if absent (errno 0) or unreadable (errno set by libhivex). */
static hive_node_h
get_node (hive_h *h, const char *path)
{
  char buf[256];
  snprintf (buf, sizeof buf, "%s", path);
  errno = 0;
  hive_node_h n = hivex_root (h);
  char *save;
  for (char *c = strtok_r (buf, "\\", &save); c && n;
       c = strtok_r (NULL, "\\", &save))
    n = hivex_node_get_child (h, n, c);
  return n;
}

/* Value KEY of NODE as a UTF-8 string (REG_SZ, REG_EXPAND_SZ), malloc'd;
 * NULL if absent, of another type or longer than VALUE_MAX. */
static char *
get_string (hive_h *h, hive_node_h node, const char *key)
{
  hive_value_h v = node ? hivex_node_get_value (h, node, key) : 0;
  hive_type t;
  size_t len;
  if (!v || hivex_value_type (h, v, &t, &len) == -1 || len > VALUE_MAX
      || (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
    return NULL;
  return hivex_value_string (h, v);
}

/* Value KEY of NODE as a DWORD into *OUT; -1 if absent or not one. */
static int
get_dword (hive_h *h, hive_node_h node, const char *key, int32_t *out)
{
  hive_value_h v = node ? hivex_node_get_value (h, node, key) : 0;
  hive_type t;
  size_t len;
  if (!v || hivex_value_type (h, v, &t, &len) == -1
      || (t != hive_t_REG_DWORD && t != hive_t_REG_DWORD_BIG_ENDIAN))
    return -1;
  errno = 0;
  *out = hivex_value_dword (h, v);
  return errno ? -1 : 0;
}

static void
copy_str (char *dst, size_t size, const char *src)
{
  if (src && *src) snprintf (dst, size, "%s", src);
}

static void
read_software (hive_h *h, struct gk_insp_root *r)
{
  hive_node_h cv = get_node (h, "Microsoft\\Windows NT\\CurrentVersion");
  if (!cv) return;
  char *s = get_string (h, cv, "ProductName");
  copy_str (r->product, sizeof r->product, s);
  free (s);
  s = get_string (h, cv, "InstallationType");
  copy_str (r->variant, sizeof r->variant, s);
  free (s);
  s = get_string (h, cv, "CurrentBuildNumber");
  /* A build number is digits; anything else is not reported. */
  if (s && *s && strspn (s, "0123456789") == strlen (s) && strlen (s) < 16)
    copy_str (r->build, sizeof r->build, s);
  free (s);
  int32_t maj, min;
  if (get_dword (h, cv, "CurrentMajorVersionNumber", &maj) == 0
      && get_dword (h, cv, "CurrentMinorVersionNumber", &min) == 0
      && maj >= 0 && min >= 0) {
    r->major = maj;
    r->minor = min;
  }
  else if ((s = get_string (h, cv, "CurrentVersion"))) {
    int a, b;
    if (sscanf (s, "%9d.%9d", &a, &b) == 2 && a >= 0 && b >= 0) {
      r->major = a;
      r->minor = b;
    }
    free (s);
  }
}

/* The device (appliance name, malloc'd) that a MountedDevices value
 * BLOB of LEN bytes names, or NULL: 12 bytes are an MBR disk signature
 * and the partition's byte offset; "DMIO:ID:" and 16 bytes, a GPT
 * partition GUID. */
static char *
map_blob (const unsigned char *blob, size_t len, char **disks)
{
  int gpt = len >= 24 && memcmp (blob, "DMIO:ID:", 8) == 0;
  if (!gpt && len != 12) return NULL;
  char guid[40] = "";
  uint64_t off = 0;
  if (gpt) {
    const unsigned char *g = blob + 8;
    snprintf (guid, sizeof guid, "%02X%02X%02X%02X-%02X%02X-%02X%02X-"
              "%02X%02X-%02X%02X%02X%02X%02X%02X", g[3], g[2], g[1], g[0],
              g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13],
              g[14], g[15]);
  }
  else
    for (int i = 7; i >= 0; i--) off = off << 8 | blob[4 + i];
  for (size_t i = 0; disks[i]; i++) {
    char *type = do_part_get_parttype (disks[i]);
    if (!type) { gk_int_err_clear (); continue; }
    int is_gpt = strcmp (type, "gpt") == 0;
    free (type);
    if (is_gpt != gpt) continue;
    if (!gpt) {
      unsigned char sig[4];
      int fd = open (disks[i], O_RDONLY | O_CLOEXEC);
      ssize_t n = fd >= 0 ? pread (fd, sig, 4, 0x1b8) : -1;
      if (fd >= 0) close (fd);
      if (n != 4 || memcmp (sig, blob, 4) != 0) continue;
    }
    struct gk_partition_list *pl = do_part_list (disks[i]);
    if (!pl) { gk_int_err_clear (); continue; }
    char *dev = NULL;
    for (size_t k = 0; k < pl->len && !dev; k++) {
      int hit = 0;
      if (gpt) {
        char *g = do_part_get_gpt_guid (disks[i], (int) pl->val[k].part_num);
        if (g) hit = strcasecmp (g, guid) == 0;
        else gk_int_err_clear ();
        free (g);
      }
      else
        hit = (uint64_t) pl->val[k].part_start == off;
      if (hit && asprintf (&dev, "%s%s%" PRId64, disks[i],
                           /* /dev/nvme0n1p1, /dev/loop0p1 */
                           strchr ("0123456789", disks[i][strlen (disks[i]) - 1])
                           ? "p" : "", pl->val[k].part_num) == -1)
        dev = NULL;
    }
    gk_free_partition_list (pl);
    if (dev) return dev;
  }
  return NULL;
}

/* \MountedDevices: pairs drive letter, device into R->drives. */
static int
read_drives (hive_h *h, struct gk_insp_root *r)
{
  hive_node_h md = get_node (h, "MountedDevices");
  size_t nv = md ? hivex_node_nr_values (h, md) : 0;
  if (!nv) return 0;
  if (nv > MAX_KEYS)
    return gk_int_err (EFBIG, "SYSTEM\\MountedDevices: %zu values", nv);
  hive_value_h *vals = hivex_node_values (h, md);
  char **disks = gk_int_list_disks ();
  size_t n = 0, cap = 0;
  int ret = 0;
  for (size_t i = 0; vals && disks && vals[i] && ret == 0; i++) {
    char *key = hivex_value_key (h, vals[i]);
    hive_type t;
    size_t len;
    char *blob = NULL;
    if (key && strlen (key) == 14 && strncasecmp (key, "\\DosDevices\\", 12) == 0
        && ((key[12] | 0x20) >= 'a' && (key[12] | 0x20) <= 'z') && key[13] == ':'
        && hivex_value_type (h, vals[i], &t, &len) == 0 && t == hive_t_REG_BINARY
        && len <= 256 && (blob = hivex_value_value (h, vals[i], &t, &len))) {
      char *dev = map_blob ((unsigned char *) blob, len, disks);
      char letter[2] = { (char) (key[12] & ~0x20), 0 };
      if (dev && gk_int_grow ((void **) &r->drives, &cap, n + 3, sizeof *r->drives, 8) == -1)
        ret = gk_int_err (ENOMEM, "out of memory");
      else if (dev) {
        r->drives[n++] = strdup (letter);
        r->drives[n++] = dev;
        r->drives[n] = NULL;
        dev = NULL;
        if (!r->drives[n - 2]) ret = gk_int_err (ENOMEM, "out of memory");
      }
      free (dev);
    }
    free (blob);
    free (key);
  }
  free (vals);
  gk_int_free_strings (disks);
  /* By drive letter (pairs; a handful of them). */
  for (size_t i = 2; i < n; i += 2)
    for (size_t k = i; k >= 2 && strcmp (r->drives[k - 2], r->drives[k]) > 0; k -= 2)
      for (size_t j = 0; j < 2; j++) {
        char *x = r->drives[k - 2 + j];
        r->drives[k - 2 + j] = r->drives[k + j];
        r->drives[k + j] = x;
      }
  return ret;
}

static int
read_system (hive_h *h, struct gk_insp_root *r)
{
  int32_t cur;
  if (get_dword (h, get_node (h, "Select"), "Current", &cur) == 0
      && cur >= 0 && cur <= 999) {
    snprintf (r->ccs, sizeof r->ccs, "ControlSet%03d", (int) cur);
    char path[96];
    snprintf (path, sizeof path, "%s\\Services\\Tcpip\\Parameters", r->ccs);
    char *s = get_string (h, get_node (h, path), "Hostname");
    copy_str (r->hostname, sizeof r->hostname, s);
    free (s);
  }
  return read_drives (h, r);
}

int
gk_int_insp_registry (int rootfd, struct gk_insp_root *r)
{
  /* One unreadable hive must not hide what the other says: SYSTEM is
   * read even when SOFTWARE is not (each error is logged). */
  int ret = 0;
  hive_h *h = open_hive (rootfd, r->systemroot, "SOFTWARE");
  if (h) {
    read_software (h, r);
    hivex_close (h);
  }
  else {
    gk_int_log ("inspect: %s", gk_int_err_msg ());
    ret = -1;
  }
  if ((h = open_hive (rootfd, r->systemroot, "SYSTEM"))) {
    if (read_system (h, r) == -1) ret = -1;
    hivex_close (h);
  }
  else
    ret = -1;
  return ret;
}

/* ---- inspect-list-applications2 ------------------------------------- */

struct apps { struct gk_application2_list *l; size_t cap, bytes; time_t end; };

/* The applications under PATH of the SOFTWARE hive H (HIVE its file,
 * for errors) into A. */
static int
add_apps (hive_h *h, const char *hive, const char *path, struct apps *a)
{
  hive_node_h un = get_node (h, path);
  if (!un && errno)
    return gk_int_err (errno, "%s: \\%s: unreadable (libhivex: %s)",
                       hive, path, strerror (errno));
  size_t nc = un ? hivex_node_nr_children (h, un) : 0;
  if (!nc) return 0;
  if (nc > MAX_KEYS)
    return gk_int_err (EFBIG, "%s: \\%s: %zu subkeys, more than %d",
                       hive, path, nc, MAX_KEYS);
  hive_node_h *kids = hivex_node_children (h, un);
  if (!kids)
    return gk_int_err (errno ? errno : EINVAL, "%s: \\%s: unreadable (libhivex: %s)",
                       hive, path, strerror (errno ? errno : EINVAL));
  int ret = 0;
  for (size_t i = 0; kids[i] && ret == 0; i++) {
    if (time (NULL) > a->end) {
      ret = gk_int_err (ETIMEDOUT, "%s: \\%s: listing the applications "
                        "took more than %d s", hive, path, TIME_MAX);
      break;
    }
    /* Keys without a DisplayName are components and stubs, not what
     * Programs and Features shows (libguestfs leaves them out too). */
    char *name = get_string (h, kids[i], "DisplayName");
    if (name && !*name) {
      free (name);
      name = NULL;
    }
    char *ver = name ? get_string (h, kids[i], "DisplayVersion") : NULL;
    struct gk_application2_list *l = a->l;
    a->bytes += (name ? strlen (name) : 0) + (ver ? strlen (ver) : 0) + 32;
    if (!name)
      ;
    else if (l->len >= MAX_KEYS || a->bytes > REPLY_MAX)
      ret = gk_int_err (EFBIG, "%s: \\%s: more applications than can be "
                        "returned (%zu so far, %zu bytes)", hive, path, l->len, a->bytes);
    else if (gk_int_grow ((void **) &l->val, &a->cap, l->len + 1, sizeof *l->val, 64) == -1)
      ret = gk_int_err (ENOMEM, "out of memory");
    else {
      struct gk_application2 *p = &l->val[l->len++];
      p->app2_name = name;
      name = NULL;
      p->app2_epoch = 0;
      p->app2_version = strdup (ver ? ver : "");
      p->app2_release = strdup ("");
      p->app2_arch = strdup ("");
      if (!p->app2_version || !p->app2_release || !p->app2_arch)
        ret = gk_int_err (ENOMEM, "out of memory");
    }
    free (name);
    free (ver);
  }
  free (kids);
  return ret;
}

int
gk_int_insp_windows_apps (const struct gk_insp_root *r,
                          struct gk_application2_list *l)
{
  char *type = do_vfs_type (r->dev);
  struct gk_insp_mnt m;
  if (!type || gk_int_insp_mount (r->dev, type, &m) == -1) {
    free (type);
    return -1;
  }
  free (type);
  int ret = -1;
  hive_h *h = open_hive (m.rootfd, r->systemroot, "SOFTWARE");
  if (h) {
    struct apps a = { l, 0, 0, time (NULL) + TIME_MAX };
    char hive[300];
    snprintf (hive, sizeof hive, "%s/System32/config/SOFTWARE", r->systemroot);
    ret = add_apps (h, hive, "Microsoft\\Windows\\CurrentVersion\\Uninstall", &a);
    if (ret == 0)
      ret = add_apps (h, hive, "WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall", &a);
    hivex_close (h);
  }
  gk_int_insp_umount (&m);
  return ret;
}
