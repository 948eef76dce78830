/* guestkit: where the installed parts are.  The GUESTKIT_* variables let
 * tests and ./run use the build tree. */
#include <stdlib.h>
#include "internal.h"

#ifndef GK_DAEMON_PATH
#define GK_DAEMON_PATH "/usr/local/libexec/guestkit/guestkitd"
#endif
#ifndef GK_BUILDER_PATH
#define GK_BUILDER_PATH "/usr/local/share/guestkit/make-appliance.sh"
#endif

const char *
gk_int_daemon_path (void)
{
  const char *p = getenv ("GUESTKIT_DAEMON");
  return p && *p ? p : GK_DAEMON_PATH;
}

const char *
gk_int_builder_path (void)
{
  const char *p = getenv ("GUESTKIT_APPLIANCE_BUILDER");
  return p && *p ? p : GK_BUILDER_PATH;
}
