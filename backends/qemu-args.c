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


char **
gk_int_qemu_argv (const struct gk_int_qemu_cfg *c)
{
  struct gk_int_argv a = { 0 };
  size_t nscsi = 0, nide = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    nscsi += is_iface (&c->drives[i], "virtio-scsi");
    nide += is_iface (&c->drives[i], "ide");
  }
  gk_int_argv_add (&a, c->qemu);
  gk_int_argv_add (&a, "-machine");
  /* IDE drives: the pc machine's PIIX IDE (ata_piix), because Debian's
   * cloud kernel has no driver for q35's AHCI controller. */
  gk_int_argv_addf (&a, "%s,accel=%s", nide ? "pc" : "q35", c->kvm ? "kvm" : "tcg");
  if (c->kvm) { gk_int_argv_add (&a, "-cpu"); gk_int_argv_add (&a, "host"); }
  /* (TCG: the default CPU model; -cpu max measured 0.1 s slower.) */
  gk_int_argv_add (&a, "-nodefaults"); gk_int_argv_add (&a, "-no-user-config");
  gk_int_argv_add (&a, "-display"); gk_int_argv_add (&a, "none");
  gk_int_argv_add (&a, "-no-reboot");
  gk_int_argv_add (&a, "-m"); gk_int_argv_addf (&a, "%d", c->memsize);
  if (c->smp > 1) { gk_int_argv_add (&a, "-smp"); gk_int_argv_addf (&a, "%d", c->smp); }
  /* An uncompressed vmlinux boots via PVH: no firmware real-mode setup
   * and no decompression (-0.3 s). */
  gk_int_argv_add (&a, "-kernel"); gk_int_argv_add (&a, c->kernel);
  gk_int_argv_add (&a, "-initrd"); gk_int_argv_add (&a, c->initrd);
  char *app = gk_int_qemu_append (c->debug, c->root != NULL, c->serial_channel);
  /* Drivers beyond virtio-blk are loaded only when such a drive exists,
   * so they cost nothing at boot otherwise (daemon/diskdrivers.c). */
  if (app && nscsi + nide > 0) {
    char *s = NULL;
    if (asprintf (&s, "%s " GK_ABI_ARG_MODULES "%s%s%s%s " GK_ABI_ARG_SD "%zu", app,
                  c->network ? "virtio_net," : "",
                  nscsi ? "virtio_scsi," : "", nide ? "ata_piix," : "", "sd_mod",
                  nscsi + nide) == -1) s = NULL;
    free (app);
    app = s;
  }
  else if (app && c->network) {
    char *s = NULL;
    if (asprintf (&s, "%s " GK_ABI_ARG_MODULES "virtio_net", app) == -1) s = NULL;
    free (app);
    app = s;
  }
  /* The daemon configures eth0 (daemon/network.c). */
  if (app && c->network) {
    char *s = NULL;
    if (asprintf (&s, "%s " GK_ABI_ARG_NET "1", app) == -1) s = NULL;
    free (app);
    app = s;
  }
  if (!app) a.oom = 1;
  else { gk_int_argv_add (&a, "-append"); gk_int_argv_add (&a, app); free (app); }
  gk_int_argv_add (&a, "-chardev"); gk_int_argv_add (&a, "stdio,id=con0,signal=off");
  gk_int_argv_add (&a, "-serial"); gk_int_argv_add (&a, "chardev:con0");
  gk_int_argv_add (&a, "-chardev"); gk_int_argv_addf (&a, "socket,id=ch0,fd=%d", c->ctl_fd);
  /* set-channel serial: the channel is the second 16550 (COM2, ttyS1). */
  if (c->serial_channel) { gk_int_argv_add (&a, "-serial"); gk_int_argv_add (&a, "chardev:ch0"); }
  /* Entropy for mkfs UUIDs and the like, without waiting (-4 s). */
  gk_int_argv_add (&a, "-object"); gk_int_argv_add (&a, "rng-random,id=rng0,filename=/dev/urandom");
  gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-rng-pci,rng=rng0");
  if (!c->serial_channel) {
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-serial-pci");
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtserialport,chardev=ch0,name=" GK_ABI_CHANNEL_NAME);
  }
  if (nscsi) { gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-scsi-pci,id=scsi0"); }
  if (c->network) {
    /* qemu's built-in user-mode stack (slirp): outgoing connections
     * become the qemu process's own; no hostfwd, so nothing listens for
     * the guest.  10.0.2.2 is the host's loopback (backends/README.md). */
    gk_int_argv_add (&a, "-netdev"); gk_int_argv_add (&a, "user,id=net0,ipv6=off");
    gk_int_argv_add (&a, "-device"); gk_int_argv_add (&a, "virtio-net-pci,netdev=net0,romfile=");
  }
  size_t ide = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    const struct gk_int_drive *d = &c->drives[i];
    gk_int_argv_add (&a, "-drive");
    /* The descriptor add-drive checked, not the name (a swap in between
     * must not matter); qemu reopens it through /proc with the access it
     * needs, and locks it.  snapshot=on: writes go to a temporary overlay
     * that qemu unlinks at once, and the image itself is opened read-only. */
    char fdpath[32];
    int fd = c->drive_fds ? c->drive_fds[i] : -1;
    snprintf (fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    gk_int_argv_addf (&a, "file=%s,format=%s,if=none,id=hd%zu,cache=%s,aio=threads%s",
          fd >= 0 ? fdpath : d->filename, d->format, i, d->cachemode,
          d->readonly ? ",snapshot=on" : "");
    /* The serial gkdN gives the daemon the drive's position whatever
     * the controller and the names the appliance kernel chose. */
    gk_int_argv_add (&a, "-device");
    if (is_iface (d, "virtio-scsi"))
      gk_int_argv_addf (&a, "scsi-hd,drive=hd%zu,bus=scsi0.0,channel=0,scsi-id=%zu,lun=0,serial=" GK_ABI_DRIVE_SERIAL "%zu", i, i, i);
    else if (is_iface (d, "ide"))
    {
      gk_int_argv_addf (&a, "ide-hd,drive=hd%zu,bus=ide.%zu,unit=%zu,serial=" GK_ABI_DRIVE_SERIAL "%zu",
                        i, ide / 2, ide % 2, i);
      ide++;
    }
    else
      gk_int_argv_addf (&a, "virtio-blk-pci,drive=hd%zu,serial=" GK_ABI_DRIVE_SERIAL "%zu", i, i);
  }
  if (c->root) {
    /* Last, so the user's drives keep their order; shared read-only by
     * every appliance running at once. */
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
  return gk_int_argv_finish (&a);
}
