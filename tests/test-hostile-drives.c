/* Hostile drive files and what the VM opens (issue 11):
 * - the qcow2 probe (lib/qcow2-probe.c) on real and crafted headers, and
 *   on every truncation of one (exact-size buffers: a read past the end
 *   shows under the sanitizers);
 * - add-drive refuses a qcow2 external data file (incompatible bit 2 or
 *   the data-file extension) unless allow_data_file, unknown
 *   incompatible bits, malformed headers; launch checks again;
 * - on a real appliance: a guest writes a qcow2 header naming a host
 *   file into sector 0 of a writable raw drive; the next session,
 *   detecting the format or told raw, refuses it;
 * - the file swapped (renamed over, or replaced by a symbolic link to
 *   another file) between add-drive and launch: the VM still reads and
 *   writes the file add-drive checked, writable and read-only;
 * - a cache directory named with qemu option syntax (',') is harmless;
 * - UML: a writable image holding a UML COW header is refused; a UML
 *   kernel that panics at boot ends the launch at once (no 120 s wait)
 *   and leaves no process.
 * Boots three qemu appliances (and one UML boot that panics). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "guestkit.h"
#include "qcow2-probe.h"
#include "tap.h"
#include "testutil.h"

static char dir[] = "/tmp/gk-hostile-drives-XXXXXX";

static void
path (char *buf, size_t n, const char *name)
{
  snprintf (buf, n, "%s/%s", dir, name);
}

static void
put32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) (v >> 24); p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8); p[3] = (unsigned char) v;
}

static void
put64 (unsigned char *p, uint64_t v)
{
  put32 (p, (uint32_t) (v >> 32)); put32 (p + 4, (uint32_t) v);
}

/* A qcow2 v3 header (64 KiB clusters, 112-byte header) in B (4096
 * bytes), with INCOMPAT bits and, when EXT, one extension of EXT_LEN
 * bytes holding "/etc/passwd". */
static void
mk_v3 (unsigned char *b, uint64_t incompat, uint32_t ext, uint32_t ext_len)
{
  memset (b, 0, 4096);
  put32 (b, 0x514649fb); put32 (b + 4, 3); put32 (b + 20, 16);
  put64 (b + 24, 1 << 20); put64 (b + 72, incompat);
  put32 (b + 96, 4); put32 (b + 100, 112);
  if (ext) {
    put32 (b + 112, ext); put32 (b + 116, ext_len);
    memcpy (b + 120, "/etc/passwd", 11);
  }
}

static int
probe_file (const char *p, struct gk_int_qcow2_info *q, unsigned char **buf_r, size_t *len_r)
{
  static unsigned char b[65536];
  int fd = open (p, O_RDONLY);
  if (fd == -1) return -2;
  ssize_t n = pread (fd, b, sizeof b, 0);
  close (fd);
  if (n < 0) return -2;
  if (buf_r) { *buf_r = b; *len_r = (size_t) n; }
  return gk_int_qcow2_probe (b, (size_t) n, q);
}

/* PATH: TEXT at offset 0 of a 1 MiB file. */
static void
mkfile (const char *p, const char *text)
{
  tu_write_file (p, text, 0600);
  if (truncate (p, 1 << 20) == -1) exit (2);
}

static int
run (const char *cmd)
{
  int r = system (cmd);
  return r == 0 ? 0 : -1;
}

