/* guestkit: the qcow2 header probe, a pure function (no I/O) so that it
 * can be unit-tested and fuzzed without a VM. */
#ifndef GK_LIB_QCOW2_PROBE_H
#define GK_LIB_QCOW2_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* Incompatible feature bits qemu knows (docs/interop/qcow2.txt): dirty,
 * corrupt, external data file, compression type, extended L2 entries. */
#define GK_QCOW2_INCOMPAT_DATA_FILE  (UINT64_C (1) << 2)
#define GK_QCOW2_INCOMPAT_KNOWN      UINT64_C (0x1f)
#define GK_QCOW2_EXT_DATA_FILE       0x44415441u   /* "DATA" */

struct gk_int_qcow2_info {
  unsigned version;     /* 2 or 3 */
  int has_backing;      /* the header names a backing file */
  int has_data_file;    /* incompatible bit 2 or the data-file extension */
  uint64_t incompatible;
  uint64_t size;        /* the virtual disk's size in bytes */
  const char *why;      /* when -1: what is wrong (a static string) */
};

/* BUF: the first LEN bytes of the file (callers pass up to 64 KiB).
 * Returns 1 (qcow2, INFO filled), 0 (not qcow2), -1 (qcow2 magic but
 * malformed or truncated header: INFO->why says what).  Never reads past
 * LEN.  INFO->has_backing is set, when the header gets that far, even on -1. */
int gk_int_qcow2_probe (const unsigned char *buf, size_t len,
                        struct gk_int_qcow2_info *info);

#endif
