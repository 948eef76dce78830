/* guestkit: the inspection parsers (daemon/calls/inspect-parse.c) on the host,
 * without an appliance: right answers on real-looking files, then random
 * and truncated input, which must never crash or read out of bounds (CI
 * runs this under ASan: every buffer below is malloc'd to its exact
 * length, so a read past the end is caught). */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "inspect-parse.h"

/* An exact-length copy without a NUL, so over-reads are detected. */
static char *
exact (const char *s, size_t n)
{
  char *b = malloc (n ? n : 1);
  if (n) memcpy (b, s, n);
  return b;
}

static void
test_os_release (void)
{
  const char *f = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
    "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\n"
    "ID=debian\n# ID=evil\nHOME_URL='https://www.debian.org/'\n";
  struct gk_osrel r;
  char *b = exact (f, strlen (f));
  CHECK (gk_int_parse_os_release (b, strlen (f), &r) == 4, "os-release: 4 keys");
  CHECK (strcmp (r.id, "debian") == 0, "os-release ID: %s", r.id);
  CHECK (strcmp (r.name, "Debian GNU/Linux") == 0, "NAME: %s", r.name);
  CHECK (strcmp (r.pretty_name, "Debian GNU/Linux 12 (bookworm)") == 0,
         "PRETTY_NAME: %s", r.pretty_name);
  CHECK (strcmp (r.version_id, "12") == 0, "VERSION_ID: %s", r.version_id);
  free (b);

  const char *g = "ID=\"a\\\"b\\\\\"\nNAME='x y' # c\r\nVERSION_ID=22.04";
  b = exact (g, strlen (g));
  gk_int_parse_os_release (b, strlen (g), &r);
  CHECK (strcmp (r.id, "a\"b\\") == 0, "escapes in double quotes: %s", r.id);
  CHECK (strcmp (r.name, "x y") == 0, "single quotes, comment, CRLF: %s", r.name);
  CHECK (strcmp (r.version_id, "22.04") == 0, "last line without newline");
  free (b);

  const char *h = "ID=\"\001\033[31mred\n";  /* control chars, no end quote */
  b = exact (h, strlen (h));
  gk_int_parse_os_release (b, strlen (h), &r);
  CHECK (strcmp (r.id, "[31mred") == 0, "control characters dropped: %s", r.id);
  free (b);

  char big[2000];
  memset (big, 'x', sizeof big);
  memcpy (big, "NAME=", 5);
  b = exact (big, sizeof big);
  gk_int_parse_os_release (b, sizeof big, &r);
  CHECK (strlen (r.name) == sizeof r.name - 1, "long value truncated to %zu",
         strlen (r.name));
  free (b);
}

static void
test_versions (void)
{
  int ma = -1, mi = -1;
  CHECK (gk_int_parse_version ("12", 2, &ma, &mi) == 0 && ma == 12 && mi == 0, "12");
  CHECK (gk_int_parse_version ("22.04", 5, &ma, &mi) == 0 && ma == 22 && mi == 4, "22.04");
  CHECK (gk_int_parse_version ("7.9.2009", 8, &ma, &mi) == 0 && ma == 7 && mi == 9, "7.9.2009");
  CHECK (gk_int_parse_version ("bookworm/sid", 12, &ma, &mi) == -1, "not a number");
  CHECK (gk_int_parse_version ("99999999999999", 14, &ma, &mi) == -1, "overflow refused");
  CHECK (gk_int_parse_version ("12.", 3, &ma, &mi) == 0 && ma == 12 && mi == 0, "12.");

  char d[32], p[64];
  const char *rh = "Red Hat Enterprise Linux release 9.3 (Plow)\nmore";
  CHECK (gk_int_parse_redhat_release (rh, strlen (rh), d, sizeof d, p, sizeof p, &ma, &mi) == 0
         && strcmp (d, "rhel") == 0 && ma == 9 && mi == 3
         && strcmp (p, "Red Hat Enterprise Linux release 9.3 (Plow)") == 0,
         "redhat-release: %s %d.%d %s", d, ma, mi, p);
  rh = "Fedora release 39 (Thirty Nine)";
  CHECK (gk_int_parse_redhat_release (rh, strlen (rh), d, sizeof d, p, sizeof p, &ma, &mi) == 0
         && strcmp (d, "fedora") == 0 && ma == 39 && mi == 0, "fedora-release");
  CHECK (gk_int_parse_redhat_release ("junk", 4, d, sizeof d, p, sizeof p, &ma, &mi) == -1,
         "junk release file");

  gk_int_distro_from_id ("rhel", d, sizeof d);
  CHECK (strcmp (d, "rhel") == 0, "ID rhel");
  gk_int_distro_from_id ("arch", d, sizeof d);
  CHECK (strcmp (d, "archlinux") == 0, "ID arch -> archlinux");
  gk_int_distro_from_id ("debian", d, sizeof d);
  CHECK (strcmp (d, "debian") == 0, "ID debian");
  gk_int_distro_from_id ("../x y", d, sizeof d);
  CHECK (strcmp (d, "unknown") == 0, "odd ID -> unknown");
  gk_int_distro_from_id ("", d, sizeof d);
  CHECK (strcmp (d, "unknown") == 0, "empty ID -> unknown");
}