static void
test_probe (int have_qemu_img)
{
  struct gk_int_qcow2_info q;
  unsigned char b[4096];
  char p[300], cmd[1000], secret[300];

  memset (b, 0, sizeof b);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 0, "zeros: not qcow2");
  CHECK (gk_int_qcow2_probe (b, 0, &q) == 0, "empty: not qcow2");
  mk_v3 (b, 0, 0, 0);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 1 && q.version == 3 && !q.has_backing
         && !q.has_data_file && q.incompatible == 0, "plain v3 header");
  mk_v3 (b, 4, 0, 0);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 1 && q.has_data_file,
         "incompatible bit 2 alone: external data file");
  mk_v3 (b, 0, GK_QCOW2_EXT_DATA_FILE, 11);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 1 && q.has_data_file,
         "data-file extension alone: external data file");
  mk_v3 (b, 1 << 5, 0, 0);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 1 && (q.incompatible & ~GK_QCOW2_INCOMPAT_KNOWN),
         "unknown incompatible bit reported");
  mk_v3 (b, 0, 0x12345678, 1u << 20);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == -1 && q.why, "extension longer than its area: %s",
         q.why ? q.why : "(none)");
  mk_v3 (b, 0, 0, 0);
  put32 (b + 20, 30);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == -1, "absurd cluster size refused");
  mk_v3 (b, 0, 0, 0);
  put32 (b + 4, 4);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == -1, "unknown version refused");
  mk_v3 (b, 0, 0, 0);
  put32 (b + 100, 64);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == -1, "v3 header length below 104 refused");
  mk_v3 (b, 0, 0, 0);
  put64 (b + 8, 512); put32 (b + 16, 11);
  CHECK (gk_int_qcow2_probe (b, sizeof b, &q) == 1 && q.has_backing, "backing file seen");

  /* Every truncation of a header with a data-file extension: never
   * "qcow2 without a data file". */
  mk_v3 (b, 0, GK_QCOW2_EXT_DATA_FILE, 11);
  int wrong = 0;
  for (size_t len = 0; len <= 200; len++) {
    unsigned char *e = malloc (len ? len : 1);
    memcpy (e, b, len);
    int r = gk_int_qcow2_probe (e, len, &q);
    if (r == 1 && !q.has_data_file) wrong++;
    if (len >= 4 && r == 0) wrong++;
    if (r == -1 && !q.why) wrong++;
    free (e);
  }
  CHECK (wrong == 0, "each truncation is refused or sees the data file (%d wrong)", wrong);

  if (!have_qemu_img) { printf ("# qemu-img missing: real image checks skipped\n"); return; }
  path (secret, sizeof secret, "secret");
  path (p, sizeof p, "v2.qcow2");
  snprintf (cmd, sizeof cmd, "qemu-img create -q -f qcow2 -o compat=0.10 %s 1M", p);
  CHECK (run (cmd) == 0 && probe_file (p, &q, NULL, NULL) == 1 && q.version == 2
         && !q.has_data_file && !q.has_backing, "qemu-img v2 image");
  path (p, sizeof p, "evil.qcow2");
  snprintf (cmd, sizeof cmd, "qemu-img create -q -f qcow2 -o data_file=%s,data_file_raw=on %s 1M",
            secret, p);
  unsigned char *buf; size_t len;
  CHECK (run (cmd) == 0 && probe_file (p, &q, &buf, &len) == 1 && q.has_data_file
         && (q.incompatible & GK_QCOW2_INCOMPAT_DATA_FILE), "qemu-img image with a data file");
  wrong = 0;
  for (size_t l = 0; l <= 1024 && l <= len; l++) {
    unsigned char *e = malloc (l ? l : 1);
    memcpy (e, buf, l);
    int r = gk_int_qcow2_probe (e, l, &q);
    if ((r == 1 && !q.has_data_file) || (l >= 4 && r == 0)) wrong++;
    free (e);
  }
  CHECK (wrong == 0, "each truncation of qemu-img's image is refused or sees the data file");
}

