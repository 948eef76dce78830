/* guestkit backends: one file per backend, one struct of operations.
 * Fields are only ever appended; struct_size says which exist. */
#ifndef GK_BACKEND_H
#define GK_BACKEND_H

#include <stdint.h>
#include <sys/types.h>
#include "guestkit.h"

/* What the library hands a backend.  backends/ needs nothing of lib/:
 * the library (the layer above) picks a backend, fills a struct
 * gk_int_vm with everything the backend may know, and copies the
 * backend's answers (its error, the variant it chose) back onto the
 * handle. */

#define GK_MAX_DRIVES 24

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
  uint64_t size;        /* virtual size in bytes (a read-only drive's overlay has it) */
  int blocksize;        /* sector size: 0 (default, 512) or 4096 */
  char *label;          /* add-drive's label (/dev/disk/guestfs/LABEL), or NULL;
                           the library's alone (lib/labels.c) */
  /* add-drive protocol:nbd (nbd.c): the export's name ("": the server's
   * default), on HOST:PORT or the unix SOCKET.  NULL nbd_export: a local
   * file.  An nbd drive has no fd (0) and is raw; its filename is an
   * nbd:// URI, for messages only. */
  char *nbd_export;
  char *nbd_host;
  int nbd_port;
  char *nbd_socket;
  int format_given;     /* given to add-drive, not detected (debug-drives) */
};

/* nbd.c: NBD drives, checked strictly (their parts reach qemu's option
 * strings).  Each check returns NULL when fine, else why not. */
#define GK_NBD_DEFAULT_PORT 10809
const char *gk_int_nbd_socket_bad (const char *socket);
const char *gk_int_nbd_export_bad (const char *export);
/* SERVER (tcp:HOST:PORT, tcp:HOST, HOST:PORT, HOST, [IPV6]:PORT, or
 * unix:/SOCKET) into *HOST (malloc'd; IPv6 without brackets) and *PORT,
 * or *SOCKET (malloc'd).  0, or -1 with *WHY (static text). */
int gk_int_nbd_server (const char *server, char **host, int *port, char **socket,
                       const char **why);
/* The drive's name in messages: nbd://HOST:PORT/EXPORT or
 * nbd+unix:///EXPORT?socket=SOCKET.  Malloc'd, NULL: out of memory. */
char *gk_int_nbd_uri (const char *host, int port, const char *socket, const char *export);
/* qemu's block options opening D's export, every key after PREFIX
 * ("file.", "backing.file."): malloc'd, or NULL (out of memory, or a
 * part that is not as the checks above require). */
char *gk_int_nbd_opts (const struct gk_int_drive *d, const char *prefix);

/* The appliance a launch boots (lib/appliance.c finds or builds it). */
struct gk_int_appliance {
  char *dir;            /* cache directory */
  char *kernel;         /* kernel to boot (vmlinux for PVH, or bzImage) */
  char *initrd;         /* initramfs (cpio) */
  char *root;           /* ext2 image of the appliance tree, or NULL */
  int pvh;              /* kernel is an uncompressed ELF with a PVH note */
  /* The same files, opened together from one published directory: the
   * VM gets these (a concurrent rebuild cannot mix versions).  root_fd
   * is -1 when there is no root. */
  int kernel_fd, initrd_fd, root_fd;
};

/* A backend's error: the library copies it onto the handle as it is
 * (so the user sees the backend's own words). */
struct gk_int_vm_err {
  int errnum;
  char *msg;            /* malloc'd, or NULL: no error */
};

/* One launch, as the library asks for it (set before prepare, except
 * the staging disk: before start) and as the backend answers. */
struct gk_int_vm {
  const struct gk_int_drive *drives;
  size_t nr_drives;
  int memsize;          /* MiB */
  int smp;              /* virtual CPUs; 0 or 1: the default */
  int network;          /* user-mode network */
  int debug;            /* debug lines and the command line on stderr */
  int serial_channel;   /* 1: the control channel on a serial line */
  int kvm_broken;       /* KVM failed to run the appliance on this boot */
  int timeout_ms;       /* the launch's limit (GUESTKIT_LAUNCH_TIMEOUT), or -1: none */
  const char *stage;    /* staging disk (common/stage.h), or NULL */
  int stage_fd;         /* its memfd (valid when stage) */
  /* Launch by restoring a saved, booted appliance (qemu; qemu-snap.c):
   * the directory of saved states, or NULL for a cold boot. */
  const char *snapshot_dir;
  /* The backend's answers. */
  const char *used;     /* after prepare: "qemu:kvm", "qemu:tcg", "uml" */
  int restored;         /* after start: 1 if restored (the library sends RESUME) */
  int start_fatal;      /* start failed for a reason a cold boot shares (KVM cannot
                         * run the guest; the restored qemu was killed): no fallback */
  char how[1024];        /* after start: the path taken, and why (debug, get-launch-path) */
  struct { const char *name; int64_t us; } timings[8];   /* phases measured by start */
  size_t ntimings;
  char snap_dir[4200];  /* the saved state a restore came from (restore_failed) */
  void *data;           /* its private data, until cleanup */
  struct gk_int_vm_err err;   /* set when an operation returned -1 */
  const char *libvirt_uri;     /* libvirt: the URI after "libvirt:", or NULL */
  int no_stage;                /* after prepare: the backend attaches no staging disk */
};

