/* Fuzz target: the qcow2 header probe (lib/qcow2-probe.c), which decides
 * from an image's first bytes whether it is qcow2 and whether it names a
 * backing file or an external data file (issue 11: a data file maps the
 * guest disk onto a host file).
 *
 * Not in the build list yet: the lead enables it in fuzz/run.sh when
 * lib/qcow2-probe.c lands.
 *
 * Input: the image's first bytes.
 *
 * Properties: the probe never reads past LEN (ASan: the buffer is exactly
 * LEN bytes); returns 1, 0 or -1; -1 always says why; 0 only when the
 * magic is not "QFI\xfb"; a v3 image with incompatible bit 2 (external
 * data file) is reported as having a data file.
 */
#include "fuzz.h"
#include "qcow2-probe.h"

static uint32_t
be32 (const unsigned char *b)
{
  return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  unsigned char *buf = (unsigned char *) fuzz_exact (data, size);
  struct gk_int_qcow2_info info;
  memset (&info, 0, sizeof info);
  int rc = gk_int_qcow2_probe (buf, size, &info);
  FUZZ_ASSERT (rc == 1 || rc == 0 || rc == -1, "probe returned %d", rc);
  int magic = size >= 4 && memcmp (buf, "QFI\xfb", 4) == 0;
  if (rc == 0) FUZZ_ASSERT (!magic, "qcow2 magic called not qcow2");
  if (rc == 1) FUZZ_ASSERT (magic, "qcow2 without the magic");
  if (rc == -1) FUZZ_ASSERT (info.why && *info.why, "malformed without a reason");
  if (rc == 1) {
    FUZZ_ASSERT (info.version == be32 (buf + 4), "version %u, header says %u",
                 info.version, be32 (buf + 4));
    FUZZ_ASSERT (info.version == 2 || info.version == 3, "version %u accepted", info.version);
    if (info.version == 3 && (info.incompatible & 4))
      FUZZ_ASSERT (info.has_data_file, "data-file bit set but no data file reported");
  }
  free (buf);
  return 0;
}
