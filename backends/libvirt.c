/* guestkit backend: libvirt.  The same appliance and machine as the qemu
 * backend, started by libvirt as a transient domain
 * (VIR_DOMAIN_START_AUTODESTROY: libvirt destroys it when our connection
 * closes, which a SIGKILL of the host program does too).
 *
 * libvirt starts qemu itself, so qemu inherits nothing of ours: the
 * control channel and the console are UNIX sockets in a private 0700
 * directory, on which we listen and qemu connects (the sockets are
 * unlinked and the directory removed as soon as qemu is connected).  A
 * small child process (the "pump", its pid is what the library waits on)
 * copies bytes between those sockets and the library's channel and
 * console, and exits when qemu has gone.  Files qemu must open are
 * named as /proc/OURPID/fd/N of the descriptors the library checked (the
 * same user's qemu on a session daemon can open them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include "backend.h"
#include "libvirt.h"
#include "monoclock.h"
#include "qemu.h"

#define DEFAULT_URI "qemu:///session"
#define ACCEPT_MS 30000
#define DIR_PREFIX "gk-libvirt-"

struct lv {
  char uri[1024];
  int kvm;
  virConnectPtr conn;
  char name[64];
  char log[4200];               /* libvirt's log of the domain (removed after a clean end) */
};

/* libvirt prints every error on stderr by default; ours carry its
 * message instead (lv_error). */
static void
quiet (void *opaque, virErrorPtr e)
{
}

static void
lv_error (struct gk_int_vm *vm, const char *what)
{
  virErrorPtr e = virGetLastError ();
  gk_int_vm_error (vm, EIO, "launch: libvirt: %s: %s", what,
                   e && e->message ? e->message : "unknown libvirt error");
}

static int
is_system (const char *uri)
{
  return strncmp (uri, "qemu:///system", 14) == 0;
}

static int
lv_prepare (struct gk_int_vm *vm, const char *variant)
{
  int kvm = gk_int_qemu_kvm_usable () && !vm->kvm_broken;
  if (gk_int_qemu_kvm_usable () && vm->kvm_broken)
    gk_int_vm_debug (vm, "libvirt: KVM failed to run the appliance earlier on this boot: "
                     "using TCG (domain type qemu)");
  vm->used = kvm ? "libvirt:kvm" : "libvirt:tcg";
  if (variant && !*variant) {
    gk_int_vm_error (vm, EINVAL, "launch: backend libvirt: empty URI after 'libvirt:'");
    return -1;
  }
  if (gk_int_vm_refuse_nbd (vm, "libvirt") == -1) return -1;
  /* "libvirt:URI" (set-backend or GUESTKIT_BACKEND), else the default. */
  vm->libvirt_uri = variant;
  const char *u = variant ? variant : DEFAULT_URI, *h = strstr (u, "://");
  if (!h || h[3] != '/') {
    gk_int_vm_error (vm, EINVAL, "launch: backend libvirt: %s: only a local libvirt "
                     "(qemu:///session, qemu:///system) can run the appliance: its channel "
                     "is a local socket", u);
    return -1;
  }
  /* The system daemon's qemu is another user: it cannot open our
   * staging memfd; bulk data goes over the channel. */
  vm->no_stage = is_system (u);
  return 0;
}

/* Remove what a launch killed before its clean-up left: directories
 * DIR_PREFIX<pid>.* of processes that are gone (a SIGKILL between their
 * creation and qemu's connection), and libvirt's logs of their domains. */
