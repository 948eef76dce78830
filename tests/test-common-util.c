/* Unit tests of common/grow.c and common/fullio.c (no appliance). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "grow.h"
#include "fullio.h"
#include "mountorder.h"

static void
test_grow (void)
{
  int *v = NULL;
  size_t cap = 0, n = 0;
  int ok = 1;
  for (int i = 0; i < 10000; i++) {
    if (gk_int_grow ((void **) &v, &cap, n + 1, sizeof *v, 16) == -1) { ok = 0; break; }
    v[n++] = i;
  }
  CHECK (ok && n == 10000 && cap >= 10000 && cap < 20000 * 2, "grow: 10000 appends (cap %zu)", cap);
  int same = 1;
  for (size_t i = 0; i < n; i++) same &= v[i] == (int) i;
  CHECK (same, "grow: the contents survive every move");
  size_t before = cap;
  CHECK (gk_int_grow ((void **) &v, &cap, 5, sizeof *v, 16) == 0 && cap == before,
         "grow: no change when it already fits");
  int *keep = v;
  errno = 0;
  CHECK (gk_int_grow ((void **) &v, &cap, SIZE_MAX / 2, sizeof *v, 16) == -1 && errno == ENOMEM
         && v == keep && cap == before, "grow: an overflowing size is ENOMEM, the array untouched");
  free (v);
  char *c = NULL; size_t cc = 0;
  CHECK (gk_int_grow ((void **) &c, &cc, 3, 1, 0) == 0 && cc >= 3, "grow: min 0 still grows (cap %zu)", cc);
  free (c);
}

static void
test_fullio (void)
{
  int p[2];
  if (pipe (p) == -1) { CHECK (0, "pipe: %s", strerror (errno)); return; }
  /* 200 KiB through a pipe (64 KiB buffer): short writes and reads. */
  size_t n = 200 * 1024;
  char *out = malloc (n), *in = malloc (n + 1);
  for (size_t i = 0; i < n; i++) out[i] = (char) (i * 7);
  pid_t pid = fork ();
  if (pid == 0) {
    close (p[0]);
    _exit (gk_int_write_full (p[1], out, n) == 0 ? 0 : 1);
  }
  close (p[1]);
  ssize_t r = gk_int_read_full (p[0], in, n + 1);
  int st = 0;
  waitpid (pid, &st, 0);
  CHECK (r == (ssize_t) n && memcmp (in, out, n) == 0, "read_full: all %zu bytes, then end of file (%zd)", n, r);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "write_full: the writer saw no error");
  close (p[0]);

  /* Writing to a pipe nobody reads is EPIPE, not a crash or a loop. */
  if (pipe (p) == -1) return;
  close (p[0]);
  signal (SIGPIPE, SIG_IGN);
  errno = 0;
  CHECK (gk_int_write_full (p[1], out, 10) == -1 && errno == EPIPE, "write_full: a closed reader is EPIPE");
  close (p[1]);
  errno = 0;
  CHECK (gk_int_read_full (-1, in, 1) == -1 && errno == EBADF, "read_full: a bad descriptor is -1/EBADF");
  free (out); free (in);

  char small[8];
  char path[] = "/tmp/gk-test-small.XXXXXX";
  int fd = mkstemp (path);
  if (fd != -1) {
    gk_int_write_full (fd, "0123456789\n", 11);
    close (fd);
    CHECK (gk_int_read_small (path, small, sizeof small) == 7 && strcmp (small, "0123456") == 0,
           "read_small: cut at the buffer, ended with NUL ('%s')", small);
    unlink (path);
  }
  errno = 0;
  CHECK (gk_int_read_small ("/nonexistent/gk", small, sizeof small) == -1 && errno == ENOENT
         && small[0] == '0', "read_small: a missing file is -1/ENOENT, the buffer untouched");
  CHECK (gk_int_read_small ("/proc/self/stat", small, sizeof small) > 0 && small[0] >= '1'
         && small[0] <= '9', "read_small: a /proc entry ('%s')", small);
}

static void
test_mountorder (void)
{
  CHECK (gk_int_mountpoint_depth ("/") == 0 && gk_int_mountpoint_depth ("/boot") == 1
         && gk_int_mountpoint_depth ("/var/log") == 2 && gk_int_mountpoint_depth ("/var//log/") == 2,
         "mountpoint depth: / 0, /boot 1, /var/log 2 (empty components count nothing)");
  CHECK (gk_int_mountpoint_depth ("") == 1 && gk_int_mountpoint_depth ("//") == 1,
         "mountpoint depth: anything but / is at least 1");
  char *v[] = { "/var/log", "a", "/boot/efi", "b", "/home", "c", "/", "d", "/boot", "e",
                "/var", "f" };
  gk_int_mountpoints_sort (v, 6, 0);
  const char *stable = "/ d /home c /boot e /var f /var/log a /boot/efi b ";
  char got[256] = "";
  for (size_t i = 0; i < 12; i++) { strcat (got, v[i]); strcat (got, " "); }
  CHECK (strcmp (got, stable) == 0, "mount order: parents first, given order kept (%s)", got);
  gk_int_mountpoints_sort (v, 6, 1);
  const char *named = "/ d /boot e /home c /var f /boot/efi b /var/log a ";
  got[0] = '\0';
  for (size_t i = 0; i < 12; i++) { strcat (got, v[i]); strcat (got, " "); }
  CHECK (strcmp (got, named) == 0, "mount order: by name within a depth (%s)", got);
  gk_int_mountpoints_sort (v, 0, 1);
  gk_int_mountpoints_sort (v, 1, 0);
  CHECK (strcmp (v[0], "/") == 0 && strcmp (v[1], "d") == 0, "mount order: 0 and 1 pairs");

  char a1[] = "/dev/sda1:/boot:ro,noexec", a2[] = "/dev/sda1:/boot:ro", a3[] = "/dev/sda2",
    a4[] = ":/x", a5[] = "/dev/sda1:boot", a6[] = "/dev/sda1:";
  char *mp, *op;
  CHECK (gk_int_mount_arg (a1, 1, &mp, &op) == 0 && strcmp (a1, "/dev/sda1") == 0
         && strcmp (mp, "/boot") == 0 && op && strcmp (op, "ro,noexec") == 0,
         "mount arg: device, mount point, options");
  CHECK (gk_int_mount_arg (a2, 0, &mp, &op) == 0 && strcmp (mp, "/boot:ro") == 0 && !op,
         "mount arg: without options all after the first ':' is the mount point");
  CHECK (gk_int_mount_arg (a3, 1, &mp, &op) == 0 && strcmp (mp, "/") == 0 && !op
         && gk_int_mount_arg (a6, 1, &mp, &op) == 0 && strcmp (mp, "/") == 0,
         "mount arg: no or an empty mount point is /");
  CHECK (gk_int_mount_arg (a4, 1, &mp, &op) == -1 && gk_int_mount_arg (a5, 1, &mp, &op) == -1,
         "mount arg: an empty device or a relative mount point is refused");
}

int
main (void)
{
  test_grow ();
  test_fullio ();
  test_mountorder ();
  return tap_done ();
}
