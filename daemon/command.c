/* guestkitd: running programs (daemon.h, "running programs").
 *
 * Under TCG every fork and exec is expensive, so the child is started
 * with vfork: no page tables are copied.  The child shares our memory
 * until it execs, so between vfork and exec it only makes system calls
 * (no malloc, no stdio, no locks).  If it fails before exec it writes
 * the stage and errno into a close-on-exec pipe, which we read once we
 * resume: end of file means the exec worked.  (A pipe rather than shared
 * memory, so that it also works where vfork acts as fork, as under
 * valgrind.)
 *
 * The child gets: stdin from a pipe fed with IN (or /dev/null), stdout
 * and stderr into pipes that we drain with poll() while feeding stdin,
 * its own process group, default signal dispositions and an empty signal
 * mask, and no other descriptor (the daemon's channel must not leak).
 *
 * While a program runs for a call without a file stream, the channel is
 * watched too: a CANCEL frame for the call (docs/protocol.md) kills the
 * child's process group at once and the call fails with ECANCELED (an
 * fsck or mount helper stuck on a crafted filesystem, a long command).
 * During a stream the channel carries the stream's chunks, which belong
 * to stream.c, so it is left alone there.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "daemon.h"
#include "proto.h"

extern char **environ;

#define ERR_KEEP (64u * 1024)   /* stderr bytes kept: the tail */
#define OUT_INITIAL 4096u
#define APPLIANCE_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define GUEST_PATH \
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What the child failed at before exec. */
enum stage { ST_NONE = 0, ST_CHROOT, ST_CHDIR, ST_DUP, ST_SETUP, ST_EXEC };

/* Everything the child needs, prepared by the parent. */
struct spawn {
  const char *const *argv;
  char *const *envp;
  const char *file;             /* the program, or NULL: argv[0] ... */
  const char *path;             /* ... searched here if it has no '/' */
  const char *root;             /* chroot here first, or NULL */
  int fd[3];                    /* become the child's 0, 1 and 2 */
  int errfd;                    /* failure report, close-on-exec, >= 3 */
  int maxfd;                    /* close_range fallback */
  sigset_t mask;                /* the child's signal mask (empty) */
  struct sigaction dfl;         /* SIG_DFL */
  int (*setup) (void *, const char **);   /* see gk_int_spawn */
  void *setup_arg;
};

/* What a child that failed before exec writes to errfd. */
struct failure {
  int stage;
  int err;
  const char *what;             /* ST_SETUP: the step (a string literal) */
};

/* --- the child (after vfork: system calls only) --- */

static int
try_exec (struct spawn *sp, const char *file)
{
  execve (file, (char *const *) sp->argv, sp->envp);
  if (errno == ENOEXEC) {
    /* No #! line: run it with the shell, as execvp does. */
    size_t n = 0;
    while (sp->argv[n]) n++;
    const char *argv[n + 2];
    argv[0] = "/bin/sh";
    argv[1] = file;
    for (size_t i = 1; i <= n; i++) argv[i + 1] = sp->argv[i];
    execve ("/bin/sh", (char *const *) argv, sp->envp);
    errno = ENOEXEC;
  }
  return errno;
}

static int
search_exec (struct spawn *sp)
{
  if (sp->file) return try_exec (sp, sp->file);
  const char *file = sp->argv[0];
  if (*file == '\0') return ENOENT;
  if (strchr (file, '/')) return try_exec (sp, file);

  char buf[PATH_MAX];
  size_t flen = strlen (file);
  int err = ENOENT, eacces = 0;
  const char *p = sp->path;
  for (;;) {
    const char *end = strchrnul (p, ':');
    size_t dlen = (size_t) (end - p);
    if (dlen == 0) { p = "."; dlen = 1; }     /* empty element: cwd */
    if (dlen + 1 + flen < sizeof buf) {
      memcpy (buf, p, dlen);
      buf[dlen] = '/';
      memcpy (buf + dlen + 1, file, flen + 1);
      int e = try_exec (sp, buf);
      switch (e) {
      case EACCES:
        eacces = 1;
        break;
      case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT:
        break;
      default:
        return e;
      }
    }
    else
      err = ENAMETOOLONG;
    if (*end == '\0') break;
    p = end + 1;
  }
  return eacces ? EACCES : err;
}