static void
test_add_drive (int have_qemu_img)
{
  char p[300], q[300];
  unsigned char b[4096];
  gk_h *g = gk_create ();
  if (!g) exit (2);
  path (p, sizeof p, "unknown-bit.qcow2");
  mk_v3 (b, 1 << 7, 0, 0);
  FILE *f = fopen (p, "w");
  if (!f || fwrite (b, 1, sizeof b, f) != sizeof b || fclose (f) != 0) exit (2);
  CHECK (gk_add_drive (g, p, NULL) == -1 && strstr (gk_last_error (g), "unknown incompatible"),
         "unknown incompatible feature bit refused: %s", gk_last_error (g));
  path (p, sizeof p, "bad.qcow2");
  mk_v3 (b, 0, 0x12345678, 1u << 20);
  f = fopen (p, "w");
  if (!f || fwrite (b, 1, sizeof b, f) != sizeof b || fclose (f) != 0) exit (2);
  CHECK (gk_add_drive (g, p, NULL) == -1 && strstr (gk_last_error (g), "malformed"),
         "malformed qcow2 header refused: %s", gk_last_error (g));

  if (have_qemu_img) {
    path (p, sizeof p, "evil.qcow2");
    struct gk_add_drive_opts o = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
    CHECK (gk_add_drive (g, p, &o) == -1 && gk_last_errno (g) == EPERM
           && strstr (gk_last_error (g), "data file"),
           "data-file image refused, even read-only: %s", gk_last_error (g));
    o.bitmask |= GK_ADD_DRIVE_FORMAT; o.format = "qcow2";
    CHECK (gk_add_drive (g, p, &o) == -1 && gk_last_errno (g) == EPERM,
           "... and with format qcow2");
    o.format = "raw";
    CHECK (gk_add_drive (g, p, &o) == -1 && strstr (gk_last_error (g), "qcow2 header"),
           "... and with format raw: %s", gk_last_error (g));
    o.bitmask = GK_ADD_DRIVE_ALLOW_DATA_FILE | GK_ADD_DRIVE_READONLY;
    o.allow_data_file = 1;
    CHECK (gk_add_drive (g, p, &o) == 0, "allow_data_file accepts it: %s",
           gk_last_error (g) ? gk_last_error (g) : "");
  }
  gk_close (g);

  /* The content changes after add-drive (same file): launch looks again,
   * before any VM starts. */
  g = gk_create ();
  if (!g) exit (2);
  path (q, sizeof q, "changes.img");
  tu_mkimage (q, 1 << 20);
  CHECK (gk_add_drive (g, q, NULL) == 0, "raw image added (format detected)");
  mk_v3 (b, 0, GK_QCOW2_EXT_DATA_FILE, 11);
  int fd = open (q, O_WRONLY);
  if (fd == -1 || pwrite (fd, b, sizeof b, 0) != (ssize_t) sizeof b) exit (2);
  close (fd);
  CHECK (gk_launch (g) == -1 && strstr (gk_last_error (g), "qcow2 header"),
         "a qcow2 header written after add-drive is refused at launch: %s", gk_last_error (g));
  gk_close (g);
}

static int
read_at (const char *p, char *buf, size_t n)
{
  int fd = open (p, O_RDONLY);
  if (fd == -1) return -1;
  ssize_t r = pread (fd, buf, n, 0);
  close (fd);
  return r == (ssize_t) n ? 0 : -1;
}

/* Appliance 1: three drives swapped between add-drive and launch; the
 * guest then plants a qcow2 header (data file: SECRET) in sector 0 of
 * the first.  Appliance 2 (with allow_data_file): the header works as
 * the attack meant (so the refusal is what protects). */
