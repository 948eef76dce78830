/* gkbench upload: upload, upload-no-write (internal-upload-discard) and
 * write-no-upload (internal-fill) of --size bytes into a fresh ext2 image
 * of --image-size, one appliance per run and backend, with the xfer.*
 * split; with --compare-libguestfs the same through guestfish, interleaved. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <guestkit.h>
#include "gkbench.h"
#include "fullio.h"

#define DEFAULT_RUNS 3

struct paths { char data[4096], pristine[4096], disk[4096], lgout[4096]; };

/* DATA: SIZE random bytes, kept between runs of the tool. */
static int
make_data (const char *path, int64_t size)
{
  struct stat st;
  if (stat (path, &st) == 0 && st.st_size == size) return 0;
  gkb_progress ("upload: writing %lld random bytes to %s", (long long) size, path);
  int in = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  int out = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in == -1 || out == -1) {
    gkb_error ("%s: %s", in == -1 ? "/dev/urandom" : path, strerror (errno));
    if (in != -1) close (in);
    if (out != -1) close (out);
    return -1;
  }
  static char buf[1 << 20];
  int r = 0;
  for (int64_t left = size; left > 0 && r == 0; ) {
    size_t k = left > (int64_t) sizeof buf ? sizeof buf : (size_t) left;
    if (gk_int_read_full (in, buf, k) != (ssize_t) k || gk_int_write_full (out, buf, k) == -1)
      r = -1;
    left -= (int64_t) k;
  }
  if (close (out) == -1) r = -1;
  close (in);
  if (r == -1) {
    gkb_error ("%s: %s", path, strerror (errno));
    unlink (path);
  }
  return r;
}

/* PRISTINE: an image of IMAGE bytes, one MBR partition with ext2, made
 * with guestkit on BACKEND; checks that SIZE fits in it. */
static int
make_pristine (const char *path, int64_t image, int64_t size, const char *backend)
{
  struct stat st;
  int fresh = !(stat (path, &st) == 0 && st.st_size == image);
  if (fresh) {
    gkb_progress ("upload: making the ext2 image %s", path);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1 || ftruncate (fd, image) == -1) {
      gkb_error ("%s: %s", path, strerror (errno));
      if (fd != -1) close (fd);
      return -1;
    }
    close (fd);
  }
  gk_h *g = gkb_open ();
  if (!g) return -1;
  int r = -1;
  struct gk_statvfs *sv = NULL;
  if (gk_set_backend (g, backend) == -1 || gk_add_drive (g, path, NULL) == -1
      || gk_launch (g) == -1
      || (fresh && (gk_part_disk (g, "/dev/sda", "mbr") == -1
                    || gk_mkfs (g, "ext2", "/dev/sda1", NULL) == -1))
      || gk_mount (g, "/dev/sda1", "/") == -1 || !(sv = gk_statvfs (g, "/"))
      || gk_shutdown (g) == -1) {
    gkb_error ("making %s: %s", path, gk_last_error (g));
    if (fresh) unlink (path);
    goto out;
  }
  int64_t avail = sv->bavail * sv->frsize;
  if (size > avail) {
    gkb_error ("--size %lld is bigger than the free space of the "
               "%lld-byte image (%lld bytes): use a smaller --size or a larger "
               "--image-size", (long long) size, (long long) image, (long long) avail);
    goto out;
  }
  r = 0;
 out:
  gk_free_statvfs (sv);
  gkb_close (g);
  return r;
}

static double
timing (const struct gk_timing_list *t, const char *name)
{
  for (size_t i = 0; t && i < t->len; i++)
    if (strcmp (t->val[i].name, name) == 0) return (double) t->val[i].usec / 1e6;
  return -1;
}

static const char *const modes[] = { "upload", "upload-no-write", "write-no-upload" };

