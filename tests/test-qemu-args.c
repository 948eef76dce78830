/* Unit test of the qemu command line: the KVM path cannot run on these
 * machines, so check here that it differs from TCG only where intended. */
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "qemu.h"
#include "tap.h"

#define CHANNEL_NAME_TEST "org.guestkit.channel"

static int
has (char **v, const char *s)
{
  for (size_t i = 0; v[i]; i++) if (strcmp (v[i], s) == 0) return 1;
  return 0;
}

static int
has_sub (char **v, const char *s)
{
  for (size_t i = 0; v[i]; i++) if (strstr (v[i], s)) return 1;
  return 0;
}

/* S immediately followed by T. */
static int
has_seq (char **v, const char *s, const char *t)
{
  for (size_t i = 0; v[i] && v[i + 1]; i++)
    if (strcmp (v[i], s) == 0 && strcmp (v[i + 1], t) == 0) return 1;
  return 0;
}

static size_t
count (char **v)
{
  size_t n = 0;
  while (v && v[n]) n++;
  return n;
}

/* Launch by restore: the template and the restored VM are the same
 * machine (the saved state's key is the template's words), the user's
 * drives come only to the restored VM, on the SCSI controller. */
static void
snapshot_checks (const struct gk_int_qemu_cfg *base, char **cold)
{
  struct gk_int_qemu_cfg c = *base;
  c.kvm = 0;
  char **t = gk_int_qemu_snap_argv (&c, "/proc/self/fd/8", 9, 1);
  char **r = gk_int_qemu_snap_argv (&c, "/proc/self/fd/8", 9, 0);
  CHECK (t && r, "snapshot argv built");
  size_t nt = count (t), nr = count (r), diff = 0;
  for (size_t i = 0; t && r && i < nt && i < nr; i++)
    if (strcmp (t[i], r[i]) != 0) {
      diff++;
      CHECK (strstr (t[i], "share=on") && strstr (r[i], "share=off"),
             "the template and the restored VM differ only in share=on/off (word %zu: %s)", i, r[i]);
    }
  CHECK (diff == 1 && nr == nt + 2 * c.nr_drives * 2 + 2,
         "restored VM = template + the drives (2 words each, blockdev + device) + -incoming defer "
         "(%zu vs %zu words, %zu differ)", nr, nt, diff);
  CHECK (r && strcmp (r[nr - 2], "-incoming") == 0 && strcmp (r[nr - 1], "defer") == 0,
         "the state comes over QMP (-incoming defer), last");
  CHECK (t && !has_sub (t, "id=hd0") && !has_sub (t, "gkd0") && !has (t, "-incoming"),
         "the template has no user drive and loads no state");
  CHECK (r && has (r, "scsi-hd,drive=hd0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,serial=gkd0")
         && has (r, "scsi-hd,drive=hd1,bus=scsi0.0,channel=0,scsi-id=1,lun=0,serial=gkd1")
         && !has_sub (r, "virtio-blk-pci,drive=hd"),
         "restored VM: every drive a scsi-hd at target N with serial gkdN (no PCI slot moves)");
  CHECK (r && has_sub (r, "backing.driver=qcow2,backing.file.filename=/img/b.qcow2"),
         "restored VM: the read-only drive keeps its overlay");
  CHECK (t && has (t, "virtio-scsi-pci,id=scsi0") && has_sub (t, " gk.modules=virtio_scsi,sd_mod gk.sd=0")
         && has_sub (t, " gk.snapshot=1"),
         "template: the SCSI controller and drivers, no disk to wait for, snapshot mode");
  CHECK (t && has (t, "q35,accel=tcg,memory-backend=ram0")
         && has (t, "memory-backend-file,id=ram0,size=512M,mem-path=/proc/self/fd/8,share=on"),
         "template: guest RAM in the inherited file, shared");
  CHECK (t && has (t, "socket,id=qmp0,fd=9") && has (t, "chardev=qmp0,mode=control"),
         "QMP on the inherited socket");
  CHECK (!has_sub (cold, "memory-backend") && !has_sub (cold, "qmp") && !has_sub (cold, "gk.snapshot"),
         "a cold boot's command line has none of it");
  /* The key: the same inputs give the same text; memory, accelerator,
   * the kernel line (debug) or the appliance change it. */
  int afd[3] = { 0, 1, 2 }, none[3] = { -1, -1, -1 };
  char *k1 = gk_int_snap_key (t, "/bin/sh", 0, afd), *k2 = gk_int_snap_key (t, "/bin/sh", 0, afd);
  CHECK (k1 && k2 && strcmp (k1, k2) == 0, "the key is stable");
  CHECK (k1 && strstr (k1, "argv memory-backend-file,id=ram0,size=512M") && strstr (k1, "\nqemu "),
         "the key holds the template's words and the qemu binary's identity");
  char *kk = gk_int_snap_key (t, "/bin/sh", 1, afd);
  CHECK (kk && k1 && strcmp (kk, k1) != 0, "a KVM snapshot has another key than a TCG one");
  char *ka = gk_int_snap_key (t, "/bin/sh", 0, none);
  CHECK (ka && k1 && strcmp (ka, k1) != 0, "other appliance files: another key");
  struct gk_int_qemu_cfg c2 = c;
  c2.memsize = 1024;
  char **t2 = gk_int_qemu_snap_argv (&c2, "/proc/self/fd/8", 9, 1);
  char *km = t2 ? gk_int_snap_key (t2, "/bin/sh", 0, afd) : NULL;
  CHECK (km && k1 && strcmp (km, k1) != 0, "other memory size: another key");
  c2 = c; c2.debug = !c.debug;
  char **t3 = gk_int_qemu_snap_argv (&c2, "/proc/self/fd/8", 9, 1);
  char *kd = t3 ? gk_int_snap_key (t3, "/bin/sh", 0, afd) : NULL;
  CHECK (kd && k1 && strcmp (kd, k1) != 0, "another kernel line: another key");
  CHECK (gk_int_snap_fnv64 ("a", 1, GK_FNV64_INIT) == UINT64_C (0xaf63dc4c8601ec8c),
         "FNV-1a 64 of \"a\"");
  free (k1); free (k2); free (kk); free (ka); free (km); free (kd);
  gk_free_strings (t); gk_free_strings (r); gk_free_strings (t2); gk_free_strings (t3);
}

