/* guestkit libvirt backend: the domain XML, a pure function
 * (unit-tested in tests/test-libvirt-xml.c).  The same machine as the
 * qemu backend's command line (qemu-args.c): q35 (pc with IDE drives),
 * direct kernel boot with the same kernel line, the same devices and
 * drive serials, nothing libvirt would add by default (USB, balloon). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "abi.h"
#include "libvirt.h"

static int
is_iface (const struct gk_int_drive *d, const char *iface)
{
  return d->iface && strcmp (d->iface, iface) == 0;
}

/* S as XML text or attribute value. */
static void
esc (FILE *f, const char *s)
{
  for (; *s; s++)
    switch (*s) {
    case '&': fputs ("&amp;", f); break;
    case '<': fputs ("&lt;", f); break;
    case '>': fputs ("&gt;", f); break;
    case '"': fputs ("&quot;", f); break;
    case '\'': fputs ("&apos;", f); break;
    default: fputc (*s, f);
    }
}

/* Devices go on the root bus at fixed slots, as qemu's own command line
 * puts them (libvirt would give each PCIe device a root port of its own,
 * more for the guest to probe).  Slots 2..30: 0 is the host bridge, 1 the
 * pc machine's PIIX, 31 q35's LPC.  -1: let libvirt place it. */
static void
pci_addr (FILE *f, int *slot)
{
  if (*slot < 0) return;
  fprintf (f, "      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' "
           "function='0x0'/>\n", (*slot)++);
}

static void
disk (FILE *f, const char *path, const char *fmt, const char *cache, const char *bus,
      const char *dev, const char *serial, int ro, const char *backing, const char *bfmt,
      int *slot, int scsi_target)
{
  fputs ("    <disk type='file' device='disk'>\n", f);
  fprintf (f, "      <driver name='qemu' type='%s' cache='%s' io='threads'/>\n", fmt, cache);
  fputs ("      <source file='", f); esc (f, path); fputs ("'/>\n", f);
  if (backing) {
    /* A read-only drive: our overlay over the image, which qemu opens
     * read-only as the overlay's backing node. */
    fprintf (f, "      <backingStore type='file'>\n        <format type='%s'/>\n"
             "        <source file='", bfmt);
    esc (f, backing);
    fputs ("'/>\n        <backingStore/>\n      </backingStore>\n", f);
  }
  else fputs ("      <backingStore/>\n", f);
  fprintf (f, "      <target dev='%s' bus='%s'/>\n", dev, bus);
  if (ro) fputs ("      <readonly/>\n", f);
  fprintf (f, "      <serial>%s</serial>\n", serial);
  if (strcmp (bus, "scsi") == 0)
    fprintf (f, "      <address type='drive' controller='0' bus='0' target='%d' unit='0'/>\n",
             scsi_target);
  else if (strcmp (bus, "ide") == 0)
    fprintf (f, "      <address type='drive' controller='0' bus='%d' target='0' unit='%d'/>\n",
             scsi_target / 2, scsi_target % 2);
  else pci_addr (f, slot);
  fputs ("    </disk>\n", f);
}

