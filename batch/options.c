/* gkbatch: command-line options and --help. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkbatch.h"
#include "grow.h"
#include "i18n.h"
#include "mountorder.h"

static void
usage (FILE *f)
{
  fprintf (f, _(
"gkbatch: run a gkfish script over many disk images\n"
"\n"
"usage: gkbatch [OPTIONS] -f SCRIPT IMAGE...\n"
"       gkbatch [OPTIONS] --images LIST -- CMD ARGS [: CMD ARGS]...\n"
"       gkbatch --merge JOURNAL... [--output FILE] [--csv]\n"
"\n"
"Each image gets its own appliance (never two images in one).\n"
"\n"
"  -f, --file SCRIPT      gkfish commands, one a line ('-cmd' goes on on error)\n"
"      --images LIST      image paths, one a line ('-': standard input)\n"
"  -j, --jobs N           images at a time (default: from cores and memory)\n"
"  -i, --inspector        mount each guest by inspection first\n"
"  -m, --mount DEV[:MOUNTPOINT]  mount DEV first (repeatable)\n"
"      --rw               let the script write; all or nothing per image:\n"
"                         it runs on an overlay committed only on success\n"
"      --in-place         with --rw: write the image directly (faster, a\n"
"                         failure may leave it half-changed)\n"
"      --format raw|qcow2 format of the images (default: detect)\n"
"      --backend NAME     qemu, qemu:kvm, qemu:tcg or uml\n"
"      --cachemode MODE   add-drive's cachemode\n"
"      --iface IFACE      add-drive's iface\n"
"  -o, --output FILE      results as JSON lines (default: standard output)\n"
"      --csv              results as CSV instead\n"
"      --max-output BYTES script output kept per image (default 65536)\n"
"      --journal FILE     record outcomes; a rerun skips what is done\n"
"      --retry-failed     with --journal: rerun the failed images too\n"
"      --work-dir DIR     where --rw overlays live (default FILE.d of the\n"
"                         journal, else a temporary directory)\n"
"      --timeout SECONDS  per image (launch and script)\n"
"      --shard K/N        only the images whose path hashes to shard K of N\n"
"                         (%%K/N: K counted from 0, e.g. a Job index)\n"
"      --merge            merge the journals given as arguments\n"
"      --dry-run          run the queue and journal without appliances\n"
"      --progress / --no-progress   progress line (default: on a terminal)\n"
"  -v, --verbose          pass the workers' messages through to stderr\n"
"  -V, --version          print the version\n"
"  -h, --help             this help\n"
"\n"
"Exit status: 0 all ok, 1 some failed, 2 usage, 3 only retryable\n"
"failures (timeouts, appliance died), 130 interrupted.\n"));
}

enum {
  OPT_IMAGES = 256, OPT_RW, OPT_IN_PLACE, OPT_FORMAT, OPT_BACKEND, OPT_CACHEMODE,
  OPT_IFACE, OPT_CSV, OPT_MAXOUT, OPT_JOURNAL, OPT_RETRY, OPT_WORKDIR, OPT_TIMEOUT,
  OPT_SHARD, OPT_MERGE, OPT_DRY, OPT_PROGRESS, OPT_NO_PROGRESS,
};

static int
add_mount (struct gkb_opts *o, const char *arg)
{
  if (gk_int_grow ((void **) &o->mounts, &o->cap_mounts, o->nr_mounts + 1,
                   sizeof *o->mounts, 4) == -1)
    return -1;
  struct gkb_mount *m = &o->mounts[o->nr_mounts];
  char *opts;
  if (!(m->dev = strdup (arg))) return -1;
  if (gk_int_mount_arg (m->dev, 0, &m->mountpoint, &opts) == -1) {
    gkb_warn ("-m %s: expected DEVICE[:/MOUNTPOINT]", arg);
    free (m->dev);
    return -1;
  }
  o->nr_mounts++;
  return 0;
}

/* One appliance: 512 MiB of guest memory plus about 150 MiB of qemu. */
#define APPLIANCE_MIB 700

long
gkb_default_jobs (void)
{
  long cores = sysconf (_SC_NPROCESSORS_ONLN);
  long avail = -1;
  FILE *f = fopen ("/proc/meminfo", "re");
  if (f) {
    char key[64];
    long kb;
    while (fscanf (f, "%63s %ld kB\n", key, &kb) == 2)
      if (strcmp (key, "MemAvailable:") == 0) { avail = kb / 1024; break; }
    fclose (f);
  }
  long j = cores > 0 ? cores : 1;
  /* Keep 512 MiB for the host. */
  if (avail > 0 && (avail - 512) / APPLIANCE_MIB < j) j = (avail - 512) / APPLIANCE_MIB;
  if (j < 1) j = 1;
  return j;
}

static int
number (const char *opt, const char *arg, double min, double *v)
{
  char *e;
  errno = 0;
  *v = strtod (arg, &e);
  if (errno || e == arg || *e || *v < min) {
    gkb_warn ("%s %s: expected a number of at least %g", opt, arg, min);
    return -1;
  }
  return 0;
}

/* The words after the options up to "--" are images; after it, commands. */
static void
split_words (int argc, char **argv, struct gkb_opts *o)
{
  int i = optind;
  o->images = argv + i;
  if (optind > 1 && strcmp (argv[optind - 1], "--") == 0)
    /* getopt took the "--" right after the options: all commands. */
    o->inline_cmds = argv + i;
  else {
    while (i < argc && strcmp (argv[i], "--") != 0) i++;
    o->nr_images = (size_t) (i - optind);
    if (i < argc) {
      argv[i] = NULL;
      o->inline_cmds = argv + i + 1;
    }
  }
}

