/* guestkit backend: User-Mode Linux (linux.uml, a Linux kernel that runs
 * as ordinary host processes under ptrace; no KVM, no emulation).
 *
 * The appliance is the same daemon and tools ("uml" flavour: the whole
 * tree in the initrd).  The control channel is UML serial line 1 on the
 * inherited socket (fd 3, /dev/ttyS1 in the guest), the console is
 * console 0 on stdout.  Drives are ubd devices (/dev/ubda..., shown to
 * the user as /dev/sda...), then the appliance tree (read-only ext2,
 * serial gkroot) and the blk datapath's staging disk (serial gkstage,
 * the library's memfd: bulk data never crosses the slow serial line).
 *
 * Read-only drives: UML's own copy-on-write layer.  The COW file is
 * created here as an anonymous file (O_TMPFILE: it never has a name),
 * its header written by us (uml-args.c), and handed to UML as an
 * inherited fd it opens as /proc/self/fd/N.  UML opens the image itself
 * read-only.  Nothing to clean up, whatever happens to either process.
 *
 * Processes: UML starts helper processes (I/O threads, one tracee per
 * guest address space) that are not threads and do not die with it when
 * it is SIGKILLed.  When we may (root; other users through a new user
 * namespace),
 * UML is started as PID 1 of a new PID namespace: when it dies, for any
 * reason, the kernel kills every helper.  Otherwise it gets its own
 * process group, which cleanup() kills.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "backend.h"

#define UML_DEFAULT "/usr/bin/linux.uml"

struct uml_data {
  int cow_fds[GK_MAX_DRIVES + 1];       /* per drive, then the staging disk */
  pid_t pgid;                   /* 0, or the process group to kill */
};

static const char *
uml_binary (void)
{
  const char *u = getenv ("GUESTKIT_UML");
  return u && *u ? u : NULL;
}

/* Can we ptrace a child?  UML needs it for every guest process. */
static int
ptrace_works (int *err_r)
{
  pid_t pid = fork ();
  if (pid == -1) { *err_r = errno; return 0; }
  if (pid == 0) {
    if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) == -1) _exit (1);
    kill (getpid (), SIGSTOP);
    _exit (0);
  }
  int st, ok = 0;
  while (waitpid (pid, &st, 0) == -1 && errno == EINTR) ;
  if (WIFSTOPPED (st)) {
    ok = 1;
    ptrace (PTRACE_CONT, pid, NULL, NULL);
    while (waitpid (pid, &st, 0) == -1 && errno == EINTR) ;
  }
  if (!ok) *err_r = EPERM;
  return ok;
}

static int
uml_prepare (gk_h *g, const char *variant)
{
  if (variant) {
    gk_int_error_errno (g, EINVAL, "launch: backend uml has no variant '%s'", variant);
    return -1;
  }
  const char *bin = uml_binary ();
  const char *shown = bin ? bin : UML_DEFAULT;
  struct stat st;
  if (stat (shown, &st) == -1) {
    gk_int_perror (g, "launch: backend uml: %s%s", shown,
                   bin ? " (GUESTKIT_UML)" : ": install user-mode-linux");
    return -1;
  }
  if (!S_ISREG (st.st_mode) || access (shown, X_OK) == -1) {
    gk_int_error_errno (g, EACCES, "launch: backend uml: %s is not an executable file", shown);
    return -1;
  }
  for (size_t i = 0; i < g->nr_drives; i++) {
    const struct gk_int_drive *d = &g->drives[i];
    if (strcmp (d->format, "raw") != 0) {
      gk_int_error_errno (g, EINVAL, "launch: backend uml: %s is %s, and UML opens only "
                          "raw images: convert it (qemu-img convert -O raw) or use the "
                          "qemu backend", d->filename, d->format);
      return -1;
    }
    if (d->iface && strcmp (d->iface, "virtio-blk") != 0) {
      gk_int_error_errno (g, EINVAL, "launch: backend uml: %s: iface %s: UML drives are "
                          "ubd block devices only (use the qemu backend for %s)",
                          d->filename, d->iface, d->iface);
      return -1;
    }
    if (strcmp (d->cachemode, "writeback") != 0 && strcmp (d->cachemode, "unsafe") != 0) {
      gk_int_error_errno (g, EINVAL, "launch: backend uml: %s: cachemode %s: UML's ubd "
                          "driver goes through the host page cache, so only writeback "
                          "and unsafe exist", d->filename, d->cachemode);
      return -1;
    }
    const char *why = gk_int_uml_bad_path (d->filename);
    if (why) {
      gk_int_error_errno (g, EINVAL, "launch: backend uml: %s: %s", d->filename, why);
      return -1;
    }
  }
  int err = 0;
  if (!ptrace_works (&err)) {
    gk_int_error_errno (g, err, "launch: backend uml needs ptrace, and this process may "
                        "not trace its children (%s): check seccomp / container policy "
                        "and kernel.yama.ptrace_scope", strerror (err));
    return -1;
  }
  free (g->backend_used);
  g->backend_used = strdup ("uml");
  return 0;
}