static void
prune_dir (const char *dir, const char *prefix, const char *suffix, int is_dir)
{
  DIR *d = opendir (dir);
  if (!d) return;
  struct dirent *e;
  size_t pl = strlen (prefix);
  while ((e = readdir (d))) {
    if (strncmp (e->d_name, prefix, pl) != 0) continue;
    char *end;
    long pid = strtol (e->d_name + pl, &end, 10);
    if (pid <= 0 || (*end != '.' && *end != '-')) continue;
    if (suffix && (strlen (e->d_name) < strlen (suffix)
                   || strcmp (e->d_name + strlen (e->d_name) - strlen (suffix), suffix) != 0))
      continue;
    if (kill ((pid_t) pid, 0) == 0 || errno != ESRCH) continue;
    int dfd = dirfd (d);
    if (is_dir) {
      /* Only ours ($TMPDIR may be shared): root's may belong to the
       * system qemu user it was handed to. */
      int sub = openat (dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st;
      if (sub >= 0 && (fstat (sub, &st) == -1 || (st.st_uid != geteuid () && geteuid () != 0))) {
        close (sub);
        continue;
      }
      if (sub >= 0) {
        unlinkat (sub, "ctl", 0);
        unlinkat (sub, "con", 0);
        close (sub);
      }
      unlinkat (dfd, e->d_name, AT_REMOVEDIR);
    }
    else unlinkat (dfd, e->d_name, 0);
  }
  closedir (d);
}

static const char *
tmpdir (void)
{
  const char *t = getenv ("TMPDIR");
  return t && *t == '/' ? t : "/var/tmp";
}

/* Where libvirt logs the domain: the system daemon's directory (also
 * root's session), or the user's cache. */
static void
log_dir (char *buf, size_t n)
{
  if (geteuid () == 0) { snprintf (buf, n, "/var/log/libvirt/qemu"); return; }
  const char *c = getenv ("XDG_CACHE_HOME"), *h = getenv ("HOME");
  if (c && *c == '/') snprintf (buf, n, "%s/libvirt/qemu/log", c);
  else snprintf (buf, n, "%s/.cache/libvirt/qemu/log", h ? h : "/");
}

static int
listen_unix (struct gk_int_vm *vm, const char *path)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof a.sun_path) {
    gk_int_vm_error (vm, ENAMETOOLONG, "launch: socket path %s is too long (set TMPDIR)", path);
    return -1;
  }
  strcpy (a.sun_path, path);
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s == -1 || bind (s, (struct sockaddr *) &a, sizeof a) == -1 || listen (s, 1) == -1) {
    gk_int_vm_perror (vm, "launch: listening on %s", path);
    if (s >= 0) close (s);
    return -1;
  }
  return s;
}

/* qemu's connection on listening socket L, within the time left. */
static int
accept_by (struct gk_int_vm *vm, int l, const char *what, int64_t deadline_us)
{
  for (;;) {
    int64_t left = (deadline_us - gk_int_mono_us ()) / 1000;
    struct pollfd p = { .fd = l, .events = POLLIN };
    int r = poll (&p, 1, left > 0 ? (int) left : 0);
    if (r == -1 && errno == EINTR) continue;
    if (r == 0) {
      gk_int_vm_error (vm, ETIMEDOUT, "launch: libvirt started the domain, but its qemu "
                       "did not connect the %s socket", what);
      return -1;
    }
    int s = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
    if (s == -1 && errno == EINTR) continue;
    if (s == -1) gk_int_vm_perror (vm, "launch: accepting qemu's %s connection", what);
    return s;
  }
}

/* The pump (a forked child; async-signal-safe calls only, since the
 * host program may have threads): channel <-> qemu's channel socket,
 * qemu's console socket -> console.  Ends when qemu has closed both:
 * exit 0 (libvirt destroys the domain on the guest's halt). */
static void __attribute__ ((noreturn))
pump (int ctl, int qch, int console, int qcon)
{
  char buf[65536];
  int open_ctl = 1, open_qch = 1, open_qcon = 1;
  while (open_qch || open_qcon) {
    struct pollfd p[3] = {
      { .fd = open_ctl && open_qch ? ctl : -1, .events = POLLIN },
      { .fd = open_qch ? qch : -1, .events = POLLIN },
      { .fd = open_qcon ? qcon : -1, .events = POLLIN },
    };
    if (poll (p, 3, -1) == -1) { if (errno == EINTR) continue; _exit (1); }
    for (int k = 0; k < 3; k++) {
      if (!p[k].revents) continue;
      int from = k == 0 ? ctl : k == 1 ? qch : qcon;
      int to = k == 0 ? qch : k == 1 ? ctl : console;
      ssize_t n = read (from, buf, sizeof buf);
      if (n == -1 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        /* The library closed the channel (shutdown): qemu sees the
         * hangup, as it would on its own socket. */
        if (k == 0) { open_ctl = 0; shutdown (qch, SHUT_WR); }
        else if (k == 1) { open_qch = 0; shutdown (ctl, SHUT_WR); }
        else open_qcon = 0;
        continue;
      }
      for (ssize_t off = 0; off < n; ) {
        ssize_t w = write (to, buf + off, (size_t) (n - off));
        if (w == -1 && errno == EINTR) continue;
        if (w <= 0) {
          if (k == 2) break;    /* nobody reads the console: drop it */
          if (k == 0) { open_ctl = 0; break; }
          open_qch = 0;         /* the library is gone */
          break;
        }
        off += w;
      }
    }
  }
  _exit (0);
}

