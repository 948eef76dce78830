/* Unit tests of the appliance builder's C parts (appliance/: kimage,
   spec, newc, tree, moddeps) on synthetic inputs.  No appliance. */
#include "kimage.h"
#include "moddeps.h"
#include "newc.h"
#include "spec.h"
#include "tree.h"
#include "tap.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
put (unsigned char *p, uint64_t v, int n)
{
  for (int i = 0; i < n; i++) p[i] = (unsigned char) (v >> (8 * i));
}

/* A bzImage of LEN bytes: setup_sects SS, protocol PROTO, payload at
   (SS+1)*512+POFF of PLEN bytes starting with MAGIC. */
static unsigned char *
bzimage (size_t len, int ss, unsigned proto, unsigned poff, unsigned plen, const char *magic)
{
  unsigned char *b = calloc (1, len);
  b[497] = (unsigned char) ss;
  memcpy (b + 514, "HdrS", 4);
  put (b + 518, proto, 2);
  put (b + 526, 0x200, 2);                       /* version string at 0x400 */
  if (len >= 0x400 + 29) memcpy (b + 0x400, "6.1.0-test-amd64 (x@y) #1 SMP", 29);
  put (b + 584, poff, 4);
  put (b + 588, plen, 4);
  size_t at = (size_t) ((ss ? ss : 4) + 1) * 512 + poff;
  if (magic && at + strlen (magic) <= len) memcpy (b + at, magic, strlen (magic));
  return b;
}

static void
test_bzimage (void)
{
  struct gk_int_bzimage bz;
  const char *why = NULL;
  unsigned char *b = bzimage (8192, 1, 0x020f, 100, 4000, "\x02\x21\x4c\x18");
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == 0, "bzImage parsed");
  CHECK (strcmp (bz.version, "6.1.0-test-amd64") == 0, "version up to the space: %s", bz.version);
  CHECK (bz.has_payload && bz.payload_offset == 2 * 512 + 100 && bz.payload_length == 4000,
         "payload at (setup_sects+1)*512+payload_offset: %llu+%llu",
         (unsigned long long) bz.payload_offset, (unsigned long long) bz.payload_length);
  CHECK (bz.compression && strcmp (bz.compression, "lz4") == 0, "LZ4 legacy magic recognised");
  free (b);

  b = bzimage (8192, 0, 0x020f, 0, 100, "\x1f\x8b");
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == 0 && bz.payload_offset == 5 * 512
         && strcmp (bz.compression, "gzip") == 0, "setup_sects 0 means 4; gzip payload");
  free (b);

  b = bzimage (8192, 1, 0x0206, 0, 0, NULL);
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == 0 && !bz.has_payload,
         "boot protocol 2.06: version only, no payload fields");
  free (b);

  b = bzimage (8192, 1, 0x020f, 7000, 4000, NULL);
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == -1 && strstr (why, "outside"),
         "a payload beyond the end is refused: %s", why);
  free (b);

  b = bzimage (8192, 1, 0x020f, 0, 10, "????");
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == 0 && bz.compression == NULL,
         "an unknown payload magic gives no compression");
  memcpy (b + 514, "HdrX", 4);
  CHECK (gk_int_bzimage_parse (b, 8192, &bz, &why) == -1 && strstr (why, "HdrS"),
         "no HdrS: not a bzImage (%s)", why);
  free (b);

  b = bzimage (1024, 1, 0x0206, 0, 10, NULL);   /* version pointer past the end */
  CHECK (gk_int_bzimage_parse (b, 1024, &bz, &why) == -1 && strstr (why, "version"),
         "version string outside the file: %s", why);
  CHECK (gk_int_bzimage_parse (b, 600, &bz, &why) == -1, "a 600-byte file is not a bzImage");
  free (b);

  static const struct { const char *m; size_t n; const char *name; } mg[] = {
    { "\xfd" "7zXZ\0", 6, "xz" }, { "\x28\xb5\x2f\xfd", 4, "zstd" }, { "BZh9", 4, "bzip2" },
    { "\x5d\0\0\x80", 4, "lzma" }, { "\x89LZO", 4, "lzo" },
  };
  for (size_t i = 0; i < sizeof mg / sizeof mg[0]; i++) {
    const char *c = gk_int_payload_compression ((const unsigned char *) mg[i].m, mg[i].n);
    CHECK (c && strcmp (c, mg[i].name) == 0, "magic of %s", mg[i].name);
  }
  CHECK (gk_int_payload_compression ((const unsigned char *) "\x1f", 1) == NULL,
         "a 1-byte payload matches nothing");
}

/* An x86-64 ELF of LEN bytes with a PT_LOAD (data at 0x200, LOADSZ
   bytes) and a PT_NOTE at 0x100 holding one note of type NTYPE named
   NAME. */
