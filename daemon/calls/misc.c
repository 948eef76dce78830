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

/* Chrooted into the guest, with the appliance's DNS when the network
 * is on (network.c). */
static int
run_guest (char **out_r, const char *const *argv)
{
  struct gk_int_net_swap ns;
  *out_r = NULL;
  if (gk_int_need_root () <= 0) return -1;
  if (gk_int_net_guest_begin (&ns) == -1) {
    gk_int_net_guest_end (&ns);         /* undoes what begin did */
    return -1;
  }
  int r = gk_int_run_chroot (out_r, argv);
  gk_int_net_guest_end (&ns);
  return r;
}

char *
do_command (char *const *arguments)
{
  char *out;
  if (!arguments || !arguments[0]) {
    gk_int_err (EINVAL, "the argument list is empty");
    return NULL;
  }
  return run_guest (&out, (const char *const *) arguments) == -1 ? NULL : out;
}

char *
do_sh (const char *command)
{
  const char *argv[] = { "/bin/sh", "-c", command, NULL };
  char *out;
  return run_guest (&out, argv) == -1 ? NULL : out;
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
