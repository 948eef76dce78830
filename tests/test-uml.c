/* The UML backend on real appliances (what test-api and test-safety,
 * which also run on UML, do not cover):
 * - bad input: the UML binary missing or not executable, a kernel that
 *   fails to boot (the error shows its console), qcow2 drives, paths UML
 *   would misparse (a space: ',' and ':' are refused for every backend);
 * - the host program SIGKILLed: every UML process (UML starts several)
 *   is gone, and no file is left in TMPDIR (where the read-only drive's
 *   COW file lives, nameless), /dev/shm or ~/.uml;
 * - synced data is in the host image even when UML is SIGKILLed right
 *   after sync (checked on the image file itself);
 * - launch and transfer timers.
 * Boots two appliances.  Exit 77 (skip) when linux.uml is missing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static int skipped;         /* checks that could not run here */
static char dir[128];      /* $TMPDIR/gk-uml-XXXXXX */
static char img[256], ro_img[256], tmpd[256];

static gk_h *
handle (void)
{
  gk_h *g = gk_create ();
  if (!g || gk_set_backend (g, "uml") == -1) { fprintf (stderr, "gk_create\n"); exit (2); }
  return g;
}

static void
test_bad_input (void)
{
  char p[300], msg[600];
  gk_h *g = handle ();
  setenv ("GUESTKIT_UML", "/nonexistent/linux.uml", 1);
  CHECK (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == -1 && gk_last_errno (g) == ENOENT
         && strstr (gk_last_error (g), "/nonexistent/linux.uml"),
         "UML binary missing: %s", gk_last_error (g));
  gk_close (g);

  snprintf (p, sizeof p, "%s/linux.uml", dir);
  tu_write_file (p, "not a program\n", 0644);
  setenv ("GUESTKIT_UML", p, 1);
  g = handle ();
  CHECK (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == -1 && gk_last_errno (g) == EACCES
         && strstr (gk_last_error (g), "not an executable"),
         "UML binary not executable: %s", gk_last_error (g));
  gk_close (g);

  /* A "kernel" that panics at boot: the error carries its console. */
  tu_write_file (p, "#!/bin/sh\necho 'Kernel panic - not syncing: test panic at boot'\nexit 1\n", 0755);
  g = handle ();
  CHECK (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == -1
         && strstr (gk_last_error (g), "Kernel panic - not syncing: test panic"),
         "kernel that fails to boot: %.300s", gk_last_error (g));
  gk_close (g);
  unsetenv ("GUESTKIT_UML");

  snprintf (p, sizeof p, "%s/disk.qcow2", dir);
  snprintf (msg, sizeof msg, "qemu-img create -q -f qcow2 %s 16M", p);
  if (system (msg) == 0) {
    g = handle ();
    CHECK (gk_add_drive (g, p, NULL) == 0 && gk_launch (g) == -1
           && strstr (gk_last_error (g), "qcow2") && strstr (gk_last_error (g), "raw"),
           "qcow2 refused with the way out: %s", gk_last_error (g));
    gk_close (g);
  }
  else {
    /* Visible in the summary (.ci/run counts "N skipped"). */
    printf ("SKIP: qemu-img failed or is missing (apt-get install qemu-utils): "
            "the check that qcow2 is refused\n");
    skipped++;
  }

  snprintf (p, sizeof p, "%s/a b.img", dir);
  tu_mkimage (p, 1 << 20);
  g = handle ();
  CHECK (gk_add_drive (g, p, NULL) == 0 && gk_launch (g) == -1 && gk_last_errno (g) == EINVAL
         && strstr (gk_last_error (g), "spaces"),
         "path UML would misparse refused: %s", gk_last_error (g));
  gk_close (g);
  unlink (p);
}

/* Appliance 1: the host program is SIGKILLed with a read-only drive
 * attached (its COW file is in TMPDIR, nameless). */