static unsigned char *
elf (size_t len, uint64_t loadsz, unsigned ntype, const char *name, unsigned namesz)
{
  unsigned char *b = calloc (1, len);
  memcpy (b, "\x7f" "ELF\x02\x01\x01", 7);
  put (b + 18, 62, 2);
  put (b + 32, 64, 8);                           /* phoff */
  put (b + 54, 56, 2);
  put (b + 56, 2, 2);
  unsigned char *ph = b + 64;
  put (ph, 1, 4); put (ph + 8, 0x200, 8); put (ph + 32, loadsz, 8);
  ph += 56;
  put (ph, 4, 4); put (ph + 8, 0x100, 8); put (ph + 32, 24, 8);
  unsigned char *nt = b + 0x100;
  put (nt, namesz, 4); put (nt + 4, 4, 4); put (nt + 8, ntype, 4);
  memcpy (nt + 12, name, 4);
  return b;
}

static void
test_elf (void)
{
  int pvh = -1;
  const char *why = NULL;
  unsigned char *b = elf (4096, 1024, 18, "Xen", 4);
  CHECK (gk_int_elf_check (b, 4096, &pvh, &why) == 1 && pvh == 1, "complete ELF with the Xen PHYS32_ENTRY note: PVH");
  CHECK (gk_int_elf_check (b, 1000, &pvh, &why) == 0 && strstr (why, "outside"),
         "truncated (a segment past the end): refused (%s)", why);
  put (b + 18, 40, 2);
  CHECK (gk_int_elf_check (b, 4096, &pvh, &why) == 0 && strstr (why, "x86-64"), "ARM ELF refused: %s", why);
  free (b);
  b = elf (4096, 1024, 17, "Xen", 4);
  CHECK (gk_int_elf_check (b, 4096, &pvh, &why) == 1 && pvh == 0, "note type 17: complete but not PVH");
  free (b);
  b = elf (4096, 1024, 18, "Xen", 0xfffffff0u);
  CHECK (gk_int_elf_check (b, 4096, &pvh, &why) == 1 && pvh == 0, "a huge note name size stops the walk, no overrun");
  put (b + 56, 0xffff, 2);
  CHECK (gk_int_elf_check (b, 4096, &pvh, &why) == 0, "65535 program headers in 4 KB: refused (%s)", why);
  CHECK (gk_int_elf_check ((const unsigned char *) "MZ\x90", 3, &pvh, &why) == 0, "not an ELF: %s", why);
  free (b);
}

static void
test_spec (void)
{
  struct gk_int_spec e;
  const char *why = NULL;
  char l1[] = "d\t/tmp\t1777";
  CHECK (gk_int_spec_parse (l1, &e, &why) == 1 && e.type == 'd' && strcmp (e.name, "tmp") == 0
         && e.mode == 01777, "directory, leading / dropped, octal mode");
  char l2[] = "l\tetc/mtab\t../proc/self/mounts";
  CHECK (gk_int_spec_parse (l2, &e, &why) == 1 && e.type == 'l'
         && strcmp (e.arg, "../proc/self/mounts") == 0, "link");
  char l3[] = "c\tdev/console\t600\t5\t1";
  CHECK (gk_int_spec_parse (l3, &e, &why) == 1 && e.major == 5 && e.minor == 1 && e.mode == 0600,
         "character device 5,1");
  char l4[] = "f\t/usr/bin/my prog\t-\t/usr/bin/my prog";
  CHECK (gk_int_spec_parse (l4, &e, &why) == 1 && e.mode == -1 && strcmp (e.name, "usr/bin/my prog") == 0
         && strcmp (e.arg, "/usr/bin/my prog") == 0, "host file with a space, host mode");
  char l5[] = "s\tlib/gk/boot-modules\t644\ta\\nb\\\\c\\td\\n";
  CHECK (gk_int_spec_parse (l5, &e, &why) == 1 && e.arglen == 8 && memcmp (e.arg, "a\nb\\c\td\n", 8) == 0,
         "text with \\n \\\\ \\t escapes");
  char l6[] = "";
  CHECK (gk_int_spec_parse (l6, &e, &why) == 0, "empty line: no entry");
  const char *bad[] = { "x\ta\t644", "d\t../etc\t755", "d\t/\t755", "d\ta\t999", "d\ta\t-",
                        "f\ta\t644\trelative", "l\ta", "c\ta\t600\t5", "d\ta\t755\textra", "dd\ta\t755" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char buf[64];
    snprintf (buf, sizeof buf, "%s", bad[i]);
    CHECK (gk_int_spec_parse (buf, &e, &why) == -1, "malformed line %zu refused: %s", i, why);
  }
}

