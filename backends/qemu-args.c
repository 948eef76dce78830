/* guestkit qemu backend: the command line.  KVM and TCG differ only in
 * the accelerator and -cpu; everything else is shared so the TCG path
 * tested here is the KVM path too (tests/test-qemu-args.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "argv.h"
#include "abi.h"

static int
is_iface (const struct gk_int_drive *d, const char *iface)
{
  return d->iface && strcmp (d->iface, iface) == 0;
}

/* Kernel flags, each measured under TCG (shared/research RESULTS.md):
 * quiet (the emulated UART is slow, -0.2 s), acpi=off (-0.3 s: no ACPI
 * PCI link setup), no_timer_check/tsc=reliable/8250.nr_uarts=1/
 * cryptomgr.notests/edd=off (skip probes).  panic=-1 turns a guest panic
 * into an immediate exit (with -no-reboot) instead of a hang.  The serial
 * channel is the second UART, so the kernel must register two, and the
 * daemon is told where its channel is (it looks for the virtio port
 * otherwise). */
char *
gk_int_qemu_append (int debug, int root, int serial_channel)
{
  char *s = NULL;
  if (asprintf (&s, "console=ttyS0 panic=-1 no_timer_check tsc=reliable "
                "8250.nr_uarts=%d cryptomgr.notests edd=off mitigations=off "
                "nokaslr acpi=off " GK_ABI_ARG_HALT "reboot%s%s %s",
                serial_channel ? 2 : 1,
                serial_channel ? " " GK_ABI_ARG_CHANNEL GK_ABI_SERIAL_CHANNEL_DEV : "",
                root ? " " GK_ABI_ARG_ROOT GK_ABI_ROOT_SERIAL : "",
                debug ? GK_ABI_ARG_DEBUG "1 printk.time=1" : "quiet") == -1)
    return NULL;
  return s;
}


/* The kernel line: the common flags, then the drivers the appliance must
 * load for its disks and network, how many sdX disks to wait for, the
 * network and the snapshot flag.  Drivers beyond virtio-blk are loaded
 * only when needed, so they cost nothing at boot otherwise
 * (daemon/diskdrivers.c); a snapshot template always has the SCSI stack,
 * since a restored VM gets its drives there. */
static char *
kernel_line (const struct gk_int_qemu_cfg *c, int scsi, size_t nide, size_t nsd)
{
  char *app = gk_int_qemu_append (c->debug, c->root != NULL, c->serial_channel);
  if (!app) return NULL;
  char *s = NULL;
  int r;
  if (scsi || nide)
    r = asprintf (&s, "%s " GK_ABI_ARG_MODULES "%s%s%ssd_mod " GK_ABI_ARG_SD "%zu%s%s", app,
                  c->network ? "virtio_net," : "", scsi ? "virtio_scsi," : "",
                  nide ? "ata_piix," : "", nsd, c->network ? " " GK_ABI_ARG_NET "1" : "",
                  c->snapshot ? " " GK_ABI_ARG_SNAPSHOT "1" : "");
  else
    r = asprintf (&s, "%s%s", app,
                  c->network ? " " GK_ABI_ARG_MODULES "virtio_net " GK_ABI_ARG_NET "1" : "");
  free (app);
  return r == -1 ? NULL : s;
}

/* The same kernel line for another backend that builds qemu's machine
 * (libvirt): C's drives, network and flags, no snapshot. */
char *
gk_int_qemu_kernel_line (const struct gk_int_qemu_cfg *c)
{
  size_t nscsi = 0, nide = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    nscsi += is_iface (&c->drives[i], "virtio-scsi");
    nide += is_iface (&c->drives[i], "ide");
  }
  return kernel_line (c, nscsi > 0, nide, nscsi + nide);
}

/* One user drive: its block node(s) and its device.  A read-only drive is
 * a qcow2 overlay (an inherited file with no name) over the image, which
 * is its backing node and is never opened for writing. */
