/* gkfish: the guestkit shell.
 *
 * Commands come from the command line (separated by ':' words), a script
 * (-f FILE, or standard input when it is not a terminal), an interactive
 * prompt, or --remote clients.  Each command is a built-in (builtins.c),
 * a host command line (script.c) or a call of the API table, run through
 * the command layer in cmd.c.  The appliance is launched on demand,
 * before the first command that needs it, or at once with -m or -N.
 * gkfish.h lists the files and what each does.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkfish.h"
#include "i18n.h"
#include "keys.h"
#include "mountorder.h"

volatile sig_atomic_t gk_fish_sigint, gk_fish_quit, gk_fish_in_command;
volatile sig_atomic_t gk_fish_client_cancel;
int gk_fish_interactive;
static gk_h *volatile sig_handle;
static int stdout_errno;        /* why writing standard output first failed */

void
gk_fish_fail (const char *fmt, ...)
{
  va_list ap;
  /* The command layer's prefix: "gkfish", or "gkfish: FILE:LINE" while
   * a script runs. */
  fprintf (stderr, "%s: ", gk_cmd_prefix ());
  va_start (ap, fmt);
  vfprintf (stderr, _(fmt), ap);
  va_end (ap);
  fputc ('\n', stderr);
}

/* ---- launching and mounting ------------------------------------------- */

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
      if (gk_int_mountpoint_depth (o->mounts[i].mountpoint) != d) continue;
      done++;
      if (mount_one (sh, &o->mounts[i]) == -1) return -1;
    }
  return 0;
}

/* After any launch: lay out the -N disks, inspect (-i), then mount -m. */
static int
after_launch (struct shell *sh)
{
  sh->launched = 1;
  if (sh->relaunch) return 0;
  if (gk_fish_prepare_layout (sh) == -1
      || (sh->o->inspect && gk_fish_inspect_mount (sh) == -1)
      || do_mounts (sh) == -1) {
    /* Half set up is not what the user asked for: stop using it. */
    sh->launch_failed = 1;
    return -1;
  }
  return 0;
}

int
gk_fish_ensure_launched (struct shell *sh)
{
  if (sh->launch_failed) {
    gk_fish_fail ("the appliance is not usable (its launch or set-up failed)");
    return -1;
  }
  if (sh->launched) return 0;
  /* After kill-subprocess, reopen or the appliance's death, guestfish
   * launches only on "run", and scripts count on that. */
  if (sh->relaunch) {
    gk_fish_fail ("call launch (run) before using the appliance: it was killed, "
                  "reopened or it died");
    return -1;
  }
  /* Booting with nothing to work on only to fail later helps nobody. */
  if (sh->drives == 0) {
    gk_fish_fail ("no disk image: add one with -a IMAGE (or add-drive) first");
    return -1;
  }
  /* Through the command layer, so that -x traces it as guestfish does. */
  struct gk_cmd launch = { .call = gk_int_lookup_call ("launch") };
  gk_fish_events_fire (GK_FISH_EV_ENTER, "launch");
  if (gk_cmd_exec (sh->g, &launch, stdout, stderr) == -1) {
    sh->launch_failed = 1;
    return -1;
  }
  gk_fish_events_fire (GK_FISH_EV_LAUNCH_DONE, NULL);
  return after_launch (sh);
}

