/* gkfish: the built-in commands (those that are not calls of the API
 * table): help, quit/exit, echo, lcd, time, glob, setenv, unsetenv. */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gkfish.h"
#include "grow.h"

static int bi_help (struct shell *, char **);
static int bi_quit (struct shell *, char **);
static int bi_echo (struct shell *, char **);
static int bi_lcd (struct shell *, char **);
static int bi_time (struct shell *, char **);
static int bi_glob (struct shell *, char **);
static int bi_timings (struct shell *, char **);
static int bi_setenv (struct shell *, char **);
static int bi_unsetenv (struct shell *, char **);

static const struct builtin {
  const char *name, *usage, *desc;
  gk_fish_builtin_fn fn;
} builtins[] = {
  { "help", "help [CMD]", "list the commands, or describe CMD", bi_help },
  { "quit", "quit", "leave gkfish", bi_quit },
  { "exit", "exit", "leave gkfish", bi_quit },
  { "echo", "echo WORDS...", "print the words", bi_echo },
  { "lcd", "lcd [DIR]", "change the local (host) directory", bi_lcd },
  { "time", "time CMD ARGS...", "run CMD and print the elapsed time", bi_time },
  { "glob", "glob CMD ARGS...", "run CMD for each match of the "
    "guest wildcards in ARGS", bi_glob },
  { "timings", "timings", "the launch and last-transfer timers, in ms",
    bi_timings },
  { "alloc", "alloc FILE SIZE", "create a zeroed, allocated FILE and add it",
    gk_fish_bi_alloc },
  { "allocate", "allocate FILE SIZE", "the same as alloc", gk_fish_bi_alloc },
  { "sparse", "sparse FILE SIZE", "create a sparse FILE and add it",
    gk_fish_bi_sparse },
  { "edit", "edit FILE", "edit a guest file with $EDITOR (default vi)",
    gk_fish_bi_edit },
  { "vi", "vi FILE", "edit a guest file with vi", gk_fish_bi_edit },
  { "emacs", "emacs FILE", "edit a guest file with emacs", gk_fish_bi_edit },
  { "setenv", "setenv VAR VALUE", "set a variable of gkfish's environment "
    "(LIBGUESTFS_*, EDITOR, TMPDIR...)", bi_setenv },
  { "unsetenv", "unsetenv VAR", "remove a variable from gkfish's environment",
    bi_unsetenv },
  { "event", "event NAME EVENTS SCRIPT", "run SCRIPT on EVENTS (close, "
    "subprocess_quit, launch_done, enter, or *)", gk_fish_bi_event },
  { "list-events", "list-events", "list the event handlers", gk_fish_bi_list_events },
  { "delete-event", "delete-event NAME", "remove the event handlers NAME",
    gk_fish_bi_delete_event },
};
#define NR_BUILTINS (sizeof builtins / sizeof builtins[0])

const char *const gk_fish_builtin_names[] = {
  "help", "quit", "exit", "echo", "lcd", "time", "glob", "timings",
  "alloc", "allocate", "sparse", "edit", "vi", "emacs", "setenv", "unsetenv",
  "event", "list-events", "delete-event", NULL
};

/* Written with a leading character, handled before splitting (script.c). */
static const char *const host_forms[][2] = {
  { "!HOSTCMD", "run HOSTCMD with the host's shell" },
  { "<! HOSTCMD", "run HOSTCMD and execute its output as commands" },
  { "CMD | HOSTCMD", "pipe the output of CMD into HOSTCMD" },
  { "-CMD", "run CMD; an error does not stop the script" },
};

gk_fish_builtin_fn
gk_fish_find_builtin (const char *name)
{
  for (size_t i = 0; i < NR_BUILTINS; i++)
    if (strcmp (builtins[i].name, name) == 0) return builtins[i].fn;
  return NULL;
}

static int
bi_help (struct shell *sh, char **words)
{
  (void) sh;
  if (words[1] && words[2]) {
    gk_fish_fail ("help: too many arguments\nusage: help [CMD]");
    return CMD_ERROR;
  }
  if (!words[1]) {
    printf ("Built-in commands:\n");
    for (size_t i = 0; i < NR_BUILTINS; i++)
      printf ("  %-16s %s\n", builtins[i].usage, builtins[i].desc);
    for (size_t i = 0; i < sizeof host_forms / sizeof host_forms[0]; i++)
      printf ("  %-16s %s\n", host_forms[i][0], host_forms[i][1]);
    printf ("\nCalls ('help CMD' for details):\n");
    return gk_cmd_help (stdout, NULL) == 0 ? CMD_OK : CMD_ERROR;
  }
  for (size_t i = 0; i < NR_BUILTINS; i++)
    if (strcmp (builtins[i].name, words[1]) == 0) {
      printf ("%s - %s\n\nusage: %s\n", builtins[i].name, builtins[i].desc,
              builtins[i].usage);
      return CMD_OK;
    }
  if (gk_cmd_help (stdout, words[1]) == 0) return CMD_OK;
  gk_cmd_unknown (stderr, words[1], gk_fish_builtin_names);
  return CMD_ERROR;
}

