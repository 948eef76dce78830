/* guestkitd: looking into files (head, head-n, tail, tail-n, wc-l,
 * wc-w, wc-c, hexdump, strings, strings-e).
 *
 * Done here in C, reading the file through gk_int_open: no program to
 * start (each costs tens of milliseconds under emulation) and no guest
 * path handed to a tool.  Results are bounded by the message size: a
 * result that would not fit fails with EFBIG and says which call to use
 * instead, never a silently shortened answer.  head and tail read only
 * what they need, so they work on files of any size.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "grow.h"
#include "actions.h"

#define OUT_MAX ((size_t) GK_MSG_MAX - 65536)
#define BLOCK 65536

static ssize_t
read_some (int fd, char *buf, size_t n, const char *path)
{
  for (;;) {
    ssize_t r = read (fd, buf, n);
    if (r >= 0) return r;
    if (errno != EINTR) return gk_int_perr ("%s", path);
  }
}

static char **
lines_done (struct gk_int_reply_list *l)
{
  if (!l->v) {
    l->v = calloc (1, sizeof *l->v);
    if (!l->v) gk_int_err (ENOMEM, "out of memory");
  }
  return l->v;
}

/* Call CB for every line of FD in order (without its newline), until CB
 * returns 1 (stop) or -1 (error).  A final line without newline counts.
 * Returns 0 or -1. */
static int
each_line (int fd, const char *path, int (*cb) (void *, const char *, size_t),
           void *opaque)
{
  char *buf = malloc (BLOCK), *line = NULL;
  size_t llen = 0, lcap = 0;
  int r = -1;
  if (!buf) return gk_int_err (ENOMEM, "out of memory");
  for (;;) {
    ssize_t n = read_some (fd, buf, BLOCK, path);
    if (n == -1) goto out;
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\n') {
        int c = cb (opaque, line ? line : "", llen);
        llen = 0;
        if (c) { r = c == 1 ? 0 : -1; goto out; }
        continue;
      }
      if (llen + 1 >= lcap) {
        size_t cap = lcap ? 2 * lcap : 256;
        if (cap > OUT_MAX) {
          gk_int_err (EFBIG, "%s: a line longer than the protocol limit",
                      path);
          goto out;
        }
        char *nl = realloc (line, cap);
        if (!nl) { gk_int_err (ENOMEM, "out of memory"); goto out; }
        line = nl;
        lcap = cap;
      }
      line[llen++] = buf[i];
    }
  }
  if (llen > 0 && cb (opaque, line, llen) == -1) goto out;
  r = 0;
 out:
  free (buf);
  free (line);
  return r;
}

/* ---- head -------------------------------------------------------------- */

struct headst {
  struct gk_int_reply_list l;
  long long want;               /* lines to keep, or -1: all */
};

static int
head_cb (void *opaque, const char *s, size_t len)
{
  struct headst *h = opaque;
  if (h->want >= 0 && (long long) h->l.n >= h->want) return 1;
  return gk_int_reply_list_add (&h->l, s, len);
}

static char **
free_lines (struct gk_int_reply_list *l)
{
  gk_int_free_strings (l->v);
  return NULL;
}

char **
do_head_n (int nrlines, const char *path)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  struct headst h = { .l = { .what = path, .instead = "download" },
                      .want = nrlines >= 0 ? nrlines : -1 };
  int r = nrlines == 0 ? 0 : each_line (fd, path, head_cb, &h);
  close (fd);
  if (r == -1) return free_lines (&h.l);
  if (nrlines < 0) {
    /* All but the last -NRLINES lines. */
    size_t drop = (size_t) -(long long) nrlines;
    size_t keep = h.l.n > drop ? h.l.n - drop : 0;
    for (size_t i = keep; i < h.l.n; i++) {
      free (h.l.v[i]);
      h.l.v[i] = NULL;
    }
    h.l.n = keep;
  }
  return lines_done (&h.l);
}

char **
do_head (const char *path)
{
  return do_head_n (10, path);
}

/* ---- tail -------------------------------------------------------------- */

struct skipst {
  struct gk_int_reply_list l;
  long long skip;               /* lines still to skip */
};

static int
skip_cb (void *opaque, const char *s, size_t len)
{
  struct skipst *k = opaque;
  if (k->skip > 0) { k->skip--; return 0; }
  return gk_int_reply_list_add (&k->l, s, len);
}

/* The last N lines: read backwards from the end in blocks until N + 1
 * newlines are behind us, then forwards from there. */
