/* Error messages (common/errmsg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "i18n.h"

#if defined ENABLE_NLS && !defined GK_DAEMON
#include <pthread.h>

/* The library binds its catalogs itself: the program using it may not.
 * The translation only shows if that program set a locale (setlocale). */
static void
bind_domain (void)
{
  bindtextdomain (GK_TEXTDOMAIN, gk_int_localedir ());
}

const char *
gk_int_translate (const char *fmt)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once (&once, bind_domain);
  return _(fmt);
}
#else
const char *
gk_int_translate (const char *fmt)
{
  return fmt;
}
#endif

char *
gk_int_vformat_error (int errnum, const char *fmt, va_list ap, int with_strerror)
{
  char *msg = NULL;
  /* The format is translated, its arguments (paths, guest text) never. */
  if (vasprintf (&msg, gk_int_translate (fmt), ap) == -1) msg = NULL;
  if (msg && with_strerror) {
    char *m2 = NULL;
    if (asprintf (&m2, "%s: %s", msg, strerror (errnum)) != -1) {
      free (msg);
      msg = m2;
    }
  }
  return msg ? msg : strdup ("out of memory while formatting an error");
}
