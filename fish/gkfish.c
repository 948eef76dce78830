/* gkfish: the guestkit shell.
 *
 * Commands come from the command line (separated by ':' words), a script
 * (-f FILE, or standard input when it is not a terminal) or an interactive
 * prompt.  Each command is either a built-in (help, quit, echo) or a call
 * of the API table, run through the command layer in cmd.c.  The
 * appliance is launched on demand, before the first command that needs it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "cmd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROMPT "><gkfish> "
#define HISTORY_FILE ".gkfish_history"
#define HISTORY_MAX 1000

struct drive { const char *file; const char *format; };
struct mnt { char *dev, *mountpoint, *options; };  /* one malloc'd block */

struct options {
  struct drive *drives;
  size_t nr_drives;
  struct mnt *mounts;
  size_t nr_mounts;
  int readonly;
  int echo;             /* -x */
  int verbose;          /* -v */
  const char *script;   /* -f */
  const char *backend;
  char **cmds;          /* the words after the options */
};

struct shell {
  gk_h *g;
  const struct options *o;
  int launched;         /* the appliance is up and -m mounts are done */
  int launch_failed;    /* do not retry a launch that failed */
};

/* What running one command asks of the loop around it. */
enum { CMD_OK = 0, CMD_ERROR = -1, CMD_QUIT = 1 };

/* Set by the signal handlers; the loops check them between commands. */
static volatile sig_atomic_t got_sigint, got_quit, in_command;
static gk_h *volatile sig_handle;
static int interactive_mode;

