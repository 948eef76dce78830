/* gkbench disk: the I/O configuration matrix.  For each backend and
 * configuration (disk interface, image format, host cache mode), one
 * appliance per run: a fresh image, mkfs ext4, then the appliance's load
 * generator (internal-disk-bench: O_DIRECT, so the guest page cache does
 * not hide the host cache mode) runs sequential write and read, random
 * 4 KiB read and write, and file create/delete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <guestkit.h>
#include "gkbench.h"

#define DEFAULT_RUNS 3
#define SEQ_BS (1 << 20)
#define RAND_BS 4096

struct config { const char *iface, *format, *cache; int dead; };

static const char *const ifaces[] = { "virtio-blk", "virtio-scsi", "ide" };
static const char *const formats[] = { "raw", "qcow2", "qcow2-prealloc" };
static const char *const caches[] = { "writeback", "none", "writethrough", "unsafe" };

/* The default set varies one setting at a time from virtio-blk, raw,
 * writeback; --all is every combination. */
static size_t
qemu_configs (struct config *c, int all)
{
  size_t n = 0;
  if (all) {
    for (size_t i = 0; i < 3; i++)
      for (size_t f = 0; f < 3; f++)
        for (size_t k = 0; k < 4; k++)
          c[n++] = (struct config) { ifaces[i], formats[f], caches[k], 0 };
    return n;
  }
  for (size_t i = 0; i < 3; i++) c[n++] = (struct config) { ifaces[i], "raw", "writeback", 0 };
  for (size_t f = 1; f < 3; f++) c[n++] = (struct config) { "virtio-blk", formats[f], "writeback", 0 };
  for (size_t k = 1; k < 4; k++) c[n++] = (struct config) { "virtio-blk", "raw", caches[k], 0 };
  return n;
}

/* A fresh image of SIZE bytes in FORMAT at PATH. */
static int
make_image (const char *path, const char *format, int64_t size)
{
  unlink (path);
  if (strcmp (format, "raw") == 0) {
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int r = fd == -1 || ftruncate (fd, size) == -1 ? -1 : 0;
    if (r == -1) gkb_error ("%s: %s", path, strerror (errno));
    if (fd != -1) close (fd);
    return r;
  }
  char sz[32];
  snprintf (sz, sizeof sz, "%lld", (long long) size);
  char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-o",
                   strcmp (format, "qcow2") == 0 ? "preallocation=off" : "preallocation=metadata",
                   (char *) path, sz, NULL };
  int st = gkb_run (argv, NULL, NULL, NULL);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    gkb_error ("qemu-img create %s failed (is qemu-utils installed?)", path);
    return -1;
  }
  return 0;
}

struct test { const char *name, *unit; int bs; int random; };
static const struct test tests[] = {
  { "seqwrite", "MiB/s", SEQ_BS, 0 }, { "seqread", "MiB/s", SEQ_BS, 0 },
  { "randread", "IOPS", RAND_BS, 1 }, { "randwrite", "IOPS", RAND_BS, 1 },
  { "createdelete", "ops/s", RAND_BS, 1 },
};

/* One run of configuration C on BACKEND; *why_r: a launch failure
 * (the configuration does not work here) rather than a failed test. */
static int
one (struct gkb_results *r, const struct gkb_opts *o, const char *backend,
     const struct config *c, const char *img, char **why_r)
{
  if (make_image (img, c->format, o->image_size) == -1) return -1;
  gk_h *g = gkb_open ();
  if (!g) return -1;
  int ret = -1;
  char *used = NULL;
  struct gk_add_drive_opts ao = {
    .bitmask = GK_ADD_DRIVE_FORMAT | GK_ADD_DRIVE_CACHEMODE | GK_ADD_DRIVE_IFACE,
    .format = strcmp (c->format, "raw") ? "qcow2" : "raw", .cachemode = c->cache,
    .iface = c->iface,
  };
  if (gk_set_backend (g, backend) == -1 || gk_add_drive (g, img, &ao) == -1
      || gk_launch (g) == -1) {
    if (!gkb_stop) *why_r = gkb_one_line (gk_last_error (g));
    goto out;
  }
  if (gk_mkfs (g, "ext4", "/dev/sda", NULL) == -1 || gk_mount (g, "/dev/sda", "/") == -1)
    goto out;
  used = gk_get_backend (g);
  pid_t pid = gk_get_pid (g);
  char cfg[160];
  snprintf (cfg, sizeof cfg, "%s %s %s %s", used ? used : backend,
            strcmp (backend, "uml") == 0 ? "ubd" : c->iface, c->format, c->cache);
  for (size_t i = 0; i < sizeof tests / sizeof *tests && !gkb_stop; i++) {
    const struct test *t = &tests[i];
    int64_t ops = strcmp (t->name, "createdelete") == 0 ? (o->ops + 3) / 4 : o->ops;
    double c0 = gkb_group_cpu (pid), t0 = gkb_now ();
    struct gk_diskbench *d = gk_internal_disk_bench (g, t->name, "/", o->disk_size, t->bs, ops);
    double t1 = gkb_now ();
    if (!d) goto out;
    struct gkb_fig *f = gkb_fig (r, "disk", t->name, cfg, t->unit, 1);
    /* The host's clock: under TCG the appliance's clock may tick in
     * jiffies (4 ms); the call's round trip is well under 1 ms. */
    double wall = t1 - t0;
    if (f && wall > 0) {
      gkb_add (f, t->random ? (double) d->ops / wall : (double) d->bytes / 1048576.0 / wall);
      gkb_add_aux (f, "wall_s", wall);
      gkb_add_aux (f, "guest_wall_s", (double) d->wall_usec / 1e6);
      gkb_add_aux (f, "guest_busy_s", (double) d->busy_usec / 1e6);
      gkb_add_aux (f, "guest_daemon_cpu_s", (double) d->cpu_usec / 1e6);
      gkb_add_aux (f, "backend_cpu_s", gkb_group_cpu (pid) - c0);
    }
    gk_free_diskbench (d);
  }
  ret = gk_shutdown (g);
 out:
  if (ret == -1 && !gkb_stop && !*why_r)
    gkb_error ("disk %s %s %s %s: %s", backend, c->iface, c->format,
               c->cache, gk_last_error (g));
  free (used);
  gkb_close (g);
  unlink (img);
  return ret;
}

