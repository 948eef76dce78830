/* A guest that stops answering (issue 11): the backend process is
 * stopped with SIGSTOP while a call waits for it, and
 * - gk_user_cancel from another thread, or from a signal handler, ends
 *   the call with ECANCELED in bounded time and kills the appliance;
 * - a per-call timeout (set-timeout) ends it with ETIMEDOUT naming the
 *   call;
 * - gk_close on the stuck daemon ends in bounded time;
 * - a launch timeout (GUESTKIT_LAUNCH_TIMEOUT) ends a launch;
 * - a download into a local pipe nobody reads is cancelled from another
 *   thread: ECANCELED, and the appliance (which answered) stays;
 * - SIGTERM and SIGHUP end a hung gkfish, with status 1;
 * - gkfish's download into /dev/full fails (ENOSPC), exit status 1;
 * - gkfish escapes guest text with terminal escapes on a terminal, and
 *   passes the bytes unchanged into a pipe.
 * Every time, no backend process is left.  Bounds are generous (a
 * loaded host): the point is "ends", not "fast". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pty.h>
#include "guestkit.h"
#include "tap.h"
#include "testutil.h"

#define BOUND 20.0              /* seconds a stuck call may take to end */

static char dir[] = "/tmp/gk-cancel-XXXXXX";
static char img[300];

/* The process is gone (reaped, not a zombie of ours either). */
static int
gone (pid_t pid)
{
  for (int i = 0; i < 100; i++) {
    if (kill (pid, 0) == -1 && errno == ESRCH) return 1;
    usleep (50000);
  }
  return 0;
}

static gk_h *
launch (void)
{
  gk_h *g = gk_create ();
  if (!g || gk_add_drive (g, img, NULL) == -1 || gk_launch (g) == -1) {
    CHECK (0, "launch: %s", g ? gk_last_error (g) : "no handle");
    if (g) gk_close (g);
    return NULL;
  }
  return g;
}

static char *words[] = { "hello", NULL };

static void *
cancel_later (void *gv)
{
  usleep (500000);
  gk_user_cancel (gv);
  return NULL;
}

static gk_h *alarm_handle;
static void
on_alarm (int sig)
{
  (void) sig;
  gk_user_cancel (alarm_handle);
}

/* Cancel from another thread (THREAD) or from a SIGALRM handler. */
static void
test_cancel (int thread)
{
  const char *how = thread ? "another thread" : "a signal handler";
  gk_h *g = launch ();
  if (!g) return;
  pid_t pid = gk_get_pid (g);
  CHECK (pid > 0 && kill (pid, SIGSTOP) == 0, "backend %d stopped", (int) pid);
  pthread_t t;
  if (thread) pthread_create (&t, NULL, cancel_later, g);
  else {
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction (SIGALRM, &sa, NULL);
    alarm_handle = g;
    alarm (1);
  }
  double t0 = tu_now ();
  char *r = gk_echo_daemon (g, words);
  double took = tu_now () - t0;
  if (thread) pthread_join (t, NULL);
  CHECK (!r && gk_last_errno (g) == ECANCELED && strstr (gk_last_error (g), "echo-daemon"),
         "cancel from %s ends the call with ECANCELED: %s", how, r ? r : gk_last_error (g));
  CHECK (took < BOUND, "... after %.1f s", took);
  CHECK (gone (pid), "... and the stopped backend was killed");
  free (r);
  r = gk_echo_daemon (g, words);
  CHECK (!r && gk_last_errno (g) == EINVAL, "the next call says the appliance is gone: %s",
         r ? r : gk_last_error (g));
  free (r);
  t0 = tu_now ();
  gk_close (g);
  CHECK (tu_now () - t0 < BOUND, "gk_close after that: %.1f s", tu_now () - t0);
}

