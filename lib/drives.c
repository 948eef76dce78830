/* guestkit: adding disk images, with the checks that keep a hostile image
 * from reaching host files (qcow2 backing and data files) or being
 * misread (lib/README.md: format detection). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "internal.h"
#include "qcow2-probe.h"
#include "tmpfile.h"

#define PROBE_MAX (64 * 1024)     /* qcow2 header and its extensions */

/* The first bytes of FD (up to CAP), or -1. */
static ssize_t
read_head (int fd, unsigned char *buf, size_t cap)
{
  size_t n = 0;
  while (n < cap) {
    ssize_t r = pread (fd, buf + n, cap - n, (off_t) n);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return -1;
    if (r == 0) break;
    n += (size_t) r;
  }
  return (ssize_t) n;
}

/* Check the image behind FD (named NAME in messages) for what it would
 * make qemu open besides itself.  *FORMAT: NULL to detect, set on
 * return.  0, or -1 with the error set. */
static int
check_image (gk_h *g, int fd, const char *name, const char **format,
             int allow_backing, int allow_data_file, int *has_backing_r, uint64_t *size_r)
{
  struct stat st;
  struct gk_int_qcow2_info q = { 0 };
  int isq = 0;
  *has_backing_r = 0;
  if (fstat (fd, &st) == -1) { gk_int_perror (g, "add-drive: %s", name); return -1; }
  if (S_ISDIR (st.st_mode)) {
    gk_int_error_errno (g, EISDIR, "add-drive: %s: is a directory, not a disk image", name);
    return -1;
  }
  if (S_ISREG (st.st_mode) || S_ISBLK (st.st_mode)) {
    unsigned char *buf = malloc (PROBE_MAX);
    if (!buf) { gk_int_error_errno (g, ENOMEM, "add-drive: %s: out of memory", name); return -1; }
    ssize_t n = read_head (fd, buf, PROBE_MAX);
    if (n >= 0) isq = gk_int_qcow2_probe (buf, (size_t) n, &q);
    free (buf);
    if (n < 0) { gk_int_perror (g, "add-drive: %s: cannot read", name); return -1; }
  }
  else if (!S_ISCHR (st.st_mode) || strcmp (name, "/dev/null") != 0) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: not a regular file or block device", name);
    return -1;
  }
  if (*format && strcmp (*format, "raw") == 0 && isq) {
    /* The guest could rewrite the header and make it point anywhere. */
    gk_int_error_errno (g, EINVAL, "add-drive: %s: file has a qcow2 header but format raw "
                        "was given; refusing (use format qcow2)", name);
    return -1;
  }
  if (isq == -1 && q.has_backing && !allow_backing) {
    gk_int_error_errno (g, EPERM, "add-drive: %s: qcow2 image names a backing file (and its "
                        "header is malformed: %s); refusing", name, q.why);
    return -1;
  }
  if (isq == -1) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: refusing a malformed qcow2 header (%s)",
                        name, q.why);
    return -1;
  }
  if (!*format) *format = isq ? "qcow2" : "raw";
  /* The disk's size as the guest will see it (a read-only drive's
   * overlay is made that size). */
  *size_r = isq ? q.size : (uint64_t) st.st_size;
  if (!isq && S_ISBLK (st.st_mode) && ioctl (fd, BLKGETSIZE64, size_r) == -1) {
    gk_int_perror (g, "add-drive: %s: BLKGETSIZE64", name);
    return -1;
  }
  if (strcmp (*format, "qcow2") == 0 && !isq) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: not a qcow2 image (no qcow2 header)", name);
    return -1;
  }
  if (!isq) return 0;
  if (q.incompatible & ~GK_QCOW2_INCOMPAT_KNOWN) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: qcow2 image has unknown incompatible "
                        "feature bits (0x%llx); refusing", name,
                        (unsigned long long) (q.incompatible & ~GK_QCOW2_INCOMPAT_KNOWN));
    return -1;
  }
  if (q.has_data_file && !allow_data_file) {
    gk_int_error_errno (g, EPERM, "add-drive: %s: qcow2 image has an external data file, "
                        "which could be any host file; refusing (set allow_data_file to "
                        "accept it)", name);
    return -1;
  }
  if (q.has_backing && !allow_backing) {
    gk_int_error_errno (g, EPERM, "add-drive: %s: qcow2 image has a backing file, which could "
                        "point at any host file; refusing (set allow_backing to accept it)",
                        name);
    return -1;
  }
  *has_backing_r = q.has_backing;
  return 0;
}