/* ---- running commands ------------------------------------------------- */

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
  if (!(cmd.call->flags & GK_F_LOCAL) && gk_fish_ensure_launched (sh) == -1)
    goto out;
  int is_launch = strcmp (cmd.call->name, "launch") == 0;
  int is_add = strcmp (cmd.call->name, "add-drive") == 0
    || strcmp (cmd.call->name, "add-domain") == 0
    || strcmp (cmd.call->name, "add-drive-ro") == 0
    || strcmp (cmd.call->name, "add-drive-scratch") == 0;
  /* After these the handle is before launch again (reopen: with no
   * drives); "run" must launch anew. */
  int is_kill = strcmp (cmd.call->name, "kill-subprocess") == 0;
  int is_reopen = strcmp (cmd.call->name, "reopen") == 0;
  if (is_launch && sh->launch_failed) {
    gk_fish_ensure_launched (sh);       /* says why */
    goto out;
  }
  /* "run" after -m or -N launched it: already done, as the user wants. */
  if (is_launch && sh->launched) { r = CMD_OK; goto out; }
  if (gk_fish_events_wanted (GK_FISH_EV_ENTER)) {
    char name[128];
    snprintf (name, sizeof name, "%s", cmd.call->name);
    for (char *p = name; *p; p++) if (*p == '-') *p = '_';
    gk_fish_events_fire (GK_FISH_EV_ENTER, name);
  }
  int was_up = sh->launched;
  /* reopen closes the handle: its close handlers run, then it has none. */
  if (is_reopen) gk_fish_events_fire (GK_FISH_EV_CLOSE, NULL);
  int e = gk_cmd_exec (sh->g, &cmd, stdout, stderr);
  gk_fish_progress_end (e == 0);
  if (is_reopen) gk_fish_events_clear ();
  if ((is_kill || is_reopen || strcmp (cmd.call->name, "shutdown") == 0) && was_up)
    gk_fish_events_fire (GK_FISH_EV_SUBPROCESS_QUIT, NULL);
  if (is_launch && e == 0) gk_fish_events_fire (GK_FISH_EV_LAUNCH_DONE, NULL);
  if (is_kill || is_reopen) {
    sh->launched = sh->launch_failed = 0;
    sh->relaunch = 1;
  }
  if (is_reopen) sh->drives = 0;
  if (e == -1) {
    if (is_launch) sh->launch_failed = 1;
    goto out;
  }
  r = CMD_OK;
  if (is_add) sh->drives++;
  /* A before-launch call that succeeded after launch: the appliance
   * had died and the handle is before launch again (as libguestfs). */
  if (!is_launch && (cmd.call->flags & GK_F_CONFIG) && sh->launched) {
    sh->launched = 0;
    sh->relaunch = 1;
  }
  if (is_launch && !sh->launched && after_launch (sh) == -1) r = CMD_ERROR;
 out:
  gk_cmd_clear (&cmd);
  return r;
}

/* guestfish's copy-in LOCAL... REMOTEDIR and copy-out REMOTE... LOCALDIR:
 * several sources before the destination, copied one by one. */
static int
is_copy_many (char **words)
{
  const struct gk_int_call *c = gk_int_lookup_call (words[0]);
  size_t n = 0;
  while (words[n]) n++;
  return n > 3 && (strcmp (c->name, "copy-in") == 0 || strcmp (c->name, "copy-out") == 0);
}

static int
run_copy_many (struct shell *sh, char **words)
{
  size_t n = 0;
  while (words[n]) n++;
  for (size_t i = 1; i + 1 < n; i++) {
    char *one[] = { words[0], words[i], words[n - 1], NULL };
    if (run_call (sh, one) != CMD_OK) return CMD_ERROR;
  }
  return CMD_OK;
}

/* "!ls -l" given as words on the command line: the host command is the
 * words joined by spaces. */
static int
run_host_words (char **words)
{
  size_t len = 1;
  for (size_t i = 0; words[i]; i++) len += strlen (words[i]) + 1;
  char *cmd = malloc (len), *p = cmd;
  if (!cmd) return CMD_ERROR;
  for (size_t i = 0; words[i]; i++)
    p += sprintf (p, "%s%s", i ? " " : "", words[i] + (i == 0));
  *p = '\0';
  int r = gk_fish_system (cmd);
  free (cmd);
  return r;
}

int
gk_fish_run_command (struct shell *sh, char **words)
{
  char *name0 = words[0];
  int r;

  if (gk_fish_client_cancel) {
    gk_fish_fail ("%s: cancelled", words[0]);
    return CMD_ERROR;
  }
  if (words[0][0] == '-') words[0]++;

  gk_fish_builtin_fn b = gk_fish_find_builtin (words[0]);
  gk_fish_sigint = 0;
  gk_fish_in_command = 1;
  if (words[0][0] == '!')
    r = run_host_words (words);
  else if (b)
    r = b (sh, words);
  else if (gk_int_lookup_call (words[0]))
    r = is_copy_many (words) ? run_copy_many (sh, words) : run_call (sh, words);
  else {
    gk_cmd_unknown (stderr, words[0], gk_fish_builtin_names);
    r = CMD_ERROR;
  }
  gk_fish_in_command = 0;
  words[0] = name0;
  /* Output gone (gkfish ... | head): stop, but through the normal exit
   * so that the appliance is shut down.  A --remote client's output, or
   * the reader of "CMD | HOSTCMD", going away is not a reason to stop. */
  if (fflush (stdout) == EOF || ferror (stdout)) {
    if (!stdout_errno) stdout_errno = errno;
    if (sh->server || sh->piped) {
      clearerr (stdout);
      return r;
    }
    gk_fish_quit = 1;
    return CMD_ERROR;
  }
  return r;
}