static int
bi_quit (struct shell *sh, char **words)
{
  (void) sh; (void) words;
  return CMD_QUIT;
}

static int
bi_echo (struct shell *sh, char **words)
{
  (void) sh;
  for (size_t i = 1; words[i]; i++)
    printf ("%s%s", i > 1 ? " " : "", words[i]);
  putchar ('\n');
  return CMD_OK;
}

static int
bi_lcd (struct shell *sh, char **words)
{
  (void) sh;
  const char *dir = words[1] ? words[1] : getenv ("HOME");
  if (words[1] && words[2]) {
    gk_fish_fail ("lcd: too many arguments\nusage: lcd [DIR]");
    return CMD_ERROR;
  }
  if (!dir) {
    gk_fish_fail ("lcd: no directory given and HOME is not set");
    return CMD_ERROR;
  }
  if (chdir (dir) == -1) {
    gk_fish_fail ("lcd: %s: %s", dir, strerror (errno));
    return CMD_ERROR;
  }
  return CMD_OK;
}

static int
bi_time (struct shell *sh, char **words)
{
  struct timespec t0, t1;
  if (!words[1]) {
    gk_fish_fail ("time: no command\nusage: time CMD ARGS...");
    return CMD_ERROR;
  }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  int r = gk_fish_run_command (sh, words + 1);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double s = (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf ("elapsed time: %.2f seconds\n", s);
  return r;
}

static int
bi_timings (struct shell *sh, char **words)
{
  if (words[1]) {
    gk_fish_fail ("timings: too many arguments\nusage: timings");
    return CMD_ERROR;
  }
  struct gk_timing_list *l = gk_get_timings (sh->g);
  if (!l) {
    gk_fish_fail ("timings: %s", gk_last_error (sh->g));
    return CMD_ERROR;
  }
  if (l->len == 0) printf ("no timings yet (nothing launched or transferred)\n");
  for (size_t i = 0; i < l->len; i++)
    printf ("%-22s %10.1f ms\n", l->val[i].name, (double) l->val[i].usec / 1000.0);
  gk_free_timing_list (l);
  return CMD_OK;
}

/* ---- glob ------------------------------------------------------------- */

#define GLOB_MAX 10000   /* matches of one pattern, and runs of one glob */

struct strv { char **v; size_t n, cap; };

static int
sv_add (struct strv *s, char *str)
{
  if (!str) return -1;
  if (gk_int_grow ((void **) &s->v, &s->cap, s->n + 2, sizeof *s->v, 16) == -1) {
    free (str);
    return -1;
  }
  s->v[s->n++] = str;
  s->v[s->n] = NULL;
  return 0;
}

static int
has_wildcard (const char *s)
{
  return strpbrk (s, "*?[") != NULL;
}

/* Expand the components from P on ("usr/lib*" and so on) below the guest
 * directory DIR ("" for the root) into OUT. */
static int
expand (gk_h *g, const char *dir, const char *p, struct strv *out)
{
  while (*p == '/') p++;
  if (!*p) return sv_add (out, strdup (*dir ? dir : "/"));
  size_t len = strcspn (p, "/");
  char *comp = strndup (p, len);
  if (!comp) return -1;
  int r = 0;
  if (!has_wildcard (comp)) {
    char *next = NULL;
    if (asprintf (&next, "%s/%s", dir, comp) == -1) r = -1;
    else r = expand (g, next, p + len, out);
    free (next);
  }
  else {
    /* A directory that is not there or not a directory has no matches. */
    char **names = gk_ls (g, *dir ? dir : "/");
    for (size_t i = 0; names && names[i] && r == 0 && out->n < GLOB_MAX; i++) {
      if (fnmatch (comp, names[i], FNM_PERIOD) != 0) continue;
      char *next = NULL;
      if (asprintf (&next, "%s/%s", dir, names[i]) == -1) { r = -1; break; }
      r = expand (g, next, p + len, out);
      free (next);
    }
    gk_free_strings (names);
  }
  free (comp);
  return r;
}

/* A /dev/ pattern, as guestfish globs it: against the device names
 * (devices, partitions, md arrays, logical volumes), not the guest's
 * filesystem.  Lists that fail (no LVM, say) just add nothing. */
static int
expand_devices (gk_h *g, const char *pat, struct strv *out)
{
  char **(*const lists[]) (gk_h *) = {
    gk_list_devices, gk_list_partitions, gk_list_md_devices, gk_lvs,
  };
  int r = 0;
  for (size_t l = 0; l < sizeof lists / sizeof lists[0] && r == 0; l++) {
    char **names = lists[l] (g);
    for (size_t i = 0; names && names[i] && r == 0 && out->n < GLOB_MAX; i++)
      if (fnmatch (pat, names[i], FNM_PATHNAME) == 0)
        r = sv_add (out, strdup (names[i]));
    gk_free_strings (names);
  }
  return r;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
bi_glob (struct shell *sh, char **words)
{
  size_t n = 0;
  while (words[n + 1]) n++;
  if (n == 0) {
    gk_fish_fail ("glob: no command\nusage: glob CMD ARGS...");
    return CMD_ERROR;
  }
  if (gk_fish_ensure_launched (sh) == -1) return CMD_ERROR;

  /* One list of alternatives per word: the matches of a guest pattern,
   * or the word itself (also for a pattern that matches nothing). */
  struct strv *alt = calloc (n, sizeof *alt);
  size_t *idx = calloc (n, sizeof *idx);
  char **cmd = calloc (n + 1, sizeof *cmd);
  int r = CMD_OK;
  size_t runs = 1;
  if (!alt || !idx || !cmd) { gk_fish_fail ("glob: out of memory"); r = CMD_ERROR; goto out; }
  for (size_t i = 0; i < n && r == CMD_OK; i++) {
    const char *w = words[i + 1];
    if (i > 0 && w[0] == '/' && has_wildcard (w)) {
      int e = strncmp (w, "/dev/", 5) == 0 ? expand_devices (sh->g, w, &alt[i]) : 0;
      if (e == -1 || (alt[i].n == 0 && expand (sh->g, "", w, &alt[i]) == -1)) {
        gk_fish_fail ("glob: %s: out of memory", w);
        r = CMD_ERROR;
      }
      if (alt[i].n > 1) qsort (alt[i].v, alt[i].n, sizeof (char *), cmp_str);
    }
    if (r == CMD_OK && alt[i].n == 0 && sv_add (&alt[i], strdup (w)) == -1) {
      gk_fish_fail ("glob: out of memory");
      r = CMD_ERROR;
    }
    if (r == CMD_OK && (runs *= alt[i].n) > GLOB_MAX) {
      gk_fish_fail ("glob: more than %d combinations", GLOB_MAX);
      r = CMD_ERROR;
    }
  }
  if (r == CMD_ERROR) goto out;
  /* Every combination, the last word varying fastest; stop at the first
   * error (or quit), as a script would. */
  for (;;) {
    for (size_t i = 0; i < n; i++) cmd[i] = alt[i].v[idx[i]];
    r = gk_fish_run_command (sh, cmd);
    if (r != CMD_OK || gk_fish_quit) break;
    size_t i = n;
    while (i > 0 && ++idx[i - 1] == alt[i - 1].n) idx[--i] = 0;
    if (i == 0) break;
  }
 out:
  for (size_t i = 0; alt && i < n; i++) {
    for (size_t j = 0; j < alt[i].n; j++) free (alt[i].v[j]);
    free (alt[i].v);
  }
  free (alt); free (idx); free (cmd);
  return r;
}

/* guestfish's setenv/unsetenv: the variables reach later host commands
 * (!CMD, EDITOR) and settings read from the environment. */
static int
bi_setenv (struct shell *sh, char **words)
{
  (void) sh;
  if (!words[1] || !words[2] || words[3]) {
    gk_fish_fail ("setenv: expected two arguments\nusage: setenv VAR VALUE");
    return CMD_ERROR;
  }
  if (!*words[1] || strchr (words[1], '=')) errno = EINVAL;
  else if (setenv (words[1], words[2], 1) == 0) return CMD_OK;
  gk_fish_fail ("setenv: %s: %s", words[1], strerror (errno));
  return CMD_ERROR;
}

static int
bi_unsetenv (struct shell *sh, char **words)
{
  (void) sh;
  if (!words[1] || words[2]) {
    gk_fish_fail ("unsetenv: expected one argument\nusage: unsetenv VAR");
    return CMD_ERROR;
  }
  if (!*words[1] || strchr (words[1], '=')) errno = EINVAL;
  else if (unsetenv (words[1]) == 0) return CMD_OK;
  gk_fish_fail ("unsetenv: %s: %s", words[1], strerror (errno));
  return CMD_ERROR;
}
