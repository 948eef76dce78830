/* Bulk transfers on real appliances (issue 3):
 * - upload then download gives back the same bytes, for sizes around the
 *   alignment and chunk boundaries and a large file, on both datapaths,
 *   and from a pipe of unknown length;
 * - a local file that is deleted (sent whole) or shrinks (error) mid-upload,
 *   a guest disk that fills up
 *   (ENOSPC), a cancelled upload and download: clear errors, no partial
 *   file, the handle still usable;
 * - a tar archive with absolute names, ".." and a link to "/": nothing
 *   written outside the target; tar round trips with each compression;
 *   copy-in and copy-out of a tree;
 * - the appliance killed mid-download: an error, no hang, no local file.
 * Boots two appliances (blk, then serial).  GK_TEST_LARGE_MB sets the
 * large size (default 64; the 500 MiB figure is in bench/upload.sh);
 * GUESTKIT_CHANNEL=serial puts the control channel on the 16550;
 * GK_TEST_DATAPATH=blk boots only the first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "guestkit.h"
#include "exported.h"     /* gk_int_untar_fd */
#include "tap.h"
#include "testutil.h"

static char dir[128];      /* $TMPDIR/gk-transfer-XXXXXX */
static char img[300], small_img[300];

static void
path (char *buf, size_t n, const char *name)
{
  if ((size_t) snprintf (buf, n, "%s/%s", dir, name) >= n) {
    fprintf (stderr, "%s/%s: path too long\n", dir, name);
    exit (2);
  }
}

/* A file of SIZE pseudo-random bytes (seeded by SIZE). */
static void
make_file (const char *p, size_t size)
{
  FILE *f = fopen (p, "w");
  if (!f) { perror (p); exit (2); }
  uint64_t x = 0x9e3779b97f4a7c15ULL ^ size;
  for (size_t i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    putc ((int) (x & 0xff), f);
  }
  if (fclose (f) != 0) { perror (p); exit (2); }
}

static int
same_files (const char *a, const char *b)
{
  FILE *fa = fopen (a, "r"), *fb = fopen (b, "r");
  int same = fa && fb;
  while (same) {
    int ca = getc (fa), cb = getc (fb);
    if (ca != cb) same = 0;
    if (ca == EOF) break;
  }
  if (fa) fclose (fa);
  if (fb) fclose (fb);
  return same;
}

static gk_h *
launch (const char *datapath)
{
  gk_h *g = gk_create ();
  if (!g || gk_set_datapath (g, datapath) == -1 || gk_add_drive (g, img, NULL) == -1
      || gk_add_drive (g, small_img, NULL) == -1 || gk_launch (g) == -1) {
    CHECK (0, "launch (%s): %s", datapath, g ? gk_last_error (g) : "no handle");
    if (g) gk_close (g);
    return NULL;
  }
  char *dp = gk_get_datapath (g);
  CHECK (dp && strcmp (dp, datapath) == 0, "datapath in use: %s", dp ? dp : "?");
  free (dp);
  /* GUESTKIT_CHANNEL=serial runs it all over qemu's emulated 16550. */
  const char *want = getenv ("GUESTKIT_CHANNEL");
  char *ch = gk_get_channel (g);
  CHECK (ch && strcmp (ch, want && *want ? want : "virtio-serial") == 0,
         "control channel in use: %s", ch ? ch : "?");
  free (ch);
  return g;
}

static void
roundtrip (gk_h *g, const char *dp, size_t size)
{
  char src[350], back[350], guest[64];
  path (src, sizeof src, "src");
  path (back, sizeof back, "back");
  snprintf (guest, sizeof guest, "/f-%zu", size);
  make_file (src, size);
  int up = gk_upload (g, src, guest);
  int down = up == 0 ? gk_download (g, guest, back, NULL) : -1;
  CHECK (up == 0 && down == 0 && same_files (src, back),
         "%s: %zu bytes up and down, same bytes%s%s", dp, size,
         up || down ? ": " : "", up || down ? gk_last_error (g) : "");
  struct gk_statns *st = gk_statns (g, guest);
  CHECK (st && st->st_size == (int64_t) size, "%s: guest file has %zu bytes", dp, size);
  if (st) gk_free_statns (st);
  gk_rm (g, guest);
  unlink (back);
}