/* add-drive protocol:nbd: the server string is parsed strictly (nothing
 * that could end qemu's option value or start another), and the drive's
 * options name the export, read-only under our overlay. */
static void
nbd_checks (void)
{
  static const struct { const char *in, *host, *sock; int port; } good[] = {
    { "tcp:example.org:10810", "example.org", NULL, 10810 },
    { "tcp:127.0.0.1", "127.0.0.1", NULL, 10809 },
    { "nbd-host_1.lan:1", "nbd-host_1.lan", NULL, 1 },
    { "localhost", "localhost", NULL, 10809 },
    { "[::1]:65535", "::1", NULL, 65535 },
    { "tcp:[fe80::1]", "fe80::1", NULL, 10809 },
    { "unix:/run/nbd sock=x", NULL, "/run/nbd sock=x", 10809 },
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    char *h, *so;
    int port;
    const char *why = NULL;
    int r = gk_int_nbd_server (good[i].in, &h, &port, &so, &why);
    CHECK (r == 0 && port == good[i].port
           && (good[i].host ? h && strcmp (h, good[i].host) == 0 : !h)
           && (good[i].sock ? so && strcmp (so, good[i].sock) == 0 : !so),
           "nbd server '%s' parsed (%s)", good[i].in, why ? why : "ok");
    free (h); free (so);
  }
  static const char *const bad[] = {
    "", "tcp:", "tcp:h,driver=file:1", "h:1,server.path=/x", "-h", ".h", "h:0", "h:65536",
    "h:+80", "h:80x", "h:", "[::1", "[::1]x", "[::1],x:1", "[zz::1]:1", "h\n:1", "unix:",
    "unix:rel", "unix:/a,b", "unix:/a\tb", "h:1:2",
    "unix:/0123456789012345678901234567890123456789012345678901234567890123456789"
    "012345678901234567890123456789012345678",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *h = (char *) 1, *so = (char *) 1;
    int port;
    const char *why = NULL;
    int r = gk_int_nbd_server (bad[i], &h, &port, &so, &why);
    CHECK (r == -1 && why && !h && !so, "nbd server '%s' refused (%s)", bad[i], why ? why : "-");
    if (r == 0) { free (h); free (so); }
  }
  CHECK (gk_int_nbd_export_bad ("") == NULL && gk_int_nbd_export_bad ("dir/exp:1=x") == NULL
         && gk_int_nbd_export_bad ("a,b") && gk_int_nbd_export_bad ("a\nb"),
         "export names: anything but ',' and control characters");
  char *u1 = gk_int_nbd_uri ("::1", 99, NULL, "e"), *u2 = gk_int_nbd_uri (NULL, 0, "/s", "");
  CHECK (u1 && u2 && strcmp (u1, "nbd://[::1]:99/e") == 0
         && strcmp (u2, "nbd+unix:///?socket=/s") == 0, "nbd drives' names in messages");
  free (u1); free (u2);

  struct gk_int_drive d[2] = {
    { "nbd://h:10809/exp", "raw", 0, "writeback", NULL, 0, 0, 0, 0, 0, 0, NULL,
      "exp", "h", 10809, NULL, 0 },
    { "nbd+unix:///?socket=/s", "raw", 1, "none", "virtio-scsi", 0, 0, 0, 0, 0, 0, NULL,
      "", NULL, 0, "/s", 0 },
  };
  int ov[2] = { -1, 13 }, dfd[2] = { -1, -1 };
  struct gk_int_qemu_cfg c = { "qemu-system-x86_64", 0, 512, "/k", "/i", "/r", 0, 2, d, 3, NULL,
                               dfd, 0, 0, 0, ov, 0, NULL, 0, 0, 0 };
  char **v = gk_int_qemu_argv (&c);
  CHECK (v && has (v, "file.driver=nbd,file.server.type=inet,file.server.host=h,"
                   "file.server.port=10809,file.export=exp,format=raw,if=none,id=hd0,cache=writeback"),
         "nbd over TCP, read/write: qemu connects, raw");
  CHECK (v && has (v, "file=/proc/self/fd/13,format=qcow2,if=none,id=hd1,cache=none,aio=threads,"
                   "backing.driver=raw,backing.file.driver=nbd,backing.file.server.type=unix,"
                   "backing.file.server.path=/s"),
         "nbd on a socket, read-only: the export is our overlay's backing node (default export)");
  CHECK (v && !has_sub (v, "nbd://") && !has_sub (v, "nbd+unix"), "the nbd:// names stay out");
  CHECK (v && has (v, "scsi-hd,drive=hd1,bus=scsi0.0,channel=0,scsi-id=1,lun=0,serial=gkd1"),
         "an nbd drive's device as any drive's");
  gk_free_strings (v);
  d[0].nbd_host = (char *) "h,file.driver=file";
  CHECK (gk_int_qemu_argv (&c) == NULL, "a host with a ',' never reaches the command line");
  d[0].nbd_host = (char *) "h";
  d[1].nbd_socket = (char *) "/s,x=y";
  CHECK (gk_int_qemu_argv (&c) == NULL, "nor a socket with a ','");
  d[1].nbd_socket = (char *) "/s";
  d[0].nbd_export = (char *) "e,x=y";
  CHECK (gk_int_qemu_argv (&c) == NULL, "nor an export name with a ','");
  d[0].nbd_export = (char *) "exp";
  ov[1] = -1;
  CHECK (gk_int_qemu_argv (&c) == NULL, "a read-only nbd drive without an overlay is refused");
}