static struct gk_int_spec
entry (char *line)
{
  struct gk_int_spec e;
  const char *why;
  if (gk_int_spec_parse (line, &e, &why) != 1) { fprintf (stderr, "bad test line %s\n", line); exit (1); }
  return e;
}

static void
test_newc (const char *dir)
{
  char arch[512], host[512], err[512];
  snprintf (arch, sizeof arch, "%s/a.cpio", dir);
  snprintf (host, sizeof host, "%s/host.txt", dir);
  int h = open (host, O_WRONLY | O_CREAT | O_TRUNC, 0750);
  CHECK (h != -1 && write (h, "hello", 5) == 5 && close (h) == 0, "host file written");
  struct gk_int_newc w = { .fd = open (arch, O_WRONLY | O_CREAT | O_TRUNC, 0644), .ino = 0 };
  char l1[] = "d\tdev\t755", l2[] = "c\tdev/console\t600\t5\t1", l3[] = "l\tsh\tbusybox",
       l4[] = "s\tetc/x\t644\tab\\n";
  char l5[600];
  snprintf (l5, sizeof l5, "f\tinit\t-\t%s", host);
  char *lines[] = { l1, l2, l3, l4, l5 };
  int ok = 1;
  for (int i = 0; i < 5; i++) {
    struct gk_int_spec e = entry (lines[i]);
    if (gk_int_newc_add (&w, &e, err, sizeof err) == -1) { ok = 0; printf ("# %s\n", err); }
  }
  CHECK (ok && gk_int_newc_end (&w, err, sizeof err) == 0 && close (w.fd) == 0, "archive written");

  char buf[4096];
  int fd = open (arch, O_RDONLY);
  ssize_t n = read (fd, buf, sizeof buf);
  close (fd);
  CHECK (n > 0 && n % 4 == 0, "archive length %zd is a multiple of 4", n);
  /* Walk the entries back. */
  const char *want[] = { "dev", "dev/console", "sh", "etc/x", "init", "TRAILER!!!" };
  unsigned wmode[] = { 040755, 020600, 0120777, 0100644, 0100750, 0 };
  const char *wdata[] = { "", "", "busybox", "ab\n", "hello", "" };
  size_t off = 0;
  int i;
  for (i = 0; i < 6 && off + 110 <= (size_t) n; i++) {
    char f[14][9];
    for (int k = 0; k < 13; k++) { memcpy (f[k], buf + off + 6 + 8 * k, 8); f[k][8] = '\0'; }
    unsigned ino = strtoul (f[0], 0, 16), mode = strtoul (f[1], 0, 16), uid = strtoul (f[2], 0, 16),
      mtime = strtoul (f[5], 0, 16), size = strtoul (f[6], 0, 16), rmaj = strtoul (f[9], 0, 16),
      rmin = strtoul (f[10], 0, 16), ns = strtoul (f[11], 0, 16);
    const char *name = buf + off + 110;
    size_t data = off + 110 + ns + (4 - (110 + ns) % 4) % 4;
    CHECK (memcmp (buf + off, "070701", 6) == 0 && ino == (unsigned) i + 1 && uid == 0 && mtime == 0
           && strcmp (name, want[i]) == 0 && ns == strlen (want[i]) + 1 && mode == wmode[i]
           && size == strlen (wdata[i]) && memcmp (buf + data, wdata[i], size) == 0,
           "entry %d: %s mode %o size %u ino %u, root-owned, mtime 0", i, name, mode, size, ino);
    if (i == 1) CHECK (rmaj == 5 && rmin == 1, "console is 5,1");
    off = data + size + (4 - size % 4) % 4;
  }
  CHECK (i == 6 && off == (size_t) n, "six entries, the trailer last, nothing after");

  snprintf (l5, sizeof l5, "f\tinit\t755\t%s/missing", dir);
  struct gk_int_spec e = entry (l5);
  w.fd = open (arch, O_WRONLY | O_TRUNC);
  CHECK (gk_int_newc_add (&w, &e, err, sizeof err) == -1 && strstr (err, "missing")
         && strstr (err, "No such file"), "a missing host file is named: %s", err);
  snprintf (l5, sizeof l5, "f\tinit\t755\t%s", dir);
  e = entry (l5);
  CHECK (gk_int_newc_add (&w, &e, err, sizeof err) == -1, "a directory as a host file is refused: %s", err);
  close (w.fd);
}