int
gk_int_drive_recheck (gk_h *g, struct gk_int_drive *d)
{
  if (d->nbd_export) return 0;  /* nothing local to look at */
  const char *format = d->format;
  return check_image (g, d->fd, d->filename, &format, d->allow_backing,
                      d->allow_data_file, &d->has_backing, &d->size);
}

void
gk_int_drive_free (struct gk_int_drive *d)
{
  free (d->filename); free (d->format); free (d->cachemode); free (d->iface);
  free (d->label); free (d->nbd_export); free (d->nbd_host); free (d->nbd_socket);
  if (d->fd > 0) close (d->fd);     /* (0: none, see open_image) */
  memset (d, 0, sizeof *d);
}

/* add-drive's optional arguments, defaults filled in. */
struct add_opts {
  const char *format;           /* NULL: detect */
  const char *cache, *iface;
  int ro, allow_backing, allow_data_file;
  int blocksize;                /* 0: qemu's default (512) */
  const char *label;            /* NULL: none */
  const char *protocol;         /* NULL: file */
  char *const *server;          /* NULL: none */
};

static void
read_opts (const struct gk_add_drive_opts *opts, struct add_opts *o)
{
  *o = (struct add_opts) { .cache = "writeback", .iface = "virtio-blk" };
  if (!opts) return;
  if (opts->bitmask & GK_ADD_DRIVE_FORMAT) o->format = opts->format;
  if (opts->bitmask & GK_ADD_DRIVE_READONLY) o->ro = opts->readonly;
  if (opts->bitmask & GK_ADD_DRIVE_CACHEMODE) o->cache = opts->cachemode;
  if (opts->bitmask & GK_ADD_DRIVE_ALLOW_BACKING) o->allow_backing = opts->allow_backing;
  if (opts->bitmask & GK_ADD_DRIVE_IFACE)   /* libguestfs's "virtio" */
    o->iface = strcmp (opts->iface, "virtio") == 0 ? "virtio-blk" : opts->iface;
  if (opts->bitmask & GK_ADD_DRIVE_ALLOW_DATA_FILE) o->allow_data_file = opts->allow_data_file;
  if (opts->bitmask & GK_ADD_DRIVE_BLOCKSIZE) o->blocksize = opts->blocksize;
  if (opts->bitmask & GK_ADD_DRIVE_LABEL) o->label = opts->label;
  if (opts->bitmask & GK_ADD_DRIVE_PROTOCOL) o->protocol = opts->protocol;
  if (opts->bitmask & GK_ADD_DRIVE_SERVER) o->server = opts->server;
}

/* What can be refused without touching the file (format, cachemode and
 * iface are among the table's choices: lib/callcheck.c).  NBD: FILENAME
 * is an export name (nbd.c checks it; "" is the default export). */
static int
check_request (gk_h *g, const char *filename, const struct add_opts *o, int nbd)
{
  if (!*filename && !nbd) {
    gk_int_error_errno (g, EINVAL, "add-drive: empty file name");
    return -1;
  }
  if (g->nr_drives >= GK_MAX_DRIVES) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: too many drives (at most %d)",
                        filename, GK_MAX_DRIVES);
    return -1;
  }
  if (o->blocksize != 0 && o->blocksize != 512 && o->blocksize != 4096) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: blocksize %d: expected 512 or 4096",
                        filename, o->blocksize);
    return -1;
  }
  if (!nbd && (strchr (filename, ',') || strchr (filename, ':'))) {
    /* qemu's -drive syntax gives these a meaning. */
    gk_int_error_errno (g, EINVAL, "add-drive: %s: file names with ',' or ':' are not supported", filename);
    return -1;
  }
  return o->label ? gk_int_label_check (g, filename, o->label) : 0;
}

/* The descriptor the VM gets (as /proc/self/fd/N): a rename or a swapped
 * symbolic link after this point changes nothing.  Never 0-2 (0 means
 * "no descriptor" in a drive).  -1 with the error set. */
