/* guestkit qemu backend: the command line.  KVM and TCG differ only in
 * the accelerator and -cpu; everything else is shared so the TCG path
 * tested here is the KVM path too (tests/test-qemu-args.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"

#define CHANNEL_NAME "org.guestkit.channel.0"
#define ROOT_SERIAL "gkroot"      /* the daemon hides this disk */

/* Kernel flags, each measured under TCG (shared/research RESULTS.md):
 * quiet (the emulated UART is slow, -0.2 s), acpi=off (-0.3 s: no ACPI
 * PCI link setup), no_timer_check/tsc=reliable/8250.nr_uarts=1/
 * cryptomgr.notests/edd=off (skip probes).  panic=-1 turns a guest panic
 * into an immediate exit (with -no-reboot) instead of a hang. */
char *
gk_int_qemu_append (int debug, int root)
{
  char *s = NULL;
  if (asprintf (&s, "console=ttyS0 panic=-1 no_timer_check tsc=reliable "
                "8250.nr_uarts=1 cryptomgr.notests edd=off mitigations=off "
                "nokaslr acpi=off gk.halt=reboot%s %s",
                root ? " gk.root=" ROOT_SERIAL : "",
                debug ? "gk.debug=1 printk.time=1" : "quiet") == -1)
    return NULL;
  return s;
}

struct argv { char **v; size_t n, cap; int oom; };

static void
add (struct argv *a, const char *s)
{
  if (a->oom) return;
  if (a->n + 2 > a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 32;
    char **v = realloc (a->v, cap * sizeof *v);
    if (!v) { a->oom = 1; return; }
    a->v = v; a->cap = cap;
  }
  if (!(a->v[a->n] = strdup (s))) { a->oom = 1; return; }
  a->v[++a->n] = NULL;
}

static void
addf (struct argv *a, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
addf (struct argv *a, const char *fmt, ...)
{
  char *s = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r == -1) { a->oom = 1; return; }
  add (a, s);
  free (s);
}

char **
gk_int_qemu_argv (const struct gk_int_qemu_cfg *c)
{
  struct argv a = { 0 };
  add (&a, c->qemu);
  add (&a, "-machine");
  addf (&a, "q35,accel=%s", c->kvm ? "kvm" : "tcg");
  if (c->kvm) { add (&a, "-cpu"); add (&a, "host"); }
  /* (TCG: the default CPU model; -cpu max measured 0.1 s slower.) */
  add (&a, "-nodefaults"); add (&a, "-no-user-config");
  add (&a, "-display"); add (&a, "none");
  add (&a, "-no-reboot");
  add (&a, "-m"); addf (&a, "%d", c->memsize);
  /* An uncompressed vmlinux boots via PVH: no firmware real-mode setup
   * and no decompression (-0.3 s). */
  add (&a, "-kernel"); add (&a, c->kernel);
  add (&a, "-initrd"); add (&a, c->initrd);
  char *app = gk_int_qemu_append (c->debug, c->root != NULL);
  if (!app) a.oom = 1;
  else { add (&a, "-append"); add (&a, app); free (app); }
  add (&a, "-chardev"); add (&a, "stdio,id=con0,signal=off");
  add (&a, "-serial"); add (&a, "chardev:con0");
  add (&a, "-chardev"); addf (&a, "socket,id=ch0,fd=%d", c->ctl_fd);
  /* Entropy for mkfs UUIDs and the like, without waiting (-4 s). */
  add (&a, "-object"); add (&a, "rng-random,id=rng0,filename=/dev/urandom");
  add (&a, "-device"); add (&a, "virtio-rng-pci,rng=rng0");
  add (&a, "-device"); add (&a, "virtio-serial-pci");
  add (&a, "-device"); add (&a, "virtserialport,chardev=ch0,name=" CHANNEL_NAME);
  for (size_t i = 0; i < c->nr_drives; i++) {
    const struct gk_int_drive *d = &c->drives[i];
    add (&a, "-drive");
    /* snapshot=on: writes go to a temporary overlay that qemu unlinks at
     * once, and the image itself is opened read-only. */
    addf (&a, "file=%s,format=%s,if=none,id=hd%zu,cache=%s,aio=threads%s",
          d->filename, d->format, i, d->cachemode, d->readonly ? ",snapshot=on" : "");
    add (&a, "-device");
    addf (&a, "virtio-blk-pci,drive=hd%zu", i);
  }
  if (c->root) {
    /* Last, so the user's drives keep their order; shared read-only by
     * every appliance running at once. */
    add (&a, "-drive");
    addf (&a, "file=%s,format=raw,if=none,id=gkroot,readonly=on,cache=writeback,aio=threads", c->root);
    add (&a, "-device");
    add (&a, "virtio-blk-pci,drive=gkroot,serial=" ROOT_SERIAL);
  }
  if (c->stage) {
    /* The blk datapath's staging disk (a memfd of the library). */
    add (&a, "-drive");
    addf (&a, "file=%s,format=raw,if=none,id=gkstage,cache=unsafe,aio=threads,file.locking=off",
          c->stage);
    add (&a, "-device");
    add (&a, "virtio-blk-pci,drive=gkstage,serial=gkstage");
  }
  if (a.oom) {
    if (a.v) for (size_t i = 0; i < a.n; i++) free (a.v[i]);
    free (a.v);
    return NULL;
  }
  return a.v;
}
