/* guestkit: the command layer shared by gkfish and the test runner.
 *
 * A command is a list of words as a shell would split them: the first
 * names a call of the API table (or one of its aliases), the rest are its
 * arguments, converted by the argument types of the table.  Everything
 * the user sees of a call (usage, help, printed results) is made here so
 * that gkfish and tests/test-api.c agree on it.
 */
#ifndef GK_FISH_CMD_H
#define GK_FISH_CMD_H

#include <stdio.h>
#include "guestkit.h"
#include "api.h"

/* Split LINE into words: blanks separate; '...' is literal; "..." allows
 * the escapes \\ \" \n \t \xHH; outside quotes a backslash escapes the
 * next character; '#' at the start of a word starts a comment.  Returns a
 * NULL-terminated list (possibly empty), or NULL with a malloc'd message
 * in *ERR_R (unterminated quote, bad escape). */
char **gk_cmd_split (const char *line, char **err_r);
void gk_cmd_free_words (char **words);

/* A command converted to the generic values gk_int_call_generic takes. */
struct gk_cmd {
  const struct gk_int_call *call;
  union gk_int_val args[GK_MAX_ARGS];
  struct gk_int_optvals opt;
  int old_stat;         /* called as stat/lstat: guestfish's field names */
};

/* Key arguments (GK_S_KEY: LUKS passphrases) are not words of the
 * command: gk_cmd_parse asks FN for each (CALL and ARG name it), which
 * returns a malloc'd key or NULL (the command then fails).  gkfish reads
 * the terminal or stdin (fish/keys.c); the test runner its "key"
 * variable. */
typedef char *(*gk_cmd_key_reader) (const char *call, const char *arg);
void gk_cmd_set_key_reader (gk_cmd_key_reader fn);

/* Convert WORDS (words[0] is the command) into *CMD.  On a usage error
 * prints one line and the usage line to ERRF and returns -1; *CMD then
 * holds nothing to free.  Nothing is sent to the appliance. */
int gk_cmd_parse (char **words, struct gk_cmd *cmd, FILE *errf);
/* Run a parsed command and print its result to OUT, or one error line to
 * ERRF.  Returns 0 or -1.  Does not free CMD. */
int gk_cmd_exec (gk_h *g, struct gk_cmd *cmd, FILE *out, FILE *errf);
void gk_cmd_clear (struct gk_cmd *cmd);

/* Set one optional argument from "name:value" (CMD->call set); -1 with
 * a message to ERRF. */
int gk_cmd_set_optarg (struct gk_cmd *cmd, const char *word, FILE *errf);

/* Trace (cmd-trace.c; gkfish -x): gk_cmd_exec writes each call and its
 * result to F, as "gkfish: trace: NAME ARGS" and "gkfish: trace: NAME =
 * RESULT" (libguestfs's format); NULL (the default) turns it off. */
void gk_cmd_set_trace (FILE *f);
void gk_cmd_trace_call (const struct gk_cmd *cmd);
void gk_cmd_trace_ret (const struct gk_int_call *c, int ok, const union gk_int_val *r);

/* Strings print with a newline added always (1: guestfish's format,
 * gkfish) or only when they lack one (0, the default: gkbatch's output,
 * the tests' comparisons). */
void gk_cmd_set_string_newline (int always);

/* Parse, execute and free: 0 on success, -1 on any error. */
int gk_cmd_run (gk_h *g, char **words, FILE *out, FILE *errf);

/* Error lines are "PREFIX: message"; the default prefix is "gkfish".
 * The string is not copied. */
void gk_cmd_set_prefix (const char *prefix);
const char *gk_cmd_prefix (void);

/* The call name or alias closest to WORD (edit distance, transpositions
 * count as one edit), also considering the NULL-terminated EXTRA names
 * (may be NULL); NULL if nothing is close enough to be a likely typo. */
const char *gk_cmd_suggest (const char *word, const char *const *extra);
/* "unknown command 'mkdri' (did you mean 'mkdir'?)" to ERRF. */
void gk_cmd_unknown (FILE *errf, const char *word, const char *const *extra);

/* "usage: mkfs fstype device [blocksize:N] [features:..] [label:..]" */
void gk_cmd_usage (FILE *f, const struct gk_int_call *c);

/* No NAME: every call, "name  shortdesc", sorted by name.  With NAME:
 * its usage, aliases and description wrapped at 72 columns.  Returns -1,
 * printing nothing, if NAME is neither a call nor an alias (the caller
 * decides how to report that, see gk_cmd_unknown). */
int gk_cmd_help (FILE *out, const char *name);

/* Iterate over every call name and alias (for completion).  Start with
 * *STATE = 0; each call copies the next name into BUF and returns BUF,
 * or returns NULL at the end. */
#define GK_CMD_NAME_MAX 64
const char *gk_cmd_next_name (size_t *state, char buf[GK_CMD_NAME_MAX]);

#endif
