/* guestkitd: upload and download (file streams, daemon.h).
 *
 * An upload goes to a temporary file next to the target (unnamed with
 * O_TMPFILE where the filesystem allows), which replaces the target only
 * once all the data arrived and reached the disk: if anything fails the
 * guest file is left as it was.  The target
 * is replaced, not written through: a symbolic link is replaced by the
 * file, and hard links to the old file keep the old contents.  The owner
 * and permissions of a replaced regular file are kept (best effort).  A
 * target that exists must be a regular file (or a symbolic link, which
 * is replaced): a device node, FIFO or socket in the guest is refused,
 * never written (daemon.h, gk_int_open_regular).
 *
 * Bulk writes use O_DIRECT where the filesystem allows: the data then
 * goes from the stream's aligned buffer to the disk by DMA, with no copy
 * into the page cache by the (emulated, slow) CPU.  A last chunk that is
 * not a multiple of the alignment is written through the page cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "daemon.h"
#include "fullio.h"
#include "actions.h"
#include "stage.h"

#define TMP_PREFIX ".gk-upload-"
#define TMP_TRIES 100

struct upload {
  int fd;
  const char *path;             /* the guest path, for messages */
  int direct;                   /* fd is O_DIRECT */
};

int
gk_int_try_direct (int fd)
{
  int fl = fcntl (fd, F_GETFL);
  return fl != -1 && fcntl (fd, F_SETFL, fl | O_DIRECT) == 0;
}

int
gk_int_bulk_write (int fd, const char *buf, size_t n, int *direct)
{
  uint64_t t0 = gk_int_now_ns ();
  if (*direct && ((uintptr_t) buf % GK_DIRECT_ALIGN || n % GK_DIRECT_ALIGN)) {
    int fl = fcntl (fd, F_GETFL);
    if (fl != -1) fcntl (fd, F_SETFL, fl & ~O_DIRECT);
    *direct = 0;
  }
  int r = gk_int_write_full (fd, buf, n);
  gk_int_xfer.write_ns += gk_int_now_ns () - t0;
  if (r == 0) gk_int_xfer.bytes += n;
  return r;
}

static int
upload_chunk (void *opaque, const char *buf, size_t n)
{
  struct upload *u = opaque;
  if (gk_int_bulk_write (u->fd, buf, n, &u->direct) == -1)
    return gk_int_perr ("%s", u->path);
  return 0;
}

/* Receive the whole stream into U->fd and fsync it.  Returns 0 or -1
 * with the error set. */
static int
receive (struct upload *u)
{
  if (gk_int_recv_stream (upload_chunk, u) == -1) {
    if (!gk_int_err_isset ())
      gk_int_err (EIO, "%s: upload failed", u->path);
    return -1;
  }
  uint64_t t0 = gk_int_now_ns ();
  int r = fsync (u->fd);
  gk_int_xfer.fsync_ns = gk_int_now_ns () - t0;
  if (r == -1)
    return gk_int_perr ("%s", u->path);
  return 0;
}

/* A temporary name in DIRFD: NAME of SIZE bytes.  Returns what CREATE
 * returned for the first name that was free. */
static int
temp_name (int dirfd, char *name, size_t size,
           int (*create) (int dirfd, const char *name, void *opaque),
           void *opaque)
{
  static unsigned counter;
  for (int i = 0; i < TMP_TRIES; i++) {
    uint64_t x = gk_int_now_ns () ^ ((uint64_t) getpid () << 20)
      ^ (uint64_t) ++counter * 0x9e3779b97f4a7c15u;
    snprintf (name, size, TMP_PREFIX "%06x",
              (unsigned) (x ^ (x >> 24)) & 0xffffff);
    int r = create (dirfd, name, opaque);
    if (r >= 0 || errno != EEXIST)
      return r;
  }
  errno = EEXIST;
  return -1;
}

static int
create_file (int dirfd, const char *name, void *opaque)
{
  (void) opaque;
  return openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
                 | O_NOCTTY, 0644);
}

static int
link_file (int dirfd, const char *name, void *opaque)
{
  return linkat (*(int *) opaque, "", dirfd, name, AT_EMPTY_PATH);
}

/* The file that receives the data: preferably an unnamed file in DIRFD
 * (O_TMPFILE), which vanishes by itself if anything fails, even a crash
 * of the appliance.  If the filesystem cannot do that, a named temporary
 * file, whose name is put in TMP. */