char **
do_tail_n (int nrlines, const char *path)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  struct skipst k = { .l = { .what = path, .instead = "download" } };
  int r = 0;
  if (nrlines < 0) {
    /* From line -NRLINES on (tail -n +N). */
    k.skip = -(long long) nrlines - 1;
    r = each_line (fd, path, skip_cb, &k);
  }
  else if (nrlines > 0) {
    struct stat st;
    off_t end = fstat (fd, &st) == 0 ? st.st_size : 0, pos = end, start = 0;
    long long nl = 0;
    char *buf = malloc (BLOCK);
    if (!buf) { gk_int_err (ENOMEM, "out of memory"); r = -1; }
    /* A final newline ends the last line, it does not start one. */
    int skip_last = 1;
    while (r == 0 && pos > 0) {
      size_t n = pos > BLOCK ? BLOCK : (size_t) pos;
      pos -= (off_t) n;
      ssize_t got = pread (fd, buf, n, pos);
      if (got != (ssize_t) n) {
        if (got >= 0) errno = EIO;
        r = gk_int_perr ("%s", path);
        break;
      }
      for (size_t i = n; i-- > 0;) {
        if (buf[i] != '\n') { skip_last = 0; continue; }
        if (skip_last) { skip_last = 0; continue; }
        if (++nl == nrlines) { start = pos + (off_t) i + 1; pos = 0; break; }
      }
    }
    free (buf);
    if (r == 0 && lseek (fd, start, SEEK_SET) == -1)
      r = gk_int_perr ("%s", path);
    if (r == 0) r = each_line (fd, path, skip_cb, &k);
  }
  close (fd);
  if (r == -1) return free_lines (&k.l);
  return lines_done (&k.l);
}

char **
do_tail (const char *path)
{
  return do_tail_n (10, path);
}

/* ---- wc ------------------------------------------------------------------ */

enum wc { WC_L, WC_W, WC_C };

static int
wc (const char *path, enum wc what)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return -1;
  char *buf = malloc (BLOCK);
  if (!buf) { close (fd); return gk_int_err (ENOMEM, "out of memory"); }
  uint64_t count = 0;
  int inword = 0;
  for (;;) {
    ssize_t n = read_some (fd, buf, BLOCK, path);
    if (n == -1) { free (buf); close (fd); return -1; }
    if (n == 0) break;
    if (what == WC_C) { count += (uint64_t) n; continue; }
    for (ssize_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char) buf[i];
      if (what == WC_L) count += c == '\n';
      else if (isspace (c)) inword = 0;
      else if (!inword) { inword = 1; count++; }
    }
  }
  free (buf);
  close (fd);
  if (count > INT32_MAX)
    return gk_int_err (EOVERFLOW, "%s: count too large for an int", path);
  return (int) count;
}

int do_wc_l (const char *path) { return wc (path, WC_L); }
int do_wc_w (const char *path) { return wc (path, WC_W); }
int do_wc_c (const char *path) { return wc (path, WC_C); }

/* ---- hexdump -C ------------------------------------------------------------ */

/* A growing output string with the message budget. */
struct out {
  char *s;
  size_t len, cap;
  const char *path, *instead;
};

static int
out_add (struct out *o, const char *s, size_t n)
{
  if (o->len + n + 1 > OUT_MAX)
    return gk_int_err (EFBIG, "%s: result larger than the protocol limit "
                       "(use %s)", o->path, o->instead);
  if (gk_int_grow ((void **) &o->s, &o->cap, o->len + n + 1, 1, 4096) == -1)
    return gk_int_err (ENOMEM, "out of memory");
  memcpy (o->s + o->len, s, n);
  o->len += n;
  o->s[o->len] = '\0';
  return 0;
}

/* One hexdump -C line for the N (1 to 16) bytes P at OFFSET. */
static size_t
hex_line (char *line, uint64_t offset, const unsigned char *p, size_t n)
{
  size_t k = (size_t) sprintf (line, "%08" PRIx64 " ", offset);
  for (size_t i = 0; i < 16; i++) {
    if (i == 8) line[k++] = ' ';
    if (i < n) k += (size_t) sprintf (line + k, " %02x", p[i]);
    else { memcpy (line + k, "   ", 3); k += 3; }
  }
  k += (size_t) sprintf (line + k, "  |");
  for (size_t i = 0; i < n; i++)
    line[k++] = p[i] >= 32 && p[i] < 127 ? (char) p[i] : '.';
  line[k++] = '|';
  line[k++] = '\n';
  return k;
}

