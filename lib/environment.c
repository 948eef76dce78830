/* guestkit: parse-environment, the settings libguestfs reads from
 * LIBGUESTFS_TRACE and LIBGUESTFS_DEBUG. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guestkit.h"
#include "internal.h"

/* libguestfs's booleans: 1/0, true/false, t/f, yes/no, y/n, on/off; 1 or
 * 0, -1 for anything else (the setting is then left as it is). */
static int
env_bool (const char *name)
{
  static const char *const yes[] = { "1", "true", "t", "yes", "y", "on", NULL };
  static const char *const no[] = { "0", "false", "f", "no", "n", "off", NULL };
  const char *v = getenv (name);
  for (size_t i = 0; v && yes[i]; i++)
    if (strcasecmp (v, yes[i]) == 0) return 1;
  for (size_t i = 0; v && no[i]; i++)
    if (strcasecmp (v, no[i]) == 0) return 0;
  return -1;
}

int
gk_int_local_parse_environment (gk_h *g)
{
  int t = env_bool ("LIBGUESTFS_TRACE"), d = env_bool ("LIBGUESTFS_DEBUG");
  if (t != -1) g->trace = t;
  if (d != -1) g->debug = d;
  return 0;
}
