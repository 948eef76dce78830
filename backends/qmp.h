/* guestkit qemu backend: a minimal QMP client (qmp.c). */
#ifndef GK_BACKENDS_QMP_H
#define GK_BACKENDS_QMP_H
#include "backend.h"

#define GK_QMP_LINE 16384
struct gk_int_qmp {
  struct gk_int_vm *vm;         /* where errors go */
  int fd;
  char buf[GK_QMP_LINE];
  size_t len;
  char line[GK_QMP_LINE];       /* the last line read: a command's reply */
};

/* Read qemu's greeting on FD and leave negotiation mode.  -1 + vm->err. */
int gk_int_qmp_open (struct gk_int_qmp *q, struct gk_int_vm *vm, int fd, int timeout_ms);
/* Send one command (FMT: a JSON object, no newline), with FD attached
 * (SCM_RIGHTS) when >= 0, and wait for its reply: 0 (q->line holds it),
 * or -1 + vm->err with qemu's own words. */
int gk_int_qmp_cmd_fd (struct gk_int_qmp *q, int timeout_ms, int fd, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));
#define gk_int_qmp_cmd(q, t, ...) gk_int_qmp_cmd_fd ((q), (t), -1, __VA_ARGS__)
/* Poll query-migrate until the migration completed (0) or failed (-1). */
int gk_int_qmp_wait_migration (struct gk_int_qmp *q, int timeout_ms);
#endif