static void
test_vm (int have_qemu_img)
{
  char a[300], a_moved[300], bsym[300], other[300], r[300], r_moved[300], secret[300];
  char evil[300], b_orig[300];
  path (b_orig, sizeof b_orig, "b-orig.img");
  path (a, sizeof a, "a.img"); path (a_moved, sizeof a_moved, "a-moved.img");
  path (bsym, sizeof bsym, "b.img"); path (other, sizeof other, "other.img");
  path (r, sizeof r, "r.img"); path (r_moved, sizeof r_moved, "r-moved.img");
  path (secret, sizeof secret, "secret"); path (evil, sizeof evil, "evil.qcow2");
  mkfile (a, "AAAAAAAA");
  mkfile (bsym, "BBBBBBBB");
  mkfile (other, "OTHEROTH");
  mkfile (r, "RRRRRRRR");

  gk_h *g = gk_create ();
  if (!g) exit (2);
  struct gk_add_drive_opts raw = { .bitmask = GK_ADD_DRIVE_FORMAT, .format = "raw" };
  struct gk_add_drive_opts ro = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
  if (gk_add_drive (g, a, &raw) == -1 || gk_add_drive (g, bsym, NULL) == -1
      || gk_add_drive (g, r, &ro) == -1) {
    CHECK (0, "add drives: %s", gk_last_error (g));
    gk_close (g);
    return;
  }
  /* The swaps: A renamed away and a new file in its place; B replaced by
   * a symbolic link to OTHER; read-only R renamed away and replaced. */
  if (rename (a, a_moved) == -1 || link (bsym, b_orig) == -1 || unlink (bsym) == -1
      || symlink (other, bsym) == -1 || rename (r, r_moved) == -1)
    exit (2);
  mkfile (a, "NEWFILE!");
  mkfile (r, "NEWFILE!");
  if (gk_launch (g) == -1) {
    CHECK (0, "launch: %s", gk_last_error (g));
    gk_close (g);
    return;
  }
  size_t n = 0;
  char *s = gk_pread_device (g, "/dev/sda", 8, 0, &n);
  CHECK (s && n == 8 && memcmp (s, "AAAAAAAA", 8) == 0,
         "renamed-over drive: the VM reads the file add-drive checked (%.8s)", s ? s : "");
  free (s);
  s = gk_pread_device (g, "/dev/sdb", 8, 0, &n);
  CHECK (s && n == 8 && memcmp (s, "BBBBBBBB", 8) == 0,
         "drive replaced by a symbolic link: the VM reads the original (%.8s)", s ? s : "");
  free (s);
  s = gk_pread_device (g, "/dev/sdc", 8, 0, &n);
  CHECK (s && n == 8 && memcmp (s, "RRRRRRRR", 8) == 0,
         "read-only drive renamed over: the VM reads the original (%.8s)", s ? s : "");
  free (s);
  CHECK (gk_pwrite_device (g, "/dev/sdb", "WRITTEN!", 8, 0) == 8, "write to the swapped drive");

  /* The guest plants a qcow2 image naming SECRET in sector 0 of A. */
  int planted = 0;
  if (have_qemu_img) {
    int fd = open (evil, O_RDONLY);
    static char buf[1 << 20];
    ssize_t len = fd == -1 ? -1 : read (fd, buf, sizeof buf);
    if (fd != -1) close (fd);
    planted = len > 0;
    for (ssize_t off = 0; planted && off < len; off += 32768) {
      size_t c = (size_t) (len - off < 32768 ? len - off : 32768);
      if (gk_pwrite_device (g, "/dev/sda", buf + off, c, off) == -1) planted = 0;
    }
    CHECK (planted, "guest wrote a qcow2 header with a data file into its raw disk");
  }
  CHECK (gk_shutdown (g) == 0, "shutdown: %s", gk_last_error (g) ? gk_last_error (g) : "");
  gk_close (g);

  char got[8];
  CHECK (read_at (bsym, got, 8) == 0 && memcmp (got, "OTHEROTH", 8) == 0
         && read_at (b_orig, got, 8) == 0 && memcmp (got, "WRITTEN!", 8) == 0,
         "the write went to the file add-drive checked, not to the link's target");
  CHECK (read_at (a, got, 8) == 0 && memcmp (got, "NEWFILE!", 8) == 0
         && read_at (r, got, 8) == 0 && memcmp (got, "NEWFILE!", 8) == 0,
         "the files put in their place are untouched");
  if (!planted) return;

  /* Next session: the header is refused, detected or not. */
  g = gk_create ();
  if (!g) exit (2);
  CHECK (gk_add_drive (g, a_moved, NULL) == -1 && gk_last_errno (g) == EPERM
         && strstr (gk_last_error (g), "data file"),
         "next session, format detected: refused (%s)", gk_last_error (g));
  CHECK (gk_add_drive (g, a_moved, &raw) == -1 && strstr (gk_last_error (g), "qcow2 header"),
         "next session, format raw: refused (%s)", gk_last_error (g));
  gk_close (g);

  /* What the refusal prevents: allowed, the guest reads SECRET. */
  tu_write_file (secret, "TOPSECRET", 0600);
  g = gk_create ();
  if (!g) exit (2);
  struct gk_add_drive_opts allow = { .bitmask = GK_ADD_DRIVE_ALLOW_DATA_FILE | GK_ADD_DRIVE_READONLY,
                                     .allow_data_file = 1, .readonly = 1 };
  if (gk_add_drive (g, a_moved, &allow) == 0 && gk_launch (g) == 0) {
    s = gk_pread_device (g, "/dev/sda", 9, 0, &n);
    CHECK (s && n == 9 && memcmp (s, "TOPSECRET", 9) == 0,
           "with allow_data_file the planted header maps the host file (%.9s)", s ? s : "");
    free (s);
  }
  else
    CHECK (0, "allow_data_file session: %s", gk_last_error (g));
  gk_close (g);
}

/* Appliance 3: a cache directory whose name holds qemu option syntax
 * (a copy of the current appliance, so nothing is rebuilt): the VM gets
 * the appliance files as descriptors, so the name never reaches qemu. */
