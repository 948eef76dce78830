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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "argv.h"
#include "backend.h"
#include "hostspawn.h"

#define UML_DEFAULT "/usr/bin/linux.uml"
/* Inherited: per drive its image and a COW file, the kernel, the
 * initrd, the root disk, the staging disk. */
#define UML_INHERIT (2 * GK_MAX_DRIVES + 4)

struct uml_data {
  int cow_fds[UML_INHERIT];     /* what UML inherits (ours to close), or -1 */
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
  const struct gk_int_spawn_cfg c = { .flags = GK_SPAWN_PDEATH };
  struct gk_int_proc p;
  int r = gk_int_proc_fork (&c, &p);
  if (r == -1) { *err_r = errno; return 0; }
  if (r == 0) {                 /* (async-signal-safe calls only) */
    if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) == -1) _exit (1);
    kill (getpid (), SIGSTOP);
    _exit (0);
  }
  int st = gk_int_proc_reap (&p), ok = 0;
  if (st != -1 && WIFSTOPPED (st)) {
    ok = 1;
    ptrace (PTRACE_CONT, p.pid, NULL, NULL);
    gk_int_proc_reap (&p);
  }
  if (!ok) *err_r = EPERM;
  return ok;
}

static int
uml_prepare (struct gk_int_vm *vm, const char *variant)
{
  if (variant) {
    gk_int_vm_error (vm, EINVAL, "launch: backend uml has no variant '%s'", variant);
    return -1;
  }
  if (vm->network) {
    gk_int_vm_error (vm, ENOTSUP, "launch: backend uml has no network "
                     "(set-network true needs the qemu backend)");
    return -1;
  }
  if (gk_int_vm_refuse_nbd (vm, "uml") == -1) return -1;
  const char *bin = uml_binary ();
  const char *shown = bin ? bin : UML_DEFAULT;
  struct stat st;
  if (stat (shown, &st) == -1) {
    gk_int_vm_perror (vm, "launch: backend uml: %s%s", shown,
                      bin ? " (GUESTKIT_UML)" : ": install user-mode-linux");
    return -1;
  }
  if (!S_ISREG (st.st_mode) || access (shown, X_OK) == -1) {
    gk_int_vm_error (vm, EACCES, "launch: backend uml: %s is not an executable file", shown);
    return -1;
  }
  for (size_t i = 0; i < vm->nr_drives; i++) {
    const struct gk_int_drive *d = &vm->drives[i];
    if (strcmp (d->format, "raw") != 0) {
      gk_int_vm_error (vm, EINVAL, "launch: backend uml: %s is %s, and UML opens only "
                       "raw images: convert it (qemu-img convert -O raw) or use the "
                       "qemu backend", d->filename, d->format);
      return -1;
    }
    if (d->iface && strcmp (d->iface, "virtio-blk") != 0) {
      gk_int_vm_error (vm, EINVAL, "launch: backend uml: %s: iface %s: UML drives are "
                       "ubd block devices only (use the qemu backend for %s)",
                       d->filename, d->iface, d->iface);
      return -1;
    }
    if (d->blocksize) {
      gk_int_vm_error (vm, EINVAL, "launch: backend uml: %s: blocksize %d: UML's ubd "
                       "drives have 512-byte sectors (use the qemu backend)",
                       d->filename, d->blocksize);
      return -1;
    }
    if (strcmp (d->cachemode, "writeback") != 0 && strcmp (d->cachemode, "unsafe") != 0) {
      gk_int_vm_error (vm, EINVAL, "launch: backend uml: %s: cachemode %s: UML's ubd "
                       "driver goes through the host page cache, so only writeback "
                       "and unsafe exist", d->filename, d->cachemode);
      return -1;
    }
    const char *why = gk_int_uml_bad_path (d->filename);
    if (why) {
      gk_int_vm_error (vm, EINVAL, "launch: backend uml: %s: %s", d->filename, why);
      return -1;
    }
    /* A writable image that starts like a UML COW file: UML would read
     * a backing file name from it (the 'd' flag on the command line
     * stops that too; a guest can plant such a header for the next
     * session).  Read-only images are only ever UML's backing files. */
    unsigned char m[4];
    if (!d->readonly && pread (d->fd, m, sizeof m, 0) == (ssize_t) sizeof m
        && gk_int_uml_cow_magic (m)) {
      gk_int_vm_error (vm, EPERM, "launch: backend uml: %s starts with a UML COW header, "
                       "which names another host file; refusing to attach it writable "
                       "(add it read-only, or use the qemu backend)", d->filename);
      return -1;
    }
  }
  int err = 0;
  if (!ptrace_works (&err)) {
    gk_int_vm_error (vm, err, "launch: backend uml needs ptrace, and this process may "
                     "not trace its children (%s): check seccomp / container policy "
                     "and kernel.yama.ptrace_scope", strerror (err));
    return -1;
  }
  vm->used = "uml";
  return 0;
}

