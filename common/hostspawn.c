/* Starting, waiting for and killing host processes (common/hostspawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fullio.h"
#include "hostspawn.h"

extern char **environ;

/* What the parent prepares before fork: nothing is allocated or opened
 * in the child. */
struct prep {
  int src[3 + GK_SPAWN_MAX_KEEP];       /* per child descriptor: its source, or -1 */
  int made[3];                          /* the child's pipe ends and files we opened */
  int ours[3];                          /* our pipe ends (the child closes them) */
  size_t nmade;
  char **envp;                          /* NULL: environ */
};

static void
close_made (struct prep *x)
{
  for (size_t i = 0; i < x->nmade; i++) close (x->made[i]);
  x->nmade = 0;
}

/* ENV ("NAME=value" ...) over our environment. */
static char **
make_env (char *const *env)
{
  size_t ne = 0, na = 0;
  while (environ && environ[ne]) ne++;
  while (env[na]) na++;
  char **e = malloc ((ne + na + 1) * sizeof *e);
  if (!e) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < ne; i++) {
    size_t l = strcspn (environ[i], "=");
    int replaced = 0;
    for (size_t k = 0; k < na && !replaced; k++)
      replaced = strncmp (env[k], environ[i], l) == 0 && env[k][l] == '=';
    if (!replaced) e[n++] = environ[i];
  }
  for (size_t k = 0; k < na; k++) e[n++] = env[k];
  e[n] = NULL;
  return e;
}

static int
prepare (const struct gk_int_spawn_cfg *c, struct gk_int_proc *p, struct prep *x)
{
  memset (x, 0, sizeof *x);
  x->ours[0] = x->ours[1] = x->ours[2] = -1;
  p->pid = p->pgid = 0;
  p->fd[0] = p->fd[1] = p->fd[2] = -1;
  p->pidns = p->pidns_errno = 0;
  if (c->nkeep > GK_SPAWN_MAX_KEEP || (c->io[0].how == GK_SPAWN_STDOUT)
      || (c->io[1].how == GK_SPAWN_STDOUT)) {
    errno = EINVAL;
    return -1;
  }
  for (int i = 0; i < 3; i++) {
    int fd = -1;
    switch (c->io[i].how) {
    case GK_SPAWN_KEEP: break;
    case GK_SPAWN_STDOUT: fd = x->src[1] >= 0 ? x->src[1] : 1; break;
    case GK_SPAWN_FD: fd = c->io[i].fd; break;
    case GK_SPAWN_NULL: case GK_SPAWN_FILE: {
      const char *path = c->io[i].how == GK_SPAWN_NULL ? "/dev/null" : c->io[i].path;
      fd = open (path, i == 0 ? O_RDONLY | O_CLOEXEC
                 : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd == -1) goto fail;
      x->made[x->nmade++] = fd;
      break;
    }
    case GK_SPAWN_PIPE: {
      int pp[2];
      if (pipe2 (pp, O_CLOEXEC) == -1) goto fail;
      fd = i == 0 ? pp[0] : pp[1];
      x->made[x->nmade++] = fd;
      p->fd[i] = x->ours[i] = i == 0 ? pp[1] : pp[0];
      break;
    }
    default: errno = EINVAL; goto fail;
    }
    x->src[i] = fd;
  }
  for (size_t k = 0; k < c->nkeep; k++) x->src[3 + k] = c->keep[k];
  if (c->env && !(x->envp = make_env (c->env))) goto fail;
  return 0;
 fail:;
  int e = errno;
  close_made (x);
  gk_int_proc_close (p);
  errno = e;
  return -1;
}

/* Child: report errno to the parent (exec mode) and exit. */
static void __attribute__ ((noreturn))
child_fail (int errfd, int code)
{
  int e = errno;
  if (errfd >= 0) (void) !write (errfd, &e, sizeof e);
  _exit (code);
}

/* Child: put every source in place (async-signal-safe).  First every
 * source out of the way (at LO or above, above every target), then into
 * place: a source may sit on another's target. */
static int
child_fds (const struct prep *x, size_t ntargets, int lo)
{
  int hi[3 + GK_SPAWN_MAX_KEEP];
  for (size_t i = 0; i < ntargets; i++) {
    hi[i] = x->src[i] >= 0 ? fcntl (x->src[i], F_DUPFD, lo) : -1;
    if (x->src[i] >= 0 && hi[i] == -1) return -1;
  }
  for (size_t i = 0; i < ntargets; i++) {
    if (hi[i] >= 0) {
      if (dup2 (hi[i], (int) i) == -1) return -1;
      close (hi[i]);
    }
    else if (i >= 3) close ((int) i);   /* a kept slot left empty */
  }
  return 0;
}