static void
test_fstab (void)
{
  struct gk_fstab_ent e;
  char l1[] = "UUID=1234-abcd  /  ext4  errors=remount-ro 0 1";
  CHECK (gk_int_parse_fstab_line (l1, &e) == 1 && strcmp (e.spec, "UUID=1234-abcd") == 0
         && strcmp (e.file, "/") == 0 && strcmp (e.vfstype, "ext4") == 0
         && gk_int_fstab_kind (&e) == 1, "fstab UUID= root");
  char l2[] = "  # /dev/sda9 /x ext4";
  CHECK (gk_int_parse_fstab_line (l2, &e) == 0, "comment");
  char l3[] = "LABEL=my\\040home /home\\040dir ext4";
  CHECK (gk_int_parse_fstab_line (l3, &e) == 1 && strcmp (e.spec, "LABEL=my home") == 0
         && strcmp (e.file, "/home dir") == 0 && strcmp (e.opts, "defaults") == 0,
         "octal escapes, no options");
  char l4[] = "/dev/sda3 none swap sw 0 0";
  CHECK (gk_int_parse_fstab_line (l4, &e) == 1 && gk_int_fstab_kind (&e) == 2, "swap");
  char l5[] = "proc /proc proc defaults";
  CHECK (gk_int_parse_fstab_line (l5, &e) == 1 && gk_int_fstab_kind (&e) == 0, "proc skipped");
  char l6[] = "server:/export /mnt ext4 defaults";
  CHECK (gk_int_parse_fstab_line (l6, &e) == 1 && gk_int_fstab_kind (&e) == 0, "nfs-like skipped");
  char l7[] = "/srv /var/srv none bind";
  CHECK (gk_int_parse_fstab_line (l7, &e) == 1 && gk_int_fstab_kind (&e) == 0, "bind skipped");
  char l8[] = "/dev/sda1 /a/../../etc ext4";
  CHECK (gk_int_parse_fstab_line (l8, &e) == 1 && gk_int_fstab_kind (&e) == 0, ".. refused");
  char l9[] = "/dev/sda1 relative ext4";
  CHECK (gk_int_parse_fstab_line (l9, &e) == 1 && gk_int_fstab_kind (&e) == 0, "relative refused");
  char l10[] = "/dev/sda1 /";
  CHECK (gk_int_parse_fstab_line (l10, &e) == 0, "two fields: malformed");
  char l12[] = "/dev/sda1 //home/./user// ext4";
  CHECK (gk_int_parse_fstab_line (l12, &e) == 1 && strcmp (e.file, "/home/user") == 0,
         "mount point cleaned: %s", e.file);
  char l13[] = "/dev/sda1 /// ext4";
  CHECK (gk_int_parse_fstab_line (l13, &e) == 1 && strcmp (e.file, "/") == 0,
         "/// is /: %s", e.file);
  char l14[] = "/dev/sda1 /a/.. ext4";
  CHECK (gk_int_parse_fstab_line (l14, &e) == 1 && gk_int_fstab_kind (&e) == 0,
         "trailing .. still refused");
  char l11[] = "/dev/sda1 /x\\001y ext4";
  CHECK (gk_int_parse_fstab_line (l11, &e) == 1 && gk_int_fstab_kind (&e) == 0,
         "control character in mount point refused");
}

