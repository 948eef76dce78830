/* guestkit libvirt backend: what libvirt.c and libvirt-xml.c share. */
#ifndef GK_BACKENDS_LIBVIRT_H
#define GK_BACKENDS_LIBVIRT_H
#include "backend.h"

/* One domain, as libvirt-xml.c writes it. */
struct gk_int_libvirt_cfg {
  const char *name;             /* domain name */
  int kvm;                      /* 1: type kvm (host CPU), 0: type qemu (TCG) */
  int memsize, smp;
  const char *kernel, *initrd, *root, *stage;   /* paths qemu opens; root/stage may be NULL */
  const char *cmdline;          /* the kernel line */
  size_t nr_drives;
  const struct gk_int_drive *drives;
  const char *const *drive_paths;       /* per drive: the path qemu opens */
  const char *const *overlays;  /* per drive: a read-only drive's qcow2 overlay, or NULL */
  const char *ctl_sock, *con_sock;      /* UNIX sockets we listen on */
  int serial_channel, network;
  const char *dac_label;        /* "UID:GID" qemu runs as (no relabelling), or NULL */
};
/* The domain XML (malloc'd), or NULL: out of memory. */
char *gk_int_libvirt_xml (const struct gk_int_libvirt_cfg *c);
/* libvirt-reach.c: 0 if UID (primary group GID) can open PATH (for
 * writing too when WRITE) and search every directory on the way; else -1
 * and WHY says which and why. */
#include <sys/types.h>
int gk_int_libvirt_reach (const char *path, uid_t uid, gid_t gid, int write,
                          char *why, size_t whylen);
#endif
