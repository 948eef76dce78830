/* guestkitd: device names (daemon.h, "devices").
 *
 * The user always sees /dev/sda, /dev/sdb ... in the order the drives were
 * added, whatever the appliance calls them: /dev/vda ... under qemu
 * (virtio-blk), /dev/sdX for virtio-scsi and IDE drives, /dev/ubda ...
 * under User-Mode Linux.  The mapping is by position in the sorted list
 * of the appliance's disks: drives with the serial gkdN (qemu gives one
 * to every user drive) sort by N, others by name, so it does not depend
 * on the letters the appliance kernel happened to choose.
 * Partitions keep their number: /dev/sdb2 <-> /dev/vdb2.
 *
 * Device-mapper names (/dev/mapper/NAME, /dev/VG/LV) are the same inside
 * and outside; only LVM logical volumes, (as /dev/mapper/NAME) open
 * encrypted devices and (as /dev/mdN, /dev/md/NAME) md arrays are
 * accepted (checked here from
 * sysfs; activating the VGs first, if still pending, is args.c's job, a
 * layer above: nothing here runs a program).  Names going back to the
 * user show LVs as /dev/VG/LV.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "abi.h"
#include "daemon.h"
#include "grow.h"
#include "lvm.h"                /* gk_int_lvm_split_dm (lvm-parse.c, pure) */

#define SYS_BLOCK "/sys/block"

/* Bounds that keep the name arithmetic trivially safe: 4 letters name
 * 475254 disks, 4 digits 9999 partitions, far beyond any real limit. */
#define MAX_LETTERS 4
#define MAX_DIGITS 4
/* Longest device name accepted from the user (a dm name is at most 127
 * bytes; "/dev/mapper/" and "/dev/VG/LV" stay well below this). */
#define MAX_USER_NAME 255

/* A parsed "/dev/<kind><letters>[<digits>]". */
struct devname {
  const char *kind;             /* "sd", "vd" or "ubd" */
  const char *letters;
  size_t nletters;
  const char *digits;           /* "" for a whole disk */
  size_t ndigits;
};

static const char *const kinds[] = { "sd", "vd", "ubd", NULL };

/* Parse NAME (the part after "/dev/").  The syntax is strict: lower-case
 * letters, then an optional partition number without leading zero.
 * Returns 0, or -1 if NAME is not of that form. */
static int
parse_name (const char *name, struct devname *d)
{
  const char *p = NULL;
  for (size_t i = 0; kinds[i]; i++) {
    size_t k = strlen (kinds[i]);
    if (strncmp (name, kinds[i], k) == 0) {
      d->kind = kinds[i];
      p = name + k;
      break;
    }
  }
  if (!p) return -1;

  d->letters = p;
  while (*p >= 'a' && *p <= 'z') p++;
  d->nletters = (size_t) (p - d->letters);
  if (d->nletters == 0 || d->nletters > MAX_LETTERS) return -1;

  d->digits = p;
  while (*p >= '0' && *p <= '9') p++;
  d->ndigits = (size_t) (p - d->digits);
  if (d->ndigits > MAX_DIGITS) return -1;
  if (d->ndigits > 0 && d->digits[0] == '0') return -1;
  return *p == '\0' ? 0 : -1;
}

/* Disk letters are a bijective base-26 number: a=0 ... z=25, aa=26. */
static size_t
letters_to_index (const char *s, size_t n)
{
  size_t v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 26 + (size_t) (s[i] - 'a' + 1);
  return v - 1;
}