struct apps { int n; char last[128]; char ver[128]; char rel[128]; long ep; };

static int
app_cb (void *opaque, const struct gk_dpkg_pkg *p)
{
  struct apps *a = opaque;
  a->n++;
  strcpy (a->last, p->name);
  strcpy (a->ver, p->version);
  strcpy (a->rel, p->release);
  a->ep = (long) p->epoch;
  return 0;
}

static void
feed_db (const char *text, size_t len, struct apps *a,
         void (*line_fn) (struct gk_dpkg_parser *, const char *, size_t))
{
  struct gk_dpkg_parser p;
  memset (a, 0, sizeof *a);
  gk_int_dpkg_init (&p, app_cb, a);
  const char *s = text, *end = text + len;
  while (s < end) {
    const char *nl = memchr (s, '\n', (size_t) (end - s));
    size_t n = nl ? (size_t) (nl - s) : (size_t) (end - s);
    char *line = exact (s, n);
    line_fn (&p, line, n);
    free (line);
    s = nl ? nl + 1 : end;
  }
  gk_int_dpkg_end (&p);
}

static void
test_dpkg (void)
{
  const char *st = "Package: base-files\nEssential: yes\nStatus: install ok installed\n"
    "Version: 12.4+deb12u5\nArchitecture: amd64\nDescription: x\n foo\n .\n\n"
    "Package: removed\nStatus: deinstall ok config-files\nVersion: 1.0-1\n\n"
    "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n";
  struct apps a;
  feed_db (st, strlen (st), &a, gk_int_dpkg_line);
  CHECK (a.n == 2, "dpkg: 2 installed packages (got %d)", a.n);
  CHECK (strcmp (a.last, "zlib1g") == 0 && a.ep == 1 && strcmp (a.ver, "1.2.13.dfsg") == 0
         && strcmp (a.rel, "1") == 0, "epoch/version/release: %ld %s %s", a.ep, a.ver, a.rel);
  struct gk_dpkg_pkg p;
  gk_int_dpkg_split_version ("12.4+deb12u5", 12, &p);
  CHECK (strcmp (p.version, "12.4+deb12u5") == 0 && p.release[0] == '\0' && p.epoch == 0,
         "native version has no revision");
  gk_int_dpkg_split_version ("x:1-2-3", 7, &p);
  CHECK (p.epoch == 0 && strcmp (p.version, "1-2") == 0 && strcmp (p.release, "3") == 0,
         "bad epoch ignored, last hyphen splits");
  gk_int_dpkg_split_version ("99999999999:1", 13, &p);
  CHECK (p.epoch == 0, "huge epoch refused");
}

