/* gkfish: reading commands from scripts (-f, standard input, "<! CMD")
 * and the lines that involve host commands: "!CMD", "<! CMD" and
 * "CMD | HOSTCMD". */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gkfish.h"

/* Exit status of a host command as one of CMD_*; says why it failed. */
static int
host_status (const char *cmd, int status)
{
  if (status == -1) {
    gk_fish_fail ("%s: %s", cmd, strerror (errno));
    return CMD_ERROR;
  }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0) return CMD_OK;
  if (WIFEXITED (status))
    gk_fish_fail ("%s: exit status %d", cmd, WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    gk_fish_fail ("%s: killed by signal %d", cmd, WTERMSIG (status));
  return CMD_ERROR;
}

char *
gk_fish_shell_quote (const char *s)
{
  char *q = malloc (strlen (s) * 4 + 3), *p = q;
  if (!q) return NULL;
  *p++ = '\'';
  for (; *s; s++) {
    if (*s == '\'') { memcpy (p, "'\\''", 4); p += 4; }
    else *p++ = *s;
  }
  *p++ = '\''; *p = '\0';
  return q;
}

int
gk_fish_system (const char *cmd)
{
  fflush (stdout);
  fflush (stderr);
  return host_status (cmd, system (cmd));
}

int
gk_fish_run_stream (struct shell *sh, FILE *f, const char *name)
{
  char *line = NULL, pfx[1300];
  const char *outer = gk_cmd_prefix ();
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int r = CMD_OK;

  while (r == CMD_OK && !gk_fish_quit && (len = getline (&line, &cap, f)) != -1) {
    lineno++;
    /* The line's end is not part of its last word ("echo a\"). */
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    snprintf (pfx, sizeof pfx, "gkfish: %s:%zu", name, lineno);
    gk_cmd_set_prefix (pfx);
    r = gk_fish_run_line (sh, line);
  }
  /* Nested scripts ("<! CMD" inside -f FILE) give the prefix back. */
  gk_cmd_set_prefix (outer);
  free (line);
  if (r == CMD_QUIT) return CMD_QUIT;
  if (r == CMD_ERROR || gk_fish_quit) return CMD_ERROR;
  return CMD_OK;
}

int
gk_fish_run_script (struct shell *sh, const char *file)
{
  FILE *f = fopen (file, "r");
  if (!f) {
    gk_fish_fail ("%s: %s", file, strerror (errno));
    return CMD_ERROR;
  }
  int r = gk_fish_run_stream (sh, f, file);
  fclose (f);
  return r;
}

/* "<! HOSTCMD": its output is a script. */
static int
run_generated (struct shell *sh, const char *cmd)
{
  fflush (stdout);
  FILE *f = popen (cmd, "r");
  if (!f) {
    gk_fish_fail ("%s: %s", cmd, strerror (errno));
    return CMD_ERROR;
  }
  char name[128];
  snprintf (name, sizeof name, "<! %.100s", cmd);
  int r = gk_fish_run_stream (sh, f, name);
  /* Stopped early: the rest of the output is not wanted. */
  int st = pclose (f);
  if (r != CMD_OK) return r;
  return host_status (cmd, st);
}

/* The offset of the first '|' outside quotes in LINE, or -1.  A '#'
 * starting a word ends the search (a comment). */
static ssize_t
find_pipe (const char *line)
{
  char q = 0;
  for (size_t i = 0; line[i]; i++) {
    char ch = line[i];
    if (q) {
      if (ch == q) q = 0;
      else if (q == '"' && ch == '\\' && line[i + 1]) i++;
    }
    else if (ch == '\'' || ch == '"') q = ch;
    else if (ch == '\\' && line[i + 1]) i++;
    else if (ch == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
      return -1;
    else if (ch == '|') return (ssize_t) i;
  }
  return -1;
}

/* "CMD | HOSTCMD": CMD's standard output goes into HOSTCMD. */
static int
run_piped (struct shell *sh, const char *line, size_t bar)
{
  char *left = strndup (line, bar);
  const char *host = line + bar + 1;
  char *why = NULL, **words = NULL;
  int r = CMD_ERROR, saved = -1;
  FILE *p = NULL;

  host += strspn (host, " \t");
  if (!left) { gk_fish_fail ("out of memory"); return CMD_ERROR; }
  if (!*host) { gk_fish_fail ("'|' needs a host command after it"); goto out; }
  if (!(words = gk_cmd_split (left, &why))) {
    gk_fish_fail ("%s", why);
    goto out;
  }
  if (!words[0]) { gk_fish_fail ("'|' needs a command before it"); goto out; }

  fflush (stdout);
  if ((saved = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) == -1
      || !(p = popen (host, "w"))
      || dup2 (fileno (p), STDOUT_FILENO) == -1) {
    gk_fish_fail ("%s: %s", host, strerror (errno));
    goto out;
  }
  sh->piped = 1;
  r = gk_fish_run_command (sh, words);
  sh->piped = 0;
  if (r == CMD_ERROR && words[0][0] == '-') r = CMD_OK;
  fflush (stdout);
  /* A reader that stops early (| head) is not an error of CMD. */
  clearerr (stdout);
 out:
  if (saved != -1) {
    dup2 (saved, STDOUT_FILENO);
    close (saved);
  }
  if (p) {
    int hr = host_status (host, pclose (p));
    if (r == CMD_OK) r = hr;
  }
  gk_cmd_free_words (words);
  free (why);
  free (left);
  return r;
}

int
gk_fish_host_line (struct shell *sh, const char *line, int *handled)
{
  const char *p = line + strspn (line, " \t");
  *handled = 1;
  if (p[0] == '!') return gk_fish_system (p + 1);
  if (p[0] == '<' && p[1] == '!') return run_generated (sh, p + 2 + strspn (p + 2, " \t"));
  ssize_t bar = find_pipe (line);
  if (bar >= 0) return run_piped (sh, line, (size_t) bar);
  *handled = 0;
  return CMD_OK;
}