static void
test_timeout (void)
{
  gk_h *g = launch ();
  if (!g) return;
  CHECK (gk_get_timeout (g) == 0, "no per-call timeout by default");
  CHECK (gk_set_timeout (g, -1) == -1 && gk_last_errno (g) == EINVAL, "set-timeout -1 is refused");
  CHECK (gk_set_timeout (g, 2) == 0 && gk_get_timeout (g) == 2, "set-timeout 2");
  char *r = gk_echo_daemon (g, words);
  CHECK (r && strcmp (r, "hello") == 0, "a call that answers in time works: %s",
         r ? r : gk_last_error (g));
  free (r);
  pid_t pid = gk_get_pid (g);
  CHECK (pid > 0 && kill (pid, SIGSTOP) == 0, "backend %d stopped", (int) pid);
  double t0 = tu_now ();
  r = gk_echo_daemon (g, words);
  double took = tu_now () - t0;
  CHECK (!r && gk_last_errno (g) == ETIMEDOUT && strstr (gk_last_error (g), "echo-daemon")
         && strstr (gk_last_error (g), "2 s"),
         "a stuck call times out with ETIMEDOUT naming it: %s", r ? r : gk_last_error (g));
  CHECK (took >= 1.9 && took < BOUND, "... after %.1f s", took);
  CHECK (gone (pid), "... and the stopped backend was killed");
  free (r);
  gk_close (g);
}

/* The local side stalls: a pipe whose reader never reads. */
static void
test_cancel_local_pipe (void)
{
  gk_h *g = launch ();
  if (!g) return;
  CHECK (gk_mkfs (g, "ext4", "/dev/sda", NULL) == 0 && gk_mount (g, "/dev/sda", "/") == 0
         && gk_fill (g, 'x', 4 << 20, "/big") == 0, "4 MiB guest file: %s", gk_last_error (g));
  int p[2];
  if (pipe (p) == -1) { perror ("pipe"); exit (2); }
  char out[64];
  snprintf (out, sizeof out, "/proc/self/fd/%d", p[1]);
  pthread_t t;
  pthread_create (&t, NULL, cancel_later, g);
  double t0 = tu_now ();
  int r = gk_download (g, "/big", out, NULL);
  double took = tu_now () - t0;
  pthread_join (t, NULL);
  CHECK (r == -1 && gk_last_errno (g) == ECANCELED,
         "a download stuck on a full local pipe is cancelled: %s", r ? gk_last_error (g) : "succeeded");
  CHECK (took < BOUND, "... after %.1f s", took);
  char *e = gk_echo_daemon (g, words);
  CHECK (e && strcmp (e, "hello") == 0, "the appliance answered the cancel and still works: %s",
         e ? e : gk_last_error (g));
  free (e);
  /* An upload from a pipe whose writer never writes. */
  char in[64];
  snprintf (in, sizeof in, "/proc/self/fd/%d", p[0]);
  pthread_create (&t, NULL, cancel_later, g);
  t0 = tu_now ();
  r = gk_upload (g, in, "/up");
  took = tu_now () - t0;
  pthread_join (t, NULL);
  CHECK (r == -1 && gk_last_errno (g) == ECANCELED,
         "an upload waiting on a silent local pipe is cancelled: %s", r ? gk_last_error (g) : "succeeded");
  CHECK (took < BOUND, "... after %.1f s", took);
  e = gk_echo_daemon (g, words);
  CHECK (e && strcmp (e, "hello") == 0, "the appliance still works: %s", e ? e : gk_last_error (g));
  free (e);
  close (p[0]);
  close (p[1]);
  gk_close (g);
}

/* gk_close on a stuck daemon: its unmount and sync time out too. */
static void
test_close_stuck (void)
{
  gk_h *g = launch ();
  if (!g) return;
  pid_t pid = gk_get_pid (g);
  gk_set_timeout (g, 3);
  CHECK (pid > 0 && kill (pid, SIGSTOP) == 0, "backend %d stopped", (int) pid);
  double t0 = tu_now ();
  gk_close (g);
  double took = tu_now () - t0;
  CHECK (took < BOUND, "gk_close on a stopped backend ends (%.1f s)", took);
  CHECK (gone (pid), "... and the backend was killed");
}

