/* guestkitd: recognising a Linux root and reading what it says of itself.
 *
 * A filesystem is a Linux root when it has /etc and one of the release
 * files (os-release in /etc or /usr/lib, redhat-release, debian_version,
 * alpine-release, arch-release, gentoo-release).
 * os-release is preferred; the older files fill what it lacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "inspect.h"
#include "inspect-parse.h"

/* Binaries whose ELF header gives the architecture, in order. */
static const char *const arch_bins[] = {
  "/usr/bin/ls", "/bin/ls", "/usr/bin/bash", "/bin/bash", "/bin/sh",
  "/usr/bin/busybox", "/bin/busybox", "/sbin/init", "/usr/lib/systemd/systemd",
  NULL
};

static void
get_arch (int rootfd, struct gk_insp_root *r)
{
  snprintf (r->arch, sizeof r->arch, "unknown");
  for (size_t i = 0; arch_bins[i]; i++) {
    size_t len;
    char *b = gk_int_insp_read (rootfd, arch_bins[i], 64, &len);
    if (!b) continue;
    const char *a = gk_int_elf_arch ((unsigned char *) b, len);
    free (b);
    if (a) {
      snprintf (r->arch, sizeof r->arch, "%s", a);
      return;
    }
  }
}

/* The host name: /etc/hostname (systemd), /etc/HOSTNAME (SUSE, Slackware),
 * then HOSTNAME= in /etc/sysconfig/network (RHEL <= 6). */
static void
get_hostname (int rootfd, struct gk_insp_root *r)
{
  static const char *const files[] = { "/etc/hostname", "/etc/HOSTNAME", NULL };
  size_t len;
  char *b;
  r->hostname[0] = '\0';
  for (size_t i = 0; files[i] && !r->hostname[0]; i++)
    if ((b = gk_int_insp_read (rootfd, files[i], GK_INSP_FILE_MAX, &len))) {
      gk_int_first_line (b, len, r->hostname, sizeof r->hostname);
      free (b);
    }
  if (!r->hostname[0]) {
    b = gk_int_insp_read (rootfd, "/etc/sysconfig/network", GK_INSP_FILE_MAX, &len);
    if (b) {
      gk_int_shell_var (b, len, "HOSTNAME", r->hostname, sizeof r->hostname);
      free (b);
    }
  }
  if (!r->hostname[0]) snprintf (r->hostname, sizeof r->hostname, "unknown");
}

static const struct { const char *distro, *fmt, *mgmt; } pkg_tools[] = {
  { "debian", "deb", "apt" }, { "ubuntu", "deb", "apt" },
  { "linuxmint", "deb", "apt" }, { "fedora", "rpm", "dnf" },
  { "rhel", "rpm", "dnf" }, { "centos", "rpm", "dnf" },
  { "rocky", "rpm", "dnf" }, { "almalinux", "rpm", "dnf" },
  { "oraclelinux", "rpm", "dnf" }, { "opensuse", "rpm", "zypper" },
  { "sles", "rpm", "zypper" }, { "archlinux", "pacman", "pacman" },
  { "alpinelinux", "apk", "apk" }, { "gentoo", "ebuild", "portage" },
  { NULL, NULL, NULL }
};

static void
get_packages (int rootfd, struct gk_insp_root *r)
{
  const char *fmt = "unknown", *mgmt = "unknown";
  for (size_t i = 0; pkg_tools[i].distro; i++)
    if (strcmp (r->distro, pkg_tools[i].distro) == 0) {
      fmt = pkg_tools[i].fmt;
      mgmt = pkg_tools[i].mgmt;
    }
  /* yum before dnf: Fedora 22, RHEL/CentOS 8. */
  if (strcmp (mgmt, "dnf") == 0 && r->major > 0
      && (strcmp (r->distro, "fedora") == 0 ? r->major < 22 : r->major < 8))
    mgmt = "yum";
  if (strcmp (fmt, "unknown") == 0) {
    if (gk_int_insp_is (rootfd, "/var/lib/dpkg/status", 0)) fmt = "deb";
    else if (gk_int_insp_is (rootfd, "/var/lib/rpm", 1)) fmt = "rpm";
  }
  snprintf (r->pkgfmt, sizeof r->pkgfmt, "%s", fmt);
  snprintf (r->pkgmgmt, sizeof r->pkgmgmt, "%s", mgmt);
}

