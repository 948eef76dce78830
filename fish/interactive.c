/* gkfish: the interactive prompt (readline, history in ~/.gkfish_history)
 * and its completion: command names for the first word; then, by the
 * type of the argument in the API table, device names or guest paths
 * (asked of the appliance once it is launched) or local file names. */
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "gkfish.h"
#include "grow.h"

#define PROMPT "><gkfish> "
#define HISTORY_FILE ".gkfish_history"
#define HISTORY_MAX 1000
#define MATCHES_MAX 5000

static struct shell *cur;    /* the shell being completed for */

/* ---- the candidates: a list computed once per completion ------------- */

static char **cand;
static size_t nr_cand, cap_cand;

static void
cand_clear (void)
{
  for (size_t i = 0; i < nr_cand; i++) free (cand[i]);
  free (cand);
  cand = NULL;
  nr_cand = cap_cand = 0;
}

static void
cand_add (const char *s)
{
  if (nr_cand >= MATCHES_MAX) return;
  if (gk_int_grow ((void **) &cand, &cap_cand, nr_cand + 1, sizeof *cand, 64) == -1) return;
  if ((cand[nr_cand] = strdup (s)) != NULL) nr_cand++;
}

static char *
cand_generator (const char *text, int state)
{
  static size_t i;
  size_t len = strlen (text);
  if (state == 0) i = 0;
  while (i < nr_cand) {
    const char *s = cand[i++];
    if (strncmp (s, text, len) == 0) return strdup (s);
  }
  return NULL;
}

/* ---- sources --------------------------------------------------------- */

static void
add_names (void)
{
  char buf[GK_CMD_NAME_MAX];
  size_t it = 0;
  const char *n;
  for (size_t i = 0; gk_fish_builtin_names[i]; i++) cand_add (gk_fish_builtin_names[i]);
  while ((n = gk_cmd_next_name (&it, buf)) != NULL) cand_add (n);
}

static void
add_list (char **l)
{
  for (size_t i = 0; l && l[i]; i++) cand_add (l[i]);
  gk_free_strings (l);
}

static void
add_devices (void)
{
  add_list (gk_list_devices (cur->g));
  add_list (gk_list_partitions (cur->g));
}

/* Entries of the guest directory named by TEXT up to its last '/'. */
static void
add_guest_paths (const char *text)
{
  const char *slash = strrchr (text, '/');
  if (!slash) return;
  size_t dlen = (size_t) (slash - text) + 1;     /* keeps the '/' */
  char *dir = strndup (text, dlen);
  if (!dir) return;
  if (dlen > 1) dir[dlen - 1] = '\0';            /* "/etc/" -> "/etc" */
  char **names = gk_ls (cur->g, dir);
  for (size_t i = 0; names && names[i]; i++) {
    char *p = NULL;
    if (strncmp (names[i], slash + 1, strlen (slash + 1)) != 0) continue;
    if (asprintf (&p, "%.*s%s", (int) dlen, text, names[i]) != -1) cand_add (p);
    free (p);
  }
  gk_free_strings (names);
  free (dir);
  /* One directory: add its '/' and let the user go on typing. */
  if (nr_cand == 1 && gk_is_dir (cur->g, cand[0], NULL) == 1) {
    char *p = NULL;
    if (asprintf (&p, "%s/", cand[0]) != -1) {
      free (cand[0]);
      cand[0] = p;
      rl_completion_suppress_append = 1;
    }
  }
}

/* What the word being completed is: its index among the words of the
 * command (0: the command), and the argument's type if known. */
enum what { W_NAME, W_DEVICE, W_GUEST, W_LOCAL, W_NOTHING };

