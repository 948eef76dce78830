/* guestkit UML backend: the pure parts, unit-tested without booting
 * (tests/test-uml-args.c): the command line, the check of the paths
 * that go on it, and the header of the copy-on-write file that keeps a
 * read-only drive byte-identical. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "argv.h"
#include "abi.h"

/* Kernel flags, measured (shared/research RESULTS.md 3c):
 * gk.root: like qemu, a 1.8 MB initrd (/init) and the tree on a disk
 * (0.2 s faster to boot than the 38 MB all-in-one initrd, docs/benchmarks.md);
 * fastboot (opt-in, GUESTKIT_UML_FASTBOOT=1): skip the built-in RAID6 and
 * XOR speed benchmarks, about 1 s of every boot; the kernel then has no
 * RAID6/XOR routines, so btrfs RAID5/6 (and md RAID4/5/6) must not be
 * used: the appliance kernel would oops, and could hang;
 * pty.legacy_count=0 skips 0.8 s of legacy BSD pty set-up; quiet; the
 * serial line fd:3 is /dev/ttyS1 in the guest, the daemon's channel
 * (gk.channel), put in raw mode by the daemon.  gk.halt=poweroff: a UML
 * "reboot" re-executes the binary, poweroff makes it exit.
 * uml_dir=/dev/null: UML cannot create its ~/.uml/UMID directory (pid
 * file and management-console socket), which a killed UML would leave
 * behind; both are optional and we use neither. */
char *
gk_int_uml_append (int debug, int root, int fastboot)
{
  char *s = NULL;
  if (asprintf (&s, "pty.legacy_count=0 uml_dir=/dev/null "
                GK_ABI_ARG_CHANNEL GK_ABI_SERIAL_CHANNEL_DEV " " GK_ABI_ARG_HALT "poweroff%s%s %s",
                root ? " " GK_ABI_ARG_ROOT GK_ABI_ROOT_SERIAL : "",
                fastboot ? " " GK_UML_FASTBOOT : "",
                debug ? GK_ABI_ARG_DEBUG "1 printk.time=1" : "quiet") == -1)
    return NULL;
  return s;
}

/* UML splits drive specifications at ',' and ':' and the command line at
 * spaces; such a path would silently name another file.  NULL if PATH is
 * fine, else why not. */
const char *
gk_int_uml_bad_path (const char *path)
{
  if (path[0] != '/') return "not an absolute path";
  if (strlen (path) >= GK_UML_COW_PATH_MAX) return "path too long for UML";
  for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
    if (*p == ',' || *p == ':')
      return "UML cannot open a path containing ',' or ':' (it separates drive options)";
    if (*p <= ' ' || *p == 0x7f)
      return "UML cannot open a path containing spaces or control characters";
  }
  return NULL;
}