/* Progress callbacks. */
static int truncate_fd = -1;
static void
shrink_cb (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) call; (void) done; (void) total;
  const char *p = opaque;
  if (truncate_fd == -1) { truncate_fd = 0; truncate (p, 1 << 20); }
}
static void
unlink_cb (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) call; (void) done; (void) total;
  unlink ((const char *) opaque);
}
static int cancel_calls;
static void
cancel_cb (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) opaque; (void) call; (void) done; (void) total;
  cancel_calls++;
  gk_user_cancel (g);
}
static void
kill_cb (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) call; (void) done; (void) total;
  pid_t *pid = opaque;
  if (*pid > 0) kill (*pid, SIGKILL);
  *pid = 0;
}

static int
guest_names (gk_h *g, const char *d)
{
  char **l = gk_ls (g, d);
  int n = 0;
  for (size_t i = 0; l && l[i]; i++) if (strcmp (l[i], "lost+found") != 0) n++;
  gk_free_strings (l);
  return l ? n : -1;
}

static void
test_pipe (gk_h *g)
{
  char src[350], back[350], fdpath[64];
  path (src, sizeof src, "pipe-src");
  path (back, sizeof back, "pipe-back");
  size_t size = 3 * 1024 * 1024 + 5;
  make_file (src, size);
  int p[2];
  if (pipe (p) == -1) { perror ("pipe"); exit (2); }
  pid_t pid = fork ();
  if (pid == 0) {
    close (p[0]);
    FILE *f = fopen (src, "r");
    char buf[1000];       /* small, odd-sized writes */
    size_t n;
    while (f && (n = fread (buf, 1, sizeof buf, f)) > 0)
      if (write (p[1], buf, n) != (ssize_t) n) _exit (1);
    _exit (0);
  }
  close (p[1]);
  snprintf (fdpath, sizeof fdpath, "/proc/self/fd/%d", p[0]);
  int r = gk_upload (g, fdpath, "/piped");
  close (p[0]);
  waitpid (pid, NULL, 0);
  int d = r == 0 ? gk_download (g, "/piped", back, NULL) : -1;
  CHECK (r == 0 && d == 0 && same_files (src, back), "upload from a pipe of unknown length%s%s",
         r || d ? ": " : "", r || d ? gk_last_error (g) : "");
  gk_rm (g, "/piped");
}

/* One ustar member: header + data padded to 512. */
static void
tar_member (FILE *f, const char *name, char type, const char *linkname, const char *data)
{
  unsigned char h[512];
  memset (h, 0, sizeof h);
  size_t len = data ? strlen (data) : 0;
  snprintf ((char *) h, 100, "%s", name);
  snprintf ((char *) h + 100, 8, "%07o", 0644);
  snprintf ((char *) h + 108, 8, "%07o", 0);
  snprintf ((char *) h + 116, 8, "%07o", 0);
  snprintf ((char *) h + 124, 12, "%011o", (unsigned) len & 07777777);
  snprintf ((char *) h + 136, 12, "%011o", 1700000000);
  h[156] = (unsigned char) type;
  if (linkname) snprintf ((char *) h + 157, 100, "%s", linkname);
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  memset (h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof h; i++) sum += h[i];
  snprintf ((char *) h + 148, 8, "%06o", sum);
  h[155] = ' ';
  fwrite (h, 1, sizeof h, f);
  if (len) {
    fwrite (data, 1, len, f);
    static const char zero[512];
    fwrite (zero, 1, (512 - len % 512) % 512, f);
  }
}

/* A hostile archive: absolute names, "..", a link to "/" and a member
 * written through it.  Nothing may land outside the target. */
