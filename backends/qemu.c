/* guestkit backend: qemu, with KVM when /dev/kvm is usable, else TCG. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
qemu_prepare (gk_h *g, const char *variant)
{
  if (!in_path (qemu_binary ())) {
    gk_int_error_errno (g, ENOENT, "launch: %s not found: install qemu-system-x86 "
                        "(or set GUESTKIT_QEMU)", qemu_binary ());
    return -1;
  }
  int kvm;
  if (variant && strcmp (variant, "kvm") == 0) {
    if (!kvm_usable ()) {
      gk_int_perror (g, "launch: backend qemu:kvm: cannot open /dev/kvm");
      return -1;
    }
    kvm = 1;
  }
  else if (variant && strcmp (variant, "tcg") == 0) kvm = 0;
  else if (!kvm_usable ()) kvm = 0;
  else if (gk_int_kvm_known_broken (g)) {
    gk_int_debug (g, "qemu: /dev/kvm opens, but KVM failed to run the appliance earlier "
                  "on this boot: using TCG (set GUESTKIT_BACKEND=qemu:kvm to insist)");
    kvm = 0;
  }
  else kvm = 1;
  size_t ide = 0;
  for (size_t i = 0; i < g->nr_drives; i++)
    ide += g->drives[i].iface && strcmp (g->drives[i].iface, "ide") == 0;
  if (ide > GK_QEMU_MAX_IDE) {
    gk_int_error_errno (g, EINVAL, "launch: %zu drives with iface ide, but the "
                        "emulated IDE controller has %d places", ide, GK_QEMU_MAX_IDE);
    return -1;
  }
  free (g->backend_used);
  g->backend_used = strdup (kvm ? "qemu:kvm" : "qemu:tcg");
  g->bdata = kvm ? (void *) 1 : NULL;
  return 0;
}

static pid_t
qemu_start (gk_h *g, const struct gk_int_appliance *ap, int ctl, int console)
{
  struct gk_int_qemu_cfg c = {
    .qemu = qemu_binary (), .kvm = g->bdata != NULL, .memsize = g->memsize,
    .kernel = ap->kernel, .initrd = ap->initrd, .root = ap->root, .debug = g->debug,
    .nr_drives = g->nr_drives, .drives = g->drives, .ctl_fd = 3,
    .stage = gk_int_stage_path (g),
  };
  char **argv = gk_int_qemu_argv (&c);
  if (!argv) { gk_int_error_errno (g, ENOMEM, "launch: out of memory"); return -1; }
  if (g->debug) {
    fprintf (stderr, "guestkit: exec");
    for (size_t i = 0; argv[i]; i++) fprintf (stderr, " %s", argv[i]);
    fputc ('\n', stderr);
  }
  pid_t pid = gk_int_spawn (g, argv, ctl, console);
  gk_free_strings (argv);
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
