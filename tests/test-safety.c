/* Safety and bad input on real appliances (issue: foundation):
 * - bad drives and calls in the wrong state fail clearly, before launch;
 * - data written and synced survives a SIGKILL of qemu;
 * - the appliance dying mid-transfer gives an error, no hang;
 * - a read-only drive changes zero bytes of the image;
 * - bad devices, paths and local files give clear errors;
 * - no process or file is left after close, or after SIGKILL of the host
 *   program.
 * Boots three appliances. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "guestkit.h"
#include "tap.h"
#include "testutil.h"

static char dir[128];      /* $TMPDIR/gk-safety-XXXXXX */
static char img[256], ro_img[256], big[256];

/* FNV-1a over the whole file: enough to see a single changed byte. */
static uint64_t
file_hash (const char *path)
{
  uint64_t h = 1469598103934665603ULL;
  int fd = open (path, O_RDONLY);
  if (fd == -1) return 0;
  static char buf[1 << 16];
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) { h ^= (unsigned char) buf[i]; h *= 1099511628211ULL; }
  close (fd);
  return h;
}

/* A handle on the backend under test: GK_TEST_BACKEND (the same tests
 * run on each backend), else the default. */
static gk_h *
create (void)
{
  gk_h *g = gk_create ();
  const char *be = getenv ("GK_TEST_BACKEND");
  if (!g || (be && *be && gk_set_backend (g, be) == -1)) {
    fprintf (stderr, "test-safety: cannot create a handle for backend %s\n", be);
    exit (2);
  }
  return g;
}

static void
test_before_launch (void)
{
  gk_h *g = create ();
  CHECK (gk_add_drive (g, "/nonexistent/disk.img", NULL) == -1 && gk_last_errno (g) == ENOENT
         && strstr (gk_last_error (g), "/nonexistent/disk.img"),
         "missing image: %s", gk_last_error (g));
  CHECK (gk_add_drive (g, dir, NULL) == -1 && gk_last_errno (g) == EISDIR,
         "a directory is not an image: %s", gk_last_error (g));
  struct gk_add_drive_opts fo = { .bitmask = GK_ADD_DRIVE_FORMAT, .format = "vmdk" };
  CHECK (gk_add_drive (g, img, &fo) == -1 && strstr (gk_last_error (g), "vmdk"),
         "unknown format: %s", gk_last_error (g));
  fo.format = "qcow2";
  CHECK (gk_add_drive (g, img, &fo) == -1 && strstr (gk_last_error (g), "not a qcow2"),
         "raw file given as qcow2: %s", gk_last_error (g));

  /* A qcow2 header whose backing file is /etc/shadow. */
  char q[300];
  snprintf (q, sizeof q, "%s/evil.qcow2", dir);
  unsigned char h[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
  h[15] = 104; h[19] = 11;      /* backing_file_offset 104, size 11 */
  memcpy (h + 104, "/etc/shadow", 11);
  int fd = open (q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || write (fd, h, sizeof h) != (ssize_t) sizeof h) { perror (q); exit (2); }
  close (fd);
  CHECK (gk_add_drive (g, q, NULL) == -1 && gk_last_errno (g) == EPERM
         && strstr (gk_last_error (g), "backing"),
         "qcow2 with a backing file refused: %s", gk_last_error (g));
  fo.format = "raw";
  CHECK (gk_add_drive (g, q, &fo) == -1 && strstr (gk_last_error (g), "qcow2 header"),
         "a qcow2 file is never opened as raw: %s", gk_last_error (g));

  int added = 0;
  for (int i = 0; i < 30; i++) if (gk_add_drive (g, img, NULL) == 0) added++;
  CHECK (added == 24 && strstr (gk_last_error (g), "too many drives"),
         "drive limit: %d added, then: %s", added, gk_last_error (g));

  char **l = gk_list_devices (g);
  CHECK (!l && gk_last_errno (g) == EINVAL && strstr (gk_last_error (g), "launch"),
         "call before launch: %s", gk_last_error (g));
  CHECK (gk_get_pid (g) == -1 && strstr (gk_last_error (g), "get-pid"),
         "get-pid before launch: %s", gk_last_error (g));
  CHECK (gk_set_backend (g, "vmware") == -1 && strstr (gk_last_error (g), "invalid backend: vmware"),
         "invalid backend: %s", gk_last_error (g));
  gk_close (g);
}

/* Kill the backend at the upload's first progress event: mid-transfer
 * however fast the data path is. */
static void
kill_on_progress (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) call; (void) done; (void) total;
  pid_t *pid = opaque;
  if (*pid > 0) kill (*pid, SIGKILL);
  *pid = 0;
}