static void
test_apk_rpm (void)
{
  const char *db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nT:the C library\n\n"
    "P:busybox\nV:1.36.1-r5\nA:x86_64\n\nV:no-name-1\n\nP:last\nV:3\n";
  struct apps a;
  feed_db (db, strlen (db), &a, gk_int_apk_line);
  CHECK (a.n == 3, "apk: 3 packages, the nameless record skipped (got %d)", a.n);
  CHECK (strcmp (a.last, "last") == 0 && strcmp (a.ver, "3") == 0 && a.rel[0] == '\0',
         "apk: last record without newline or release: %s %s [%s]", a.last, a.ver, a.rel);
  feed_db (db, 44, &a, gk_int_apk_line);
  CHECK (a.n == 1 && strcmp (a.ver, "1.2.4") == 0 && strcmp (a.rel, "r2") == 0,
         "apk: version and release split: %s %s", a.ver, a.rel);

  struct gk_dpkg_pkg p;
  const char *l = "bash\t0\t5.2.26\t1.fc39\tx86_64";
  CHECK (gk_int_parse_rpm_line (l, strlen (l), &p) == 1 && strcmp (p.name, "bash") == 0
         && p.epoch == 0 && strcmp (p.version, "5.2.26") == 0
         && strcmp (p.release, "1.fc39") == 0 && strcmp (p.arch, "x86_64") == 0,
         "rpm line: fields");
  l = "shadow-utils\t2\t4.14.0\t2.fc39\tx86_64";
  CHECK (gk_int_parse_rpm_line (l, strlen (l), &p) == 1 && p.epoch == 2, "rpm line: epoch");
  static const char *const bad[] = {
    "a\t0\t1\t2", "a\t0\t1\t2\t3\t4", "\t0\t1\t2\tnoarch", "a\t(none)\t1\t2\tx",
    "a\t9999999999\t1\t2\tx", "a\t\t1\t2\tx", "", NULL
  };
  int refused = 0;
  for (size_t i = 0; bad[i]; i++)
    refused += gk_int_parse_rpm_line (bad[i], strlen (bad[i]), &p) == 0;
  CHECK (refused == 7, "rpm line: malformed lines refused (%d of 7)", refused);
  const char *desc = "%NAME%\nbash\n\n%VERSION%\n1:5.2.026-2\n\n%BASE%\nbash\n\n"
    "%ARCH%\nx86_64\n";
  CHECK (gk_int_pacman_desc (desc, strlen (desc), &p) == 1 && strcmp (p.name, "bash") == 0
         && p.epoch == 1 && strcmp (p.version, "5.2.026") == 0 && strcmp (p.release, "2") == 0
         && strcmp (p.arch, "x86_64") == 0, "pacman desc: fields");
  CHECK (gk_int_pacman_desc (desc, 20, &p) == 0, "pacman desc: no version, no package");
  char ctl[] = "a\033[31m\t0\t1\t2\tnoarch";
  CHECK (gk_int_parse_rpm_line (ctl, strlen (ctl), &p) == 1 && strcmp (p.name, "a[31m") == 0,
         "rpm line: control characters dropped");
}

static void
test_exec (void)
{
  unsigned char elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
  elf[18] = 62;
  unsigned char *b = (unsigned char *) exact ((char *) elf, sizeof elf);
  CHECK (gk_int_elf_arch (b, 64) && strcmp (gk_int_elf_arch (b, 64), "x86_64") == 0, "ELF x86_64");
  b[18] = 183;
  CHECK (strcmp (gk_int_elf_arch (b, 64), "aarch64") == 0, "ELF aarch64");
  b[4] = 1; b[18] = 3;
  CHECK (strcmp (gk_int_elf_arch (b, 64), "i386") == 0, "ELF i386");
  CHECK (gk_int_elf_arch (b, 19) == NULL, "truncated ELF");
  b[0] = 0;
  CHECK (gk_int_elf_arch (b, 64) == NULL, "not ELF");
  free (b);

  unsigned char pe[0x100] = { 'M', 'Z' };
  pe[0x3c] = 0x80;
  memcpy (pe + 0x80, "PE\0\0\x64\x86", 6);
  b = (unsigned char *) exact ((char *) pe, sizeof pe);
  CHECK (gk_int_pe_arch (b, sizeof pe) && strcmp (gk_int_pe_arch (b, sizeof pe), "x86_64") == 0,
         "PE x86_64");
  CHECK (gk_int_pe_arch (b, 0x84) == NULL, "PE header cut short");
  b[0x3c] = 0xff; b[0x3d] = 0xff; b[0x3e] = 0xff; b[0x3f] = 0xff;
  CHECK (gk_int_pe_arch (b, sizeof pe) == NULL, "e_lfanew past the end");
  free (b);

  char out[16];
  gk_int_first_line ("  host.example \n second", 23, out, sizeof out);
  CHECK (strcmp (out, "host.example") == 0, "first line trimmed: %s", out);
  gk_int_first_line ("", 0, out, sizeof out);
  CHECK (out[0] == '\0', "empty file");
}

/* 1 if S is NUL-terminated within CAP bytes and has no control byte. */
static int
clean (const char *s, size_t cap)
{
  if (!memchr (s, '\0', cap)) return 0;
  for (const unsigned char *c = (const unsigned char *) s; *c; c++)
    if (*c < 0x20 || *c == 0x7f) return 0;
  return 1;
}