/* PID 1 of a new PID namespace: holds none of our descriptors, reaps
 * orphans, and exits with the program's status; the namespace, with
 * every descendant in it, dies with it. */
static void __attribute__ ((noreturn))
reaper (pid_t prog)
{
  close_range (0, ~0U, 0);
  for (;;) {
    int st;
    pid_t r = wait (&st);
    if (r == prog) _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st));
    if (r == -1 && errno != EINTR) _exit (1);
  }
}

/* Child side: only async-signal-safe calls (we may be a raw clone of a
 * multi-threaded program).  Returns only in fork mode (ERRFD -1 and
 * EXEC 0). */
static void
child (const struct gk_int_spawn_cfg *c, const struct prep *x, pid_t parent,
       int newns, int errfd, int exec)
{
  if (c->flags & (GK_SPAWN_PDEATH | GK_SPAWN_PIDNS)) {
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (!newns && getppid () != parent) _exit (1);
  }
  /* In a new PID namespace the program must not be its PID 1: the kernel
   * drops signals PID 1 sends itself (a UML panic then spins for ever). */
  if (newns) {
    pid_t prog = fork ();
    if (prog == -1) child_fail (errfd, 1);
    if (prog > 0) reaper (prog);
  }
  size_t ntargets = 3 + c->nkeep;
  int lo = (int) ntargets;
  /* The error pipe above every target, kept to the exec. */
  if (errfd >= 0 && (errfd = fcntl (errfd, F_DUPFD_CLOEXEC, lo)) == -1) _exit (126);
  if (c->flags & (GK_SPAWN_PGROUP | GK_SPAWN_PIDNS)) setpgid (0, 0);
  struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
  if (exec) {
    static const int sigs[] = { SIGINT, SIGPIPE, SIGTERM, SIGCHLD, SIGQUIT, SIGHUP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction (sigs[i], &dfl, NULL);
  }
  if (c->flags & GK_SPAWN_IGNINT) sigaction (SIGINT, &ign, NULL);
  if (c->flags & GK_SPAWN_NOCORE) {
    struct rlimit nocore = { 0, 0 };
    setrlimit (RLIMIT_CORE, &nocore);
  }
  if (child_fds (x, ntargets, lo) == -1) child_fail (errfd, 126);
  if (!exec) {
    for (size_t i = 0; i < x->nmade; i++)
      if (x->made[i] >= lo) close (x->made[i]);
    for (int i = 0; i < 3; i++)
      if (x->ours[i] >= lo) close (x->ours[i]);
    return;
  }
  /* Nothing else of ours leaks into the program. */
  if (errfd > lo) close_range ((unsigned) lo, (unsigned) errfd - 1, 0);
  close_range ((unsigned) errfd + 1, ~0U, 0);
  /* (In a new PID namespace getppid() is 0: we are alive if our end of
   * HANGUP_FD is.) */
  struct pollfd hp = { c->hangup_fd, POLLRDHUP, 0 };
  if (newns && c->hangup_fd > 0 && poll (&hp, 1, 0) == 1
      && (hp.revents & (POLLHUP | POLLRDHUP)))
    _exit (1);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  char **envp = x->envp ? x->envp : environ;
  if (c->path) execve (c->path, c->argv, envp);
  else execvpe (c->argv[0], c->argv, envp);
  child_fail (errfd, 127);
}

/* Fork (or clone into a new PID namespace); the child runs child(). */
static pid_t
start (const struct gk_int_spawn_cfg *c, struct gk_int_proc *p, struct prep *x,
       int errfd, int exec)
{
  pid_t parent = getpid ();
  pid_t pid = -1;
  int newns = 0;
  if (c->flags & GK_SPAWN_PIDNS) {
    newns = 1;
    pid = (pid_t) syscall (SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
    /* Not root: a new user namespace gives the right to a PID namespace
     * (no uid map needed: file access is still checked against ours). */
    if (pid == -1 && errno == EPERM)
      pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD,
                             NULL, NULL, NULL, NULL);
    if (pid == -1 && (errno == EPERM || errno == EINVAL || errno == ENOSPC
                      || errno == EUSERS)) {
      p->pidns_errno = errno;
      newns = 0;
    }
    else if (pid == -1) return -1;
  }
  if (!newns) pid = fork ();
  if (pid == -1) return -1;
  if (pid == 0) {
    child (c, x, parent, newns, errfd, exec);
    return 0;
  }
  p->pid = pid;
  p->pidns = newns;
  if (!newns && (c->flags & (GK_SPAWN_PGROUP | GK_SPAWN_PIDNS))) {
    setpgid (pid, pid);         /* (also done in the child: no race) */
    p->pgid = pid;
  }
  return pid;
}

int
gk_int_proc_start (const struct gk_int_spawn_cfg *c, struct gk_int_proc *p)
{
  struct prep x;
  if (prepare (c, p, &x) == -1) return -1;
  int ep[2];
  if (pipe2 (ep, O_CLOEXEC) == -1) goto fail;
  pid_t pid = start (c, p, &x, ep[1], 1);
  int e = errno;
  close (ep[1]);
  if (pid == -1) { close (ep[0]); errno = e; goto fail; }
  /* End of file: it runs the program; an errno: it could not. */
  int err = 0;
  ssize_t n = gk_int_read_full (ep[0], &err, sizeof err);
  close (ep[0]);
  if (n == (ssize_t) sizeof err) {
    int st;
    while (waitpid (pid, &st, 0) == -1 && errno == EINTR) ;
    p->pid = p->pgid = 0;
    errno = err;
    goto fail;
  }
  close_made (&x);
  free (x.envp);
  return 0;
 fail:
  e = errno;
  close_made (&x);
  free (x.envp);
  gk_int_proc_close (p);
  errno = e;
  return -1;
}

int
gk_int_proc_fork (const struct gk_int_spawn_cfg *c, struct gk_int_proc *p)
{
  struct prep x;
  if (c->flags & GK_SPAWN_PIDNS) { errno = EINVAL; return -1; }
  if (prepare (c, p, &x) == -1) return -1;
  free (x.envp);                /* (no exec: no environment to give) */
  x.envp = NULL;
  pid_t pid = start (c, p, &x, -1, 0);
  if (pid == 0) return 0;
  int e = errno;
  close_made (&x);
  if (pid == -1) {
    gk_int_proc_close (p);
    errno = e;
    return -1;
  }
  return 1;
}

int
gk_int_proc_wait (struct gk_int_proc *p, int timeout_ms, int *status, struct rusage *ru)
{
  int st;
  struct rusage dummy;
  if (timeout_ms >= 0) {
    int pfd = (int) syscall (SYS_pidfd_open, p->pid, 0);
    if (pfd >= 0) {
      struct pollfd w = { pfd, POLLIN, 0 };
      int n = poll (&w, 1, timeout_ms);
      int e = errno;
      close (pfd);
      if (n == -1) { errno = e; return -1; }
      if (n == 0) return 0;
    }
    else {
      /* No pidfd (old kernel, or reaped for us): look every 5 ms. */
      const struct timespec tick = { 0, 5000000 };
      for (int waited = 0; ; waited += 5) {
        pid_t r = wait4 (p->pid, &st, WNOHANG, ru ? ru : &dummy);
        if (r == -1) return -1;
        if (r == p->pid) goto done;
        if (waited >= timeout_ms) return 0;
        if (nanosleep (&tick, NULL) == -1) return -1;
      }
    }
  }
  if (wait4 (p->pid, &st, 0, ru ? ru : &dummy) == -1) return -1;
 done:
  if (status) *status = st;
  return 1;
}

int
gk_int_proc_reap (struct gk_int_proc *p)
{
  int st = 0;
  for (;;) {
    int r = gk_int_proc_wait (p, -1, &st, NULL);
    if (r == 1) return st;
    if (errno != EINTR) return -1;
  }
}

void
gk_int_proc_kill (const struct gk_int_proc *p, int sig)
{
  if (p->pgid > 0) kill (-p->pgid, sig);
  else if (p->pid > 0) kill (p->pid, sig);
}

void
gk_int_proc_close (struct gk_int_proc *p)
{
  for (int i = 0; i < 3; i++)
    if (p->fd[i] >= 0) { close (p->fd[i]); p->fd[i] = -1; }
}

void
gk_int_proc_status_str (int st, char *buf, size_t n)
{
  if (WIFEXITED (st)) snprintf (buf, n, "exit status %d", WEXITSTATUS (st));
  else if (WIFSIGNALED (st)) snprintf (buf, n, "killed by signal %d", WTERMSIG (st));
  else snprintf (buf, n, "status 0x%x", (unsigned) st);
}
