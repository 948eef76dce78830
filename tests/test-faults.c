/* Fault injection on real appliances (issue 11, part 3).
 *
 * - The VM killed (SIGKILL of get-pid's process) at each launch phase:
 *   right after it is spawned, when it first writes its console, and
 *   late in the boot (just before READY, from a measured boot time).
 * - The VM killed at a random point of each transfer kind (upload,
 *   download, tar-in, tar-out, copy-in), on both datapaths (blk, serial).
 * - A full host disk during download (/dev/full, and a 1 MiB tmpfs
 *   mounted in a private mount namespace when we may create one).
 * - An attached image that vanishes (unlinked) or shrinks (truncated).
 * Each must end in a clear error (or, where the host keeps the file
 * open, a correct answer) within a bounded time, with no process or
 * descriptor of ours left and no partial local file; and what was
 * written and synced before a kill must still be there after a relaunch.
 *
 * GK_TEST_SEED fixes the random kill points (printed at the start).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "guestkit.h"
#include "tap.h"
#include "testutil.h"

/* Every fault must be over within this (a TCG boot on a loaded machine
 * takes tens of seconds; a hang is forever). */
#define BOUND_S 120
#define XFER_MB 24

static char dir[200];
static char img[300], src[300], srctar[300], srcdir[300];
static int markers;             /* synced marker files written so far */
static int base_fds;

static void
path (char *buf, size_t n, const char *name)
{
  snprintf (buf, n, "%s/%s", dir, name);
}

static double
now (void)
{
  struct timespec t;
  return clock_gettime (CLOCK_MONOTONIC, &t) == 0 ? (double) t.tv_sec + (double) t.tv_nsec / 1e9 : 0;
}

static int
count_fds (void)
{
  return tu_count_entries ("/proc/self/fd", "");
}

/* SIZE bytes of rand () in PATH (the content only has to be non-zero
 * and not compress to nothing). */
static void
make_file (const char *p, size_t size)
{
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  static int buf[16384];
  for (size_t done = 0; fd >= 0 && done < size; done += sizeof buf) {
    for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) buf[i] = rand ();
    size_t n = size - done < sizeof buf ? size - done : sizeof buf;
    if (write (fd, buf, n) != (ssize_t) n) { close (fd); fd = -1; }
  }
  if (fd == -1 || close (fd) == -1) { perror (p); exit (2); }
}

/* What must hold after any fault, once the handle is closed: no child
 * process (VM, local tar), no descriptor of ours left open. */
static void
check_clean (const char *what)
{
  int kids = -1;
  for (int i = 0; i < 50 && (kids = tu_children (NULL)) != 0; i++) usleep (100000);
  CHECK (kids == 0, "%s: no process left (%d)", what, kids);
  CHECK (count_fds () == base_fds, "%s: no descriptor left (%d open, %d before)", what,
         count_fds (), base_fds);
}

/* Launch on DATAPATH with IMG (and EXTRA drives), mount it, and check
 * that every synced marker is still there. */
static gk_h *
launch (const char *datapath, const char *const *extra)
{
  gk_h *g = gk_create ();
  if (!g || gk_set_datapath (g, datapath) == -1 || gk_add_drive (g, img, NULL) == -1) {
    CHECK (0, "create (%s): %s", datapath, g ? gk_last_error (g) : "no handle");
    if (g) gk_close (g);
    return NULL;
  }
  for (size_t i = 0; extra && extra[i]; i++)
    if (gk_add_drive (g, extra[i], NULL) == -1) {
      CHECK (0, "add-drive %s: %s", extra[i], gk_last_error (g));
      gk_close (g);
      return NULL;
    }
  if (gk_launch (g) == -1 || gk_mount (g, "/dev/sda", "/") == -1) {
    CHECK (0, "launch and mount (%s): %s", datapath, gk_last_error (g));
    gk_close (g);
    return NULL;
  }
  int lost = 0;
  for (int i = 0; i < markers; i++) {
    char p[64], want[64];
    snprintf (p, sizeof p, "/marker-%d", i);
    snprintf (want, sizeof want, "synced %d\n", i);
    char *s = gk_cat (g, p);
    if (!s || strcmp (s, want) != 0) lost++;
    free (s);
  }
  if (markers)
    CHECK (lost == 0, "relaunch (%s): all %d synced markers still there (%d lost)", datapath,
           markers, lost);
  return g;
}

