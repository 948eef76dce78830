/* The one way to format an error message (library handle, backend
 * error record). */
#ifndef GK_COMMON_ERRMSG_H
#define GK_COMMON_ERRMSG_H

#include <stdarg.h>

/* FMT with AP, then ": strerror(ERRNUM)" if WITH_STRERROR.  A malloc'd
 * string; if memory runs out, a fixed message (still malloc'd when
 * possible), or NULL. */
char *gk_int_vformat_error (int errnum, const char *fmt, va_list ap, int with_strerror);

#endif
