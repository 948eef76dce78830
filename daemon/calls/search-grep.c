/* guestkitd: grep and its variants (grep with options; grepi, egrep,
 * egrepi, fgrep, fgrepi, zgrep, zgrepi, zegrep, zegrepi, zfgrep,
 * zfgrepi as guestfish names them).
 *
 * The appliance's GNU grep runs on the file's appliance path (a gzip, xz
 * or bzip2 file is decompressed into it when COMPRESSED is set), with the pattern passed as one argument after
 * -e, so a pattern can never be taken for an option.  grep's exit status
 * 1 (no line matched) is an empty answer, not an error.  Output beyond
 * one message fails with EFBIG rather than being cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "actions.h"

#define PATTERN_MAX 65536

/* The program that decompresses PATH, judged by its first bytes, or NULL
 * if it is not compressed (or cannot be read: error set). */
static const char *
decompressor (const char *path)
{
  unsigned char m[6] = { 0 };
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1)
    return NULL;
  ssize_t n = read (fd, m, sizeof m);
  close (fd);
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return "gzip";
  if (n >= 6 && memcmp (m, "\xfd" "7zXZ\0", 6) == 0) return "xz";
  if (n >= 3 && memcmp (m, "BZh", 3) == 0) return "bzip2";
  return NULL;
}

static char **
grep (const char *regex, const char *path, int extended, int fixed,
      int insensitive, int compressed)
{
  if (extended && fixed) {
    gk_int_err (EINVAL, "grep: extended and fixed cannot be used together");
    return NULL;
  }
  if (strlen (regex) > PATTERN_MAX) {
    gk_int_err (EINVAL, "grep: pattern too long");
    return NULL;
  }
  /* The file first, for a clear error (grep -s says nothing). */
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) return NULL;
  close (fd);
  char *real = gk_int_sysroot_path (path);
  if (!real) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  /* A compressed file is decompressed into grep by a constant shell
   * script; the programs, the file and grep's arguments are positional
   * parameters, never part of the script. */
  const char *dec = compressed ? decompressor (path) : NULL;
  if (compressed && !dec && gk_int_err_isset ()) {
    free (real);
    return NULL;
  }
  char grep_prog[64], dec_prog[64];
  if (gk_int_find_program ("grep", grep_prog, sizeof grep_prog) == -1
      || (dec && gk_int_find_program (dec, dec_prog, sizeof dec_prog) == -1)) {
    gk_int_err (ENOENT, "%s: grep or %s is not in the appliance", path,
                dec ? dec : "grep");
    free (real);
    return NULL;
  }
  const char *argv[16];
  size_t n = 0;
  if (dec) {
    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = "\"$1\" -cd -- \"$3\" | { g=\"$2\"; shift 3; \"$g\" \"$@\"; }";
    argv[n++] = "sh";
    argv[n++] = dec_prog;
    argv[n++] = grep_prog;
    argv[n++] = real;
  }
  else
    argv[n++] = grep_prog;
  argv[n++] = "-s";     /* no messages about the file: we name it */
  if (extended) argv[n++] = "-E";
  if (fixed) argv[n++] = "-F";
  if (insensitive) argv[n++] = "-i";
  argv[n++] = "-e";
  argv[n++] = regex;
  if (!dec) {
    argv[n++] = "--";
    argv[n++] = real;
  }
  argv[n] = NULL;
  char *out = NULL, *err = NULL;
  int st = gk_int_run_status (&out, &err, NULL, argv);
  free (real);
  if (st == -1) {
    if (strcmp (gk_int_err_name (), "EFBIG") == 0) {
      gk_int_err_clear ();
      gk_int_err (EFBIG, "%s: grep output larger than the protocol limit "
                  "(narrow the pattern, or download the file)", path);
    }
    free (out);
    free (err);
    return NULL;
  }
  if (st >= 2) {
    /* grep -s is quiet about unreadable files: find out why. */
    size_t el = err ? strlen (err) : 0;
    while (el > 0 && (err[el - 1] == '\n' || err[el - 1] == ' ')) err[--el] = '\0';
    if (el)
      gk_int_err (EINVAL, "%s: %s", path, err);
    else
      gk_int_err (EINVAL, "%s: grep failed (status %d: a directory, an "
                  "unreadable file or an invalid pattern)", path, st);
    free (out);
    free (err);
    return NULL;
  }
  free (err);
  if (st == 1) {
    free (out);
    out = strdup ("");
    if (!out) {
      gk_int_err (ENOMEM, "out of memory");
      return NULL;
    }
  }
  char **lines = gk_int_split_lines (out);
  if (!lines) gk_int_err (ENOMEM, "out of memory");
  return lines;
}

char **
do_grep (const char *regex, const char *path, int extended, int fixed,
         int insensitive, int compressed)
{
  return grep (regex, path, extended, fixed, insensitive, compressed);
}

/* The guestfish variants: extended, fixed, insensitive, compressed. */
char **
do_grepi (const char *regex, const char *path)
{
  return grep (regex, path, 0, 0, 1, 0);
}

char **
do_egrep (const char *regex, const char *path)
{
  return grep (regex, path, 1, 0, 0, 0);
}

char **
do_egrepi (const char *regex, const char *path)
{
  return grep (regex, path, 1, 0, 1, 0);
}

char **
do_fgrep (const char *regex, const char *path)
{
  return grep (regex, path, 0, 1, 0, 0);
}

char **
do_fgrepi (const char *regex, const char *path)
{
  return grep (regex, path, 0, 1, 1, 0);
}

char **
do_zgrep (const char *regex, const char *path)
{
  return grep (regex, path, 0, 0, 0, 1);
}

char **
do_zgrepi (const char *regex, const char *path)
{
  return grep (regex, path, 0, 0, 1, 1);
}

char **
do_zegrep (const char *regex, const char *path)
{
  return grep (regex, path, 1, 0, 0, 1);
}

char **
do_zegrepi (const char *regex, const char *path)
{
  return grep (regex, path, 1, 0, 1, 1);
}

char **
do_zfgrep (const char *regex, const char *path)
{
  return grep (regex, path, 0, 1, 0, 1);
}

char **
do_zfgrepi (const char *regex, const char *path)
{
  return grep (regex, path, 0, 1, 1, 1);
}
