/* Unit test of the UML backend's pure parts (backends/uml-args.c): the
 * command line, the paths UML would misparse, the COW header. */
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "tap.h"

static int
has (char **v, const char *s)
{
  for (size_t i = 0; v[i]; i++) if (strcmp (v[i], s) == 0) return 1;
  return 0;
}

static size_t
index_of (char **v, const char *prefix)
{
  for (size_t i = 0; v[i]; i++) if (strncmp (v[i], prefix, strlen (prefix)) == 0) return i;
  return (size_t) -1;
}

static void
free_argv (char **v)
{
  for (size_t i = 0; v && v[i]; i++) free (v[i]);
  free (v);
}

static uint32_t
get32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

int
main (void)
{
  struct gk_int_drive d[2] = {
    { "/img/a.img", "raw", 0, "writeback", NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
    { "/img/b.img", "raw", 1, "writeback", NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
  };
  int cow[2] = { -1, 5 };
  struct gk_int_uml_cfg c = {
    .uml = "/usr/bin/linux.uml", .memsize = 512, .initrd = "/c/initrd", .root = "/c/root",
    .stage = "/proc/7/fd/9",
    .debug = 0, .nr_drives = 2, .drives = d, .cow_fds = cow, .ctl_fd = 3,
  };
  char **v = gk_int_uml_argv (&c);
  CHECK (v && strcmp (v[0], "/usr/bin/linux.uml") == 0, "argv built, binary first");
  CHECK (has (v, "mem=512M") && has (v, "initrd=/c/initrd"), "memory and initrd");
  CHECK (has (v, "ssl1=fd:3") && has (v, "gk.channel=/dev/ttyS1"),
         "control channel: serial line 1 on fd 3, named for the daemon");
  CHECK (has (v, "con0=null,fd:1") && has (v, "con=null") && has (v, "ssl=null"),
         "console 0 on stdout, nothing else connected");
  CHECK (has (v, "ubd0d=/img/a.img"),
         "writable drive opened directly, never read as a COW file ('d')");
  CHECK (has (v, "ubd1=/proc/self/fd/5,/img/b.img"),
         "read-only drive: the inherited COW fd over the image");
  CHECK (has (v, "ubd2rd=/c/root,,gkroot") && has (v, "gk.root=gkroot"),
         "appliance root disk last, read-only, with the serial the daemon hides");
  CHECK (has (v, "ubd3cd=/proc/7/fd/9,,gkstage"),
         "staging disk after the root disk, unlocked, never read as a COW file, with its serial");
  CHECK (index_of (v, "ubd0") < index_of (v, "ubd1") && index_of (v, "ubd1") < index_of (v, "ubd2"),
         "drives in order");
  CHECK (has (v, "gk.halt=poweroff") && has (v, "uml_dir=/dev/null") && has (v, "pty.legacy_count=0"),
         "poweroff (a UML reboot re-executes), no ~/.uml, no legacy ptys");
  CHECK (has (v, "quiet") && !has (v, "gk.debug=1"), "quiet unless debugging");
  CHECK (index_of (v, "initcall_blacklist") == (size_t) -1, "RAID6/XOR benchmarks kept by default");
  free_argv (v);
  c.fastboot = 1;
  char **fb = gk_int_uml_argv (&c);
  CHECK (fb && has (fb, GK_UML_FASTBOOT), "fastboot skips the RAID6 and XOR boot benchmarks");
  free_argv (fb);
  c.fastboot = 0;
  c.debug = 1;
  c.root = NULL;
  c.cow_fds = NULL;
  c.stage = NULL;
  v = gk_int_uml_argv (&c);
  CHECK (v && has (v, "gk.debug=1") && !has (v, "quiet"), "debug: kernel messages shown");
  CHECK (has (v, "ubd1rd=/img/b.img") && index_of (v, "gk.root") == (size_t) -1,
         "without COW fd a read-only drive is opened read-only; no root disk, no gk.root");
  CHECK (index_of (v, "ubd2") == (size_t) -1, "no staging disk when the datapath is serial");
  free_argv (v);
  /* The images as the descriptors add-drive checked. */
  int fds[2] = { 6, 8 }, cow2[2] = { -1, 7 };
  c.drive_fds = fds;
  c.cow_fds = cow2;
  v = gk_int_uml_argv (&c);
  CHECK (v && has (v, "ubd0d=/proc/self/fd/6") && has (v, "ubd1=/proc/self/fd/7,/proc/self/fd/8")
         && index_of (v, "ubd0d=/img") == (size_t) -1 && index_of (v, "ubd1=/img") == (size_t) -1,
         "drives: the inherited descriptors, never the names");
  free_argv (v);
  c.drive_fds = NULL;
  c.cow_fds = NULL;
  CHECK (gk_int_uml_cow_magic ((const unsigned char *) "OOOM") && gk_int_uml_cow_magic ((const unsigned char *) "MOOO")
         && !gk_int_uml_cow_magic ((const unsigned char *) "\0\0\0\0")
         && !gk_int_uml_cow_magic ((const unsigned char *) "QFI\xfb"),
         "UML COW magic recognised in both byte orders");
  {
    static unsigned char h0[GK_UML_COW_HDR];
    uint64_t fs0;
    CHECK (gk_int_uml_cow_header (h0, "/x", 1, 1, &fs0) == 0 && gk_int_uml_cow_magic (h0),
           "our own COW header has that magic");
  }

  CHECK (gk_int_uml_bad_path ("/img/a.img") == NULL, "plain path accepted");
  CHECK (gk_int_uml_bad_path ("/img/a,b.img") != NULL, "',' refused (drive option separator)");
  CHECK (gk_int_uml_bad_path ("/img/a:b.img") != NULL, "':' refused (drive option separator)");
  CHECK (gk_int_uml_bad_path ("/img/a b.img") != NULL, "space refused (command line separator)");
  CHECK (gk_int_uml_bad_path ("/img/a\nb.img") != NULL, "control character refused");
  CHECK (gk_int_uml_bad_path ("img.img") != NULL, "relative path refused");
  char *longp = malloc (5000);
  memset (longp, 'a', 4999); longp[0] = '/'; longp[4999] = '\0';
  CHECK (gk_int_uml_bad_path (longp) != NULL, "path too long for the COW header refused");

  static unsigned char h[GK_UML_COW_HDR];
  uint64_t fsize = 0;
  uint64_t size = (1ULL << 32) + 1000;           /* > 4 GiB, not a sector multiple */
  CHECK (gk_int_uml_cow_header (h, "/img/b.img", size, 1700000000, &fsize) == 0, "COW header built");
  CHECK (get32 (h) == 0x4f4f4f4d && get32 (h + 4) == 3, "magic MOOO, version 3, big-endian");
  CHECK (get32 (h + 8) == 1700000000, "backing mtime");
  CHECK (get32 (h + 12) == 1 && get32 (h + 16) == 1000, "backing size, 64-bit big-endian");
  CHECK (get32 (h + 20) == 512 && get32 (h + 24) == 4096 && get32 (h + 28) == 0,
         "sector size 512, alignment 4096, bitmap format");
  CHECK (strcmp ((char *) h + 32, "/img/b.img") == 0, "backing file name");
  /* bitmap at 8192 (4128 rounded up), one bit per started sector. */
  uint64_t sectors = (size + 511) / 512, bitmap = (sectors + 7) / 8;
  uint64_t data = (8192 + bitmap + 4095) / 4096 * 4096;
  CHECK (fsize == data + size, "COW file size: data offset %llu + image size",
         (unsigned long long) data);
  CHECK (gk_int_uml_cow_header (h, longp, 1, 1, &fsize) == -1, "too long backing name refused");
  CHECK (gk_int_uml_cow_header (h, "/x", 1, 1ULL << 33, &fsize) == -1,
         "mtime beyond 32 bits refused");
  free (longp);
  return tap_done ();
}