static pid_t
start_pump (struct gk_int_vm *vm, int ctl, int qch, int console, int qcon)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid == -1) { gk_int_vm_perror (vm, "launch: fork"); return -1; }
  if (pid > 0) return pid;
  /* Dies with the forking thread, like a qemu we start ourselves. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent) _exit (1);
  /* Its own process group: Ctrl-C in a shell is for gkfish. */
  setpgid (0, 0);
  /* Keep only our four descriptors (not the libvirt connection: its
   * close must be ours). */
  int fds[4] = { ctl, qch, console, qcon };
  for (int k = 0; k < 4; k++) {
    int n = fcntl (fds[k], F_DUPFD, 100 + k);
    if (n == -1) _exit (1);
    fds[k] = n;
  }
  for (int k = 0; k < 4; k++) if (dup2 (fds[k], 3 + k) == -1) _exit (1);
  for (int fd = 7; fd < 1024; fd++) close (fd);
  for (int k = 3; k < 7; k++) fcntl (k, F_SETFL, 0);
  signal (SIGPIPE, SIG_IGN);
  pump (3, 4, 5, 6);
}

/* qemu:///system: the daemon's qemu user (its DAC base label in the
 * capabilities, "+UID:+GID"), who must reach the images and the
 * appliance without any relabelling; only root can hand it our sockets. */
static int
system_user (struct gk_int_vm *vm, struct lv *l, const struct gk_int_appliance *ap,
             uid_t *uid, gid_t *gid)
{
  char *caps = virConnectGetCapabilities (l->conn);
  if (!caps) { lv_error (vm, "reading the capabilities of qemu:///system"); return -1; }
  const char *m = strstr (caps, "<model>dac</model>");
  const char *b = m ? strstr (m, "<baselabel type='qemu'>") : NULL;
  int u, g;
  if (!b || sscanf (b + strlen ("<baselabel type='qemu'>"), "+%d:+%d", &u, &g) != 2) {
    free (caps);
    gk_int_vm_error (vm, EIO, "launch: libvirt: qemu:///system names no qemu user "
                     "(no DAC base label in its capabilities)");
    return -1;
  }
  free (caps);
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  if (*uid != geteuid () && geteuid () != 0) {
    gk_int_vm_error (vm, EPERM, "launch: libvirt: qemu:///system runs qemu as uid %d, "
                     "which cannot reach guestkit's private sockets from uid %d: use "
                     "qemu:///session (the default)", u, (int) geteuid ());
    return -1;
  }
  char why[4600];
  for (size_t i = 0; i < vm->nr_drives; i++)
    if (gk_int_libvirt_reach (vm->drives[i].filename, *uid, *gid, !vm->drives[i].readonly,
                              why, sizeof why) == -1) {
      gk_int_vm_error (vm, EACCES, "launch: libvirt qemu:///system: %s (guestkit changes no "
                       "owner or label: use qemu:///session, the default, or give that user "
                       "access)", why);
      return -1;
    }
  const char *app[3] = { ap->kernel, ap->initrd, ap->root };
  for (size_t k = 0; k < 3; k++)
    if (app[k] && gk_int_libvirt_reach (app[k], *uid, *gid, 0, why, sizeof why) == -1) {
      gk_int_vm_error (vm, EACCES, "launch: libvirt qemu:///system: the appliance: %s "
                       "(set GUESTKIT_CACHEDIR to a directory that user can read, or use "
                       "qemu:///session, the default)", why);
      return -1;
    }
  return 0;
}

static void
lv_free (struct lv *l)
{
  if (!l) return;
  if (l->conn) virConnectClose (l->conn);
  free (l);
}

