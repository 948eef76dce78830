/* guestkitd: drivers for user drives that are not virtio-blk.
 *
 * Boot loads only the virtio-blk stack (boot time matters).  When the
 * library attached virtio-scsi or IDE drives it says so on the kernel
 * command line: gk.modules=virtio_scsi,sd_mod (which drivers) and gk.sd=N
 * (how many sdX disks to expect).  SCSI and sd probing are asynchronous,
 * so wait, bounded, until the disks and their nodes exist.  The same wait
 * serves a restored appliance after its targeted SCSI scan (resume.c). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "daemon.h"

#define MAX_MODULES 8
#define WAIT_MS 5000

static int
count_sd (void)
{
  DIR *d = opendir ("/sys/block");
  if (!d) return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d))) {
    char p[300];
    if (strncmp (e->d_name, "sd", 2) != 0) continue;
    snprintf (p, sizeof p, "/dev/%s", e->d_name);
    if (access (p, F_OK) == 0) n++;
  }
  closedir (d);
  return n;
}

int
gk_int_load_disk_drivers (const char *modules, int nsd)
{
  if (!modules || !*modules) return 0;
  char *copy = strdup (modules);
  if (!copy) return -1;
  char *argv[MAX_MODULES + 3] = { "/sbin/modprobe", "-a" };
  int n = 2;
  for (char *save = NULL, *m = strtok_r (copy, ",", &save); m && n < MAX_MODULES + 2;
       m = strtok_r (NULL, ",", &save))
    if (m[strspn (m, "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0')
      argv[n++] = m;
  argv[n] = NULL;
  /* Its messages go to the console (our stdout and stderr). */
  pid_t pid = gk_int_spawn (&(struct gk_int_child) {
      .argv = (const char *const *) argv, .fd = { -1, 1, 2 } });
  int st = pid == -1 ? -1 : gk_int_reap (pid);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0)
    fprintf (stderr, "guestkitd: modprobe %s failed%s%s\n", modules,
             pid == -1 ? ": " : "", pid == -1 ? gk_int_err_msg () : "");
  free (copy);
  int got = gk_int_wait_sd (nsd);
  if (got >= nsd) return 0;
  fprintf (stderr, "guestkitd: only %d of %d virtio-scsi/IDE drives appeared: the "
           "appliance kernel has no driver for them (needs %s)\n", got, nsd, modules);
  return -1;
}

int
gk_int_wait_sd (int nsd)
{
  const struct timespec ms = { 0, 1000000 };
  int i = 0;
  while (count_sd () < nsd && i++ < WAIT_MS) nanosleep (&ms, NULL);
  return count_sd ();
}
