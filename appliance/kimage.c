/* Kernel image headers (see kimage.h).  Layouts: the x86 boot protocol
   (Documentation/x86/boot.rst) and the ELF-64 specification. */
#include "kimage.h"

#include <string.h>

static uint64_t
le (const unsigned char *p, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

const char *
gk_int_payload_compression (const unsigned char *p, size_t len)
{
  static const struct { const char *name; const char *magic; size_t n; } m[] = {
    { "lz4", "\x02\x21\x4c\x18", 4 },     /* legacy frame (Debian's cloud kernel) */
    { "gzip", "\x1f\x8b", 2 },
    { "xz", "\xfd" "7zXZ\0", 6 },
    { "zstd", "\x28\xb5\x2f\xfd", 4 },
    { "bzip2", "BZh", 3 },
    { "lzma", "\x5d\0\0", 3 },
    { "lzo", "\x89LZO", 4 },
  };
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (len >= m[i].n && memcmp (p, m[i].magic, m[i].n) == 0) return m[i].name;
  return NULL;
}

int
gk_int_bzimage_parse (const unsigned char *buf, size_t len,
                      struct gk_int_bzimage *out, const char **why)
{
  memset (out, 0, sizeof *out);
  if (len < 624 || memcmp (buf + 514, "HdrS", 4) != 0) {
    *why = "not a bzImage (no HdrS header)";
    return -1;
  }
  uint64_t proto = le (buf + 518, 2);
  if (proto >= 0x0208) {
    uint64_t setup = buf[497] ? buf[497] : 4;
    out->payload_offset = (setup + 1) * 512 + le (buf + 584, 4);
    out->payload_length = le (buf + 588, 4);
    if (out->payload_offset > len || out->payload_length > len - out->payload_offset) {
      *why = "the payload lies outside the file";
      return -1;
    }
    out->has_payload = 1;
    out->compression = gk_int_payload_compression (buf + out->payload_offset,
                                                   out->payload_length);
  }
  uint64_t vp = le (buf + 526, 2);
  if (vp == 0 || vp + 512 >= len) {
    *why = "no kernel version string";
    return -1;
  }
  const unsigned char *v = buf + vp + 512;
  size_t n = 0, max = len - (vp + 512);
  while (n < max && n < sizeof out->version - 1 && v[n] > 32 && v[n] < 127) {
    out->version[n] = (char) v[n];
    n++;
  }
  if (n == 0) {
    *why = "empty kernel version string";
    return -1;
  }
  return 0;
}

int
gk_int_elf_check (const unsigned char *buf, size_t len, int *pvh, const char **why)
{
  *pvh = 0;
  if (len < 64 || memcmp (buf, "\x7f" "ELF\x02\x01", 6) != 0) {
    *why = "not a 64-bit little-endian ELF";
    return 0;
  }
  if (le (buf + 18, 2) != 62) { *why = "not an x86-64 ELF"; return 0; }
  uint64_t phoff = le (buf + 32, 8), phentsize = le (buf + 54, 2), phnum = le (buf + 56, 2);
  if (phentsize != 56 || phnum == 0 || phoff > len || phnum * 56 > len - phoff) {
    *why = "bad program header table";
    return 0;
  }
  for (uint64_t i = 0; i < phnum; i++) {
    const unsigned char *ph = buf + phoff + i * 56;
    uint64_t off = le (ph + 8, 8), fsz = le (ph + 32, 8);
    if (off > len || fsz > len - off) {
      *why = "a segment lies outside the file (truncated?)";
      return 0;
    }
    if (le (ph, 4) != 4) continue;              /* PT_NOTE */
    /* Notes: namesz, descsz, type, name (padded to 4), desc (padded). */
    uint64_t j = 0;
    while (j + 12 <= fsz) {
      const unsigned char *nt = buf + off + j;
      uint64_t namesz = le (nt, 4), descsz = le (nt + 4, 4), type = le (nt + 8, 4);
      uint64_t name_pad = (namesz + 3) & ~3ULL, desc_pad = (descsz + 3) & ~3ULL;
      if (name_pad > fsz - j - 12) break;
      if (namesz == 4 && type == 18 && memcmp (nt + 12, "Xen", 4) == 0) *pvh = 1;
      if (desc_pad > fsz - j - 12 - name_pad) break;
      j += 12 + name_pad + desc_pad;
    }
  }
  return 1;
}
