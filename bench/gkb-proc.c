/* gkbench: clocks, CPU time of processes, running helper programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "gkbench.h"
#include "hostspawn.h"
#include "fullio.h"
#include "i18n.h"

double
gkb_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

double
gkb_self_cpu (void)
{
  struct rusage ru;
  if (getrusage (RUSAGE_SELF, &ru) == -1) return 0;
  return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
    + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* utime + stime + cutime + cstime of /proc/PID/stat if its process group
 * is PGRP, in clock ticks; 0 otherwise. */
static unsigned long long
proc_ticks (const char *pid, pid_t pgrp)
{
  char p[64], buf[1024];
  snprintf (p, sizeof p, "/proc/%s/stat", pid);
  if (gk_int_read_small (p, buf, sizeof buf) <= 0) return 0;
  char *s = strrchr (buf, ')');          /* the name may hold spaces */
  if (!s) return 0;
  long long grp;
  unsigned long long ut, st;
  long long cut, cst;
  if (sscanf (s + 1, " %*c %*d %lld %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
              &grp, &ut, &st, &cut, &cst) != 5 || grp != pgrp)
    return 0;
  return ut + st + (unsigned long long) (cut + cst);
}

double
gkb_group_cpu (pid_t pgrp)
{
  if (pgrp <= 0) return 0;
  DIR *d = opendir ("/proc");
  if (!d) return 0;
  unsigned long long t = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') t += proc_ticks (e->d_name, pgrp);
  closedir (d);
  long hz = sysconf (_SC_CLK_TCK);
  return (double) t / (double) (hz > 0 ? hz : 100);
}

static void
vsay (const char *fmt, va_list ap)
{
  fputs ("gkbench: ", stderr);
  vfprintf (stderr, _(fmt), ap);
  fputc ('\n', stderr);
}

void
gkb_progress (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
}

void
gkb_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
}

double
gkb_peak_rss (pid_t pid)
{
  char p[64], buf[4096];
  snprintf (p, sizeof p, "/proc/%d/status", (int) pid);
  if (pid <= 0 || gk_int_read_small (p, buf, sizeof buf) <= 0) return -1;
  const char *s = strstr (buf, "\nVmHWM:");
  return s ? strtod (s + 7, NULL) / 1024 : -1;
}

int
gkb_run (char *const *argv, const char *out, double *wall_r, double *cpu_r)
{
  return gkb_run_rss (argv, out, wall_r, cpu_r, NULL);
}

int
gkb_run_rss (char *const *argv, const char *out, double *wall_r, double *cpu_r, double *rss_r)
{
  double t0 = gkb_now ();
  /* Its own process group: gkbench's Ctrl-C stops it by gkb_stop. */
  struct gk_int_spawn_cfg c = {
    .argv = argv, .flags = GK_SPAWN_PGROUP,
    .io = { { .how = GK_SPAWN_KEEP },
            { .how = out ? GK_SPAWN_FILE : GK_SPAWN_NULL, .path = out },
            { .how = GK_SPAWN_STDOUT } },
  };
  struct gk_int_proc p;
  if (gk_int_proc_start (&c, &p) == -1)
    /* Not installed: the shell's status for it, which callers look for. */
    return errno == ENOENT || errno == EACCES ? 127 << 8 : -1;
  int st;
  struct rusage ru;
  int killed = 0;
  while (gk_int_proc_wait (&p, -1, &st, &ru) != 1) {
    if (errno != EINTR) return -1;
    if (gkb_stop && !killed) { gk_int_proc_kill (&p, SIGTERM); killed = 1; }
  }
  if (wall_r) *wall_r = gkb_now () - t0;
  if (cpu_r)
    *cpu_r = (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
      + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (rss_r) *rss_r = (double) ru.ru_maxrss / 1024;    /* KiB on Linux */
  return killed ? -1 : st;
}

int
gkb_copy (const char *src, const char *dst)
{
  char *argv[] = { "cp", "--sparse=always", (char *) src, (char *) dst, NULL };
  int st = gkb_run (argv, NULL, NULL, NULL);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    if (!gkb_stop) gkb_error ("cp %s %s failed", src, dst);
    return -1;
  }
  return 0;
}
