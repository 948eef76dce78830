/* guestkit: the pure LVM helpers of the daemon (daemon/lvm-parse.c),
 * without an appliance: lvm's --config, names, report output, errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "lvm.h"

static void
test_config (void)
{
  char *disks[] = { "/dev/vda", "/dev/vdab", "/dev/vd.*", "/dev/../x", NULL };
  char *c = gk_int_lvm_config (disks, 0);
  CHECK (c && strstr (c, "global_filter=[\"a|^/dev/vda[0-9]*$|\","
                      "\"a|^/dev/vdab[0-9]*$|\",\"r|.*|\"]"),
         "filter: the disks and their partitions, nothing else: %s", c);
  CHECK (c && strstr (c, "metadata_read_only=0"), "read-write");
  CHECK (c && strstr (c, "udev_sync=0") && strstr (c, "udev_rules=0")
         && strstr (c, "backup=0") && strstr (c, "archive=0")
         && strstr (c, "obtain_device_list_from_udev=0")
         && strstr (c, "monitoring=0") && strstr (c, "/run/lock/lvm"),
         "no udev, no backups, no monitoring, locks in /run");
  free (c);
  c = gk_int_lvm_config ((char *[]) { NULL }, 1);
  CHECK (c && strstr (c, "global_filter=[\"r|.*|\"]")
         && strstr (c, "metadata_read_only=1"),
         "no disks: everything rejected; read-only: %s", c);
  free (c);
}

static void
test_names (void)
{
  CHECK (gk_int_lvm_name_ok ("vg0") && gk_int_lvm_name_ok ("a+b_c.d-e"),
         "valid names");
  CHECK (!gk_int_lvm_name_ok ("") && !gk_int_lvm_name_ok ("-x")
         && !gk_int_lvm_name_ok (".") && !gk_int_lvm_name_ok ("..")
         && !gk_int_lvm_name_ok ("a/b") && !gk_int_lvm_name_ok ("a b"),
         "invalid names");
  char longname[200];
  memset (longname, 'a', 128);
  longname[128] = '\0';
  CHECK (!gk_int_lvm_name_ok (longname), "128 characters is too long");
  longname[127] = '\0';
  CHECK (gk_int_lvm_name_ok (longname), "127 characters is fine");
}

/* Expect ARG to parse (allow_vg ALLOW) to VG and LV (NULL: no LV). */
static void
parse_ok (const char *arg, int allow, const char *vg, const char *lv)
{
  char *v, *l;
  int r = gk_int_lvm_parse_lv (arg, allow, &v, &l);
  CHECK (r == 0 && strcmp (v, vg) == 0
         && (lv ? l && strcmp (l, lv) == 0 : l == NULL),
         "%s -> %s %s", arg, vg, lv ? lv : "(VG)");
  if (r == 0) { free (v); free (l); }
}

static void
parse_bad (const char *arg, int allow)
{
  char *v, *l;
  int r = gk_int_lvm_parse_lv (arg, allow, &v, &l);
  CHECK (r == -1 && errno == EINVAL && !v && !l, "%s rejected", arg);
  if (r == 0) { free (v); free (l); }
}

static void
test_lv_names (void)
{
  parse_ok ("/dev/vg0/lv0", 0, "vg0", "lv0");
  parse_ok ("/dev/mapper/vg0-lv0", 0, "vg0", "lv0");
  parse_ok ("/dev/mapper/vg--a-lv--b--", 0, "vg-a", "lv-b-");
  parse_ok ("/dev/vg0", 1, "vg0", NULL);
  parse_ok ("vg0", 1, "vg0", NULL);
  parse_bad ("/dev/vg0", 0);
  parse_bad ("vg0/lv0", 0);
  parse_bad ("vg0/lv0", 1);
  parse_bad ("/dev/vg0/../sda", 0);
  parse_bad ("/dev/../sda", 1);
  parse_bad ("/dev/vg0/lv0/x", 0);
  parse_bad ("/dev/mapper/vg0-lv0-real", 0);
  parse_bad ("/dev/mapper/vg0", 0);
  parse_bad ("/dev/mapper/-lv", 0);
  parse_bad ("/dev/mapper/vg-", 0);
  parse_bad ("/dev/vg0/", 0);
  parse_bad ("", 1);
  char *v, *l;
  CHECK (gk_int_lvm_split_dm ("vg0-lv0", &v, &l) == 0
         && strcmp (v, "vg0") == 0 && strcmp (l, "lv0") == 0, "split vg0-lv0");
  free (v); free (l);
}