/* An anonymous COW file over drive D, whose image UML opens as BACKING
 * (/proc/self/fd/N): header written, sized; -1 + error. */
static int
make_cow (struct gk_int_vm *vm, const struct gk_int_drive *d, const char *backing)
{
  struct stat st;
  if (fstat (d->fd, &st) == -1) {
    gk_int_vm_perror (vm, "launch: %s", d->filename);
    return -1;
  }
  /* UML checks the backing file's size as it sees it: a block device's
   * from the device (st_size is 0 there). */
  uint64_t size = (uint64_t) st.st_size;
  if (S_ISBLK (st.st_mode) && ioctl (d->fd, BLKGETSIZE64, &size) == -1) {
    gk_int_vm_perror (vm, "launch: %s: BLKGETSIZE64", d->filename);
    return -1;
  }
  unsigned char *hdr = malloc (GK_UML_COW_HDR);
  uint64_t fsize;
  if (!hdr || gk_int_uml_cow_header (hdr, backing, size,
                                     (uint64_t) st.st_mtime, &fsize) == -1) {
    free (hdr);
    gk_int_vm_error (vm, EINVAL, "launch: %s: cannot make a UML COW header for it",
                     d->filename);
    return -1;
  }
  int fd = gk_int_vm_tmpfile (vm, "the overlay for read-only", d->filename);
  if (fd == -1) {
    free (hdr);
    return -1;
  }
  if (pwrite (fd, hdr, GK_UML_COW_HDR, 0) != GK_UML_COW_HDR
      || ftruncate (fd, (off_t) fsize) == -1) {
    gk_int_vm_perror (vm, "launch: writing the overlay for read-only %s", d->filename);
    free (hdr);
    close (fd);
    return -1;
  }
  free (hdr);
  return fd;
}

/* Start UML: in a new PID namespace when we may (its PID 1 a small
 * reaper that holds none of our descriptors: when UML dies, for any
 * reason, the kernel kills every helper), else in a process group of its
 * own that cleanup() kills.  Fd layout as gk_int_vm_spawn's; the binary is
 * KERNEL_FD (the one the appliance was built for) if >= 0, else the name
 * GUESTKIT_UML gave.  A kernel panic makes UML abort(): no core file. */
static pid_t
spawn (struct gk_int_vm *vm, char *const *argv, int ctl, int console, const int *cow, size_t n,
       int kernel_fd, pid_t *pgid_r)
{
  int keep[1 + UML_INHERIT];
  keep[0] = ctl;
  memcpy (keep + 1, cow, n * sizeof *cow);
  char path[32];
  snprintf (path, sizeof path, "/proc/self/fd/%d", kernel_fd);
  struct gk_int_spawn_cfg c = {
    .argv = argv, .path = kernel_fd >= 0 ? path : NULL, .keep = keep, .nkeep = 1 + n,
    .flags = GK_SPAWN_PIDNS | GK_SPAWN_NOCORE,
    .hangup_fd = 3,             /* the control channel: the host program is alive */
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_FD, .fd = console },
            { .how = GK_SPAWN_STDOUT } },
  };
  struct gk_int_proc p;
  int r = gk_int_proc_start (&c, &p);
  if (!p.pidns && p.pidns_errno)
    gk_int_vm_debug (vm, "uml: no new PID namespace (%s): using a process group",
                     strerror (p.pidns_errno));
  if (r == -1) {
    gk_int_vm_perror (vm, "launch: cannot execute the UML binary %s", kernel_fd >= 0 ? path : argv[0]);
    return -1;
  }
  *pgid_r = p.pgid;
  gk_int_vm_debug (vm, "uml: pid %d%s", (int) p.pid,
                   p.pidns ? ", the reaper (PID 1) of UML's new PID namespace" : "");
  return p.pid;
}

static void
free_data (struct uml_data *u)
{
  for (size_t i = 0; i < UML_INHERIT; i++)
    if (u->cow_fds[i] >= 0) close (u->cow_fds[i]);
  free (u);
}