/* Write and sync one more marker: it must survive the next kill. */
static void
add_marker (gk_h *g)
{
  char p[64], text[64];
  snprintf (p, sizeof p, "/marker-%d", markers);
  snprintf (text, sizeof text, "synced %d\n", markers);
  if (gk_write (g, p, text, strlen (text)) == 0 && gk_sync (g) == 0) markers++;
  else CHECK (0, "write and sync %s: %s", p, gk_last_error (g));
}

/* A call that failed because the VM was killed: a clear error. */
static int
clear_death (gk_h *g)
{
  const char *e = gk_last_error (g);
  return e && gk_last_errno (g) != 0 && (strstr (e, "died") || strstr (e, "killed")
                                         || strstr (e, "launch"));
}

/* --- launch phases --- */

/* The appliance prints nothing on its console unless debugging is on
 * ("quiet"), so the console phase is found on debug launches: the
 * library times the first console byte (launch.first_console). */
struct phase_killer {
  double delay;                 /* after the spawn, seconds; < 0: no kill */
  pid_t pid;
  double spawned, killed;
};

/* Is child PID the VM rather than the appliance builder? */
static int
is_vm (pid_t pid)
{
  char p[64], comm[64] = "";
  snprintf (p, sizeof p, "/proc/%d/comm", (int) pid);
  FILE *f = fopen (p, "r");
  if (f && !fgets (comm, sizeof comm, f)) comm[0] = '\0';
  if (f) fclose (f);
  comm[strcspn (comm, "\n")] = '\0';
  return comm[0] && strcmp (comm, "sh") != 0 && strcmp (comm, "bash") != 0
    && strcmp (comm, "dash") != 0 && strncmp (comm, "make-", 5) != 0;
}

static void *
phase_thread (void *opaque)
{
  struct phase_killer *k = opaque;
  double t0 = now ();
  pid_t pid = 0;
  /* Wait for the VM process to appear (not the appliance builder, a
   * shell script, when the cache is being rebuilt). */
  while (now () - t0 < BOUND_S && (tu_children (&pid) == 0 || !is_vm (pid))) {
    pid = 0;
    usleep (1000);
  }
  if (!pid) return NULL;
  k->spawned = now ();
  if (k->delay < 0) return NULL;
  while (now () - k->spawned < k->delay) usleep (2000);
  k->pid = pid;
  kill (pid, SIGKILL);
  k->killed = now ();
  return NULL;
}

