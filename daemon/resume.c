/* guestkitd: the start of an appliance restored from a saved state
 * (gk.snapshot=1, or --snapshot outside the appliance; docs/protocol.md,
 * "Restored appliances").
 *
 * The host booted this appliance once, waited for its READY, and saved
 * it: every restore resumes here, in the read that follows that READY,
 * with the RNG state and the clock of the moment of the save and none of
 * the user's drives.  So the first frame must be RESUME; it brings fresh
 * entropy, the host's clock and the number of user drives, which are
 * then looked for on the virtio-scsi controller.  gk_int_serve sends the
 * second READY with the times recorded here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include "daemon.h"
#include "fullio.h"
#include "proto.h"

#define SCSI_HOSTS "/sys/class/scsi_host"
#define BIND_WAIT_MS 5000

/* Around the save and the restore the virtio-serial port reports the
 * host end as closed (EOF, POLLHUP): wait for it, never exit.  Only a
 * frame cut short, or a RESUME that does not decode, is fatal. */
static void
wait_resume (struct gk_int_resume *res)
{
  const struct timespec pause = { 0, 10 * 1000000 };     /* 10 ms */
  int said = 0;
  for (;;) {
    char *buf;
    size_t len;
    int r = gk_int_recv_frame_idle (&buf, &len);
    if (r == 1) {
      if (!said++)
        gk_int_log ("waiting for RESUME: channel %s", errno ? strerror (errno) : "at end of file");
      nanosleep (&pause, NULL);
      continue;
    }
    if (r == -1) {
      /* A frame cut short, a bad length, or the host's goodbye. */
      fprintf (stderr, "guestkitd: control channel closed or broken while waiting for RESUME\n");
      exit (1);
    }
    struct gk_int_rbuf rb;
    gk_int_rb_init (&rb, buf, len);
    uint32_t kind = gk_int_rb_u32 (&rb);
    if (kind != GK_K_RESUME) {
      fprintf (stderr, "guestkitd: waiting for RESUME: ignoring frame of kind %u\n", kind);
      free (buf);
      continue;
    }
    int bad = gk_int_resume_decode (&rb, res) == -1;
    if (bad) fprintf (stderr, "guestkitd: malformed RESUME frame: %s\n", rb.err);
    explicit_bzero (buf, len);          /* the seed */
    free (buf);
    if (bad) exit (1);
    return;
  }
}

/* The saved RAM holds the same CRNG state in every restore (no VMGENID
 * in Debian's 6.1 kernel): mix the host's bytes into the input pool,
 * credited, and make the CRNG reseed from it now rather than at its next
 * scheduled reseed. */
static void
reseed (const unsigned char *seed)
{
  int fd = open ("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd == -1) {
    fprintf (stderr, "guestkitd: /dev/urandom: %s: RNG not reseeded\n", strerror (errno));
    return;
  }
  struct rand_pool_info *info = malloc (sizeof *info + GK_RESUME_SEED);
  int ok = info != NULL;
  if (ok) {
    info->entropy_count = 8 * GK_RESUME_SEED;
    info->buf_size = GK_RESUME_SEED;
    memcpy (info->buf, seed, GK_RESUME_SEED);
    ok = ioctl (fd, RNDADDENTROPY, info) == 0 && ioctl (fd, RNDRESEEDCRNG) == 0;
    explicit_bzero (info, sizeof *info + GK_RESUME_SEED);
    free (info);
  }
  if (!ok) {
    /* Mixed in without credit; the CRNG takes it at its next reseed. */
    fprintf (stderr, "guestkitd: RNDADDENTROPY/RNDRESEEDCRNG on /dev/urandom: %s: "
             "seed written to /dev/urandom instead\n", strerror (errno));
    if (gk_int_write_full (fd, seed, GK_RESUME_SEED) == -1)
      fprintf (stderr, "guestkitd: writing /dev/urandom: %s\n", strerror (errno));
  }
  close (fd);
}

static void
set_clock (const struct gk_int_resume *res)
{
  struct timespec ts = { .tv_sec = (time_t) res->sec, .tv_nsec = (long) res->nsec };
  if ((uint64_t) ts.tv_sec != res->sec || clock_settime (CLOCK_REALTIME, &ts) == -1)
    fprintf (stderr, "guestkitd: setting the clock to %llu.%09u: %s\n",
             (unsigned long long) res->sec, res->nsec,
             (uint64_t) ts.tv_sec != res->sec ? "out of range" : strerror (errno));
}