/* BUF must hold MAX_LETTERS + 1 bytes; returns -1 if INDEX needs more. */
static int
index_to_letters (size_t index, char *buf)
{
  char tmp[MAX_LETTERS];
  size_t n = 0;
  size_t v = index + 1;
  while (v > 0) {
    if (n == MAX_LETTERS) return -1;
    v--;
    tmp[n++] = (char) ('a' + v % 26);
    v /= 26;
  }
  for (size_t i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return 0;
}

/* An appliance disk in /sys/block: "vd", "sd" or "ubd" plus letters only
 * (loop, ram, dm-, sr, zram ... are not the user's drives). */
static int
is_disk_name (const char *name)
{
  struct devname d;
  if (parse_name (name, &d) == -1) return 0;
  return d.ndigits == 0;
}

/* The serial of disk NAME into SER (size LEN): virtio-blk's serial file,
 * else the SCSI unit serial number page (virtio-scsi, and libata's
 * translation of the ATA serial).  Returns 0, or -1 if none. */
static int
disk_serial (const char *name, char *ser, size_t len)
{
  char p[300];
  unsigned char b[64];
  snprintf (p, sizeof p, "%s/%s/serial", SYS_BLOCK, name);
  if (gk_int_read_sysfs_line (p, ser, len) == 0) return 0;
  if (errno != ENOENT) return -1;
  /* vpd_pg80 is binary: not a line. */
  snprintf (p, sizeof p, "%s/%s/device/vpd_pg80", SYS_BLOCK, name);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  ssize_t n = read (fd, b, sizeof b);
  close (fd);
  if (n < 4 || b[1] != 0x80) return -1;
  size_t k = b[3] < (size_t) n - 4 ? b[3] : (size_t) n - 4;
  const char *s = (const char *) b + 4;
  while (k > 0 && *s == ' ') { s++; k--; }
  while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\0')) k--;
  if (k >= len) k = len - 1;
  memcpy (ser, s, k);
  ser[k] = '\0';
  return 0;
}

/* Sort key of disk NAME from its serial: the N of "gkdN", else -1
 * (sorted after, by name); -2 for the appliance's own disks (serials
 * gkroot and gkstage), which are hidden from every listing and name. */
static long
disk_position (const char *name)
{
  char ser[32], *end;
  if (disk_serial (name, ser, sizeof ser) == -1) return -1;
  if (strcmp (ser, GK_ABI_ROOT_SERIAL) == 0 || strcmp (ser, GK_ABI_STAGE_SERIAL) == 0) return -2;
  const size_t pl = sizeof GK_ABI_DRIVE_SERIAL - 1;
  if (strncmp (ser, GK_ABI_DRIVE_SERIAL, pl) != 0 || ser[pl] < '0' || ser[pl] > '9')
    return -1;
  long n = strtol (ser + pl, &end, 10);
  return *end == '\0' && n >= 0 && n < 100000 ? n : -1;
}

struct disk { char *name; long pos; };

/* Drive order: by gkdN serial, then vda..vdz, vdaa..: shorter names first. */
static int
compare_disks (const void *a, const void *b)
{
  const struct disk *dx = a, *dy = b;
  if (dx->pos != dy->pos) {
    if (dx->pos == -1 || dy->pos == -1) return dx->pos == -1 ? 1 : -1;
    return dx->pos < dy->pos ? -1 : 1;
  }
  const char *x = dx->name, *y = dy->name;
  size_t lx = strlen (x), ly = strlen (y);
  if (lx != ly) return lx < ly ? -1 : 1;
  return strcmp (x, y);
}


static void
free_disks (struct disk *l, size_t n)
{
  if (!l) return;
  for (size_t i = 0; i < n; i++) free (l[i].name);
  free (l);
}

/* The disk list; if REPORT, failures set the call's error (list_disks is
 * also used quietly when translating names back to the user, which must
 * not fail a call that otherwise succeeded). */
static char **
scan_disks (int report)
{
  DIR *dir = opendir (SYS_BLOCK);
  if (!dir) {
    if (report) gk_int_perr ("%s", SYS_BLOCK);
    return NULL;
  }
  size_t n = 0, cap = 8;
  struct disk *list = malloc (cap * sizeof *list);
  if (!list) goto oom;

  struct dirent *e;
  errno = 0;
  while ((e = readdir (dir)) != NULL) {
    if (!is_disk_name (e->d_name)) continue;
    long pos = disk_position (e->d_name);
    if (pos == -2) continue;
    if (gk_int_grow ((void **) &list, &cap, n + 1, sizeof *list, 8) == -1)
      goto oom;
    size_t len = strlen (e->d_name);
    char *s = malloc (len + 6);
    if (!s) goto oom;
    memcpy (s, "/dev/", 5);
    memcpy (s + 5, e->d_name, len + 1);
    list[n].pos = pos;
    list[n++].name = s;
    errno = 0;
  }
  if (errno != 0) {
    int saved = errno;
    closedir (dir);
    free_disks (list, n);
    errno = saved;
    if (report) gk_int_perr ("%s: readdir", SYS_BLOCK);
    return NULL;
  }
  closedir (dir);
  qsort (list, n, sizeof *list, compare_disks);
  char **names = malloc ((n + 1) * sizeof *names);
  if (!names) {
    free_disks (list, n);
    if (report) gk_int_err (ENOMEM, "%s: out of memory", SYS_BLOCK);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) names[i] = list[i].name;
  names[n] = NULL;
  free (list);
  return names;

 oom:
  closedir (dir);
  free_disks (list, n);
  if (report) gk_int_err (ENOMEM, "%s: out of memory", SYS_BLOCK);
  return NULL;
}

char **
gk_int_list_disks (void)
{
  return scan_disks (1);
}

/* Check that the appliance node DEV exists and is a block device;
 * errors name the user's spelling USER. */
static int
check_block (const char *dev, const char *user)
{
  struct stat st;
  if (stat (dev, &st) == -1) {
    if (errno == ENOENT || errno == ENOTDIR)
      return gk_int_err (ENOENT, "%s: no such device", user);
    return gk_int_perr ("%s", user);
  }
  if (!S_ISBLK (st.st_mode))
    return gk_int_err (EINVAL, "%s: not a block device", user);
  return 0;
}

/* A name as LVM and device-mapper make them: [A-Za-z0-9+_.-], not
 * starting with '-' or '.', so "." and ".." are impossible. */
static int
is_dm_component (const char *s, size_t n)
{
  if (n == 0 || s[0] == '-' || s[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    if (!isalnum (c) && c != '+' && c != '_' && c != '.' && c != '-')
      return 0;
  }
  return 1;
}

/* "/dev/mapper/NAME" or "/dev/VG/LV". */
static int
is_dm_path (const char *user)
{
  if (strncmp (user, "/dev/", 5) != 0) return 0;
  const char *a = user + 5;
  const char *slash = strchr (a, '/');
  if (!slash) return 0;
  const char *b = slash + 1;
  if (strchr (b, '/')) return 0;
  return is_dm_component (a, (size_t) (slash - a))
    && is_dm_component (b, strlen (b));
}

/* Read /sys/dev/block/MAJ:MIN/dm/FILE into BUF (first line). */
static int
dm_attr (dev_t rdev, const char *file, char *buf, size_t size)
{
  char p[96];
  snprintf (p, sizeof p, "/sys/dev/block/%u:%u/dm/%s", major (rdev),
            minor (rdev), file);
  return gk_int_read_sysfs_line (p, buf, size);
}

char *
gk_int_dev_lv_of (dev_t rdev)
{
  char uuid[160], name[300];
  if (dm_attr (rdev, "uuid", uuid, sizeof uuid) == -1
      || strncmp (uuid, "LVM-", 4) != 0
      || dm_attr (rdev, "name", name, sizeof name) == -1)
    return NULL;
  char *vg, *lv, *r;
  if (gk_int_lvm_split_dm (name, &vg, &lv) == -1) return NULL;
  if (asprintf (&r, "/dev/%s/%s", vg, lv) == -1) r = NULL;
  free (vg);
  free (lv);
  return r;
}

char *
gk_int_dev_dm_to_lv (const char *dev)
{
  struct stat st;
  if (strncmp (dev, "/dev/mapper/", 12) != 0
      && strncmp (dev, "/dev/dm-", 8) != 0)
    return NULL;
  if (stat (dev, &st) == -1 || !S_ISBLK (st.st_mode)) return NULL;
  return gk_int_dev_lv_of (st.st_rdev);
}

int
gk_int_dev_is_crypt (const char *dev)
{
  struct stat st;
  char uuid[160];
  return stat (dev, &st) == 0 && S_ISBLK (st.st_mode)
    && dm_attr (st.st_rdev, "uuid", uuid, sizeof uuid) == 0
    && strncmp (uuid, "CRYPT-", 6) == 0;
}

/* "/dev/md" plus a number without leading zero (an md RAID array). */
static int
is_md_name (const char *user)
{
  if (strncmp (user, "/dev/md", 7) != 0) return 0;
  const char *p = user + 7;
  size_t n = strspn (p, "0123456789");
  return n > 0 && n <= MAX_DIGITS && p[n] == '\0' && !(p[0] == '0' && n > 1);
}

int
gk_int_md_running (const char *state_file)
{
  /* A stopped array lingers a moment with state "clear". */
  char state[32];
  return gk_int_read_sysfs_line (state_file, state, sizeof state) == 0
    && strcmp (state, "clear") != 0;
}

int
gk_int_dev_is_md (const char *dev)
{
  struct stat st;
  char p[96];
  if (stat (dev, &st) == -1 || !S_ISBLK (st.st_mode)) return 0;
  snprintf (p, sizeof p, "/sys/dev/block/%u:%u/md/array_state",
            major (st.st_rdev), minor (st.st_rdev));
  return gk_int_md_running (p);
}

/* USER ("/dev/VG/LV" or "/dev/mapper/NAME") must be the block device of
 * an LVM logical volume, or "/dev/mapper/NAME" that of an open encrypted
 * device (dm uuid "CRYPT-...", made by cryptsetup: luks-open).  Nothing
 * else that device-mapper or /dev holds (control, other targets). */
static int
check_lv (const char *user)
{
  struct stat st;
  if (stat (user, &st) == -1) {
    if (errno == ENOENT || errno == ENOTDIR)
      return gk_int_err (ENOENT, "%s: no such device", user);
    return gk_int_perr ("%s", user);
  }
  char *lv = S_ISBLK (st.st_mode) ? gk_int_dev_lv_of (st.st_rdev) : NULL;
  if (lv) {
    free (lv);
    return 0;
  }
  if (strncmp (user, "/dev/mapper/", 12) == 0 && gk_int_dev_is_crypt (user))
    return 0;
  if (strncmp (user, "/dev/md/", 8) == 0)  /* mdadm's link, left by a stop */
    return gk_int_dev_is_md (user) ? 0
      : gk_int_err (ENOENT, "%s: no such md array", user);
  return gk_int_err (EINVAL, "%s: not a logical volume, an open "
                     "encrypted device or an md array", user);
}

int
gk_int_dev_is_dm_path (const char *user)
{
  return is_dm_path (user);
}

int
gk_int_dev_name_ok (const char *user)
{
  struct devname d;
  if (strnlen (user, MAX_USER_NAME + 1) > MAX_USER_NAME)
    return gk_int_err (EINVAL, "%.64s...: device name too long", user);
  if ((strncmp (user, "/dev/", 5) == 0 && parse_name (user + 5, &d) == 0)
      || is_dm_path (user) || is_md_name (user))
    return 0;
  return gk_int_err (EINVAL, "%s: not a device name (expected /dev/sdX, "
                     "/dev/sdXN or /dev/VG/LV)", user);
}

char *
gk_int_dev_lookup (const char *user)
{
  if (gk_int_dev_name_ok (user) == -1) return NULL;

  struct devname d;
  char *dev = NULL;
  if (is_dm_path (user)) {
    if (check_lv (user) == -1) return NULL;
    dev = strdup (user);
  }
  else if (is_md_name (user)) {
    if (check_block (user, user) == -1) return NULL;
    if (!gk_int_dev_is_md (user)) {
      gk_int_err (ENOENT, "%s: no such md array", user);
      return NULL;
    }
    dev = strdup (user);
  }
  else if (parse_name (user + 5, &d) == 0 && strcmp (d.kind, "sd") == 0) {
    char **disks = gk_int_list_disks ();
    if (!disks) return NULL;
    size_t idx = letters_to_index (d.letters, d.nletters);
    size_t n = gk_int_count_strings (disks);
    if (idx < n) {
      size_t dl = strlen (disks[idx]);
      dev = malloc (dl + d.ndigits + 1);
      if (dev) {
        memcpy (dev, disks[idx], dl);
        memcpy (dev + dl, d.digits, d.ndigits + 1);
      }
    }
    gk_int_free_strings (disks);
    if (idx >= n) {
      gk_int_err (ENOENT, "%s: no such device", user);
      return NULL;
    }
  }
  else {                        /* already the appliance's name */
    size_t k = strspn (user + 5, "abcdefghijklmnopqrstuvwxyz");
    char disk[32];
    snprintf (disk, sizeof disk, "%.*s", (int) k, user + 5);
    if (disk_position (disk) == -2) {
      gk_int_err (ENOENT, "%s: no such device", user);
      return NULL;
    }
    dev = strdup (user);
  }

  if (!dev) {
    gk_int_err (ENOMEM, "%s: out of memory", user);
    return NULL;
  }
  if (check_block (dev, user) == -1) {
    free (dev);
    return NULL;
  }
  return dev;
}

/* If DEV is an appliance disk or partition name found in DISKS, write the
 * user's name into BUF (size MAX_USER_NAME + 1) and return 0, else -1. */
static int
user_name (char *const *disks, const char *dev, char *buf)
{
  struct devname d;
  if (!disks || strncmp (dev, "/dev/", 5) != 0 || parse_name (dev + 5, &d) == -1)
    return -1;
  size_t disklen = 5 + strlen (d.kind) + d.nletters;
  for (size_t i = 0; disks[i]; i++) {
    if (strlen (disks[i]) != disklen || strncmp (disks[i], dev, disklen) != 0)
      continue;
    char letters[MAX_LETTERS + 1];
    if (index_to_letters (i, letters) == -1) return -1;
    snprintf (buf, MAX_USER_NAME + 1, "/dev/sd%s%.*s", letters,
              (int) d.ndigits, d.digits);
    return 0;
  }
  return -1;
}

static char *
to_user (char *const *disks, const char *dev)
{
  char buf[MAX_USER_NAME + 1];
  char *r = user_name (disks, dev, buf) == 0 ? strdup (buf) : NULL;
  if (!r) r = gk_int_dev_dm_to_lv (dev);
  if (!r) r = strdup (dev);
  if (!r) gk_int_err (ENOMEM, "%s: out of memory", dev);
  return r;
}

char *
gk_int_dev_to_user (const char *dev)
{
  char **disks = scan_disks (0);
  char *r = to_user (disks, dev);
  gk_int_free_strings (disks);
  return r;
}

void
gk_int_devs_to_user (char **list)
{
  char **disks = scan_disks (0);
  if (!disks) return;
  for (size_t i = 0; list[i]; i++) {
    char buf[MAX_USER_NAME + 1];
    char *s = user_name (disks, list[i], buf) == 0 ? strdup (buf)
      : gk_int_dev_dm_to_lv (list[i]);
    if (!s) continue;           /* keep the appliance name */
    free (list[i]);
    list[i] = s;
  }
  gk_int_free_strings (disks);
}

/* Characters that continue a word around a device name in free text. */
static int
is_word_char (char c)
{
  return isalnum ((unsigned char) c) || c == '_';
}

char *
gk_int_text_to_user (const char *text)
{
  char **disks = scan_disks (0);
  size_t len = strlen (text);
  /* A user name is never longer than the appliance name it replaces
   * (the disk's position is at most the value of its letters), but grow
   * anyway rather than rely on that. */
  size_t cap = len + 1, n = 0;
  char *out = malloc (cap);
  if (!out) goto oom;

  for (size_t i = 0; i < len;) {
    const char *piece = text + i;
    size_t plen = 1;
    char buf[MAX_USER_NAME + 1];
    if (disks && strncmp (piece, "/dev/", 5) == 0
        && (i == 0 || (!is_word_char (text[i - 1]) && text[i - 1] != '/'))) {
      /* The longest run that could be a device name. */
      size_t j = 5;
      while (j < MAX_USER_NAME && (islower ((unsigned char) piece[j])
                                   || isdigit ((unsigned char) piece[j])))
        j++;
      if (!is_word_char (piece[j])) {
        char name[MAX_USER_NAME + 1];
        memcpy (name, piece, j);
        name[j] = '\0';
        if (user_name (disks, name, buf) == 0) {
          plen = j;
          piece = buf;
        }
      }
    }
    size_t add = piece == buf ? strlen (buf) : 1;
    if (gk_int_grow ((void **) &out, &cap, n + add + 1, 1, 64) == -1) goto oom;
    memcpy (out + n, piece, add);
    n += add;
    i += plen;
  }
  out[n] = '\0';
  gk_int_free_strings (disks);
  return out;

 oom:
  free (out);
  gk_int_free_strings (disks);
  gk_int_err (ENOMEM, "out of memory");
  return NULL;
}
