/* guestkit backend: qemu, with KVM when /dev/kvm is usable, else TCG. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "argv.h"
#include "backend.h"
#include "qemu.h"

const char *
gk_int_qemu_binary (void)
{
  const char *q = getenv ("GUESTKIT_QEMU");
  return q && *q ? q : "qemu-system-x86_64";
}

/* 1 if /dev/kvm opens (it may still fail to run a guest: kvm-broken). */
int
gk_int_qemu_kvm_usable (void)
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
  if (!in_path (gk_int_qemu_binary ())) {
    gk_int_vm_error (vm, ENOENT, "launch: %s not found: install qemu-system-x86 "
                     "(or set GUESTKIT_QEMU)", gk_int_qemu_binary ());
    return -1;
  }
  int kvm;
  if (variant && strcmp (variant, "kvm") == 0) {
    if (!gk_int_qemu_kvm_usable ()) {
      gk_int_vm_perror (vm, "launch: backend qemu:kvm: cannot open /dev/kvm");
      return -1;
    }
    kvm = 1;
  }
  else if (variant && strcmp (variant, "tcg") == 0) kvm = 0;
  else if (!gk_int_qemu_kvm_usable ()) kvm = 0;
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

void
gk_int_qemu_run_free (struct gk_int_qemu_run *r)
{
  for (size_t i = 0; i < GK_MAX_DRIVES; i++)
    if (r->ofd[i] >= 0) { close (r->ofd[i]); r->ofd[i] = -1; }
}

int
gk_int_qemu_run_init (struct gk_int_vm *vm, const struct gk_int_appliance *ap,
                      struct gk_int_qemu_run *r)
{
  memset (r, 0, sizeof *r);
  for (size_t k = 0; k < sizeof r->inherit / sizeof r->inherit[0]; k++) r->inherit[k] = -1;
  for (size_t i = 0; i < GK_MAX_DRIVES; i++) r->ofd[i] = r->dfd[i] = -1;
  /* qemu inherits the descriptors the library checked and opens them as
   * /proc/self/fd/N: the appliance's kernel, initrd and root (one
   * consistent build; no cache path, whatever characters it has, reaches
   * the command line), the staging disk, then the drives as add-drive
   * opened them. */
  snprintf (r->kernel, sizeof r->kernel, "/proc/self/fd/%d", QFD_KERNEL);
  snprintf (r->initrd, sizeof r->initrd, "/proc/self/fd/%d", QFD_INITRD);
  snprintf (r->root, sizeof r->root, "/proc/self/fd/%d", QFD_ROOT);
  snprintf (r->stage, sizeof r->stage, "/proc/self/fd/%d", QFD_STAGE);
  snprintf (r->ram, sizeof r->ram, "/proc/self/fd/%d", QFD_RAM);
  r->inherit[QFD_KERNEL - 4] = ap->kernel_fd;
  r->inherit[QFD_INITRD - 4] = ap->initrd_fd;
  r->inherit[QFD_ROOT - 4] = ap->root_fd;
  if (vm->stage) r->inherit[QFD_STAGE - 4] = vm->stage_fd;
  for (size_t i = 0; i < vm->nr_drives; i++) {
    const struct gk_int_drive *d = &vm->drives[i];
    /* An allowed backing file is found relative to the image's own
     * directory, so such an image is opened by name (add-drive says so). */
    int n = QFD_DRIVES + 2 * (int) i;
    if (!d->has_backing && !d->nbd_export) { r->dfd[i] = n; r->inherit[n - 4] = d->fd; }
    if (d->readonly) {
      if ((r->ofd[i] = gk_int_qemu_overlay (vm, d)) == -1) { gk_int_qemu_run_free (r); return -1; }
      r->inherit[n + 1 - 4] = r->ofd[i];
    }
  }
  /* The overlays' numbers in qemu (ofd holds ours until the spawn). */
  for (size_t i = 0; i < GK_MAX_DRIVES; i++)
    r->ov[i] = r->ofd[i] >= 0 ? QFD_DRIVES + 2 * (int) i + 1 : -1;
  r->cfg = (struct gk_int_qemu_cfg) {
    .qemu = gk_int_qemu_binary (), .kvm = strcmp (vm->used, "qemu:kvm") == 0,
    .memsize = vm->memsize, .smp = vm->smp,
    .kernel = r->kernel, .initrd = r->initrd, .root = ap->root_fd >= 0 ? r->root : NULL,
    .debug = vm->debug, .nr_drives = vm->nr_drives, .drives = vm->drives, .ctl_fd = 3,
    .stage = vm->stage ? r->stage : NULL, .drive_fds = r->dfd, .network = vm->network,
    .serial_channel = vm->serial_channel, .overlay_fds = r->ov,
  };
  return 0;
}

pid_t
gk_int_qemu_spawn (struct gk_int_vm *vm, const struct gk_int_qemu_run *r, char **argv,
                   int ctl, int console)
{
  if (vm->debug) {
    fprintf (stderr, "guestkit: exec");
    for (size_t i = 0; argv[i]; i++) fprintf (stderr, " %s", argv[i]);
    fputc ('\n', stderr);
    for (size_t i = 0; i < vm->nr_drives; i++)
      if (r->dfd[i] >= 0) fprintf (stderr, "guestkit: fd %d is %s\n", r->dfd[i], vm->drives[i].filename);
  }
  size_t n = sizeof r->inherit / sizeof r->inherit[0];
  while (n > 0 && r->inherit[n - 1] == -1) n--;
  return gk_int_vm_spawn (vm, argv, ctl, console, r->inherit, n);
}

static pid_t
qemu_start (struct gk_int_vm *vm, const struct gk_int_appliance *ap, int ctl, int console)
{
  struct gk_int_qemu_run r;
  if (gk_int_qemu_run_init (vm, ap, &r) == -1) return -1;
  if (vm->debug)
    fprintf (stderr, "guestkit: kernel %s, initrd %s, root %s\n", ap->kernel, ap->initrd,
             ap->root ? ap->root : "none");
  pid_t pid = -1;
  if (vm->snapshot_dir) {
    pid = gk_int_qemu_restore (vm, &r, ctl, console);
    gk_int_vm_debug (vm, "launch: %s", vm->how);
    if (pid == -1 && vm->start_fatal) { gk_int_qemu_run_free (&r); return -1; }
    if (pid == -1) { free (vm->err.msg); vm->err.msg = NULL; }
  }
  else snprintf (vm->how, sizeof vm->how, "cold boot (snapshots off)");
  if (pid == -1) {
    char **argv = gk_int_qemu_argv (&r.cfg);
    if (!argv) gk_int_vm_error (vm, ENOMEM, "launch: out of memory");
    else pid = gk_int_qemu_spawn (vm, &r, argv, ctl, console);
    gk_int_argv_free (argv);
  }
  gk_int_qemu_run_free (&r);
  return pid;
}

const struct gk_int_backend_ops gk_int_backend_qemu = {
  .struct_size = sizeof (struct gk_int_backend_ops),
  .name = "qemu",
  .flavour = "qemu",
  .max_drives = 24,
  .prepare = qemu_prepare,
  .start = qemu_start,
  .restore_failed = gk_int_qemu_restore_failed,
};
