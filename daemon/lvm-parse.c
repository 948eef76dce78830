/* guestkitd: the pure parts of the LVM calls (lvm.h): lvm's --config,
 * names, lvm's report output and error text.  No system calls, so that
 * tests/test-lvm-parse.c checks them without an appliance.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grow.h"
#include "lvm.h"

#define MAX_NAME 127            /* LVM's limit for VG and LV names */

/* Everything but the filter.  No udev in the appliance: libdevmapper and
 * lvm create /dev/mapper/VG-LV and the /dev/VG/LV links themselves
 * (udev_rules=0), and nothing waits for udev (udev_sync=0).  No daemons
 * (lvmlockd, lvmpolld, dmeventd), no devices file, no hints, no backups:
 * the appliance root is read-only and starts fresh every time. */
static const char config_head[] =
  "global{locking_dir=\"/run/lock/lvm\" use_lvmlockd=0 use_lvmpolld=0 "
  "notify_dbus=0 metadata_read_only=%d} "
  "backup{backup=0 archive=0} "
  "activation{udev_sync=0 udev_rules=0 verify_udev_operations=1 "
  "monitoring=0} "
  "devices{obtain_device_list_from_udev=0 external_device_info_source="
  "\"none\" use_devicesfile=0 hints=\"none\" global_filter=[";

/* PREFIX followed by at least one character of LO..HI and nothing else,
 * under 64 bytes: names put in a filter, so that no regular-expression
 * character can get in. */
static int
name_in (const char *d, const char *prefix, char lo, char hi)
{
  size_t n = strlen (prefix);
  if (strncmp (d, prefix, n) != 0 || !d[n]) return 0;
  for (const char *p = d + n; *p; p++)
    if (*p < lo || *p > hi) return 0;
  return strlen (d) < 64;
}

/* "/dev/dm-" or "/dev/md" plus digits: an open encrypted device or an
 * md array (LVM on LUKS, on RAID), put in the filter as exactly itself. */
static int
dm_ok (const char *d)
{
  return name_in (d, "/dev/dm-", '0', '9') || name_in (d, "/dev/md", '0', '9');
}
/* "/dev/" plus lower-case letters: a disk (and its partitions). */
static int disk_ok (const char *d) { return name_in (d, "/dev/", 'a', 'z'); }

char *
gk_int_lvm_config (char *const *disks, int readonly)
{
  size_t n = 0;
  for (size_t i = 0; disks && disks[i]; i++) n++;
  size_t cap = sizeof config_head + 16 + n * 90;
  char *s = malloc (cap);
  if (!s) return NULL;
  size_t len = (size_t) snprintf (s, cap, config_head, readonly ? 1 : 0);
  /* Accept the user's disks and their partitions; reject everything
   * else: the appliance's root (gkroot) and staging disk (gkstage: raw
   * upload data that could look like a PV), and dm devices (no PVs on
   * LVs). */
  for (size_t i = 0; i < n; i++) {
    if (dm_ok (disks[i])) {
      len += (size_t) snprintf (s + len, cap - len, "\"a|^%s$|\",", disks[i]);
      continue;
    }
    if (!disk_ok (disks[i])) continue;
    len += (size_t) snprintf (s + len, cap - len, "\"a|^%s[0-9]*$|\",",
                              disks[i]);
  }
  snprintf (s + len, cap - len, "\"r|.*|\"]}");
  return s;
}

int
gk_int_lvm_name_ok (const char *s)
{
  size_t n = strnlen (s, MAX_NAME + 1);
  if (n == 0 || n > MAX_NAME || s[0] == '-') return 0;
  if (strcmp (s, ".") == 0 || strcmp (s, "..") == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char) s[i];
    if (!isalnum (c) && c != '+' && c != '_' && c != '.' && c != '-')
      return 0;
  }
  return 1;
}

/* Copy N bytes of S, undoubling "--". */
static char *
undouble (const char *s, size_t n)
{
  char *r = malloc (n + 1), *d = r;
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++) {
    *d++ = s[i];
    if (s[i] == '-') i++;       /* the caller checked it is doubled */
  }
  *d = '\0';
  return r;
}

int
gk_int_lvm_split_dm (const char *dmname, char **vg_r, char **lv_r)
{
  *vg_r = *lv_r = NULL;
  size_t len = strnlen (dmname, 2 * MAX_NAME + 2);
  const char *sep = NULL;
  for (size_t i = 0; i < len; i++) {
    if (dmname[i] != '-') continue;
    if (i + 1 < len && dmname[i + 1] == '-') { i++; continue; }
    if (sep) { errno = EINVAL; return -1; }   /* "vg-lv-real": internal */
    sep = dmname + i;
  }
  if (!sep || dmname[len] != '\0') { errno = EINVAL; return -1; }
  char *vg = undouble (dmname, (size_t) (sep - dmname));
  char *lv = undouble (sep + 1, len - (size_t) (sep + 1 - dmname));
  if (!vg || !lv) {
    free (vg); free (lv);
    errno = ENOMEM;
    return -1;
  }
  if (!gk_int_lvm_name_ok (vg) || !gk_int_lvm_name_ok (lv)) {
    free (vg); free (lv);
    errno = EINVAL;
    return -1;
  }
  *vg_r = vg;
  *lv_r = lv;
  return 0;
}