static int
ignores_errors (char **words)
{
  return words[0][0] == '-';
}

int
gk_fish_run_argv (struct shell *sh, char **argv)
{
  while (*argv && !gk_fish_quit) {
    size_t n = 0;
    while (argv[n] && strcmp (argv[n], ":") != 0) n++;
    char *saved = argv[n];
    argv[n] = NULL;     /* terminate this command in place */
    int r = n > 0 ? gk_fish_run_command (sh, argv) : CMD_OK;
    int ignore = n > 0 && ignores_errors (argv);
    argv[n] = saved;
    if (r == CMD_QUIT) return CMD_QUIT;
    if (r == CMD_ERROR && !ignore) return CMD_ERROR;
    argv += n + (saved != NULL);
  }
  return gk_fish_quit ? CMD_ERROR : CMD_OK;
}

int
gk_fish_run_line (struct shell *sh, const char *line)
{
  int handled;
  int r = gk_fish_host_line (sh, line, &handled);
  if (handled) return r;

  char *why = NULL;
  char **words = gk_cmd_split (line, &why);
  if (!words) {
    gk_fish_fail ("%s", why);
    free (why);
    return CMD_ERROR;
  }
  if (words[0]) {
    r = gk_fish_run_command (sh, words);
    if (r == CMD_ERROR && ignores_errors (words)) r = CMD_OK;
  }
  gk_cmd_free_words (words);
  return r;
}

/* ---- signals ---------------------------------------------------------- */

/* Ctrl-C cancels the call in flight; at the prompt it drops the line
 * being typed; in a script it ends the run.  SIGTERM and SIGHUP end
 * gkfish.  Either way gkfish leaves through main, so gk_close shuts the
 * appliance down.  No SA_RESTART: a blocking read must return so that
 * the loops see the flags. */
void
gk_fish_cancel_from_signal (void)
{
  /* Only while a command runs: a cancel request left pending on an idle
   * handle could abort the next command instead. */
  if (sig_handle && gk_fish_in_command) gk_user_cancel (sig_handle);
}

