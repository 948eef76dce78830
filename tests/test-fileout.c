/* guestkit: the streaming calls of the API breadth work (find0, ls0,
 * checksums-out, base64-out, base64-in, compress-out) checked byte for
 * byte on the host side, and the EFBIG bound of the one-message calls
 * (grep, find, hexdump) on real oversized results.  One appliance.
 *
 * Environment: GK_TEST_BACKEND (passed to gk_set_backend).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "guestkit.h"
#include "tap.h"

static char dir[128];      /* $TMPDIR/gk-fileout-XXXXXX */

static char *
local (const char *name)
{
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf (buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

/* The whole local file NAME, *LEN_R bytes; NULL if unreadable. */
static char *
slurp (const char *path, size_t *len_r)
{
  FILE *f = fopen (path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc (cap);
  size_t n;
  while (buf && (n = fread (buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      char *nb = realloc (buf, cap *= 2);
      if (!nb) { free (buf); buf = NULL; }
      else buf = nb;
    }
  }
  fclose (f);
  *len_r = len;
  return buf;
}

static int
same (const char *path, const char *want, size_t wlen)
{
  size_t len;
  char *got = slurp (path, &len);
  int ok = got && len == wlen && memcmp (got, want, wlen) == 0;
  if (got && !ok)
    printf ("# %s: %zu bytes, expected %zu\n", path, len, wlen);
  free (got);
  return ok;
}

static int
spew (const char *path, const char *s, size_t n)
{
  FILE *f = fopen (path, "wb");
  if (!f) return -1;
  int r = fwrite (s, 1, n, f) == n ? 0 : -1;
  return fclose (f) == 0 ? r : -1;
}

/* Decompress local file PATH with the host's TOOL and compare. */
static int
decompresses_to (const char *tool, const char *path, const char *want)
{
  char cmd[1200];
  snprintf (cmd, sizeof cmd, "%s -dc < '%s' > '%s'", tool, path,
            local ("plain"));
  if (system (cmd) != 0) return 0;
  return same (local ("plain"), want, strlen (want));
}

static void
cleanup (void)
{
  static const char *const names[] = { "disk.img", "find0", "ls0", "sums",
    "find0-missing", "b64", "b64in", "bad64", "gz", "xz", "plain", "rand64", NULL };
  for (size_t i = 0; names[i]; i++) unlink (local (names[i]));
  rmdir (dir);
}

int
main (void)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/gk-fileout-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) { perror (dir); return 1; }
  atexit (cleanup);
  int fd = open (local ("disk.img"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd == -1 || ftruncate (fd, 128 << 20) == -1) { perror ("disk"); return 1; }
  close (fd);

  gk_h *g = gk_create ();
  const char *be = getenv ("GK_TEST_BACKEND");
  if (!g || (be && *be && gk_set_backend (g, be) == -1)
      || gk_add_drive (g, local ("disk.img"), NULL) == -1 || gk_launch (g) == -1
      || gk_mkfs (g, "ext4", "/dev/sda", NULL) == -1
      || gk_mount (g, "/dev/sda", "/") == -1
      || gk_mkdir_p (g, "/d/sub") == -1
      || gk_write (g, "/d/a", "hello\n", 6) == -1
      || gk_write (g, "/d/sub/b", "x", 1) == -1
      || gk_ln_s (g, "a", "/d/l") == -1) {
    printf ("not ok - setup: %s\n", g ? gk_last_error (g) : "gk_create");
    printf ("0 passed, 1 failed\n");
    return 1;
  }

  /* find0: pre-order, names sorted in each directory, NUL after each. */
  CHECK (gk_find0 (g, "/d", local ("find0")) == 0
         && same (local ("find0"), "a\0l\0sub\0sub/b\0", 14),
         "find0 lists the tree, NUL-terminated, in order");
  CHECK (gk_ls0 (g, "/d", local ("ls0")) == 0
         && same (local ("ls0"), "a\0l\0sub\0", 8), "ls0 lists one directory");
  CHECK (gk_find0 (g, "/nope", local ("find0-missing")) == -1
         && gk_last_errno (g) == ENOENT
         && access (local ("find0-missing"), F_OK) == -1,
         "find0 of a missing directory fails and leaves no local file");

  const char *sums = "b1946ac92492d2347c6235b4d2611184  ./a\n"
    "9dd4e461268c8034f5c8564e155c67a6  ./sub/b\n";
  CHECK (gk_checksums_out (g, "md5", "/d", local ("sums")) == 0
         && same (local ("sums"), sums, strlen (sums)),
         "checksums-out: md5sum format, regular files only (the link is skipped)");

  CHECK (gk_base64_out (g, "/d/a", local ("b64")) == 0
         && same (local ("b64"), "aGVsbG8K\n", 9), "base64-out of a small file");
  spew (local ("b64in"), "aGVs\nbG8K\n", 10);
  size_t n = 0;
  char *back = NULL;
  CHECK (gk_base64_in (g, local ("b64in"), "/e") == 0
         && (back = gk_read_file (g, "/e", &n)) && n == 6
         && memcmp (back, "hello\n", 6) == 0, "base64-in decodes across lines");
  free (back);
  spew (local ("bad64"), "aGVs*G8K\n", 9);
  CHECK (gk_base64_in (g, local ("bad64"), "/d/a") == -1
         && gk_last_errno (g) == EINVAL
         && strstr (gk_last_error (g), "/d/a"), "base64-in refuses bad input: %s",
         gk_last_error (g));
  back = gk_read_file (g, "/d/a", &n);
  CHECK (back && n == 6 && memcmp (back, "hello\n", 6) == 0,
         "a failed base64-in leaves the target unchanged");
  free (back);

  /* A round trip of every byte value, long enough for many lines. */
  size_t rlen = 100003;
  char *rnd = malloc (rlen);
  for (size_t i = 0; i < rlen; i++) rnd[i] = (char) ((i * 7919 + i / 251) & 0xff);
  char *c1 = NULL, *c2 = NULL;
  CHECK (rnd && gk_write (g, "/r", rnd, rlen) == 0
         && gk_base64_out (g, "/r", local ("rand64")) == 0
         && gk_base64_in (g, local ("rand64"), "/r2") == 0
         && (c1 = gk_checksum (g, "sha256", "/r"))
         && (c2 = gk_checksum (g, "sha256", "/r2")) && strcmp (c1, c2) == 0,
         "base64-out then base64-in gives back %zu bytes exactly", rlen);
  free (c1); free (c2);
  char cmd[1200];
  spew (local ("plain"), rnd, rlen);
  snprintf (cmd, sizeof cmd, "base64 -d < '%s' | cmp -s - '%s'", local ("rand64"),
            local ("plain"));
  CHECK (system (cmd) == 0, "the host's base64 -d agrees");

  struct gk_compress_out_opts lv = { GK_COMPRESS_OUT_LEVEL, 1 };
  CHECK (gk_compress_out (g, "gzip", "/d/a", local ("gz"), NULL) == 0
         && decompresses_to ("gzip", local ("gz"), "hello\n"),
         "compress-out gzip: the host's gzip -d gives the file back");
  CHECK (gk_compress_out (g, "xz", "/d/sub/b", local ("xz"), &lv) == 0
         && decompresses_to ("xz", local ("xz"), "x"),
         "compress-out xz level:1: the host's xz -d gives the file back");

  /* One-message calls refuse oversized results instead of cutting them. */
  char **lines = NULL;
  CHECK (gk_fill (g, 'a', 5 << 20, "/big") == 0
         && !(lines = gk_grep (g, "a", "/big", NULL))
         && gk_last_errno (g) == EFBIG && strstr (gk_last_error (g), "/big"),
         "grep with 5 MiB of output: EFBIG naming the file: %s", gk_last_error (g));
  /* 1.5 MiB without repeated lines: more than 4 MiB of hexdump -C. */
  size_t blen = 3 << 19;
  char *bin = malloc (blen);
  for (size_t i = 0; bin && i < blen; i++) bin[i] = (char) ((i * 2654435761u) >> 13);
  char *hex = NULL;
  CHECK (bin && spew (local ("plain"), bin, blen) == 0
         && gk_upload (g, local ("plain"), "/exe") == 0
         && !(hex = gk_hexdump (g, "/exe")) && gk_last_errno (g) == EFBIG,
         "hexdump of a large binary: EFBIG (%s)", gk_last_error (g));
  free (hex);
  free (bin);
  free (rnd);
  lines = gk_head_n (g, 1, "/big");
  CHECK (!lines && gk_last_errno (g) == EFBIG,
         "head-n of a line larger than a message: EFBIG");
  if (lines) { for (size_t i = 0; lines[i]; i++) free (lines[i]); free (lines); }

  gk_shutdown (g);
  gk_close (g);
  return tap_done ();
}
