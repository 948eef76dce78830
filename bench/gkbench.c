/* gkbench: which backend and which disk settings to use on this machine,
 * and why.  Each subcommand is one of the comparison tables of
 * docs/benchmarks.md; see `gkbench --help` and docs/benchmarks.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <guestkit.h>
#include "gkbench.h"
#include "gkb-limiter.h"
#include "gkb-output.h"
#include "i18n.h"

volatile sig_atomic_t gkb_stop;
static gk_h *volatile current;      /* the handle Ctrl-C cancels */

static void
on_signal (int sig)
{
  (void) sig;
  gkb_stop = 1;
  gk_h *g = current;
  if (g) gk_user_cancel (g);
}

gk_h *
gkb_open (void)
{
  gk_h *g = gk_create ();
  if (!g) gkb_error ("cannot create a guestkit handle");
  current = g;
  return g;
}

void
gkb_close (gk_h *g)
{
  current = NULL;
  if (g) gk_close (g);
}

const char *gkb_empty_drive;

int
gkb_configure (gk_h *g, const struct gkb_opts *o, const char *backend, const char *channel)
{
  if (gk_set_backend (g, backend) == -1) return -1;
  if (channel && gk_set_channel (g, channel) == -1) return -1;
  if (o->datapath && gk_set_datapath (g, o->datapath) == -1) return -1;
  return 0;
}

char *
gkb_config_name (const struct gkb_opts *o, const char *used, const char *backend,
                 const char *channel)
{
  char *s = NULL;
  if (asprintf (&s, "%s%s%s%s%s", used ? used : backend,
                channel ? " channel=" : "", channel ? channel : "",
                o->datapath ? " datapath=" : "", o->datapath ? o->datapath : "") == -1)
    return NULL;
  return s;
}

int
gkb_channel_fits (const char *backend, const char *channel)
{
  return !channel || strcmp (channel, "virtio-serial") != 0 || strncmp (backend, "uml", 3) != 0;
}

int
gkb_each_run (const struct gkb_opts *o, const char *what, int runs,
              int (*one) (void *arg, const char *backend, const char *channel), void *arg)
{
  int err = 0;
  if (o->runs) runs = o->runs;
  for (int k = 1; k <= runs && !gkb_stop; k++) {
    for (size_t b = 0; b < o->nbackends && !gkb_stop; b++)
      for (size_t c = 0; c < o->nchannels && !gkb_stop; c++) {
        const char *ch = o->channels[c];
        if (!gkb_channel_fits (o->backends[b], ch)) continue;
        gkb_progress ("%s: %s%s%s, run %d of %d", what, o->backends[b],
                      ch ? " channel " : "", ch ? ch : "", k, runs);
        if (one (arg, o->backends[b], ch) == -1) err = -1;
      }
    if (o->libguestfs && !gkb_stop) {
      gkb_progress ("%s: libguestfs, run %d of %d", what, k, runs);
      if (one (arg, NULL, NULL) == -1) err = -1;
    }
  }
  return err;
}