/* Options that need or exclude each other.  Returns 0, or -1 with a
 * message. */
static int
check_options (const struct gkb_opts *o)
{
  if (o->merge) {
    if (o->nr_images == 0) { gkb_warn ("--merge: no journals given"); return -1; }
    return 0;
  }
  if (!o->script_file == !o->inline_cmds) {
    gkb_warn ("give the commands with -f SCRIPT or after --, one of them");
    return -1;
  }
  if (o->nr_images == 0 && !o->images_list) {
    gkb_warn ("no images: give them as arguments or with --images LIST");
    return -1;
  }
  if (o->script_file && o->images_list && strcmp (o->script_file, "-") == 0
      && strcmp (o->images_list, "-") == 0) {
    gkb_warn ("-f - and --images -: only one can be standard input");
    return -1;
  }
  if (o->in_place && !o->rw) { gkb_warn ("--in-place needs --rw"); return -1; }
  if (o->retry_failed && !o->journal) { gkb_warn ("--retry-failed needs --journal"); return -1; }
  if (o->inspect && o->nr_mounts) { gkb_warn ("-i and -m: choose one"); return -1; }
  return 0;
}

int
gkb_parse_options (int argc, char **argv, struct gkb_opts *o)
{
  static const struct option longopts[] = {
    { "file", required_argument, NULL, 'f' },
    { "images", required_argument, NULL, OPT_IMAGES },
    { "jobs", required_argument, NULL, 'j' },
    { "inspector", no_argument, NULL, 'i' },
    { "mount", required_argument, NULL, 'm' },
    { "rw", no_argument, NULL, OPT_RW },
    { "in-place", no_argument, NULL, OPT_IN_PLACE },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "backend", required_argument, NULL, OPT_BACKEND },
    { "cachemode", required_argument, NULL, OPT_CACHEMODE },
    { "iface", required_argument, NULL, OPT_IFACE },
    { "output", required_argument, NULL, 'o' },
    { "csv", no_argument, NULL, OPT_CSV },
    { "max-output", required_argument, NULL, OPT_MAXOUT },
    { "journal", required_argument, NULL, OPT_JOURNAL },
    { "retry-failed", no_argument, NULL, OPT_RETRY },
    { "work-dir", required_argument, NULL, OPT_WORKDIR },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "merge", no_argument, NULL, OPT_MERGE },
    { "dry-run", no_argument, NULL, OPT_DRY },
    { "progress", no_argument, NULL, OPT_PROGRESS },
    { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  memset (o, 0, sizeof *o);
  o->progress = -1;
  o->max_output = 65536;
  int c;
  double v;
  while ((c = getopt_long (argc, argv, "+f:j:im:o:vVh", longopts, NULL)) != -1) {
    switch (c) {
    case 'f': o->script_file = optarg; break;
    case OPT_IMAGES: o->images_list = optarg; break;
    case 'j':
      if (number ("-j", optarg, 1, &v) == -1 || v != (long) v || v > 1024) {
        gkb_warn ("-j %s: expected a whole number from 1 to 1024", optarg);
        return -1;
      }
      o->jobs = (long) v;
      break;
    case 'i': o->inspect = 1; break;
    case 'm': if (add_mount (o, optarg) == -1) return -1; break;
    case OPT_RW: o->rw = 1; break;
    case OPT_IN_PLACE: o->in_place = 1; break;
    case OPT_FORMAT:
      if (strcmp (optarg, "raw") && strcmp (optarg, "qcow2")) {
        gkb_warn ("--format %s: expected raw or qcow2", optarg);
        return -1;
      }
      o->format = optarg;
      break;
    case OPT_BACKEND: o->backend = optarg; break;
    case OPT_CACHEMODE: o->cachemode = optarg; break;
    case OPT_IFACE: o->iface = optarg; break;
    case 'o': o->output = optarg; break;
    case OPT_CSV: o->csv = 1; break;
    case OPT_MAXOUT:
      if (number ("--max-output", optarg, 0, &v) == -1) return -1;
      o->max_output = (size_t) v;
      break;
    case OPT_JOURNAL: o->journal = optarg; break;
    case OPT_RETRY: o->retry_failed = 1; break;
    case OPT_WORKDIR: o->work_dir = optarg; break;
    case OPT_TIMEOUT:
      if (number ("--timeout", optarg, 0.001, &v) == -1) return -1;
      o->timeout = v;
      break;
    case OPT_SHARD:
      if (gkb_parse_shard (optarg, &o->shard_k, &o->shard_n) == -1) {
        gkb_warn ("--shard %s: expected K/N with 1 <= K <= N (or %%K/N, K from 0)", optarg);
        return -1;
      }
      break;
    case OPT_MERGE: o->merge = 1; break;
    case OPT_DRY: o->dry_run = 1; break;
    case OPT_PROGRESS: o->progress = 1; break;
    case OPT_NO_PROGRESS: o->progress = 0; break;
    case 'v': o->verbose = 1; break;
    case 'V': printf ("gkbatch %s\n", PACKAGE_VERSION); return 1;
    case 'h': usage (stdout); return 1;
    default: usage (stderr); return -1;
    }
  }
  split_words (argc, argv, o);
  return check_options (o);
}
