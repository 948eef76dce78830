/* gkfish: reading key arguments (LUKS passphrases), as guestfish does.
 *
 * A call's key arguments (GK_S_KEY in the table) are not words of the
 * command: each is read when the command runs, from the terminal
 * (/dev/tty) with echo off, or, with --keys-from-stdin or without a
 * terminal, one line from standard input (the same stream a script on
 * stdin is read from, so keys can follow the command that needs them).
 * The prompt is shown only when reading a terminal; --echo-keys leaves
 * echo on.  The newline is not part of the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cmd.h"
#include "gkfish.h"

static int keys_from_stdin, echo_keys;

char *
gk_fish_read_key (const char *arg)
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

static char *
read_key (const char *call, const char *arg)
{
  (void) call;
  return gk_fish_read_key (arg);
}

void
gk_fish_keys_init (int from_stdin, int echo)
{
  keys_from_stdin = from_stdin;
  echo_keys = echo;
  gk_cmd_set_key_reader (read_key);
}
