/* guestkitd: file metadata and filesystem space.
 *
 * Paths are opened with O_PATH through gk_int_open (symlinks resolved
 * inside the sysroot, the last one not followed when O_NOFOLLOW is
 * given) and then examined through the descriptor, so no step resolves
 * a guest name against the appliance's own root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"

#define OPEN_FOLLOW (O_PATH | O_CLOEXEC)
#define OPEN_NOFOLLOW (O_PATH | O_NOFOLLOW | O_CLOEXEC)

/* fstat of guest PATH.  Returns 0, or -1 with errno set. */
static int
stat_path (const char *path, int flags, struct stat *st)
{
  int fd = gk_int_open (path, flags, 0);
  if (fd == -1)
    return -1;
  int r = fstatat (fd, "", st, AT_EMPTY_PATH);
  int saved = errno;
  close (fd);
  errno = saved;
  return r;
}

void
gk_int_statns_fill (struct gk_statns *r, const struct stat *st)
{
  r->st_dev = (int64_t) st->st_dev;
  r->st_ino = (int64_t) st->st_ino;
  r->st_mode = st->st_mode;
  r->st_nlink = (int64_t) st->st_nlink;
  r->st_uid = st->st_uid;
  r->st_gid = st->st_gid;
  r->st_rdev = (int64_t) st->st_rdev;
  r->st_size = st->st_size;
  r->st_blksize = st->st_blksize;
  r->st_blocks = st->st_blocks;
  r->st_atime_sec = st->st_atim.tv_sec;
  r->st_atime_nsec = st->st_atim.tv_nsec;
  r->st_mtime_sec = st->st_mtim.tv_sec;
  r->st_mtime_nsec = st->st_mtim.tv_nsec;
  r->st_ctime_sec = st->st_ctim.tv_sec;
  r->st_ctime_nsec = st->st_ctim.tv_nsec;
}

