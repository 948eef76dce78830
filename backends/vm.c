/* guestkit backends: what every backend shares: its error record and
 * debug lines (the library copies the error onto the handle), and
 * starting the VM process. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "errmsg.h"
#include "hostspawn.h"
#include "tmpfile.h"

static void
vset (struct gk_int_vm *vm, int errnum, const char *fmt, va_list ap, int with_strerror)
{
  char *msg = gk_int_vformat_error (errnum, fmt, ap, with_strerror);
  free (vm->err.msg);
  vm->err.msg = msg;
  vm->err.errnum = errnum;
}

void
gk_int_vm_error (struct gk_int_vm *vm, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset (vm, errnum, fmt, ap, 0);
  va_end (ap);
}

void
gk_int_vm_perror (struct gk_int_vm *vm, const char *fmt, ...)
{
  int e = errno;
  va_list ap;
  va_start (ap, fmt);
  vset (vm, e, fmt, ap, 1);
  va_end (ap);
  errno = e;
}

void
gk_int_vm_debug (struct gk_int_vm *vm, const char *fmt, ...)
{
  if (!vm->debug) return;
  va_list ap;
  va_start (ap, fmt);
  fputs ("guestkit: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

pid_t
gk_int_vm_spawn (struct gk_int_vm *vm, char *const *argv, int ctl, int console,
                 const int *inherit, size_t n)
{
  int keep[1 + GK_INHERIT_MAX];
  if (n > GK_INHERIT_MAX) {
    gk_int_vm_error (vm, EINVAL, "launch: %zu descriptors to pass to %s, at most %d",
                     n, argv[0], GK_INHERIT_MAX);
    return -1;
  }
  keep[0] = ctl;
  memcpy (keep + 1, inherit, n * sizeof *inherit);
  /* Its own process group: Ctrl-C in a shell is for gkfish.  It dies
   * with the host program, even on SIGKILL (Linux sends this when the
   * *thread* that forked exits: documented at launch). */
  struct gk_int_spawn_cfg c = {
    .argv = argv, .keep = keep, .nkeep = 1 + n, .flags = GK_SPAWN_PGROUP | GK_SPAWN_PDEATH,
    .io = { { .how = GK_SPAWN_NULL }, { .how = GK_SPAWN_FD, .fd = console },
            { .how = GK_SPAWN_STDOUT } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1) {
    gk_int_vm_perror (vm, "launch: cannot run %s", argv[0]);
    return -1;
  }
  return p.pid;
}

void
gk_int_vm_timing (struct gk_int_vm *vm, const char *name, int64_t us)
{
  if (vm->ntimings < sizeof vm->timings / sizeof vm->timings[0]) {
    vm->timings[vm->ntimings].name = name;
    vm->timings[vm->ntimings++].us = us;
  }
}

int
gk_int_vm_tmpfile (struct gk_int_vm *vm, const char *what, const char *of)
{
  const char *t;
  int fd = gk_int_tmpfile (&t);
  if (fd == -1)
    gk_int_vm_perror (vm, "launch: cannot create %s %s in %s", what, of, t);
  return fd;
}

int
gk_int_vm_refuse_nbd (struct gk_int_vm *vm, const char *backend)
{
  for (size_t i = 0; i < vm->nr_drives; i++)
    if (vm->drives[i].nbd_export) {
      gk_int_vm_error (vm, ENOTSUP, "launch: backend %s: drive %zu (%s) is an nbd export, "
                       "which only the qemu backend connects to", backend, i + 1,
                       vm->drives[i].filename);
      return -1;
    }
  return 0;
}