/* A mount point inspection would mount: absolute, no "", "." or ".."
 * component, no control byte. */
static int
sane_mp (const char *m)
{
  if (m[0] != '/' || !clean (m, strlen (m) + 1)) return 0;
  if (strcmp (m, "/") == 0) return 1;
  for (const char *p = m + 1;;) {
    size_t n = strcspn (p, "/");
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return 0;
    if (!p[n]) return 1;
    p += n + 1;
  }
}

/* Random bytes through every parser (CI runs this under ASan: buffers are
 * exact-length).  Each result must keep the parser's promises: strings
 * terminated and free of control bytes, versions only from a leading
 * number, architectures only from the magic, mount points sane. */
static void
fuzz (void)
{
  srand (12345);
  static const char alphabet[] = "=\"'\\\n\r\t #:-.0123456789ID_NAMEVRSOPackgtus/\177\001";
  int strings = 0, versions = 0, arch = 0, lines = 0, mounts = 0, mounted = 0;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = (size_t) (rand () % 600);
    char *b = malloc (n ? n : 1);
    for (size_t i = 0; i < n; i++)
      b[i] = iter % 2 ? (char) rand () : alphabet[rand () % (sizeof alphabet - 1)];
    struct gk_osrel r;
    gk_int_parse_os_release (b, n, &r);
    if (!clean (r.id, sizeof r.id) || !clean (r.name, sizeof r.name)
        || !clean (r.pretty_name, sizeof r.pretty_name)
        || !clean (r.version_id, sizeof r.version_id))
      strings++;
    int ma = -1, mi = -1;
    if (gk_int_parse_version (b, n, &ma, &mi) == 0
        && (n == 0 || b[0] < '0' || b[0] > '9' || ma < 0 || mi < 0))
      versions++;
    char d[32], p[64];
    gk_int_parse_redhat_release (b, n, d, sizeof d, p, sizeof p, &ma, &mi);
    if (!clean (d, sizeof d) || !clean (p, sizeof p)) strings++;
    gk_int_first_line (b, n, p, sizeof p);
    size_t pl = strlen (p);
    if (!clean (p, sizeof p) || (pl && (p[0] == ' ' || p[pl - 1] == ' '))) lines++;
    if (gk_int_elf_arch ((unsigned char *) b, n) && (n < 20 || memcmp (b, "\177ELF", 4)))
      arch++;
    if (gk_int_pe_arch ((unsigned char *) b, n) && (n < 64 || b[0] != 'M' || b[1] != 'Z'))
      arch++;
    struct apps a;
    feed_db (b, n, &a, gk_int_dpkg_line);
    feed_db (b, n, &a, gk_int_apk_line);
    struct gk_dpkg_pkg rp;
    if (gk_int_parse_rpm_line (b, n, &rp) && !clean (rp.name, sizeof rp.name)) strings++;
    if (gk_int_pacman_desc (b, n, &rp) && (!clean (rp.name, sizeof rp.name)
                                           || !clean (rp.version, sizeof rp.version)))
      strings++;
    char *line = malloc (n + 1);
    memcpy (line, b, n);
    line[n] = '\0';
    struct gk_fstab_ent e;
    if (gk_int_parse_fstab_line (line, &e) == 1 && gk_int_fstab_kind (&e) == 1) {
      mounted++;
      if (!sane_mp (e.file)) mounts++;
    }
    free (line);
    free (b);
  }
  CHECK (strings == 0, "random files: os-release/redhat fields terminated, no control bytes (%d bad)",
         strings);
  CHECK (versions == 0, "random files: versions only from a leading number (%d bad)", versions);
  CHECK (lines == 0, "random files: first lines trimmed and clean (%d bad)", lines);
  CHECK (arch == 0, "random files: ELF/PE architecture only with the magic (%d bad)", arch);
  CHECK (mounts == 0, "random fstab lines: %d to mount, all sane mount points (%d bad)",
         mounted, mounts);
}

int
main (void)
{
  test_os_release ();
  test_versions ();
  test_fstab ();
  test_dpkg ();
  test_apk_rpm ();
  test_exec ();
  fuzz ();
  return tap_done ();
}