static void
on_signal (int sig)
{
  if (sig == SIGINT && gk_fish_interactive) gk_fish_sigint = 1;
  else gk_fish_quit = 1;
  /* SIGTERM and SIGHUP end gkfish whatever it is doing (a launch, the
   * shutdown at exit): cancel that too.  The library kills an appliance
   * that does not answer within a second. */
  if ((sig == SIGTERM || sig == SIGHUP) && sig_handle) gk_user_cancel (sig_handle);
  else gk_fish_cancel_from_signal ();
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

/* ---- main ------------------------------------------------------------- */

/* An environment variable set to something other than "" or "0". */
static int
env_flag (const char *name)
{
  const char *v = getenv (name);
  return v && *v && strcmp (v, "0") != 0;
}

/* The libguestfs variables that guestfish scripts set and that map onto
 * guestkit settings (fish/README.md lists them).  Options win. */
static int
setup_libguestfs_env (gk_h *g, const struct options *o)
{
  const char *m = getenv ("LIBGUESTFS_MEMSIZE");
  const char *b = getenv ("LIBGUESTFS_BACKEND");
  const char *own = getenv ("GUESTKIT_BACKEND");
  if (m && *m) {
    char *end;
    long v = strtol (m, &end, 10);
    if (*end || v < 0 || v > INT_MAX) {
      gk_fish_fail ("LIBGUESTFS_MEMSIZE=%s: expected megabytes", m);
      return -1;
    }
    if (gk_set_memsize (g, (int) v) == -1) goto err;
  }
  /* GUESTKIT_BACKEND, being ours, and --backend take precedence. */
  if (b && *b && !o->backend && !(own && *own) && gk_set_backend (g, b) == -1)
    /* guestfish says so and goes on with its default backend. */
    gk_fish_fail ("LIBGUESTFS_BACKEND=%s: %s", b, gk_last_error (g));
  return 0;
 err:
  gk_fish_fail ("%s", gk_last_error (g));
  return -1;
}

/* add-drive through the command layer, so that -x traces the -a drives
 * as guestfish does ("add_drive "d.img" "format:raw""). */
static int
add_one (gk_h *g, const struct drive *d, int readonly, const char *export, const char *server)
{
  struct gk_cmd cmd = { .call = gk_int_lookup_call ("add-drive") };
  char w[64];
  int e = cmd.call && (cmd.args[0].s = strdup (export ? export : d->file)) ? 0 : -1;
  if (e == -1) gk_fish_fail ("-a %s: out of memory", d->file);
  if (e == 0 && server) {     /* -a nbd://... (fish/uri.c) */
    char *sw = NULL;
    e = gk_cmd_set_optarg (&cmd, "protocol:nbd", stderr);
    if (e == 0 && asprintf (&sw, "server:%s", server) == -1) { sw = NULL; e = -1; }
    if (e == 0) e = gk_cmd_set_optarg (&cmd, sw, stderr);
    free (sw);
  }
  if (e == 0 && d->format) {
    snprintf (w, sizeof w, "format:%s", d->format);
    e = gk_cmd_set_optarg (&cmd, w, stderr);
  }
  if (e == 0 && readonly) e = gk_cmd_set_optarg (&cmd, "readonly:true", stderr);
  if (e == 0 && d->blocksize) {
    snprintf (w, sizeof w, "blocksize:%d", d->blocksize);
    e = gk_cmd_set_optarg (&cmd, w, stderr);
  }
  if (e == 0) e = gk_cmd_exec (g, &cmd, stdout, stderr);
  gk_cmd_clear (&cmd);
  return e;
}

/* -d DOMAIN: add-domain through the command layer (traced by -x), with
 * -c's URI and --ro. */
static int
add_domain (gk_h *g, const char *dom, const struct options *o)
{
  struct gk_cmd cmd = { .call = gk_int_lookup_call ("add-domain") };
  int e = cmd.call && (cmd.args[0].s = strdup (dom)) ? 0 : -1;
  if (e == -1) gk_fish_fail ("-d %s: out of memory", dom);
  if (e == 0 && o->libvirt_uri) {
    char *w = NULL;
    if (asprintf (&w, "libvirturi:%s", o->libvirt_uri) == -1) w = NULL;
    e = w ? gk_cmd_set_optarg (&cmd, w, stderr) : -1;
    free (w);
  }
  if (e == 0 && o->readonly) e = gk_cmd_set_optarg (&cmd, "readonly:true", stderr);
  /* As guestfish -d: disks the XML marks <readonly/> are added read-only. */
  if (e == 0) e = gk_cmd_set_optarg (&cmd, "readonlydisk:read", stderr);
  if (e == 0) {
    /* The count add-domain returns is not printed for -d. */
    FILE *null = fopen ("/dev/null", "w");
    e = null ? gk_cmd_exec (g, &cmd, null, stderr) : -1;
    if (null) fclose (null);
  }
  gk_cmd_clear (&cmd);
  return e;
}

static int
setup_handle (gk_h *g, const struct options *o)
{
  if (o->verbose) gk_set_debug (g, 1);
  if (o->echo) gk_set_trace (g, 1);
  gk_fish_progress_setup (g, o->progress);
  if (setup_libguestfs_env (g, o) == -1) return -1;
  if (o->backend && gk_set_backend (g, o->backend) == -1) goto err;
  if (o->network && gk_set_network (g, 1) == -1) goto err;
  for (size_t i = 0; i < o->nr_drives; i++) {
    const struct drive *d = &o->drives[i];
    if (d->domain) {
      if (add_domain (g, d->file, o) == -1) return -1;
      continue;
    }
    if (d->prep >= 0 && gk_fish_prepare_file (&o->preps[d->prep]) == -1)
      return -1;
    char *export, *server;
    int u = gk_fish_uri (d->file, &export, &server);
    if (u == -1) return -1;
    /* Check here so a typo gets one plain line, not a library error. */
    const char *local = u == 2 ? export : d->file;
    if (u != 1 && access (local, R_OK) == -1) {
      gk_fish_fail ("%s: %s", local, strerror (errno));
      free (export);
      return -1;
    }
    int r = add_one (g, d, o->readonly, export, server);
    free (export); free (server);
    if (r == -1) return -1;
  }
  return 0;
 err:
  gk_fish_fail ("%s", gk_last_error (g) ? gk_last_error (g) : "cannot set up the handle");
  return -1;
}

static int
run (struct shell *sh)
{
  const struct options *o = sh->o;
  if (o->listen) return gk_fish_listen (sh);
  /* -m, -N and -i mean "work on this": launch and set up before
   * anything, even with no commands (so "gkfish -a d.img -m /dev/sda9"
   * fails). */
  if ((o->nr_mounts || o->nr_preps || o->inspect)
      && gk_fish_ensure_launched (sh) == -1)
    return CMD_ERROR;
  if (*o->cmds) return gk_fish_run_argv (sh, o->cmds);
  if (o->script) return gk_fish_run_script (sh, o->script);
  if (gk_fish_interactive) return gk_fish_interactive_loop (sh);
  return gk_fish_run_stream (sh, stdin, "stdin");
}

/* Key arguments of commands (cmd.h) are read as guestfish reads them. */
static char *
read_key_arg (const char *call, const char *arg)
{
  (void) call;
  return gk_keys_read (arg);
}

int
main (int argc, char **argv)
{
  struct options o = { 0 };
  struct shell sh = { 0 };
  gk_int_i18n_program ();
  int r = gk_fish_parse_options (argc, argv, &o);

  if (r != 0) {
    gk_fish_free_options (&o);
    return r == 1 ? 0 : 1;
  }
  install_signals ();
  gk_keys_set_mode (o.keys_from_stdin, o.echo_keys);
  gk_cmd_set_key_reader (read_key_arg);
  if (env_flag ("LIBGUESTFS_TRACE")) o.echo = 1;
  gk_cmd_set_trace (stderr);      /* where; whether: the handle's trace */
  gk_cmd_set_string_newline (1);
  if (env_flag ("LIBGUESTFS_DEBUG")) o.verbose = 1;
  if (o.remote) {
    r = gk_fish_remote (&o);
    gk_fish_free_options (&o);
    return r;
  }
  gk_fish_interactive = !*o.cmds && !o.script && !o.listen && isatty (STDIN_FILENO);
  sh.o = &o;
  if (!(sh.g = gk_create ())) {
    gk_fish_fail ("cannot create a handle");
    gk_fish_free_options (&o);
    return 1;
  }
  sig_handle = sh.g;
  sh.drives = o.nr_drives;
  r = setup_handle (sh.g, &o) == 0 ? run (&sh) : CMD_ERROR;
  if (r == CMD_QUIT) r = CMD_OK;

  /* Every path ends here, so the appliance is always shut down.  The
   * shutdown can still be cancelled by a signal; the handle is freed
   * only once the handler can no longer see it. */
  gk_fish_in_command = 1;
  struct gk_cmd sd = { .call = gk_int_lookup_call ("shutdown") };
  int traced = sd.call && gk_get_trace (sh.g) == 1;
  if (traced) gk_cmd_trace_call (&sd);       /* -x: as guestfish traces it */
  int sr = gk_shutdown (sh.g);
  if (traced) gk_cmd_trace_ret (sd.call, sr == 0, NULL);
  if (sh.launched) gk_fish_events_fire (GK_FISH_EV_SUBPROCESS_QUIT, NULL);
  gk_fish_events_fire (GK_FISH_EV_CLOSE, NULL);
  gk_fish_events_clear ();
  gk_fish_in_command = 0;
  sig_handle = NULL;
  gk_close (sh.g);
  gk_fish_free_options (&o);
  if (fflush (stdout) == EOF || ferror (stdout)) {
    if (!stdout_errno) stdout_errno = errno;
    /* A reader that went away (EPIPE) needs no message, as in cat. */
    if (stdout_errno != EPIPE && !o.listen)
      gk_fish_fail ("error writing standard output: %s", strerror (stdout_errno));
    r = CMD_ERROR;
  }
  return r == CMD_OK ? 0 : 1;
}
