/* guestkitd: internal-disk-bench, the disk load generator of
 * bench/gkbench disk, and internal-guest-busy, the appliance's CPU time.  Data goes through O_DIRECT so that what is measured
 * is the emulated disk and the host's cache mode, not the appliance's page
 * cache.  Every argument is bounded; files live under the caller's
 * directory with fixed names, opened relative to it without following
 * symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"

#define DATA_FILE "gk-diskbench.dat"
#define DATA_DIR "gk-diskbench.d"
#define MAX_SIZE (64LL << 30)
#define MIN_BS 512
#define MAX_BS (16 << 20)
#define MAX_OPS 10000000LL
#define ALIGN 4096

static int64_t
cpu_usec (void)
{
  struct rusage ru;
  if (getrusage (RUSAGE_SELF, &ru) == -1) return 0;
  return (int64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000
    + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* Non-idle time of every CPU of the appliance, from the first line of
 * /proc/stat (user nice system idle iowait irq softirq steal). */
static int64_t
busy_usec (void)
{
  char buf[512];
  int fd = open ("/proc/stat", O_RDONLY | O_CLOEXEC);
  if (fd == -1) return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long v[8] = { 0 };
  if (sscanf (buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 7)
    return 0;
  long hz = sysconf (_SC_CLK_TCK);
  if (hz <= 0) hz = 100;
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return (int64_t) (busy * 1000000ULL / (unsigned long long) hz);
}

int64_t
do_internal_guest_busy (void)
{
  int64_t b = busy_usec ();
  if (b <= 0) gk_int_err (EIO, "/proc/stat: cannot read the CPU times");
  return b > 0 ? b : -1;
}

/* xorshift64*: reproducible offsets, no libc state. */
static uint64_t
next_rand (uint64_t *s)
{
  *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

static int
full_io (int fd, char *buf, size_t len, off_t off, int writing)
{
  size_t done = 0;
  while (done < len) {
    ssize_t r = writing ? pwrite (fd, buf + done, len - done, off + (off_t) done)
                        : pread (fd, buf + done, len - done, off + (off_t) done);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return -1;
    if (r == 0) { errno = EIO; return -1; }
    done += (size_t) r;
  }
  return 0;
}

/* seqwrite, seqread (OPS ignored: the whole SIZE), randread, randwrite. */
static int
blocks (int dfd, const char *dir, int writing, int random, int64_t size, size_t bs,
        int64_t ops, char *buf, struct gk_diskbench *res)
{
  int create = writing && !random;
  /* A special file planted under the data file's name is never opened. */
  struct stat st;
  if (fstatat (dfd, DATA_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0
      && !S_ISREG (st.st_mode)) {
    char p[PATH_MAX + 32];
    snprintf (p, sizeof p, "%s/%s", strcmp (dir, "/") ? dir : "", DATA_FILE);
    return gk_int_err_not_regular (p, st.st_mode);
  }
  int fd = openat (dfd, DATA_FILE, (create ? O_WRONLY | O_CREAT | O_TRUNC
                                    : writing ? O_WRONLY : O_RDONLY)
                   | O_DIRECT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd == -1) return gk_int_perr ("%s/%s%s", dir, DATA_FILE, create ? "" : " (run seqwrite first)");
  if (!create && (fstat (fd, &st) == -1 || st.st_size < size)) {
    close (fd);
    return gk_int_err (EINVAL, "%s/%s: holds less than %lld bytes: run seqwrite "
                       "with at least this size first", dir, DATA_FILE, (long long) size);
  }
  uint64_t s = 0x9e3779b97f4a7c15ULL, nblocks = (uint64_t) size / bs;
  if (!random) ops = (int64_t) nblocks;
  for (int64_t i = 0; i < ops; i++) {
    /* Whole aligned blocks: O_DIRECT needs aligned offsets and lengths. */
    off_t off = (off_t) ((random ? next_rand (&s) % nblocks : (uint64_t) i) * bs);
    if (full_io (fd, buf, bs, off, writing) == -1) {
      gk_int_perr ("%s/%s: %s at offset %lld", dir, DATA_FILE,
                   writing ? "write" : "read", (long long) off);
      close (fd);
      return -1;
    }
    res->bytes += (int64_t) bs;
    res->ops++;
  }
  if (writing && fsync (fd) == -1) {
    gk_int_perr ("%s/%s: fsync", dir, DATA_FILE);
    close (fd);
    return -1;
  }
  close (fd);
  return 0;
}

static int
createdelete (int dfd, const char *dir, size_t bs, int64_t ops, char *buf,
              struct gk_diskbench *res)
{
  if (mkdirat (dfd, DATA_DIR, 0755) == -1 && errno != EEXIST)
    return gk_int_perr ("%s/%s", dir, DATA_DIR);
  int sub = openat (dfd, DATA_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub == -1) return gk_int_perr ("%s/%s", dir, DATA_DIR);
  char name[32];
  int64_t made = 0;
  int r = 0;
  for (; made < ops; made++) {
    snprintf (name, sizeof name, "f%lld", (long long) made);
    int fd = openat (sub, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd == -1 || full_io (fd, buf, bs, 0, 1) == -1) {
      r = gk_int_perr ("%s/%s/%s", dir, DATA_DIR, name);
      if (fd != -1) close (fd);
      break;
    }
    close (fd);
    res->bytes += (int64_t) bs;
    res->ops++;
  }
  if (r == 0 && syncfs (sub) == -1) r = gk_int_perr ("%s/%s: syncfs", dir, DATA_DIR);
  /* Remove what was made even after an error. */
  for (int64_t i = 0; i < made; i++) {
    snprintf (name, sizeof name, "f%lld", (long long) i);
    if (unlinkat (sub, name, 0) == -1) {
      if (r == 0) r = gk_int_perr ("%s/%s/%s: unlink", dir, DATA_DIR, name);
    }
    else if (r == 0)
      res->ops++;
  }
  if (r == 0 && syncfs (sub) == -1) r = gk_int_perr ("%s/%s: syncfs", dir, DATA_DIR);
  close (sub);
  unlinkat (dfd, DATA_DIR, AT_REMOVEDIR);
  return r;
}

struct gk_diskbench *
do_internal_disk_bench (const char *test, const char *directory, int64_t size,
                        int blocksize, int64_t ops)
{
  static const char *const tests[] = { "seqwrite", "seqread", "randread",
                                       "randwrite", "createdelete", NULL };
  int t = 0;
  while (tests[t] && strcmp (tests[t], test) != 0) t++;
  if (!tests[t]) {
    gk_int_err (EINVAL, "%s: unknown test '%s' (valid: seqwrite, seqread, randread, "
                "randwrite, createdelete)", directory, test);
    return NULL;
  }
  if (size < 1 || size > MAX_SIZE) {
    gk_int_err (EINVAL, "%s: size %lld is not in 1..%lld", directory, (long long) size,
                MAX_SIZE);
    return NULL;
  }
  if (blocksize < MIN_BS || blocksize > MAX_BS || (blocksize & (blocksize - 1)) != 0) {
    gk_int_err (EINVAL, "%s: block size %d is not a power of two in %d..%d",
                directory, blocksize, MIN_BS, MAX_BS);
    return NULL;
  }
  if (ops < 1 || ops > MAX_OPS) {
    gk_int_err (EINVAL, "%s: ops %lld is not in 1..%lld", directory, (long long) ops,
                MAX_OPS);
    return NULL;
  }
  size_t bs = (size_t) blocksize;
  /* Whole blocks only: round the size up to the block size. */
  size = (int64_t) (((uint64_t) size + bs - 1) / bs * bs);
  int dfd = gk_int_open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd == -1) {
    gk_int_perr ("%s", directory);
    return NULL;
  }
  char *buf = NULL;
  struct gk_diskbench *res = calloc (1, sizeof *res);
  if (!res || posix_memalign ((void **) &buf, ALIGN, bs) != 0) {
    gk_int_err (ENOMEM, "%s: out of memory", directory);
    free (res);
    close (dfd);
    return NULL;
  }
  /* Not all zeros or all one value, so no layer can shortcut it. */
  for (size_t i = 0; i < bs; i++) buf[i] = (char) (i * 131 + 7);
  int64_t c0 = cpu_usec (), b0 = busy_usec ();
  uint64_t w0 = gk_int_now_ns ();
  int r;
  switch (t) {
  case 0: case 1: case 2: case 3:
    r = blocks (dfd, directory, t == 0 || t == 3, t >= 2, size, bs, ops, buf, res);
    break;
  default: r = createdelete (dfd, directory, bs, ops, buf, res); break;
  }
  res->wall_usec = (int64_t) ((gk_int_now_ns () - w0) / 1000);
  res->cpu_usec = cpu_usec () - c0;
  res->busy_usec = busy_usec () - b0;
  free (buf);
  close (dfd);
  if (r == -1) {
    free (res);
    return NULL;
  }
  return res;
}
