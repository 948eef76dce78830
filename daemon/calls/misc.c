/* guestkitd: echo-daemon, command, sh and debug-sh. */
#include <errno.h>
#include <stdlib.h>
#include <stddef.h>
#include <time.h>
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
 * directory is "/" (command.c always starts children there).  $1, $2 ...
 * are the appliance's names of the user's disks in order (/dev/vda or
 * /dev/sdb, whatever the boot or a restore named them). */
char *
do_debug_sh (const char *command)
{
  char **disks = gk_int_list_disks ();
  if (!disks) return NULL;
  size_t n = gk_int_count_strings (disks);
  const char **argv = calloc (n + 5, sizeof *argv);
  char *out = NULL;
  if (!argv) gk_int_err (ENOMEM, "debug-sh: out of memory");
  else {
    argv[0] = "sh"; argv[1] = "-c"; argv[2] = command; argv[3] = "debug-sh";
    for (size_t i = 0; i < n; i++) argv[4 + i] = disks[i];
    if (gk_int_run (&out, NULL, argv) == -1) out = NULL;
  }
  free (argv);
  gk_int_free_strings (disks);
  return out;
}

/* guestfish's sleep: in steps, so that a signal does not cut it short. */
int
do_sleep (int secs)
{
  if (secs < 0 || secs > 3600)
    return gk_int_err (EINVAL, "%d seconds: must be 0 to 3600", secs);
  struct timespec t = { secs, 0 };
  while (nanosleep (&t, &t) == -1 && errno == EINTR) ;
  return 0;
}