static const char *
tmpdir (void)
{
  const char *t = getenv ("TMPDIR");
  return t && *t == '/' ? t : "/var/tmp";
}

/* An anonymous COW file over drive D: header written, sized; -1 + error. */
static int
make_cow (gk_h *g, const struct gk_int_drive *d)
{
  struct stat st;
  if (stat (d->filename, &st) == -1) {
    gk_int_perror (g, "launch: %s", d->filename);
    return -1;
  }
  unsigned char *hdr = malloc (GK_UML_COW_HDR);
  uint64_t fsize;
  if (!hdr || gk_int_uml_cow_header (hdr, d->filename, (uint64_t) st.st_size,
                                     (uint64_t) st.st_mtime, &fsize) == -1) {
    free (hdr);
    gk_int_error_errno (g, EINVAL, "launch: %s: cannot make a UML COW header for it",
                        d->filename);
    return -1;
  }
  const char *t = tmpdir ();
  int fd = open (t, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    /* No O_TMPFILE here: a name that lives for a few microseconds. */
    char p[4200];
    snprintf (p, sizeof p, "%s/gk-uml-cow.XXXXXX", t);
    fd = mkostemp (p, O_CLOEXEC);
    if (fd != -1) unlink (p);
  }
  if (fd == -1) {
    gk_int_perror (g, "launch: cannot create the overlay for read-only %s in %s",
                   d->filename, t);
    free (hdr);
    return -1;
  }
  if (pwrite (fd, hdr, GK_UML_COW_HDR, 0) != GK_UML_COW_HDR
      || ftruncate (fd, (off_t) fsize) == -1) {
    gk_int_perror (g, "launch: writing the overlay for read-only %s in %s", d->filename, t);
    free (hdr);
    close (fd);
    return -1;
  }
  free (hdr);
  return fd;
}

/* Child side of the spawn: only async-signal-safe calls (we may be a
 * raw clone of a multi-threaded program). */
static void __attribute__ ((noreturn))
child (char *const *argv, int ctl, int console, const int *cow, size_t n,
       pid_t parent, int newns)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (!newns && getppid () != parent) _exit (1);
  if (!newns) setpgid (0, 0);
  signal (SIGINT, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  /* A kernel panic makes UML abort(): no core file in the cwd. */
  struct rlimit nocore = { 0, 0 };
  setrlimit (RLIMIT_CORE, &nocore);
  /* Move every fd we keep out of the way, then into place. */
  int hi_ctl = fcntl (ctl, F_DUPFD, 100), hi_con = fcntl (console, F_DUPFD, 100);
  int hi_cow[GK_MAX_DRIVES + 1];
  for (size_t i = 0; i < n; i++)
    hi_cow[i] = cow[i] >= 0 ? fcntl (cow[i], F_DUPFD, 100) : -1;
  int null = open ("/dev/null", O_RDONLY);
  if (null == -1 || hi_ctl == -1 || hi_con == -1 || dup2 (null, 0) == -1
      || dup2 (hi_con, 1) == -1 || dup2 (hi_con, 2) == -1 || dup2 (hi_ctl, 3) == -1)
    _exit (1);
  for (size_t i = 0; i < n; i++)
    if (hi_cow[i] >= 0 && dup2 (hi_cow[i], 4 + (int) i) == -1) _exit (1);
  close_range (4 + (unsigned) n, ~0U, 0);
  /* (In a new PID namespace getppid() is 0: the host program is alive
   * if its end of the control channel is.) */
  struct pollfd p = { 3, POLLRDHUP, 0 };
  if (newns && poll (&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP))) _exit (1);
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  execvp (argv[0], argv);
  static const char msg[] = "guestkit: cannot execute the UML binary\n";
  (void) !write (2, msg, sizeof msg - 1);
  _exit (127);
}

static pid_t
spawn (gk_h *g, char *const *argv, int ctl, int console, const int *cow, size_t n,
       pid_t *pgid_r)
{
  pid_t parent = getpid ();
  int newns = 1;
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
  /* Not root: a new user namespace gives the right to a PID namespace.
   * No uid map is needed: the host still checks file access against
   * our own uid. */
  if (pid == -1 && errno == EPERM)
    pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD,
                           NULL, NULL, NULL, NULL);
  if (pid == -1 && (errno == EPERM || errno == EINVAL || errno == ENOSPC || errno == EUSERS)) {
    gk_int_debug (g, "uml: no new PID namespace (%s): using a process group",
                  strerror (errno));
    newns = 0;
    pid = fork ();
  }
  if (pid == -1) {
    gk_int_perror (g, "launch: fork");
    return -1;
  }
  if (pid == 0) child (argv, ctl, console, cow, n, parent, newns);
  if (!newns) setpgid (pid, pid);       /* (also done in the child: no race) */
  *pgid_r = newns ? 0 : pid;
  gk_int_debug (g, "uml: pid %d%s", (int) pid, newns ? ", PID 1 of a new PID namespace" : "");
  return pid;
}

