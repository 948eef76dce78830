/* guestkitd: the two halves of an upload, for the benchmarks
 * (docs/benchmarks.md): internal-upload-discard receives a stream over
 * the same data path as upload and throws it away (transport only);
 * internal-fill writes with the upload writer and no transfer (write
 * only). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"
#include "stage.h"

static int
count (void *opaque, const char *buf, size_t n)
{
  (void) opaque; (void) buf;
  gk_int_xfer.bytes += n;
  return 0;
}

int
do_internal_upload_discard (void)
{
  memset (&gk_int_xfer, 0, sizeof gk_int_xfer);
  if (gk_int_recv_stream (count, NULL) == -1) {
    if (!gk_int_err_isset ()) gk_int_err (EIO, "upload failed");
    return -1;
  }
  return 0;
}

int
do_internal_fill (int c, int64_t len, const char *path)
{
  if (c < 0 || c > 255)
    return gk_int_err (EINVAL, "%s: byte value %d is not in 0..255", path, c);
  if (len < 0)
    return gk_int_err (EINVAL, "%s: negative length %lld", path, (long long) len);
  memset (&gk_int_xfer, 0, sizeof gk_int_xfer);
  size_t csz;
  char *buf = gk_int_chunk_buffer (&csz);
  if (!buf) return gk_int_err (ENOMEM, "out of memory");
  memset (buf, c, csz);
  int fd = gk_int_open_regular (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1) return -1;
  int direct = gk_int_try_direct (fd);
  for (int64_t left = len; left > 0; ) {
    size_t k = (uint64_t) left > csz ? csz : (size_t) left;
    if (gk_int_bulk_write (fd, buf, k, &direct) == -1) {
      gk_int_perr ("%s", path);
      close (fd);
      return -1;
    }
    left -= (int64_t) k;
    gk_int_progress ((uint64_t) (len - left), (uint64_t) len);
  }
  uint64_t t0 = gk_int_now_ns ();
  int r = fsync (fd);
  gk_int_xfer.fsync_ns = gk_int_now_ns () - t0;
  if (r == -1) {
    gk_int_perr ("%s", path);
    close (fd);
    return -1;
  }
  if (close (fd) == -1) return gk_int_perr ("%s", path);
  return 0;
}