static void
usage (FILE *fp)
{
  fputs (_("usage: gkbench [OPTIONS] startup|upload|disk|all ...\n"
         "  startup   launch-to-ready per backend (qemu: by restore and by cold boot),\n"
         "            with the phases, the first calls, the backend's peak RSS\n"
         "  upload    upload, upload-no-write, write-no-upload into a fresh ext2 image\n"
         "  disk      disk interface x image format x host cache mode (qemu), O_DIRECT\n"
         "            sequential/random I/O and file create/delete in the appliance\n"
         "  all       all of the above\n"
         "options:\n"
         "  --backend LIST        comma-separated (default: qemu,uml, those that work here;\n"
         "                        also libvirt, libvirt:URI)\n"
         "  --channel LIST        control channels, comma-separated (virtio-serial,serial;\n"
         "                        default: the library's); uml runs serial only\n"
         "  --datapath blk|serial upload's bulk data path (default: the library's)\n"
         "  --runs N              runs per figure (default 5 for startup, 3 for the rest)\n"
         "  --size SIZE           upload size (default 500M; K, M, G suffixes)\n"
         "  --image-size SIZE     the fresh image (default 1G)\n"
         "  --disk-size SIZE      disk: sequential test size (default 256M)\n"
         "  --ops N               disk: random 4 KiB operations (default 2000; files: N/4)\n"
         "  --all                 disk: every combination, not the default set\n"
         "  --iface LIST, --format LIST, --cache LIST\n"
         "                        disk: only these (virtio-blk,virtio-scsi,ide;\n"
         "                        raw,qcow2,qcow2-prealloc; writeback,none,writethrough,unsafe)\n"
         "  --compare-libguestfs  also time guestfish, interleaved, and print ratios\n"
         "                        (LIBGUESTFS_BACKEND=direct; force_tcg where ours runs TCG)\n"
         "  --json FILE, --csv FILE, --markdown FILE, --plot FILE.svg|FILE.png\n"
         "  --workdir DIR         images and data (default /var/tmp/gkbench-UID)\n"
         "Progress goes to stderr, the table to stdout.  Ctrl-C stops after the\n"
         "current measurement and writes what was measured (exit 130).\n"), fp);
}

/* "500M" -> bytes; -1 if not a positive size up to 1 TiB. */
static int64_t
parse_size (const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || v <= 0) return -1;
  int shift = 0;
  switch (*end) {
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  }
  if (*end == 'i' && end[1] == 'B') end += 2;
  else if (*end == 'B') end++;
  if (*end || v > (1LL << 40) >> shift) return -1;
  return (int64_t) v << shift;
}

/* Open an output file early, so that an unwritable path fails before any
 * measurement.  NULL + message on error. */
static FILE *
open_out (const char *opt, const char *path)
{
  FILE *fp = fopen (path, "we");
  if (!fp) gkb_error ("%s %s: %s", opt, path, strerror (errno));
  return fp;
}

/* One launch of BACKEND (also warms its appliance cache): NULL if it
 * works, else the reason (malloc'd).  A cold boot on qemu: startup's
 * warm-up is the launch that saves the snapshot (and times it). */
static int qemu_tcg;     /* our qemu backend ran under TCG */

static char *
backend_problem (const char *backend)
{
  gk_h *g = gkb_open ();
  if (!g) return strdup ("cannot create a handle");
  char *why = NULL, *used = NULL;
  if (gk_set_backend (g, backend) == -1
      || (strncmp (backend, "qemu", 4) == 0 && gk_set_snapshot (g, 0) == -1)
      || gk_add_drive (g, gkb_empty_drive, NULL) == -1
      || gk_launch (g) == -1 || !(used = gk_get_backend (g)) || gk_shutdown (g) == -1)
    why = gkb_one_line (gk_last_error (g));
  if (used && strcmp (used, "qemu:tcg") == 0) qemu_tcg = 1;
  free (used);
  gkb_close (g);
  return why;
}

