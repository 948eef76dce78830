/* guestkitd: file(1), recursive copies and encoded/compressed transfers
 * (file, cp-a, cp-r, compress-out, base64-in, base64-out).
 *
 * External programs get appliance paths from gk_int_sysroot_path (every
 * symbolic link resolved inside the guest tree) as separate arguments
 * after "--"; no shell is involved.  base64 is done here in C; the
 * compressors read the guest file from a descriptor we opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"
#include "fileout.h"

/* ---- file ------------------------------------------------------------ */

char *
do_file (const char *path)
{
  char *base;
  int dfd = gk_int_open_parent (path, &base);
  struct stat st;
  if (dfd >= 0) {
    int r = fstatat (dfd, base, &st, AT_SYMLINK_NOFOLLOW);
    int e = errno;
    if (r == 0 && S_ISLNK (st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat (dfd, base, target, sizeof target - 1);
      close (dfd);
      free (base);
      if (n == -1) { gk_int_perr ("%s", path); return NULL; }
      target[n] = '\0';
      char *s;
      if (asprintf (&s, "symbolic link to %s", target) == -1) s = NULL;
      if (!s) gk_int_err (ENOMEM, "out of memory");
      return s;
    }
    close (dfd);
    free (base);
    if (r == -1) {
      errno = e;
      gk_int_perr ("%s", path);
      return NULL;
    }
  }
  else if (errno != EINVAL) {           /* EINVAL: "/" */
    gk_int_perr ("%s", path);
    return NULL;
  }
  char *real = gk_int_sysroot_path (path);
  if (!real) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  /* -b: no file name in the answer; -s would read devices, which are
   * described by their type instead, like guestfish does. */
  const char *argv[] = { "file", "-b", "--", real, NULL };
  char *out = NULL;
  int r = gk_int_run (&out, NULL, argv);
  free (real);
  if (r == -1) return NULL;
  size_t len = strlen (out);
  while (len > 0 && out[len - 1] == '\n') out[--len] = '\0';
  return out;
}

/* ---- cp-a / cp-r --------------------------------------------------- */

static int
cp (const char *src, const char *dest, const char *opt)
{
  char *s = gk_int_sysroot_path (src);
  if (!s) return gk_int_perr ("%s", src);
  char *d = gk_int_sysroot_path (dest);
  if (!d) {
    free (s);
    return gk_int_perr ("%s", dest);
  }
  struct stat st;
  int r = lstat (s, &st);
  if (r == -1) {
    free (s); free (d);
    return gk_int_perr ("%s", src);
  }
  /* -P: symbolic links inside the tree are copied as links, never
   * followed out of it. */
  const char *argv[] = { "cp", opt, "-P", "--", s, d, NULL };
  char *err = NULL;
  int stt = gk_int_run_status (NULL, &err, NULL, argv);
  free (s);
  free (d);
  if (stt > 0) {
    /* cp names appliance paths: give the guest's. */
    char *m = err ? strrchr (err, ':') : NULL;
    size_t el = m ? strlen (m) : 0;
    while (el > 0 && (m[el - 1] == '\n' || m[el - 1] == ' ')) m[--el] = '\0';
    gk_int_err (EIO, "cp %s %s: failed%s", src, dest, m ? m : "");
  }
  free (err);
  return stt == 0 ? 0 : -1;
}

int
do_cp_a (const char *src, const char *dest)
{
  return cp (src, dest, "-a");
}

int
do_cp_r (const char *src, const char *dest)
{
  return cp (src, dest, "-R");
}

/* ---- compress-out ------------------------------------------------------ */

int
do_compress_out (const char *ctype, const char *file, int level)
{
  const char *prog;
  int max;
  if (strcmp (ctype, "gzip") == 0) { prog = "gzip"; max = 9; }
  else if (strcmp (ctype, "xz") == 0) { prog = "xz"; max = 9; }
  else if (strcmp (ctype, "bzip2") == 0) { prog = "bzip2"; max = 9; }
  else
    return gk_int_err (EINVAL, "%.32s: unknown compression (gzip, xz or "
                       "bzip2)", ctype);
  char lv[8] = "";
  if (gk_int_optargs_bitmask & GK_COMPRESS_OUT_LEVEL) {
    if (level < 1 || level > max)
      return gk_int_err (EINVAL, "%d: level must be 1 to %d", level, max);
    snprintf (lv, sizeof lv, "-%d", level);
  }
  int fd = gk_int_open_regular (file, O_RDONLY, 0);
  if (fd == -1) return -1;
  const char *argv[] = { prog, "-c", *lv ? lv : NULL, NULL };
  int r = gk_int_filter_out (argv, fd, file);
  close (fd);
  return r;
}

/* ---- base64 ------------------------------------------------------------ */

static const char b64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define B64_LINE 76                     /* as base64(1) wraps */
#define B64_IN (B64_LINE / 4 * 3 * 1024)

int
do_base64_out (const char *filename)
{
  int fd = gk_int_open_regular (filename, O_RDONLY, 0);
  if (fd == -1) return -1;
  struct gk_int_ostream os;
  if (gk_int_os_init (&os) == -1) { close (fd); return -1; }
  unsigned char *in = malloc (B64_IN);
  char *out = malloc (B64_IN / 3 * 4 + B64_IN / 57 + 8);
  int r = 0;
  if (!in || !out) r = gk_int_err (ENOMEM, "out of memory");
  size_t fill = 0;
  while (r == 0) {
    ssize_t n = read (fd, in + fill, B64_IN - fill);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) { r = gk_int_perr ("%s", filename); break; }
    fill += (size_t) n;
    if (fill < B64_IN && n > 0) continue;
    /* Encode whole lines (57 bytes each) unless at the end. */
    size_t o = 0, i = 0;
    while (i < fill) {
      size_t line = fill - i < 57 ? fill - i : 57;
      if (line < 57 && n > 0) break;
      for (size_t k = 0; k < line; k += 3) {
        uint32_t v = (uint32_t) in[i + k] << 16;
        if (k + 1 < line) v |= (uint32_t) in[i + k + 1] << 8;
        if (k + 2 < line) v |= in[i + k + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = k + 1 < line ? b64[v >> 6 & 63] : '=';
        out[o++] = k + 2 < line ? b64[v & 63] : '=';
      }
      out[o++] = '\n';
      i += line;
    }
    if (o && gk_int_os_write (&os, out, o) == -1) { r = -1; break; }
    memmove (in, in + i, fill - i);
    fill -= i;
    if (n == 0) break;
  }
  free (in);
  free (out);
  close (fd);
  if (r == -1) {
    gk_int_os_abort (&os);
    return -1;
  }
  return gk_int_os_finish (&os);
}

struct b64in {
  int fd;
  const char *path;
  uint32_t acc;
  int nacc, pad, bad;
  uint64_t pos;                 /* input characters seen */
};

static int
b64_val (unsigned char c)
{
  const char *p = c ? strchr (b64, c) : NULL;
  return p ? (int) (p - b64) : -1;
}

static int
b64_chunk (void *opaque, const char *buf, size_t n)
{
  struct b64in *b = opaque;
  unsigned char out[3 * 4096];
  size_t o = 0;
  for (size_t i = 0; i < n; i++, b->pos++) {
    unsigned char c = (unsigned char) buf[i];
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') { b->pad++; continue; }
    int v = b64_val (c);
    if (v < 0 || b->pad)
      return gk_int_err (EINVAL, "%s: invalid base64 input at character "
                         "%" PRIu64, b->path, b->pos);
    b->acc = b->acc << 6 | (uint32_t) v;
    if (++b->nacc == 4) {
      out[o++] = (unsigned char) (b->acc >> 16);
      out[o++] = (unsigned char) (b->acc >> 8);
      out[o++] = (unsigned char) b->acc;
      b->nacc = 0;
      b->acc = 0;
    }
    if (o + 3 > sizeof out) {
      if (write (b->fd, out, o) != (ssize_t) o) return gk_int_perr ("%s", b->path);
      o = 0;
    }
  }
  if (o && write (b->fd, out, o) != (ssize_t) o) return gk_int_perr ("%s", b->path);
  return 0;
}

int
do_base64_in (const char *filename)
{
  /* The guest file is written only after the whole input decoded. */
  char *base;
  int dfd = gk_int_open_parent (filename, &base);
  if (dfd == -1) return gk_int_perr ("%s", filename);
  /* As upload: a file or a symbolic link is replaced, a special file is
   * refused. */
  struct stat st;
  if (fstatat (dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
      && !S_ISREG (st.st_mode) && !S_ISLNK (st.st_mode)) {
    close (dfd);
    free (base);
    return gk_int_err_not_regular (filename, st.st_mode);
  }
  int fd = openat (dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  int direct = 0;
  if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    /* No unnamed files here (vfat ...): write the target in place. */
    direct = 1;
    fd = gk_int_open_regular (filename, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1) {
      close (dfd);
      free (base);
      return -1;
    }
  }
  if (fd == -1) {
    gk_int_perr ("%s: temporary file", filename);
    close (dfd);
    free (base);
    return -1;
  }
  struct b64in b = { .fd = fd, .path = filename };
  int r = gk_int_recv_stream (b64_chunk, &b);
  if (r == 0 && (b.nacc == 1 || (b.nacc && b.nacc + b.pad != 4)
                 || (!b.nacc && b.pad)))
    r = gk_int_err (EINVAL, "%s: truncated base64 input", filename);
  if (r == 0 && b.nacc) {
    unsigned char out[2];
    uint32_t acc = b.acc << (6 * (4 - b.nacc));
    out[0] = (unsigned char) (acc >> 16);
    out[1] = (unsigned char) (acc >> 8);
    size_t k = (size_t) b.nacc - 1;
    if (write (fd, out, k) != (ssize_t) k) r = gk_int_perr ("%s", filename);
  }
  if (r == 0 && fsync (fd) == -1) r = gk_int_perr ("%s", filename);
  if (r == 0 && !direct) {
    /* Replace the target: link the finished file under a temporary name
     * and rename it over. */
    char tmp[64];
    snprintf (tmp, sizeof tmp, ".gk-base64-%" PRIx64, gk_int_now_ns ());
    if (linkat (fd, "", dfd, tmp, AT_EMPTY_PATH) == -1)
      r = gk_int_perr ("%s", filename);
    else if (renameat (dfd, tmp, dfd, base) == -1) {
      r = gk_int_perr ("%s", filename);
      unlinkat (dfd, tmp, 0);
    }
  }
  if (r == -1 && !gk_int_err_isset ())
    gk_int_err (EIO, "%s: base64-in failed", filename);
  close (fd);
  close (dfd);
  free (base);
  return r;
}

/* ---- fill-pattern, fill-dir --------------------------------------------- */

int
do_fill_pattern (const char *pattern, int len, const char *path)
{
  size_t plen = strlen (pattern);
  if (plen == 0) return gk_int_err (EINVAL, "fill-pattern: empty pattern");
  if (len < 0) return gk_int_err (EINVAL, "%d: negative length", len);
  int fd = gk_int_open_regular (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) return -1;
  size_t bsz = 65536 - 65536 % plen;
  if (bsz == 0) bsz = plen;
  char *buf = malloc (bsz);
  if (!buf) { close (fd); return gk_int_err (ENOMEM, "out of memory"); }
  for (size_t i = 0; i < bsz; i++) buf[i] = pattern[i % plen];
  size_t left = (size_t) len;
  int r = 0;
  while (left > 0 && r == 0) {
    size_t n = left < bsz ? left : bsz;
    ssize_t w = write (fd, buf, n);
    if (w == -1 && errno == EINTR) continue;
    if (w <= 0) r = gk_int_perr ("%s", path);
    else left -= (size_t) w;
  }
  free (buf);
  if (close (fd) == -1 && r == 0) r = gk_int_perr ("%s", path);
  return r;
}

int
do_fill_dir (const char *dir, int nr)
{
  if (nr < 0 || nr > 100000000)
    return gk_int_err (EINVAL, "%d: nr must be 0 to 100000000", nr);
  int dfd = gk_int_open (dir, O_PATH | O_DIRECTORY, 0);
  if (dfd == -1) return gk_int_perr ("%s", dir);
  for (int i = 0; i < nr; i++) {
    char name[16];
    snprintf (name, sizeof name, "%08d", i);
    /* O_EXCL: an existing entry is never opened (it could be a device
     * node); a regular file there is left as it is. */
    int fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                     | O_CLOEXEC | O_NONBLOCK, 0644);
    struct stat st;
    if (fd == -1 && errno == EEXIST
        && fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISREG (st.st_mode)) continue;
      close (dfd);
      char p[PATH_MAX + 16];
      snprintf (p, sizeof p, "%s/%s", dir, name);
      return gk_int_err_not_regular (p, st.st_mode);
    }
    if (fd == -1) {
      int e = errno;
      close (dfd);
      errno = e;
      return gk_int_perr ("%s/%s", dir, name);
    }
    close (fd);
    gk_int_progress ((uint64_t) i + 1, (uint64_t) nr);
  }
  close (dfd);
  return 0;
}