/* Appliance 1: write, sync, kill qemu mid-upload. */
static void
test_durability_and_death (void)
{
  gk_h *g = create ();
  if (gk_add_drive (g, img, NULL) == -1 || gk_launch (g) == -1) {
    CHECK (0, "launch: %s", gk_last_error (g));
    gk_close (g);
    return;
  }
  CHECK (gk_part_disk (g, "/dev/sda", "mbr") == 0 && gk_mkfs (g, "ext4", "/dev/sda1", NULL) == 0
         && gk_mount (g, "/dev/sda1", "/") == 0, "prepare ext4: %s", gk_last_error (g));
  CHECK (gk_write (g, "/synced", "durable\n", 8) == 0 && gk_sync (g) == 0,
         "write and sync: %s", gk_last_error (g));
  pid_t qpid = 0;
  CHECK (tu_children (&qpid) == 1 && qpid > 0, "one backend process (%d)", qpid);
  CHECK (gk_get_pid (g) == qpid, "get-pid is that process (%d, %d)", gk_get_pid (g), qpid);
  /* The appliance has booted and formatted a disk: it has used CPU, and
   * the counter only grows. */
  int64_t busy1 = gk_internal_guest_busy (g);
  CHECK (busy1 > 0, "internal-guest-busy: %lld us", (long long) busy1);
  CHECK (gk_internal_guest_busy (g) >= busy1, "internal-guest-busy never goes back");
  gk_set_progress_callback (g, kill_on_progress, &qpid);
  time_t t0 = time (NULL);
  int r = gk_upload (g, big, "/big");
  CHECK (r == -1 && gk_last_errno (g) == EIO && strstr (gk_last_error (g), "died"),
         "upload fails when the appliance dies: %s", gk_last_error (g));
  CHECK (time (NULL) - t0 < 60, "no hang");
  char **l = gk_ls (g, "/");
  CHECK (!l && strstr (gk_last_error (g), "shut down or has died"),
         "later calls fail clearly: %s", gk_last_error (g));
  gk_close (g);
  CHECK (tu_children (NULL) == 0, "no process left after close");
}

