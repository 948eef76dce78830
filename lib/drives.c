/* guestkit: adding disk images, with the checks that keep a hostile image
 * from reaching host files (qcow2 backing files) or being misread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "internal.h"

#define QCOW2_MAGIC 0x514649fbu      /* "QFI\xfb" */

static uint32_t be32 (const unsigned char *p)
{ return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3]; }

/* Reads the first bytes: returns 1 if qcow2 (and *backing set to whether
 * the header names a backing file), 0 if not, -1 on read error. */
static int
probe_qcow2 (int fd, int *backing)
{
  unsigned char h[72];
  ssize_t n = pread (fd, h, sizeof h, 0);
  if (n < 0) return -1;
  *backing = 0;
  if (n < 20 || be32 (h) != QCOW2_MAGIC) return 0;
  /* backing_file_offset (8 bytes at 8) and size (4 bytes at 16). */
  uint64_t off = (uint64_t) be32 (h + 8) << 32 | be32 (h + 12);
  *backing = off != 0 && be32 (h + 16) != 0;
  return 1;
}

/* 1 if S is one of the (up to four, NULL-padded) choices. */
static int
one_of (const char *s, const char *a, const char *b, const char *c, const char *d)
{
  const char *v[] = { a, b, c, d };
  for (size_t i = 0; s && i < 4; i++)
    if (v[i] && strcmp (s, v[i]) == 0) return 1;
  return 0;
}

GK_API int
gk_add_drive (gk_h *g, const char *filename, const struct gk_add_drive_opts *opts)
{
  const char *format = NULL, *cache = "writeback", *iface = "virtio-blk";
  int ro = 0, allow_backing = 0;
  if (g->state != GK_CONFIG) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: drives can only be added before launch", filename);
    return -1;
  }
  if (opts) {
    if (opts->bitmask & GK_ADD_DRIVE_FORMAT) format = opts->format;
    if (opts->bitmask & GK_ADD_DRIVE_READONLY) ro = opts->readonly;
    if (opts->bitmask & GK_ADD_DRIVE_CACHEMODE) cache = opts->cachemode;
    if (opts->bitmask & GK_ADD_DRIVE_ALLOW_BACKING) allow_backing = opts->allow_backing;
    if (opts->bitmask & GK_ADD_DRIVE_IFACE) iface = opts->iface;
  }
  if (!filename || !*filename) {
    gk_int_error_errno (g, EINVAL, "add-drive: empty file name");
    return -1;
  }
  if (g->nr_drives >= GK_MAX_DRIVES) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: too many drives (at most %d)",
                        filename, GK_MAX_DRIVES);
    return -1;
  }
  if (format && strcmp (format, "raw") != 0 && strcmp (format, "qcow2") != 0) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: unknown format '%s' (valid: raw, qcow2)",
                        filename, format);
    return -1;
  }
  if (!one_of (cache, "writeback", "none", "writethrough", "unsafe")) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: unknown cachemode '%s' (valid: writeback, "
                        "none, writethrough, unsafe)", filename, cache ? cache : "");
    return -1;
  }
  if (!one_of (iface, "virtio-blk", "virtio-scsi", "ide", NULL)) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: unknown iface '%s' (valid: virtio-blk, "
                        "virtio-scsi, ide)", filename, iface ? iface : "");
    return -1;
  }
  if (strchr (filename, ',') || strchr (filename, ':') ) {
    /* qemu's -drive syntax gives these a meaning. */
    gk_int_error_errno (g, EINVAL, "add-drive: %s: file names with ',' or ':' are not supported", filename);
    return -1;
  }
  int fd = open (filename, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) {
    gk_int_perror (g, "add-drive: %s", filename);
    return -1;
  }
  struct stat st;
  int r = -1;
  int backing = 0, isq = 0;
  if (fstat (fd, &st) == -1) { gk_int_perror (g, "add-drive: %s", filename); goto out; }
  if (S_ISDIR (st.st_mode)) {
    gk_int_error_errno (g, EISDIR, "add-drive: %s: is a directory, not a disk image", filename);
    goto out;
  }
  if (!S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode)
      && strcmp (filename, "/dev/null") != 0) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: not a regular file or block device", filename);
    goto out;
  }
  if (S_ISREG (st.st_mode) || S_ISBLK (st.st_mode)) {
    isq = probe_qcow2 (fd, &backing);
    if (isq == -1) { gk_int_perror (g, "add-drive: %s: cannot read", filename); goto out; }
  }
  if (!format) format = isq ? "qcow2" : "raw";
  if (strcmp (format, "qcow2") == 0 && !isq) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: not a qcow2 image (no qcow2 header)", filename);
    goto out;
  }
  if (strcmp (format, "raw") == 0 && isq) {
    /* The guest could rewrite the header and make it point anywhere. */
    gk_int_error_errno (g, EINVAL, "add-drive: %s: file has a qcow2 header but format raw "
                        "was given; refusing (use format qcow2)", filename);
    goto out;
  }
  if (backing && !allow_backing) {
    gk_int_error_errno (g, EPERM, "add-drive: %s: qcow2 image has a backing file, which could "
                        "point at any host file; refusing (set allow_backing to accept it)",
                        filename);
    goto out;
  }
  char *abs = realpath (filename, NULL);
  struct gk_int_drive *d = &g->drives[g->nr_drives];
  d->filename = abs;
  d->format = strdup (format);
  d->cachemode = strdup (cache);
  d->iface = strdup (iface);
  d->readonly = ro;
  if (!d->filename || !d->format || !d->cachemode || !d->iface) {
    free (d->filename); free (d->format); free (d->cachemode); free (d->iface);
    memset (d, 0, sizeof *d);
    gk_int_error_errno (g, ENOMEM, "add-drive: %s: out of memory", filename);
    goto out;
  }
  if (strchr (abs, ',') || strchr (abs, ':')) {
    free (d->filename); free (d->format); free (d->cachemode); free (d->iface);
    memset (d, 0, sizeof *d);
    gk_int_error_errno (g, EINVAL, "add-drive: %s: resolved path has ',' or ':', not supported", filename);
    goto out;
  }
  g->nr_drives++;
  r = 0;
 out:
  close (fd);
  return r;
}