static int
open_temp (int dirfd, char *tmp, size_t size)
{
  tmp[0] = '\0';
  int fd = openat (dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
    return fd;
  return temp_name (dirfd, tmp, size, create_file, NULL);
}

/* Put the received file in place of BASE.  An unnamed file is linked
 * (directly when BASE does not exist, else under a temporary name in
 * TMP, then renamed over). */
static int
install (int fd, int dirfd, const char *base, int exists, char *tmp,
         size_t size)
{
  if (tmp[0] == '\0') {
    if (!exists) {
      if (linkat (fd, "", dirfd, base, AT_EMPTY_PATH) == 0)
        return 0;
      if (errno != EEXIST)
        return -1;
    }
    if (temp_name (dirfd, tmp, size, link_file, &fd) == -1) {
      tmp[0] = '\0';
      return -1;
    }
  }
  return renameat (dirfd, tmp, dirfd, base);
}

/* Give the new file the owner and mode of the file it replaces.  Best
 * effort: some filesystems (vfat) refuse, and the data is what counts. */
static void
keep_owner_mode (int fd, const struct stat *old)
{
  struct stat st;
  if (fstat (fd, &st) == -1)
    return;
  /* chown first: it clears the set-user-ID bits. */
  if ((st.st_uid != old->st_uid || st.st_gid != old->st_gid)
      && fchown (fd, old->st_uid, old->st_gid) == -1)
    gk_int_log ("upload: fchown: %m");
  if (fchmod (fd, old->st_mode & 07777) == -1)
    gk_int_log ("upload: fchmod: %m");
}

int
do_upload (const char *remotefilename)
{
  const char *path = remotefilename;
  struct upload u = { .fd = -1, .path = path };
  char *base = NULL;
  char tmp[sizeof TMP_PREFIX + 16];
  int ret = -1;
  struct stat st;

  tmp[0] = '\0';
  memset (&gk_int_xfer, 0, sizeof gk_int_xfer);
  /* On an error before the stream is read, the dispatcher tells the host
   * to stop and discards what it already sent. */
  int dirfd = gk_int_open_parent (path, &base);
  if (dirfd == -1)
    return gk_int_perr ("%s", path);

  int exists = fstatat (dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT) {
    gk_int_perr ("%s", path);
    goto out;
  }
  if (exists && !S_ISREG (st.st_mode) && !S_ISLNK (st.st_mode)) {
    gk_int_err_not_regular (path, st.st_mode);
    goto out;
  }

  u.fd = open_temp (dirfd, tmp, sizeof tmp);
  if (u.fd == -1) {
    gk_int_perr ("%s", path);
    goto out;
  }
  if (exists && S_ISREG (st.st_mode))
    keep_owner_mode (u.fd, &st);
  u.direct = gk_int_try_direct (u.fd);
  if (receive (&u) == -1
      || install (u.fd, dirfd, base, exists, tmp, sizeof tmp) == -1) {
    if (!gk_int_err_isset ())
      gk_int_perr ("%s", path);
    if (tmp[0])
      unlinkat (dirfd, tmp, 0);
    goto out;
  }
  int r = close (u.fd);
  u.fd = -1;
  if (r == -1) {
    /* Data already synced; this is unexpected but must not be hidden. */
    gk_int_perr ("%s", path);
    goto out;
  }
  ret = 0;

 out:
  if (u.fd >= 0) close (u.fd);
  close (dirfd);
  free (base);
  return ret;
}

/* A failure before or during a download: end the stream as failed (the
 * host stops waiting for data), then set the error from errno. */
static int
download_fail (const char *path)
{
  int e = errno;
  gk_int_send_end (0);
  errno = e;
  gk_int_perr ("%s", path);
  return -1;
}

/* Open PATH at OFFSET for a download of SIZE bytes (-1: to the end);
 * *TOTAL: the bytes expected (0: unknown), for progress.  The fd, or -1
 * with the stream ended and the error set. */
static int
download_open (const char *path, int64_t offset, int64_t size, uint64_t *total)
{
  int fd = gk_int_open_regular (path, O_RDONLY, 0);
  if (fd == -1) {
    gk_int_send_end (0);
    return -1;
  }
  struct stat st;
  if (fstat (fd, &st) == -1
      || (offset > 0 && lseek (fd, (off_t) offset, SEEK_SET) == -1)) {
    download_fail (path);
    close (fd);
    return -1;
  }
  uint64_t t = (uint64_t) st.st_size;
  t = t > (uint64_t) offset ? t - (uint64_t) offset : 0;
  if (size >= 0 && (!t || t > (uint64_t) size)) t = (uint64_t) size;
  *total = t;
  return fd;
}

/* Fill BUF with up to WANT bytes of FD.  Reads by DMA (O_DIRECT, *DIRECT
 * set) while the sizes stay aligned, else through the page cache.
 * Returns the bytes read (less than WANT only at end of file), or -1. */
static ssize_t
download_fill (int fd, char *buf, size_t want, int *direct)
{
  size_t got = 0;
  if (*direct && want % GK_DIRECT_ALIGN) {
    /* A short last range: through the page cache. */
    int fl = fcntl (fd, F_GETFL);
    if (fl != -1 && fcntl (fd, F_SETFL, fl & ~O_DIRECT) == 0) *direct = 0;
  }
  while (got < want) {
    ssize_t n = read (fd, buf + got, want - got);
    if (n == 0) break;
    if (n == -1 && errno == EINTR) continue;
    if (n == -1 && errno == EINVAL && *direct) {
      /* An unaligned tail after all: finish through the page cache. */
      int fl = fcntl (fd, F_GETFL);
      if (fl != -1 && fcntl (fd, F_SETFL, fl & ~O_DIRECT) == 0) { *direct = 0; continue; }
    }
    if (n == -1) return -1;
    got += (size_t) n;
    if (*direct && got % GK_DIRECT_ALIGN) break;   /* end of file */
  }
  return (ssize_t) got;
}

/* Send SIZE bytes (-1: to the end) of PATH from OFFSET. */
static int
download_range (const char *path, int64_t offset, int64_t size)
{
  if (offset < 0 || size < -1) {
    gk_int_send_end (0);
    return gk_int_err (EINVAL, "%s: negative offset or size", path);
  }
  uint64_t total;
  int fd = download_open (path, offset, size, &total);
  if (fd == -1) return -1;
  /* Files and disks are read by DMA into the aligned buffer, which goes
   * to the staging disk (or the channel) without another copy. */
  int direct = offset % GK_DIRECT_ALIGN == 0 && gk_int_try_direct (fd);
  if (!direct) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  size_t csz;
  char *buf = gk_int_chunk_buffer (&csz);
  if (!buf) {
    gk_int_send_end (0);
    gk_int_err (ENOMEM, "out of memory");
    goto fail;
  }
  uint64_t left = size >= 0 ? (uint64_t) size : UINT64_MAX, done = 0;
  while (left > 0) {
    ssize_t got = download_fill (fd, buf, left < csz ? (size_t) left : csz, &direct);
    if (got == -1) { download_fail (path); goto fail; }
    if (got == 0) break;
    /* On failure (the host cancelled, the error is set) stop sending. */
    if (gk_int_send_chunk (buf, (size_t) got) == -1)
      goto fail;
    done += (uint64_t) got;
    left -= (uint64_t) got;
    gk_int_xfer.bytes = done;
    gk_int_progress (done, total && total < done ? done : total);
  }
  close (fd);
  if (gk_int_send_end (1) == -1) {
    if (!gk_int_err_isset ())
      gk_int_err (EIO, "%s: download failed", path);
    return -1;
  }
  return 0;

 fail:
  close (fd);
  return -1;
}

int
do_download (const char *remotefilename, int sparse)
{
  (void) sparse;                /* holes are made by the library */
  return download_range (remotefilename, 0, -1);
}

int
do_download_offset (const char *remotefilename, int64_t offset, int64_t size)
{
  return download_range (remotefilename, offset, size);
}

int
do_upload_offset (const char *remotefilename, int64_t offset)
{
  const char *path = remotefilename;
  memset (&gk_int_xfer, 0, sizeof gk_int_xfer);
  if (offset < 0)
    return gk_int_err (EINVAL, "%s: negative offset %lld", path, (long long) offset);
  struct upload u = { .fd = -1, .path = path };
  u.fd = gk_int_open_regular (path, O_WRONLY | O_CREAT, 0644);
  if (u.fd == -1) return -1;
  int r = -1;
  if (lseek (u.fd, (off_t) offset, SEEK_SET) == -1) {
    gk_int_perr ("%s", path);
    goto out;
  }
  if (offset % GK_DIRECT_ALIGN == 0)
    u.direct = gk_int_try_direct (u.fd);
  if (receive (&u) == -1) goto out;
  r = 0;
 out:
  if (close (u.fd) == -1 && r == 0) r = gk_int_perr ("%s", path);
  return r;
}
