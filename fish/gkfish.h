/* gkfish: what the shell's files share (internal to fish/gkfish).
 *
 *   gkfish.c    main, running one command or line, launching and -m
 *   options.c   command-line options and --help
 *   builtins.c  built-in commands (help, !, lcd, time, glob, timings ...)
 *   script.c    scripts: -f, standard input, "<! HOSTCMD", "CMD | HOSTCMD"
 *   prepared.c  -N prepared disks (disk:SIZE, part:SIZE, fs:FSTYPE:SIZE);
 *               alloc, allocate, sparse
 *   remote.c    --listen and --remote
 *   interactive.c  the readline prompt and its completion
 *   progress.c  progress bars
 *   inspect.c   -i: inspect and mount the guest
 *   edit.c      edit, vi, emacs: a guest file through a host editor
 */
#ifndef GK_FISH_GKFISH_H
#define GK_FISH_GKFISH_H

#include <signal.h>
#include <stdio.h>
#include "cmd.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* prep: -N index or -1; blocksize: --blocksize (0: the default, 512) */
/* An -a image, a -N file (prep >= 0) or a -d libvirt domain (domain). */
struct drive { const char *file; const char *format; int prep; int blocksize; int domain; };
struct mnt { char *dev, *mountpoint, *options; };  /* one malloc'd block */
struct prep { char *file; char *type; };           /* -N [FILE=]TYPE */

struct options {
  struct drive *drives;
  size_t nr_drives, cap_drives;
  struct mnt *mounts;
  size_t nr_mounts, cap_mounts;
  struct prep *preps;
  size_t nr_preps, cap_preps;
  int readonly;
  int rw;               /* -w/--rw given (-i is read-only without it) */
  int echo;             /* -x (or LIBGUESTFS_TRACE=1): trace the calls */
  int verbose;          /* -v */
  int inspect;          /* -i */
  int progress;         /* -1 auto (terminal), 0 never, 1 always */
  int listen;           /* --listen */
  int remote;           /* --remote */
  long remote_pid;      /* --remote=PID, 0: $GUESTFISH_PID or $GKFISH_PID */
  const char *script;   /* -f */
  const char *backend;
  const char *libvirt_uri;       /* -c: where -d finds its domains */
  int network;          /* --network */
  int keys_from_stdin;  /* --keys-from-stdin */
  int echo_keys;        /* --echo-keys */
  int csh;              /* --csh: --listen prints csh syntax */
  char **cmds;          /* the words after the options */
};

struct shell {
  gk_h *g;
  const struct options *o;
  int launched;         /* the appliance is up and -m mounts are done */
  int launch_failed;    /* do not retry a launch that failed */
  int relaunch;         /* after kill-subprocess or reopen: a launch does
                           not lay out -N, inspect -i or mount -m again */
  int server;           /* serving --remote clients: output errors are theirs */
  size_t drives;        /* -a, -N and add-drive so far */
  int piped;            /* in "CMD | HOSTCMD": a reader that stops is fine */
};

/* What running one command asks of the loop around it. */
enum { CMD_OK = 0, CMD_ERROR = -1, CMD_QUIT = 1 };

/* Set by the signal handlers; the loops check them between commands. */
extern volatile sig_atomic_t gk_fish_sigint, gk_fish_quit, gk_fish_in_command;
/* A --remote client asked to cancel: its next commands do not start. */
extern volatile sig_atomic_t gk_fish_client_cancel;
extern int gk_fish_interactive;

