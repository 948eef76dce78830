/* guestkitd: echo-daemon, command, sh and debug-sh. */
#include <errno.h>
#include <stddef.h>
#include "daemon.h"
#include "actions.h"

char *
do_echo_daemon (char *const *words)
{
  return gk_int_join (words, " ");      /* sets the error on failure */
}

char *
do_command (char *const *arguments)
{
  char *out;
  if (!arguments || !arguments[0]) {
    gk_int_err (EINVAL, "the argument list is empty");
    return NULL;
  }
  if (gk_int_run_chroot (&out, (const char *const *) arguments) == -1)
    return NULL;
  return out;
}

char *
do_sh (const char *command)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  char *out;
  if (gk_int_run_chroot (&out, argv) == -1)
    return NULL;
  return out;
}

/* The appliance's shell (busybox), not chrooted; the child's working
 * directory is "/" (command.c always starts children there). */
char *
do_debug_sh (const char *command)
{
  const char *argv[] = { "sh", "-c", command, NULL };
  char *out;
  if (gk_int_run (&out, NULL, argv) == -1)
    return NULL;
  return out;
}
