/* Reading kernel images for the appliance builder: the bzImage header
   (version string, compressed payload) and the vmlinux ELF that qemu
   boots through PVH.  The image is untrusted input: every offset is
   checked against the buffer. */
#ifndef GK_APPLIANCE_KIMAGE_H
#define GK_APPLIANCE_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

struct gk_int_bzimage {
  char version[65];          /* "6.1.0-57-cloud-amd64" (up to the first space) */
  int has_payload;           /* boot protocol >= 2.08 */
  uint64_t payload_offset;   /* of the compressed vmlinux in the file */
  uint64_t payload_length;
  const char *compression;   /* "lz4", "gzip", ... or NULL (unknown) */
};

/* Parse the bzImage in BUF (the whole file, LEN bytes).  Returns 0, or
   -1 with *WHY set to a static message. */
int gk_int_bzimage_parse (const unsigned char *buf, size_t len,
                          struct gk_int_bzimage *out, const char **why);

/* The compression of a kernel payload, by its magic: "lz4" (legacy
   frame), "gzip", "xz", "zstd", "bzip2", "lzma", "lzo", or NULL. */
const char *gk_int_payload_compression (const unsigned char *p, size_t len);

/* Is BUF a complete x86-64 ELF (every program header's data inside the
   buffer)?  Returns 1 (and *PVH = 1 when it carries the Xen
   PHYS32_ENTRY note qemu needs for PVH boot), or 0 with *WHY set. */
int gk_int_elf_check (const unsigned char *buf, size_t len, int *pvh,
                      const char **why);

#endif
