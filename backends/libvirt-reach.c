/* guestkit libvirt backend: can the system daemon's qemu user reach a
 * file?  On qemu:///system, qemu runs as the daemon's user (Debian:
 * libvirt-qemu), and guestkit never relabels or chowns the user's
 * files, so a file it cannot open, or a directory on the way it cannot
 * search, must be named before the launch (libvirt's own error names
 * only the file, after a slow start). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "libvirt.h"

/* Does UID (with primary group GID and its supplementary groups) have
 * access WANT (4 read, 2 write, 1 search) to a file of mode ST?  ACLs
 * are not looked at. */
static int
allowed (const struct stat *st, uid_t uid, const gid_t *groups, int ngroups, int want)
{
  if (uid == 0) return 1;
  int bits;
  if (st->st_uid == uid) bits = (st->st_mode >> 6) & 7;
  else {
    bits = st->st_mode & 7;
    for (int i = 0; i < ngroups; i++)
      if (groups[i] == st->st_gid) { bits = (st->st_mode >> 3) & 7; break; }
  }
  return (bits & want) == want;
}

int
gk_int_libvirt_reach (const char *path, uid_t uid, gid_t gid, int write,
                      char *why, size_t whylen)
{
  gid_t groups[64];
  int ngroups = 64;
  struct passwd *pw = getpwuid (uid);
  char user[64];
  snprintf (user, sizeof user, "%s%s%d", pw ? pw->pw_name : "", pw ? ", uid " : "uid ", (int) uid);
  if (!pw || getgrouplist (pw->pw_name, gid, groups, &ngroups) == -1) {
    groups[0] = gid;
    ngroups = 1;
  }
  char p[4096];
  if (path[0] != '/' || strlen (path) >= sizeof p) {
    snprintf (why, whylen, "%s: not an absolute path", path);
    return -1;
  }
  /* Every directory on the way: search permission. */
  strcpy (p, path);
  for (char *s = strchr (p + 1, '/'); s; s = strchr (s + 1, '/')) {
    *s = '\0';
    struct stat st;
    if (stat (p, &st) == 0 && !allowed (&st, uid, groups, ngroups, 1)) {
      snprintf (why, whylen, "qemu runs as %s, which cannot reach %s: directory %s is "
                "mode %04o, owner %d, group %d", user, path, p, (unsigned) (st.st_mode & 07777),
                (int) st.st_uid, (int) st.st_gid);
      return -1;
    }
    *s = '/';
  }
  struct stat st;
  if (stat (path, &st) == -1) {
    snprintf (why, whylen, "%s: %s", path, strerror (errno));
    return -1;
  }
  int want = 4 | (write ? 2 : 0);
  if (!allowed (&st, uid, groups, ngroups, want)) {
    snprintf (why, whylen, "qemu runs as %s, which cannot %s %s: it is mode %04o, "
              "owner %d, group %d", user, write ? "read and write" : "read", path,
              (unsigned) (st.st_mode & 07777), (int) st.st_uid, (int) st.st_gid);
    return -1;
  }
  return 0;
}