static void
test_tar_hostile (gk_h *g)
{
  char t[350];
  path (t, sizeof t, "evil.tar");
  FILE *f = fopen (t, "w");
  if (!f) { perror (t); exit (2); }
  tar_member (f, "ok.txt", '0', NULL, "fine\n");
  tar_member (f, "/abs.txt", '0', NULL, "absolute\n");
  tar_member (f, "../escape.txt", '0', NULL, "dotdot\n");
  tar_member (f, "sub/../../escape2.txt", '0', NULL, "dotdot2\n");
  tar_member (f, "link", '2', "/", NULL);
  tar_member (f, "link/linked.txt", '0', NULL, "through a link\n");
  static const char zero[1024];
  fwrite (zero, 1, sizeof zero, f);
  fclose (f);
  gk_mkdir (g, "/t");
  int r = gk_tar_in (g, t, "/t", NULL);
  CHECK (r == -1 && strstr (gk_last_error (g), ".."),
         "hostile tar: the call fails and names the '..' members: %s",
         r ? gk_last_error (g) : "succeeded");
  char *c = gk_cat (g, "/t/ok.txt");
  CHECK (c && strcmp (c, "fine\n") == 0, "hostile tar: the sane member is extracted");
  free (c);
  CHECK (gk_exists (g, "/t/abs.txt") == 1 && gk_exists (g, "/abs.txt") == 0,
         "hostile tar: an absolute name lands inside the target");
  CHECK (gk_exists (g, "/escape.txt") == 0 && gk_exists (g, "/escape2.txt") == 0
         && gk_exists (g, "/linked.txt") == 0, "hostile tar: nothing written above the target");
  char *out = gk_debug_sh (g, "ls / /sysroot /tmp");
  CHECK (out && !strstr (out, "escape") && !strstr (out, "linked"),
         "hostile tar: nothing in the appliance's own tree either");
  free (out);
  /* The usual round trip, compressed both ways. */
  const char *zs[] = { "none", "gzip", "xz" };
  for (size_t i = 0; i < 3; i++) {
    char arch[350], where[32];
    path (arch, sizeof arch, "rt.tar");
    snprintf (where, sizeof where, "/rt-%s", zs[i]);
    struct gk_tar_out_opts oo = { .bitmask = GK_TAR_OUT_COMPRESS, .compress = zs[i] };
    struct gk_tar_in_opts io = { .bitmask = GK_TAR_IN_COMPRESS, .compress = zs[i] };
    gk_mkdir (g, where);
    int a = gk_tar_out (g, "/t", arch, &oo);
    int b = a == 0 ? gk_tar_in (g, arch, where, &io) : -1;
    char ok[64];
    snprintf (ok, sizeof ok, "%s/ok.txt", where);
    char *x = b == 0 ? gk_cat (g, ok) : NULL;
    CHECK (x && strcmp (x, "fine\n") == 0, "tar-out then tar-in, compress %s%s%s", zs[i],
           a || b ? ": " : "", a || b ? gk_last_error (g) : "");
    free (x);
  }
}