/* Debug output (the console) goes to a file while DEBUG launches run. */
static int saved_stderr = -1;
static void
quiet_stderr (int on)
{
  if (on) {
    char p[350];
    path (p, sizeof p, "debug.log");
    int fd = open (p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    fflush (stderr);
    saved_stderr = fcntl (2, F_DUPFD_CLOEXEC, 3);
    dup2 (fd, 2);
    close (fd);
  }
  else if (saved_stderr >= 0) {
    fflush (stderr);
    dup2 (saved_stderr, 2);
    close (saved_stderr);
    saved_stderr = -1;
  }
}

static int64_t
timing (struct gk_timing_list *l, const char *name)
{
  for (size_t i = 0; l && i < l->len; i++)
    if (strcmp (l->val[i].name, name) == 0) return l->val[i].usec;
  return -1;
}

/* Launch a handle on IMG (with debugging, its output into debug.log),
 * with K's thread watching for the VM process.  *DT: seconds in
 * gk_launch, *T0 when it started.  Returns gk_launch's status. */
static int
watched_launch (gk_h **gp, struct phase_killer *k, double *t0, double *dt)
{
  gk_h *g = *gp = gk_create ();
  gk_add_drive (g, img, NULL);
  gk_set_debug (g, 1);
  quiet_stderr (1);
  pthread_t th;
  pthread_create (&th, NULL, phase_thread, k);
  *t0 = now ();
  int r = gk_launch (g);
  *dt = now () - *t0;
  pthread_join (th, NULL);
  return r;
}

static void
close_watched (gk_h *g)
{
  gk_close (g);
  quiet_stderr (0);
}

/* Measure one debug boot: seconds from the spawn to the first console
 * byte (*CONSOLE) and to READY (returned). */
static double
measure_boot (double *console)
{
  struct phase_killer k = { .delay = -1 };
  gk_h *g;
  double t0, ready;
  int r = watched_launch (&g, &k, &t0, &ready);
  struct gk_timing_list *l = r == 0 ? gk_get_timings (g) : NULL;
  double spawn_at = k.spawned > 0 ? k.spawned - t0 : 0;
  int64_t fc = timing (l, "launch.first_console");
  *console = fc > 0 ? (double) fc / 1e6 - spawn_at : -1;
  CHECK (r == 0 && fc > 0, "a debug launch: spawn at %.1f s, first console byte %.1f s later, "
         "ready %.1f s later%s%s", spawn_at, *console, ready - spawn_at, r ? ": " : "",
         r ? gk_last_error (g) : "");
  gk_free_timing_list (l);
  close_watched (g);
  check_clean ("debug launch");
  return ready - spawn_at;
}

static void
kill_in_launch (const char *phase, double delay)
{
  struct phase_killer k = { .delay = delay };
  gk_h *g;
  double t0, dt;
  int r = watched_launch (&g, &k, &t0, &dt);
  char msg[400];
  snprintf (msg, sizeof msg, "%s", r == -1 ? gk_last_error (g) : "launched");
  /* Only the first line: the console tail follows. */
  msg[strcspn (msg, "\n")] = '\0';
  if (r == 0) {
    /* The kill came after READY: the first call must see it. */
    r = gk_mkdir (g, "/x") == -1 ? -1 : 0;
    snprintf (msg, sizeof msg, "killed after ready; next call: %s",
              r == -1 ? gk_last_error (g) : "succeeded");
  }
  CHECK (r == -1 && clear_death (g) && dt < BOUND_S,
         "VM killed %s (%.2f s after spawn): error in %.1f s: %s", phase,
         k.killed > 0 ? k.killed - k.spawned : -1.0, dt, msg);
  close_watched (g);
  check_clean (phase);
}

/* --- transfers --- */

struct xfer_killer { pid_t pid; uint64_t at; int fired; };

static void
kill_at (gk_h *g, void *opaque, const char *call, uint64_t done, uint64_t total)
{
  (void) g; (void) call; (void) total;
  struct xfer_killer *k = opaque;
  if (!k->fired && done >= k->at && k->pid > 0) {
    kill (k->pid, SIGKILL);
    k->fired = 1;
  }
}

enum kind { UPLOAD, DOWNLOAD, TAR_IN, TAR_OUT, COPY_IN, NKINDS };
static const char *const kind_name[] = { "upload", "download", "tar-in", "tar-out", "copy-in" };

static void
kill_in_transfer (const char *datapath, enum kind kind)
{
  char what[80];
  snprintf (what, sizeof what, "%s (%s)", kind_name[kind], datapath);
  gk_h *g = launch (datapath, NULL);
  if (!g) return;
  add_marker (g);
  char out[350];
  snprintf (out, sizeof out, "%s/out-%s-%s", dir, kind_name[kind], datapath);
  char gdir[64];
  snprintf (gdir, sizeof gdir, "/in-%s-%s", kind_name[kind], datapath);
  if ((kind == TAR_IN || kind == COPY_IN) && gk_mkdir (g, gdir) == -1)
    CHECK (0, "mkdir %s: %s", gdir, gk_last_error (g));
  /* Somewhere in the first half of the data: the kill lands mid-stream
   * (the blk datapath reports progress per 8 MiB slot). */
  struct xfer_killer k = { .pid = gk_get_pid (g),
                           .at = 1 + (uint64_t) rand () % ((uint64_t) XFER_MB << 19) };
  gk_set_progress_callback (g, kill_at, &k);
  double t0 = now ();
  int r = -1;
  switch (kind) {
  case UPLOAD: r = gk_upload (g, src, "/uploaded"); break;
  case DOWNLOAD: r = gk_download (g, "/data/big", out, NULL); break;
  case TAR_IN: r = gk_tar_in (g, srctar, gdir, NULL); break;
  case TAR_OUT: r = gk_tar_out (g, "/data", out, NULL); break;
  case COPY_IN: r = gk_copy_in (g, srcdir, gdir); break;
  case NKINDS: break;
  }
  double dt = now () - t0;
  CHECK (k.fired, "%s: the VM was killed mid-transfer (at %llu bytes)", what,
         (unsigned long long) k.at);
  CHECK (r == -1 && clear_death (g) && dt < BOUND_S, "%s: clear error in %.1f s: %s", what, dt,
         r == -1 ? gk_last_error (g) : "succeeded");
  CHECK (gk_mkdir (g, "/after") == -1, "%s: the dead handle refuses further calls: %s", what,
         gk_last_error (g));
  gk_close (g);
  if (kind == DOWNLOAD || kind == TAR_OUT)
    CHECK (access (out, F_OK) == -1, "%s: no partial local file", what);
  unlink (out);
  check_clean (what);
}

/* --- full host disk, vanishing and shrinking images --- */

static void
full_disk (gk_h *g)
{
  double t0 = now ();
  int r = gk_download (g, "/data/big", "/dev/full", NULL);
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC && now () - t0 < BOUND_S,
         "download to /dev/full: ENOSPC in %.1f s: %s", now () - t0,
         r == -1 ? gk_last_error (g) : "succeeded");
  CHECK (gk_exists (g, "/data/big") == 1, "the handle still works after a full host disk: %s",
         gk_last_error (g));

  /* A real filesystem that fills up: a 1 MiB tmpfs in a mount namespace
   * of our own (nothing outside this process sees it). */
  char mnt[350], out[400];
  path (mnt, sizeof mnt, "small-fs");
  mkdir (mnt, 0700);
  if (unshare (CLONE_NEWNS) == -1 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1
      || mount ("gk-faults", mnt, "tmpfs", 0, "size=1m") == -1) {
    printf ("# skipped the tmpfs check: cannot mount a private tmpfs (%s)\n", strerror (errno));
    rmdir (mnt);
    return;
  }
  snprintf (out, sizeof out, "%s/big", mnt);
  t0 = now ();
  r = gk_download (g, "/data/big", out, NULL);
  struct stat st;
  CHECK (now () - t0 < BOUND_S, "download into a full 1 MiB filesystem ends in %.1f s",
         now () - t0);
  CHECK (r == -1 && gk_last_errno (g) == ENOSPC,
                 "download into a full 1 MiB filesystem: ENOSPC: %s",
                 r == -1 ? gk_last_error (g) : "succeeded");
  CHECK (stat (out, &st) == -1, "no partial file left on the full filesystem (%lld bytes)",
         stat (out, &st) == 0 ? (long long) st.st_size : 0LL);
  unlink (out);
  CHECK (gk_exists (g, "/data/big") == 1, "the handle still works: %s", gk_last_error (g));
  umount (mnt);
  rmdir (mnt);
}

