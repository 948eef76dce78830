/* Unit tests of common/hostspawn.c: real processes (true, false, sh -c),
 * pipes, files, kept descriptors, environment, signals, process groups,
 * a timeout and a kill.  No appliance. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tap.h"
#include "fullio.h"
#include "hostspawn.h"

/* Run ARGV with stdout (and stderr with it) to a pipe; its output in
 * OUT, its status returned (-1: could not start). */
static int
run (char *const *argv, const struct gk_int_spawn_cfg *base, char *out, size_t n)
{
  struct gk_int_spawn_cfg c = base ? *base : (struct gk_int_spawn_cfg) { 0 };
  c.argv = argv;
  c.io[1].how = GK_SPAWN_PIPE;
  c.io[2].how = GK_SPAWN_STDOUT;
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) return -1;
  ssize_t r = gk_int_read_full (p.fd[1], out, n - 1);
  out[r > 0 ? r : 0] = '\0';
  gk_int_proc_close (&p);
  return gk_int_proc_reap (&p);
}

#define SH(script) ((char *const []) { "sh", "-c", script, NULL })

static int
exited (int st, int code)
{
  return st != -1 && WIFEXITED (st) && WEXITSTATUS (st) == code;
}

static void
test_basics (void)
{
  char out[256];
  CHECK (exited (run ((char *const []) { "true", NULL }, NULL, out, sizeof out), 0),
         "true: exit status 0");
  CHECK (exited (run ((char *const []) { "false", NULL }, NULL, out, sizeof out), 1),
         "false: exit status 1");
  int st = run (SH ("echo out; echo err >&2; exit 3"), NULL, out, sizeof out);
  CHECK (exited (st, 3) && strcmp (out, "out\nerr\n") == 0, "sh -c: stdout and stderr "
         "in one pipe, exit 3 (got '%s')", out);

  errno = 0;
  struct gk_int_proc p;
  struct gk_int_spawn_cfg c = { .argv = (char *const []) { "/nonexistent/gk-prog", NULL } };
  CHECK (gk_int_proc_start (&c, &p) == -1 && errno == ENOENT,
         "a missing program is -1/ENOENT in the parent (%s)", strerror (errno));
  errno = 0;
  c.argv = (char *const []) { "gk-no-such-program-in-path", NULL };
  CHECK (gk_int_proc_start (&c, &p) == -1 && errno == ENOENT, "PATH search: not found is ENOENT");
  errno = 0;
  c = (struct gk_int_spawn_cfg) { .argv = (char *const []) { "x", NULL }, .path = "/etc/passwd" };
  CHECK (gk_int_proc_start (&c, &p) == -1 && errno == EACCES,
         "a file that is not executable is -1/EACCES (%s)", strerror (errno));
  c = (struct gk_int_spawn_cfg) { .argv = (char *const []) { "true", NULL } };
  c.io[0].how = GK_SPAWN_STDOUT;
  errno = 0;
  CHECK (gk_int_proc_start (&c, &p) == -1 && errno == EINVAL, "stdin 'as stdout' is EINVAL");
}

