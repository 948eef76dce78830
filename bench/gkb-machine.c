/* gkbench: the machine's description for the JSON output: CPU, cores,
 * memory, kernel, whether KVM exists, the versions of qemu, UML and
 * (when compared) libguestfs, and the load when the run started. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "gkbench.h"

/* The value of the first "KEY<spaces>: value" line of FILE, into BUF. */
static const char *
proc_field (const char *file, const char *key, char *buf, size_t len)
{
  FILE *fp = fopen (file, "re");
  buf[0] = '\0';
  if (!fp) return buf;
  char line[512];
  size_t k = strlen (key);
  while (fgets (line, sizeof line, fp)) {
    if (strncmp (line, key, k) != 0 || !strchr (line, ':')) continue;
    char *v = strchr (line, ':') + 1;
    v += strspn (v, " \t");
    v[strcspn (v, "\n")] = '\0';
    snprintf (buf, len, "%s", v);
    break;
  }
  fclose (fp);
  return buf;
}

/* First line of COMMAND's output (stderr discarded), or "not found". */
static const char *
first_line (const char *command, char *buf, size_t len)
{
  snprintf (buf, len, "not found");
  FILE *p = popen (command, "re");
  if (!p) return buf;
  char line[512];
  if (fgets (line, sizeof line, p)) {
    line[strcspn (line, "\n")] = '\0';
    if (line[0]) snprintf (buf, len, "%s", line);
  }
  pclose (p);
  return buf;
}

void
gkb_describe_machine (struct gkb_results *r, int libguestfs)
{
  char buf[512], tmp[64];
  gkb_machine (r, "cpu", proc_field ("/proc/cpuinfo", "model name", buf, sizeof buf));
  snprintf (tmp, sizeof tmp, "%ld", sysconf (_SC_NPROCESSORS_ONLN));
  gkb_machine (r, "cores", tmp);
  gkb_machine (r, "memory", proc_field ("/proc/meminfo", "MemTotal", buf, sizeof buf));
  struct utsname u;
  if (uname (&u) == 0) {
    snprintf (buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
    gkb_machine (r, "kernel", buf);
  }
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  gkb_machine (r, "kvm", fd != -1 ? "yes" : access ("/dev/kvm", F_OK) == 0
               ? "no (/dev/kvm exists but cannot be opened)" : "no (/dev/kvm does not exist)");
  if (fd != -1) close (fd);
  const char *q = getenv ("GUESTKIT_QEMU");
  snprintf (tmp, sizeof tmp, "%.40s", q ? q : "qemu-system-x86_64");
  snprintf (buf, sizeof buf, "'%s' --version 2>/dev/null", tmp);
  char v[128];
  gkb_machine (r, "qemu", first_line (buf, v, sizeof v));
  const char *uml = getenv ("GUESTKIT_UML");
  snprintf (buf, sizeof buf, "'%.200s' --version 2>/dev/null", uml ? uml : "/usr/bin/linux.uml");
  first_line (buf, v, sizeof v);
  gkb_machine (r, "uml", v);
  if (libguestfs)
    gkb_machine (r, "libguestfs", first_line ("guestfish --version 2>/dev/null", v, sizeof v));
  gkb_machine (r, "load_at_start", first_line ("cat /proc/loadavg", buf, sizeof buf));
  time_t t = time (NULL);
  strftime (buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", gmtime (&t));
  gkb_machine (r, "date", buf);
}
