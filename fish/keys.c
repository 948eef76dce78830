/* gkfish and gkinspector: reading key arguments (LUKS passphrases), as guestfish does.
 *
 * A call's key arguments (GK_S_KEY in the table) are not words of the
 * command: each is read when the command runs, from the terminal
 * (/dev/tty) with echo off, or, with --keys-from-stdin or without a
 * terminal, one line from standard input (the same stream a script on
 * stdin is read from, so keys can follow the command that needs them).
 * The prompt is shown only when reading a terminal; --echo-keys leaves
 * echo on.  The newline is not part of the key.  Encrypted guests: every
 * LUKS device is opened before inspection (gkfish -i, gkinspector).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "keys.h"

static int keys_from_stdin, echo_keys;

char *
gk_keys_read (const char *arg)
{
  FILE *f = NULL;
  if (!keys_from_stdin) f = fopen ("/dev/tty", "r+e");
  FILE *in = f ? f : stdin, *out = f ? f : stdout;
  int tty = isatty (fileno (in));
  struct termios saved, quiet;
  int restore = 0;

  if (tty) {
    fprintf (out, "Enter key or passphrase (\"%s\"): ", arg);
    fflush (out);
    if (!echo_keys && tcgetattr (fileno (in), &saved) == 0) {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      restore = tcsetattr (fileno (in), TCSAFLUSH, &quiet) == 0;
    }
  }
  char *key = NULL;
  size_t cap = 0;
  ssize_t n = getline (&key, &cap, in);
  if (restore) {
    tcsetattr (fileno (in), TCSAFLUSH, &saved);
    fputc ('\n', out);
  }
  if (f) fclose (f);
  if (n < 0) {
    free (key);
    return NULL;
  }
  if (n > 0 && key[n - 1] == '\n') key[--n] = '\0';
  return key;
}

void
gk_keys_set_mode (int from_stdin, int echo)
{
  keys_from_stdin = from_stdin;
  echo_keys = echo;
}

/* Read-write even for read-only drives: those are overlays that keep the
 * image unchanged, and LVM cannot activate LVs on a read-only mapping. */
int
gk_keys_open_luks (gk_h *g, const char *prog)
{
  char **fs = gk_list_filesystems (g);
  if (!fs) {
    fprintf (stderr, "%s: %s\n", prog, gk_last_error (g));
    return -1;
  }
  int r = 0;
  for (size_t i = 0; fs[i] && fs[i + 1] && r == 0; i += 2) {
    if (strcmp (fs[i + 1], "crypto_LUKS") != 0 || strncmp (fs[i], "/dev/", 5) != 0)
      continue;
    char map[128];
    snprintf (map, sizeof map, "luks-%s", fs[i] + 5);
    char *key = gk_keys_read (fs[i]);
    if (!key) {
      fprintf (stderr, "%s: %s: no key given for this encrypted device\n", prog, fs[i]);
      r = -1;
      break;
    }
    r = gk_luks_open (g, fs[i], key, map);
    explicit_bzero (key, strlen (key));
    free (key);
    if (r == -1) fprintf (stderr, "%s: %s\n", prog, gk_last_error (g));
  }
  gk_free_strings (fs);
  return r;
}