char **
gk_int_uml_argv (const struct gk_int_uml_cfg *c)
{
  struct gk_int_argv a = { 0 };
  gk_int_argv_add (&a, c->uml);
  gk_int_argv_addf (&a, "mem=%dM", c->memsize);
  gk_int_argv_addf (&a, "initrd=%s", c->initrd);
  /* Console 0 on our stdout (the console pipe), every other console and
   * serial line unconnected, serial line 1 the control channel. */
  gk_int_argv_add (&a, "con=null");
  gk_int_argv_add (&a, "con0=null,fd:1");
  gk_int_argv_add (&a, "ssl=null");
  gk_int_argv_addf (&a, "ssl1=fd:%d", c->ctl_fd);
  for (size_t i = 0; i < c->nr_drives; i++) {
    const struct gk_int_drive *d = &c->drives[i];
    /* The image: the inherited descriptor add-drive checked, not its name. */
    char fdpath[32];
    int fd = c->drive_fds ? c->drive_fds[i] : -1;
    snprintf (fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    const char *file = fd >= 0 ? fdpath : d->filename;
    /* Read-only: writes go to the COW file (the inherited, already
     * unlinked fd), the image is opened read-only as its backing file
     * (never searched for a COW header).  Writable: the image itself;
     * the guest's flushes become fsync() on it.  'd': UML must not take
     * the image for a COW file naming another (the guest writes it). */
    if (d->readonly && c->cow_fds && c->cow_fds[i] >= 0)
      gk_int_argv_addf (&a, "ubd%zu=/proc/self/fd/%d,%s", i, c->cow_fds[i], file);
    else
      gk_int_argv_addf (&a, "ubd%zu%sd=%s", i, d->readonly ? "r" : "", file);
  }
  if (c->root)
    /* The appliance tree (ext2), read-only, shared by every appliance
     * running at once; last, so the user's drives keep their order.
     * "FILE,,SERIAL": no COW file, the serial the daemon looks for. */
    gk_int_argv_addf (&a, "ubd%zurd=%s,," GK_ABI_ROOT_SERIAL, c->nr_drives, c->root);
  if (c->stage)
    /* The blk datapath's staging disk (common/stage.h): the library's
     * memfd; "c": no host file lock, the library maps it too; "d": the
     * guest writes it, so never read a COW header from it. */
    gk_int_argv_addf (&a, "ubd%zucd=%s,," GK_ABI_STAGE_SERIAL, c->nr_drives + (c->root != NULL), c->stage);
  char *app = gk_int_uml_append (c->debug, c->root != NULL, c->fastboot);
  if (!app) a.oom = 1;
  else {
    for (char *save = NULL, *w = strtok_r (app, " ", &save); w; w = strtok_r (NULL, " ", &save))
      gk_int_argv_add (&a, w);
    free (app);
  }
  return gk_int_argv_finish (&a);
}

int
gk_int_uml_cow_magic (const unsigned char m[4])
{
  /* 0x4f4f4f4d stored big-endian (versions 2, 3) or in host order (1). */
  return memcmp (m, "OOOM", 4) == 0 || memcmp (m, "MOOO", 4) == 0;
}

/* The UML COW file format, version 3 (all integers big-endian, packed):
 *   u32 magic "MOOO" 0x4f4f4f4d, u32 version 3, u32 backing mtime (s),
 *   u64 backing size, u32 sector size, u32 alignment, u32 format 0,
 *   char backing_file[4096];
 * then the bitmap (one bit per sector) at the header size rounded up to
 * the alignment, then the data at the end of the bitmap rounded up.
 * UML refuses the file when the backing file's size or mtime differ. */
static void
be32 (unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char) (v >> 24); p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8); p[3] = (unsigned char) v;
}

int
gk_int_uml_cow_header (unsigned char hdr[GK_UML_COW_HDR], const char *backing,
                       uint64_t size, uint64_t mtime, uint64_t *file_size_r)
{
  size_t n = strlen (backing);
  if (n >= GK_UML_COW_PATH_MAX || mtime > UINT32_MAX) return -1;
  memset (hdr, 0, GK_UML_COW_HDR);
  be32 (hdr, 0x4f4f4f4d);
  be32 (hdr + 4, 3);
  be32 (hdr + 8, (uint32_t) mtime);
  be32 (hdr + 12, (uint32_t) (size >> 32));
  be32 (hdr + 16, (uint32_t) size);
  be32 (hdr + 20, GK_UML_COW_SECTOR);
  be32 (hdr + 24, GK_UML_COW_ALIGN);
  be32 (hdr + 28, 0);
  memcpy (hdr + 32, backing, n);
  uint64_t bitmap_off = (32 + GK_UML_COW_PATH_MAX + GK_UML_COW_ALIGN - 1)
                        / GK_UML_COW_ALIGN * GK_UML_COW_ALIGN;
  uint64_t sectors = (size + GK_UML_COW_SECTOR - 1) / GK_UML_COW_SECTOR;
  uint64_t bitmap_len = (sectors + 7) / 8;
  uint64_t data_off = (bitmap_off + bitmap_len + GK_UML_COW_ALIGN - 1)
                      / GK_UML_COW_ALIGN * GK_UML_COW_ALIGN;
  *file_size_r = data_off + size;
  return 0;
}