static void __attribute__ ((noreturn, noinline))
child (struct spawn *sp)
{
  struct failure f;

  /* Our handlers must not run in the child, which shares our memory;
   * ignored signals (SIGPIPE) would survive exec.  All signals are
   * blocked until the mask is replaced below. */
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      sigaction (s, &sp->dfl, NULL);
  setpgid (0, 0);

  f.stage = ST_CHROOT;
  if (sp->root && chroot (sp->root) == -1) goto fail;
  f.stage = ST_CHDIR;
  if (chdir ("/") == -1) goto fail;
  f.stage = ST_DUP;
  for (int i = 0; i < 3; i++)
    if (dup2 (sp->fd[i], i) == -1) goto fail;
  f.stage = ST_SETUP;
  f.what = NULL;
  if (sp->setup && sp->setup (sp->setup_arg, &f.what) == -1) goto fail;
  /* Close everything else except errfd (closed by the exec). */
  if ((sp->errfd > 3 && close_range (3, (unsigned) sp->errfd - 1, 0) == -1)
      || close_range ((unsigned) sp->errfd + 1, ~0U, 0) == -1)
    for (int fd = 3; fd < sp->maxfd; fd++)
      if (fd != sp->errfd) close (fd);
  sigprocmask (SIG_SETMASK, &sp->mask, NULL);

  f.stage = ST_EXEC;
  errno = search_exec (sp);
 fail:
  f.err = errno ? errno : EINVAL;
  while (write (sp->errfd, &f, sizeof f) == -1 && errno == EINTR)
    ;
  _exit (127);
}

/* Kept apart so that the only frame the child shares with us is this
 * small one. */
static pid_t __attribute__ ((noinline))
start_child (struct spawn *sp)
{
  sigset_t all, old;
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);
  pid_t pid = vfork ();
  if (pid == 0)
    child (sp);
  int e = errno;
  sigprocmask (SIG_SETMASK, &old, NULL);
  errno = e;
  return pid;
}

/* --- the parent --- */

struct run {
  const char *const *argv;
  const char *root;
  const char *in;
  size_t in_len, in_off;
  int want_out;
  char *out;
  size_t out_len, out_cap;
  int out_failed;               /* errno: EFBIG, ENOMEM */
  char *err;
  size_t err_len;
};

/* A pipe whose child end (CHILD_END) is not 0, 1 or 2, so that the
 * child's dup2 calls cannot overwrite each other. */
static int
make_pipe (int p[2], int child_end)
{
  if (pipe2 (p, O_CLOEXEC) == -1) return -1;
  if (p[child_end] < 3) {
    int fd = fcntl (p[child_end], F_DUPFD_CLOEXEC, 3);
    if (fd == -1) {
      int e = errno;
      close (p[0]);
      close (p[1]);
      errno = e;
      return -1;
    }
    close (p[child_end]);
    p[child_end] = fd;
  }
  return 0;
}

static int
open_null (int flags)
{
  int fd = open ("/dev/null", flags | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0 && fd < 3) {
    int fd2 = fcntl (fd, F_DUPFD_CLOEXEC, 3);
    int e = errno;
    close (fd);
    errno = e;
    fd = fd2;
  }
  return fd;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0) {
    close (*fd);
    *fd = -1;
  }
}

/* Feed stdin without blocking.  Returns 1 when finished (all written or
 * the child does not want more), 0 to continue. */
static int
feed (struct run *r, int fd)
{
  while (r->in_off < r->in_len) {
    ssize_t n = write (fd, r->in + r->in_off, r->in_len - r->in_off);
    if (n > 0) { r->in_off += (size_t) n; continue; }
    if (n == -1 && errno == EINTR) continue;
    if (n == -1 && errno == EAGAIN) return 0;
    return 1;                   /* EPIPE: the child stopped reading */
  }
  return 1;
}

