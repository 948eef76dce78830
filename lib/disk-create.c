/* guestkit: disk-create, a blank disk image made on the host by
 * qemu-img create (the tool made for it), run through common/hostspawn.
 *
 * Every value is checked here first, so qemu-img sees only names and the
 * options we build: a name is a file name (one with a colon before any
 * slash would be a protocol to qemu, such as nbd: or json:, so it is
 * given as ./NAME), and option values are from fixed lists or numbers
 * (-o splits on commas). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "internal.h"
#include "local-calls.h"
#include "hostspawn.h"
#include "fullio.h"
#include "qcow2-probe.h"

#define QEMU_IMG_TIMEOUT_MS 600000   /* preallocation=full writes it all */

/* NAME as qemu-img must get it: "./NAME" when a colon comes before any
 * slash.  malloc'd, or NULL (ENOMEM). */
static char *
file_name (const char *name)
{
  const char *colon = strchr (name, ':'), *slash = strchr (name, '/');
  if (colon && (!slash || colon < slash)) {
    char *s = malloc (strlen (name) + 3);
    if (s) { strcpy (s, "./"); strcat (s, name); }
    return s;
  }
  return strdup (name);
}

static int
one_of (const char *v, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (v, list[i]) == 0) return 1;
  return 0;
}

/* Check the arguments and build qemu-img's -o string into O (N bytes). */
static int
check_args (gk_h *g, const char *format, int64_t size,
            const struct gk_disk_create_opts *op, char *o, size_t n)
{
  const uint64_t m = op ? op->bitmask : 0;
  int qcow2 = strcmp (format, "qcow2") == 0;
  static const char *const fmts[] = { "raw", "qcow2", NULL };
  static const char *const pre_raw[] = { "off", "sparse", "full", NULL };
  static const char *const pre_qcow2[] = { "off", "sparse", "metadata", "full", NULL };
  static const char *const compats[] = { "0.10", "1.1", NULL };
  int backing = (m & GK_DISK_CREATE_BACKINGFILE) != 0;

  if (!qcow2 && (m & (GK_DISK_CREATE_BACKINGFILE | GK_DISK_CREATE_BACKINGFORMAT
                      | GK_DISK_CREATE_COMPAT | GK_DISK_CREATE_CLUSTERSIZE))) {
    gk_int_error_errno (g, EINVAL, "disk-create: backingfile, backingformat, compat "
                        "and clustersize are for qcow2 only");
    return -1;
  }
  if (size < 0 && !(size == -1 && backing)) {
    gk_int_error_errno (g, EINVAL, "disk-create: size %lld: must be 0 or more (-1 only "
                        "with a backing file)", (long long) size);
    return -1;
  }
  if (backing && !*op->backingfile) {
    gk_int_error_errno (g, EINVAL, "disk-create: empty backing file name");
    return -1;
  }
  if ((m & GK_DISK_CREATE_BACKINGFORMAT) && !one_of (op->backingformat, fmts)) {
    gk_int_error_errno (g, EINVAL, "disk-create: backingformat '%.64s' is not raw or "
                        "qcow2", op->backingformat);
    return -1;
  }
  if ((m & GK_DISK_CREATE_PREALLOCATION)
      && !one_of (op->preallocation, qcow2 ? pre_qcow2 : pre_raw)) {
    gk_int_error_errno (g, EINVAL, "disk-create: preallocation '%.64s' is not %s",
                        op->preallocation, qcow2 ? "off, sparse, metadata or full"
                        : "off, sparse or full");
    return -1;
  }
  if ((m & GK_DISK_CREATE_COMPAT) && !one_of (op->compat, compats)) {
    gk_int_error_errno (g, EINVAL, "disk-create: compat '%.64s' is not 0.10 or 1.1",
                        op->compat);
    return -1;
  }
  int cs = op && (m & GK_DISK_CREATE_CLUSTERSIZE) ? op->clustersize : 0;
  if ((m & GK_DISK_CREATE_CLUSTERSIZE)
      && (cs < 512 || cs > 2097152 || (cs & (cs - 1)) != 0)) {
    gk_int_error_errno (g, EINVAL, "disk-create: clustersize %d is not a power of 2 "
                        "from 512 to 2097152", cs);
    return -1;
  }
  const char *pre = (m & GK_DISK_CREATE_PREALLOCATION) ? op->preallocation : "off";
  if (strcmp (pre, "sparse") == 0) pre = "off";
  int k = snprintf (o, n, "preallocation=%s", pre);
  if (m & GK_DISK_CREATE_COMPAT)
    k += snprintf (o + k, n - (size_t) k, ",compat=%s", op->compat);
  if (cs)
    snprintf (o + k, n - (size_t) k, ",cluster_size=%d", cs);
  return 0;
}