static void
test_host_killed (void)
{
  char home_uml[300];
  snprintf (home_uml, sizeof home_uml, "%s/.uml", getenv ("HOME") ? getenv ("HOME") : "/");
  int shm0 = tu_count_entries ("/dev/shm", ""), uml0 = tu_count_entries (home_uml, "");
  int pfd[2];
  if (pipe (pfd) == -1) exit (2);
  pid_t pid = fork ();
  if (pid == 0) {
    close (pfd[0]);
    setenv ("TMPDIR", tmpd, 1);
    gk_h *g = handle ();
    struct gk_add_drive_opts ro = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
    if (gk_add_drive (g, img, NULL) == 0 && gk_add_drive (g, ro_img, &ro) == 0
        && gk_launch (g) == 0) {
      char **l = gk_list_devices (g);
      int ok = l && l[0] && l[1] && !l[2];
      gk_free_strings (l);
      if (write (pfd[1], ok ? "R" : "D", 1) != 1) _exit (3);
      pause ();
    }
    _exit (1);
  }
  close (pfd[1]);
  char c = 0;
  int ok = read (pfd[0], &c, 1) == 1 && c == 'R';
  close (pfd[0]);
  CHECK (ok, "child launched UML with a writable and a read-only drive (/dev/sda, /dev/sdb)");
  int running = tu_procs_mentioning (img);
  CHECK (running >= 2, "UML runs as several host processes (%d)", running);
  CHECK (tu_count_entries (tmpd, "") == 0, "the read-only drive's COW file has no name in TMPDIR");
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  int left = 1;
  for (int i = 0; i < 100 && left; i++) {
    left = tu_procs_mentioning (img);
    if (left) usleep (50000);
  }
  CHECK (left == 0, "every UML process gone after SIGKILL of the host program (%d left)", left);
  CHECK (tu_count_entries (tmpd, "") == 0 && tu_count_entries ("/dev/shm", "") <= shm0 && tu_count_entries (home_uml, "") <= uml0,
         "nothing left in TMPDIR, /dev/shm or ~/.uml");
}

/* Appliance 2: data synced, then UML SIGKILLed: it is in the image. */
static void
test_durable_after_kill (void)
{
  gk_h *g = handle ();
  if (gk_add_drive (g, img, NULL) == -1 || gk_launch (g) == -1) {
    CHECK (0, "launch: %s", gk_last_error (g));
    gk_close (g);
    return;
  }
  struct gk_timing_list *t = gk_get_timings (g);
  int total = 0, chan = 0;
  for (size_t i = 0; t && i < t->len; i++) {
    if (strcmp (t->val[i].name, "launch.total") == 0 && t->val[i].usec > 0) total = 1;
    if (strcmp (t->val[i].name, "guest.channel") == 0 && t->val[i].usec > 0) chan = 1;
  }
  gk_free_timing_list (t);
  CHECK (total && chan, "launch timers: launch.total and the guest's guest.channel");

  char marker[64];
  snprintf (marker, sizeof marker, "guestkit-uml-durable-%d-%ld\n", (int) getpid (), (long) time (NULL));
  CHECK (gk_part_disk (g, "/dev/sda", "mbr") == 0 && gk_mkfs (g, "ext4", "/dev/sda1", NULL) == 0
         && gk_mount (g, "/dev/sda1", "/") == 0, "prepare ext4: %s", gk_last_error (g));
  char local[300];
  snprintf (local, sizeof local, "%s/up.txt", dir);
  tu_write_file (local, marker, 0644);
  CHECK (gk_upload (g, local, "/marker") == 0, "upload: %s", gk_last_error (g));
  t = gk_get_timings (g);
  int64_t bytes = -1, wall = -1;
  for (size_t i = 0; t && i < t->len; i++) {
    if (strcmp (t->val[i].name, "xfer.bytes") == 0) bytes = t->val[i].usec;
    if (strcmp (t->val[i].name, "xfer.wall") == 0) wall = t->val[i].usec;
  }
  gk_free_timing_list (t);
  CHECK (bytes == (int64_t) strlen (marker) && wall > 0,
         "transfer timers: xfer.bytes %lld, xfer.wall %lld us", (long long) bytes, (long long) wall);
  CHECK (gk_sync (g) == 0, "sync: %s", gk_last_error (g));
  /* Kill every UML process now, without any chance to flush. */
  DIR *d = opendir ("/proc");
  struct dirent *e;
  int killed = 0;
  while (d && (e = readdir (d))) {
    char p[300], buf[512];
    snprintf (p, sizeof p, "/proc/%s/stat", e->d_name);
    FILE *f = fopen (p, "r");
    if (!f) continue;
    int ppid = 0;
    if (fgets (buf, sizeof buf, f)) {
      char *rp = strrchr (buf, ')');
      if (rp) sscanf (rp + 2, "%*c %d", &ppid);
    }
    fclose (f);
    if (ppid == getpid () && kill (atoi (e->d_name), SIGKILL) == 0) killed++;
  }
  if (d) closedir (d);
  CHECK (killed == 1, "UML SIGKILLed right after sync");
  char **l = gk_ls (g, "/");
  CHECK (!l && gk_last_errno (g) == EIO, "the next call fails: %s", gk_last_error (g));
  gk_close (g);

  /* The marker must be in the image file itself. */
  int fd = open (img, O_RDONLY);
  static char buf[1 << 20];
  size_t ml = strlen (marker);
  int found = 0;
  off_t off = 0;
  ssize_t n;
  while (fd >= 0 && !found && (n = pread (fd, buf, sizeof buf, off)) > 0) {
    if (memmem (buf, (size_t) n, marker, ml)) found = 1;
    off += n - (n > (ssize_t) ml ? (ssize_t) ml : 0);
    if (n < (ssize_t) ml) break;
  }
  if (fd >= 0) close (fd);
  CHECK (found, "synced data is in the host image after UML was killed");
}