/* Read what is available on stdout.  Returns 1 at EOF, 0 to continue. */
static int
read_out (struct run *r, int fd)
{
  if (r->out_cap - r->out_len < 2) {
    /* Room for one byte more than GK_MSG_MAX (to detect the overflow)
     * and the final NUL.  Large blocks are mremap'd, not copied. */
    size_t cap = r->out_cap ? r->out_cap * 2 : OUT_INITIAL;
    if (cap > GK_MSG_MAX + 2) cap = GK_MSG_MAX + 2;
    char *p = realloc (r->out, cap);
    if (!p) { r->out_failed = ENOMEM; return 1; }
    r->out = p;
    r->out_cap = cap;
  }
  ssize_t n = read (fd, r->out + r->out_len, r->out_cap - r->out_len - 1);
  if (n == -1) return errno == EINTR || errno == EAGAIN ? 0 : 1;
  if (n == 0) return 1;
  r->out_len += (size_t) n;
  if (r->out_len > GK_MSG_MAX) {
    r->out_failed = EFBIG;
    return 1;
  }
  return 0;
}

/* Read what is available on stderr, keeping the last ERR_KEEP bytes. */
static int
read_err (struct run *r, int fd)
{
  if (!r->err) {
    r->err = malloc (ERR_KEEP + 1);
    if (!r->err) {
      char tmp[512];
      ssize_t n = read (fd, tmp, sizeof tmp);
      return n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN);
    }
  }
  if (r->err_len == ERR_KEEP) {
    memmove (r->err, r->err + ERR_KEEP / 2, ERR_KEEP / 2);
    r->err_len = ERR_KEEP / 2;
  }
  ssize_t n = read (fd, r->err + r->err_len, ERR_KEEP - r->err_len);
  if (n == -1) return errno == EINTR || errno == EAGAIN ? 0 : 1;
  if (n == 0) return 1;
  r->err_len += (size_t) n;
  return 0;
}

char **
gk_int_env_with_path (const char *path)
{
  size_t n = 0;
  while (environ && environ[n]) n++;
  char **env = malloc ((n + 2) * sizeof *env);
  char *var = malloc (strlen (path) + 6);
  if (!env || !var) { free (env); free (var); return NULL; }
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp (environ[i], "PATH=", 5) != 0)
      env[k++] = environ[i];
  strcpy (var, "PATH=");
  strcpy (var + 5, path);
  env[k++] = var;
  env[k] = NULL;
  return env;
}

void
gk_int_env_free (char **env)
{
  if (!env) return;
  size_t n = 0;
  while (env[n]) n++;
  if (n > 0) free (env[n - 1]);     /* the PATH= we made */
  free (env);
}

/* The channel to watch for a CANCEL, or -1 (none: at boot, or a call
 * with a file stream). */
static int
cancel_fd (void)
{
  int fd = gk_int_p_chan ();
  return fd >= 0 && !gk_int_cur.in && !gk_int_cur.out ? fd : -1;
}

/* Read one frame from the host while a program runs.  Returns 1 if it
 * cancels the current call; anything else is a leftover of an earlier
 * stream (the host sends nothing else during a call) and is dropped. */
static int
host_cancelled (pid_t pid)
{
  char *buf;
  size_t len;
  if (gk_int_recv_frame (&buf, &len) == -1) {
    /* The host is gone: nobody wants the result. */
    kill (-pid, SIGKILL);
    kill (pid, SIGKILL);
    exit (1);
  }
  uint32_t serial;
  int r = gk_int_cancel_decode (buf, len, &serial) == 0 && serial == gk_int_cur.serial;
  if (!r && gk_int_frame_kind (buf, len) == GK_K_CALL)
    gk_int_log ("guestkitd: a call arrived during a call: dropped");
  free (buf);
  return r;
}

/* Start the child of SP (argv, envp, fd[0..2] and setup filled in; the
 * rest here) and wait until it has exec'd.  ROOT: for the error.  Returns
 * its pid, or -1 with the error set ("PROG: reason"; the child, if it
 * failed before exec, reaped). */