static void
free_data (struct uml_data *u)
{
  for (size_t i = 0; i <= GK_MAX_DRIVES; i++)
    if (u->cow_fds[i] >= 0) close (u->cow_fds[i]);
  free (u);
}

static pid_t
uml_start (gk_h *g, const struct gk_int_appliance *ap, int ctl, int console)
{
  const char *app[2] = { ap->initrd, ap->root };
  for (size_t i = 0; i < 2; i++) {
    const char *why = app[i] ? gk_int_uml_bad_path (app[i]) : NULL;
    if (why) {
      gk_int_error_errno (g, EINVAL, "launch: backend uml: appliance %s: %s (set "
                          "GUESTKIT_CACHEDIR)", app[i], why);
      return -1;
    }
  }
  struct uml_data *u = calloc (1, sizeof *u);
  if (!u) { gk_int_perror (g, "launch: malloc"); return -1; }
  int cow[GK_MAX_DRIVES];
  for (size_t i = 0; i <= GK_MAX_DRIVES; i++) u->cow_fds[i] = -1;
  for (size_t i = 0; i < g->nr_drives; i++) {
    if (g->drives[i].readonly && (u->cow_fds[i] = make_cow (g, &g->drives[i])) == -1) {
      free_data (u);
      return -1;
    }
    cow[i] = u->cow_fds[i] >= 0 ? 4 + (int) i : -1;
  }
  /* The staging memfd is inherited too, after the COW files, and opened
   * as /proc/self/fd/N: UML may not be allowed to open ours by our pid
   * (from a user namespace). */
  size_t nfds = g->nr_drives;
  char stage[64] = "";
  if (gk_int_stage_path (g)) {
    u->cow_fds[nfds] = fcntl (g->stage_fd, F_DUPFD_CLOEXEC, 0);
    if (u->cow_fds[nfds] == -1) {
      gk_int_perror (g, "launch: dup of the staging disk fd");
      free_data (u);
      return -1;
    }
    snprintf (stage, sizeof stage, "/proc/self/fd/%d", 4 + (int) nfds);
    nfds++;
  }
  const char *bin = uml_binary ();
  struct gk_int_uml_cfg c = {
    .uml = bin ? bin : ap->kernel, .memsize = g->memsize, .initrd = ap->initrd,
    .root = ap->root, .stage = stage[0] ? stage : NULL,
    .debug = g->debug, .nr_drives = g->nr_drives, .drives = g->drives,
    .cow_fds = cow, .ctl_fd = 3,
    .fastboot = getenv ("GUESTKIT_UML_FASTBOOT") && strcmp (getenv ("GUESTKIT_UML_FASTBOOT"), "1") == 0,
  };
  char **argv = gk_int_uml_argv (&c);
  if (!argv) {
    gk_int_error_errno (g, ENOMEM, "launch: out of memory");
    free_data (u);
    return -1;
  }
  if (g->debug) {
    fprintf (stderr, "guestkit: exec");
    for (size_t i = 0; argv[i]; i++) fprintf (stderr, " %s", argv[i]);
    fputc ('\n', stderr);
  }
  pid_t pid = spawn (g, argv, ctl, console, u->cow_fds, nfds, &u->pgid);
  gk_free_strings (argv);
  /* UML holds the COW files and the staging disk now; ours are not needed. */
  for (size_t i = 0; i < nfds; i++)
    if (u->cow_fds[i] >= 0) { close (u->cow_fds[i]); u->cow_fds[i] = -1; }
  if (pid == -1) { free_data (u); return -1; }
  g->bdata = u;
  return pid;
}

static void
uml_cleanup (gk_h *g)
{
  struct uml_data *u = g->bdata;
  if (!u) return;
  /* Without a PID namespace: the helpers UML left. */
  if (u->pgid > 0) kill (-u->pgid, SIGKILL);
  free_data (u);
  g->bdata = NULL;
}

const struct gk_int_backend_ops gk_int_backend_uml = {
  .struct_size = sizeof (struct gk_int_backend_ops),
  .name = "uml",
  .flavour = "uml",
  .max_drives = 14,             /* UML's ubd limit (16), less root and staging disks */
  .prepare = uml_prepare,
  .start = uml_start,
  .cleanup = uml_cleanup,
};
