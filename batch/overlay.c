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
#include <sys/wait.h>
#include <unistd.h>
#include "gkbatch.h"
#include "hostspawn.h"
#include "fullio.h"

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
  ssize_t n = gk_int_read_full (fd, m, 4);
  close (fd);
  return n == 4 && memcmp (m, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

/* Start ARGV with stdout to /dev/null and stderr to a pipe (*ERRFD).
 * It dies with us (a commit cut short is redone by the next run) and is
 * not cut by Ctrl-C. */
static pid_t
spawn (char *const *argv, int *errfd, char **err)
{
  struct gk_int_spawn_cfg c = {
    .argv = argv, .flags = GK_SPAWN_PDEATH | GK_SPAWN_IGNINT,
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_PIPE } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    if (asprintf (err, "%s: %s", argv[0], strerror (errno)) == -1) *err = NULL;
    return -1;
  }
  *errfd = p.fd[2];
  return p.pid;
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
  ssize_t len = gk_int_read_full (fd, buf, sizeof buf - 1);
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