static void
test_report (void)
{
  char text[] = "  /dev/vda|abc-def|62914560\n\n  /dev/vdb1||0  \n";
  size_t n;
  char **r = gk_int_lvm_parse_report (text, 3, &n);
  CHECK (r && n == 2 && strcmp (r[0], "/dev/vda") == 0
         && strcmp (r[1], "abc-def") == 0 && strcmp (r[2], "62914560") == 0
         && strcmp (r[3], "/dev/vdb1") == 0 && strcmp (r[4], "") == 0
         && strcmp (r[5], "0") == 0, "two rows of three fields");
  free (r);
  char empty[] = "";
  r = gk_int_lvm_parse_report (empty, 2, &n);
  CHECK (r && n == 0, "empty report");
  free (r);
  char bad[] = "  a|b\n  c\n";
  r = gk_int_lvm_parse_report (bad, 2, &n);
  CHECK (!r && errno == EINVAL, "wrong field count rejected");
  char extra[] = "  a|b|c\n";
  r = gk_int_lvm_parse_report (extra, 2, &n);
  CHECK (!r && errno == EINVAL, "too many fields rejected");
  /* Many rows: the array grows. */
  size_t rows = 1000;
  char *big = malloc (rows * 6 + 1), *p = big;
  for (size_t i = 0; i < rows; i++) p += sprintf (p, "  x|y\n");
  r = gk_int_lvm_parse_report (big, 2, &n);
  CHECK (r && n == rows && strcmp (r[2 * rows - 1], "y") == 0, "1000 rows");
  free (r);
  free (big);

  int64_t v;
  CHECK (gk_int_lvm_int64 ("4194304", &v) == 0 && v == 4194304, "number");
  CHECK (gk_int_lvm_int64 ("-1", &v) == 0 && v == -1, "negative");
  CHECK (gk_int_lvm_int64 ("", &v) == 0 && v == -1, "empty is -1");
  CHECK (gk_int_lvm_int64 ("12B", &v) == -1 && gk_int_lvm_int64 (" 1", &v) == -1
         && gk_int_lvm_int64 ("99999999999999999999", &v) == -1, "junk");
}

static void
test_errors (void)
{
  CHECK (gk_int_lvm_errno ("  Volume group \"vg0\" has insufficient free "
                           "space (14 extents): 250 required.") == ENOSPC,
         "insufficient free space: ENOSPC");
  CHECK (gk_int_lvm_errno ("  Volume group \"nosuch\" not found") == ENOENT,
         "not found: ENOENT");
  CHECK (gk_int_lvm_errno ("  Logical Volume \"lv0\" already exists in "
                           "volume group \"vg0\"") == EEXIST, "EEXIST");
  CHECK (gk_int_lvm_errno ("  Cannot use /dev/vg0/lv0: device is rejected "
                           "by filter config") == EINVAL,
         "a device the filter rejects: EINVAL");
  CHECK (gk_int_lvm_errno ("something odd") == EIO, "default EIO");
  char *m = gk_int_lvm_message ("  WARNING: x\n  Volume group \"a\" not found\n"
                                "  Cannot process volume group a\n");
  CHECK (m && strcmp (m, "Volume group \"a\" not found; Cannot process "
                      "volume group a") == 0, "message: %s", m);
  free (m);
  m = gk_int_lvm_message ("  WARNING: only a warning\n");
  CHECK (m && strcmp (m, "WARNING: only a warning") == 0, "warnings only: %s", m);
  free (m);
  m = gk_int_lvm_message ("a\nb\nc");
  CHECK (m && strcmp (m, "a; b; c") == 0, "short lines: %s", m);
  free (m);
}

int
main (void)
{
  test_config ();
  test_names ();
  test_lv_names ();
  test_report ();
  test_errors ();
  return tap_done ();
}