/* 1 when UML starts but this host cannot run its processes (the
 * library names that case; see tests/uml-skip.sh). */
static int
uml_cannot_run_here (char *why, size_t len)
{
  gk_h *g = gk_create ();
  int r = 0;
  if (!g) return 0;
  gk_set_backend (g, "uml");
  if (gk_add_drive (g, img, NULL) == 0 && gk_launch (g) == -1) {
    const char *e = gk_last_error (g);
    const char *m = e ? strstr (e, "User-Mode Linux cannot run processes on this host") : NULL;
    if (m) {
      snprintf (why, len, "%.*s", (int) strcspn (m, "\n"), m);
      r = 1;
    }
  }
  gk_close (g);
  return r;
}

int
main (void)
{
  const char *u = getenv ("GUESTKIT_UML");
  if (access (u && *u ? u : "/usr/bin/linux.uml", X_OK) != 0) {
    printf ("SKIP: %s is not installed\n", u && *u ? u : "/usr/bin/linux.uml");
    return 77;
  }
  alarm (600);
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/gk-uml-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) { perror (dir); return 2; }
  snprintf (img, sizeof img, "%s/disk.img", dir);
  snprintf (ro_img, sizeof ro_img, "%s/ro.img", dir);
  snprintf (tmpd, sizeof tmpd, "%s/tmpdir", dir);
  if (mkdir (tmpd, 0700) == -1) { perror (tmpd); return 2; }
  tu_mkimage (img, 64 << 20);
  tu_mkimage (ro_img, 16 << 20);
  char why[512];
  if (uml_cannot_run_here (why, sizeof why)) {
    printf ("SKIP: %s\n", why);
    snprintf (why, sizeof why, "rm -rf %s", dir);
    if (system (why) != 0) fprintf (stderr, "cleanup of %s failed\n", dir);
    return 77;
  }
  test_bad_input ();
  test_host_killed ();
  test_durable_after_kill ();
  char cmd[300];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  if (system (cmd) != 0) fprintf (stderr, "cleanup of %s failed\n", dir);
  if (skipped) printf ("%d skipped\n", skipped);
  return tap_done ();
}
