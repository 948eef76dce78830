/* gkbatch: the script.  It is read and checked once, before any image is
 * touched (a typo is a usage error, not ten thousand failures): every
 * line is split and parsed as gkfish would (fish/cmd.h).  The workers
 * then run the parsed words.
 *
 * The syntax is gkfish's, without what needs a shell around it: host
 * commands ("!", "<!", "CMD | HOST") are refused, and of gkfish's
 * built-ins only run/launch (the appliance is already up), quit/exit
 * and echo are known.  A leading '-' lets the script go on after that
 * command fails. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gkbatch.h"
#include "grow.h"
#include "cmd.h"
#include "i18n.h"

static int
is_builtin (const char *w)
{
  static const char *const b[] = { "run", "launch", "quit", "exit", "echo", NULL };
  for (size_t i = 0; b[i]; i++)
    if (strcmp (w, b[i]) == 0) return 1;
  return 0;
}

/* 1 if LINE has a '|' outside quotes, or starts with '!' or "<!". */
static int
host_line (const char *line)
{
  line += strspn (line, " \t");
  if (*line == '!' || strncmp (line, "<!", 2) == 0) return 1;
  char q = 0;
  for (const char *p = line; *p; p++) {
    if (q) { if (*p == '\\' && q == '"' && p[1]) p++; else if (*p == q) q = 0; }
    else if (*p == '\\' && p[1]) p++;
    else if (*p == '\'' || *p == '"') q = *p;
    else if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) return 0;
    else if (*p == '|') return 1;
  }
  return 0;
}

/* Check and keep WORDS (taken over) as line LINENO. */
static int
add (struct gkb_script *s, char **words, size_t lineno)
{
  if (!words[0]) { gk_cmd_free_words (words); return 0; }
  int ign = 0;
  if (words[0][0] == '-' && words[0][1]) {
    ign = 1;
    memmove (words[0], words[0] + 1, strlen (words[0]));
  }
  if (!is_builtin (words[0])) {
    struct gk_cmd c;
    char *msg = NULL;
    size_t len = 0;
    FILE *m = open_memstream (&msg, &len);
    if (!m) { gk_cmd_free_words (words); return -1; }
    char pfx[1100];
    snprintf (pfx, sizeof pfx, "gkbatch: %.1000s:%zu", s->name, lineno);
    gk_cmd_set_prefix (pfx);
    int r = gk_cmd_parse (words, &c, m);
    gk_cmd_set_prefix ("gkbatch");
    fclose (m);
    if (r == -1) {
      fputs (msg ? msg : _("gkbatch: usage error\n"), stderr);
      free (msg);
      gk_cmd_free_words (words);
      return -1;
    }
    free (msg);
    gk_cmd_clear (&c);
  }
  if (gk_int_grow ((void **) &s->lines, &s->cap, s->n + 1, sizeof *s->lines, 16) == -1) {
    gk_cmd_free_words (words);
    return -1;
  }
  s->lines[s->n++] = (struct gkb_script_line) { words, lineno, ign };
  return 0;
}

static int
load_line (struct gkb_script *s, const char *line, size_t lineno)
{
  if (host_line (line)) {
    gkb_warn ("%s:%zu: host commands (!, <!, |) are not supported by gkbatch", s->name, lineno);
    return -1;
  }
  char *err = NULL;
  char **w = gk_cmd_split (line, &err);
  if (!w) {
    gkb_warn ("%s:%zu: %s", s->name, lineno, err ? err : "out of memory");
    free (err);
    return -1;
  }
  return add (s, w, lineno);
}

int
gkb_script_load (const struct gkb_opts *o, struct gkb_script *s)
{
  memset (s, 0, sizeof *s);
  if (o->inline_cmds) {
    s->name = "--";
    size_t start = 0, n = 0;
    for (;; n++) {
      char **cw = o->inline_cmds;
      if (cw[n] && strcmp (cw[n], ":") != 0) continue;
      if (n > start) {
        char **w = calloc (n - start + 1, sizeof *w);
        if (!w) return -1;
        for (size_t i = start; i < n; i++)
          if (!(w[i - start] = strdup (cw[i]))) { gk_cmd_free_words (w); return -1; }
        if (add (s, w, s->n + 1) == -1) return -1;
      }
      if (!cw[n]) break;
      start = n + 1;
    }
    return 0;
  }
  s->name = o->script_file;
  FILE *f = strcmp (o->script_file, "-") == 0 ? stdin : fopen (o->script_file, "re");
  if (!f) { gkb_warn ("%s: %s", o->script_file, strerror (errno)); return -1; }
  char *line = NULL;
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int r = 0;
  while (r == 0 && (len = getline (&line, &cap, f)) != -1) {
    lineno++;
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    r = load_line (s, line, lineno);
  }
  free (line);
  if (f != stdin) fclose (f);
  return r;
}

void
gkb_script_free (struct gkb_script *s)
{
  for (size_t i = 0; i < s->n; i++) gk_cmd_free_words (s->lines[i].words);
  free (s->lines);
  memset (s, 0, sizeof *s);
}