char *
do_hexdump (const char *path)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  struct out o = { .path = path, .instead = "download and a local hexdump" };
  unsigned char *buf = malloc (BLOCK), prev[16];
  uint64_t off = 0, total = 0;
  int have_prev = 0, starred = 0;
  size_t fill = 0;
  char line[128];
  if (!buf) { gk_int_err (ENOMEM, "out of memory"); goto fail; }
  for (;;) {
    ssize_t n = read_some (fd, (char *) buf + fill, BLOCK - fill, path);
    if (n == -1) goto fail;
    fill += (size_t) n;
    total += (uint64_t) n;
    int eof = n == 0;
    size_t i = 0;
    for (; i + 16 <= fill || (eof && i < fill); i += 16) {
      size_t len = fill - i < 16 ? fill - i : 16;
      /* Like hexdump -C: identical full lines after the first become
       * one "*". */
      if (len == 16 && have_prev && memcmp (prev, buf + i, 16) == 0) {
        if (!starred && out_add (&o, "*\n", 2) == -1) goto fail;
        starred = 1;
      }
      else {
        size_t k = hex_line (line, off + i, buf + i, len);
        if (out_add (&o, line, k) == -1) goto fail;
        starred = 0;
      }
      if (len == 16) { memcpy (prev, buf + i, 16); have_prev = 1; }
    }
    if (i > fill) i = fill;     /* the last, partial line */
    off += i;
    memmove (buf, buf + i, fill - i);
    fill -= i;
    if (eof) break;
  }
  if (total > 0) {
    int k = snprintf (line, sizeof line, "%08" PRIx64 "\n", total);
    if (out_add (&o, line, (size_t) k) == -1) goto fail;
  }
  else if (out_add (&o, "", 0) == -1) goto fail;
  free (buf);
  close (fd);
  return o.s;
 fail:
  free (buf);
  free (o.s);
  close (fd);
  return NULL;
}

/* ---- strings ---------------------------------------------------------------- */

#define STRINGS_MIN 4

/* ENCODING as strings(1) -e: s (7-bit, the default), S (8-bit), b/l
 * (16-bit big/little endian), B/L (32-bit). */
char **
do_strings_e (const char *encoding, const char *path)
{
  size_t width;
  int big = 0, eight = 0;
  if (strcmp (encoding, "s") == 0) width = 1;
  else if (strcmp (encoding, "S") == 0) { width = 1; eight = 1; }
  else if (strcmp (encoding, "b") == 0) { width = 2; big = 1; }
  else if (strcmp (encoding, "l") == 0) width = 2;
  else if (strcmp (encoding, "B") == 0) { width = 4; big = 1; }
  else if (strcmp (encoding, "L") == 0) width = 4;
  else {
    gk_int_err (EINVAL, "%.16s: encoding must be s, S, b, l, B or L",
                encoding);
    return NULL;
  }
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  struct gk_int_reply_list l = { .what = path, .instead = "download and a local strings" };
  unsigned char *buf = malloc (BLOCK);
  char *cur = malloc (OUT_MAX);
  size_t clen = 0, fill = 0;
  if (!buf || !cur) { gk_int_err (ENOMEM, "out of memory"); goto fail; }
  for (;;) {
    ssize_t n = read_some (fd, (char *) buf + fill, BLOCK - fill, path);
    if (n == -1) goto fail;
    fill += (size_t) n;
    size_t i = 0;
    for (; i + width <= fill; i += width) {
      uint32_t c = 0;
      for (size_t b = 0; b < width; b++)
        c |= (uint32_t) buf[i + b] << (8 * (big ? width - 1 - b : b));
      int printable = (c >= 32 && c < 127) || c == '\t'
        || (eight && c >= 128 && c < 256);
      if (printable && clen + 1 < OUT_MAX) {
        cur[clen++] = (char) c;
        continue;
      }
      if (clen >= STRINGS_MIN && gk_int_reply_list_add (&l, cur, clen) == -1) goto fail;
      clen = 0;
    }
    memmove (buf, buf + i, fill - i);
    fill -= i;
    if (n == 0) break;
  }
  if (clen >= STRINGS_MIN && gk_int_reply_list_add (&l, cur, clen) == -1) goto fail;
  free (buf);
  free (cur);
  close (fd);
  return lines_done (&l);
 fail:
  free (buf);
  free (cur);
  close (fd);
  return free_lines (&l);
}

char **
do_strings (const char *path)
{
  return do_strings_e ("s", path);
}

/* ---- read-lines ---------------------------------------------------------- */

static int
lines_cb (void *opaque, const char *s, size_t len)
{
  /* CRLF line ends lose their CR too. */
  if (len > 0 && s[len - 1] == '\r') len--;
  return gk_int_reply_list_add (opaque, s, len);
}

char **
do_read_lines (const char *path)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  struct gk_int_reply_list l = { .what = path, .instead = "download" };
  int r = each_line (fd, path, lines_cb, &l);
  close (fd);
  if (r == -1) return free_lines (&l);
  return lines_done (&l);
}
