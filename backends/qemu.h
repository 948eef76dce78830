/* guestkit qemu backend: what qemu.c (cold boot) and qemu-snap.c (launch
 * by restore) share. */
#ifndef GK_BACKENDS_QEMU_H
#define GK_BACKENDS_QEMU_H
#include "backend.h"

/* The descriptors qemu inherits, at fixed numbers, so that a template's
 * command line and a restored VM's are the same words (the snapshot's
 * key).  fd 3 is the control channel; -1 entries are left closed. */
enum {
  QFD_KERNEL = 4, QFD_INITRD, QFD_ROOT, QFD_STAGE, QFD_RAM, QFD_QMP, QFD_STATE,
  QFD_DRIVES,                   /* then per drive: its image, its overlay */
  QFD_END = QFD_DRIVES + 2 * GK_MAX_DRIVES,
};

struct gk_int_qemu_run {
  struct gk_int_qemu_cfg cfg;
  int inherit[QFD_END - 4];     /* the descriptor that becomes fd 4+k, or -1 */
  int dfd[GK_MAX_DRIVES];       /* per drive: its image's number in qemu, or -1: by name */
  int ofd[GK_MAX_DRIVES];       /* per drive: our read-only overlay, or -1 */
  int ov[GK_MAX_DRIVES];        /* its number in qemu, or -1 */
  char kernel[32], initrd[32], root[32], stage[32], ram[32];
};

const char *gk_int_qemu_binary (void);
/* Fill R for VM and appliance AP: the command line's settings and the
 * inherited descriptors, with an overlay (qemu-ro.c) for each read-only
 * drive.  -1 + vm->err.  gk_int_qemu_run_free closes the overlays. */
int gk_int_qemu_run_init (struct gk_int_vm *vm, const struct gk_int_appliance *ap,
                          struct gk_int_qemu_run *r);
void gk_int_qemu_run_free (struct gk_int_qemu_run *r);
/* Spawn ARGV with R's descriptors (CTL as fd 3); debug shows it. */
pid_t gk_int_qemu_spawn (struct gk_int_vm *vm, const struct gk_int_qemu_run *r,
                         char **argv, int ctl, int console);

/* qemu-ro.c: the overlay of read-only drive D: a descriptor, or -1 + vm->err. */
int gk_int_qemu_overlay (struct gk_int_vm *vm, const struct gk_int_drive *d);

/* qemu-snap.c: start by restoring a saved, booted appliance (saving one
 * first when none fits).  The pid, or -1 with vm->how saying why (the
 * caller boots cold). */
pid_t gk_int_qemu_restore (struct gk_int_vm *vm, struct gk_int_qemu_run *r, int ctl, int console);
void gk_int_qemu_restore_failed (struct gk_int_vm *vm);
/* qemu-snap-key.c: the saved state's key (pure but for the files it identifies): the
 * template's command line, the qemu binary at QEMU_PATH, firmware, the
 * appliance's files (kernel, initrd, root descriptors), the boot, the
 * host CPU under KVM.  malloc'd text, or NULL. */
#include <stdint.h>
char *gk_int_snap_key (char *const *tmpl_argv, const char *qemu_path, int kvm,
                       const int appliance_fds[3]);
uint64_t gk_int_snap_fnv64 (const void *p, size_t n, uint64_t h);
#define GK_FNV64_INIT UINT64_C (0xcbf29ce484222325)
/* qemu.c: 1 if /dev/kvm opens (used by the qemu and libvirt backends). */
int gk_int_qemu_kvm_usable (void);

#endif