static int
one (struct gkb_results *r, const struct gkb_opts *o, const struct paths *p,
     const char *backend, const char *channel)
{
  if (gkb_copy (p->pristine, p->disk) == -1) return -1;
  gk_h *g = gkb_open ();
  if (!g) return -1;
  int ret = -1;
  char *used = NULL, *cfg = NULL;
  if (gkb_configure (g, o, backend, channel) == -1 || gk_add_drive (g, p->disk, NULL) == -1
      || gk_launch (g) == -1 || gk_mount (g, "/dev/sda1", "/") == -1)
    goto out;
  used = gk_get_backend (g);
  if (!(cfg = gkb_config_name (o, used, backend, channel))) goto out;
  pid_t pid = gk_get_pid (g);
  for (int m = 0; m < 3 && !gkb_stop; m++) {
    /* The appliance's CPU time around the call (two small calls, each
     * well under a millisecond, outside the timed part). */
    int64_t b0 = gk_internal_guest_busy (g);
    double c0 = gkb_group_cpu (pid), s0 = gkb_self_cpu (), t0 = gkb_now ();
    int k = m == 0 ? gk_upload (g, p->data, "/file")
      : m == 1 ? gk_internal_upload_discard (g, p->data)
      : gk_internal_fill (g, 0, o->size, "/file");
    double t1 = gkb_now ();
    if (k == -1) goto out;
    struct gkb_fig *f = gkb_fig (r, "upload", modes[m], cfg, "s", 0);
    if (!f) goto out;
    f->bytes = (double) o->size;
    gkb_add (f, t1 - t0);
    gkb_add_aux (f, "wall_s", t1 - t0);
    gkb_add_aux (f, "backend_cpu_s", gkb_group_cpu (pid) - c0);
    gkb_add_aux (f, "library_cpu_s", gkb_self_cpu () - s0);
    int64_t b1 = gk_internal_guest_busy (g);
    if (b0 >= 0 && b1 >= b0) gkb_add_aux (f, "guest_busy_s", (double) (b1 - b0) / 1e6);
    struct gk_timing_list *t = gk_get_timings (g);
    static const char *const x[] = { "xfer.wall", "xfer.host_io", "xfer.transport",
                                     "xfer.guest_write", "xfer.guest_fsync" };
    for (size_t i = 0; i < 5; i++) {
      double v = timing (t, x[i]);
      char name[32];
      snprintf (name, sizeof name, "%s_s", x[i] + 5);
      if (v >= 0) gkb_add_aux (f, strcmp (name, "wall_s") ? name : "xfer_wall_s", v);
    }
    gk_free_timing_list (t);
  }
  ret = gk_shutdown (g);
 out:
  if (ret == -1 && !gkb_stop)
    gkb_error ("upload %s: %s", backend, gk_last_error (g));
  free (used);
  free (cfg);
  gkb_close (g);
  unlink (p->disk);
  return ret;
}

/* guestfish's `time` lines, in order: upload, sync, upload to a null
 * device, fill, sync. */
static int
one_libguestfs (struct gkb_results *r, const struct gkb_opts *o, const struct paths *p)
{
  if (gkb_copy (p->pristine, p->disk) == -1) return -1;
  char n[32];
  snprintf (n, sizeof n, "%lld", (long long) o->size);
  char *argv[] = { "guestfish", "-a", (char *) p->disk, "-m", "/dev/sda1", "--",
                   "time", "upload", (char *) p->data, "/file", ":", "time", "sync", ":",
                   "mknod-c", "0666", "1", "3", "/null", ":",
                   "time", "upload", (char *) p->data, "/null", ":",
                   "rm", "/file", ":", "time", "fill", "0", n, "/file", ":", "time", "sync",
                   NULL };
  int st = gkb_run (argv, p->lgout, NULL, NULL);
  unlink (p->disk);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    if (!gkb_stop) gkb_error ("guestfish upload run failed (output in %s)", p->lgout);
    return -1;
  }
  FILE *fp = fopen (p->lgout, "re");
  if (!fp) return -1;
  double v[5];
  int nv = 0;
  char line[512];
  while (nv < 5 && fgets (line, sizeof line, fp))
    if (sscanf (line, "elapsed time: %lf seconds", &v[nv]) == 1) nv++;
  fclose (fp);
  if (nv != 5) {
    gkb_error ("guestfish printed %d of 5 timings (output in %s)", nv, p->lgout);
    return -1;
  }
  /* upload and fill + their sync: guestkit's upload and fill end with fsync. */
  double s[3] = { v[0] + v[1], v[2], v[3] + v[4] };
  for (int m = 0; m < 3; m++) {
    struct gkb_fig *f = gkb_fig (r, "upload", modes[m], "libguestfs", "s", 0);
    if (!f) return -1;
    f->bytes = (double) o->size;
    gkb_add (f, s[m]);
  }
  return 0;
}

struct run_arg { struct gkb_results *r; const struct gkb_opts *o; const struct paths *p; };

static int
one_run (void *arg, const char *backend, const char *channel)
{
  struct run_arg *a = arg;
  return backend ? one (a->r, a->o, a->p, backend, channel) : one_libguestfs (a->r, a->o, a->p);
}

int
gkb_upload (struct gkb_results *r, const struct gkb_opts *o)
{
  struct paths p;
  snprintf (p.data, sizeof p.data, "%s/upload-%lld.bin", o->workdir, (long long) o->size);
  snprintf (p.pristine, sizeof p.pristine, "%s/ext2-%lld.img", o->workdir, (long long) o->image_size);
  snprintf (p.disk, sizeof p.disk, "%s/upload-disk.img", o->workdir);
  snprintf (p.lgout, sizeof p.lgout, "%s/guestfish.out", o->workdir);
  if (o->size > o->image_size) {
    gkb_error ("--size %lld is bigger than the image (--image-size %lld)",
               (long long) o->size, (long long) o->image_size);
    return -1;
  }
  if (make_data (p.data, o->size) == -1
      || make_pristine (p.pristine, o->image_size, o->size, o->backends[0]) == -1)
    return -1;
  struct run_arg a = { r, o, &p };
  return gkb_each_run (o, "upload", DEFAULT_RUNS, one_run, &a);
}
