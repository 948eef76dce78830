/* guestkit qemu backend: the key of a saved appliance (qemu-snap.c):
 * everything the saved state depends on, as text, and the hash that
 * names its directory.  Apart from the files it identifies (stat), pure:
 * unit-tested in tests/test-qemu-args.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "qemu.h"

uint64_t
gk_int_snap_fnv64 (const void *p, size_t n, uint64_t h)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= UINT64_C (0x100000001b3); }
  return h;
}

static void
ident (FILE *f, const char *what, const struct stat *st, int ok)
{
  if (!ok) { fprintf (f, "%s none\n", what); return; }
  fprintf (f, "%s %llu %llu %lld %lld.%09ld\n", what, (unsigned long long) st->st_dev,
           (unsigned long long) st->st_ino, (long long) st->st_size,
           (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static void
ident_path (FILE *f, const char *what, const char *path)
{
  struct stat st;
  ident (f, what, &st, path && stat (path, &st) == 0);
}

static void
ident_fd (FILE *f, const char *what, int fd)
{
  struct stat st;
  ident (f, what, &st, fd >= 0 && fstat (fd, &st) == 0);
}

/* The first line of FILE starting with PREFIX, into F. */
static void
grep_first (FILE *f, const char *file, const char *prefix)
{
  FILE *in = fopen (file, "re");
  char line[8192];
  while (in && fgets (line, sizeof line, in))
    if (strncmp (line, prefix, strlen (prefix)) == 0) { fputs (line, f); break; }
  if (in) fclose (in);
}

/* The firmware qemu loads for a direct kernel boot. */
static const char *const firmware[] = {
  "/usr/share/qemu/bios-256k.bin", "/usr/share/seabios/bios-256k.bin",
  "/usr/share/qemu/pvh.bin", "/usr/share/qemu/linuxboot_dma.bin",
  "/usr/share/qemu/kvmvapic.bin", NULL,
};

char *
gk_int_snap_key (char *const *tmpl_argv, const char *qemu_path, int kvm,
                 const int appliance_fds[3])
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  if (!f) return NULL;
  fputs ("guestkit snapshot 1\n", f);
  grep_first (f, "/proc/sys/kernel/random/boot_id", "");
  ident_path (f, "qemu", qemu_path);
  for (size_t i = 0; firmware[i]; i++) ident_path (f, firmware[i], firmware[i]);
  ident_fd (f, "kernel", appliance_fds[0]);
  ident_fd (f, "initrd", appliance_fds[1]);
  ident_fd (f, "root", appliance_fds[2]);
  /* -cpu host: the saved CPU state is this CPU's. */
  if (kvm) { grep_first (f, "/proc/cpuinfo", "model name"); grep_first (f, "/proc/cpuinfo", "flags"); }
  for (size_t i = 0; tmpl_argv[i]; i++) fprintf (f, "argv %s\n", tmpl_argv[i]);
  if (fclose (f) != 0) { free (text); return NULL; }
  return text;
}