/* copy-in a local tree, copy-out it back, compare. */
static void
test_copy (gk_h *g)
{
  char tree[350], sub[400], f1[450], f2[450], out[350], back1[500], back2[500];
  path (tree, sizeof tree, "tree");
  snprintf (sub, sizeof sub, "%s/sub", tree);
  snprintf (f1, sizeof f1, "%s/one", tree);
  snprintf (f2, sizeof f2, "%s/two", sub);
  path (out, sizeof out, "out");
  mkdir (tree, 0755);
  mkdir (sub, 0755);
  mkdir (out, 0755);
  make_file (f1, 5000);
  make_file (f2, 300000);
  gk_mkdir (g, "/cp");
  int r = gk_copy_in (g, tree, "/cp");
  CHECK (r == 0 && gk_is_file (g, "/cp/tree/sub/two", NULL) == 1,
         "copy-in of a directory tree%s%s", r ? ": " : "", r ? gk_last_error (g) : "");
  r = gk_copy_out (g, "/cp/tree", out);
  snprintf (back1, sizeof back1, "%s/tree/one", out);
  snprintf (back2, sizeof back2, "%s/tree/sub/two", out);
  CHECK (r == 0 && same_files (f1, back1) && same_files (f2, back2),
         "copy-out brings the same tree back%s%s", r ? ": " : "", r ? gk_last_error (g) : "");
  r = gk_copy_out (g, "/cp/tree/one", out);
  snprintf (back1, sizeof back1, "%s/one", out);
  CHECK (r == 0 && same_files (f1, back1), "copy-out of a single file%s%s",
         r ? ": " : "", r ? gk_last_error (g) : "");
  r = gk_copy_in (g, "/nonexistent/x", "/cp");
  CHECK (r == -1 && gk_last_errno (g) == ENOENT, "copy-in of a missing path: %s", gk_last_error (g));
  char cmd[800];
  snprintf (cmd, sizeof cmd, "rm -rf '%s' '%s'", tree, out);
  if (system (cmd) != 0) fprintf (stderr, "cleanup failed\n");
}

/* Compare LEN bytes of A at AOFF with B from its start. */
static int
same_range (const char *a, long aoff, const char *b, size_t len)
{
  FILE *fa = fopen (a, "r"), *fb = fopen (b, "r");
  int same = fa && fb && fseek (fa, aoff, SEEK_SET) == 0;
  for (size_t i = 0; same && i < len; i++)
    if (getc (fa) != getc (fb)) same = 0;
  if (same && getc (fb) != EOF) same = 0;
  if (fa) fclose (fa);
  if (fb) fclose (fb);
  return same;
}

/* upload-offset / download-offset at aligned and unaligned offsets, and
 * a sparse download. */
static void
test_offsets (gk_h *g, const char *dp)
{
  char src[350], back[350];
  path (src, sizeof src, "osrc");
  path (back, sizeof back, "oback");
  size_t size = (1 << 20) + 1;
  make_file (src, size);
  long offs[] = { 0, 4097, 8192 };
  for (size_t i = 0; i < 3; i++) {
    gk_rm_f (g, "/o");
    int r = gk_write (g, "/o", "x", 1);
    r = r == 0 ? gk_upload_offset (g, src, "/o", offs[i]) : -1;
    int d = r == 0 ? gk_download_offset (g, "/o", back, offs[i], (int64_t) size) : -1;
    CHECK (r == 0 && d == 0 && same_range (src, 0, back, size),
           "%s: upload-offset then download-offset at %ld%s%s", dp, offs[i],
           r || d ? ": " : "", r || d ? gk_last_error (g) : "");
    struct gk_statns *st = gk_statns (g, "/o");
    CHECK (st && st->st_size == offs[i] + (int64_t) size,
           "%s: file size %lld after writing at %ld", dp, st ? (long long) st->st_size : -1LL,
           offs[i]);
    if (st) gk_free_statns (st);
  }
  /* Part of the file, from an unaligned offset to past its end. */
  int d = gk_download_offset (g, "/o", back, 8192 + 5, 1 << 30);
  CHECK (d == 0 && same_range (src, 5, back, size - 5), "%s: download-offset stops at the end", dp);

  /* Sparse download: 64 MiB with 1 MiB+1 of data in the middle. */
  gk_rm_f (g, "/sp");
  int r = gk_write (g, "/sp", "", 0);
  r = r == 0 ? gk_truncate_size (g, "/sp", 64 << 20) : -1;
  r = r == 0 ? gk_upload_offset (g, src, "/sp", 32 << 20) : -1;
  struct gk_download_opts so = { GK_DOWNLOAD_SPARSE, 1 };
  d = r == 0 ? gk_download (g, "/sp", back, &so) : -1;
  struct stat st;
  int ok = d == 0 && stat (back, &st) == 0 && st.st_size == 64 << 20;
  CHECK (ok && st.st_blocks * 512 < 4 << 20 && same_range (back, 32 << 20, src, size),
         "%s: sparse download keeps the holes (%lld bytes allocated)%s%s", dp,
         ok ? (long long) st.st_blocks * 512 : -1LL, r || d ? ": " : "", r || d ? gk_last_error (g) : "");
  gk_rm_f (g, "/sp");
  gk_rm_f (g, "/o");
  unlink (back);
}