/* The SCSI host of the virtio-scsi controller: its sysfs directory in P. */
static int
find_scsi_host (char *p, size_t size)
{
  DIR *d = opendir (SCSI_HOSTS);
  if (!d) return -1;
  struct dirent *e;
  int found = 0;
  while (!found && (e = readdir (d))) {
    char name[64];
    if (e->d_name[0] == '.') continue;
    snprintf (p, size, "%s/%s/proc_name", SCSI_HOSTS, e->d_name);
    found = gk_int_read_sysfs_line (p, name, sizeof name) == 0
      && strcmp (name, "virtio_scsi") == 0;
    if (found) snprintf (p, size, "%s/%s", SCSI_HOSTS, e->d_name);
  }
  closedir (d);
  return found ? 0 : -1;
}

/* The kernel's "bind" uevents of sd disks: the sd driver probes
 * asynchronously and reads the partition table inside its probe, after
 * the disk's node exists; "bind" comes when the probe has returned, so
 * /dev/sdX1 ... exist by then.  A uevent socket, opened before the scan. */
static int
uevents_open (void)
{
  int fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
  struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = 1 };
  if (fd != -1 && bind (fd, (struct sockaddr *) &a, sizeof a) == -1) { close (fd); fd = -1; }
  return fd;
}

/* Wait, bounded, for N bind events of the sd driver on FD. */
static int
uevents_wait_sd (int fd, uint32_t n)
{
  uint32_t got = 0;
  for (int waited = 0; got < n && waited < BIND_WAIT_MS; ) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll (&p, 1, 10) <= 0) { waited += 10; continue; }
    char buf[8192];
    ssize_t len = recv (fd, buf, sizeof buf - 1, 0);
    if (len <= 0) continue;
    buf[len] = '\0';
    /* "ACTION@DEVPATH\0KEY=VALUE\0...": a bind of the sd driver. */
    if (strncmp (buf, "bind@", 5) != 0) continue;
    for (ssize_t i = 0; i < len; i += (ssize_t) strlen (buf + i) + 1)
      if (strcmp (buf + i, "DRIVER=sd") == 0) { got++; break; }
  }
  return (int) got;
}

/* The user's drives are scsi-hd devices on targets 0..N-1, lun 0, that
 * the restored kernel never saw: scan exactly those targets (a wildcard
 * scan of the whole host takes seconds under TCG), then wait until sd
 * has bound each (its partitions read), then for their nodes. */
static void
attach_drives (uint32_t n)
{
  char host[300], p[320];
  if (find_scsi_host (host, sizeof host) == -1) {
    fprintf (stderr, "guestkitd: no virtio-scsi controller in " SCSI_HOSTS
             ": %u user drives not attached\n", n);
    return;
  }
  int ue = uevents_open ();
  if (ue == -1) fprintf (stderr, "guestkitd: uevent socket: %s\n", strerror (errno));
  /* One target at a time, each bound before the next is scanned: sd
   * names disks in probe order, so the appliance's sda is target 0 too
   * (the kernel scans one target at a time anyway). */
  snprintf (p, sizeof p, "%s/scan", host);
  int bound = 0;
  for (uint32_t i = 0; i < n; i++) {
    char cmd[32];
    int len = snprintf (cmd, sizeof cmd, "0 %u 0", i);   /* channel target lun */
    int fd = open (p, O_WRONLY | O_CLOEXEC);
    if (fd == -1 || gk_int_write_full (fd, cmd, (size_t) len) == -1)
      fprintf (stderr, "guestkitd: %s: writing \"%s\": %s\n", p, cmd, strerror (errno));
    if (fd != -1) close (fd);
    if (ue != -1) bound += uevents_wait_sd (ue, 1);
  }
  if (ue != -1) {
    if (bound < (int) n) fprintf (stderr, "guestkitd: sd bound %d of %u user drives\n", bound, n);
    close (ue);
  }
  int got = gk_int_wait_sd ((int) n);
  if (got < (int) n)
    fprintf (stderr, "guestkitd: only %d of %u user drives appeared after scanning "
             "SCSI targets 0-%u of %s\n", got, n, n - 1, host);
}

size_t
gk_int_resume (int in_appliance, struct gk_int_boot_time *t, size_t max)
{
  struct gk_int_resume res;
  size_t n = 0;
#define MARK(name) do { if (n < max) t[n++] = (struct gk_int_boot_time) { name, gk_int_boot_us () }; } while (0)
  wait_resume (&res);
  MARK ("guest.resume");
  if (in_appliance) {
    reseed (res.seed);
    MARK ("guest.entropy");
    set_clock (&res);
    MARK ("guest.clock");
    if (res.ndrives > 0) attach_drives (res.ndrives);
    MARK ("guest.drives");
  }
  else {
    /* Tests run the daemon on the host, maybe as root: never its clock. */
    gk_int_log ("not PID 1: clock and RNG left alone, %u drives not scanned", res.ndrives);
  }
#undef MARK
  explicit_bzero (res.seed, sizeof res.seed);
  return n;
}