static void
test_launch_timeout (void)
{
  setenv ("GUESTKIT_TIMEOUT", "7", 1);
  gk_h *h = gk_create ();
  unsetenv ("GUESTKIT_TIMEOUT");
  CHECK (h && gk_get_timeout (h) == 7, "GUESTKIT_TIMEOUT=7 sets the default timeout");
  gk_close (h);
  setenv ("GUESTKIT_LAUNCH_TIMEOUT", "1", 1);
  gk_h *g = gk_create ();
  unsetenv ("GUESTKIT_LAUNCH_TIMEOUT");
  if (!g || gk_add_drive (g, img, NULL) == -1) { CHECK (0, "handle"); return; }
  /* A cold boot: a restore is done in well under 1 s. */
  gk_set_snapshot (g, 0);
  double t0 = tu_now ();
  int r = gk_launch (g);
  double took = tu_now () - t0;
  if (r == 0)
    printf ("# the launch took under 1 s here; the launch timeout was not exercised\n");
  else
    CHECK (gk_last_errno (g) == ETIMEDOUT && strstr (gk_last_error (g), "GUESTKIT_LAUNCH_TIMEOUT"),
           "GUESTKIT_LAUNCH_TIMEOUT=1 ends the launch with ETIMEDOUT: %.200s", gk_last_error (g));
  CHECK (took < BOUND + 60, "... in %.1f s (the appliance cache was already built)", took);
  if (r == -1) CHECK (tu_children (NULL) == 0, "no backend process left");
  gk_close (g);
}

/* Read from FD until NEEDLE was seen or SECS passed. */
static char seen[8192];
static size_t len;
static int
wait_output (int fd, const char *needle, double secs)
{
  double end = tu_now () + secs;
  while (tu_now () < end) {
    if (strstr (seen, needle)) return 1;
    fd_set s;
    FD_ZERO (&s);
    FD_SET (fd, &s);
    struct timeval tv = { 0, 200000 };
    if (select (fd + 1, &s, NULL, NULL, &tv) == 1) {
      ssize_t n = read (fd, seen + len, sizeof seen - 1 - len);
      if (n <= 0) return strstr (seen, needle) != NULL;
      len += (size_t) n;
      seen[len] = '\0';
    }
  }
  return strstr (seen, needle) != NULL;
}

/* A gkfish whose appliance stops answering mid-command ends on SIG. */
static void
test_gkfish_signal (const char *gkfish, int sig)
{
  int in[2], out[2];
  if (pipe (in) == -1 || pipe (out) == -1) { perror ("pipe"); exit (2); }
  pid_t fish = fork ();
  if (fish == 0) {
    dup2 (in[0], 0);
    dup2 (out[1], 1);
    close (in[1]);
    close (out[0]);
    execl (gkfish, "gkfish", "-a", img, (char *) NULL);
    _exit (127);
  }
  close (in[0]);
  close (out[1]);
  len = 0;
  seen[0] = '\0';
  dprintf (in[1], "echo-daemon first\n");
  int up = wait_output (out[0], "first", 300);
  CHECK (up, "gkfish launched and answered");
  pid_t vm = 0;
  char cmd[100];
  snprintf (cmd, sizeof cmd, "pgrep -P %d", (int) fish);
  FILE *p = popen (cmd, "r");
  if (p) { int v; if (fscanf (p, "%d", &v) == 1) vm = v; pclose (p); }
  CHECK (up && vm > 0 && kill (vm, SIGSTOP) == 0, "its backend %d stopped", (int) vm);
  dprintf (in[1], "echo-daemon second\n");
  usleep (500000);              /* gkfish is now waiting for the answer */
  double t0 = tu_now ();
  kill (fish, sig);
  int st = 0;
  pid_t w = 0;
  while ((w = waitpid (fish, &st, WNOHANG)) == 0 && tu_now () - t0 < BOUND) usleep (50000);
  double took = tu_now () - t0;
  if (w == 0) { kill (fish, SIGKILL); waitpid (fish, &st, 0); }
  CHECK (w == fish && WIFEXITED (st) && WEXITSTATUS (st) == 1,
         "signal %d ends a hung gkfish with status 1 (%.1f s; status 0x%x)", sig, took, st);
  CHECK (vm <= 0 || gone (vm), "... and its backend is gone");
  close (in[1]);
  close (out[0]);
}