static void
add_drive (struct gk_int_argv *a, const struct gk_int_qemu_cfg *c, size_t i, size_t *ide)
{
  const struct gk_int_drive *d = &c->drives[i];
  /* The descriptor add-drive checked, not the name (a swap in between
   * must not matter); qemu reopens it through /proc with the access it
   * needs, and locks it. */
  char img[32];
  int fd = c->drive_fds ? c->drive_fds[i] : -1;
  snprintf (img, sizeof img, "/proc/self/fd/%d", fd);
  const char *file = fd >= 0 ? img : d->filename;
  gk_int_argv_add (a, "-drive");
  if (d->nbd_export) {
    /* qemu connects to the export (raw only: add-drive refused
     * qcow2); read-only, it is the overlay's backing node, which qemu
     * opens read-only. */
    int ov = c->overlay_fds ? c->overlay_fds[i] : -1;
    char *nbd = gk_int_nbd_opts (d, d->readonly ? "backing.file." : "file.");
    if (!nbd || (d->readonly && ov < 0)) { free (nbd); a->oom = 1; return; }
    if (d->readonly)
      gk_int_argv_addf (a, "file=/proc/self/fd/%d,format=qcow2,if=none,id=hd%zu,cache=%s,"
                        "aio=threads,backing.driver=raw,%s", ov, i, d->cachemode, nbd);
    else
      gk_int_argv_addf (a, "%s,format=raw,if=none,id=hd%zu,cache=%s", nbd, i, d->cachemode);
    free (nbd);
  }
  else if (d->readonly) {
    int ov = c->overlay_fds ? c->overlay_fds[i] : -1;
    if (ov < 0) { a->oom = 1; return; }
    gk_int_argv_addf (a, "file=/proc/self/fd/%d,format=qcow2,if=none,id=hd%zu,cache=%s,"
                      "aio=threads,backing.driver=%s,backing.file.filename=%s,"
                      "backing.file.aio=threads", ov, i, d->cachemode, d->format, file);
  }
  else
    gk_int_argv_addf (a, "file=%s,format=%s,if=none,id=hd%zu,cache=%s,aio=threads",
                      file, d->format, i, d->cachemode);
  /* The serial gkdN gives the daemon the drive's position whatever
   * the controller and the names the appliance kernel chose. */
  /* add-drive blocksize:4096: every one of these devices has both. */
  char bs[80] = "";
  if (d->blocksize)
    snprintf (bs, sizeof bs, ",logical_block_size=%d,physical_block_size=%d",
              d->blocksize, d->blocksize);
  gk_int_argv_add (a, "-device");
  if (c->snapshot || is_iface (d, "virtio-scsi"))
    gk_int_argv_addf (a, "scsi-hd,drive=hd%zu,bus=scsi0.0,channel=0,scsi-id=%zu,lun=0,serial="
                      GK_ABI_DRIVE_SERIAL "%zu%s", i, i, i, bs);
  else if (is_iface (d, "ide")) {
    gk_int_argv_addf (a, "ide-hd,drive=hd%zu,bus=ide.%zu,unit=%zu,serial=" GK_ABI_DRIVE_SERIAL "%zu%s",
                      i, *ide / 2, *ide % 2, i, bs);
    ++*ide;
  }
  else
    gk_int_argv_addf (a, "virtio-blk-pci,drive=hd%zu,serial=" GK_ABI_DRIVE_SERIAL "%zu%s", i, i, bs);
}

