/* gkfish: command-line options and --help. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "gkfish.h"
#include "grow.h"
#include "i18n.h"
#include "keys.h"
#include "mountorder.h"

static void
usage (FILE *f)
{
  fputs (_(
"gkfish: the guestkit shell\n"
"\n"
"usage: gkfish [OPTIONS] [--] [CMD ARGS... [: CMD ARGS...]...]\n"
"       gkfish --remote[=PID] [CMD ARGS... [: CMD ARGS...]...]\n"
"\n"
"  -a, --add IMAGE          add a disk image (repeatable)\n"
"      --format[=raw|qcow2] format of the following -a images\n"
"                           (no value: detect, the default)\n"
"  -r, --ro                 open every image read-only (no byte changes)\n"
"                           and mount -m filesystems read-only\n"
"  -w, --rw                 open images read-write (the default, as in\n"
"                           guestfish, so existing scripts work)\n"
"  -m, --mount DEV[:MOUNTPOINT[:OPTIONS]]\n"
"                           mount DEV after launch (MOUNTPOINT default /)\n"
"  -i, --inspector          inspect the disks and mount the guest's\n"
"                           filesystems by its fstab (read-write, as in\n"
"                           guestfish: add --ro to only look)\n"
"  -N, --new [FILE=]TYPE    create a prepared disk and add it: disk, part,\n"
"                           fs, lv, lvfs, bootroot, bootrootlv (-N help\n"
"                           lists their parameters; default file\n"
"                           test1.img, test2.img, ...)\n"
"      --blocksize[=512|4096]  sector size of the following -a images\n"
"                           (qemu backend; add-drive blocksize:)\n"
"  -f, --file SCRIPT        read commands from SCRIPT\n"
"  -x                       trace each call and its result to stderr\n"
"  -v, --verbose            debug messages from the library and appliance\n"
"      --progress-bars      always show progress bars (default: on a terminal)\n"
"      --no-progress-bars   never show progress bars\n"
"      --listen             start in the background, print GUESTFISH_PID=...\n"
"                           for eval, and serve --remote clients\n"
"      --remote[=PID]       run the commands in the gkfish started with\n"
"                           --listen (PID default: $GUESTFISH_PID)\n"
"      --backend NAME       qemu, qemu:kvm, qemu:tcg, uml, libvirt or\n"
"                           libvirt:URI\n"
"      --network            give the appliance a user-mode network (qemu;\n"
"                           see set-network)\n"
"      --keys-from-stdin    read key arguments (LUKS passphrases) from\n"
"                           standard input, one a line, not the terminal\n"
"      --echo-keys          do not turn echo off while a key is typed\n"
"      --key ID:key:KEY_STRING, --key ID:file:FILENAME\n"
"                           -i: open the LUKS device ID (/dev/sda2 or its\n"
"                           LUKS UUID) with this key, or the first line of\n"
"                           FILENAME, instead of asking (repeatable)\n"
"      --csh                --listen prints csh syntax (setenv)\n"
"      --selinux            accepted and ignored, as in guestfish\n"
"  -D, --no-dest-paths, -n, --no-sync, --pipe-error\n"
"                           accepted, no effect (fish/README.md)\n"
"  -d, --domain GUEST       add the disks of the libvirt domain GUEST\n"
"  -c, --connect URI        the libvirt URI -d finds GUEST at\n"
"      --live               not supported (an error)\n"
"      --long-options, --short-options  list the options (for completion)\n"
"  -V, --version            print the version\n"
"      --help               this help\n"
"  -h, --cmd-help [CMD]     describe CMD, or list the commands\n"
"\n"
"Commands after the options are separated by ':' words.  Without them,\n"
"commands are read from SCRIPT, or from standard input (one per line,\n"
"'#' comments), or typed at a prompt when standard input is a terminal.\n"
"The appliance is launched before the first command that needs it (at\n"
"once with -m or -N).  A script stops at the first failing command (exit\n"
"status 1) unless the command is written with a leading '-' (\"-rm /f\").\n"
"Type 'help' inside gkfish for the list of commands.\n"), f);
}

enum {
  OPT_FORMAT = 256, OPT_BACKEND, OPT_PROGRESS, OPT_NO_PROGRESS,
  OPT_LISTEN, OPT_REMOTE, OPT_NETWORK, OPT_HELP,
  OPT_KEYS_FROM_STDIN, OPT_ECHO_KEYS, OPT_BLOCKSIZE, OPT_CSH, OPT_KEY,
  OPT_LIVE, OPT_PIPE_ERROR, OPT_SELINUX, OPT_LONG_OPTIONS, OPT_SHORT_OPTIONS,
};

/* guestfish's option letters, in its order (--short-options prints them). */
#define SHORT_OPTIONS "+a:c:d:Df:h::im:nN:rvVwx"