static enum what
classify (int start, const char *text)
{
  char *prefix = strndup (rl_line_buffer, (size_t) start);
  char *why = NULL;
  char **w = prefix ? gk_cmd_split (prefix, &why) : NULL;
  enum what r = W_NOTHING;
  free (prefix);
  free (why);
  if (!w) return W_NOTHING;

  size_t skip = 0;
  /* time CMD ..., glob CMD ...: the command is the next word. */
  while (w[skip] && (strcmp (w[skip], "time") == 0 || strcmp (w[skip], "glob") == 0))
    skip++;
  size_t n = 0;
  while (w[skip + n]) n++;
  if (n == 0) { r = W_NAME; goto out; }

  const char *name = w[skip][0] == '-' ? w[skip] + 1 : w[skip];
  const struct gk_int_call *c = gk_int_lookup_call (name);
  if (!c) { r = gk_fish_find_builtin (name) ? W_LOCAL : W_NOTHING; goto out; }
  size_t nargs = gk_int_count_args (c->args), i = n - 1;
  if (nargs > 0 && i >= nargs && c->args[nargs - 1].type == GK_T_STRINGLIST)
    i = nargs - 1;
  enum gk_int_sub sub = i < nargs ? c->args[i].sub : GK_S_PLAIN;
  switch (sub) {
  case GK_S_DEVICE: case GK_S_MOUNTABLE: r = W_DEVICE; break;
  case GK_S_PATHNAME: r = W_GUEST; break;
  case GK_S_FILEIN: case GK_S_FILEOUT: r = W_LOCAL; break;
  default:
    /* Plain strings ("sh", "mount-options" values): guess from the text. */
    r = strncmp (text, "/dev/", 5) == 0 ? W_DEVICE : text[0] == '/' ? W_GUEST : W_NOTHING;
  }
 out:
  gk_cmd_free_words (w);
  return r;
}

static char **
complete (const char *text, int start, int end)
{
  (void) end;
  enum what w = classify (start, text);

  cand_clear ();
  rl_attempted_completion_over = 1;
  if (w == W_LOCAL) {
    rl_attempted_completion_over = 0;     /* readline's file names */
    return NULL;
  }
  if (w == W_NAME) add_names ();
  else if ((w == W_DEVICE || w == W_GUEST) && cur->launched) {
    if (w == W_DEVICE) add_devices ();
    else add_guest_paths (text);
  }
  if (nr_cand == 0) return NULL;
  return rl_completion_matches (text, cand_generator);
}

/* Called by readline when a signal interrupts its read: Ctrl-C drops the
 * line being typed and gives a fresh prompt, as in a shell.  (SIGTERM
 * and SIGHUP make readline return by themselves.) */
static int
on_readline_signal (void)
{
  if (gk_fish_sigint) {
    gk_fish_sigint = 0;
    rl_replace_line ("", 0);
    fputc ('\n', rl_outstream ? rl_outstream : stdout);
    rl_on_new_line ();
    rl_redisplay ();
  }
  return 0;
}

static char *
history_path (void)
{
  const char *home = getenv ("HOME");
  char *p = NULL;
  if (!home || !*home) return NULL;
  if (asprintf (&p, "%s/%s", home, HISTORY_FILE) == -1) return NULL;
  return p;
}

int
gk_fish_interactive_loop (struct shell *sh)
{
  char *hist = history_path ();
  int eof = 0;

  cur = sh;
  rl_readline_name = "gkfish";
  rl_attempted_completion_function = complete;
  rl_signal_event_hook = on_readline_signal;
  /* "/dev/sda" and "/etc/hos" are one word: only blanks separate. */
  rl_completer_word_break_characters = (char *) " \t";
  if (hist) read_history (hist);
  printf ("Welcome to gkfish, the guestkit shell.\n"
          "Type 'help' for a list of commands, 'quit' to leave.\n\n");

  while (!gk_fish_quit) {
    char *line = readline (PROMPT);
    if (!line) { eof = 1; break; }
    gk_fish_sigint = 0;
    if (line[strspn (line, " \t")]) add_history (line);
    int r = gk_fish_run_line (sh, line);
    free (line);
    if (r == CMD_QUIT) break;
  }
  if (eof && !gk_fish_quit) putchar ('\n');   /* Ctrl-D: end the prompt line */
  if (hist) {
    write_history (hist);
    history_truncate_file (hist, HISTORY_MAX);
    free (hist);
  }
  cand_clear ();
  return gk_fish_quit ? CMD_ERROR : CMD_OK;
}
