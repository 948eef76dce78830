/* guestkit qemu backend: the overlay of a read-only drive.
 *
 * Writes to a read-only drive go to a qcow2 overlay whose backing node
 * is the image (qemu-args.c).  We create the overlay ourselves, as a file
 * that never has a name (gk_int_vm_tmpfile), and qemu opens it as
 * /proc/self/fd/N.  qemu's own snapshot=on created a named file in
 * $TMPDIR and unlinked it only once open, so a SIGKILL of the host
 * program at that moment left it behind.  The overlay is formatted by
 * qemu-img, the tool made for it (9 ms measured), and names no backing
 * file: the command line gives the backing node.  An nbd drive's size
 * is asked of its server first (qemu-img info). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "backend.h"
#include "hostspawn.h"

#define QEMU_IMG_TIMEOUT_MS 30000

static const char *
qemu_img (void)
{
  const char *q = getenv ("GUESTKIT_QEMU_IMG");
  return q && *q ? q : "qemu-img";
}

/* Run qemu-img ARGV (keeping FD as fd 3, if >= 0) for WHAT OF NAME;
 * its first OUTSZ-1 bytes of output into OUT (if any).  0, or -1 +
 * vm->err with qemu-img's own words. */
static int
run_qemu_img (struct gk_int_vm *vm, char **argv, int fd, const char *what, const char *name,
              char *out, size_t outsz)
{
  char err[512] = "";
  struct gk_int_spawn_cfg c = {
    .argv = argv, .keep = &fd, .nkeep = fd >= 0, .flags = GK_SPAWN_PDEATH,
    .io = { { .how = GK_SPAWN_NULL }, { .how = out ? GK_SPAWN_PIPE : GK_SPAWN_NULL },
            { .how = GK_SPAWN_PIPE } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    gk_int_vm_perror (vm, "launch: cannot run %s for %s %s (install qemu-utils, or set "
                      "GUESTKIT_QEMU_IMG)", argv[0], what, name);
    return -1;
  }
  /* Wait first (bounded), then read its few words: they fit in the
   * pipes, so it never blocks on them. */
  int st = 0;
  int w = gk_int_proc_wait (&p, QEMU_IMG_TIMEOUT_MS, &st, NULL);
  if (w == 0) { gk_int_proc_kill (&p, SIGKILL); gk_int_proc_reap (&p); }
  fcntl (p.fd[2], F_SETFL, O_NONBLOCK);
  ssize_t n = read (p.fd[2], err, sizeof err - 1);
  err[n > 0 ? n : 0] = '\0';
  err[strcspn (err, "\n")] = '\0';
  if (out) {
    fcntl (p.fd[1], F_SETFL, O_NONBLOCK);
    n = read (p.fd[1], out, outsz - 1);
    out[n > 0 ? n : 0] = '\0';
  }
  gk_int_proc_close (&p);
  if (w != 1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    char how[64];
    if (w == 1) gk_int_proc_status_str (st, how, sizeof how);
    else snprintf (how, sizeof how, "%s", w == 0 ? "timed out" : strerror (errno));
    gk_int_vm_error (vm, EIO, "launch: %s %s (%s %s): %s%s%s", argv[0], argv[1], what, name,
                     how, err[0] ? ": " : "", err);
    return -1;
  }
  return 0;
}

/* The size of an nbd drive's export, asked of the server (qemu-img
 * info; the server must accept this connection besides the VM's). */
static int
nbd_size (struct gk_int_vm *vm, const struct gk_int_drive *d, uint64_t *size)
{
  char *opts = gk_int_nbd_opts (d, "file.");
  char *img = NULL;
  if (!opts || asprintf (&img, "driver=raw,%s", opts) == -1) {
    free (opts);
    gk_int_vm_error (vm, EINVAL, "launch: %s: cannot name this nbd export to qemu", d->filename);
    return -1;
  }
  free (opts);
  char *argv[] = { (char *) qemu_img (), "info", "--output=json", "--image-opts", img, NULL };
  char out[4096];
  int r = run_qemu_img (vm, argv, -1, "the size of read-only", d->filename, out, sizeof out);
  free (img);
  if (r == -1) return -1;
  const char *v = strstr (out, "\"virtual-size\":");
  unsigned long long n;
  if (!v || sscanf (v + 15, " %llu", &n) != 1) {
    gk_int_vm_error (vm, EIO, "launch: %s info: no virtual-size for %s", argv[0], d->filename);
    return -1;
  }
  *size = n;
  return 0;
}

int
gk_int_qemu_overlay (struct gk_int_vm *vm, const struct gk_int_drive *d)
{
  uint64_t sz = d->size;
  if (d->nbd_export && nbd_size (vm, d, &sz) == -1) return -1;
  int fd = gk_int_vm_tmpfile (vm, "the overlay for read-only", d->filename);
  if (fd == -1) return -1;
  /* qcow2 sizes are whole sectors; qemu sees a raw image's odd tail as
   * one more sector, so round the same way. */
  char size[32];
  snprintf (size, sizeof size, "%llu", (unsigned long long) ((sz + 511) / 512 * 512));
  char *argv[] = { (char *) qemu_img (), "create", "-q", "-f", "qcow2",
                   "/proc/self/fd/3", size, NULL };
  if (run_qemu_img (vm, argv, fd, "the overlay of read-only", d->filename, NULL, 0) == -1) {
    close (fd);
    return -1;
  }
  return fd;
}
