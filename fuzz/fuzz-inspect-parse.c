/* Fuzz target: the parsers of guest files that inspection reads
 * (daemon/calls/inspect-parse.c): os-release, redhat-release, version
 * numbers, os-release IDs, the dpkg status database, ELF and PE headers,
 * hostname-like first lines and shell variables.
 *
 * Input: one byte choosing the parser, then the file's bytes (not
 * NUL-terminated: the parsers must not need it).
 *
 * Properties: every output string is NUL-terminated inside its buffer
 * and holds no control character; numbers are in range; results agree
 * with the few bytes that decide them (ELF/PE magic, a leading digit).
 */
#include <ctype.h>
#include "fuzz.h"
#include "inspect-parse.h"

static void
clean (const char *s, size_t cap, const char *what)
{
  FUZZ_ASSERT (fuzz_terminated (s, cap), "%s not terminated", what);
  for (const unsigned char *c = (const unsigned char *) s; *c; c++)
    FUZZ_ASSERT (*c >= 0x20 && *c != 0x7f, "%s holds control byte 0x%02x", what, *c);
}

static int
on_pkg (void *opaque, const struct gk_dpkg_pkg *p)
{
  clean (p->name, sizeof p->name, "package name");
  clean (p->version, sizeof p->version, "package version");
  clean (p->release, sizeof p->release, "package release");
  clean (p->arch, sizeof p->arch, "package arch");
  FUZZ_ASSERT (p->name[0] && p->status_ok, "package emitted without name or status");
  FUZZ_ASSERT (p->epoch >= 0, "negative epoch");
  ++*(int *) opaque;
  return *(int *) opaque > 1000 ? -1 : 0;   /* the callback may stop the parser */
}

static void
dpkg (const char *b, size_t n)
{
  struct gk_dpkg_parser p;
  int count = 0;
  gk_int_dpkg_init (&p, on_pkg, &count);
  /* Fed line by line as inspect-apps.c does: each line its own buffer. */
  for (size_t s = 0; s <= n;) {
    const char *nl = memchr (b + s, '\n', n - s);
    size_t e = nl ? (size_t) (nl - b) : n;
    char *line = fuzz_exact ((const uint8_t *) b + s, e - s);
    gk_int_dpkg_line (&p, line, e - s);
    free (line);
    s = e + 1;
  }
  gk_int_dpkg_end (&p);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  unsigned sel = data[0];
  size_t n = size - 1;
  char *b = fuzz_exact (data + 1, n);
  switch (sel % 8) {
  case 0: {
    struct gk_osrel r;
    int k = gk_int_parse_os_release (b, n, &r);
    FUZZ_ASSERT (k >= 0 && k <= 4, "os-release found %d keys", k);
    clean (r.id, sizeof r.id, "ID");
    clean (r.name, sizeof r.name, "NAME");
    clean (r.pretty_name, sizeof r.pretty_name, "PRETTY_NAME");
    clean (r.version_id, sizeof r.version_id, "VERSION_ID");
    char d[32];
    gk_int_distro_from_id (r.id, d, sizeof d);
    clean (d, sizeof d, "distro");
    break;
  }
  case 1: {
    int ma = -7, mi = -7;
    int rc = gk_int_parse_version (b, n, &ma, &mi);
    int digit = n > 0 && isdigit ((unsigned char) b[0]);
    /* A leading digit is a version unless the number is absurdly long. */
    size_t digits = 0;
    while (digits < n && isdigit ((unsigned char) b[digits])) digits++;
    FUZZ_ASSERT (rc == 0 ? digit : (!digit || digits >= 7),
                 "version: rc %d, %zu leading digits", rc, digits);
    if (rc == 0) FUZZ_ASSERT (ma >= 0 && mi >= 0 && ma <= 10000000 && mi <= 10000000,
                              "version %d.%d", ma, mi);
    break;
  }
  case 2: {
    char d[32], p[256];
    int ma, mi;
    int rc = gk_int_parse_redhat_release (b, n, d, sizeof d, p, sizeof p, &ma, &mi);
    FUZZ_ASSERT (rc == 0 || rc == -1, "redhat-release rc %d", rc);
    clean (d, sizeof d, "distro");
    clean (p, sizeof p, "product");
    FUZZ_ASSERT (ma >= 0 && mi >= 0, "release %d.%d", ma, mi);
    if (rc == -1) FUZZ_ASSERT (ma == 0 && mi == 0, "version without a release word");
    break;
  }
  case 3: dpkg (b, n); break;
  case 4: {
    const char *a = gk_int_elf_arch ((const unsigned char *) b, n);
    if (a) FUZZ_ASSERT (n >= 20 && memcmp (b, "\177ELF", 4) == 0, "ELF arch %s from non-ELF", a);
    const char *pe = gk_int_pe_arch ((const unsigned char *) b, n);
    if (pe) FUZZ_ASSERT (n >= 0x40 && b[0] == 'M' && b[1] == 'Z', "PE arch %s from non-PE", pe);
    break;
  }
  case 5: {
    char out[64];
    gk_int_first_line (b, n, out, sizeof out);
    clean (out, sizeof out, "first line");
    size_t l = strlen (out);
    FUZZ_ASSERT (l == 0 || (!isspace ((unsigned char) out[0])
                            && !isspace ((unsigned char) out[l - 1])), "untrimmed line");
    /* Tiny output buffers too. */
    char one[1];
    gk_int_first_line (b, n, one, sizeof one);
    FUZZ_ASSERT (one[0] == '\0', "one-byte buffer overfilled");
    break;
  }
  case 6: {
    char out[16];
    int f = gk_int_shell_var (b, n, "HOSTNAME", out, sizeof out);
    clean (out, sizeof out, "shell value");
    if (!f) FUZZ_ASSERT (out[0] == '\0', "value without a key");
    break;
  }
  case 7: {
    struct gk_dpkg_pkg p;
    memset (&p, 0, sizeof p);
    gk_int_dpkg_split_version (b, n, &p);
    clean (p.version, sizeof p.version, "version");
    clean (p.release, sizeof p.release, "release");
    FUZZ_ASSERT (p.epoch >= 0, "negative epoch");
    char *id = fuzz_cstr (data + 1, n), d[16];
    gk_int_distro_from_id (id, d, sizeof d);
    FUZZ_ASSERT (fuzz_terminated (d, sizeof d), "distro not terminated");
    free (id);
    break;
  }
  }
  free (b);
  return 0;
}
