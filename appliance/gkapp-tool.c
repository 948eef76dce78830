/* gkapp-tool: the binary parts of building the appliance, for
   make-appliance.sh (which stays the one place that decides what goes
   in).  Subcommands:
     kernel FILE        bzImage header: version=, payload_offset=,
                        payload_length=, compression= lines
     elf FILE           pvh=0|1 if FILE is a complete x86-64 ELF, else fail
     cpio               tree description (spec.h) on stdin -> newc on stdout
     tree DIR           tree description on stdin -> files under DIR
     modules FLAVOUR MODDIR LIST
                        COPY/BOOT/BUILTIN/MISSING/OPTMISSING lines (moddeps.h)
   Exit status 0, or 1 with "gkapp-tool: WHAT: WHY" on stderr. */
#include "fullio.h"
#include "kimage.h"
#include "moddeps.h"
#include "newc.h"
#include "spec.h"
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int
fail (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fputs ("gkapp-tool: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  return 1;
}

/* Map FILE read-only (a kernel: tens of MB, read once); NULL with
   *WHY set when it cannot be. */
static const unsigned char *
map_file (const char *file, size_t *len, const char **why)
{
  struct stat st;
  void *p = MAP_FAILED;
  int fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd == -1 || fstat (fd, &st) == -1) *why = strerror (errno);
  else if (!S_ISREG (st.st_mode) || st.st_size == 0) *why = "not a regular file, or empty";
  else if ((p = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
    *why = strerror (errno);
  else *len = (size_t) st.st_size;
  if (fd != -1) close (fd);
  return p == MAP_FAILED ? NULL : p;
}

/* The whole of FILE as a string; "" (allocated) when OPTIONAL and absent. */
static char *
slurp (const char *file, int optional)
{
  int fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return optional && errno == ENOENT ? strdup ("") : NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat (fd, &st) == 0 && (buf = malloc ((size_t) st.st_size + 1))) {
    ssize_t n = gk_int_read_full (fd, buf, (size_t) st.st_size);
    if (n == -1) { free (buf); buf = NULL; }
    else buf[n] = '\0';
  }
  close (fd);
  return buf;
}

static int
cmd_kernel (const char *file)
{
  size_t len;
  const char *why;
  struct gk_int_bzimage bz;
  const unsigned char *p = map_file (file, &len, &why);
  if (!p) return fail ("%s: %s", file, why);
  if (gk_int_bzimage_parse (p, len, &bz, &why) == -1) return fail ("%s: %s", file, why);
  printf ("version=%s\n", bz.version);
  if (bz.has_payload)
    printf ("payload_offset=%" PRIu64 "\npayload_length=%" PRIu64 "\ncompression=%s\n",
            bz.payload_offset, bz.payload_length, bz.compression ? bz.compression : "unknown");
  return 0;
}

static int
cmd_elf (const char *file)
{
  size_t len;
  int pvh;
  const char *why;
  const unsigned char *p = map_file (file, &len, &why);
  if (!p) return fail ("%s: %s", file, why);
  if (!gk_int_elf_check (p, len, &pvh, &why)) return fail ("%s: %s", file, why);
  printf ("pvh=%d\n", pvh);
  return 0;
}

/* Read the tree description on stdin; give each entry to cpio or tree. */
static int
cmd_spec (const char *dir)
{
  struct gk_int_newc w = { .fd = 1, .ino = 0 };
  int dfd = -1;
  if (dir && (dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
    return fail ("%s: %s", dir, strerror (errno));
  char *line = NULL, err[512];
  size_t cap = 0, lineno = 0;
  ssize_t n;
  int r = 0;
  umask (0);                             /* modes are given explicitly */
  while (r == 0 && (n = getline (&line, &cap, stdin)) != -1) {
    lineno++;
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
    struct gk_int_spec e;
    const char *why;
    int k = gk_int_spec_parse (line, &e, &why);
    if (k == -1) r = fail ("line %zu of the tree description: %s", lineno, why);
    else if (k == 1 && (dir ? gk_int_tree_add (dfd, &e, err, sizeof err)
                            : gk_int_newc_add (&w, &e, err, sizeof err)) == -1)
      r = fail ("%s", err);
  }
  free (line);
  if (r == 0 && !dir && gk_int_newc_end (&w, err, sizeof err) == -1) r = fail ("%s", err);
  if (dfd != -1) close (dfd);
  return r;
}

static int
cmd_modules (const char *flavour, const char *moddir, const char *listfile)
{
  char path[4096], err[512];
  /* No modules.dep (a UML kernel without modules): every wanted module
     is then missing, which only optional ones may be. */
  snprintf (path, sizeof path, "%s/modules.dep", moddir);
  char *dep = slurp (path, 1);
  if (!dep) return fail ("%s: %s", path, strerror (errno));
  snprintf (path, sizeof path, "%s/modules.builtin", moddir);
  char *builtin = slurp (path, 1), *list = slurp (listfile, 0);
  int r = 0;
  if (!builtin) r = fail ("%s: %s", path, strerror (errno));
  else if (!list) r = fail ("%s: %s", listfile, strerror (errno));
  else if (gk_int_moddeps_resolve (dep, builtin, list, flavour, stdout, err, sizeof err) == -1)
    r = fail ("%s: %s", listfile, err);
  free (dep);
  free (builtin);
  free (list);
  return r;
}

int
main (int argc, char **argv)
{
  int r;
  const char *c = argc > 1 ? argv[1] : "";
  if (strcmp (c, "kernel") == 0 && argc == 3) r = cmd_kernel (argv[2]);
  else if (strcmp (c, "elf") == 0 && argc == 3) r = cmd_elf (argv[2]);
  else if (strcmp (c, "cpio") == 0 && argc == 2) r = cmd_spec (NULL);
  else if (strcmp (c, "tree") == 0 && argc == 3) r = cmd_spec (argv[2]);
  else if (strcmp (c, "modules") == 0 && argc == 5) r = cmd_modules (argv[2], argv[3], argv[4]);
  else {
    fprintf (stderr, "usage: gkapp-tool kernel FILE | elf FILE | cpio | tree DIR\n"
                     "                  | modules FLAVOUR MODDIR LIST\n");
    return 2;
  }
  if (fflush (stdout) == EOF || ferror (stdout)) r = fail ("writing the output: %s", strerror (errno));
  return r;
}