static int
add_mount (struct options *o, const char *arg)
{
  if (gk_int_grow ((void **) &o->mounts, &o->cap_mounts, o->nr_mounts + 1,
                   sizeof *o->mounts, 4) == -1)
    return -1;
  struct mnt *m = &o->mounts[o->nr_mounts];
  /* One copy holds all three parts, split at the first two ':'. */
  if (!(m->dev = strdup (arg))) return -1;
  if (gk_int_mount_arg (m->dev, 1, &m->mountpoint, &m->options) == -1) {
    gk_fish_fail ("-m %s: expected DEVICE[:/MOUNTPOINT[:OPTIONS]]", arg);
    free (m->dev);
    return -1;
  }
  o->nr_mounts++;
  return 0;
}

static int
add_drive (struct options *o, const char *file, const char *format,
           int blocksize, int prep)
{
  if (gk_int_grow ((void **) &o->drives, &o->cap_drives, o->nr_drives + 1,
                   sizeof *o->drives, 4) == -1)
    return -1;
  o->drives[o->nr_drives].file = file;
  o->drives[o->nr_drives].format = format;
  o->drives[o->nr_drives].prep = prep;
  o->drives[o->nr_drives].blocksize = blocksize;
  o->drives[o->nr_drives].domain = 0;
  o->nr_drives++;
  return 0;
}

/* -N [FILE=]TYPE: FILE defaults to testN.img, N counting the -N's. */
static int
add_prep (struct options *o, const char *arg)
{
  if (gk_int_grow ((void **) &o->preps, &o->cap_preps, o->nr_preps + 1,
                   sizeof *o->preps, 4) == -1)
    return -1;
  struct prep *p = &o->preps[o->nr_preps];
  const char *eq = strchr (arg, '=');
  const char *type = eq ? eq + 1 : arg;
  if (eq) p->file = strndup (arg, (size_t) (eq - arg));
  else if (asprintf (&p->file, "test%zu.img", o->nr_preps + 1) == -1)
    p->file = NULL;
  p->type = strdup (type);
  if (!p->file || !p->type || !*p->file) {
    if (p->file && !*p->file) gk_fish_fail ("-N %s: empty file name", arg);
    free (p->file); free (p->type);
    return -1;
  }
  /* Added in command-line order with the -a images. */
  if (add_drive (o, p->file, "raw", 0, (int) o->nr_preps) == -1) {
    free (p->file); free (p->type);
    return -1;
  }
  o->nr_preps++;
  return 0;
}

void
gk_fish_free_options (struct options *o)
{
  for (size_t i = 0; i < o->nr_mounts; i++) free (o->mounts[i].dev);
  free (o->mounts);
  free (o->drives);
  for (size_t i = 0; i < o->nr_preps; i++) {
    free (o->preps[i].file);
    free (o->preps[i].type);
  }
  free (o->preps);
  gk_keys_free_selectors ();
}

static int
parse_pid (const char *s, long *pid)
{
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (end == s || *end || errno || v <= 0) return -1;
  *pid = v;
  return 0;
}