static void
test_io (void)
{
  /* stdin from a pipe, stdout to a pipe. */
  struct gk_int_spawn_cfg c = { .argv = (char *const []) { "cat", NULL } };
  c.io[0].how = GK_SPAWN_PIPE;
  c.io[1].how = GK_SPAWN_PIPE;
  c.io[2].how = GK_SPAWN_NULL;
  struct gk_int_proc p;
  char buf[64] = "";
  if (gk_int_proc_start (&c, &p) == 0) {
    gk_int_write_full (p.fd[0], "hello\n", 6);
    close (p.fd[0]); p.fd[0] = -1;
    ssize_t n = gk_int_read_full (p.fd[1], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    gk_int_proc_close (&p);
    CHECK (exited (gk_int_proc_reap (&p), 0) && strcmp (buf, "hello\n") == 0,
           "cat: stdin and stdout pipes (got '%s')", buf);
  }
  else CHECK (0, "cat: %s", strerror (errno));

  /* stdout to a file (truncated), stdin /dev/null. */
  char path[] = "/tmp/gk-test-spawn.XXXXXX";
  int fd = mkstemp (path);
  if (fd == -1) { CHECK (0, "mkstemp: %s", strerror (errno)); return; }
  gk_int_write_full (fd, "old content, longer than the new\n", 33);
  close (fd);
  c = (struct gk_int_spawn_cfg) { .argv = SH ("cat; echo new") };
  c.io[0].how = GK_SPAWN_NULL;
  c.io[1].how = GK_SPAWN_FILE;
  c.io[1].path = path;
  int st = -1;
  if (gk_int_proc_start (&c, &p) == 0) st = gk_int_proc_reap (&p);
  fd = open (path, O_RDONLY);
  ssize_t n = fd >= 0 ? gk_int_read_full (fd, buf, sizeof buf - 1) : -1;
  buf[n > 0 ? n : 0] = '\0';
  if (fd >= 0) close (fd);
  unlink (path);
  CHECK (exited (st, 0) && strcmp (buf, "new\n") == 0,
         "stdout to a file, truncated; stdin /dev/null (got '%s')", buf);
}

static void
test_fds (void)
{
  /* A descriptor passed through as fd 3, one slot left empty (fd 4),
   * and one of ours without CLOEXEC (fd 50) that must not leak. */
  int pp[2];
  if (pipe2 (pp, O_CLOEXEC) == -1) { CHECK (0, "pipe: %s", strerror (errno)); return; }
  int leak = dup2 (0, 50);
  int keep[] = { pp[1], -1 };
  struct gk_int_spawn_cfg c = {
    .argv = SH ("echo via3 >&3; if [ -e /proc/self/fd/4 ]; then exit 4; fi; "
                "if [ -e /proc/self/fd/50 ]; then exit 50; fi; exit 0"),
    .keep = keep, .nkeep = 2,
  };
  struct gk_int_proc p;
  int st = -1;
  if (gk_int_proc_start (&c, &p) == 0) st = gk_int_proc_reap (&p);
  close (pp[1]);
  char buf[64];
  ssize_t n = gk_int_read_full (pp[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  close (pp[0]);
  if (leak >= 0) close (leak);
  CHECK (exited (st, 0) && strcmp (buf, "via3\n") == 0, "a kept descriptor is fd 3, an "
         "empty slot and our other descriptors are closed (status 0x%x, got '%s')",
         (unsigned) st, buf);

  /* Sources that sit on each other's targets: swap stdout and fd 3. */
  int a[2], b[2];
  if (pipe (a) == -1 || pipe (b) == -1) return;
  int k3[] = { b[1] };
  c = (struct gk_int_spawn_cfg) { .argv = SH ("echo one; echo three >&3"), .keep = k3, .nkeep = 1 };
  c.io[1].how = GK_SPAWN_FD;
  c.io[1].fd = a[1];
  st = -1;
  if (gk_int_proc_start (&c, &p) == 0) st = gk_int_proc_reap (&p);
  close (a[1]); close (b[1]);
  char x[16] = "", y[16] = "";
  n = gk_int_read_full (a[0], x, sizeof x - 1); x[n > 0 ? n : 0] = '\0';
  n = gk_int_read_full (b[0], y, sizeof y - 1); y[n > 0 ? n : 0] = '\0';
  close (a[0]); close (b[0]);
  CHECK (exited (st, 0) && strcmp (x, "one\n") == 0 && strcmp (y, "three\n") == 0,
         "stdout and fd 3 from two given descriptors");
}

static void
test_env_signals (void)
{
  char out[256];
  setenv ("GK_SPAWN_T", "old", 1);
  struct gk_int_spawn_cfg c = { .env = (char *const []) { "GK_SPAWN_T=new", "GK_SPAWN_U=u", NULL } };
  int st = run (SH ("echo $GK_SPAWN_T $GK_SPAWN_U; env | grep -c '^GK_SPAWN_T='"), &c, out, sizeof out);
  CHECK (exited (st, 0) && strcmp (out, "new u\n1\n") == 0,
         "environment: one added, one replaced once (got '%s')", out);
  CHECK (strcmp (getenv ("GK_SPAWN_T"), "old") == 0, "environment: ours unchanged");

  /* Our blocked and ignored signals are not the program's. */
  sigset_t term, old;
  sigemptyset (&term);
  sigaddset (&term, SIGTERM);
  sigprocmask (SIG_BLOCK, &term, &old);
  signal (SIGINT, SIG_IGN);
  st = run (SH ("kill -TERM $$; exit 0"), NULL, out, sizeof out);
  CHECK (st != -1 && WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM,
         "a signal we block is not blocked in the program (status 0x%x)", (unsigned) st);
  st = run (SH ("kill -INT $$; exit 0"), NULL, out, sizeof out);
  CHECK (st != -1 && WIFSIGNALED (st) && WTERMSIG (st) == SIGINT,
         "a signal we ignore is default in the program (status 0x%x)", (unsigned) st);
  c = (struct gk_int_spawn_cfg) { .flags = GK_SPAWN_IGNINT };
  st = run (SH ("kill -INT $$; exit 0"), &c, out, sizeof out);
  CHECK (exited (st, 0), "IGNINT: SIGINT ignored (status 0x%x)", (unsigned) st);
  signal (SIGINT, SIG_DFL);
  sigprocmask (SIG_SETMASK, &old, NULL);
}

static void
test_wait_kill (void)
{
  /* A process group with a grandchild; a timeout; the group killed. */
  struct gk_int_spawn_cfg c = { .argv = SH ("sleep 60 & echo $!; wait"),
                                .flags = GK_SPAWN_PGROUP | GK_SPAWN_PDEATH };
  c.io[1].how = GK_SPAWN_PIPE;
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) { CHECK (0, "sh: %s", strerror (errno)); return; }
  char buf[32] = "";
  ssize_t n = 0;
  while (n < (ssize_t) sizeof buf - 1) {
    ssize_t r = read (p.fd[1], buf + n, 1);
    if (r <= 0 || buf[n] == '\n') break;
    n++;
  }
  buf[n] = '\0';
  pid_t grandchild = atoi (buf);
  CHECK (p.pgid == p.pid && getpgid (p.pid) == p.pid, "PGROUP: its own process group");
  int st = -1;
  CHECK (gk_int_proc_wait (&p, 100, &st, NULL) == 0, "wait 100 ms: still running");
  gk_int_proc_kill (&p, SIGKILL);
  CHECK (gk_int_proc_wait (&p, 10000, &st, NULL) == 1 && WIFSIGNALED (st)
         && WTERMSIG (st) == SIGKILL, "killed: reaped within the timeout, by SIGKILL");
  /* The grandchild got it too (it is gone, or a zombie of init). */
  int gone = 0;
  for (int i = 0; i < 500 && !gone && grandchild > 0; i++) {
    char path[64], stat[256] = "";
    snprintf (path, sizeof path, "/proc/%d/stat", (int) grandchild);
    FILE *f = fopen (path, "r");
    if (!f) { gone = 1; break; }
    if (fgets (stat, sizeof stat, f)) {
      char *e = strrchr (stat, ')');
      gone = e && e[1] == ' ' && e[2] == 'Z';
    }
    fclose (f);
    if (!gone) { struct timespec t = { 0, 10000000 }; nanosleep (&t, NULL); }
  }
  CHECK (grandchild > 0 && gone, "the group kill reached the grandchild (pid %d)", (int) grandchild);
  gk_int_proc_close (&p);

  c = (struct gk_int_spawn_cfg) { .argv = (char *const []) { "true", NULL } };
  st = -1;
  if (gk_int_proc_start (&c, &p) == 0)
    CHECK (gk_int_proc_wait (&p, 10000, &st, NULL) == 1 && exited (st, 0),
           "wait with a timeout: a quick program is reaped");
  char s[64];
  gk_int_proc_status_str (st, s, sizeof s);
  CHECK (strcmp (s, "exit status 0") == 0, "status string: '%s'", s);
}

static void
test_fork_pidns (void)
{
  struct gk_int_spawn_cfg c = { .flags = GK_SPAWN_PGROUP };
  c.io[1].how = GK_SPAWN_PIPE;
  struct gk_int_proc p;
  fflush (stdout);
  int r = gk_int_proc_fork (&c, &p);
  if (r == 0) {
    printf ("child %d\n", getpgid (0) == getpid ());
    fflush (stdout);
    _exit (5);
  }
  char buf[64] = "";
  if (r == 1) {
    ssize_t n = gk_int_read_full (p.fd[1], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    gk_int_proc_close (&p);
  }
  CHECK (r == 1 && exited (gk_int_proc_reap (&p), 5) && strcmp (buf, "child 1\n") == 0,
         "fork: our code in the child, stdout a pipe, its own group (got '%s')", buf);

  /* A new PID namespace, or (not allowed here) a process group. */
  c = (struct gk_int_spawn_cfg) { .argv = SH ("echo $$; exit 7"), .flags = GK_SPAWN_PIDNS };
  c.io[1].how = GK_SPAWN_PIPE;
  if (gk_int_proc_start (&c, &p) == -1) { CHECK (0, "pidns: %s", strerror (errno)); return; }
  ssize_t n = gk_int_read_full (p.fd[1], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  gk_int_proc_close (&p);
  int st = gk_int_proc_reap (&p);
  if (p.pidns)
    CHECK (exited (st, 7) && strcmp (buf, "2\n") == 0, "PIDNS: the program is pid 2 under "
           "a reaper, its exit status passed on (got '%s')", buf);
  else
    CHECK (exited (st, 7) && p.pgid == p.pid, "PIDNS refused here (%s): a process group "
           "instead", strerror (p.pidns_errno));
}

int
main (void)
{
  test_basics ();
  test_io ();
  test_fds ();
  test_env_signals ();
  test_wait_kill ();
  test_fork_pidns ();
  return tap_done ();
}