static void
test_gkfish_full (const char *gkfish)
{
  char cmd[1024];
  snprintf (cmd, sizeof cmd, "%s -a %s -- mkfs ext4 /dev/sda : mount /dev/sda / : "
            "write /f hello : download /f /dev/full 2>&1", gkfish, img);
  FILE *p = popen (cmd, "r");
  char msg[2048] = "";
  size_t n = p ? fread (msg, 1, sizeof msg - 1, p) : 0;
  msg[n] = '\0';
  int st = p ? pclose (p) : -1;
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 1 && strstr (msg, "No space left on device"),
         "gkfish download /f /dev/full fails with ENOSPC, status 1: %s", msg);
  /* gkfish's own output. */
  snprintf (cmd, sizeof cmd, "%s -a %s -- mount /dev/sda / : cat /f 2>&1 >/dev/full", gkfish, img);
  p = popen (cmd, "r");
  n = p ? fread (msg, 1, sizeof msg - 1, p) : 0;
  msg[n] = '\0';
  st = p ? pclose (p) : -1;
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 1 && strstr (msg, "No space left on device"),
         "gkfish cat with standard output on /dev/full: ENOSPC, status 1: %s", msg);
}

/* Output of gkfish ARGS (after -a img --), on a pseudo-terminal (PTY)
 * or a pipe, into BUF. */
static size_t
gkfish_output (const char *gkfish, int pty, char *buf, size_t size, char *const *args)
{
  char *argv[32] = { "gkfish", "-a", img, "--" };
  size_t k = 4;
  for (size_t i = 0; args[i] && k < 31; i++) argv[k++] = args[i];
  argv[k] = NULL;
  int fd, p[2] = { -1, -1 };
  pid_t pid;
  if (pty) pid = forkpty (&fd, NULL, NULL, NULL);
  else {
    if (pipe (p) == -1) { perror ("pipe"); exit (2); }
    pid = fork ();
    fd = p[0];
  }
  if (pid == -1) { perror ("fork"); exit (2); }
  if (pid == 0) {
    if (!pty) { dup2 (p[1], 1); close (p[0]); }
    execv (gkfish, argv);
    _exit (127);
  }
  if (!pty) close (p[1]);
  size_t n = 0;
  ssize_t r;
  while (n < size - 1 && (r = read (fd, buf + n, size - 1 - n)) > 0) n += (size_t) r;
  buf[n] = '\0';
  close (fd);
  waitpid (pid, NULL, 0);
  return n;
}

static void
test_gkfish_escapes (const char *gkfish)
{
  char *setup[] = { "mkfs", "ext4", "/dev/sda", ":", "mount", "/dev/sda", "/", ":",
                    "write", "/e", "a\033[31mred\tb\\c\n", ":", "cat", "/e", NULL };
  char *again[] = { "mount", "/dev/sda", "/", ":", "cat", "/e", NULL };
  char buf[4096];
  gkfish_output (gkfish, 0, buf, sizeof buf, setup);
  CHECK (strstr (buf, "a\033[31mred\tb\\c\n") != NULL,
         "into a pipe, cat passes the guest's bytes unchanged");
  gkfish_output (gkfish, 1, buf, sizeof buf, again);
  CHECK (strstr (buf, "a\\x1b[31mred\tb\\\\c") != NULL && !strchr (buf, '\033'),
         "on a terminal, cat shows the escape as \\x1b (and a backslash as \\\\): %.60s", buf);
  /* The appliance's console, shown by GUESTKIT_DEBUG=1 on standard error. */
  char *console[] = { "debug-sh", "printf '\\033[31mGKRED\\n' > /dev/console; sleep 1", NULL };
  static char big[1 << 16];
  setenv ("GUESTKIT_DEBUG", "1", 1);
  gkfish_output (gkfish, 1, big, sizeof big, console);
  unsetenv ("GUESTKIT_DEBUG");
  CHECK (strstr (big, "\\x1b[31mGKRED") && !strstr (big, "\033[31mGKRED"),
         "on a terminal, a console line of the appliance is escaped too");
}

int
main (void)
{
  if (!mkdtemp (dir)) { perror ("mkdtemp"); return 2; }
  snprintf (img, sizeof img, "%s/disk.img", dir);
  tu_mkimage (img, 64 << 20);
  const char *gkfish = getenv ("GKFISH");
  if (!gkfish) gkfish = "fish/gkfish";

  test_cancel (1);
  test_cancel (0);
  test_timeout ();
  test_cancel_local_pipe ();
  test_close_stuck ();
  test_launch_timeout ();
  test_gkfish_signal (gkfish, SIGTERM);
  test_gkfish_signal (gkfish, SIGHUP);
  test_gkfish_full (gkfish);
  test_gkfish_escapes (gkfish);
  CHECK (tu_children (NULL) == 0, "no child process left at the end");

  unlink (img);
  rmdir (dir);
  return tap_done ();
}
