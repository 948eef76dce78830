/* guestkit tests: host-side helpers (testutil.h). */
#include <time.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "testutil.h"

void
tu_mkimage (const char *path, off_t size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd == -1 || ftruncate (fd, size) == -1) { perror (path); exit (2); }
  close (fd);
}

void
tu_write_file (const char *path, const char *text, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd == -1 || write (fd, text, strlen (text)) != (ssize_t) strlen (text)) {
    perror (path);
    exit (2);
  }
  close (fd);
  if (chmod (path, mode) == -1) { perror (path); exit (2); }
}

int
tu_children (pid_t *first)
{
  int n = 0;
  DIR *d = opendir ("/proc");
  struct dirent *e;
  while (d && (e = readdir (d))) {
    char p[300], buf[512];
    snprintf (p, sizeof p, "/proc/%s/stat", e->d_name);
    FILE *f = fopen (p, "r");
    if (!f) continue;
    if (fgets (buf, sizeof buf, f)) {
      /* The command name may hold spaces and parentheses: the state and
       * the parent's pid follow the last ')'. */
      char *rp = strrchr (buf, ')');
      int ppid = 0;
      if (rp && sscanf (rp + 2, "%*c %d", &ppid) == 1 && ppid == getpid ()) {
        if (first && n == 0) *first = atoi (e->d_name);
        n++;
      }
    }
    fclose (f);
  }
  if (d) closedir (d);
  return n;
}

/* Has process PID a descriptor open on a file whose name contains S?
 * (VMs get the images as descriptors, not names.) */
static int
holds (const char *pid, const char *s)
{
  char p[600], t[4096];
  snprintf (p, sizeof p, "/proc/%.200s/fd", pid);
  DIR *d = opendir (p);
  struct dirent *e;
  int found = 0;
  while (d && !found && (e = readdir (d))) {
    snprintf (p, sizeof p, "/proc/%.200s/fd/%.255s", pid, e->d_name);
    ssize_t k = readlink (p, t, sizeof t - 1);
    if (k <= 0) continue;
    t[k] = '\0';
    found = strstr (t, s) != NULL;
  }
  if (d) closedir (d);
  return found;
}

int
tu_procs_mentioning (const char *s)
{
  int n = 0;
  DIR *d = opendir ("/proc");
  struct dirent *e;
  while (d && (e = readdir (d))) {
    char p[300], buf[8192];
    snprintf (p, sizeof p, "/proc/%s/cmdline", e->d_name);
    int fd = open (p, O_RDONLY);
    if (fd == -1) continue;
    ssize_t k = read (fd, buf, sizeof buf - 1);
    close (fd);
    if (k <= 0) continue;
    for (ssize_t i = 0; i < k; i++) if (!buf[i]) buf[i] = ' ';
    buf[k] = '\0';
    if (strstr (buf, s)) n++;
    else if (atoi (e->d_name) != (int) getpid () && holds (e->d_name, s)) n++;
  }
  if (d) closedir (d);
  return n;
}

int
tu_count_entries (const char *d, const char *prefix)
{
  int n = 0;
  DIR *dd = opendir (d);
  struct dirent *e;
  while (dd && (e = readdir (dd))) {
    if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0) continue;
    if (strncmp (e->d_name, prefix, strlen (prefix)) == 0) n++;
  }
  if (dd) closedir (dd);
  return n;
}

double
tu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