int
gk_fish_parse_options (int argc, char **argv, struct options *o)
{
  /* guestfish's long options in guestfish's (alphabetical) order, so
   * that --long-options prints the same list; then gkfish's own. */
  static const struct option longopts[] = {
    { "add", required_argument, NULL, 'a' },
    { "blocksize", optional_argument, NULL, OPT_BLOCKSIZE },
    { "cmd-help", optional_argument, NULL, 'h' },
    { "connect", required_argument, NULL, 'c' },
    { "csh", no_argument, NULL, OPT_CSH },
    { "domain", required_argument, NULL, 'd' },
    { "echo-keys", no_argument, NULL, OPT_ECHO_KEYS },
    { "file", required_argument, NULL, 'f' },
    { "format", optional_argument, NULL, OPT_FORMAT },
    { "help", no_argument, NULL, OPT_HELP },
    { "inspector", no_argument, NULL, 'i' },
    { "key", required_argument, NULL, OPT_KEY },
    { "keys-from-stdin", no_argument, NULL, OPT_KEYS_FROM_STDIN },
    { "listen", no_argument, NULL, OPT_LISTEN },
    { "live", no_argument, NULL, OPT_LIVE },
    { "long-options", no_argument, NULL, OPT_LONG_OPTIONS },
    { "mount", required_argument, NULL, 'm' },
    { "network", no_argument, NULL, OPT_NETWORK },
    { "new", required_argument, NULL, 'N' },
    { "no-dest-paths", no_argument, NULL, 'D' },
    { "no-sync", no_argument, NULL, 'n' },
    { "pipe-error", no_argument, NULL, OPT_PIPE_ERROR },
    { "progress-bars", no_argument, NULL, OPT_PROGRESS },
    { "no-progress-bars", no_argument, NULL, OPT_NO_PROGRESS },
    { "remote", optional_argument, NULL, OPT_REMOTE },
    { "ro", no_argument, NULL, 'r' },
    { "rw", no_argument, NULL, 'w' },
    { "selinux", no_argument, NULL, OPT_SELINUX },
    { "short-options", no_argument, NULL, OPT_SHORT_OPTIONS },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "backend", required_argument, NULL, OPT_BACKEND },
    { NULL, 0, NULL, 0 }
  };
  const char *format = NULL;
  int blocksize = 0;
  int c;

  o->progress = -1;
  /* '+': stop at the first command word, so its own options ("-rm")
   * are not taken for ours. */
  while ((c = getopt_long (argc, argv, SHORT_OPTIONS, longopts, NULL)) != -1) {
    switch (c) {
    case 'a': if (add_drive (o, optarg, format, blocksize, -1) == -1) return -1; break;
    case OPT_LONG_OPTIONS:
      /* What bash completion asks guestfish; the list-making options
       * themselves are left out, as guestfish leaves them out. */
      for (size_t i = 0; longopts[i].name; i++)
        if (longopts[i].val != OPT_LONG_OPTIONS && longopts[i].val != OPT_SHORT_OPTIONS)
          printf ("--%s\n", longopts[i].name);
      return 1;
    case OPT_SHORT_OPTIONS:
      for (const char *p = SHORT_OPTIONS + 1; *p; p++)
        if (*p != ':') printf ("-%c\n", *p);
      return 1;
    case OPT_BLOCKSIZE:
      /* guestfish: --blocksize alone is 4096; it applies to the -a
       * drives after it. */
      if (!optarg) blocksize = 4096;
      else if (strcmp (optarg, "512") == 0) blocksize = 512;
      else if (strcmp (optarg, "4096") == 0) blocksize = 4096;
      else {
        gk_fish_fail ("--blocksize=%s: expected 512 or 4096", optarg);
        return -1;
      }
      break;
    case OPT_SELINUX:
      /* As guestfish 1.48: accepted and silently ignored (SELinux labels
       * are set with selinux-relabel; fish/README.md says so). */
      break;
    case 'c': o->libvirt_uri = optarg; break;
    case 'd':
      /* A domain's disks, in command-line order with the -a images. */
      if (add_drive (o, optarg, NULL, 0, -1) == -1) return -1;
      o->drives[o->nr_drives - 1].domain = 1;
      break;
    case OPT_LIVE:
      gk_fish_fail ("--live: not supported (libguestfs removed it in 1.48)");
      return -1;
    case OPT_KEY:
      /* Checked (and the key wiped from argv) now, before any launch. */
      if (gk_keys_add_selector (optarg, gk_cmd_prefix ()) == -1) return -1;
      break;
    case OPT_CSH: o->csh = 1; break;
    case 'D': case 'n': case OPT_PIPE_ERROR:
      /* No effect here: gkfish does not complete host paths (-D), always
       * syncs the disks at exit (-n would skip that, for speed only),
       * and a failing "CMD | HOSTCMD" is already an error (--pipe-error). */
      break;
    case 'f': o->script = optarg; break;
    case 'm': if (add_mount (o, optarg) == -1) return -1; break;
    case 'N':
      if (gk_fish_prep_help (optarg)) return 1;
      if (add_prep (o, optarg) == -1) return -1;
      break;
    case 'i': o->inspect = 1; break;
    case 'v': o->verbose = 1; break;
    case 'x': o->echo = 1; break;
    case 'V': printf ("gkfish (guestkit) %s\n", PACKAGE_VERSION); return 1;
    case OPT_HELP: usage (stdout); return 1;
    case 'h': {
      /* As guestfish: -h CMD (or -hCMD) describes CMD, -h alone lists
       * the commands. */
      char *w[3] = { (char *) "help", optarg, NULL };
      if (!w[1] && optind < argc) w[1] = argv[optind++];
      return gk_fish_find_builtin ("help") (NULL, w) == CMD_OK ? 1 : -1;
    }
    case 'r': o->readonly = 1; break;
    case 'w': o->readonly = 0; o->rw = 1; break;
    case OPT_BACKEND: o->backend = optarg; break;
    case OPT_NETWORK: o->network = 1; break;
    case OPT_KEYS_FROM_STDIN: o->keys_from_stdin = 1; break;
    case OPT_ECHO_KEYS: o->echo_keys = 1; break;
    case OPT_PROGRESS: o->progress = 1; break;
    case OPT_NO_PROGRESS: o->progress = 0; break;
    case OPT_LISTEN: o->listen = 1; break;
    case OPT_REMOTE:
      o->remote = 1;
      if (optarg && parse_pid (optarg, &o->remote_pid) == -1) {
        gk_fish_fail ("--remote=%s: expected a process id", optarg);
        return -1;
      }
      break;
    case OPT_FORMAT:
      if (optarg && strcmp (optarg, "raw") != 0 && strcmp (optarg, "qcow2") != 0) {
        gk_fish_fail ("--format=%s: expected raw or qcow2", optarg);
        return -1;
      }
      format = optarg;
      break;
    default:
      fputs (_("Try 'gkfish --help' for more information.\n"), stderr);
      return -1;
    }
  }
  o->cmds = argv + optind;
  if (o->script && *o->cmds) {
    gk_fish_fail ("-f cannot be combined with commands on the command line");
    return -1;
  }
  if (o->listen && o->remote) {
    gk_fish_fail ("--listen and --remote cannot be combined");
    return -1;
  }
  if (o->remote && (o->nr_drives || o->nr_mounts || o->nr_preps || o->inspect || o->network)) {
    gk_fish_fail ("--remote: the images are those of the listening gkfish "
                  "(no -a, -m, -N, -i or --network)");
    return -1;
  }
  if (o->listen && (*o->cmds || o->script)) {
    gk_fish_fail ("--listen takes no commands: send them with --remote");
    return -1;
  }
  return 0;
}
