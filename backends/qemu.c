/* guestkit backend: qemu, with KVM when /dev/kvm is usable, else TCG. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "argv.h"
#include "backend.h"

static const char *
qemu_binary (void)
{
  const char *q = getenv ("GUESTKIT_QEMU");
  return q && *q ? q : "qemu-system-x86_64";
}

static int
kvm_usable (void)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd == -1) return 0;
  close (fd);
  return 1;
}

static int
in_path (const char *prog)
{
  if (strchr (prog, '/')) return access (prog, X_OK) == 0;
  const char *path = getenv ("PATH");
  if (!path) path = "/usr/bin:/bin";
  char buf[4096];
  for (const char *p = path; *p; ) {
    size_t n = strcspn (p, ":");
    if (n > 0 && n < sizeof buf - strlen (prog) - 2) {
      snprintf (buf, sizeof buf, "%.*s/%s", (int) n, p, prog);
      if (access (buf, X_OK) == 0) return 1;
    }
    p += n;
    if (*p == ':') p++;
  }
  return 0;
}

static int
qemu_prepare (struct gk_int_vm *vm, const char *variant)
{
  if (!in_path (qemu_binary ())) {
    gk_int_vm_error (vm, ENOENT, "launch: %s not found: install qemu-system-x86 "
                     "(or set GUESTKIT_QEMU)", qemu_binary ());
    return -1;
  }
  int kvm;
  if (variant && strcmp (variant, "kvm") == 0) {
    if (!kvm_usable ()) {
      gk_int_vm_perror (vm, "launch: backend qemu:kvm: cannot open /dev/kvm");
      return -1;
    }
    kvm = 1;
  }
  else if (variant && strcmp (variant, "tcg") == 0) kvm = 0;
  else if (!kvm_usable ()) kvm = 0;
  else if (vm->kvm_broken) {
    gk_int_vm_debug (vm, "qemu: /dev/kvm opens, but KVM failed to run the appliance "
                     "earlier on this boot: using TCG (set GUESTKIT_BACKEND=qemu:kvm "
                     "to insist)");
    kvm = 0;
  }
  else kvm = 1;
  size_t ide = 0;
  for (size_t i = 0; i < vm->nr_drives; i++)
    ide += vm->drives[i].iface && strcmp (vm->drives[i].iface, "ide") == 0;
  if (ide > GK_QEMU_MAX_IDE) {
    gk_int_vm_error (vm, EINVAL, "launch: %zu drives with iface ide, but the "
                     "emulated IDE controller has %d places", ide, GK_QEMU_MAX_IDE);
    return -1;
  }
  vm->used = kvm ? "qemu:kvm" : "qemu:tcg";     /* read again by qemu_start */
  return 0;
}

static pid_t
qemu_start (struct gk_int_vm *vm, const struct gk_int_appliance *ap, int ctl, int console)
{
  /* qemu inherits the descriptors the library checked and opens them as
   * /proc/self/fd/N: the drives (as add-drive opened them), then the
   * appliance's kernel, initrd and root (one consistent build; and no
   * cache path, whatever characters it has, reaches the command line). */
  int inherit[GK_MAX_DRIVES + 3], dfd[GK_MAX_DRIVES];
  size_t n = 0;
  for (size_t i = 0; i < vm->nr_drives; i++) {
    /* An allowed backing file is found relative to the image's own
     * directory, so such an image is opened by name (add-drive says so). */
    dfd[i] = vm->drives[i].has_backing ? -1 : 4 + (int) n;
    if (dfd[i] >= 0) inherit[n++] = vm->drives[i].fd;
  }
  char kernel[32], initrd[32], root[32];
  snprintf (kernel, sizeof kernel, "/proc/self/fd/%d", 4 + (int) n);
  inherit[n++] = ap->kernel_fd;
  snprintf (initrd, sizeof initrd, "/proc/self/fd/%d", 4 + (int) n);
  inherit[n++] = ap->initrd_fd;
  snprintf (root, sizeof root, "/proc/self/fd/%d", 4 + (int) n);
  if (ap->root_fd >= 0) inherit[n++] = ap->root_fd;
  struct gk_int_qemu_cfg c = {
    .qemu = qemu_binary (), .kvm = strcmp (vm->used, "qemu:kvm") == 0,
    .memsize = vm->memsize, .smp = vm->smp,
    .kernel = kernel, .initrd = initrd, .root = ap->root_fd >= 0 ? root : NULL,
    .debug = vm->debug, .nr_drives = vm->nr_drives, .drives = vm->drives, .ctl_fd = 3,
    .stage = vm->stage, .drive_fds = dfd, .network = vm->network,
    .serial_channel = vm->serial_channel,
  };
  char **argv = gk_int_qemu_argv (&c);
  if (!argv) { gk_int_vm_error (vm, ENOMEM, "launch: out of memory"); return -1; }
  if (vm->debug) {
    fprintf (stderr, "guestkit: exec");
    for (size_t i = 0; argv[i]; i++) fprintf (stderr, " %s", argv[i]);
    fputc ('\n', stderr);
    for (size_t i = 0; i < vm->nr_drives; i++)
      if (dfd[i] >= 0) fprintf (stderr, "guestkit: fd %d is %s\n", dfd[i], vm->drives[i].filename);
    fprintf (stderr, "guestkit: kernel %s, initrd %s, root %s\n", ap->kernel, ap->initrd,
             ap->root ? ap->root : "none");
  }
  pid_t pid = gk_int_vm_spawn (vm, argv, ctl, console, inherit, n);
  gk_int_argv_free (argv);
  return pid;
}

const struct gk_int_backend_ops gk_int_backend_qemu = {
  .struct_size = sizeof (struct gk_int_backend_ops),
  .name = "qemu",
  .flavour = "qemu",
  .max_drives = 24,
  .prepare = qemu_prepare,
  .start = qemu_start,
};
