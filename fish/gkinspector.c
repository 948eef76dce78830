/* gkinspector: report what operating systems disk images hold, like
 * virt-inspector.
 *
 *   gkinspector -a IMG [-a IMG2 ...] [--format=raw|qcow2] [--json]
 *               [--no-applications] [--keys-from-stdin] [--echo-keys]
 *               [--key ID:key:KEY_STRING|ID:file:FILENAME ...] [-v]
 *
 * The images are always added read-only.  One appliance: inspect-os,
 * then the inspect-get-* calls for each root.  Exit status 0 if at least
 * one operating system was found and reported, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkinspector.h"
#include "i18n.h"
#include "keys.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static void
usage (FILE *f)
{
  fputs (_(
"gkinspector: report the operating systems on disk images\n"
"\n"
"usage: gkinspector -a IMAGE [-a IMAGE...] [--json] [--no-applications]\n"
"\n"
"  -a, --add IMAGE          add a disk image, read-only (repeatable; all\n"
"                           the disks of one guest belong together)\n"
"      --format=raw|qcow2   format of the following -a images (default:\n"
"                           detect)\n"
"      --json               print JSON instead of text\n"
"      --no-applications    do not list the installed packages\n"
"      --keys-from-stdin    read the keys of encrypted (LUKS) devices from\n"
"                           standard input, one a line (default: the\n"
"                           terminal, without echo)\n"
"      --echo-keys          do not turn echo off while a key is typed\n"
"      --key ID:key:KEY_STRING, --key ID:file:FILENAME\n"
"                           open the LUKS device ID (/dev/sda2 or its LUKS\n"
"                           UUID) with this key, or the first line of\n"
"                           FILENAME, instead of asking (repeatable)\n"
"  -v, --verbose            debug messages from the library and appliance\n"
"  -V, --version            print the version\n"
"  -h, --help               this help\n"), f);
}

static void
fail (const char *fmt, const char *a, const char *b)
{
  fprintf (stderr, "gkinspector: ");
  fprintf (stderr, _(fmt), a, b);
  fputc ('\n', stderr);
}

static void
free_report (struct os_report *r)
{
  free (r->root); free (r->type); free (r->distro); free (r->product);
  free (r->arch); free (r->hostname); free (r->pkgfmt); free (r->pkgmgmt);
  free (r->variant); free (r->build); free (r->systemroot); free (r->ccs);
  gk_free_strings (r->drives);
  gk_free_strings (r->mountpoints);
  gk_free_strings (r->filesystems);
  free (r->machine_id); free (r->bootloader);
  gk_free_strings (r->kernels);
  if (r->apps) gk_free_application2_list (r->apps);
}

/* Fill R for ROOT; -1 after printing the error. */
static int
gather (gk_h *g, const char *root, int apps, struct os_report *r)
{
  memset (r, 0, sizeof *r);
  r->root = strdup (root);
  if (!r->root
      || !(r->type = gk_inspect_get_type (g, root))
      || !(r->distro = gk_inspect_get_distro (g, root))
      || !(r->product = gk_inspect_get_product_name (g, root))
      || (r->major = gk_inspect_get_major_version (g, root)) == -1
      || (r->minor = gk_inspect_get_minor_version (g, root)) == -1
      || !(r->arch = gk_inspect_get_arch (g, root))
      || !(r->hostname = gk_inspect_get_hostname (g, root))
      || !(r->pkgfmt = gk_inspect_get_package_format (g, root))
      || !(r->pkgmgmt = gk_inspect_get_package_management (g, root))
      || !(r->mountpoints = gk_inspect_get_mountpoints (g, root))
      || !(r->filesystems = gk_inspect_get_filesystems (g, root))
      || !(r->variant = gk_inspect_get_product_variant (g, root))
      || !(r->build = gk_inspect_get_build_id (g, root))
      || !(r->drives = gk_inspect_get_drive_mappings (g, root))
      || !(r->machine_id = gk_inspect_get_machine_id (g, root))
      || !(r->bootloader = gk_inspect_get_bootloader (g, root))
      || !(r->kernels = gk_inspect_get_kernels (g, root))
      || (strcmp (r->type, "windows") == 0
          && !(r->systemroot = gk_inspect_get_windows_systemroot (g, root)))) {
    const char *m = gk_last_error (g);
    fail ("%s%s", m ? m : "out of memory", "");
    return -1;
  }
  /* A package database or hive that cannot be read (damaged, hostile)
   * loses that root's applications, not the whole report: one bad image
   * in a fleet audit must not hide what else is known. */
  if (apps && !(r->apps = gk_inspect_list_applications2 (g, root))) {
    const char *m = gk_last_error (g);
    fail ("%s: applications not listed: %s", root, m ? m : "out of memory");
  }
  /* No current control set is an answer (SYSTEM unreadable), not a failure. */
  if (r->systemroot)
    r->ccs = gk_inspect_get_windows_current_control_set (g, root);
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "add", required_argument, NULL, 'a' },
    { "format", required_argument, NULL, 'F' },
    { "json", no_argument, NULL, 'j' },
    { "no-applications", no_argument, NULL, 'n' },
    { "keys-from-stdin", no_argument, NULL, 'K' },
    { "echo-keys", no_argument, NULL, 'E' },
    { "key", required_argument, NULL, 'k' },
    { "verbose", no_argument, NULL, 'v' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  int json = 0, apps = 1, verbose = 0, c, ndrives = 0, keys_stdin = 0, keys_echo = 0;
  const char *format = NULL;
  gk_int_i18n_program ();
  gk_h *g = gk_create ();
  if (!g) {
    fail ("cannot create a handle%s%s", "", "");
    return 1;
  }
  while ((c = getopt_long (argc, argv, "a:vVh", longopts, NULL)) != -1) {
    struct gk_add_drive_opts ao = { .bitmask = GK_ADD_DRIVE_READONLY, .readonly = 1 };
    switch (c) {
    case 'a':
      if (access (optarg, R_OK) == -1) {
        fail ("%s: %s", optarg, strerror (errno));
        gk_close (g);
        return 1;
      }
      if (format) { ao.bitmask |= GK_ADD_DRIVE_FORMAT; ao.format = format; }
      if (gk_add_drive (g, optarg, &ao) == -1) {
        fail ("%s%s", gk_last_error (g), "");
        gk_close (g);
        return 1;
      }
      ndrives++;
      break;
    case 'F':
      if (strcmp (optarg, "raw") != 0 && strcmp (optarg, "qcow2") != 0) {
        fail ("--format=%s: expected raw or qcow2%s", optarg, "");
        gk_close (g);
        return 1;
      }
      format = optarg;
      break;
    case 'j': json = 1; break;
    case 'n': apps = 0; break;
    case 'K': keys_stdin = 1; break;
    case 'E': keys_echo = 1; break;
    case 'k':
      /* Checked (and the key wiped from argv) now, before the launch. */
      if (gk_keys_add_selector (optarg, "gkinspector") == -1) {
        gk_keys_free_selectors ();
        gk_close (g);
        return 1;
      }
      break;
    case 'v': verbose = 1; gk_set_debug (g, 1); break;
    case 'V': printf ("gkinspector (guestkit) %s\n", PACKAGE_VERSION); gk_close (g); return 0;
    case 'h': usage (stdout); gk_close (g); return 0;
    default:
      fprintf (stderr, "Try 'gkinspector --help' for more information.\n");
      gk_close (g);
      return 1;
    }
  }
  (void) verbose;
  if (optind < argc || ndrives == 0) {
    fail ("%s%s", optind < argc ? "unexpected argument: " : "no disk image: add one with -a IMAGE",
          optind < argc ? argv[optind] : "");
    gk_close (g);
    return 1;
  }

  int ret = 1;
  char **roots = NULL;
  struct os_report *reps = NULL;
  size_t n = 0;
  /* Encrypted devices are opened first (a key read for each), so that
   * what they hold is inspected (keys.c). */
  gk_keys_set_mode (keys_stdin, keys_echo);
  if (gk_launch (g) == -1) {
    fail ("%s%s", gk_last_error (g), "");
    goto out;
  }
  if (gk_keys_open_luks (g, "gkinspector") == -1) goto out;
  if (!(roots = gk_inspect_os (g))) {
    fail ("%s%s", gk_last_error (g), "");
    goto out;
  }
  while (roots[n]) n++;
  if (n == 0) {
    fprintf (stderr, "gkinspector: no operating system found on");
    for (int i = 1; i < argc; i++)
      if (strcmp (argv[i], "-a") == 0 && i + 1 < argc) fprintf (stderr, " %s", argv[i + 1]);
      else if (strncmp (argv[i], "--add=", 6) == 0) fprintf (stderr, " %s", argv[i] + 6);
    fputc ('\n', stderr);
    goto out;
  }
  reps = calloc (n, sizeof *reps);
  if (!reps) {
    fail ("out of memory%s%s", "", "");
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    if (gather (g, roots[i], apps, &reps[i]) == -1) goto out;
  if (json) gk_insp_print_json (stdout, reps, n);
  else gk_insp_print_text (stdout, reps, n);
  ret = 0;
 out:
  for (size_t i = 0; reps && i < n; i++) free_report (&reps[i]);
  free (reps);
  gk_free_strings (roots);
  gk_keys_free_selectors ();
  gk_close (g);
  if (fflush (stdout) == EOF) ret = 1;
  return ret;
}