static void
test_bad (gk_h *g, size_t large)
{
  char src[350], back[350];
  path (src, sizeof src, "src");
  path (back, sizeof back, "back");

  /* The local file shrinks mid-upload. */
  make_file (src, large);
  truncate_fd = -1;
  gk_set_progress_callback (g, shrink_cb, src);
  int r = gk_upload (g, src, "/shrunk");
  gk_set_progress_callback (g, NULL, NULL);
  CHECK (r == -1 && strstr (gk_last_error (g), "changed size"),
         "a file that shrinks mid-upload fails: %s", r ? gk_last_error (g) : "succeeded");
  CHECK (gk_exists (g, "/shrunk") == 0, "and leaves no guest file");

  /* The local file is deleted mid-upload: the open file is still read
   * to the end, and the guest gets every byte. */
  char copy[350];
  path (copy, sizeof copy, "src-copy");
  make_file (src, large);
  make_file (copy, large);
  gk_set_progress_callback (g, unlink_cb, src);
  r = gk_upload (g, src, "/vanished");
  gk_set_progress_callback (g, NULL, NULL);
  int d = r == 0 ? gk_download (g, "/vanished", back, NULL) : -1;
  CHECK (r == 0 && d == 0 && access (src, F_OK) == -1 && same_files (copy, back),
         "a file deleted mid-upload is sent whole%s%s", r || d ? ": " : "",
         r || d ? gk_last_error (g) : "");
  unlink (copy);
  unlink (back);
  gk_rm_f (g, "/vanished");

  /* Cancelled upload, replacing an existing file: the old one stays. */
  make_file (src, large);
  gk_write (g, "/keep", "old", 3);
  cancel_calls = 0;
  gk_set_progress_callback (g, cancel_cb, NULL);
  r = gk_upload (g, src, "/keep");
  gk_set_progress_callback (g, NULL, NULL);
  CHECK (r == -1 && gk_last_errno (g) == ECANCELED && cancel_calls > 0,
         "cancelled upload fails with ECANCELED: %s", r ? gk_last_error (g) : "succeeded");
  char *c = gk_cat (g, "/keep");
  CHECK (c && strcmp (c, "old") == 0, "the replaced file is unchanged: %s", c ? c : gk_last_error (g));
  free (c);

  /* Cancelled download: no local file. */
  gk_upload (g, src, "/big");
  gk_set_progress_callback (g, cancel_cb, NULL);
  r = gk_download (g, "/big", back, NULL);
  gk_set_progress_callback (g, NULL, NULL);
  CHECK (r == -1 && gk_last_errno (g) == ECANCELED, "cancelled download fails with ECANCELED: %s",
         r ? gk_last_error (g) : "succeeded");
  CHECK (access (back, F_OK) == -1, "and removes the local file");
  gk_rm_f (g, "/big");

  /* Disk full: a 16 MiB filesystem, a larger upload. */
  gk_mkdir (g, "/small");
  CHECK (gk_mkfs (g, "ext2", "/dev/sdb", NULL) == 0 && gk_mount (g, "/dev/sdb", "/small") == 0,
         "small filesystem: %s", gk_last_error (g));
  r = gk_upload (g, src, "/small/full");
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC && strstr (gk_last_error (g), "/small"),
         "disk full: ENOSPC naming the file: %s", r ? gk_last_error (g) : "succeeded");
  CHECK (guest_names (g, "/small") == 0, "no partial file or temporary left");
  CHECK (gk_write (g, "/small/after", "ok", 2) == 0 && gk_upload (g, "/etc/hostname", "/small/h") == 0,
         "handle still usable after ENOSPC: %s", gk_last_error (g));
  gk_umount (g, "/small", NULL);
}