static void
test_tree (const char *dir)
{
  char root[512], host[512], err[512], l[700];
  snprintf (root, sizeof root, "%s/root", dir);
  snprintf (host, sizeof host, "%s/host.txt", dir);
  mkdir (root, 0755);
  int dfd = open (root, O_RDONLY | O_DIRECTORY);
  struct timespec old[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
  utimensat (AT_FDCWD, host, old, 0);
  const char *lines[] = { "d\ttmp\t1777", "l\tusr/bin/sh\tbusybox", "s\tetc/lvm/x\t600\tab\\n",
                          "c\tdev/console\t600\t5\t1", "s\tetc/lvm/x\t644\tsecond" };
  int ok = 1;
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    snprintf (l, sizeof l, "%s", lines[i]);
    struct gk_int_spec e = entry (l);
    if (gk_int_tree_add (dfd, &e, err, sizeof err) == -1) { ok = 0; printf ("# %s\n", err); }
  }
  snprintf (l, sizeof l, "f\tusr/bin/prog\t-\t%s", host);
  struct gk_int_spec e = entry (l);
  if (gk_int_tree_add (dfd, &e, err, sizeof err) == -1) { ok = 0; printf ("# %s\n", err); }
  CHECK (ok, "entries created");
  struct stat st;
  char buf[64] = "";
  CHECK (fstatat (dfd, "tmp", &st, 0) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 01777,
         "tmp is 1777 whatever the umask");
  ssize_t n = readlinkat (dfd, "usr/bin/sh", buf, sizeof buf - 1);
  CHECK (n == 7 && memcmp (buf, "busybox", 7) == 0, "link made, its parents created");
  int fd = openat (dfd, "etc/lvm/x", O_RDONLY);
  n = fd == -1 ? -1 : read (fd, buf, sizeof buf);
  CHECK (n == 3 && memcmp (buf, "ab\n", 3) == 0 && fstat (fd, &st) == 0 && (st.st_mode & 0777) == 0600,
         "text file: the first entry wins, mode 600");
  if (fd != -1) close (fd);
  CHECK (fstatat (dfd, "dev/console", &st, AT_SYMLINK_NOFOLLOW) == -1, "no device node in a tree");
  fd = openat (dfd, "usr/bin/prog", O_RDONLY);
  n = fd == -1 ? -1 : read (fd, buf, sizeof buf);
  CHECK (n == 5 && memcmp (buf, "hello", 5) == 0 && fstat (fd, &st) == 0
         && (st.st_mode & 0777) == 0750 && st.st_mtim.tv_sec == 1000000000,
         "host file copied with its mode and mtime");
  if (fd != -1) close (fd);
  snprintf (l, sizeof l, "f\tusr/bin/none\t-\t%s/none", dir);
  e = entry (l);
  CHECK (gk_int_tree_add (dfd, &e, err, sizeof err) == -1 && strstr (err, "/none"),
         "a missing host file is named: %s", err);
  close (dfd);
}

static void
moddeps (const char *flavour, const char *list, const char *want, int ret)
{
  char dep[] = "kernel/a.ko: kernel/x/b.ko kernel/c-d.ko\n"
               "kernel/x/b.ko: kernel/c-d.ko\n"
               "kernel/c-d.ko:\n"
               "kernel/e.ko.zst:\n";
  char *l = strdup (list), *out = NULL, err[256] = "";
  size_t len;
  FILE *f = open_memstream (&out, &len);
  int r = gk_int_moddeps_resolve (dep, "kernel/fs/ext4/ext4.ko\n", l, flavour, f, err, sizeof err);
  fclose (f);
  CHECK (r == ret && (ret == -1 || strcmp (out, want) == 0), "modules.list resolved for %s%s%s",
         flavour, ret == -1 ? ", refused: " : " in load order", err);
  if (r != ret || (ret == 0 && strcmp (out, want) != 0)) printf ("# got:\n%s# want:\n%s", out, want);
  free (out);
  free (l);
}

int
main (void)
{
  char dir[] = "/tmp/test-appliance-tools.XXXXXX";
  if (!mkdtemp (dir)) { perror ("mkdtemp"); return 1; }
  test_bzimage ();
  test_elf ();
  test_spec ();
  test_newc (dir);
  test_tree (dir);
  moddeps ("qemu", "a boot\nc_d\next4\nmissing_x\nopt_y?\numl_only uml\ne qemu # comment\n",
           "BUILTIN ext4\nMISSING missing_x\nOPTMISSING opt_y\n"
           "COPY kernel/c-d.ko\nCOPY kernel/x/b.ko\nCOPY kernel/a.ko\nCOPY kernel/e.ko.zst\n"
           "BOOT kernel/c-d.ko\nBOOT kernel/x/b.ko\nBOOT kernel/a.ko\n", 0);
  moddeps ("uml", "a boot qemu\ne? uml\nc-d boot uml\n",
           "COPY kernel/e.ko.zst\nCOPY kernel/c-d.ko\nBOOT kernel/c-d.ko\n", 0);
  moddeps ("qemu", "a bogus\n", "", -1);
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0) printf ("# could not remove %s\n", dir);
  return tap_done ();
}