static int
open_image (gk_h *g, const char *filename, int ro)
{
  int fd = open (filename, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
  if (fd == -1) {
    gk_int_perror (g, "add-drive: %s", filename);
    return -1;
  }
  if (fd < 3) {
    int hi = fcntl (fd, F_DUPFD_CLOEXEC, 3);
    close (fd);
    if ((fd = hi) == -1) gk_int_perror (g, "add-drive: %s: dup", filename);
  }
  return fd;
}

/* The absolute name of the file open on FD, for messages and for images
 * qemu must open by name (an allowed backing file is found relative to
 * the image); refused if FILENAME no longer names that file.  Malloc'd,
 * or NULL with the error set. */
static char *
resolve_name (gk_h *g, const char *filename, int fd)
{
  char *abs = realpath (filename, NULL);
  if (!abs) {
    gk_int_perror (g, "add-drive: %s: cannot resolve the path", filename);
    return NULL;
  }
  struct stat a, b;
  if (stat (abs, &a) == -1 || fstat (fd, &b) == -1
      || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
    gk_int_error_errno (g, EAGAIN, "add-drive: %s: the file was replaced while it was "
                        "being added", filename);
    free (abs);
    return NULL;
  }
  if (strchr (abs, ',') || strchr (abs, ':')) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: resolved path has ',' or ':', not supported", filename);
    free (abs);
    return NULL;
  }
  return abs;
}

/* Fill the next drive slot; it owns ABS and FD from here on, even on error. */
static int
record_drive (gk_h *g, const char *filename, char *abs, int fd, const char *format,
              const struct add_opts *o, int has_backing)
{
  struct gk_int_drive *d = &g->drives[g->nr_drives];
  *d = (struct gk_int_drive) {
    .filename = abs, .fd = fd, .format = strdup (format), .format_given = o->format != NULL,
    .cachemode = strdup (o->cache),
    .iface = strdup (o->iface), .readonly = o->ro, .allow_backing = o->allow_backing,
    .allow_data_file = o->allow_data_file, .has_backing = has_backing,
    .blocksize = o->blocksize == 512 ? 0 : o->blocksize,
    .label = o->label ? strdup (o->label) : NULL,
  };
  if (!d->format || !d->cachemode || !d->iface || (o->label && !d->label)) {
    gk_int_drive_free (d);
    gk_int_error_errno (g, ENOMEM, "add-drive: %s: out of memory", filename);
    return -1;
  }
  g->nr_drives++;
  return 0;
}

/* guestfish's other protocols: named in the error, so a script's
 * author sees what is missing. */
static const char *const other_protocols[] = {
  "ftp", "ftps", "gluster", "http", "https", "iscsi", "rbd", "sheepdog", "ssh", "tftp", NULL
};

/* protocol:nbd: EXPORT on o->server (exactly one).  The VM connects at
 * launch; nothing is opened here. */
static int
add_nbd (gk_h *g, const char *export, const struct add_opts *o)
{
  size_t ns = 0;
  while (o->server && o->server[ns]) ns++;
  if (ns != 1) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: protocol nbd needs exactly one server "
                        "(server:tcp:HOST:PORT or server:unix:/SOCKET), got %zu", export, ns);
    return -1;
  }
  if (o->format && strcmp (o->format, "raw") != 0) {
    /* A qcow2 header on the export could name any host file. */
    gk_int_error_errno (g, EINVAL, "add-drive: %s: nbd exports are opened as raw only "
                        "(format %s refused)", export, o->format);
    return -1;
  }
  const char *why = gk_int_nbd_export_bad (export);
  if (why) {
    gk_int_error_errno (g, EINVAL, "add-drive: nbd export '%s': %s", export, why);
    return -1;
  }
  /* (messages name the export, or the server for the default one) */
  if (check_request (g, *export ? export : o->server[0], o, 1) == -1) return -1;
  char *host = NULL, *sock = NULL;
  int port;
  if (gk_int_nbd_server (o->server[0], &host, &port, &sock, &why) == -1) {
    gk_int_error_errno (g, EINVAL, "add-drive: server %s: %s", o->server[0], why);
    return -1;
  }
  char *uri = gk_int_nbd_uri (host, port, sock, export);
  if (!uri || record_drive (g, export, uri, 0, "raw", o, 0) == -1) {
    if (!uri) gk_int_error_errno (g, ENOMEM, "add-drive: %s: out of memory", export);
    free (host); free (sock);
    return -1;
  }
  struct gk_int_drive *d = &g->drives[g->nr_drives - 1];
  d->nbd_host = host;
  d->nbd_port = port;
  d->nbd_socket = sock;
  if (!(d->nbd_export = strdup (export))) {
    gk_int_drive_free (d);
    g->nr_drives--;
    gk_int_error_errno (g, ENOMEM, "add-drive: %s: out of memory", export);
    return -1;
  }
  return 0;
}