/* --- host writes (issue 11) --- */

static int
file_is (const char *p, const char *text)
{
  char buf[256] = "";
  FILE *f = fopen (p, "r");
  size_t n = f ? fread (buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose (f);
  buf[n] = '\0';
  return f && strcmp (buf, text) == 0;
}

/* A failed local write fails the call; a failed download leaves an
 * existing file as it was; a dead pipe is EPIPE, not SIGPIPE. */
static void
test_host_writes (gk_h *g)
{
  char old[350];
  path (old, sizeof old, "old");
  CHECK (gk_write (g, "/hw", "new content", 11) == 0, "write /hw: %s", gk_last_error (g));
  int r = gk_download (g, "/hw", "/dev/full", NULL);
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC, "download into /dev/full: ENOSPC: %s",
         r ? gk_last_error (g) : "succeeded");
  r = gk_download_offset (g, "/hw", "/dev/full", 0, 5);
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC, "download-offset into /dev/full: ENOSPC: %s",
         r ? gk_last_error (g) : "succeeded");
  r = gk_tar_out (g, "/", "/dev/full", NULL);
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC, "tar-out into /dev/full: ENOSPC: %s",
         r ? gk_last_error (g) : "succeeded");
  tu_write_file (old, "old content", 0640);
  r = gk_download (g, "/no-such-file", old, NULL);
  CHECK (r == -1 && file_is (old, "old content"), "a failed download leaves the old file intact");
  CHECK (tu_count_entries (dir, ".old.") == 0, "... and no temporary file");
  r = gk_download (g, "/hw", old, NULL);
  struct stat st;
  CHECK (r == 0 && file_is (old, "new content") && stat (old, &st) == 0
         && (st.st_mode & 0777) == 0640, "a download replaces the file, keeping its mode%s%s",
         r ? ": " : "", r ? gk_last_error (g) : "");
  CHECK (tu_count_entries (dir, ".old.") == 0, "... and leaves no temporary file");
  /* Through a symbolic link: the file it points at is replaced. */
  char link[350];
  path (link, sizeof link, "old-link");
  tu_write_file (old, "old content", 0640);
  if (symlink (old, link) == -1) { perror ("symlink"); exit (2); }
  r = gk_download (g, "/hw", link, NULL);
  CHECK (r == 0 && lstat (link, &st) == 0 && S_ISLNK (st.st_mode) && file_is (old, "new content"),
         "a download through a symbolic link replaces its target, the link stays%s%s",
         r ? ": " : "", r ? gk_last_error (g) : "");
  unlink (link);
  unlink (old);

  /* The reader of the pipe is gone: EPIPE, and SIGPIPE (default action:
   * death) never reaches this program. */
  int p[2];
  if (pipe (p) == -1) { perror ("pipe"); exit (2); }
  close (p[0]);
  char out[64];
  snprintf (out, sizeof out, "/proc/self/fd/%d", p[1]);
  signal (SIGPIPE, SIG_DFL);
  r = gk_download (g, "/hw", out, NULL);
  CHECK (r == -1 && gk_last_errno (g) == EPIPE, "download into a pipe without reader: EPIPE: %s",
         r ? gk_last_error (g) : "succeeded");
  sigset_t pend;
  sigpending (&pend);
  CHECK (!sigismember (&pend, SIGPIPE), "no SIGPIPE left pending");
  close (p[1]);
  char *w[] = { "alive", NULL };
  char *e = gk_echo_daemon (g, w);
  CHECK (e && strcmp (e, "alive") == 0, "the handle still works");
  free (e);
}

/* copy-out of a guest tree full of special files, as whoever runs the
 * tests (root in CI): nothing special is created on the host. */
