/* guestkit qemu backend: the overlay of a read-only drive.
 *
 * Writes to a read-only drive go to a qcow2 overlay whose backing node
 * is the image (qemu-args.c).  We create the overlay ourselves, as a file
 * that never has a name (gk_int_vm_tmpfile), and qemu opens it as
 * /proc/self/fd/N.  qemu's own snapshot=on created a named file in
 * $TMPDIR and unlinked it only once open, so a SIGKILL of the host
 * program at that moment left it behind.  The overlay is formatted by
 * qemu-img, the tool made for it (9 ms measured), and names no backing
 * file: the command line gives the backing node. */
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

int
gk_int_qemu_overlay (struct gk_int_vm *vm, const struct gk_int_drive *d)
{
  int fd = gk_int_vm_tmpfile (vm, "the overlay for read-only", d->filename);
  if (fd == -1) return -1;
  /* qcow2 sizes are whole sectors; qemu sees a raw image's odd tail as
   * one more sector, so round the same way. */
  char size[32];
  snprintf (size, sizeof size, "%llu", (unsigned long long) ((d->size + 511) / 512 * 512));
  char *argv[] = { (char *) qemu_img (), "create", "-q", "-f", "qcow2",
                   "/proc/self/fd/3", size, NULL };
  char err[512] = "";
  struct gk_int_spawn_cfg c = {
    .argv = argv, .keep = &fd, .nkeep = 1, .flags = GK_SPAWN_PDEATH,
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_PIPE } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    gk_int_vm_perror (vm, "launch: cannot run %s for the overlay of read-only %s "
                      "(install qemu-utils, or set GUESTKIT_QEMU_IMG)", argv[0], d->filename);
    close (fd);
    return -1;
  }
  /* Wait first (bounded), then read its few words of error: they fit
   * in the pipe, so it never blocks on them. */
  int st = 0;
  int w = gk_int_proc_wait (&p, QEMU_IMG_TIMEOUT_MS, &st, NULL);
  if (w == 0) { gk_int_proc_kill (&p, SIGKILL); gk_int_proc_reap (&p); }
  fcntl (p.fd[2], F_SETFL, O_NONBLOCK);
  ssize_t n = read (p.fd[2], err, sizeof err - 1);
  err[n > 0 ? n : 0] = '\0';
  err[strcspn (err, "\n")] = '\0';
  gk_int_proc_close (&p);
  if (w != 1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    char how[64];
    if (w == 1) gk_int_proc_status_str (st, how, sizeof how);
    else snprintf (how, sizeof how, "%s", w == 0 ? "timed out" : strerror (errno));
    gk_int_vm_error (vm, EIO, "launch: %s create (the overlay of read-only %s): %s%s%s",
                     argv[0], d->filename, how, err[0] ? ": " : "", err);
    close (fd);
    return -1;
  }
  return fd;
}