int
gk_int_local_add_drive (gk_h *g, const char *filename, const struct gk_add_drive_opts *opts)
{
  struct add_opts o;
  read_opts (opts, &o);
  if (o.protocol && strcmp (o.protocol, "nbd") == 0) return add_nbd (g, filename, &o);
  if (o.protocol && strcmp (o.protocol, "file") != 0) {
    for (size_t i = 0; other_protocols[i]; i++)
      if (strcmp (o.protocol, other_protocols[i]) == 0) {
        gk_int_error_errno (g, ENOTSUP, "add-drive: %s: protocol %s is not supported "
                            "(guestkit adds local files and nbd exports)", filename, o.protocol);
        return -1;
      }
    gk_int_error_errno (g, EINVAL, "add-drive: %s: unknown protocol '%s' (file or nbd)",
                        filename, o.protocol);
    return -1;
  }
  if (o.server && o.server[0]) {
    gk_int_error_errno (g, EINVAL, "add-drive: %s: server is only for a network protocol "
                        "(protocol:nbd)", filename);
    return -1;
  }
  if (check_request (g, filename, &o, 0) == -1) return -1;
  int fd = open_image (g, filename, o.ro);
  if (fd == -1) return -1;
  const char *format = o.format;
  int has_backing = 0;
  uint64_t size;                /* measured again at launch (recheck) */
  char *abs = NULL;
  if (check_image (g, fd, filename, &format, o.allow_backing, o.allow_data_file,
                   &has_backing, &size) == -1
      || !(abs = resolve_name (g, filename, fd))) {
    close (fd);
    return -1;
  }
  return record_drive (g, filename, abs, fd, format, &o, has_backing);
}

/* guestfish's add-drive-ro (add-ro). */
int
gk_int_local_add_drive_ro (gk_h *g, const char *filename)
{
  struct gk_add_drive_opts o = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
  return gk_int_local_add_drive (g, filename, &o);   /* the stub checked */
}

/* A blank file of SIZE bytes that never has a name: nothing is left
 * behind even if the host program is killed.  -1 + error. */
static int
scratch_file (gk_h *g, int64_t size)
{
  const char *t;
  int fd = gk_int_tmpfile (&t);
  if (fd == -1) {
    gk_int_perror (g, "add-drive-scratch: cannot create the scratch file in %s", t);
    return -1;
  }
  if (fd < 3) {                 /* 0 means "no descriptor" in a drive */
    int hi = fcntl (fd, F_DUPFD_CLOEXEC, 3);
    close (fd);
    if ((fd = hi) == -1) { gk_int_perror (g, "add-drive-scratch: dup"); return -1; }
  }
  if (ftruncate (fd, (off_t) size) == -1) {
    gk_int_perror (g, "add-drive-scratch: cannot make a %lld-byte scratch file in %s",
                   (long long) size, t);
    close (fd);
    return -1;
  }
  return fd;
}

/* guestfish's add-drive-scratch (scratch): a blank raw drive, deleted
 * with the handle. */
int
gk_int_local_add_drive_scratch (gk_h *g, int64_t size,
                                const struct gk_add_drive_scratch_opts *opts)
{
  if (size <= 0) {
    gk_int_error_errno (g, EINVAL, "add-drive-scratch: invalid size: %lld (must be above 0)",
                        (long long) size);
    return -1;
  }
  if (opts && (opts->bitmask & GK_ADD_DRIVE_SCRATCH_BLOCKSIZE) && opts->blocksize != 512) {
    gk_int_error_errno (g, ENOTSUP, "add-drive-scratch: blocksize %d: only 512-byte "
                        "sectors are supported", opts->blocksize);
    return -1;
  }
  struct add_opts o;
  read_opts (NULL, &o);
  if (opts && (opts->bitmask & GK_ADD_DRIVE_SCRATCH_LABEL)) o.label = opts->label;
  if (check_request (g, "scratch", &o, 0) == -1) return -1;
  int fd = scratch_file (g, size);
  if (fd == -1) return -1;
  /* The name in messages (and for a backend that opens by name: the
   * same file, since the backend inherits this descriptor). */
  char *name = NULL;
  if (asprintf (&name, "/proc/self/fd/%d", fd) == -1) {
    close (fd);
    gk_int_error_errno (g, ENOMEM, "add-drive-scratch: out of memory");
    return -1;
  }
  return record_drive (g, "scratch", name, fd, "raw", &o, 0);
}