static pid_t
start (struct spawn *sp, const char *root)
{
  const char *prog = sp->argv[0];
  int p[2];
  if (!sp->path) {
    sp->path = sp->root ? GUEST_PATH : getenv ("PATH");
    if (!sp->path) sp->path = APPLIANCE_PATH;
  }
  if (make_pipe (p, 1) == -1) return gk_int_perr ("pipe");
  int report_fd = p[0];
  sp->errfd = p[1];
  struct rlimit rl;
  sp->maxfd = getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
    ? (int) rl.rlim_cur : 65536;
  sp->dfl.sa_handler = SIG_DFL;
  sigemptyset (&sp->dfl.sa_mask);
  sigemptyset (&sp->mask);

  pid_t pid = start_child (sp);
  int vfork_errno = errno;
  close_fd (&sp->errfd);
  if (pid == -1) {
    close (report_fd);
    errno = vfork_errno;
    return gk_int_perr ("%s: vfork", prog);
  }

  /* End of file (at once after vfork): the exec worked. */
  struct failure f;
  ssize_t n;
  while ((n = read (report_fd, &f, sizeof f)) == -1 && errno == EINTR)
    ;
  close (report_fd);
  if (n != (ssize_t) sizeof f) return pid;

  /* The child failed before exec and has exited. */
  while (waitpid (pid, NULL, 0) == -1 && errno == EINTR)
    ;
  switch (f.stage) {
  case ST_EXEC:
    return gk_int_err (f.err, "%s: %s", prog, strerror (f.err));
  case ST_CHROOT:
    return gk_int_err (f.err, "%s: chroot %s: %s", prog, root, strerror (f.err));
  case ST_SETUP:
    return gk_int_err (f.err, "%s: %s: %s", prog, f.what ? f.what : "setting up",
                       strerror (f.err));
  default:
    return gk_int_err (f.err, "%s: cannot start: %s", prog, strerror (f.err));
  }
}

/* Our ends of the child's standard streams (-1: none). */
struct ends {
  int in, out, err;
};

/* Make the child's stdin (a pipe fed with R->in, or /dev/null), stdout
 * (a pipe if wanted, else /dev/null) and stderr (a pipe) in SP->fd,
 * keeping our ends in E.  Returns 0, or -1 with the error set (the caller
 * closes whatever was opened). */
static int
open_streams (struct run *r, struct spawn *sp, struct ends *e)
{
  int p[2];
  if (r->in_len > 0) {
    if (make_pipe (p, 0) == -1) return gk_int_perr ("pipe");
    sp->fd[0] = p[0];
    e->in = p[1];
    if (fcntl (e->in, F_SETFL, O_NONBLOCK) == -1) return gk_int_perr ("fcntl");
    /* Usually it all fits in the pipe now: no polling for it later. */
    if (feed (r, e->in)) close_fd (&e->in);
  }
  else if ((sp->fd[0] = open_null (O_RDONLY)) == -1)
    return gk_int_perr ("/dev/null");
  if (r->want_out) {
    if (make_pipe (p, 1) == -1) return gk_int_perr ("pipe");
    e->out = p[0];
    sp->fd[1] = p[1];
  }
  else if ((sp->fd[1] = open_null (O_WRONLY)) == -1)
    return gk_int_perr ("/dev/null");
  if (make_pipe (p, 1) == -1) return gk_int_perr ("pipe");
  e->err = p[0];
  sp->fd[2] = p[1];
  return 0;
}

/* Drain stdout and stderr while feeding stdin (the child may block on
 * any of them) and watch the channel for a CANCEL, until all three are
 * closed.  Returns 0, or the errno that ended it early (EFBIG: too much
 * output, ECANCELED, a poll failure); E's ends are closed either way. */
static int
pump (struct run *r, pid_t pid, struct ends *e)
{
  int failed_errno = 0;
  int chan = cancel_fd ();
  while (e->in >= 0 || e->out >= 0 || e->err >= 0) {
    struct pollfd pfd[4];
    int np = 0, i_in = -1, i_out = -1, i_err = -1, i_chan = -1;
    if (e->in >= 0) {
      pfd[np].fd = e->in; pfd[np].events = POLLOUT; pfd[np].revents = 0;
      i_in = np++;
    }
    if (e->out >= 0) {
      pfd[np].fd = e->out; pfd[np].events = POLLIN; pfd[np].revents = 0;
      i_out = np++;
    }
    if (e->err >= 0) {
      pfd[np].fd = e->err; pfd[np].events = POLLIN; pfd[np].revents = 0;
      i_err = np++;
    }
    if (chan >= 0) {
      pfd[np].fd = chan; pfd[np].events = POLLIN; pfd[np].revents = 0;
      i_chan = np++;
    }
    if (poll (pfd, (nfds_t) np, -1) == -1) {
      if (errno == EINTR) continue;
      failed_errno = errno;
      break;
    }
    if (i_chan >= 0 && pfd[i_chan].revents && host_cancelled (pid)) {
      failed_errno = ECANCELED;
      break;
    }
    if (i_in >= 0 && pfd[i_in].revents && feed (r, e->in))
      close_fd (&e->in);
    if (i_out >= 0 && pfd[i_out].revents && read_out (r, e->out)) {
      close_fd (&e->out);
      if (r->out_failed) { failed_errno = r->out_failed; break; }
    }
    if (i_err >= 0 && pfd[i_err].revents && read_err (r, e->err))
      close_fd (&e->err);
  }
  close_fd (&e->in);
  close_fd (&e->out);
  close_fd (&e->err);
  return failed_errno;
}

