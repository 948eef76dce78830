/* The one way to format an error message (library handle, backend
 * error record). */
#ifndef GK_COMMON_ERRMSG_H
#define GK_COMMON_ERRMSG_H

#include <stdarg.h>

/* FMT with AP, then ": strerror(ERRNUM)" if WITH_STRERROR.  A malloc'd
 * string; if memory runs out, a fixed message (still malloc'd when
 * possible), or NULL. */
char *gk_int_vformat_error (int errnum, const char *fmt, va_list ap, int with_strerror);

/* FMT in the user's language (common/i18n.h), binding the library's
 * catalogs on first use; FMT itself when there is no translation. */
const char *gk_int_translate (const char *fmt) __attribute__ ((format_arg (1)));

#endif