/* "gkfish: message" (or "gkfish: FILE:LINE: message") to stderr. */
void gk_fish_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* uri.c: -a FILE as a URI: 0 not one (a local file), 1 an nbd export
 * (*EXPORT and *SERVER malloc'd, for add-drive protocol:nbd), 2 a
 * file:// URI (*EXPORT the local path, malloc'd), -1 an error already
 * printed (another scheme, a malformed URI). */
int gk_fish_uri (const char *file, char **export, char **server);

/* gkfish.c */
/* Cancel the command in flight, if any (async-signal-safe). */
void gk_fish_cancel_from_signal (void);
int gk_fish_ensure_launched (struct shell *sh);
int gk_fish_run_command (struct shell *sh, char **words);
int gk_fish_run_line (struct shell *sh, const char *line);
int gk_fish_run_argv (struct shell *sh, char **argv);

/* options.c: 0 go on, 1 exit successfully (--help), -1 error. */
int gk_fish_parse_options (int argc, char **argv, struct options *o);
void gk_fish_free_options (struct options *o);

/* builtins.c */
typedef int (*gk_fish_builtin_fn) (struct shell *, char **);
gk_fish_builtin_fn gk_fish_find_builtin (const char *name);
extern const char *const gk_fish_builtin_names[];

/* events.c: guestfish's event handlers (event, list-events,
 * delete-event), fired by the shell; the order is guestfish's bits. */
enum gk_fish_event {
  GK_FISH_EV_CLOSE, GK_FISH_EV_SUBPROCESS_QUIT, GK_FISH_EV_LAUNCH_DONE,
  GK_FISH_EV_PROGRESS, GK_FISH_EV_APPLIANCE, GK_FISH_EV_LIBRARY,
  GK_FISH_EV_TRACE, GK_FISH_EV_ENTER,
};
int gk_fish_bi_event (struct shell *sh, char **words);
int gk_fish_bi_list_events (struct shell *sh, char **words);
int gk_fish_bi_delete_event (struct shell *sh, char **words);
/* Run the handlers of EV with TEXT (or none) as "$@". */
void gk_fish_events_fire (enum gk_fish_event ev, const char *text);
int gk_fish_events_wanted (enum gk_fish_event ev);
void gk_fish_events_clear (void);

/* script.c */
int gk_fish_run_stream (struct shell *sh, FILE *f, const char *name);
int gk_fish_run_script (struct shell *sh, const char *file);
/* Lines starting with '!', "<!", or holding an unquoted '|': handled
 * here and *HANDLED set; returns CMD_*. */
int gk_fish_host_line (struct shell *sh, const char *line, int *handled);
/* Run a host shell command; CMD_OK if it exited with status 0. */
int gk_fish_system (const char *cmd);
/* S as one word for /bin/sh: '...' with each ' as '\''; malloc'd. */
char *gk_fish_shell_quote (const char *s);

/* prepared.c: create the -N image P (before launch); after launch,
 * partition and format them.  Both -1 on error (message printed). */
int gk_fish_prepare_file (const struct prep *p);
int gk_fish_prepare_layout (struct shell *sh);
/* -N help: print the types and return 1; 0 for any other ARG. */
int gk_fish_prep_help (const char *arg);
/* Parse SIZE ("100M", "1G", "512K", "4096"); -1 on junk. */
int gk_fish_parse_size (const char *s, long long *bytes);
/* Built-ins alloc/allocate FILE SIZE and sparse FILE SIZE: create the
 * file and add it as a drive (before launch). */
int gk_fish_bi_alloc (struct shell *sh, char **words);
int gk_fish_bi_sparse (struct shell *sh, char **words);

/* edit.c: edit, vi and emacs FILE. */
int gk_fish_bi_edit (struct shell *sh, char **words);

/* remote.c */
int gk_fish_listen (struct shell *sh);       /* exits in the parent */
int gk_fish_remote (const struct options *o);

/* interactive.c */
int gk_fish_interactive_loop (struct shell *sh);

/* inspect.c: -i after launch; -1 on error (message printed). */
int gk_fish_inspect_mount (struct shell *sh);

/* progress.c */
/* MODE: -1 when standard error is a terminal, 0 never, 1 always. */
void gk_fish_progress_setup (gk_h *g, int mode);
/* After a call: end the line of a bar left open, showing 100% if OK. */
void gk_fish_progress_end (int ok);

#endif