/* WORD is in the comma-separated LIST (NULL: everything is). */
static int
listed (const char *list, const char *word)
{
  if (!list) return 1;
  size_t n = strlen (word);
  for (const char *p = list; *p; ) {
    size_t k = strcspn (p, ",");
    if (k == n && strncmp (p, word, n) == 0) return 1;
    p += k;
    if (*p == ',') p++;
  }
  return 0;
}

/* Every word of LIST is one of the N CHOICES; else a message, -1. */
static int
check_list (const char *opt, const char *list, const char *const *choices, size_t n)
{
  if (!list) return 0;
  for (const char *p = list; *p; ) {
    size_t k = strcspn (p, ","), i = 0;
    while (i < n && !(strlen (choices[i]) == k && strncmp (p, choices[i], k) == 0)) i++;
    if (i == n) {
      gkb_error ("%s: unknown value '%.*s'", opt, (int) k, p);
      return -1;
    }
    p += k;
    if (*p == ',') p++;
  }
  return 0;
}

/* Keep the configurations that pass the --iface/--format/--cache filters. */
static size_t
filter (struct config *c, size_t n, const struct gkb_opts *o)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (listed (o->ifaces, c[i].iface) && listed (o->formats, c[i].format)
        && listed (o->caches, c[i].cache))
      c[k++] = c[i];
  return k;
}

int
gkb_disk (struct gkb_results *r, const struct gkb_opts *o)
{
  if (check_list ("--iface", o->ifaces, ifaces, 3) == -1
      || check_list ("--format", o->formats, formats, 3) == -1
      || check_list ("--cache", o->caches, caches, 4) == -1)
    return -1;
  struct config qc[36], uc[2] = { { "virtio-blk", "raw", "writeback", 0 },
                                  { "virtio-blk", "raw", "unsafe", 0 } };
  size_t nq = filter (qc, qemu_configs (qc, o->all), o);
  /* UML: ubd on raw images, the two cache modes it has. */
  size_t nu = filter (uc, o->all || o->caches ? 2 : 1, o);
  if (nq == 0 && nu == 0) {
    gkb_error ("disk: no configuration matches --iface/--format/--cache "
               "(the default set varies one setting at a time; --all has every combination)");
    return -1;
  }
  if (o->disk_size > o->image_size / 2) {
    gkb_error ("--disk-size %lld does not fit in the image: at most half "
               "of --image-size (%lld)", (long long) o->disk_size, (long long) o->image_size);
    return -1;
  }
  char img[4096];
  snprintf (img, sizeof img, "%s/disk-bench.img", o->workdir);
  int runs = o->runs ? o->runs : DEFAULT_RUNS, err = 0;
  for (int k = 1; k <= runs && !gkb_stop; k++)
    for (size_t b = 0; b < o->nbackends && !gkb_stop; b++) {
      int uml = strncmp (o->backends[b], "uml", 3) == 0;
      struct config *cs = uml ? uc : qc;
      size_t n = uml ? nu : nq;
      for (size_t i = 0; i < n && !gkb_stop; i++) {
        struct config *c = &cs[i];
        if (c->dead) continue;
        const char *iface = uml ? "ubd" : c->iface;
        gkb_progress ("disk: %s %s %s %s, run %d of %d", o->backends[b], iface,
                      c->format, c->cache, k, runs);
        char *why = NULL;
        if (one (r, o, o->backends[b], c, img, &why) == -1) {
          if (why) {
            /* Does not work here: say why once and drop it. */
            gkb_note (r, "disk: %s %s %s %s skipped: %s", o->backends[b], iface,
                      c->format, c->cache, why);
            gkb_error ("disk: %s %s %s %s does not work here, skipped: %s",
                       o->backends[b], iface, c->format, c->cache, why);
            c->dead = 1;
            free (why);
          }
          else err = -1;
        }
      }
    }
  return err;
}