static void
fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
fail (const char *fmt, ...)
{
  va_list ap;
  /* The command layer's prefix: "gkfish", or "gkfish: FILE:LINE" while
   * a script runs. */
  fprintf (stderr, "%s: ", gk_cmd_prefix ());
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

/* ---- built-in commands ------------------------------------------------ */

static int bi_help (struct shell *, char **);
static int bi_quit (struct shell *, char **);
static int bi_echo (struct shell *, char **);

static const struct builtin {
  const char *name, *usage, *desc;
  int (*fn) (struct shell *, char **);
} builtins[] = {
  { "help", "help [CMD]", "list the commands, or describe CMD", bi_help },
  { "quit", "quit", "leave gkfish", bi_quit },
  { "exit", "exit", "leave gkfish", bi_quit },
  { "echo", "echo WORDS...", "print the words", bi_echo },
};
#define NR_BUILTINS (sizeof builtins / sizeof builtins[0])

static const char *const builtin_names[] = { "help", "quit", "exit", "echo", NULL };

static const struct builtin *
find_builtin (const char *name)
{
  for (size_t i = 0; i < NR_BUILTINS; i++)
    if (strcmp (builtins[i].name, name) == 0) return &builtins[i];
  return NULL;
}

static int
bi_help (struct shell *sh, char **words)
{
  if (words[1] && words[2]) {
    fail ("help: too many arguments\nusage: help [CMD]");
    return CMD_ERROR;
  }
  if (!words[1]) {
    printf ("Built-in commands:\n");
    for (size_t i = 0; i < NR_BUILTINS; i++)
      printf ("  %-14s %s\n", builtins[i].usage, builtins[i].desc);
    printf ("\nCalls ('help CMD' for details):\n");
    return gk_cmd_help (stdout, NULL) == 0 ? CMD_OK : CMD_ERROR;
  }
  const struct builtin *b = find_builtin (words[1]);
  if (b) {
    printf ("%s - %s\n\nusage: %s\n", b->name, b->desc, b->usage);
    return CMD_OK;
  }
  if (gk_cmd_help (stdout, words[1]) == 0) return CMD_OK;
  gk_cmd_unknown (stderr, words[1], builtin_names);
  return CMD_ERROR;
}

static int
bi_quit (struct shell *sh, char **words)
{
  return CMD_QUIT;
}

static int
bi_echo (struct shell *sh, char **words)
{
  for (size_t i = 1; words[i]; i++)
    printf ("%s%s", i > 1 ? " " : "", words[i]);
  putchar ('\n');
  return CMD_OK;
}

/* ---- launching and mounting ------------------------------------------- */

static size_t
depth (const char *path)
{
  size_t n = 0;
  for (const char *p = path; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/') n++;
  return n;
}

static int
mount_one (struct shell *sh, const struct mnt *m)
{
  char ro_opts[1024];
  const char *cmd = sh->o->readonly ? "mount-ro" : "mount";
  char *words[5];
  size_t n = 0;

  /* With options, mount-options; --ro adds "ro" to them. */
  if (m->options) {
    snprintf (ro_opts, sizeof ro_opts, "ro,%s", m->options);
    cmd = "mount-options";
  }
  words[n++] = (char *) cmd;
  if (m->options) words[n++] = sh->o->readonly ? ro_opts : m->options;
  words[n++] = m->dev;
  words[n++] = m->mountpoint;
  words[n] = NULL;
  return gk_cmd_run (sh->g, words, stdout, stderr);
}

/* Mount the -m filesystems, parents before children ("/" before "/boot")
 * whatever order they were given in. */
static int
do_mounts (struct shell *sh)
{
  const struct options *o = sh->o;
  for (size_t d = 0, done = 0; done < o->nr_mounts; d++)
    for (size_t i = 0; i < o->nr_mounts; i++) {
      if (depth (o->mounts[i].mountpoint) != d) continue;
      done++;
      if (mount_one (sh, &o->mounts[i]) == -1) return -1;
    }
  return 0;
}

static int
ensure_launched (struct shell *sh)
{
  if (sh->launched) return 0;
  if (sh->launch_failed) {
    fail ("the appliance is not running (its launch failed)");
    return -1;
  }
  if (gk_launch (sh->g) == -1) {
    const char *m = gk_last_error (sh->g);
    fail ("%s", m ? m : "launch failed");
    sh->launch_failed = 1;
    return -1;
  }
  sh->launched = 1;
  return do_mounts (sh);
}

/* ---- running commands ------------------------------------------------- */

static void
echo_words (char **words)
{
  fputc ('+', stderr);
  for (size_t i = 0; words[i]; i++) fprintf (stderr, " %s", words[i]);
  fputc ('\n', stderr);
}

static int
run_call (struct shell *sh, char **words)
{
  struct gk_cmd cmd;
  int r = CMD_ERROR;

  /* Check the arguments first: a typo should not cost a launch. */
  if (gk_cmd_parse (words, &cmd, stderr) == -1)
    return CMD_ERROR;
  /* Calls served by the daemon need the appliance; local ones
   * (set-memsize, launch itself, ...) must not trigger it. */
  if (!(cmd.call->flags & GK_F_LOCAL) && ensure_launched (sh) == -1)
    goto out;
  if (gk_cmd_exec (sh->g, &cmd, stdout, stderr) == -1)
    goto out;
  r = CMD_OK;
  if (strcmp (cmd.call->name, "launch") == 0) {
    sh->launched = 1;
    if (do_mounts (sh) == -1) r = CMD_ERROR;
  }
 out:
  gk_cmd_clear (&cmd);
  return r;
}

/* Run one command (WORDS non-empty).  words[0] may start with '-', which
 * tells the caller to go on after an error; it is stripped here. */
static int
run_command (struct shell *sh, char **words)
{
  char *name0 = words[0];
  int r;

  if (words[0][0] == '-') words[0]++;
  if (sh->o->echo) echo_words (words);

  const struct builtin *b = find_builtin (words[0]);
  got_sigint = 0;
  in_command = 1;
  if (b)
    r = b->fn (sh, words);
  else if (gk_int_lookup_call (words[0]))
    r = run_call (sh, words);
  else {
    gk_cmd_unknown (stderr, words[0], builtin_names);
    r = CMD_ERROR;
  }
  in_command = 0;
  words[0] = name0;
  /* Output gone (gkfish ... | head): stop, but through the normal exit
   * so that the appliance is shut down. */
  if (fflush (stdout) == EOF || ferror (stdout)) {
    got_quit = 1;
    return CMD_ERROR;
  }
  return r;
}

static int
ignores_errors (char **words)
{
  return words[0][0] == '-';
}

/* The commands after the options: "ls / : cat /etc/hostname". */
static int
run_argv_commands (struct shell *sh, char **argv)
{
  while (*argv && !got_quit) {
    size_t n = 0;
    while (argv[n] && strcmp (argv[n], ":") != 0) n++;
    char *saved = argv[n];
    argv[n] = NULL;     /* terminate this command in place */
    int r = n > 0 ? run_command (sh, argv) : CMD_OK;
    int ignore = n > 0 && ignores_errors (argv);
    argv[n] = saved;
    if (r == CMD_QUIT) return 0;
    if (r == CMD_ERROR && !ignore) return -1;
    argv += n + (saved != NULL);
  }
  return got_quit ? -1 : 0;
}

/* One line of a script or of the prompt.  Errors carry the command
 * layer's prefix, which holds the script location when there is one. */
static int
run_line (struct shell *sh, const char *line)
{
  char *why = NULL;
  char **words = gk_cmd_split (line, &why);
  int r = CMD_OK;

  if (!words) {
    fail ("%s", why);
    free (why);
    return CMD_ERROR;
  }
  if (words[0]) {
    r = run_command (sh, words);
    if (r == CMD_ERROR && ignores_errors (words)) r = CMD_OK;
  }
  gk_cmd_free_words (words);
  return r;
}

static int
run_stream (struct shell *sh, FILE *f, const char *name)
{
  char *line = NULL, pfx[1300];
  size_t cap = 0, lineno = 0;
  ssize_t len;
  int r = CMD_OK;

  while (r == CMD_OK && !got_quit && (len = getline (&line, &cap, f)) != -1) {
    lineno++;
    /* The line's end is not part of its last word ("echo a\"). */
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    snprintf (pfx, sizeof pfx, "gkfish: %s:%zu", name, lineno);
    gk_cmd_set_prefix (pfx);
    r = run_line (sh, line);
  }
  gk_cmd_set_prefix ("gkfish");
  free (line);
  if (r == CMD_ERROR || got_quit) return -1;
  return 0;
}

static int
run_script (struct shell *sh, const char *file)
{
  FILE *f = fopen (file, "r");
  if (!f) {
    fail ("%s: %s", file, strerror (errno));
    return -1;
  }
  int r = run_stream (sh, f, file);
  fclose (f);
  return r;
}

/* ---- interactive mode ------------------------------------------------- */

/* Readline completion of the first word: calls, aliases, built-ins.
 * Later words fall back to readline's file name completion, which is
 * right for upload/download and harmless elsewhere. */
static char *
name_generator (const char *text, int state)
{
  static size_t it, bi;
  char buf[GK_CMD_NAME_MAX];
  const char *n;
  size_t len = strlen (text);

  if (state == 0) it = bi = 0;
  while (bi < NR_BUILTINS) {
    n = builtins[bi++].name;
    if (strncmp (n, text, len) == 0) return strdup (n);
  }
  while ((n = gk_cmd_next_name (&it, buf)) != NULL)
    if (strncmp (n, text, len) == 0) return strdup (n);
  return NULL;
}

static char **
complete (const char *text, int start, int end)
{
  for (int i = 0; i < start; i++)
    if (rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t') return NULL;
  rl_attempted_completion_over = 1;
  return rl_completion_matches (text, name_generator);
}

/* Called by readline when a signal interrupts its read: Ctrl-C drops the
 * line being typed and gives a fresh prompt, as in a shell.  (SIGTERM
 * and SIGHUP make readline return by themselves.) */
static int
on_readline_signal (void)
{
  if (got_sigint) {
    got_sigint = 0;
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

static int
run_interactive (struct shell *sh)
{
  char *hist = history_path ();
  int eof = 0;

  rl_readline_name = "gkfish";
  rl_attempted_completion_function = complete;
  rl_signal_event_hook = on_readline_signal;
  if (hist) read_history (hist);
  printf ("Welcome to gkfish, the guestkit shell.\n"
          "Type 'help' for a list of commands, 'quit' to leave.\n\n");

  while (!got_quit) {
    char *line = readline (PROMPT);
    if (!line) { eof = 1; break; }
    got_sigint = 0;
    if (line[strspn (line, " \t")]) add_history (line);
    int r = run_line (sh, line);
    free (line);
    if (r == CMD_QUIT) break;
  }
  if (eof && !got_quit) putchar ('\n');   /* Ctrl-D: end the prompt line */
  if (hist) {
    write_history (hist);
    history_truncate_file (hist, HISTORY_MAX);
    free (hist);
  }
  return got_quit ? -1 : 0;
}

/* ---- signals ---------------------------------------------------------- */

/* Ctrl-C cancels the call in flight; at the prompt it drops the line
 * being typed; in a script it ends the run.  SIGTERM and SIGHUP end
 * gkfish.  Either way gkfish leaves through main, so gk_close shuts the
 * appliance down.  No SA_RESTART: a blocking read must return so that
 * the loops see the flags. */
static void
on_signal (int sig)
{
  if (sig == SIGINT && interactive_mode) got_sigint = 1;
  else got_quit = 1;
  /* Only while a command runs: a cancel request left pending on an idle
   * handle could abort the next command instead. */
  if (sig_handle && in_command) gk_user_cancel (sig_handle);
}

static void
install_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  /* A closed output pipe is an error to handle, not a reason to die
   * with the appliance still running. */
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, NULL);
}

/* ---- options ---------------------------------------------------------- */

static void
usage (FILE *f)
{
  fprintf (f,
"gkfish: the guestkit shell\n"
"\n"
"usage: gkfish [OPTIONS] [--] [CMD ARGS... [: CMD ARGS...]...]\n"
"\n"
"  -a, --add IMAGE          add a disk image (repeatable)\n"
"      --format[=raw|qcow2] format of the following -a images\n"
"                           (no value: detect, the default)\n"
"      --ro                 open every image read-only (no byte changes)\n"
"                           and mount -m filesystems read-only\n"
"      --rw                 open images read-write (the default, as in\n"
"                           guestfish, so existing scripts work)\n"
"  -m, --mount DEV[:MOUNTPOINT[:OPTIONS]]\n"
"                           mount DEV after launch (MOUNTPOINT default /)\n"
"  -f, --file SCRIPT        read commands from SCRIPT\n"
"  -x                       echo each command to stderr before running it\n"
"  -v, --verbose            debug messages from the library and appliance\n"
"      --backend NAME       qemu, qemu:kvm, qemu:tcg or uml\n"
"  -V, --version            print the version\n"
"  -h, --help               this help\n"
"\n"
"Commands after the options are separated by ':' words.  Without them,\n"
"commands are read from SCRIPT, or from standard input (one per line,\n"
"'#' comments), or typed at a prompt when standard input is a terminal.\n"
"The appliance is launched before the first command that needs it.\n"
"A script stops at the first failing command (exit status 1) unless the\n"
"command is written with a leading '-' (\"-rm /f\").\n"
"Type 'help' inside gkfish for the list of commands.\n");
}

enum { OPT_FORMAT = 256, OPT_RO, OPT_RW, OPT_BACKEND };

static int
add_mount (struct options *o, const char *arg)
{
  struct mnt *m = realloc (o->mounts, (o->nr_mounts + 1) * sizeof *m);
  if (!m) return -1;
  o->mounts = m;
  m = &o->mounts[o->nr_mounts];
  /* One copy holds all three parts, split at the first two ':'. */
  if (!(m->dev = strdup (arg))) return -1;
  m->mountpoint = strchr (m->dev, ':');
  m->options = NULL;
  if (m->mountpoint) {
    *m->mountpoint++ = '\0';
    if ((m->options = strchr (m->mountpoint, ':')) != NULL)
      *m->options++ = '\0';
  }
  if (!m->mountpoint || !*m->mountpoint) m->mountpoint = (char *) "/";
  if (!*m->dev || m->mountpoint[0] != '/') {
    fail ("-m %s: expected DEVICE[:/MOUNTPOINT[:OPTIONS]]", arg);
    free (m->dev);
    return -1;
  }
  o->nr_mounts++;
  return 0;
}

static int
add_drive (struct options *o, const char *file, const char *format)
{
  struct drive *d = realloc (o->drives, (o->nr_drives + 1) * sizeof *d);
  if (!d) return -1;
  o->drives = d;
  o->drives[o->nr_drives].file = file;
  o->drives[o->nr_drives].format = format;
  o->nr_drives++;
  return 0;
}

static void
free_options (struct options *o)
{
  for (size_t i = 0; i < o->nr_mounts; i++) free (o->mounts[i].dev);
  free (o->mounts);
  free (o->drives);
}

/* Returns 0 to go on, 1 to exit successfully (--help), -1 on error. */
static int
parse_options (int argc, char **argv, struct options *o)
{
  static const struct option longopts[] = {
    { "add", required_argument, NULL, 'a' },
    { "file", required_argument, NULL, 'f' },
    { "mount", required_argument, NULL, 'm' },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { "format", optional_argument, NULL, OPT_FORMAT },
    { "ro", no_argument, NULL, OPT_RO },
    { "rw", no_argument, NULL, OPT_RW },
    { "backend", required_argument, NULL, OPT_BACKEND },
    { NULL, 0, NULL, 0 }
  };
  const char *format = NULL;
  int c;

  /* '+': stop at the first command word, so its own options ("-rm")
   * are not taken for ours. */
  while ((c = getopt_long (argc, argv, "+a:f:m:vVxh", longopts, NULL)) != -1) {
    switch (c) {
    case 'a': if (add_drive (o, optarg, format) == -1) return -1; break;
    case 'f': o->script = optarg; break;
    case 'm': if (add_mount (o, optarg) == -1) return -1; break;
    case 'v': o->verbose = 1; break;
    case 'x': o->echo = 1; break;
    case 'V': printf ("gkfish (guestkit) %s\n", PACKAGE_VERSION); return 1;
    case 'h': usage (stdout); return 1;
    case OPT_RO: o->readonly = 1; break;
    case OPT_RW: o->readonly = 0; break;
    case OPT_BACKEND: o->backend = optarg; break;
    case OPT_FORMAT:
      if (optarg && strcmp (optarg, "raw") != 0 && strcmp (optarg, "qcow2") != 0) {
        fail ("--format=%s: expected raw or qcow2", optarg);
        return -1;
      }
      format = optarg;
      break;
    default:
      fprintf (stderr, "Try 'gkfish --help' for more information.\n");
      return -1;
    }
  }
  o->cmds = argv + optind;
  if (o->script && *o->cmds) {
    fail ("-f cannot be combined with commands on the command line");
    return -1;
  }
  return 0;
}

/* ---- main ------------------------------------------------------------- */

static int
setup_handle (gk_h *g, const struct options *o)
{
  if (o->verbose) gk_set_debug (g, 1);
  if (o->backend && gk_set_backend (g, o->backend) == -1) goto err;
  for (size_t i = 0; i < o->nr_drives; i++) {
    const struct drive *d = &o->drives[i];
    struct gk_add_drive_opts ao = { 0 };
    /* Check here so a typo gets one plain line, not a library error. */
    if (access (d->file, R_OK) == -1) {
      fail ("%s: %s", d->file, strerror (errno));
      return -1;
    }
    if (d->format) { ao.bitmask |= GK_ADD_DRIVE_FORMAT; ao.format = d->format; }
    if (o->readonly) { ao.bitmask |= GK_ADD_DRIVE_READONLY; ao.readonly = 1; }
    if (gk_add_drive (g, d->file, &ao) == -1) goto err;
  }
  return 0;
 err:
  fail ("%s", gk_last_error (g) ? gk_last_error (g) : "cannot set up the handle");
  return -1;
}

static int
run (struct shell *sh)
{
  const struct options *o = sh->o;
  if (*o->cmds) return run_argv_commands (sh, o->cmds);
  if (o->script) return run_script (sh, o->script);
  if (interactive_mode) return run_interactive (sh);
  return run_stream (sh, stdin, "stdin");
}

int
main (int argc, char **argv)
{
  struct options o = { 0 };
  struct shell sh = { 0 };
  int r = parse_options (argc, argv, &o);

  if (r != 0) {
    free_options (&o);
    return r == 1 ? 0 : 1;
  }
  interactive_mode = !*o.cmds && !o.script && isatty (STDIN_FILENO);
  install_signals ();
  sh.o = &o;
  if (!(sh.g = gk_create ())) {
    fail ("cannot create a handle");
    free_options (&o);
    return 1;
  }
  sig_handle = sh.g;
  r = setup_handle (sh.g, &o) == 0 ? run (&sh) : -1;

  /* Every path ends here, so the appliance is always shut down. */
  sig_handle = NULL;
  gk_close (sh.g);
  free_options (&o);
  if (fflush (stdout) == EOF || ferror (stdout)) {
    /* A reader that went away (EPIPE) needs no message, as in cat. */
    if (errno != EPIPE) fail ("error writing standard output");
    r = -1;
  }
  return r == 0 ? 0 : 1;
}