/* Appliance 2: read-only, and bad input. */
static void
test_readonly_and_bad_input (void)
{
  /* ro_img is a copy of img, which appliance 1 left with /synced. */
  char cmd[600];
  snprintf (cmd, sizeof cmd, "cp --sparse=always %s %s", img, ro_img);
  if (system (cmd) != 0) exit (2);
  uint64_t before = file_hash (ro_img);
  gk_h *g = create ();
  struct gk_add_drive_opts ro = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
  if (gk_add_drive (g, ro_img, &ro) == -1 || gk_launch (g) == -1) {
    CHECK (0, "launch: %s", gk_last_error (g));
    gk_close (g);
    return;
  }
  CHECK (gk_mount (g, "/dev/sda1", "/") == 0, "mount read-only drive: %s", gk_last_error (g));
  char *s = gk_cat (g, "/synced");
  CHECK (s && strcmp (s, "durable\n") == 0, "data synced before the kill survived: %s",
         s ? s : gk_last_error (g));
  free (s);
  CHECK (gk_write (g, "/scratch", "x", 1) == 0 && gk_mkdir (g, "/newdir") == 0
         && gk_sync (g) == 0, "writes to a read-only drive go to the overlay");

  /* Bad input: each a clear error naming what was wrong. */
  CHECK (gk_blockdev_getsize64 (g, "/dev/sdz") == -1 && strstr (gk_last_error (g), "/dev/sdz"),
         "missing device: %s", gk_last_error (g));
  CHECK (gk_blockdev_getsize64 (g, "/etc/passwd") == -1,
         "not a device: %s", gk_last_error (g));
  s = gk_cat (g, "/../../etc/passwd");
  CHECK (!s && gk_last_errno (g) == EINVAL && strstr (gk_last_error (g), "escapes"),
         "path escaping the root: %s", gk_last_error (g));
  free (s);
  s = gk_cat (g, "relative/path");
  CHECK (!s && gk_last_errno (g) == EINVAL, "relative path: %s", gk_last_error (g));
  free (s);
  /* A marker only the guest holds: through the hostile link we must read
   * exactly it (the link resolved inside the guest), not the appliance's
   * or the host's file, nor fail. */
  char marker[64];
  snprintf (marker, sizeof marker, "gk-guest-marker-%ld", (long) getpid ());
  CHECK (gk_mkdir_p (g, "/etc") == 0
         && gk_write (g, "/etc/hostname", marker, strlen (marker)) == 0
         && gk_ln_s (g, "/../../../../etc", "/evil") == 0, "hostile symlink created: %s",
         gk_last_error (g));
  s = gk_cat (g, "/evil/hostname");
  CHECK (s && strcmp (s, marker) == 0, "symlinks resolve inside the guest: %s",
         s ? s : gk_last_error (g));
  free (s);
  CHECK (gk_upload (g, "/nonexistent/local/file", "/x") == -1 && gk_last_errno (g) == ENOENT
         && strstr (gk_last_error (g), "/nonexistent/local/file"),
         "upload of a missing local file: %s", gk_last_error (g));
  CHECK (gk_download (g, "/synced", "/nonexistent/dir/out", NULL) == -1 && gk_last_errno (g) == ENOENT,
         "download into a missing local directory: %s", gk_last_error (g));
  CHECK (gk_umount_all (g) == 0, "umount-all");
  CHECK (gk_mount (g, "/dev/sda", "/") == -1, "mounting a partition table, not a filesystem: %s",
         gk_last_error (g));
  char **l = gk_ls (g, "/");
  CHECK (!l && strstr (gk_last_error (g), "mount"), "no root mounted: %s", gk_last_error (g));
  CHECK (gk_shutdown (g) == 0, "shutdown: %s", gk_last_error (g));
  gk_close (g);
  CHECK (file_hash (ro_img) == before, "read-only image unchanged, byte for byte");
  CHECK (tu_children (NULL) == 0, "no process left");
}

/* Appliance 3: the host program is SIGKILLed. */
static void
test_host_killed (void)
{
  int pfd[2];
  if (pipe (pfd) == -1) exit (2);
  pid_t pid = fork ();
  if (pid == 0) {
    close (pfd[0]);
    gk_h *g = create ();
    if (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == 0) {
      if (write (pfd[1], "R", 1) != 1) _exit (3);
      pause ();
    }
    _exit (1);
  }
  close (pfd[1]);
  char c = 0;
  int ok = read (pfd[0], &c, 1) == 1 && c == 'R';
  close (pfd[0]);
  CHECK (ok, "child launched an appliance");
  CHECK (tu_procs_mentioning (img) >= 1, "its backend runs");
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  int left = 1;
  for (int i = 0; i < 100 && left; i++) {
    left = tu_procs_mentioning (img);
    if (left) usleep (50000);
  }
  CHECK (left == 0, "backend gone after SIGKILL of the host program");
}

int
main (void)
{
  alarm (900);                  /* a hang fails the test instead of CI */
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/gk-safety-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) { perror (dir); return 2; }
  snprintf (img, sizeof img, "%s/disk.img", dir);
  snprintf (ro_img, sizeof ro_img, "%s/ro.img", dir);
  snprintf (big, sizeof big, "%s/big.bin", dir);
  tu_mkimage (img, 64 << 20);
  tu_mkimage (big, 400 << 20);     /* sparse: read fast, sent in full */
  int vl_before = tu_count_entries ("/var/tmp", "vl.");
  test_before_launch ();
  test_durability_and_death ();
  test_readonly_and_bad_input ();
  test_host_killed ();
  CHECK (tu_count_entries ("/var/tmp", "vl.") == vl_before, "no qemu overlay left in /var/tmp");
  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (system (cmd) != 0) fprintf (stderr, "cleanup of %s failed\n", dir);
  return tap_done ();
}
