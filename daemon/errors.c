/* guestkitd: the error of the call being handled, sent back in the reply. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "daemon.h"

static char msg[GK_ERRMSG_MAX];
static const char *name;
static int isset;

static void
vset (int errnum, const char *fmt, va_list ap, int append_strerror)
{
  if (isset) return;            /* the first error is the real cause */
  vsnprintf (msg, sizeof msg, fmt, ap);
  if (append_strerror) {
    size_t n = strlen (msg);
    snprintf (msg + n, sizeof msg - n, ": %s", strerror (errnum));
  }
  name = gk_int_errno_name (errnum ? errnum : EINVAL);
  isset = 1;
}

int
gk_int_err (int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset (errnum, fmt, ap, 0);
  va_end (ap);
  return -1;
}

int
gk_int_perr (const char *fmt, ...)
{
  int e = errno;
  va_list ap;
  va_start (ap, fmt);
  vset (e, fmt, ap, 1);
  va_end (ap);
  errno = e;
  return -1;
}

void gk_int_err_clear (void) { isset = 0; msg[0] = '\0'; name = NULL; }
int gk_int_err_isset (void) { return isset; }
const char *gk_int_err_name (void) { return isset ? name : ""; }
const char *gk_int_err_msg (void) { return isset ? msg : ""; }

/* The console is the serial line: slow under emulation, so only in
 * debug mode (gk.debug=1 on the kernel command line, or --debug). */
static int debug_mode;

void gk_int_log_enable (void) { debug_mode = 1; }

void
gk_int_log (const char *fmt, ...)
{
  if (!debug_mode) return;
  va_list ap;
  va_start (ap, fmt);
  fputs ("guestkitd: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
}