int
gk_int_lvm_parse_lv (const char *arg, int allow_vg, char **vg_r, char **lv_r)
{
  *vg_r = *lv_r = NULL;
  if (strncmp (arg, "/dev/mapper/", 12) == 0)
    return gk_int_lvm_split_dm (arg + 12, vg_r, lv_r);
  const char *vg = strncmp (arg, "/dev/", 5) == 0 ? arg + 5 : arg;
  const char *slash = strchr (vg, '/');
  /* "VG/LV" without /dev/ is not a device name; "/dev/VG" and "VG" name
   * a VG only where one is allowed. */
  if ((slash && vg == arg) || (!slash && !allow_vg)) {
    errno = EINVAL;
    return -1;
  }
  char *v = slash ? strndup (vg, (size_t) (slash - vg)) : strdup (vg);
  char *l = slash ? strdup (slash + 1) : NULL;
  if (!v || (slash && !l)) {
    free (v); free (l);
    errno = ENOMEM;
    return -1;
  }
  if (!gk_int_lvm_name_ok (v) || (l && !gk_int_lvm_name_ok (l))) {
    free (v); free (l);
    errno = EINVAL;
    return -1;
  }
  *vg_r = v;
  *lv_r = l;
  return 0;
}

char **
gk_int_lvm_parse_report (char *text, size_t nfields, size_t *nrows_r)
{
  size_t cap = 8 * nfields, n = 0;
  char **f = malloc (cap * sizeof *f);
  if (!f) { errno = ENOMEM; return NULL; }
  *nrows_r = 0;
  char *line = text;
  while (line && *line) {
    char *end = strchr (line, '\n');
    if (end) *end = '\0';
    while (*line == ' ' || *line == '\t') line++;
    if (*line) {
      if (gk_int_grow ((void **) &f, &cap, n + nfields, sizeof *f, 8) == -1) {
        free (f);
        return NULL;            /* errno ENOMEM */
      }
      char *p = line;
      for (size_t i = 0; i < nfields; i++) {
        char *bar = strchr (p, '|');
        if ((bar == NULL) != (i + 1 == nfields)) {
          free (f);
          errno = EINVAL;
          return NULL;
        }
        if (bar) *bar = '\0';
        f[n++] = p;
        p = bar ? bar + 1 : p;
      }
      /* The last field: lvm pads nothing with --separator, but be lenient
       * about trailing blanks. */
      char *last = f[n - 1];
      size_t l = strlen (last);
      while (l > 0 && isspace ((unsigned char) last[l - 1])) last[--l] = '\0';
      (*nrows_r)++;
    }
    line = end ? end + 1 : NULL;
  }
  return f;
}

int
gk_int_lvm_int64 (const char *s, int64_t *r)
{
  if (!*s) { *r = -1; return 0; }
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || *end || isspace ((unsigned char) *s)) return -1;
  *r = v;
  return 0;
}

/* What lvm says, and the errno that fits (first match wins). */
static const struct { const char *text; int err; } errmap[] = {
  { "insufficient free", ENOSPC },
  { "Insufficient free", ENOSPC },
  { "already exists", EEXIST },
  { "already in volume group", EBUSY },
  { "is used by VG", EBUSY },
  { "is 0 extents", ENOSPC },
  { "No physical volume label", EINVAL },
  { "excluded by a filter", EINVAL },
  { "rejected by filter", EINVAL },
  { "is partitioned", EINVAL },
  { "exclusively", EBUSY },
  { "in use", EBUSY },
  { "contains a filesystem in use", EBUSY },
  { "not found", ENOENT },
  { "Failed to find", ENOENT },
  { "No device found", ENOENT },
  { "Cannot process volume group", ENOENT },
  { "doesn't exist", ENOENT },
  { "not exist", ENOENT },
  { "Invalid", EINVAL },
  { "invalid", EINVAL },
};

int
gk_int_lvm_errno (const char *errs)
{
  for (size_t i = 0; i < sizeof errmap / sizeof errmap[0]; i++)
    if (strstr (errs, errmap[i].text)) return errmap[i].err;
  return EIO;
}

static int
is_warning (const char *line)
{
  return strncmp (line, "WARNING:", 8) == 0;
}

char *
gk_int_lvm_message (const char *errs)
{
  /* Each line at most doubles ("; " for a one-byte newline). */
  size_t len = strlen (errs);
  char *out = malloc (2 * len + 1);
  if (!out) return NULL;
  int others = 0;
  for (int pass = 0; pass < 2; pass++) {
    char *d = out;
    const char *line = errs;
    while (line) {
      const char *end = strchr (line, '\n');
      size_t n = end ? (size_t) (end - line) : strlen (line);
      const char *next = end ? end + 1 : NULL;
      while (n > 0 && isspace ((unsigned char) *line)) { line++; n--; }
      while (n > 0 && isspace ((unsigned char) line[n - 1])) n--;
      if (n > 0) {
        int warn = is_warning (line);
        if (pass == 0)
          others |= !warn;
        else if (!(warn && others)) {
          if (d != out) { memcpy (d, "; ", 2); d += 2; }
          memcpy (d, line, n);
          d += n;
        }
      }
      line = next;
    }
    *d = '\0';
  }
  return out;
}