char **
gk_int_qemu_argv (const struct gk_int_qemu_cfg *c)
{
  struct gk_int_argv a = { 0 };
  size_t nscsi = 0, nide = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    nscsi += is_iface (&c->drives[i], "virtio-scsi");
    nide += is_iface (&c->drives[i], "ide");
  }
  /* A snapshot's machine boots without user drives: what it was booted
   * with must not depend on them. */
  if (c->snapshot) nscsi = nide = 0;
  gk_int_argv_add (&a, c->qemu);
  gk_int_argv_add (&a, "-machine");
  /* IDE drives: the pc machine's PIIX IDE (ata_piix), because Debian's
   * cloud kernel has no driver for q35's AHCI controller. */
  gk_int_argv_addf (&a, "%s,accel=%s%s", nide ? "pc" : "q35", c->kvm ? "kvm" : "tcg",
                    c->mem_path ? ",memory-backend=ram0" : "");
  if (c->kvm) { gk_int_argv_add (&a, "-cpu"); gk_int_argv_add (&a, "host"); }
  /* (TCG: the default CPU model; -cpu max measured 0.1 s slower.) */
  gk_int_argv_add (&a, "-nodefaults"); gk_int_argv_add (&a, "-no-user-config");
  gk_int_argv_add (&a, "-display"); gk_int_argv_add (&a, "none");
  gk_int_argv_add (&a, "-no-reboot");
  gk_int_argv_add (&a, "-m"); gk_int_argv_addf (&a, "%d", c->memsize);
  if (c->mem_path) {
    gk_int_argv_add (&a, "-object");
    gk_int_argv_addf (&a, "memory-backend-file,id=ram0,size=%dM,mem-path=%s,share=%s",
                      c->memsize, c->mem_path, c->mem_shared ? "on" : "off");
  }
  if (c->smp > 1) { gk_int_argv_add (&a, "-smp"); gk_int_argv_addf (&a, "%d", c->smp); }
  /* An uncompressed vmlinux boots via PVH: no firmware real-mode setup
   * and no decompression (-0.3 s). */
  gk_int_argv_add (&a, "-kernel"); gk_int_argv_add (&a, c->kernel);
  gk_int_argv_add (&a, "-initrd"); gk_int_argv_add (&a, c->initrd);
  int scsi = c->snapshot || nscsi > 0;
  char *app = kernel_line (c, scsi, nide, nscsi + nide);
  if (!app) a.oom = 1;
  else { gk_int_argv_add (&a, "-append"); gk_int_argv_add (&a, app); free (app); }
  gk_int_argv_add (&a, "-chardev"); gk_int_argv_add (&a, "stdio,id=con0,signal=off");
  gk_int_argv_add (&a, "-serial"); gk_int_argv_add (&a, "chardev:con0");
  gk_int_argv_add (&a, "-chardev"); gk_int_argv_addf (&a, "socket,id=ch0,fd=%d", c->ctl_fd);
  /* set-channel serial: the channel is the second 16550 (COM2, ttyS1). */
  if (c->serial_channel) { gk_int_argv_add (&a, "-serial"); gk_int_argv_add (&a, "chardev:ch0"); }
  if (c->qmp_fd > 0) {
    gk_int_argv_add (&a, "-chardev"); gk_int_argv_addf (&a, "socket,id=qmp0,fd=%d", c->qmp_fd);
    gk_int_argv_add (&a, "-mon"); gk_int_argv_add (&a, "chardev=qmp0,mode=control");
  }
  /* Entropy for mkfs UUIDs and the like, without waiting (-4 s). */
  gk_int_argv_add (&a, "-object"); gk_int_argv_add (&a, "rng-random,id=rng0,filename=/dev/urandom");
  gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-rng-pci,rng=rng0");
  if (!c->serial_channel) {
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-serial-pci");
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtserialport,chardev=ch0,name=" GK_ABI_CHANNEL_NAME);
  }
  if (scsi) { gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-scsi-pci,id=scsi0"); }
  if (c->network) {
    /* qemu's built-in user-mode stack (slirp): outgoing connections
     * become the qemu process's own; no hostfwd, so nothing listens for
     * the guest.  10.0.2.2 is the host's loopback (backends/README.md). */
    gk_int_argv_add (&a, "-netdev"); gk_int_argv_add (&a, "user,id=net0,ipv6=off");
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-net-pci,netdev=net0,romfile=");
  }
  size_t ide = 0;
  for (size_t i = 0; !c->snapshot && i < c->nr_drives; i++) add_drive (&a, c, i, &ide);
  if (c->root) {
    /* After the user's drives, so they keep their order; shared
     * read-only by every appliance running at once. */
    gk_int_argv_add (&a, "-drive");
    gk_int_argv_addf (&a, "file=%s,format=raw,if=none,id=gkroot,readonly=on,cache=writeback,aio=threads", c->root);
    gk_int_argv_add (&a, "-device");
    gk_int_argv_add (&a, "virtio-blk-pci,drive=gkroot,serial=" GK_ABI_ROOT_SERIAL);
  }
  if (c->stage) {
    /* The blk datapath's staging disk (a memfd of the library). */
    gk_int_argv_add (&a, "-drive");
    gk_int_argv_addf (&a, "file=%s,format=raw,if=none,id=gkstage,cache=unsafe,aio=threads,file.locking=off",
          c->stage);
    gk_int_argv_add (&a, "-device");
    gk_int_argv_add (&a, "virtio-blk-pci,drive=gkstage,serial=" GK_ABI_STAGE_SERIAL);
  }
  /* A restored VM: the drives the saved guest has never seen, on its SCSI
   * controller (no PCI slot moves), then the state to load. */
  for (size_t i = 0; c->snapshot && i < c->nr_drives; i++) add_drive (&a, c, i, &ide);
  if (c->incoming) { gk_int_argv_add (&a, "-incoming"); gk_int_argv_add (&a, "defer"); }
  return gk_int_argv_finish (&a);
}

char **
gk_int_qemu_snap_argv (const struct gk_int_qemu_cfg *base, const char *ram, int qmp_fd, int tmpl)
{
  struct gk_int_qemu_cfg c = *base;
  c.snapshot = 1;
  c.mem_path = ram;
  c.mem_shared = tmpl;
  c.qmp_fd = qmp_fd;
  c.incoming = !tmpl;
  if (tmpl) c.nr_drives = 0;
  return gk_int_qemu_argv (&c);
}