/* Drives 2 and 3 of the prepared handle: one unlinked, one truncated
 * while attached.  The VM keeps its descriptor: an unlinked image still
 * reads and writes (and is gone once closed); a shrunk one reads zeros
 * past its new end or fails; neither hangs or breaks the handle. */
static void
vanish_shrink (gk_h *g, const char *vanish, const char *shrink)
{
  char *b;
  size_t n;
  unlink (vanish);
  double t0 = now ();
  int w = gk_pwrite_device (g, "/dev/sdb", "after unlink", 12, 4096);
  b = w == 12 ? gk_pread_device (g, "/dev/sdb", 12, 4096, &n) : NULL;
  CHECK (b && n == 12 && memcmp (b, "after unlink", 12) == 0 && now () - t0 < BOUND_S,
         "an unlinked image: the VM still reads back what it wrote: %s",
         b ? "same bytes" : gk_last_error (g));
  free (b);
  CHECK (access (vanish, F_OK) == -1, "the unlinked image is not recreated");

  if (truncate (shrink, 4096) == -1) { perror ("truncate"); exit (2); }
  t0 = now ();
  b = gk_pread_device (g, "/dev/sdc", 4096, 8 << 20, &n);
  int zeros = b && n == 4096;
  for (size_t i = 0; zeros && i < n; i++) zeros = b[i] == 0;
  CHECK ((zeros || (!b && gk_last_error (g))) && now () - t0 < BOUND_S,
         "a truncated image: reads past its new end give zeros or an error in %.1f s: %s",
         now () - t0, b ? (zeros ? "zeros" : "DATA") : gk_last_error (g));
  free (b);
  CHECK (gk_exists (g, "/data/big") == 1, "the other drive still works: %s", gk_last_error (g));
}