static void
test_cache_comma (void)
{
  const char *env = getenv ("GUESTKIT_CACHEDIR");
  char src[300], cache[400], cmd[2400], img[300];
  if (env && *env) snprintf (src, sizeof src, "%s", env);
  else snprintf (src, sizeof src, "/var/tmp/.guestkit-%d", (int) geteuid ());
  snprintf (cache, sizeof cache, "%s/cache,file=evil,format=qcow2", dir);
  snprintf (cmd, sizeof cmd, "mkdir -m 0700 '%s' && cp -a '%s/appliance-qemu' '%s/' && "
            "{ cp '%s/kvm-broken' '%s/' 2>/dev/null; true; }", cache, src, cache, src, cache);
  if (run (cmd) == -1) { printf ("# no appliance in %s to copy: cache name check skipped\n", src); return; }
  setenv ("GUESTKIT_CACHEDIR", cache, 1);
  path (img, sizeof img, "c.img");
  mkfile (img, "CCCCCCCC");
  gk_h *g = gk_create ();
  if (!g) exit (2);
  size_t n = 0;
  char *s = NULL;
  if (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == 0)
    s = gk_pread_device (g, "/dev/sda", 8, 0, &n);
  CHECK (s && n == 8 && memcmp (s, "CCCCCCCC", 8) == 0,
         "cache directory with ',' in its name: the appliance boots from it (%s)",
         gk_last_error (g) ? gk_last_error (g) : "ok");
  free (s);
  gk_close (g);
  if (env) setenv ("GUESTKIT_CACHEDIR", env, 1); else unsetenv ("GUESTKIT_CACHEDIR");
}

/* UML: no boot needed for the COW header refusal (launch checks first). */
static void
test_uml (void)
{
  const char *uml = getenv ("GUESTKIT_UML") ? getenv ("GUESTKIT_UML") : "/usr/bin/linux.uml";
  if (access (uml, X_OK) != 0) { printf ("# %s missing: UML checks skipped\n", uml); return; }
  char p[300];
  path (p, sizeof p, "moo.img");
  unsigned char b[512] = { 0 };
  memcpy (b, "OOOM", 4);
  put32 (b + 4, 3);
  memcpy (b + 32, "/etc/shadow", 11);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd == -1 || pwrite (fd, b, sizeof b, 0) != (ssize_t) sizeof b || ftruncate (fd, 1 << 20) == -1)
    exit (2);
  close (fd);
  gk_h *g = gk_create ();
  if (!g || gk_set_backend (g, "uml") == -1) exit (2);
  CHECK (gk_add_drive (g, p, NULL) == 0 && gk_launch (g) == -1 && gk_last_errno (g) == EPERM
         && strstr (gk_last_error (g), "UML COW header"),
         "UML: writable image with a COW header refused: %s", gk_last_error (g));
  gk_close (g);

  /* A kernel that panics at boot (no init): UML exits on the panic, the
   * launch ends with the console tail, nothing is left running. */
  char wrap[300], marker[64], txt[600];
  path (wrap, sizeof wrap, "uml-panics");
  snprintf (marker, sizeof marker, "rdinit=/gk-no-init-%d", (int) getpid ());
  snprintf (txt, sizeof txt, "#!/bin/sh\nexec %s \"$@\" %s\n", uml, marker);
  tu_write_file (wrap, txt, 0755);
  setenv ("GUESTKIT_UML", wrap, 1);
  path (p, sizeof p, "plain.img");
  tu_mkimage (p, 1 << 20);
  g = gk_create ();
  if (!g || gk_set_backend (g, "uml") == -1) exit (2);
  int r = gk_add_drive (g, p, NULL) == 0 ? gk_launch (g) : 0;
  const char *e = gk_last_error (g) ? gk_last_error (g) : "";
  CHECK (r == -1 && strstr (e, "Kernel panic") && !strstr (e, "timed out"),
         "UML kernel panic at boot: the launch fails at once with the panic: %.200s", e);
  gk_close (g);
  CHECK (tu_procs_mentioning (marker) == 0, "no UML process left after the panic");
  unsetenv ("GUESTKIT_UML");
}

int
main (void)
{
  if (!mkdtemp (dir)) { perror ("mkdtemp"); return 2; }
  int have_qemu_img = system ("qemu-img --version >/dev/null 2>&1") == 0;
  test_probe (have_qemu_img);
  test_add_drive (have_qemu_img);
  test_uml ();
  test_vm (have_qemu_img);
  test_cache_comma ();
  char cmd[400];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (system (cmd) != 0) fprintf (stderr, "could not remove %s\n", dir);
  return tap_done ();
}
