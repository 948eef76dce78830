/* gkbatch: --rw all or nothing.  The worker's appliance writes to a
 * qcow2 overlay backed by the image (which qemu opens read-only); only
 * when the whole script succeeded does gkbatch record "committing" in
 * the journal and run "qemu-img commit" into the image, then record the
 * result, then delete the overlay.  A commit cut short (kill, power
 * loss) leaves the overlay and the "committing" record, and the next
 * run commits it again: writing the same clusters twice gives the same
 * image.  A failed script just deletes the overlay: the image never
 * changed.  The overlay's name comes from the path, so a rerun finds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gkbatch.h"

char *
gkb_overlay_path (const char *dir, const char *image)
{
  char *p;
  if (asprintf (&p, "%s/%016llx.qcow2", dir, (unsigned long long) gkb_hash (image)) == -1)
    return NULL;
  return p;
}

const char *
gkb_probe_format (const char *image)
{
  unsigned char m[4] = { 0 };
  int fd = open (image, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return "raw";
  ssize_t n = read (fd, m, 4);
  close (fd);
  return n == 4 && memcmp (m, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

/* Start ARGV with stdout to /dev/null and stderr to a pipe (*ERRFD). */
static pid_t
spawn (char *const *argv, int *errfd, char **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) == -1) {
    if (asprintf (err, "pipe: %s", strerror (errno)) == -1) *err = NULL;
    return -1;
  }
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid == -1) {
    if (asprintf (err, "fork: %s", strerror (errno)) == -1) *err = NULL;
    close (p[0]); close (p[1]);
    return -1;
  }
  if (pid == 0) {
    /* Dies with us: a commit cut short is redone by the next run. */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    if (getppid () != parent) _exit (126);
    int null = open ("/dev/null", O_RDWR);
    if (null == -1 || dup2 (null, 0) == -1 || dup2 (null, 1) == -1 || dup2 (p[1], 2) == -1)
      _exit (126);
    signal (SIGINT, SIG_IGN);   /* a commit is not cut by Ctrl-C */
    execvp (argv[0], argv);
    dprintf (2, "%s: %s", argv[0], strerror (errno));
    _exit (127);
  }
  close (p[1]);
  *errfd = p[0];
  return pid;
}

int
gkb_overlay_create (const char *image, const char *format, const char *overlay, char **err)
{
  *err = NULL;
  char *abs = realpath (image, NULL);
  if (!abs) {
    if (asprintf (err, "%s: %s", image, strerror (errno)) == -1) *err = NULL;
    return -1;
  }
  unlink (overlay);     /* a leftover of a failed or killed run */
  char *const argv[] = { (char *) "qemu-img", (char *) "create", (char *) "-q",
    (char *) "-f", (char *) "qcow2", (char *) "-F", (char *) format, (char *) "-b", abs,
    (char *) overlay, NULL };
  int fd;
  pid_t pid = spawn (argv, &fd, err);
  free (abs);
  if (pid == -1) return -1;
  char buf[512];
  ssize_t n, len = 0;
  while ((n = read (fd, buf + len, sizeof buf - 1 - (size_t) len)) > 0) len += n;
  buf[len > 0 ? len : 0] = '\0';
  close (fd);
  int st;
  while (waitpid (pid, &st, 0) == -1 && errno == EINTR) ;
  if (WIFEXITED (st) && WEXITSTATUS (st) == 0) return 0;
  if (len && buf[len - 1] == '\n') buf[len - 1] = '\0';
  if (asprintf (err, "creating the overlay %s: %s", overlay,
                len ? buf : "qemu-img create failed") == -1) *err = NULL;
  unlink (overlay);
  return -1;
}

pid_t
gkb_commit_start (const char *overlay, int *errfd, char **err)
{
  /* -d: the overlay is deleted afterwards, no need to empty it. */
  char *const argv[] = { (char *) "qemu-img", (char *) "commit", (char *) "-q",
    (char *) "-d", (char *) overlay, NULL };
  *err = NULL;
  return spawn (argv, errfd, err);
}