static pid_t
lv_start (struct gk_int_vm *vm, const struct gk_int_appliance *ap, int ctl, int console)
{
  static unsigned seq;
  struct lv *l = calloc (1, sizeof *l);
  if (!l) { gk_int_vm_error (vm, ENOMEM, "launch: out of memory"); return -1; }
  snprintf (l->uri, sizeof l->uri, "%s", vm->libvirt_uri ? vm->libvirt_uri : DEFAULT_URI);
  l->kvm = strcmp (vm->used, "libvirt:kvm") == 0;
  snprintf (l->name, sizeof l->name, "guestkit-%d-%u", (int) getpid (),
            __atomic_fetch_add (&seq, 1, __ATOMIC_RELAXED));
  char logdir[4096];
  log_dir (logdir, sizeof logdir);
  char pfx[64];
  prune_dir (tmpdir (), DIR_PREFIX, NULL, 1);
  snprintf (pfx, sizeof pfx, "guestkit-");
  prune_dir (logdir, pfx, ".log", 0);
  snprintf (l->log, sizeof l->log, "%s/%s.log", logdir, l->name);

  virSetErrorFunc (NULL, quiet);
  int64_t t0 = gk_int_mono_us ();
  l->conn = virConnectOpen (l->uri);
  if (!l->conn) {
    virErrorPtr e = virGetLastError ();
    gk_int_vm_error (vm, EIO, "launch: libvirt: cannot connect to %s: %s%s", l->uri,
                     e && e->message ? e->message : "unknown libvirt error",
                     geteuid () == 0 && strncmp (l->uri, "qemu:///", 8) == 0
                     ? " (root's qemu:///session is the system daemon: "
                     "start it with 'libvirtd -d' or your init system)" : "");
    lv_free (l);
    return -1;
  }
  gk_int_vm_timing (vm, "launch.libvirt_connect", gk_int_mono_us () - t0);
  /* qemu runs as we do (root's session is the system daemon: we name
   * ourselves as qemu's user, as the qemu backend's qemu is ours), or on
   * qemu:///system as the daemon's qemu user, who must reach our files.
   * Never relabelled. */
  char label[64];
  int system = is_system (l->uri);
  uid_t quid = geteuid ();
  gid_t qgid = getegid ();
  if (system && system_user (vm, l, ap, &quid, &qgid) == -1) { lv_free (l); return -1; }
  snprintf (label, sizeof label, "+%d:+%d", (int) quid, (int) qgid);
  int other = quid != geteuid ();

  char dir[4200], ctl_path[4300], con_path[4300];
  snprintf (dir, sizeof dir, "%s/" DIR_PREFIX "%d.XXXXXX", tmpdir (), (int) getpid ());
  if (!mkdtemp (dir)) {
    gk_int_vm_perror (vm, "launch: cannot create a directory for the sockets in %s", tmpdir ());
    lv_free (l);
    return -1;
  }
  snprintf (ctl_path, sizeof ctl_path, "%s/ctl", dir);
  snprintf (con_path, sizeof con_path, "%s/con", dir);
  int lctl = listen_unix (vm, ctl_path), lcon = lctl >= 0 ? listen_unix (vm, con_path) : -1;
  /* The system's qemu user: the directory and the sockets are its (we
   * are root: system_user checked). */
  if (other && lcon >= 0 && (chown (dir, quid, qgid) == -1 || chown (ctl_path, quid, qgid) == -1
                             || chown (con_path, quid, qgid) == -1)) {
    gk_int_vm_perror (vm, "launch: giving %s to qemu's user (uid %d)", dir, (int) quid);
    close (lcon);
    lcon = -1;
  }
  int qch = -1, qcon = -1;
  pid_t pid = -1;
  char *xml = NULL, *cmdline = NULL;
  virDomainPtr dom = NULL;
  char paths[GK_MAX_DRIVES][64], ovs[GK_MAX_DRIVES][4300];
  const char *dp[GK_MAX_DRIVES], *op[GK_MAX_DRIVES];
  int ofd[GK_MAX_DRIVES];
  for (size_t i = 0; i < GK_MAX_DRIVES; i++) ofd[i] = -1;
  if (lcon == -1) goto out;
  int me = (int) getpid ();
  for (size_t i = 0; i < vm->nr_drives; i++) {
    const struct gk_int_drive *d = &vm->drives[i];
    /* The descriptor add-drive checked, except an image with an allowed
     * backing file (found relative to its own name). */
    if (d->has_backing || system) dp[i] = d->filename;
    else { snprintf (paths[i], sizeof paths[i], "/proc/%d/fd/%d", me, d->fd); dp[i] = paths[i]; }
    op[i] = NULL;
    if (d->readonly) {
      if ((ofd[i] = gk_int_qemu_overlay (vm, d)) == -1) goto out;
      snprintf (ovs[i], sizeof ovs[i], "/proc/%d/fd/%d", me, ofd[i]);
      if (other) {
        /* Another user cannot open our descriptors: a name in the private
         * directory, removed with it once qemu has it open. */
        char src[64];
        snprintf (src, sizeof src, "/proc/self/fd/%d", ofd[i]);
        snprintf (ovs[i], sizeof ovs[i], "%s/overlay%zu.qcow2", dir, i);
        if (linkat (AT_FDCWD, src, AT_FDCWD, ovs[i], AT_SYMLINK_FOLLOW) == -1
            || fchown (ofd[i], quid, qgid) == -1) {
          gk_int_vm_perror (vm, "launch: the overlay of read-only %s for qemu's user",
                            d->filename);
          goto out;
        }
      }
      op[i] = ovs[i];
    }
  }
  char kern[64], initrd[64], root[64];
  snprintf (kern, sizeof kern, "/proc/%d/fd/%d", me, ap->kernel_fd);
  snprintf (initrd, sizeof initrd, "/proc/%d/fd/%d", me, ap->initrd_fd);
  snprintf (root, sizeof root, "/proc/%d/fd/%d", me, ap->root_fd);
  struct gk_int_qemu_cfg qc = {
    .debug = vm->debug, .nr_drives = vm->nr_drives, .drives = vm->drives,
    .root = ap->root_fd >= 0 ? root : NULL, .network = vm->network,
    .serial_channel = vm->serial_channel,
  };
  if (!(cmdline = gk_int_qemu_kernel_line (&qc))) {
    gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
    goto out;
  }
  struct gk_int_libvirt_cfg c = {
    .name = l->name, .kvm = l->kvm, .memsize = vm->memsize, .smp = vm->smp,
    .kernel = system ? ap->kernel : kern, .initrd = system ? ap->initrd : initrd,
    .root = ap->root_fd < 0 ? NULL : system ? ap->root : root, .stage = vm->stage,
    .cmdline = cmdline, .nr_drives = vm->nr_drives, .drives = vm->drives,
    .drive_paths = dp, .overlays = op, .ctl_sock = ctl_path, .con_sock = con_path,
    .serial_channel = vm->serial_channel, .network = vm->network,
    .dac_label = label,
  };
  if (!(xml = gk_int_libvirt_xml (&c))) {
    gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
    goto out;
  }
  gk_int_vm_debug (vm, "libvirt: %s, domain XML:\n%s", l->uri, xml);
  int64_t t1 = gk_int_mono_us ();
  dom = virDomainCreateXML (l->conn, xml, VIR_DOMAIN_START_AUTODESTROY);
  if (!dom) {
    char what[1200];
    snprintf (what, sizeof what, "creating the transient domain %s on %s", l->name, l->uri);
    lv_error (vm, what);
    goto out;
  }
  gk_int_vm_timing (vm, "launch.libvirt_create", gk_int_mono_us () - t1);
  int64_t t2 = gk_int_mono_us (), deadline = t2 + (int64_t) ACCEPT_MS * 1000;
  if ((qcon = accept_by (vm, lcon, "console", deadline)) == -1
      || (qch = accept_by (vm, lctl, "control channel", deadline)) == -1)
    goto out;
  gk_int_vm_timing (vm, "launch.libvirt_accept", gk_int_mono_us () - t2);
  pid = start_pump (vm, ctl, qch, console, qcon);
  snprintf (vm->how, sizeof vm->how, "cold boot (libvirt domain %s on %.200s)", l->name, l->uri);
 out:
  if (pid == -1 && dom) virDomainDestroy (dom);
  if (dom) virDomainFree (dom);
  free (xml);
  free (cmdline);
  for (size_t i = 0; i < GK_MAX_DRIVES; i++) if (ofd[i] >= 0) close (ofd[i]);
  if (lctl >= 0) close (lctl);
  if (lcon >= 0) close (lcon);
  if (qch >= 0) close (qch);
  if (qcon >= 0) close (qcon);
  unlink (ctl_path);
  unlink (con_path);
  for (size_t i = 0; other && i < vm->nr_drives; i++)
    if (ofd[i] >= 0 || vm->drives[i].readonly) unlink (ovs[i]);
  rmdir (dir);
  if (pid == -1) { unlink (l->log); lv_free (l); return -1; }
  vm->data = l;
  return pid;
}

/* After the pump ended (qemu gone) or was killed: the domain is
 * destroyed if it still runs, the connection closed, libvirt's log
 * removed (kept with debug on, whose lines name it). */
static void
lv_cleanup (struct gk_int_vm *vm)
{
  struct lv *l = vm->data;
  if (!l) return;
  virDomainPtr dom = virDomainLookupByName (l->conn, l->name);
  if (dom) { virDomainDestroy (dom); virDomainFree (dom); }
  if (vm->debug) gk_int_vm_debug (vm, "libvirt: the domain's log: %s", l->log);
  else unlink (l->log);
  lv_free (l);
  vm->data = NULL;
}

const struct gk_int_backend_ops gk_int_backend_libvirt = {
  .struct_size = sizeof (struct gk_int_backend_ops),
  .name = "libvirt",
  .flavour = "qemu",
  .max_drives = 24,
  .prepare = lv_prepare,
  .start = lv_start,
  .cleanup = lv_cleanup,
};