/* Run ARGV; its first line of error output into the handle's error. */
static int
run_qemu_img (gk_h *g, char *const *argv)
{
  struct gk_int_spawn_cfg c = {
    .argv = argv, .flags = GK_SPAWN_PGROUP,
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_PIPE } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    gk_int_perror (g, "disk-create: cannot run %s (install qemu-utils, or set "
                   "GUESTKIT_QEMU_IMG)", argv[0]);
    return -1;
  }
  /* Read its error output to the end (the start kept), then reap. */
  char err[1024], rest[512];
  size_t len = 0;
  for (;;) {
    int full = len == sizeof err - 1;
    ssize_t r = read (p.fd[2], full ? rest : err + len,
                      full ? sizeof rest : sizeof err - 1 - len);
    if (r == -1 && errno == EINTR) continue;
    if (r <= 0) break;
    if (!full) len += (size_t) r;
  }
  err[len] = '\0';
  err[strcspn (err, "\n")] = '\0';
  int st = 0;
  int w = gk_int_proc_wait (&p, QEMU_IMG_TIMEOUT_MS, &st, NULL);
  if (w == 0) { gk_int_proc_kill (&p, SIGKILL); gk_int_proc_reap (&p); }
  gk_int_proc_close (&p);
  if (w == 1 && WIFEXITED (st) && WEXITSTATUS (st) == 0) return 0;
  char how[64];
  if (w == 1) gk_int_proc_status_str (st, how, sizeof how);
  else snprintf (how, sizeof how, "%s", w == 0 ? "timed out" : strerror (errno));
  gk_int_error_errno (g, EIO, "disk-create: %s create: %s%s%s", argv[0], how,
                      *err ? ": " : "", err);
  return -1;
}

/* backingformat not given: qemu-img (7.x) no longer guesses it, libguestfs
 * does, so as it: qcow2 if BACKING (relative to FILENAME's directory, as
 * qemu reads it) starts with the qcow2 magic, else raw.  The user names
 * this file; its contents only choose between the two. */
static const char *
backing_format (const char *filename, const char *backing)
{
  char path[4096];
  const char *slash = strrchr (filename, '/');
  if (backing[0] == '/' || !slash)
    snprintf (path, sizeof path, "%s", backing);
  else
    snprintf (path, sizeof path, "%.*s/%s", (int) (slash - filename), filename, backing);
  unsigned char hdr[512];
  ssize_t n = -1;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) {
    n = gk_int_read_full (fd, hdr, sizeof hdr);
    close (fd);
  }
  /* The one qcow2 test (qcow2-probe.c): a malformed header (-1) is
   * still qcow2's, and qemu-img says what is wrong with it. */
  struct gk_int_qcow2_info q;
  return n > 0 && gk_int_qcow2_probe (hdr, (size_t) n, &q) != 0 ? "qcow2" : "raw";
}

int
gk_int_local_disk_create (gk_h *g, const char *filename, const char *format,
                          int64_t size, const struct gk_disk_create_opts *op)
{
  char o[128];
  if (check_args (g, format, size, op, o, sizeof o) == -1) return -1;
  if (!*filename) {
    gk_int_error_errno (g, EINVAL, "disk-create: empty file name");
    return -1;
  }
  const uint64_t m = op ? op->bitmask : 0;
  const char *q = getenv ("GUESTKIT_QEMU_IMG");
  char sz[32] = "";
  if (size >= 0) snprintf (sz, sizeof sz, "%lld", (long long) size);
  char *file = file_name (filename);
  char *back = (m & GK_DISK_CREATE_BACKINGFILE) ? file_name (op->backingfile) : NULL;
  int r = -1;
  if (!file || ((m & GK_DISK_CREATE_BACKINGFILE) && !back)) {
    gk_int_error_errno (g, ENOMEM, "disk-create: out of memory");
    goto out;
  }
  char *argv[16];
  size_t n = 0;
  argv[n++] = (char *) (q && *q ? q : "qemu-img");
  argv[n++] = "create"; argv[n++] = "-q";
  argv[n++] = "-f"; argv[n++] = (char *) format;
  argv[n++] = "-o"; argv[n++] = o;
  if (back) { argv[n++] = "-b"; argv[n++] = back; }
  if (m & GK_DISK_CREATE_BACKINGFORMAT) { argv[n++] = "-F"; argv[n++] = (char *) op->backingformat; }
  else if (back) { argv[n++] = "-F"; argv[n++] = (char *) backing_format (filename, op->backingfile); }
  argv[n++] = "--";
  argv[n++] = file;
  if (*sz) argv[n++] = sz;
  argv[n] = NULL;
  r = run_qemu_img (g, argv);
  /* qemu-img rounds a raw file up to whole sectors; guestfish's raw
   * image has exactly SIZE bytes. */
  struct stat st;
  if (r == 0 && strcmp (format, "raw") == 0 && stat (filename, &st) == 0
      && S_ISREG (st.st_mode) && st.st_size != (off_t) size
      && truncate (filename, (off_t) size) == -1) {
    gk_int_perror (g, "disk-create: %s", filename);
    r = -1;
  }
 out:
  free (file);
  free (back);
  return r;
}