struct gk_int_backend_ops {
  size_t struct_size;
  const char *name;             /* "qemu", "uml" */
  const char *flavour;          /* which cached appliance it boots */
  int max_drives;
  /* Can it run here?  Choose the variant (e.g. kvm or tcg; VARIANT is
   * what the user forced, or NULL), set vm->used.  -1 + vm->err. */
  int (*prepare) (struct gk_int_vm *vm, const char *variant);
  /* Start the VM: CTL is the appliance end of the control channel,
   * CONSOLE where its console and errors go.  Returns the pid, or -1 +
   * vm->err. */
  pid_t (*start) (struct gk_int_vm *vm, const struct gk_int_appliance *ap,
                  int ctl, int console);
  /* Optional: after the main process is gone, remove what else it left
   * (helper processes, files). */
  void (*cleanup) (struct gk_int_vm *vm);
  /* Optional: a restored VM (vm->restored) did not become ready: never
   * restore that saved state again. */
  void (*restore_failed) (struct gk_int_vm *vm);
};

extern const struct gk_int_backend_ops gk_int_backend_qemu;
extern const struct gk_int_backend_ops gk_int_backend_uml;
extern const struct gk_int_backend_ops gk_int_backend_libvirt;

/* "qemu:tcg" -> qemu ops, *variant_r = "tcg".  NULL if unknown. */
const struct gk_int_backend_ops *gk_int_find_backend (const char *name,
                                                      const char **variant_r);

/* vm.c: a backend's errors, debug lines and measured phases. */
void gk_int_vm_timing (struct gk_int_vm *vm, const char *name, int64_t us);
void gk_int_vm_error (struct gk_int_vm *vm, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* The same, with ": strerror (errno)" appended. */
void gk_int_vm_perror (struct gk_int_vm *vm, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* "guestkit: ..." on stderr when vm->debug. */
void gk_int_vm_debug (struct gk_int_vm *vm, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* Start ARGV (common/hostspawn.h) with the console on stdout/stderr, CTL
 * as fd 3, INHERIT[k] as fd 4+k (skipped when -1), no other fds, its own
 * process group, and SIGKILL when we (the forking thread) die.  The pid,
 * or -1 + vm->err (also when it cannot be executed). */
pid_t gk_int_vm_spawn (struct gk_int_vm *vm, char *const *argv, int ctl, int console,
                       const int *inherit, size_t n);
#define GK_INHERIT_MAX 63
/* -1 + vm->err if a drive is an nbd export (BACKEND cannot attach one). */
int gk_int_vm_refuse_nbd (struct gk_int_vm *vm, const char *backend);
/* A file with no name in $TMPDIR (default /var/tmp): nothing to remove,
 * whatever kills us.  Its descriptor, or -1 + vm->err naming WHAT OF. */
int gk_int_vm_tmpfile (struct gk_int_vm *vm, const char *what, const char *of);

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
  /* Per drive: the inherited descriptor of a read-only drive's overlay
   * (a qcow2 file with no name; qemu-ro.c), which qemu opens as
   * /proc/self/fd/N with the image as its backing node.  A read-only
   * drive without one is refused (NULL). */
  const int *overlay_fds;
  /* Launch by restore (qemu-snap.c): the template's machine, which boots
   * with no user drive (gk.snapshot=1, a virtio-scsi controller, its
   * drivers loaded) and keeps guest RAM in MEM_PATH (share=on while the
   * template runs; share=off, mapped privately, in a restored VM).  In
   * that machine the user's drives are scsi-hd on the controller at
   * target N, after every other device, which the restored guest scans. */
  int snapshot;
  const char *mem_path;
  int mem_shared;
  int qmp_fd;                   /* > 0: a QMP monitor on this inherited socket */
  int incoming;                 /* -incoming defer: the state comes over QMP */
};
char **gk_int_qemu_argv (const struct gk_int_qemu_cfg *c);
#define GK_QEMU_MAX_IDE 4       /* the pc machine's two IDE buses, two units each */
char *gk_int_qemu_append (int debug, int root, int serial_channel);
/* The kernel line of C's machine (cold boot), for the libvirt backend. */
char *gk_int_qemu_kernel_line (const struct gk_int_qemu_cfg *c);
/* The machine of a saved appliance, from BASE's settings: its template
 * (TMPL: no user drive, RAM file RAM shared) or a restored VM (the same
 * words with share=off, then BASE's drives and -incoming defer); QMP on
 * inherited fd QMP_FD. */
char **gk_int_qemu_snap_argv (const struct gk_int_qemu_cfg *base, const char *ram,
                              int qmp_fd, int tmpl);

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