static void
test_copy_out_hostile (gk_h *g)
{
  char out[350], outside[350], p[600];
  path (out, sizeof out, "hostile-out");
  path (outside, sizeof outside, "outside");
  char outd[400];
  snprintf (outd, sizeof outd, "%s/d", out);
  mkdir (out, 0755);
  mkdir (outd, 0750);           /* the target exists: its mode must stay */
  chmod (outd, 0750);
  mkdir (outside, 0755);
  struct stat before, st;
  stat (outd, &before);
  char target[400];
  snprintf (target, sizeof target, "%s/x", outside);
  int ok = gk_mkdir (g, "/d") == 0 && gk_mknod_b (g, 0666, 8, 0, "/d/sda") == 0
    && gk_mknod_c (g, 0666, 1, 3, "/d/null") == 0 && gk_mkfifo (g, 0666, "/d/fifo") == 0
    && gk_write (g, "/d/suid", "#!/bin/sh\n", 10) == 0 && gk_chmod (g, 06755, "/d/suid") == 0
    && gk_ln_s (g, outside, "/d/out") == 0 && gk_write (g, "/d/plain", "data", 4) == 0
    && gk_chmod (g, 0700, "/d") == 0;
  CHECK (ok, "guest tree with devices, a FIFO, a setuid file, a link out: %s", gk_last_error (g));
  sleep (1);                    /* a reset mtime would differ */
  int r = gk_copy_out (g, "/d", out);
  CHECK (r == 0, "copy-out of it works: %s", r ? gk_last_error (g) : "");
  snprintf (p, sizeof p, "%s/d/plain", out);
  CHECK (file_is (p, "data"), "the regular file arrived");
  snprintf (p, sizeof p, "%s/d/sda", out);
  CHECK (lstat (p, &st) == -1, "no block device node on the host");
  snprintf (p, sizeof p, "%s/d/null", out);
  CHECK (lstat (p, &st) == -1, "no character device node on the host");
  snprintf (p, sizeof p, "%s/d/fifo", out);
  CHECK (lstat (p, &st) == -1, "no FIFO on the host");
  snprintf (p, sizeof p, "%s/d/suid", out);
  CHECK (lstat (p, &st) == 0 && S_ISREG (st.st_mode) && !(st.st_mode & 07000),
         "the setuid file arrived without setuid/setgid (mode %o)", (unsigned) st.st_mode);
  snprintf (p, sizeof p, "%s/d/out", out);
  CHECK (lstat (p, &st) == 0 && S_ISLNK (st.st_mode), "the link arrived as a link");
  CHECK (tu_count_entries (outside, "") == 0, "nothing written through it");
  struct stat after;
  stat (outd, &after);
  CHECK (after.st_mode == before.st_mode, "the target directory keeps its mode (%o)",
         (unsigned) after.st_mode);

  /* An archive as a hostile guest could send: a link out, then a
   * member through it; "..", an absolute name, a device. */
  char arch[350], src[350], cmd[4096];
  path (arch, sizeof arch, "hostile.tar");
  path (src, sizeof src, "hostile-src");
  snprintf (cmd, sizeof cmd,
            "set -e; mkdir -p '%s/x'; cd '%s'; ln -s '%s' link; echo pwned > x/pwned; "
            "mknod blk b 8 0 2>/dev/null || true; "
            "tar cf '%s' link; tar rf '%s' -P --transform 's,^x,link,' x/pwned; "
            "tar rf '%s' -P --transform 's,^x,../up,' x/pwned; "
            "tar rf '%s' -P --transform 's,^x,%s/abs,' x/pwned; "
            "if [ -b blk ]; then tar rf '%s' blk; fi",
            src, src, outside, arch, arch, arch, arch, outside, arch);
  if (system (cmd) != 0) { CHECK (0, "build the hostile archive"); return; }
  char ex[350];
  path (ex, sizeof ex, "hostile-ex");
  mkdir (ex, 0755);
  int fd = open (arch, O_RDONLY);
  r = gk_int_untar_fd (g, fd, ex);
  CHECK (r == -1 && gk_last_errno (g) != 0, "the hostile archive is refused: %s", gk_last_error (g));
  CHECK (tu_count_entries (outside, "") == 0, "nothing written outside through the link");
  char up[400], blk[400];
  snprintf (up, sizeof up, "%s/up", dir);
  snprintf (blk, sizeof blk, "%s/blk", ex);
  CHECK (access (up, F_OK) == -1 && access (blk, F_OK) == -1, "no '..' member, no device node");
  snprintf (cmd, sizeof cmd, "rm -rf '%s' '%s' '%s' '%s' '%s'", out, outside, src, ex, arch);
  if (system (cmd) != 0) fprintf (stderr, "cleanup failed\n");
  gk_rm_rf (g, "/d");
}

