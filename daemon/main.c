/* guestkitd: the appliance's /init and the daemon.
 *
 * As PID 1 it does the whole of userspace boot itself (no shell, no
 * udev: exec costs tens of ms under TCG): mount /proc /sys /dev, load the
 * few boot modules with finit_module, find the control port, then fork.
 * The child serves the host; PID 1 reaps orphans and, when the child
 * exits, syncs and stops the machine.
 *
 * Outside the appliance (tests): guestkitd --channel PATH | --channel-fd N
 * [--sysroot DIR] [--snapshot] [--debug].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "daemon.h"
#include "proto.h"
#include "abi.h"

static const char *halt_mode = "reboot";      /* qemu: -no-reboot exits */
static char *channel_path;
static char *root_serial;             /* gk.root=SERIAL: switch to that disk */

/* Boot timings, microseconds since the kernel started (CLOCK_BOOTTIME). */
static struct gk_int_boot_time btimes[8];
static size_t nbtimes;

static void
mark (const char *name)
{
  if (nbtimes < sizeof btimes / sizeof btimes[0])
    btimes[nbtimes++] = (struct gk_int_boot_time) { name, gk_int_boot_us () };
}

static void
ensure_stdio (void)
{
  /* Without /dev/console in the initramfs the kernel leaves fds 0-2
   * closed; the channel must never land on them. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) == -1) {
      int c = open ("/dev/console", O_RDWR | O_NOCTTY);
      if (c == -1) c = open ("/dev/null", O_RDWR);
      if (c != -1 && c != fd) { dup2 (c, fd); close (c); }
    }
}

/* Drivers of non-virtio-blk user drives (diskdrivers.c). */
static char *disk_modules;
static int disk_sd;
static int net;                         /* gk.net=1: configure eth0 */
static int snapshot;                    /* gk.snapshot=1: to be saved (resume.c) */
static int channel_fd = -1;             /* --channel-fd: tests' socketpair */

/* The value of kernel parameter W if it is PREFIX (common/abi.h), else NULL. */
static const char *
param (const char *w, const char *prefix)
{
  size_t n = strlen (prefix);
  return strncmp (w, prefix, n) == 0 ? w + n : NULL;
}

static void
read_cmdline (void)
{
  char buf[4096];
  int fd = open ("/proc/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd == -1) return;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0) return;
  buf[n] = '\0';
  for (char *save = NULL, *w = strtok_r (buf, " \n", &save); w;
       w = strtok_r (NULL, " \n", &save)) {
    const char *v;
    if ((v = param (w, GK_ABI_ARG_DEBUG))) { if (strcmp (v, "1") == 0) gk_int_log_enable (); }
    else if ((v = param (w, GK_ABI_ARG_HALT))) halt_mode = strdup (v);
    else if ((v = param (w, GK_ABI_ARG_CHANNEL))) channel_path = strdup (v);
    else if ((v = param (w, GK_ABI_ARG_ROOT))) root_serial = strdup (v);
    else if ((v = param (w, GK_ABI_ARG_MODULES))) disk_modules = strdup (v);
    else if ((v = param (w, GK_ABI_ARG_SD))) disk_sd = atoi (v);
    else if ((v = param (w, GK_ABI_ARG_NET))) net = strcmp (v, "1") == 0;
    else if ((v = param (w, GK_ABI_ARG_SNAPSHOT))) snapshot = strcmp (v, "1") == 0;
  }
}

static void
load_modules (void)
{
  FILE *f = fopen (GK_ABI_BOOT_MODULES, "re");
  if (!f) return;
  char line[512];
  while (fgets (line, sizeof line, f)) {
    line[strcspn (line, "\n")] = '\0';
    if (!line[0] || line[0] == '#') continue;
    int fd = open (line, O_RDONLY | O_CLOEXEC);
    if (fd == -1) { fprintf (stderr, "guestkitd: %s: %m\n", line); continue; }
    if (syscall (SYS_finit_module, fd, "", 0) == -1 && errno != EEXIST)
      fprintf (stderr, "guestkitd: finit_module %s: %m\n", line);
    close (fd);
  }
  fclose (f);
}

/* The appliance tree is an ext2 disk with the serial gk.root= names: find it,
 * mount it read-only and make it the root.  The initramfs keeps only
 * /init and the boot modules, so boot and memory do not grow with the
 * tools. */
static int
switch_root (void)
{
  const struct timespec ms = { 0, 1000000 };
  char dev[300] = "";
  for (int i = 0; i < 5000 && !dev[0]; i++) {
    DIR *d = opendir ("/sys/block");
    struct dirent *e;
    while (d && (e = readdir (d)) && !dev[0]) {
      if (strncmp (e->d_name, "vd", 2) != 0 && strncmp (e->d_name, "ubd", 3) != 0)
        continue;                 /* virtio-blk (qemu), ubd (UML) */
      char p[300], ser[64];
      snprintf (p, sizeof p, "/sys/block/%s/serial", e->d_name);
      int fd = open (p, O_RDONLY | O_CLOEXEC);
      if (fd == -1) continue;
      ssize_t n = read (fd, ser, sizeof ser - 1);
      close (fd);
      if (n <= 0) continue;
      ser[n] = '\0';
      ser[strcspn (ser, "\n")] = '\0';
      if (strcmp (ser, root_serial) == 0) {
        snprintf (dev, sizeof dev, "/dev/%s", e->d_name);
        if (access (dev, F_OK) != 0) dev[0] = '\0';   /* node not there yet */
      }
    }
    if (d) closedir (d);
    if (!dev[0]) nanosleep (&ms, NULL);
  }
  if (!dev[0]) {
    fprintf (stderr, "guestkitd: appliance root disk (serial %s) not found\n", root_serial);
    return -1;
  }
  mkdir ("/gkroot", 0755);
  if (mount (dev, "/gkroot", "ext2", MS_RDONLY, NULL) == -1) {
    fprintf (stderr, "guestkitd: mount %s: %m\n", dev);
    return -1;
  }
  static const char *const moved[] = { "/dev", "/proc", "/sys" };
  for (size_t i = 0; i < 3; i++) {
    char t[64];
    snprintf (t, sizeof t, "/gkroot%s", moved[i]);
    if (mount (moved[i], t, NULL, MS_MOVE, NULL) == -1) {
      fprintf (stderr, "guestkitd: move %s: %m\n", moved[i]);
      return -1;
    }
  }
  if (chdir ("/gkroot") == -1 || mount (".", "/", NULL, MS_MOVE, NULL) == -1
      || chroot (".") == -1 || chdir ("/") == -1) {
    fprintf (stderr, "guestkitd: switching to the appliance root: %m\n");
    return -1;
  }
  mount ("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount ("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  return 0;
}

static void stop_machine (void);

static void
init_system (void)
{
  mount ("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  ensure_stdio ();
  mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mkdir ("/tmp", 01777);
  mkdir ("/run", 0755);
  mkdir (GK_SYSROOT, 0755);
  setenv ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
  setenv ("HOME", "/", 1);
  setenv ("LC_ALL", "C", 1);
  /* The kernel runs modprobe for filesystems on demand (mount -t xfs). */
  int fd = open ("/proc/sys/kernel/modprobe", O_WRONLY | O_CLOEXEC);
  if (fd != -1) { (void) !write (fd, "/sbin/modprobe\n", 15); close (fd); }
  read_cmdline ();
  mark ("guest.init");
  load_modules ();
  mark ("guest.modules");
  if (root_serial) {
    if (switch_root () == -1) stop_machine ();
    mark ("guest.root");
  }
  if (gk_int_load_disk_drivers (disk_modules, disk_sd) == -1) stop_machine ();
  if (net && gk_int_net_setup () == -1) stop_machine ();
}

/* Find /dev/vportNpM whose name is ours. */
static char *
find_vport (void)
{
  DIR *d = opendir ("/sys/class/virtio-ports");
  if (!d) return NULL;
  struct dirent *e;
  char *found = NULL;
  while (!found && (e = readdir (d))) {
    if (e->d_name[0] == '.') continue;
    char p[512], name[128];
    snprintf (p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
    int fd = open (p, O_RDONLY | O_CLOEXEC);
    if (fd == -1) continue;
    ssize_t n = read (fd, name, sizeof name - 1);
    close (fd);
    if (n <= 0) continue;
    name[n] = '\0';
    name[strcspn (name, "\n")] = '\0';
    if (strcmp (name, GK_ABI_CHANNEL_NAME) == 0) {
      snprintf (p, sizeof p, "/dev/%s", e->d_name);
      if (access (p, F_OK) == 0) found = strdup (p);
    }
  }
  closedir (d);
  return found;
}

static int
open_channel (void)
{
  const struct timespec ms = { 0, 1000000 };
  if (channel_fd >= 0) return channel_fd;
  for (int i = 0; i < 20000; i++) {       /* up to ~20 s */
    char *p = channel_path ? strdup (channel_path) : find_vport ();
    if (p && access (p, F_OK) == 0) {
      int fd = open (p, O_RDWR | O_CLOEXEC | O_NOCTTY);
      if (fd != -1 && isatty (fd)) {
        /* A serial line (UML's, or qemu's 16550 with set-channel serial):
         * binary frames must pass unchanged.  cfmakeraw: no echo, no
         * canonical mode or signals, no CR/LF translation, 8 bits, no
         * parity, no XON/XOFF on output; it leaves input XON/XOFF and
         * RTS/CTS, so clear those too (no peer drives the modem lines).
         * 115200 baud: qemu's UART moves bytes as fast as they are read,
         * but hands the guest a FIFO that is below its trigger level
         * only after 4 character times at the programmed rate: the
         * default 38400 would add ~1 ms to each small reply. */
        struct termios t;
        if (tcgetattr (fd, &t) == 0) {
          cfmakeraw (&t);
          t.c_iflag &= ~(IXOFF | IXANY);
          t.c_cflag &= ~CRTSCTS;
          t.c_cflag |= CLOCAL | CREAD;
          t.c_cc[VMIN] = 1;
          t.c_cc[VTIME] = 0;
          cfsetspeed (&t, B115200);
          if (tcsetattr (fd, TCSANOW, &t) == -1)
            gk_int_log ("channel %s: tcsetattr: %s", p, strerror (errno));
        }
      }
      if (fd != -1) gk_int_log ("channel %s", p);
      free (p);
      if (fd != -1) return fd;
    }
    free (p);
    nanosleep (&ms, NULL);
  }
  fprintf (stderr, "guestkitd: control channel %s not found\n",
           channel_path ? channel_path : GK_ABI_CHANNEL_NAME);
  return -1;
}

static void
stop_machine (void)
{
  sync ();
  if (strcmp (halt_mode, "poweroff") == 0) reboot (RB_POWER_OFF);
  reboot (RB_AUTOBOOT);
  for (;;) pause ();
}

int
main (int argc, char **argv)
{
  int pid1 = getpid () == 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--channel") == 0 && i + 1 < argc) channel_path = argv[++i];
    else if (strcmp (argv[i], "--sysroot") == 0 && i + 1 < argc) gk_int_sysroot = argv[++i];
    else if (strcmp (argv[i], "--channel-fd") == 0 && i + 1 < argc) channel_fd = atoi (argv[++i]);
    else if (strcmp (argv[i], "--snapshot") == 0) snapshot = 1;
    else if (strcmp (argv[i], "--debug") == 0) gk_int_log_enable ();
  }
  if (pid1) init_system ();
  else mark ("guest.init");

  int chan = open_channel ();
  mark ("guest.channel");
  if (chan == -1) {
    if (pid1) stop_machine ();
    return 1;
  }
  /* The clock, the RNG and the SCSI host are the machine's only in the
   * appliance: a test running guestkitd as root must not set them. */
  enum gk_int_serve_mode mode = !snapshot ? GK_SERVE_BOOT
    : pid1 ? GK_SERVE_RESUME_APPLIANCE : GK_SERVE_RESUME_HOST;
  if (!pid1) return gk_int_serve (chan, btimes, nbtimes, mode) == 0 ? 0 : 1;

  pid_t child = fork ();
  if (child == 0) _exit (gk_int_serve (chan, btimes, nbtimes, mode) == 0 ? 0 : 1);
  close (chan);
  /* PID 1: reap everything; stop when the daemon is gone. */
  for (;;) {
    int st;
    pid_t p = wait (&st);
    if (p == child || (p == -1 && errno == ECHILD)) break;
  }
  stop_machine ();
}
