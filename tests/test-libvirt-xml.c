/* Unit test of the libvirt backend's domain XML (backends/libvirt-xml.c):
 * the machine, accelerator, devices, serials, read-only overlays, cache
 * modes, the channel's two kinds, escaping, no relabelling. */
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "libvirt.h"
#include "tap.h"

static size_t
count (const char *s, const char *what)
{
  size_t n = 0;
  for (const char *p = s; (p = strstr (p, what)); p += strlen (what)) n++;
  return n;
}

int
main (void)
{
  struct gk_int_drive d[3] = {
    { .filename = "/img/a&b.img", .format = "raw", .cachemode = "none", .iface = "virtio-blk" },
    { .filename = "/img/b.qcow2", .format = "qcow2", .readonly = 1, .cachemode = "writeback",
      .iface = "virtio-scsi" },
    { .filename = "/img/c.img", .format = "raw", .cachemode = "unsafe", .iface = NULL },
  };
  const char *paths[3] = { "/proc/9/fd/20", "/proc/9/fd/21", "/proc/9/fd/22" };
  const char *ovs[3] = { NULL, "/proc/9/fd/30", NULL };
  struct gk_int_libvirt_cfg c = {
    .name = "guestkit-9-0", .kvm = 0, .memsize = 512, .smp = 2,
    .kernel = "/proc/9/fd/4", .initrd = "/proc/9/fd/5", .root = "/proc/9/fd/6",
    .stage = "/proc/9/fd/7", .cmdline = "console=ttyS0 quiet", .nr_drives = 3, .drives = d,
    .drive_paths = paths, .overlays = ovs, .ctl_sock = "/t/gk/ctl", .con_sock = "/t/gk/con",
    .dac_label = "+0:+0",
  };
  char *x = gk_int_libvirt_xml (&c);
  CHECK (x != NULL, "XML built");
  if (!x) return tap_done ();
  CHECK (strstr (x, "<domain type='qemu'>") && !strstr (x, "host-passthrough"),
         "TCG: domain type qemu, no host CPU");
  CHECK (strstr (x, "machine='q35'") && strstr (x, "<vcpu>2</vcpu>")
         && strstr (x, "<memory unit='MiB'>512</memory>"), "q35, CPUs, memory");
  CHECK (strstr (x, "<kernel>/proc/9/fd/4</kernel>") && strstr (x, "<initrd>/proc/9/fd/5</initrd>")
         && strstr (x, "<cmdline>console=ttyS0 quiet</cmdline>"), "direct kernel boot");
  CHECK (strstr (x, "<on_reboot>destroy</on_reboot>") && strstr (x, "<acpi/>"),
         "the guest's reboot ends the domain; ACPI tables as qemu's default");
  CHECK (strstr (x, "<serial>gkd0</serial>") && strstr (x, "<serial>gkd1</serial>")
         && strstr (x, "<serial>gkd2</serial>") && strstr (x, "<serial>gkroot</serial>")
         && strstr (x, "<serial>gkstage</serial>"), "drive serials");
  CHECK (strstr (x, "cache='none'") && strstr (x, "cache='unsafe'"), "cache modes");
  CHECK (strstr (x, "<source file='/proc/9/fd/30'/>")
         && strstr (x, "type='qcow2' cache='writeback'")
         && strstr (x, "<format type='qcow2'/>\n        <source file='/proc/9/fd/21'/>"),
         "read-only drive: qcow2 overlay over the image as its backingStore");
  CHECK (count (x, "<readonly/>") == 1, "only the appliance root is <readonly/>");
  CHECK (strstr (x, "bus='scsi'") && strstr (x, "model='virtio-scsi'")
         && strstr (x, "target='1' unit='0'"), "virtio-scsi drive at target = its index");
  CHECK (strstr (x, "<channel type='unix'>") && strstr (x, "path='/t/gk/ctl'")
         && strstr (x, "name='org.guestkit.channel.0'") && count (x, "<serial type='unix'>") == 1,
         "virtio-serial channel on the ctl socket; console the only serial port");
  CHECK (strstr (x, "<controller type='usb' model='none'/>")
         && strstr (x, "<memballoon model='none'/>"), "no USB, no balloon");
  CHECK (strstr (x, "relabel='no'") && strstr (x, "<label>+0:+0</label>"),
         "static DAC label, never relabelled");
  CHECK (count (x, "slot='0x") == 7 && strstr (x, "slot='0x02'") && strstr (x, "slot='0x08'"),
         "7 devices on the root bus, slots 2..8");
  free (x);

  /* KVM, the serial channel, IDE, network, no stage, system mode. */
  d[0].iface = "ide";
  c.kvm = 1; c.serial_channel = 1; c.network = 1; c.stage = NULL; c.dac_label = NULL;
  c.name = "a<b";
  paths[0] = "/img/a&b.img";
  x = gk_int_libvirt_xml (&c);
  CHECK (x && strstr (x, "<domain type='kvm'>") && strstr (x, "host-passthrough"),
         "KVM: type kvm, the host CPU");
  CHECK (x && strstr (x, "machine='pc'") && strstr (x, "bus='ide'"), "IDE: the pc machine");
  CHECK (x && count (x, "<serial type='unix'>") == 2 && strstr (x, "<target port='1'/>")
         && !strstr (x, "virtio-serial"), "serial channel: the second UART, no virtio-serial");
  CHECK (x && strstr (x, "<interface type='user'>") && strstr (x, "<rom enabled='no'/>"),
         "network: user-mode NIC without option ROM");
  CHECK (x && strstr (x, "<name>a&lt;b</name>") && strstr (x, "'/img/a&amp;b.img'")
         && !strstr (x, "gkstage"), "escaped name and path; no stage");
  CHECK (x && strstr (x, "<seclabel type='none' model='dac'/>"), "no label: no relabelling");
  free (x);
  return tap_done ();
}
