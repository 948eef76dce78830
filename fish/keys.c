/* gkfish and gkinspector: reading key arguments (LUKS passphrases), as guestfish does.
 *
 * A call's key arguments (GK_S_KEY in the table) are not words of the
 * command: each is read when the command runs, from the terminal
 * (/dev/tty) with echo off, or, with --keys-from-stdin or without a
 * terminal, one line from standard input (the same stream a script on
 * stdin is read from, so keys can follow the command that needs them).
 * The prompt is shown only when reading a terminal; --echo-keys leaves
 * echo on.  The newline is not part of the key.  Encrypted guests: every
 * LUKS device is opened before inspection (gkfish -i, gkinspector), with
 * the --key keys given for it, else a key read as above.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>
#include "grow.h"
#include "i18n.h"
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

/* The --key keys, in command-line order: ID (device or UUID), key. */
struct key_sel {
  char *id, *key;
};
static struct key_sel *sels;
static size_t nr_sels, cap_sels;

static void
wipe_free (char *key)
{
  if (!key) return;
  explicit_bzero (key, strlen (key));
  free (key);
}

void
gk_keys_free_selectors (void)
{
  for (size_t i = 0; i < nr_sels; i++) {
    free (sels[i].id);
    wipe_free (sels[i].key);
  }
  free (sels);
  sels = NULL;
  nr_sels = cap_sels = 0;
}

/* ID:file:FILENAME: the first line, without its newline, as guestfish
 * reads it; read now, so that a missing file is an error before launch. */
static char *
read_key_file (const char *id, const char *file, const char *prog)
{
  errno = 0;
  FILE *f = fopen (file, "re");
  char *key = NULL;
  size_t cap = 0;
  ssize_t n = f ? getline (&key, &cap, f) : -1;
  int e = errno, empty = f && !ferror (f);   /* end of file at once */
  if (f) fclose (f);
  if (n > 0 && key[n - 1] == '\n') key[--n] = '\0';
  if (n > 0) return key;
  wipe_free (key);
  fprintf (stderr, "%s: ", prog);
  if (n == 0 || empty)
    fprintf (stderr, _("--key %s:file:%s: no key in the file (its first line is the key)\n"),
             id, file);
  else
    fprintf (stderr, _("--key %s:file:%s: cannot read the key: %s\n"), id, file,
             strerror (e));
  return NULL;
}

/* Only ID and the type are ever printed: the rest may be a key, and so
 * may a selector without ':', or its ID if it is not a device or UUID. */
static const char *
shown_id (const char *id)
{
  if (strncmp (id, "/dev/", 5) == 0 || strspn (id, "0123456789abcdefABCDEF-") == strlen (id))
    return id;
  return _("(ID not shown: neither /dev/... nor a UUID)");
}

int
gk_keys_add_selector (char *sel, const char *prog)
{
  char *c1 = strchr (sel, ':');
  const char *type = c1 ? c1 + 1 : NULL;
  char *c2 = type ? strchr (type, ':') : NULL;
  size_t tlen = !type ? 0 : c2 ? (size_t) (c2 - type) : strlen (type);
  char *id = c1 && c1 != sel ? strndup (sel, (size_t) (c1 - sel)) : NULL, *key = NULL;

  const char *sid = id ? shown_id (id) : "";
  if (!c1 || !id) {
    fprintf (stderr, "%s: ", prog);
    if (c1 == sel)
      fputs (_("--key: no ID before the first ':' (a device such as /dev/sda2, or a LUKS UUID)\n"),
             stderr);
    else if (!c1)
      fputs (_("--key: expected ID:key:KEY_STRING or ID:file:FILENAME (the selector "
               "has no ':'; it is not shown, as it may be a key)\n"), stderr);
    else perror ("--key");
    return -1;
  }
  if (tlen == 6 && strncmp (type, "clevis", 6) == 0) {
    fprintf (stderr, "%s: ", prog);
    fprintf (stderr, _("--key %s:clevis: Clevis/Tang network keys are not supported: "
                       "give the key with ID:key:KEY_STRING or ID:file:FILENAME\n"), sid);
  }
  else if (tlen == 3 && strncmp (type, "key", 3) == 0) {
    /* The key is everything after "key:", ':' included (guestfish 1.48
     * refuses keys with ':'; accepting them breaks no selector it takes). */
    if (!c2 || !c2[1]) {
      fprintf (stderr, "%s: ", prog);
      fprintf (stderr, _("--key %s:key: no key after \"key:\"\n"), sid);
    }
    else if (!(key = strdup (c2 + 1))) perror ("--key");
    else explicit_bzero (c2 + 1, strlen (c2 + 1));
  }
  else if (tlen == 4 && strncmp (type, "file", 4) == 0) {
    if (!c2 || !c2[1]) {
      fprintf (stderr, "%s: ", prog);
      fprintf (stderr, _("--key %s:file: no file name after \"file:\"\n"), sid);
    }
    else key = read_key_file (sid, c2 + 1, prog);
  }
  else {
    fprintf (stderr, "%s: ", prog);
    fprintf (stderr, _("--key %s:...: unknown type after the ID: expected ID:key:KEY_STRING "
                       "or ID:file:FILENAME (the rest is not shown, as it may be a key)\n"),
             sid);
  }
  if (key && gk_int_grow ((void **) &sels, &cap_sels, nr_sels + 1, sizeof *sels, 4) == 0) {
    sels[nr_sels].id = id;
    sels[nr_sels++].key = key;
    return 0;
  }
  if (key) perror ("--key");
  free (id);
  wipe_free (key);
  return -1;
}

/* Open DEV as MAP with each --key whose ID is DEV or its LUKS UUID, in
 * command-line order: 1 opened, 0 no --key for DEV, -1 none opened (the
 * error printed). */
static int
open_with_selectors (gk_h *g, const char *dev, const char *map, const char *prog)
{
  if (nr_sels == 0) return 0;
  char *uuid = gk_luks_uuid (g, dev);
  size_t tried = 0;
  char *err = NULL;
  for (size_t i = 0; i < nr_sels; i++) {
    if (strcmp (sels[i].id, dev) != 0 && (!uuid || strcasecmp (sels[i].id, uuid) != 0))
      continue;
    tried++;
    if (gk_luks_open (g, dev, sels[i].key, map) == 0) {
      free (uuid);
      free (err);
      return 1;
    }
    const char *m = gk_last_error (g);
    free (err);
    err = strdup (m ? m : "");
  }
  free (uuid);
  if (tried) {
    /* As guestfish: a device with --key keys is not prompted for. */
    fprintf (stderr, "%s: ", prog);
    fprintf (stderr, _("%s: the --key given for this encrypted device did not open it "
                       "(%zu tried; last error: %s)\n"), dev, tried, err ? err : "out of memory");
  }
  free (err);
  return tried ? -1 : 0;
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
    int o = open_with_selectors (g, fs[i], map, prog);
    if (o == -1) r = -1;
    if (o != 0) continue;
    char *key = gk_keys_read (fs[i]);
    if (!key) {
      fprintf (stderr, "%s: %s: no key given for this encrypted device\n", prog, fs[i]);
      r = -1;
      break;
    }
    r = gk_luks_open (g, fs[i], key, map);
    wipe_free (key);
    if (r == -1) fprintf (stderr, "%s: %s\n", prog, gk_last_error (g));
  }
  gk_free_strings (fs);
  return r;
}