char *
gk_int_libvirt_xml (const struct gk_int_libvirt_cfg *c)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (!f) return NULL;
  size_t nscsi = 0, nide = 0, nblk = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    nscsi += is_iface (&c->drives[i], "virtio-scsi");
    nide += is_iface (&c->drives[i], "ide");
  }
  nblk = c->nr_drives - nscsi - nide;
  /* rng, the channel's controller, the SCSI controller, the NIC, root, stage, drives */
  size_t npci = 1 + !c->serial_channel + (nscsi > 0) + !!c->network + !!c->root
    + !!c->stage + nblk;
  int slot = npci <= 29 ? 2 : -1;
  fprintf (f, "<domain type='%s'>\n  <name>", c->kvm ? "kvm" : "qemu");
  esc (f, c->name);
  fprintf (f, "</name>\n  <memory unit='MiB'>%d</memory>\n  <vcpu>%d</vcpu>\n",
           c->memsize, c->smp > 1 ? c->smp : 1);
  fprintf (f, "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n", nide ? "pc" : "q35");
  fputs ("    <kernel>", f); esc (f, c->kernel); fputs ("</kernel>\n", f);
  fputs ("    <initrd>", f); esc (f, c->initrd); fputs ("</initrd>\n", f);
  fputs ("    <cmdline>", f); esc (f, c->cmdline); fputs ("</cmdline>\n  </os>\n", f);
  /* ACPI tables as qemu gives them by default (the kernel line says
   * acpi=off; without the tables the guest gets no MSI and warns). */
  fputs ("  <features>\n    <acpi/>\n  </features>\n", f);
  if (c->kvm) fputs ("  <cpu mode='host-passthrough'/>\n", f);
  /* The guest halts by rebooting (gk.halt=reboot, panic=-1): end it. */
  fputs ("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
         "  <on_crash>destroy</on_crash>\n  <devices>\n", f);
  /* The console: the first serial port, on our socket. */
  fputs ("    <serial type='unix'>\n      <source mode='connect' path='", f);
  esc (f, c->con_sock);
  fputs ("'/>\n      <target port='0'/>\n    </serial>\n", f);
  if (c->serial_channel) {
    /* set-channel serial: the second 16550 (COM2, ttyS1). */
    fputs ("    <serial type='unix'>\n      <source mode='connect' path='", f);
    esc (f, c->ctl_sock);
    fputs ("'/>\n      <target port='1'/>\n    </serial>\n", f);
  }
  else {
    fputs ("    <controller type='virtio-serial' index='0'>\n", f);
    pci_addr (f, &slot);
    fputs ("    </controller>\n", f);
    fputs ("    <channel type='unix'>\n      <source mode='connect' path='", f);
    esc (f, c->ctl_sock);
    fputs ("'/>\n      <target type='virtio' name='" GK_ABI_CHANNEL_NAME "'/>\n"
           "      <address type='virtio-serial' controller='0' bus='0' port='1'/>\n"
           "    </channel>\n", f);
  }
  fputs ("    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n", f);
  pci_addr (f, &slot);
  fputs ("    </rng>\n", f);
  if (nscsi) {
    fputs ("    <controller type='scsi' index='0' model='virtio-scsi'>\n", f);
    pci_addr (f, &slot);
    fputs ("    </controller>\n", f);
  }
  if (c->network) {
    /* qemu's user-mode stack, as the qemu backend (backends/README.md). */
    fputs ("    <interface type='user'>\n      <model type='virtio'/>\n"
           "      <rom enabled='no'/>\n", f);
    pci_addr (f, &slot);
    fputs ("    </interface>\n", f);
  }
  size_t ide = 0, vd = 0;
  for (size_t i = 0; i < c->nr_drives; i++) {
    const struct gk_int_drive *d = &c->drives[i];
    char dev[16], serial[32];
    snprintf (serial, sizeof serial, GK_ABI_DRIVE_SERIAL "%zu", i);
    const char *ov = c->overlays ? c->overlays[i] : NULL;
    const char *path = ov ? ov : c->drive_paths[i];
    const char *fmt = ov ? "qcow2" : d->format;
    const char *back = ov ? c->drive_paths[i] : NULL;
    if (is_iface (d, "virtio-scsi")) {
      snprintf (dev, sizeof dev, "sd%c", (char) ('a' + i));
      disk (f, path, fmt, d->cachemode, "scsi", dev, serial, 0, back, d->format, &slot, (int) i);
    }
    else if (is_iface (d, "ide")) {
      snprintf (dev, sizeof dev, "hd%c", (char) ('a' + ide));
      disk (f, path, fmt, d->cachemode, "ide", dev, serial, 0, back, d->format, &slot, (int) ide);
      ide++;
    }
    else {
      snprintf (dev, sizeof dev, "vd%c", (char) ('a' + vd++));
      disk (f, path, fmt, d->cachemode, "virtio", dev, serial, 0, back, d->format, &slot, 0);
    }
  }
  /* After the user's drives, as on qemu's command line. */
  if (c->root) {
    char dev[16];
    snprintf (dev, sizeof dev, "vd%c", (char) ('a' + vd++));
    disk (f, c->root, "raw", "writeback", "virtio", dev, GK_ABI_ROOT_SERIAL, 1, NULL, NULL,
          &slot, 0);
  }
  if (c->stage) {
    char dev[16];
    snprintf (dev, sizeof dev, "vd%c", (char) ('a' + vd++));
    disk (f, c->stage, "raw", "unsafe", "virtio", dev, GK_ABI_STAGE_SERIAL, 0, NULL, NULL,
          &slot, 0);
  }
  fputs ("    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n"
         "  </devices>\n", f);
  /* No relabelling: libvirt must never chown or relabel the user's
   * images; qemu runs as the user we name (ourselves on root's
   * session), or as the daemon's qemu user. */
  if (c->dac_label)
    fprintf (f, "  <seclabel type='static' model='dac' relabel='no'>\n"
             "    <label>%s</label>\n  </seclabel>\n", c->dac_label);
  else fputs ("  <seclabel type='none' model='dac'/>\n", f);
  fputs ("</domain>\n", f);
  if (fclose (f) != 0) { free (buf); return NULL; }
  return buf;
}