static struct gk_statns *
statns (const char *path, int flags)
{
  struct stat st;
  if (stat_path (path, flags, &st) == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  struct gk_statns *r = malloc (sizeof *r);
  if (!r) {
    gk_int_err (ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  gk_int_statns_fill (r, &st);
  return r;
}

struct gk_statns *
do_statns (const char *path)
{
  return statns (path, OPEN_FOLLOW);
}

struct gk_statns *
do_lstatns (const char *path)
{
  return statns (path, OPEN_NOFOLLOW);
}

/* For the boolean tests: the file's type, 0 if it does not exist (or a
 * component is not a directory, which also means "no such file"), -1 on
 * any other error. */
static int
file_type (const char *path, int follow, mode_t *type)
{
  struct stat st;
  if (stat_path (path, follow ? OPEN_FOLLOW : OPEN_NOFOLLOW, &st) == -1) {
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    return gk_int_perr ("%s", path);
  }
  *type = st.st_mode & S_IFMT;
  return 1;
}

int
do_exists (const char *path)
{
  mode_t type;
  return file_type (path, 0, &type);
}

int
do_is_file (const char *path, int followsymlinks)
{
  mode_t type;
  int r = file_type (path, followsymlinks, &type);
  return r == 1 ? type == S_IFREG : r;
}

int
do_is_dir (const char *path, int followsymlinks)
{
  mode_t type;
  int r = file_type (path, followsymlinks, &type);
  return r == 1 ? type == S_IFDIR : r;
}

int
do_chmod (int mode, const char *path)
{
  if (mode < 0)
    return gk_int_err (EINVAL, "%s: negative mode %d", path, mode);
  if (mode > 07777)
    return gk_int_err (EINVAL, "%s: mode %#o is not in 0..07777", path,
                       (unsigned) mode);
  int fd = gk_int_open (path, OPEN_FOLLOW, 0);
  if (fd == -1)
    return gk_int_perr ("%s", path);
  /* fchmod refuses O_PATH descriptors and fchmodat has no AT_EMPTY_PATH,
   * but the /proc magic link names exactly this inode; opening the file
   * for real could block (FIFO) or have side effects (devices). */
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  int r = chmod (proc, (mode_t) mode);
  int saved = errno;
  close (fd);
  errno = saved;
  return r == -1 ? gk_int_perr ("%s", path) : 0;
}

int
do_chown (int owner, int group, const char *path)
{
  int fd = gk_int_open (path, OPEN_FOLLOW, 0);
  if (fd == -1)
    return gk_int_perr ("%s", path);
  int r = fchownat (fd, "", (uid_t) owner, (gid_t) group, AT_EMPTY_PATH);
  int saved = errno;
  close (fd);
  errno = saved;
  return r == -1 ? gk_int_perr ("%s", path) : 0;
}

struct gk_statvfs *
do_statvfs (const char *path)
{
  /* fstatfs (under fstatvfs) accepts O_PATH descriptors. */
  int fd = gk_int_open (path, OPEN_FOLLOW, 0);
  if (fd == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  struct statvfs sv;
  int r = fstatvfs (fd, &sv);
  int saved = errno;
  close (fd);
  errno = saved;
  if (r == -1) {
    gk_int_perr ("%s", path);
    return NULL;
  }
  struct gk_statvfs *v = malloc (sizeof *v);
  if (!v) {
    gk_int_err (ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  v->bsize = (int64_t) sv.f_bsize;
  v->frsize = (int64_t) sv.f_frsize;
  v->blocks = (int64_t) sv.f_blocks;
  v->bfree = (int64_t) sv.f_bfree;
  v->bavail = (int64_t) sv.f_bavail;
  v->files = (int64_t) sv.f_files;
  v->ffree = (int64_t) sv.f_ffree;
  v->favail = (int64_t) sv.f_favail;
  v->fsid = (int64_t) sv.f_fsid;
  v->flag = (int64_t) sv.f_flag;
  v->namemax = (int64_t) sv.f_namemax;
  return v;
}

/* --- df --- */

/* If MP is the sysroot or below it, the guest mount point (malloc'd);
 * else NULL. */
static char *
guest_mountpoint (const char *mp, size_t len)
{
  size_t rl = strlen (gk_int_sysroot);
  while (rl > 0 && gk_int_sysroot[rl - 1] == '/') rl--;
  if (len < rl || memcmp (mp, gk_int_sysroot, rl) != 0)
    return NULL;
  if (len == rl)
    return strdup ("/");
  if (mp[rl] != '/')
    return NULL;   /* "/sysroot2" is not under "/sysroot" */
  return strndup (mp + rl, len - rl);
}

/* Rewrite one line of "df -kP" output: keep it (with the guest mount
 * point) if it is a guest filesystem, else drop it (NULL, errno 0).
 * The mount point is what follows the five numeric-ish fields. */
static char *
df_line (const char *line)
{
  const char *p = line;
  for (int f = 0; f < 5; f++) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) goto drop;
    while (*p && *p != ' ' && *p != '\t') p++;
  }
  while (*p == ' ' || *p == '\t') p++;
  if (*p != '/') goto drop;
  char *gmp = guest_mountpoint (p, strlen (p));
  if (!gmp) goto drop;
  size_t head = (size_t) (p - line), gl = strlen (gmp);
  char *out = malloc (head + gl + 1);
  if (out) {
    memcpy (out, line, head);
    memcpy (out + head, gmp, gl + 1);
  }
  else
    errno = ENOMEM;
  free (gmp);
  return out;

 drop:
  errno = 0;
  return NULL;
}

/* Keep the header and the guest filesystems' lines. */
static char *
df_filter (char **lines)
{
  size_t n = gk_int_count_strings (lines), k = 0;
  char **kept = calloc (n + 1, sizeof *kept);
  if (!kept) goto nomem;
  for (size_t i = 0; i < n; i++) {
    char *l = i == 0 ? strdup (lines[i]) : df_line (lines[i]);
    if (l) kept[k++] = l;
    else if (i == 0 || errno) goto nomem;
  }
  char *text = gk_int_join (kept, "\n");
  gk_int_free_strings (kept);
  if (!text) return NULL;
  /* Restore the final newline of df's output. */
  size_t len = strlen (text);
  char *r = realloc (text, len + 2);
  if (!r) { free (text); goto nomem_set; }
  r[len] = '\n';
  r[len + 1] = '\0';
  return r;

 nomem:
  gk_int_free_strings (kept);
 nomem_set:
  gk_int_err (ENOMEM, "df: out of memory");
  return NULL;
}

/* df with OPT, the guest's filesystems only (coreutils' df never wraps
 * a line, so each has the five columns df_line expects). */
static char *
df_guest (const char *opt)
{
  const char *argv[] = { "df", opt, NULL };
  char *out = NULL;
  if (gk_int_run (&out, NULL, argv) == -1) {
    free (out);
    return NULL;
  }
  char **lines = gk_int_split_lines (out);
  if (!lines)
    return NULL;
  char *text = df_filter (lines);
  gk_int_free_strings (lines);
  if (!text)
    return NULL;
  char *r = gk_int_text_to_user (text);
  free (text);
  if (!r)
    gk_int_err (ENOMEM, "df: out of memory");
  return r;
}

char *
do_df (void)
{
  return df_guest ("-kP");
}

char *
do_df_h (void)
{
  /* As guestfish: coreutils' "df -h" columns (Size Used Avail Use%). */
  return df_guest ("-h");
}