int
main (void)
{
  alarm (600);
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/gk-transfer-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) { perror (dir); return 2; }
  path (img, sizeof img, "disk.img");
  path (small_img, sizeof small_img, "small.img");
  const char *lm = getenv ("GK_TEST_LARGE_MB");
  size_t large = (size_t) (lm ? atoi (lm) : 64) << 20;
  tu_mkimage (img, (off_t) (large * 2 + (128 << 20)));
  tu_mkimage (small_img, 16 << 20);
  size_t sizes[] = { 0, 1, 8191, 8192, 8193, (1 << 20) + 1, large };

  gk_h *g = launch ("blk");
  if (g) {
    CHECK (gk_mkfs (g, "ext4", "/dev/sda", NULL) == 0 && gk_mount (g, "/dev/sda", "/") == 0,
           "prepare ext4: %s", gk_last_error (g));
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) roundtrip (g, "blk", sizes[i]);
    test_pipe (g);
    test_offsets (g, "blk");
    test_tar_hostile (g);
    test_copy (g);
    test_bad (g, large);
    test_host_writes (g);
    test_copy_out_hostile (g);
    CHECK (gk_sync (g) == 0, "sync");
    /* Kill the appliance mid-download. */
    char back[350];
    path (back, sizeof back, "killed");
    char src[350];
    path (src, sizeof src, "src");
    make_file (src, large);
    CHECK (gk_upload (g, src, "/k") == 0, "upload for the kill test: %s", gk_last_error (g));
    pid_t qpid = 0;
    tu_children (&qpid);
    gk_set_progress_callback (g, kill_cb, &qpid);
    time_t t0 = time (NULL);
    int r = gk_download (g, "/k", back, NULL);
    CHECK (r == -1 && gk_last_errno (g) == EIO && strstr (gk_last_error (g), "died"),
           "download fails when the appliance dies: %s", r ? gk_last_error (g) : "succeeded");
    CHECK (time (NULL) - t0 < 60 && access (back, F_OK) == -1, "no hang, no local file left");
    gk_close (g);
  }

  /* The serial datapath: same bytes back.  GK_TEST_DATAPATH=blk skips
   * it (on the 16550 channel it moves ~100 MiB at well under 1 MiB/s). */
  const char *only = getenv ("GK_TEST_DATAPATH");
  g = only && strcmp (only, "blk") == 0 ? NULL : launch ("serial");
  if (g) {
    CHECK (gk_mount (g, "/dev/sda", "/") == 0, "mount: %s", gk_last_error (g));
    size_t ssizes[] = { 0, 8193, (1 << 20) + 1, 16 << 20 };
    for (size_t i = 0; i < sizeof ssizes / sizeof ssizes[0]; i++) roundtrip (g, "serial", ssizes[i]);
    test_pipe (g);
    test_offsets (g, "serial");
    gk_close (g);
  }

  DIR *d = opendir (dir);
  struct dirent *e;
  while (d && (e = readdir (d))) {
    char p[350];
    if (e->d_name[0] == '.') continue;
    path (p, sizeof p, e->d_name);
    unlink (p);
  }
  if (d) closedir (d);
  rmdir (dir);
  return tap_done ();
}