/* Dup FD into the next inherited slot (fd 4 + slot in UML); its number
 * there, or -1 + error. */
static int
add_slot (struct gk_int_vm *vm, struct uml_data *u, size_t *n, int fd)
{
  if ((u->cow_fds[*n] = fcntl (fd, F_DUPFD_CLOEXEC, 0)) == -1) {
    gk_int_vm_perror (vm, "launch: dup");
    return -1;
  }
  return 4 + (int) (*n)++;
}

static pid_t
uml_start (struct gk_int_vm *vm, const struct gk_int_appliance *ap, int ctl, int console)
{
  struct uml_data *u = calloc (1, sizeof *u);
  if (!u) { gk_int_vm_perror (vm, "launch: malloc"); return -1; }
     int cow[GK_MAX_DRIVES], img[GK_MAX_DRIVES];
  for (size_t i = 0; i < UML_INHERIT; i++) u->cow_fds[i] = -1;
  /* Everything UML opens is inherited and opened as /proc/self/fd/N (UML
   * may not open ours by our pid from a user namespace): the images as
   * add-drive checked them (a swap of the file since changes nothing),
   * each read-only drive's COW file, the kernel, initrd and root of one
   * appliance build, and the blk datapath's staging memfd. */
  size_t n = 0;
  int k = -1, ird = -1, root = -1, stg = -1;
  for (size_t i = 0; i < vm->nr_drives; i++) {
    if ((img[i] = add_slot (vm, u, &n, vm->drives[i].fd)) == -1) goto fail;
    cow[i] = -1;
    if (vm->drives[i].readonly) {
      char backing[32];
      snprintf (backing, sizeof backing, "/proc/self/fd/%d", img[i]);
      int fd = make_cow (vm, &vm->drives[i], backing);
      if (fd == -1) goto fail;
      cow[i] = 4 + (int) n;
      u->cow_fds[n++] = fd;
    }
  }
  if (!uml_binary () && (k = add_slot (vm, u, &n, ap->kernel_fd)) == -1) goto fail;
  if ((ird = add_slot (vm, u, &n, ap->initrd_fd)) == -1) goto fail;
  if (ap->root_fd >= 0 && (root = add_slot (vm, u, &n, ap->root_fd)) == -1) goto fail;
  if (vm->stage && (stg = add_slot (vm, u, &n, vm->stage_fd)) == -1) goto fail;
  char initrd[32], rootp[32], stage[32];
  snprintf (initrd, sizeof initrd, "/proc/self/fd/%d", ird);
  snprintf (rootp, sizeof rootp, "/proc/self/fd/%d", root);
  snprintf (stage, sizeof stage, "/proc/self/fd/%d", stg);
  const char *bin = uml_binary ();
  struct gk_int_uml_cfg c = {
    .uml = bin ? bin : ap->kernel, .memsize = vm->memsize, .initrd = initrd,
    .root = root >= 0 ? rootp : NULL, .stage = stg >= 0 ? stage : NULL,
    .debug = vm->debug, .nr_drives = vm->nr_drives, .drives = vm->drives,
    .cow_fds = cow, .ctl_fd = 3, .drive_fds = img,
    .fastboot = getenv ("GUESTKIT_UML_FASTBOOT") && strcmp (getenv ("GUESTKIT_UML_FASTBOOT"), "1") == 0,
  };
  char **argv = gk_int_uml_argv (&c);
  if (!argv) {
    gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
    goto fail;
  }
  if (vm->debug) {
    fprintf (stderr, "guestkit: exec%s", k >= 0 ? " (fd)" : "");
    for (size_t i = 0; argv[i]; i++) fprintf (stderr, " %s", argv[i]);
    fputc ('\n', stderr);
  }
  pid_t pid = spawn (vm, argv, ctl, console, u->cow_fds, n, k, &u->pgid);
  gk_int_argv_free (argv);
  /* UML holds them now; ours are not needed. */
  for (size_t i = 0; i < n; i++)
    if (u->cow_fds[i] >= 0) { close (u->cow_fds[i]); u->cow_fds[i] = -1; }
  if (pid == -1) goto fail;
  vm->data = u;
  return pid;
 fail:
  free_data (u);
  return -1;
}

static void
uml_cleanup (struct gk_int_vm *vm)
{
  struct uml_data *u = vm->data;
  if (!u) return;
  /* Without a PID namespace: the helpers UML left. */
  if (u->pgid > 0) kill (-u->pgid, SIGKILL);
  free_data (u);
  vm->data = NULL;
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