/* Reap PID (killed first if FAILED_ERRNO says the run ended early) and
 * return its wait status, or -1 with the error set. */
static int
reap (const char *prog, pid_t pid, int failed_errno)
{
  if (failed_errno) {
    /* Not yet reaped, so neither the pid nor the group can be reused. */
    kill (-pid, SIGKILL);
    kill (pid, SIGKILL);
  }
  int st;
  while (waitpid (pid, &st, 0) == -1) {
    if (errno != EINTR) {
      if (!failed_errno) gk_int_perr ("%s: waitpid", prog);
      st = -1;
      break;
    }
  }
  if (failed_errno == EFBIG)
    return gk_int_err (EFBIG, "%s: output larger than %u bytes", prog, GK_MSG_MAX);
  if (failed_errno == ECANCELED)
    return gk_int_err (ECANCELED, "%s: cancelled by the host (killed)", prog);
  if (failed_errno) {
    errno = failed_errno;
    return gk_int_perr ("%s", prog);
  }
  return st;
}

/* Start the child and collect its output.  Returns the wait status, or
 * -1 with the error set. */
static int
run (struct run *r)
{
  struct spawn sp;
  struct ends e = { -1, -1, -1 };
  char **env = NULL;
  int status = -1;

  memset (&sp, 0, sizeof sp);
  sp.fd[0] = sp.fd[1] = sp.fd[2] = sp.errfd = -1;
  sp.argv = r->argv;
  sp.root = r->root;
  sp.envp = environ;
  if (r->root) {
    env = gk_int_env_with_path (GUEST_PATH);
    if (!env) { gk_int_err (ENOMEM, "out of memory"); goto out; }
    sp.envp = env;
  }
  if (open_streams (r, &sp, &e) == -1) goto out;

  /* Writing to a child that exited must not kill the daemon. */
  struct sigaction ign, old_pipe;
  int pipe_saved = 0;
  if (e.in >= 0) {
    memset (&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset (&ign.sa_mask);
    pipe_saved = sigaction (SIGPIPE, &ign, &old_pipe) == 0;
  }
  pid_t pid = start (&sp, r->root);
  for (int i = 0; i < 3; i++) close_fd (&sp.fd[i]);
  if (pid != -1)
    status = reap (r->argv[0], pid, pump (r, pid, &e));
  if (pipe_saved) sigaction (SIGPIPE, &old_pipe, NULL);
 out:
  for (int i = 0; i < 3; i++) close_fd (&sp.fd[i]);
  close_fd (&e.in);
  close_fd (&e.out);
  close_fd (&e.err);
  gk_int_env_free (env);
  return status;
}

/* Trim whitespace around the captured stderr, in place. */
static const char *
trimmed_err (struct run *r)
{
  if (!r->err) return "";
  size_t n = r->err_len;
  while (n > 0 && (r->err[n - 1] == '\n' || r->err[n - 1] == ' '
                   || r->err[n - 1] == '\t' || r->err[n - 1] == '\r'))
    n--;
  r->err[n] = '\0';
  const char *s = r->err;
  while (*s == '\n' || *s == ' ' || *s == '\t' || *s == '\r') s++;
  return s;
}

static int
run_common (char **out_r, char **err_r, const char *in,
            const char *const *argv, const char *root, int fail_nonzero)
{
  struct run r;
  int ret = -1;

  if (out_r) *out_r = NULL;
  if (err_r) *err_r = NULL;
  if (!argv || !argv[0])
    return gk_int_err (EINVAL, "internal error: empty command");

  memset (&r, 0, sizeof r);
  r.argv = argv;
  r.root = root;
  r.in = in;
  r.in_len = in ? strlen (in) : 0;
  r.want_out = out_r != NULL;

  int st = run (&r);
  if (st == -1) goto out;

  int code;
  if (WIFEXITED (st)) code = WEXITSTATUS (st);
  else code = 128 + WTERMSIG (st);     /* the shell's convention */

  if (fail_nonzero && code != 0) {
    const char *msg = trimmed_err (&r);
    if (*msg) {
      /* Keep the end, which is what fits in an error message. */
      size_t len = strlen (msg), max = GK_ERRMSG_MAX - 256;
      if (len > max)
        gk_int_err (0, "%s: ...%s", argv[0], msg + len - max);
      else
        gk_int_err (0, "%s: %s", argv[0], msg);
    }
    else if (WIFEXITED (st))
      gk_int_err (0, "%s: exited with status %d", argv[0], code);
    else
      gk_int_err (0, "%s: killed by signal %d", argv[0], WTERMSIG (st));
    goto out;
  }

  if (out_r) {
    if (!r.out && !(r.out = malloc (1))) {
      gk_int_err (ENOMEM, "out of memory");
      goto out;
    }
    r.out[r.out_len] = '\0';
    *out_r = r.out;
    r.out = NULL;
  }
  if (err_r) {
    if (!r.err && !(r.err = malloc (1))) {
      if (out_r) { free (*out_r); *out_r = NULL; }
      gk_int_err (ENOMEM, "out of memory");
      goto out;
    }
    r.err[r.err_len] = '\0';
    *err_r = r.err;
    r.err = NULL;
  }
  ret = fail_nonzero ? 0 : code;

 out:
  free (r.out);
  free (r.err);
  return ret;
}

int
gk_int_run (char **out_r, const char *in, const char *const *argv)
{
  return run_common (out_r, NULL, in, argv, NULL, 1);
}

int
gk_int_run_chroot (char **out_r, const char *const *argv)
{
  if (out_r) *out_r = NULL;
  if (gk_int_need_root () <= 0) return -1;
  return run_common (out_r, NULL, NULL, argv, gk_int_sysroot, 1);
}

int
gk_int_run_status (char **out_r, char **err_r, const char *in,
                   const char *const *argv)
{
  return run_common (out_r, err_r, in, argv, NULL, 0);
}

int
gk_int_find_program (const char *prog, char *buf, size_t size)
{
  const char *p = APPLIANCE_PATH;
  for (;;) {
    const char *end = strchrnul (p, ':');
    if ((size_t) snprintf (buf, size, "%.*s/%s", (int) (end - p), p, prog) < size
        && access (buf, X_OK) == 0)
      return 0;
    if (*end == '\0') return -1;
    p = end + 1;
  }
}

pid_t
gk_int_spawn (const struct gk_int_child *c)
{
  struct spawn sp;
  memset (&sp, 0, sizeof sp);
  sp.argv = c->argv;
  sp.file = c->file;
  sp.envp = c->envp ? c->envp : environ;
  sp.setup = c->setup;
  sp.setup_arg = c->setup_arg;
  if (!c->argv || !c->argv[0])
    return gk_int_err (EINVAL, "internal error: empty command");
  /* Our copies, all >= 3 so that the child's dup2 calls cannot
   * overwrite each other; -1 is /dev/null. */
  int ok = 1;
  for (int i = 0; i < 3; i++) {
    sp.fd[i] = c->fd[i] >= 0 ? fcntl (c->fd[i], F_DUPFD_CLOEXEC, 3)
      : open_null (i == 0 ? O_RDONLY : O_WRONLY);
    if (sp.fd[i] == -1) ok = 0;
  }
  pid_t pid = ok ? start (&sp, NULL) : gk_int_perr ("%s: descriptors", c->argv[0]);
  for (int i = 0; i < 3; i++) close_fd (&sp.fd[i]);
  return pid;
}

int
gk_int_reap (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) == -1)
    if (errno != EINTR) return -1;
  return st;
}