static int
libguestfs_works (struct gkb_results *r)
{
  char *v[] = { "guestfish", "--version", NULL };
  int st = gkb_run (v, NULL, NULL, NULL);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    gkb_note (r, "--compare-libguestfs: guestfish is not installed (apt-get install "
              "libguestfs-tools); compared nothing");
    gkb_error ("%s", r->notes[r->nnotes - 1]);
    return 0;
  }
  /* The same accelerator as ours: where our qemu fell back to TCG (no
     KVM, or a /dev/kvm that fails like nested KVM here), libguestfs's
     accel=kvm:tcg would pick KVM and hang. */
  if (qemu_tcg && !getenv ("LIBGUESTFS_BACKEND_SETTINGS")) {
    setenv ("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", 1);
    gkb_note (r, "--compare-libguestfs: our qemu runs TCG here, so libguestfs does too "
              "(LIBGUESTFS_BACKEND_SETTINGS=force_tcg)");
  }
  gkb_progress ("libguestfs: warming its appliance cache (guestfish --format=raw -a %s run)",
                gkb_empty_drive);
  char *w[] = { "guestfish", "--format=raw", "-a", (char *) gkb_empty_drive, "run", NULL };
  st = gkb_run (w, NULL, NULL, NULL);
  if (st == -1 || !WIFEXITED (st) || WEXITSTATUS (st) != 0) {
    gkb_note (r, "--compare-libguestfs: `guestfish --format=raw -a %s run` fails here "
              "(LIBGUESTFS_BACKEND=direct); compared nothing", gkb_empty_drive);
    gkb_error ("%s", r->notes[r->nnotes - 1]);
    return 0;
  }
  return 1;
}

/* Split --channel LIST into O->channels (pointing into *COPY, which the
   caller frees).  Returns 0, 1 (out of memory) or 2 (a bad name); on
   error nothing is left allocated. */
static int
parse_channels (const char *clist, struct gkb_opts *o, char **copy)
{
  *copy = clist ? strdup (clist) : NULL;
  size_t ccap = 1;
  for (const char *p = clist ? clist : ""; *p; p++) ccap += *p == ',';
  o->channels = calloc (ccap, sizeof *o->channels);
  if ((clist && !*copy) || !o->channels) {
    gkb_error ("out of memory");
    goto fail1;
  }
  for (char *save = NULL, *ch = *copy ? strtok_r (*copy, ",", &save) : NULL; ch;
       ch = strtok_r (NULL, ",", &save)) {
    if (strcmp (ch, "virtio-serial") && strcmp (ch, "serial")) {
      gkb_error ("--channel %s: expected virtio-serial or serial", ch);
      free (o->channels); o->channels = NULL;
      free (*copy); *copy = NULL;
      return 2;
    }
    o->channels[o->nchannels++] = ch;
  }
  if (o->nchannels == 0) o->nchannels = 1;      /* one NULL: the default */
  return 0;
 fail1:
  free (o->channels); o->channels = NULL;
  free (*copy); *copy = NULL;
  return 1;
}

