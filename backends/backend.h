/* guestkit backends: one file per backend, one struct of operations.
 * Fields are only ever appended; struct_size says which exist. */
#ifndef GK_BACKEND_H
#define GK_BACKEND_H

#include <sys/types.h>
#include "guestkit.h"

/* What the library hands a backend.  The interface needs only these
 * types; a backend's runtime part (qemu.c, uml.c) reads the handle and
 * reports errors through lib/internal.h, the pure command-line builders
 * (qemu-args.c, uml-args.c) and their tests need nothing of lib/. */
struct gk_int_appliance;        /* lib/internal.h */

/* One drive as add-drive checked it (lib/drives.c). */
struct gk_int_drive {
  char *filename;       /* absolute path */
  char *format;         /* "raw" or "qcow2" */
  int readonly;
  char *cachemode;      /* "writeback", "none", "writethrough" or "unsafe" */
  char *iface;          /* "virtio-blk", "virtio-scsi" or "ide" */
  /* The descriptor add-drive checked (the VM opens it as
   * /proc/self/fd/N), the checks it passed, and what it allowed. */
  int fd;
  int allow_backing, allow_data_file;
  int has_backing;      /* qcow2 with a backing file (allowed) */
};

struct gk_int_backend_ops {
  size_t struct_size;
  const char *name;             /* "qemu", "uml" */
  const char *flavour;          /* which cached appliance it boots */
  int max_drives;
  /* Can it run here?  Choose the variant (e.g. kvm or tcg; VARIANT is
   * what the user forced, or NULL), set g->backend_used.  -1 + error. */
  int (*prepare) (gk_h *g, const char *variant);
  /* Start the VM: CTL is the appliance end of the control channel,
   * CONSOLE where its console and errors go.  Returns the pid, or -1. */
  pid_t (*start) (gk_h *g, const struct gk_int_appliance *ap, int ctl, int console);
  /* Optional: after the main process is gone, remove what else it left
   * (helper processes, files). */
  void (*cleanup) (gk_h *g);
};

extern const struct gk_int_backend_ops gk_int_backend_qemu;
extern const struct gk_int_backend_ops gk_int_backend_uml;

/* "qemu:tcg" -> qemu ops, *variant_r = "tcg".  NULL if unknown. */
const struct gk_int_backend_ops *gk_int_find_backend (const char *name,
                                                      const char **variant_r);

/* Start ARGV (common/spawn.h) with the console on stdout/stderr, CTL as
 * fd 3, INHERIT[k] as fd 4+k (skipped when -1), no other fds, its own
 * process group, and SIGKILL when we (the forking thread) die.  The pid,
 * or -1 + error (also when it cannot be executed). */
pid_t gk_int_spawn (gk_h *g, char *const *argv, int ctl, int console,
                    const int *inherit, size_t n);
#define GK_INHERIT_MAX 63

/* Wait up to GRACE_MS for the backend process to exit, then kill it.
 * Returns its wait status (-1 if there was none). */
int gk_int_backend_reap (gk_h *g, int grace_ms);

/* qemu-args.c: the qemu command line, a pure function (unit-tested). */
struct gk_int_qemu_cfg {
  const char *qemu;             /* binary */
  int kvm;                      /* 1: KVM, 0: TCG */
  int memsize;                  /* MiB */
  const char *kernel, *initrd;
  const char *root;             /* appliance root image, or NULL */
  int debug;
  size_t nr_drives;
  const struct gk_int_drive *drives;
  int ctl_fd;
  const char *stage;            /* staging disk (common/stage.h), or NULL */
  /* Per drive: the inherited descriptor qemu opens as /proc/self/fd/N,
   * or -1 (or no array): by file name. */
  const int *drive_fds;
  int network;                  /* user-mode network + virtio-net NIC */
  int smp;                      /* set-smp: virtual CPUs; 0 or 1: no -smp */
  int serial_channel;           /* 1: the channel on a 16550 (ttyS1), not virtio-serial */
};
char **gk_int_qemu_argv (const struct gk_int_qemu_cfg *c);
#define GK_QEMU_MAX_IDE 4       /* the pc machine's two IDE buses, two units each */
char *gk_int_qemu_append (int debug, int root, int serial_channel);

/* uml-args.c: the UML command line and COW header, pure functions
 * (unit-tested in tests/test-uml-args.c). */
#include <stdint.h>
#define GK_UML_COW_PATH_MAX 4096
#define GK_UML_COW_HDR (32 + GK_UML_COW_PATH_MAX)
#define GK_UML_COW_SECTOR 512
#define GK_UML_COW_ALIGN 4096
struct gk_int_uml_cfg {
  const char *uml;              /* binary */
  int memsize;                  /* MiB */
  const char *initrd;
  const char *root;             /* appliance root image, or NULL */
  const char *stage;            /* staging disk (common/stage.h), or NULL */
  int debug;
  size_t nr_drives;
  const struct gk_int_drive *drives;
  const int *cow_fds;           /* per drive: inherited COW fd, or -1 */
  int ctl_fd;
  int fastboot;                 /* skip the RAID6/XOR boot benchmarks */
  /* Per drive: the inherited descriptor of the image, opened by UML as
   * /proc/self/fd/N, or -1 (or no array): by file name. */
  const int *drive_fds;
};
#define GK_UML_FASTBOOT "initcall_blacklist=raid6_select_algo,calibrate_xor_blocks"
char **gk_int_uml_argv (const struct gk_int_uml_cfg *c);
char *gk_int_uml_append (int debug, int root, int fastboot);
const char *gk_int_uml_bad_path (const char *path);
/* 1 if M (the first 4 bytes of a file) is a UML COW header's magic. */
int gk_int_uml_cow_magic (const unsigned char m[4]);
/* Fill HDR for a COW file over BACKING (SIZE bytes, mtime MTIME s);
 * *FILE_SIZE_R: the size the COW file must have.  -1 if impossible. */
int gk_int_uml_cow_header (unsigned char hdr[GK_UML_COW_HDR], const char *backing,
                           uint64_t size, uint64_t mtime, uint64_t *file_size_r);

#endif