/* The release files before os-release existed, and Debian's point
 * release, which os-release does not carry. */
static int
old_release_files (int rootfd, struct gk_insp_root *r, int have_osrel)
{
  size_t len;
  int found = 0;
  char *b = gk_int_insp_read (rootfd, "/etc/redhat-release", GK_INSP_FILE_MAX, &len);
  if (!b) b = gk_int_insp_read (rootfd, "/etc/fedora-release", GK_INSP_FILE_MAX, &len);
  if (b) {
    char distro[64], product[256];
    int ma, mi;
    found = 1;
    if (gk_int_parse_redhat_release (b, len, distro, sizeof distro, product,
                                     sizeof product, &ma, &mi) == 0
        && !have_osrel) {
      if (*distro) snprintf (r->distro, sizeof r->distro, "%s", distro);
      snprintf (r->product, sizeof r->product, "%s", product);
      r->major = ma;
      r->minor = mi;
    }
    free (b);
  }
  /* Distributions whose release file only names them (and, for
   * Alpine, holds the version). */
  static const struct { const char *file, *distro; } named[] = {
    { "/etc/alpine-release", "alpinelinux" }, { "/etc/arch-release", "archlinux" },
    { "/etc/gentoo-release", "gentoo" }, { NULL, NULL }
  };
  for (size_t i = 0; named[i].file; i++)
    if (gk_int_insp_is (rootfd, named[i].file, 0)) {
      found = 1;
      if (have_osrel) continue;
      snprintf (r->distro, sizeof r->distro, "%s", named[i].distro);
      if (i == 0 && (b = gk_int_insp_read (rootfd, named[i].file, GK_INSP_FILE_MAX, &len))) {
        if (gk_int_parse_version (b, len, &r->major, &r->minor) == -1)
          r->major = r->minor = 0;
        free (b);
      }
    }
  b = gk_int_insp_read (rootfd, "/etc/debian_version", GK_INSP_FILE_MAX, &len);
  if (b) {
    int ma, mi;
    found = 1;
    if (!have_osrel) snprintf (r->distro, sizeof r->distro, "debian");
    if (strcmp (r->distro, "debian") == 0
        && gk_int_parse_version (b, len, &ma, &mi) == 0
        && (r->major == 0 || r->major == ma)) {
      r->major = ma;
      r->minor = mi;
    }
    free (b);
  }
  return found;
}

int
gk_int_insp_linux (int rootfd, struct gk_insp_root *r, char **fstab_r,
                   size_t *fstab_len)
{
  *fstab_r = NULL;
  if (!gk_int_insp_is (rootfd, "/etc", 1)) return 0;

  size_t len;
  struct gk_osrel os;
  int have_osrel = 0;
  char *b = gk_int_insp_read (rootfd, "/etc/os-release", GK_INSP_FILE_MAX, &len);
  if (!b) b = gk_int_insp_read (rootfd, "/usr/lib/os-release", GK_INSP_FILE_MAX, &len);
  snprintf (r->distro, sizeof r->distro, "unknown");
  snprintf (r->product, sizeof r->product, "unknown");
  r->major = r->minor = 0;
  if (b) {
    have_osrel = gk_int_parse_os_release (b, len, &os) > 0;
    free (b);
  }
  if (have_osrel) {
    gk_int_distro_from_id (os.id, r->distro, sizeof r->distro);
    if (*os.pretty_name)
      snprintf (r->product, sizeof r->product, "%s", os.pretty_name);
    else if (*os.name)
      snprintf (r->product, sizeof r->product, "%s", os.name);
    if (gk_int_parse_version (os.version_id, strlen (os.version_id),
                              &r->major, &r->minor) == -1)
      r->major = r->minor = 0;
  }
  if (!old_release_files (rootfd, r, have_osrel) && !have_osrel) return 0;

  snprintf (r->type, sizeof r->type, "linux");
  get_arch (rootfd, r);
  get_hostname (rootfd, r);
  get_packages (rootfd, r);
  *fstab_r = gk_int_insp_read (rootfd, "/etc/fstab", GK_INSP_FILE_MAX, fstab_len);
  return 1;
}