int
main (int argc, char **argv)
{
  static const struct option lo[] = {
    { "backend", 1, 0, 'b' }, { "runs", 1, 0, 'r' }, { "size", 1, 0, 's' },
    { "image-size", 1, 0, 'I' }, { "disk-size", 1, 0, 'D' }, { "ops", 1, 0, 'o' },
    { "all", 0, 0, 'a' }, { "compare-libguestfs", 0, 0, 'L' }, { "json", 1, 0, 'j' },
    { "csv", 1, 0, 'c' }, { "markdown", 1, 0, 'm' }, { "plot", 1, 0, 'p' },
    { "workdir", 1, 0, 'w' }, { "help", 0, 0, 'h' }, { "iface", 1, 0, 'i' },
    { "format", 1, 0, 'f' }, { "cache", 1, 0, 'C' }, { "channel", 1, 0, 'H' },
    { "datapath", 1, 0, 'P' }, { 0, 0, 0, 0 },
  };
  struct gkb_opts o = { .size = 500LL << 20, .image_size = 1LL << 30,
                        .disk_size = 256LL << 20, .ops = 2000 };
  const char *blist = "qemu,uml", *clist = NULL, *json = NULL, *csv = NULL, *md = NULL, *plot = NULL;
  int c, explicit_backends = 0;
  gk_int_i18n_program ();
  while ((c = getopt_long (argc, argv, "h", lo, NULL)) != -1) {
    int64_t *sz = NULL;
    switch (c) {
    case 'b': blist = optarg; explicit_backends = 1; break;
    case 'r':
      o.runs = atoi (optarg);
      if (o.runs < 1 || o.runs > 1000) {
        gkb_error ("--runs %s: expected 1..1000", optarg);
        return 2;
      }
      break;
    case 's': sz = &o.size; break;
    case 'I': sz = &o.image_size; break;
    case 'D': sz = &o.disk_size; break;
    case 'o':
      o.ops = atoll (optarg);
      if (o.ops < 4 || o.ops > 1000000) {
        gkb_error ("--ops %s: expected 4..1000000", optarg);
        return 2;
      }
      break;
    case 'a': o.all = 1; break;
    case 'i': o.ifaces = optarg; break;
    case 'f': o.formats = optarg; break;
    case 'C': o.caches = optarg; break;
    case 'L': o.libguestfs = 1; break;
    case 'j': json = optarg; break;
    case 'c': csv = optarg; break;
    case 'm': md = optarg; break;
    case 'p': plot = optarg; break;
    case 'w': o.workdir = optarg; break;
    case 'H': clist = optarg; break;
    case 'P':
      if (strcmp (optarg, "blk") && strcmp (optarg, "serial")) {
        gkb_error ("--datapath %s: expected blk or serial", optarg);
        return 2;
      }
      o.datapath = optarg;
      break;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return 2;
    }
    if (sz && (*sz = parse_size (optarg)) == -1) {
      gkb_error ("--%s %s: expected a size like 4M or 1G (at most 1T)",
                 lo[c == 's' ? 2 : c == 'I' ? 3 : 4].name, optarg);
      return 2;
    }
  }
  int want[3] = { 0 };
  for (int i = optind; i < argc; i++) {
    if (!strcmp (argv[i], "startup")) want[0] = 1;
    else if (!strcmp (argv[i], "upload")) want[1] = 1;
    else if (!strcmp (argv[i], "disk")) want[2] = 1;
    else if (!strcmp (argv[i], "all")) want[0] = want[1] = want[2] = 1;
    else {
      gkb_error ("unknown command '%s' (startup, upload, disk, all)", argv[i]);
      return 2;
    }
  }
  if (!want[0] && !want[1] && !want[2]) { usage (stderr); return 2; }
  if (want[1] && o.size > o.image_size) {
    gkb_error ("--size %lld is bigger than the image (--image-size %lld)",
               (long long) o.size, (long long) o.image_size);
    return 2;
  }

  /* The channels, before any output file is opened (the library checks
     them again on each launch). */
  char *cl_copy = NULL, *bl = NULL;
  struct gkb_results r = { 0 };
  FILE *fj = NULL, *fc = NULL, *fm = NULL;
  int crc = parse_channels (clist, &o, &cl_copy);
  if (crc != 0) return crc;

  /* Outputs first: an unwritable path is an error before an hour of runs. */
  if ((json && !(fj = open_out ("--json", json))) || (csv && !(fc = open_out ("--csv", csv)))
      || (md && !(fm = open_out ("--markdown", md))))
    goto fail;
  if (plot) {
    const char *ext = strrchr (plot, '.');
    if (!ext || (strcmp (ext, ".svg") && strcmp (ext, ".png"))) {
      gkb_error ("--plot %s: the name must end in .svg or .png", plot);
      goto fail;
    }
    char *copy = strdup (plot);
    int bad = !copy || access (dirname (copy), W_OK) == -1;
    free (copy);
    if (bad) {
      gkb_error ("--plot %s: directory not writable: %s", plot, strerror (errno));
      goto fail;
    }
  }

  char wd[4096];
  if (!o.workdir) {
    snprintf (wd, sizeof wd, "/var/tmp/gkbench-%u", (unsigned) getuid ());
    o.workdir = wd;
  }
  if (mkdir (o.workdir, 0700) == -1 && errno != EEXIST) {
    gkb_error ("--workdir %s: %s", o.workdir, strerror (errno));
    goto fail;
  }

  static char empty[4096 + 16];
  snprintf (empty, sizeof empty, "%s/empty.img", o.workdir);
  int efd = open (empty, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (efd == -1 || ftruncate (efd, 1 << 20) == -1) {
    gkb_error ("%s: %s", empty, strerror (errno));
    goto fail;
  }
  close (efd);
  gkb_empty_drive = empty;

  struct sigaction sa = { .sa_handler = on_signal };  /* no SA_RESTART */
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  setenv ("LIBGUESTFS_BACKEND", "direct", 1);

  size_t cl = 1;
  for (int i = 0; i < argc; i++) cl += strlen (argv[i]) + 1;
  if ((r.command = malloc (cl))) {
    r.command[0] = '\0';
    for (int i = 0; i < argc; i++) { if (i) strcat (r.command, " "); strcat (r.command, argv[i]); }
  }


  /* The backends that work here; each probe also warms its cache. */
  bl = strdup (blist);
  size_t cap = 1;
  for (const char *p = blist; *p; p++) cap += *p == ',';
  o.backends = calloc (cap, sizeof *o.backends);
  if (!bl || !o.backends) { gkb_error ("out of memory"); goto fail; }
  for (char *save = NULL, *b = strtok_r (bl, ",", &save); b && !gkb_stop; b = strtok_r (NULL, ",", &save)) {
    gkb_progress ("checking backend %s", b);
    char *why = backend_problem (b);
    if (why) {
      gkb_note (&r, "backend %s does not work here, skipped: %s", b, why);
      gkb_error ("backend %s does not work here: %s%s", b, why,
                 explicit_backends ? _("; going on with the others") : "");
      free (why);
      continue;
    }
    o.backends[o.nbackends++] = b;
  }
  if (o.nbackends == 0 && !gkb_stop) {
    gkb_error ("no backend works here (tried %s)", blist);
    goto fail;
  }
  if (o.libguestfs && !gkb_stop) o.libguestfs = libguestfs_works (&r);
  gkb_describe_machine (&r, o.libguestfs);

  int err = 0;
  if (want[0] && !gkb_stop && gkb_startup (&r, &o) == -1) err = 1;
  if (want[1] && !gkb_stop && gkb_upload (&r, &o) == -1) err = 1;
  if (want[2] && !gkb_stop && gkb_disk (&r, &o) == -1) err = 1;
  r.interrupted = gkb_stop != 0;
  if (r.interrupted) gkb_error ("interrupted: writing what was measured");
  char la[128] = "";
  FILE *lf = fopen ("/proc/loadavg", "re");
  if (lf) { if (fgets (la, sizeof la, lf)) la[strcspn (la, "\n")] = '\0'; fclose (lf); }
  gkb_machine (&r, "load_at_end", la);

  for (size_t i = 0; i < r.nfigs; i++) r.figs[i]->limiter = gkb_limiter (r.figs[i]);
  gkb_write_table (stdout, &r);
  FILE *outs[3] = { fj, fc, fm };
  void (*writers[3]) (FILE *, const struct gkb_results *) = { gkb_write_json, gkb_write_csv, gkb_write_markdown };
  const char *names[3] = { json, csv, md };
  for (int i = 0; i < 3; i++) {
    if (!outs[i]) continue;
    writers[i] (outs[i], &r);
    if (fclose (outs[i]) != 0) {
      gkb_error ("writing %s: %s", names[i], strerror (errno));
      err = 1;
    }
  }
  if (plot && gkb_plot (&r, plot) == -1) err = 1;
  int interrupted = r.interrupted;
  gkb_results_free (&r);
  free (o.backends);
  free (o.channels);
  free (cl_copy);
  free (bl);
  return interrupted ? 130 : err;

 fail:
  /* An error before any run: nothing measured, nothing written. */
  if (fj) fclose (fj);
  if (fc) fclose (fc);
  if (fm) fclose (fm);
  gkb_results_free (&r);
  free (o.backends);
  free (o.channels);
  free (cl_copy);
  free (bl);
  return 1;
}