int
main (void)
{
  const char *se = getenv ("GK_TEST_SEED");
  unsigned seed = se ? (unsigned) strtoul (se, NULL, 10) : (unsigned) time (NULL);
  printf ("# GK_TEST_SEED=%u\n", seed);
  srand (seed);
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/gk-faults-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp (dir)) { perror ("mkdtemp"); return 2; }
  char vanish[300], shrink[300], inner[350];
  path (img, sizeof img, "disk.img");
  path (vanish, sizeof vanish, "vanish.img");
  path (shrink, sizeof shrink, "shrink.img");
  path (src, sizeof src, "src");
  path (srctar, sizeof srctar, "src.tar");
  path (srcdir, sizeof srcdir, "srcdir");
  tu_mkimage (img, 512 << 20);
  tu_mkimage (vanish, 32 << 20);
  tu_mkimage (shrink, 32 << 20);
  make_file (src, (size_t) XFER_MB << 20);
  mkdir (srcdir, 0700);
  snprintf (inner, sizeof inner, "%s/big", srcdir);
  if (link (src, inner) == -1) { perror ("link"); return 2; }
  char cmd[1000];
  snprintf (cmd, sizeof cmd, "tar -cf '%s' -C '%s' big", srctar, srcdir);
  if (system (cmd) != 0) { fprintf (stderr, "tar failed\n"); return 2; }
  base_fds = count_fds ();

  /* The shared appliance: the data every transfer uses, then the full
   * host disk and the vanishing and shrinking drives. */
  const char *const extra[] = { vanish, shrink, NULL };
  gk_h *g = gk_create ();
  if (!g || gk_add_drive (g, img, NULL) == -1) return 2;
  for (int i = 0; extra[i]; i++) gk_add_drive (g, extra[i], NULL);
  if (gk_launch (g) == -1) {
    CHECK (0, "launch: %s", gk_last_error (g));
    return tap_done ();
  }
  CHECK (gk_mkfs (g, "ext4", "/dev/sda", NULL) == 0 && gk_mount (g, "/dev/sda", "/") == 0
         && gk_mkdir (g, "/data") == 0 && gk_upload (g, src, "/data/big") == 0,
         "prepare the shared disk: %s", gk_last_error (g));
  add_marker (g);
  full_disk (g);
  vanish_shrink (g, vanish, shrink);
  CHECK (gk_shutdown (g) == 0, "clean shutdown after the drive faults: %s", gk_last_error (g));
  gk_close (g);
  check_clean ("drive faults");

  double console, boot = measure_boot (&console);
  kill_in_launch ("right after spawn", 0);
  kill_in_launch ("just after its first console output", console > 0 ? console + 0.3 : boot / 3);
  kill_in_launch ("late in the boot (just before READY)", boot * 0.75);

  const char *paths[] = { "blk", "serial" };
  for (int p = 0; p < 2; p++)
    for (int k = 0; k < NKINDS; k++) kill_in_transfer (paths[p], (enum kind) k);

  /* Everything synced before the last kill is still there. */
  g = launch ("blk", NULL);
  if (g) gk_close (g);
  check_clean ("final relaunch");

  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system (cmd) != 0) fprintf (stderr, "could not remove %s\n", dir);
  return tap_done ();
}
