/* guestkitd: parsers of guest files for inspection (inspect-parse.c).
 *
 * Pure functions of a buffer and its length, no I/O and no daemon state,
 * so tests/test-inspect-parse.c can feed them garbage on the host.  The
 * input is untrusted: every result is bounded and NUL-terminated, and
 * none of them reads past LEN (the buffer need not be NUL-terminated).
 */
#ifndef GK_INSPECT_PARSE_H
#define GK_INSPECT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The os-release keys inspection uses; "" when absent. */
struct gk_osrel {
  char id[64];
  char name[128];
  char pretty_name[256];
  char version_id[64];
};
/* Returns the number of keys found (0: not an os-release file). */
int gk_int_parse_os_release (const char *buf, size_t len, struct gk_osrel *r);

/* "12", "12.5", "22.04", "7.9.2009" -> major, minor (0 if absent).
 * Leading junk is not skipped.  -1 if S does not start with a number. */
int gk_int_parse_version (const char *s, size_t len, int *major, int *minor);

/* A first line of /etc/redhat-release and friends: "Fedora release 39
 * (Thirty Nine)".  Fills DISTRO (a short name, "" if not recognised),
 * PRODUCT (the first line, control characters dropped) and the
 * version.  Returns 0, or -1 if there is no " release " word. */
int gk_int_parse_redhat_release (const char *buf, size_t len,
                                 char *distro, size_t dlen,
                                 char *product, size_t plen,
                                 int *major, int *minor);

/* The distro name inspection reports for an os-release ID ("debian",
 * "rhel", "opensuse" ...): a known mapping, else ID itself when it is a
 * plain word, else "unknown".  Writes into OUT (OLEN bytes). */
void gk_int_distro_from_id (const char *id, char *out, size_t olen);

/* Decode \ooo escapes in place, as fstab and mountinfo write a space in
 * a path (\040). */
void gk_int_unoctal (char *s);

/* One fstab line, split in place (octal escapes such as \040 decoded,
 * the mount point without repeated or trailing slashes and "." parts).
 * Returns 1 for an entry, 0 for a blank line, comment or malformed line. */
struct gk_fstab_ent { char *spec, *file, *vfstype, *opts; };
int gk_int_parse_fstab_line (char *line, struct gk_fstab_ent *e);
/* 1 if the entry is a local filesystem to mount (not swap, proc, tmpfs,
 * network, bind, none ...), 2 if it is swap, 0 otherwise.  The mount
 * point must be an absolute path without ".." or control characters. */
int gk_int_fstab_kind (const struct gk_fstab_ent *e);

/* The dpkg status database, fed line by line (without the newline).
 * Emits each installed package ("install ok installed") through CB. */
struct gk_dpkg_pkg {
  char name[128];
  char version[128];            /* upstream version */
  char release[128];            /* Debian revision, "" if none */
  char arch[32];
  int64_t epoch;
  int status_ok;
};
struct gk_dpkg_parser {
  struct gk_dpkg_pkg cur;
  int (*cb) (void *opaque, const struct gk_dpkg_pkg *p);
  void *opaque;
  int error;                    /* CB returned -1: stop */
};
void gk_int_dpkg_init (struct gk_dpkg_parser *p,
                       int (*cb) (void *, const struct gk_dpkg_pkg *),
                       void *opaque);
void gk_int_dpkg_line (struct gk_dpkg_parser *p, const char *line, size_t len);
void gk_int_dpkg_end (struct gk_dpkg_parser *p);
/* Alpine's /lib/apk/db/installed, fed the same way (with gk_int_dpkg_init
 * and gk_int_dpkg_end): P:name, V:version-rN (release "rN"), A:arch,
 * records separated by blank lines; every record is installed. */
void gk_int_apk_line (struct gk_dpkg_parser *p, const char *line, size_t len);
/* One package's desc file of pacman's local database (Arch): the lines
 * after %NAME%, %VERSION% ([epoch:]version-release) and %ARCH%.  Returns
 * 1 with P filled, 0 if the name or version is missing. */
int gk_int_pacman_desc (const char *buf, size_t len, struct gk_dpkg_pkg *p);
/* "[epoch:]upstream[-revision]" into P's fields. */
void gk_int_dpkg_split_version (const char *v, size_t len,
                                struct gk_dpkg_pkg *p);

/* One line of the rpm query inspection runs (inspect-rpm.c): NAME TAB
 * EPOCH TAB VERSION TAB RELEASE TAB ARCH, without the newline; EPOCH is
 * digits (0 when the package has none).  Fills P (status_ok unused);
 * returns 1, or 0 for a malformed line (wrong field count, empty name,
 * a non-numeric epoch). */
int gk_int_parse_rpm_line (const char *line, size_t len, struct gk_dpkg_pkg *p);

/* The architecture of an ELF file from its first LEN bytes (64 are
 * enough): "x86_64", "i386", "aarch64", ...; NULL if not ELF, "unknown"
 * for a machine not in the list. */
const char *gk_int_elf_arch (const unsigned char *buf, size_t len);
/* The same for a PE (Windows) executable; needs the bytes up to the PE
 * header (e_lfanew + 6).  NULL if not PE or LEN is too short. */
const char *gk_int_pe_arch (const unsigned char *buf, size_t len);

/* The first line of BUF, trimmed and with control characters dropped,
 * into OUT (at most OLEN - 1 bytes).  For hostname-like values. */
void gk_int_first_line (const char *buf, size_t len, char *out, size_t olen);
/* Value of KEY= in a shell-style KEY=VALUE file (quotes removed), "" if
 * absent.  Returns 1 if found. */
int gk_int_shell_var (const char *buf, size_t len, const char *key,
                      char *out, size_t olen);

#endif
