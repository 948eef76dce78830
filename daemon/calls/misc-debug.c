/* guestkitd: debug SUBCMD ARGS..., guestfish's door into the daemon's
 * internals, with the subcommands scripts use.  For debugging: the
 * arguments come from the host's user, and nothing here reads the
 * guest. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"

extern char **environ;

#define DEBUG_SUBCMDS "help sh print env fds ls ll"

/* Lines "FD PATH" of the daemon's open descriptors. */
static char *
debug_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (!d) { gk_int_perr ("debug fds: /proc/self/fd"); return NULL; }
  struct gk_int_reply_list l = { .what = "debug fds" };
  int dfd = dirfd (d), r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir (d))) {
    if (e->d_name[0] == '.' || atoi (e->d_name) == dfd) continue;
    char p[300], target[PATH_MAX], line[PATH_MAX + 64];
    snprintf (p, sizeof p, "/proc/self/fd/%s", e->d_name);
    ssize_t n = readlink (p, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    int len = snprintf (line, sizeof line, "%s %s", e->d_name, target);
    r = gk_int_reply_list_add (&l, line, (size_t) len);
  }
  closedir (d);
  char *s = r == 0 ? gk_int_join (l.v, "\n") : NULL;
  gk_int_free_strings (l.v);
  return s;
}

char *
do_debug (const char *subcmd, char *const *extraargs)
{
  size_t n = gk_int_count_strings (extraargs);
  if (strcmp (subcmd, "help") == 0) {
    char *s = strdup ("Commands supported: " DEBUG_SUBCMDS "\n");
    if (!s) gk_int_err (ENOMEM, "out of memory");
    return s;
  }
  if (strcmp (subcmd, "sh") == 0 || strcmp (subcmd, "print") == 0) {
    char *words = gk_int_join (extraargs, " ");
    if (words && strspn (words, " \t") == strlen (words)) {
      free (words);
      gk_int_err (EINVAL, "debug %s: expected arguments", subcmd);
      return NULL;
    }
    if (!words || subcmd[0] == 'p') return words;
    char *out = do_debug_sh (words);
    free (words);
    return out;
  }
  if (strcmp (subcmd, "env") == 0)
    return gk_int_join (environ, "\n");
  if (strcmp (subcmd, "fds") == 0)
    return debug_fds ();
  if (strcmp (subcmd, "ls") == 0 || strcmp (subcmd, "ll") == 0) {
    /* The appliance's ls, on appliance paths ("/" by default). */
    const char **argv = calloc (n + 4, sizeof *argv);
    if (!argv) { gk_int_err (ENOMEM, "out of memory"); return NULL; }
    size_t k = 0;
    argv[k++] = "ls";
    argv[k++] = subcmd[1] == 'l' ? "-la" : "-a";
    for (size_t i = 0; i < n; i++)
      if (extraargs[i][0]) argv[k++] = extraargs[i];    /* debug ls "": of / */
    if (k == 2) argv[k++] = "/";
    char *out = NULL;
    int r = gk_int_run (&out, NULL, argv);
    free (argv);
    return r == -1 ? NULL : out;
  }
  gk_int_err (EINVAL, "debug: unknown subcommand '%.64s' (valid: %s)", subcmd, DEBUG_SUBCMDS);
  return NULL;
}
