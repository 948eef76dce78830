/* Error messages (common/errmsg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

char *
gk_int_vformat_error (int errnum, const char *fmt, va_list ap, int with_strerror)
{
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) == -1) msg = NULL;
  if (msg && with_strerror) {
    char *m2 = NULL;
    if (asprintf (&m2, "%s: %s", msg, strerror (errnum)) != -1) {
      free (msg);
      msg = m2;
    }
  }
  return msg ? msg : strdup ("out of memory while formatting an error");
}