int
main (void)
{
  struct gk_int_drive d[2] = {
    { "/img/a.img", "raw", 0, "writeback", NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
    { "/img/b.qcow2", "qcow2", 1, "unsafe", "virtio-blk", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
  };
  struct gk_int_qemu_cfg c = { "qemu-system-x86_64", 0, 512, "/k", "/i", "/r", 0, 2, d, 3, NULL, NULL, 0, 0, 0, NULL, 0, NULL, 0, 0, 0 };
  int ovl[2] = { -1, 12 };
  c.overlay_fds = ovl;
  char **tcg = gk_int_qemu_argv (&c);
  c.kvm = 1;
  char **kvm = gk_int_qemu_argv (&c);
  CHECK (tcg && kvm, "argv built");
  CHECK (has (tcg, "q35,accel=tcg") && has (kvm, "q35,accel=kvm"), "accelerator per variant");
  CHECK (!has (tcg, "-cpu") && has (kvm, "host"), "-cpu host only with KVM");
  size_t nt = 0, nk = 0;
  while (tcg[nt]) nt++;
  while (kvm[nk]) nk++;
  CHECK (nk == nt + 2, "KVM adds exactly -cpu host (%zu vs %zu words)", nk, nt);
  size_t diff = 0;
  for (size_t i = 0, j = 0; i < nt && j < nk; i++, j++) {
    if (strcmp (kvm[j], "-cpu") == 0) j += 2;
    if (strcmp (tcg[i], kvm[j]) != 0) diff++;
  }
  CHECK (diff == 1, "otherwise identical (only the -machine value differs: %zu)", diff);
  CHECK (has_sub (tcg, "file=/img/a.img,format=raw,") && has_sub (tcg, "cache=writeback"),
         "drive 0 raw writeback");
  CHECK (has (tcg, "file=/proc/self/fd/12,format=qcow2,if=none,id=hd1,cache=unsafe,aio=threads,"
              "backing.driver=qcow2,backing.file.filename=/img/b.qcow2,backing.file.aio=threads")
         && !has_sub (tcg, "snapshot=on"),
         "read-only drive: our nameless qcow2 overlay over the image as its backing node");
  c.overlay_fds = NULL;
  char **noov = gk_int_qemu_argv (&c);
  CHECK (noov == NULL, "a read-only drive without an overlay is refused, not attached writable");
  c.overlay_fds = ovl;
  CHECK (has (tcg, "virtio-blk-pci,drive=hd0,serial=gkd0")
         && has (tcg, "virtio-blk-pci,drive=hd1,serial=gkd1"),
         "drives on virtio-blk in order, serial gkdN (default and explicit iface)");
  CHECK (!has_sub (tcg, "gk.modules=") && !has_sub (tcg, "scsi"),
         "no extra drivers or controllers for virtio-blk drives");
  CHECK (has (tcg, "socket,id=ch0,fd=3") && has_sub (tcg, "name=org.guestkit.channel.0"),
         "control channel is the passed fd");
  CHECK (has_sub (tcg, "file=/r,format=raw,if=none,id=gkroot,readonly=on")
         && has (tcg, "virtio-blk-pci,drive=gkroot,serial=gkroot") && has_sub (tcg, "gk.root=gkroot"),
         "appliance root disk attached read-only, last, and named on the command line");
  CHECK (has (tcg, "-no-reboot") && has_sub (tcg, "panic=-1"), "a guest panic ends qemu");
  CHECK (has_sub (tcg, " quiet") && !has_sub (tcg, "gk.debug=1"), "quiet unless debugging");
  c.debug = 1;
  char **dbg = gk_int_qemu_argv (&c);
  CHECK (dbg && has_sub (dbg, "gk.debug=1") && !has_sub (dbg, " quiet"), "debug shows the console");
  CHECK (!has_sub (tcg, "gkstage"), "no staging disk unless asked (serial datapath)");
  c.stage = "/proc/1/fd/7";
  char **stg = gk_int_qemu_argv (&c);
  CHECK (stg && has_sub (stg, "file=/proc/1/fd/7,format=raw,if=none,id=gkstage,cache=unsafe")
         && has (stg, "virtio-blk-pci,drive=gkstage,serial=gkstage"),
         "blk datapath: the staging disk, named by its serial");
  size_t ns = 0;
  while (stg && stg[ns]) ns++;
  CHECK (stg && ns == nk + 4 && strcmp (stg[ns - 1], "virtio-blk-pci,drive=gkstage,serial=gkstage") == 0,
         "staging disk last: the user's drives keep their names");
  /* The drives as the descriptors add-drive checked: a swap of the file
   * before launch must not change what qemu opens. */
  int fds[2] = { 7, -1 };
  c.drive_fds = fds;
  char **fdv = gk_int_qemu_argv (&c);
  CHECK (fdv && has_sub (fdv, "file=/proc/self/fd/7,format=raw,if=none,id=hd0,")
         && !has_sub (fdv, "file=/img/a.img") && has_sub (fdv, "backing.file.filename=/img/b.qcow2,"),
         "drive with a descriptor: /proc/self/fd/N; without (-1): by name");
  CHECK (fdv && has_sub (fdv, "backing.driver=qcow2,backing.file.filename=/img/b.qcow2,"),
         "read-only drive with no descriptor (a backing chain): its overlay's backing by name");
  gk_free_strings (fdv);
  c.drive_fds = NULL;
  /* The other interfaces and cache modes (gkbench disk's matrix). */
  struct gk_int_drive m[4] = {
    { "/img/s.img", "raw", 0, "none", "virtio-scsi", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
    { "/img/i.img", "raw", 0, "writethrough", "ide", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
    { "/img/t.img", "qcow2", 0, "writeback", "virtio-scsi", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
    { "/img/j.img", "raw", 0, "unsafe", "ide", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL, 0 },
  };
  struct gk_int_qemu_cfg cm = { "qemu-system-x86_64", 0, 512, "/k", "/i", "/r", 0, 4, m, 3, NULL, NULL, 0, 0, 0, NULL, 0, NULL, 0, 0, 0 };
  char **mx = gk_int_qemu_argv (&cm);
  CHECK (mx && has_sub (mx, "file=/img/s.img,format=raw,if=none,id=hd0,cache=none,")
         && has_sub (mx, "id=hd1,cache=writethrough,"), "cache=none and cache=writethrough");
  size_t ctl = 0;
  for (size_t i = 0; mx && mx[i]; i++) ctl += strcmp (mx[i], "virtio-scsi-pci,id=scsi0") == 0;
  CHECK (ctl == 1, "one virtio-scsi controller for all SCSI drives (%zu)", ctl);
  CHECK (mx && has (mx, "scsi-hd,drive=hd0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,serial=gkd0")
         && has (mx, "scsi-hd,drive=hd2,bus=scsi0.0,channel=0,scsi-id=2,lun=0,serial=gkd2"),
         "virtio-scsi drives: scsi-hd with serial gkdN");
  CHECK (mx && has (mx, "ide-hd,drive=hd1,bus=ide.0,unit=0,serial=gkd1")
         && has (mx, "ide-hd,drive=hd3,bus=ide.0,unit=1,serial=gkd3"),
         "IDE drives on the PIIX IDE buses in order");
  CHECK (mx && has (mx, "pc,accel=tcg") && !has_sub (mx, "q35"),
         "IDE drives: the pc machine (the appliance kernel has no AHCI driver)");
  CHECK (mx && has_sub (mx, " gk.modules=virtio_scsi,ata_piix,sd_mod gk.sd=4"),
         "the appliance is told which drivers to load and how many sdX disks to wait for");
  /* add-drive blocksize:4096 (gkfish --blocksize): both sizes on the
   * drive's device, whatever the controller; the default adds nothing. */
  m[1].blocksize = m[2].blocksize = 4096;
  char **bs = gk_int_qemu_argv (&cm);
  CHECK (bs && has (bs, "scsi-hd,drive=hd2,bus=scsi0.0,channel=0,scsi-id=2,lun=0,serial=gkd2,"
                    "logical_block_size=4096,physical_block_size=4096")
         && has (bs, "ide-hd,drive=hd1,bus=ide.0,unit=0,serial=gkd1,"
                 "logical_block_size=4096,physical_block_size=4096")
         && has (bs, "scsi-hd,drive=hd0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,serial=gkd0"),
         "blocksize 4096: logical and physical block size on that drive's device only");
  gk_free_strings (bs);
  m[1].blocksize = m[2].blocksize = 0;
  m[1].iface = m[3].iface = "virtio-scsi";
  char **sc = gk_int_qemu_argv (&cm);
  CHECK (sc && has_sub (sc, " gk.modules=virtio_scsi,sd_mod gk.sd=4") && !has_sub (sc, "ide-hd")
         && has (sc, "q35,accel=tcg"), "SCSI only: q35, no IDE driver");
  /* set-network: off (the default) adds nothing at all, so the command
   * line and launch time are what they were; on adds only the user-mode
   * network, its NIC and the two kernel keys. */
  CHECK (!has_sub (tcg, "-netdev") && !has_sub (tcg, "virtio-net") && !has_sub (tcg, "gk.net")
         && !has_sub (tcg, "virtio_net") && !has_sub (tcg, "-nic") && !has (tcg, "-net"),
         "network off: no netdev, NIC, module or gk.net");
  /* set-smp: one CPU (the default) adds nothing; two is "-smp 2". */
  CHECK (!has (tcg, "-smp"), "smp 1: no -smp");
  struct gk_int_qemu_cfg cs = c;
  cs.smp = 2;
  char **smp = gk_int_qemu_argv (&cs);
  CHECK (smp && has_seq (smp, "-smp", "2"), "smp 2: -smp 2");
  struct gk_int_qemu_cfg cn = c;
  cn.kvm = 0; cn.debug = 0; cn.stage = NULL; cn.drive_fds = NULL;
  cn.network = 1;
  char **net = gk_int_qemu_argv (&cn);
  size_t nn = 0;
  while (net && net[nn]) nn++;
  CHECK (net && nn == nt + 4, "network on: 4 more words (%zu vs %zu)", nn, nt);
  CHECK (net && has (net, "user,id=net0,ipv6=off") && has (net, "virtio-net-pci,netdev=net0,romfile="),
         "network on: user-mode netdev and a virtio-net NIC");
  CHECK (net && !has_sub (net, "hostfwd") && !has_sub (net, "guestfwd") && !has_sub (net, "smb="),
         "network on: no port of the host or the guest is forwarded");
  CHECK (net && has_sub (net, " gk.modules=virtio_net gk.net=1") && !has_sub (net, "gk.sd="),
         "network on: the appliance loads virtio_net and configures eth0");
  size_t ndiff = 0;
  for (size_t i = 0, j = 0; net && i < nt && j < nn; i++, j++) {
    if (strcmp (net[j], "-netdev") == 0) j += 4;
    if (strcmp (tcg[i], net[j]) != 0) ndiff++;
  }
  CHECK (ndiff == 1, "network on: otherwise identical (only -append differs: %zu)", ndiff);
  cm.network = 1;
  char **mxn = gk_int_qemu_argv (&cm);
  CHECK (mxn && has_sub (mxn, " gk.modules=virtio_net,virtio_scsi,sd_mod gk.sd=4 gk.net=1"),
         "network with SCSI drives: one module list, the disk count unchanged");
  /* set-channel: virtio-serial (the default) keeps the command line it
   * always had; serial moves the channel to the second 16550 (ttyS1). */
  CHECK (has (tcg, "console=ttyS0 panic=-1 no_timer_check tsc=reliable 8250.nr_uarts=1 "
              "cryptomgr.notests edd=off mitigations=off nokaslr acpi=off gk.halt=reboot "
              "gk.root=gkroot quiet")
         && has (tcg, "virtio-serial-pci") && !has_sub (tcg, "gk.channel") && !has (tcg, "chardev:ch0"),
         "virtio-serial channel: the kernel line and devices as before");
  struct gk_int_qemu_cfg csr = c;
  csr.kvm = 0; csr.debug = 0; csr.stage = NULL; csr.drive_fds = NULL; csr.network = 0;
  csr.serial_channel = 1;
  char **ser = gk_int_qemu_argv (&csr);
  size_t nsr = 0;
  while (ser && ser[nsr]) nsr++;
  CHECK (ser && !has_sub (ser, "virtio-serial") && !has_sub (ser, "virtserialport")
         && !has_sub (ser, CHANNEL_NAME_TEST), "serial channel: no virtio-serial device at all");
  size_t sock = 0, s1 = 0, s0 = 0;
  for (size_t i = 0; ser && i + 1 < nsr; i++) {
    if (strcmp (ser[i], "socket,id=ch0,fd=3") == 0) sock = i;
    if (strcmp (ser[i], "-serial") == 0 && strcmp (ser[i + 1], "chardev:con0") == 0) s0 = i;
    if (strcmp (ser[i], "-serial") == 0 && strcmp (ser[i + 1], "chardev:ch0") == 0) s1 = i;
  }
  CHECK (sock && s0 && s1 && s0 < s1 && sock < s1,
         "serial channel: the socket chardev (fd 3) is the second -serial, after the console");
  CHECK (ser && has (ser, "console=ttyS0 panic=-1 no_timer_check tsc=reliable 8250.nr_uarts=2 "
                     "cryptomgr.notests edd=off mitigations=off nokaslr acpi=off gk.halt=reboot "
                     "gk.channel=/dev/ttyS1 gk.root=gkroot quiet"),
         "serial channel: two UARTs, the daemon told to open /dev/ttyS1");
  CHECK (nsr == nt - 2, "serial channel: 2 words less (-serial X for two -device Y: %zu vs %zu)",
         nsr, nt);
  size_t sdiff = 0;
  for (size_t i = 0, j = 0; ser && i < nt && j < nsr; i++, j++) {
    if (j + 1 < nsr && strcmp (ser[j], "-serial") == 0 && strcmp (ser[j + 1], "chardev:ch0") == 0) j += 2;
    if (i + 1 < nt && strcmp (tcg[i + 1], "virtio-serial-pci") == 0) i += 4;
    if (strcmp (tcg[i], ser[j]) != 0) sdiff++;
  }
  CHECK (sdiff == 1, "serial channel: otherwise identical (only -append differs: %zu)", sdiff);
  csr.stage = "/proc/1/fd/7";
  char **sst = gk_int_qemu_argv (&csr);
  CHECK (sst && has (sst, "virtio-blk-pci,drive=gkstage,serial=gkstage") && has (sst, "chardev:ch0"),
         "serial channel with the blk datapath: the staging disk is still attached");
  gk_free_strings (ser);
  gk_free_strings (sst);
  snapshot_checks (&c, tcg);
  nbd_checks ();
  gk_free_strings (net);
  gk_free_strings (smp);
  gk_free_strings (mxn);
  gk_free_strings (mx);
  gk_free_strings (sc);
  gk_free_strings (tcg);
  gk_free_strings (kvm);
  gk_free_strings (dbg);
  gk_free_strings (stg);
  return tap_done ();
}

/* The test links backends/qemu-args.c alone. */
void
gk_free_strings (char **l)
{
  if (!l) return;
  for (size_t i = 0; l[i]; i++) free (l[i]);
  free (l);
}
