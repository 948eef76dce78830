/* guestkit: the qcow2 header probe (qcow2-probe.h).  It reads what qemu
 * reads to decide which other host files an image makes it open: the
 * backing file and the external data file.  Every offset is checked
 * against LEN before use; the input is hostile. */
#include <string.h>
#include "qcow2-probe.h"

#define QCOW2_MAGIC 0x514649fbu      /* "QFI\xfb" */
#define V2_HEADER 72
#define V3_HEADER 104
#define EXT_END 0u

static uint32_t
be32 (const unsigned char *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
be64 (const unsigned char *p)
{
  return (uint64_t) be32 (p) << 32 | be32 (p + 4);
}

static int
bad (struct gk_int_qcow2_info *info, const char *why)
{
  info->why = why;
  return -1;
}

int
gk_int_qcow2_probe (const unsigned char *buf, size_t len, struct gk_int_qcow2_info *info)
{
  memset (info, 0, sizeof *info);
  if (len < 4 || be32 (buf) != QCOW2_MAGIC) return 0;
  if (len < V2_HEADER) return bad (info, "truncated qcow2 header");
  info->version = be32 (buf + 4);
  uint64_t backing_off = be64 (buf + 8);
  uint32_t backing_len = be32 (buf + 16);
  uint32_t cluster_bits = be32 (buf + 20);
  info->size = be64 (buf + 24);
  /* Any backing offset counts: qemu reads a name from it.  (Set even
   * when the rest is malformed, so the caller can name the worse fault.) */
  info->has_backing = backing_off != 0;
  if (info->version != 2 && info->version != 3)
    return bad (info, "unknown qcow2 version (only 2 and 3 exist)");
  /* qemu's limits: 512 B to 2 MiB clusters. */
  if (cluster_bits < 9 || cluster_bits > 21) return bad (info, "invalid qcow2 cluster size");
  uint64_t cluster = UINT64_C (1) << cluster_bits;
  if (backing_off > cluster || backing_len > 1023)
    return bad (info, "invalid qcow2 backing file offset or length");

  uint64_t hdr_len = V2_HEADER;
  if (info->version == 3) {
    if (len < V3_HEADER) return bad (info, "truncated qcow2 v3 header");
    info->incompatible = be64 (buf + 72);
    hdr_len = be32 (buf + 100);
    if (hdr_len < V3_HEADER || hdr_len > cluster)
      return bad (info, "invalid qcow2 v3 header length");
  }
  if (info->incompatible & GK_QCOW2_INCOMPAT_DATA_FILE) info->has_data_file = 1;

  /* Header extensions: from the end of the header up to the backing file
   * name (or the end of the first cluster), ended by a zero type.  Each
   * is type, length, data padded to 8 bytes. */
  uint64_t end = backing_off ? backing_off : cluster;
  for (uint64_t off = hdr_len; off < end; ) {
    if (end - off < 8) return bad (info, "qcow2 header extension crosses its area");
    if (off + 8 > len) return bad (info, "qcow2 header extensions go past the bytes read");
    uint32_t type = be32 (buf + off), elen = be32 (buf + off + 4);
    off += 8;
    if (type == EXT_END) break;
    if (elen > end - off) return bad (info, "qcow2 header extension too large");
    if (type == GK_QCOW2_EXT_DATA_FILE) info->has_data_file = 1;
    off += ((uint64_t) elen + 7) & ~(uint64_t) 7;
  }
  return 1;
}
