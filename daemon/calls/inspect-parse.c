/* guestkitd: parsers of guest files for inspection (inspect-parse.h).
 *
 * Everything here works on (buffer, length) without relying on a NUL,
 * writes only into fixed-size outputs, and drops control characters from
 * strings it keeps: the files come from the guest and may be anything.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inspect-parse.h"

/* Version numbers beyond this are nonsense and would overflow an int. */
#define VERSION_MAX 1000000

/* The line starting at *P (before END); advances *P past its newline. */
static const char *
next_line (const char **p, const char *end, size_t *n)
{
  if (*p >= end) return NULL;
  const char *s = *p;
  const char *nl = memchr (s, '\n', (size_t) (end - s));
  *n = nl ? (size_t) (nl - s) : (size_t) (end - s);
  *p = nl ? nl + 1 : end;
  if (*n > 0 && s[*n - 1] == '\r') (*n)--;
  return s;
}

/* Append byte C to OUT (OLEN bytes, *N used) unless it is a control
 * character or there is no room; OUT stays NUL-terminated. */
static void
put (char *out, size_t olen, size_t *n, unsigned char c)
{
  if (c < 0x20 || c == 0x7f) return;
  if (*n + 1 >= olen) return;
  out[(*n)++] = (char) c;
  out[*n] = '\0';
}

/* A shell-style value: 'single', "double" with backslash escapes, or
 * bare up to a '#' comment or white space. */
static void
shell_value (const char *v, size_t len, char *out, size_t olen)
{
  size_t n = 0;
  if (olen == 0) return;
  out[0] = '\0';
  size_t i = 0;
  while (i < len) {
    char c = v[i];
    if (c == '\'') {
      for (i++; i < len && v[i] != '\''; i++) put (out, olen, &n, (unsigned char) v[i]);
      i++;
    }
    else if (c == '"') {
      for (i++; i < len && v[i] != '"'; i++) {
        if (v[i] == '\\' && i + 1 < len && strchr ("\"\\$`", v[i + 1])) i++;
        put (out, olen, &n, (unsigned char) v[i]);
      }
      i++;
    }
    else if (c == ' ' || c == '\t' || c == '#')
      break;
    else {
      if (c == '\\' && i + 1 < len) i++;
      put (out, olen, &n, (unsigned char) v[i]);
      i++;
    }
  }
}

/* If LINE (N bytes) is "KEY=...", the value's start and length. */
static int
match_key (const char *line, size_t n, const char *key, const char **v,
           size_t *vlen)
{
  while (n > 0 && (*line == ' ' || *line == '\t')) { line++; n--; }
  if (n > 7 && strncmp (line, "export ", 7) == 0) { line += 7; n -= 7; }
  size_t k = strlen (key);
  if (n <= k || strncmp (line, key, k) != 0 || line[k] != '=') return 0;
  *v = line + k + 1;
  *vlen = n - k - 1;
  return 1;
}

int
gk_int_shell_var (const char *buf, size_t len, const char *key, char *out,
                  size_t olen)
{
  const char *p = buf, *end = buf + len, *line, *v;
  size_t n, vlen;
  int found = 0;
  if (olen) out[0] = '\0';
  /* The last assignment wins, as when the shell sources the file. */
  while ((line = next_line (&p, end, &n)))
    if (match_key (line, n, key, &v, &vlen)) {
      shell_value (v, vlen, out, olen);
      found = 1;
    }
  return found;
}

int
gk_int_parse_os_release (const char *buf, size_t len, struct gk_osrel *r)
{
  memset (r, 0, sizeof *r);
  return gk_int_shell_var (buf, len, "ID", r->id, sizeof r->id)
    + gk_int_shell_var (buf, len, "NAME", r->name, sizeof r->name)
    + gk_int_shell_var (buf, len, "PRETTY_NAME", r->pretty_name,
                        sizeof r->pretty_name)
    + gk_int_shell_var (buf, len, "VERSION_ID", r->version_id,
                        sizeof r->version_id);
}

/* A decimal number of at most 7 digits at S[*I]; -1 if none. */
static int
number (const char *s, size_t len, size_t *i)
{
  int v = 0;
  size_t start = *i;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    if (v >= VERSION_MAX) return -1;
    v = v * 10 + (s[*i] - '0');
    (*i)++;
  }
  return *i == start ? -1 : v;
}

int
gk_int_parse_version (const char *s, size_t len, int *major, int *minor)
{
  size_t i = 0;
  int ma = number (s, len, &i), mi = 0;
  if (ma == -1) return -1;
  if (i + 1 < len && s[i] == '.') {
    i++;
    mi = number (s, len, &i);
    if (mi == -1) mi = 0;
  }
  *major = ma;
  *minor = mi;
  return 0;
}

static const struct { const char *prefix, *distro; } rh_names[] = {
  { "Fedora", "fedora" },
  { "Red Hat Enterprise Linux", "rhel" },
  { "CentOS", "centos" },
  { "Rocky Linux", "rocky" },
  { "AlmaLinux", "almalinux" },
  { "Oracle Linux", "oraclelinux" },
  { "Scientific Linux", "scientificlinux" },
  { NULL, NULL }
};

int
gk_int_parse_redhat_release (const char *buf, size_t len, char *distro,
                             size_t dlen, char *product, size_t plen,
                             int *major, int *minor)
{
  const char *p = buf, *line;
  size_t n;
  if (dlen) distro[0] = '\0';
  if (plen) product[0] = '\0';
  *major = *minor = 0;
  line = next_line (&p, buf + len, &n);
  if (!line) return -1;
  gk_int_first_line (line, n, product, plen);
  for (size_t i = 0; rh_names[i].prefix; i++) {
    size_t k = strlen (rh_names[i].prefix);
    if (n >= k && strncmp (line, rh_names[i].prefix, k) == 0) {
      snprintf (distro, dlen, "%s", rh_names[i].distro);
      break;
    }
  }
  static const char word[] = " release ";
  const size_t wl = sizeof word - 1;
  for (size_t i = 0; i + wl <= n; i++)
    if (memcmp (line + i, word, wl) == 0) {
      if (gk_int_parse_version (line + i + wl, n - i - wl, major, minor) == -1)
        *major = *minor = 0;
      return 0;
    }
  return -1;
}

static const struct { const char *id, *distro; } id_names[] = {
  { "rhel", "rhel" }, { "centos", "centos" }, { "rocky", "rocky" },
  { "almalinux", "almalinux" }, { "ol", "oraclelinux" },
  { "arch", "archlinux" }, { "alpine", "alpinelinux" },
  { "opensuse", "opensuse" }, { "opensuse-leap", "opensuse" },
  { "opensuse-tumbleweed", "opensuse" }, { "sles", "sles" },
  { "linuxmint", "linuxmint" }, { "void", "voidlinux" },
  { NULL, NULL }
};

void
gk_int_distro_from_id (const char *id, char *out, size_t olen)
{
  for (size_t i = 0; id_names[i].id; i++)
    if (strcmp (id, id_names[i].id) == 0) {
      snprintf (out, olen, "%s", id_names[i].distro);
      return;
    }
  int plain = *id != '\0';
  for (const char *c = id; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
          || *c == '-' || *c == '_' || *c == '.'))
      plain = 0;
  snprintf (out, olen, "%s", plain ? id : "unknown");
}

/* --- fstab --- */

void
gk_int_unoctal (char *s)
{
  char *w = s;
  while (*s) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0'
        && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
      *w++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 4;
    }
    else
      *w++ = *s++;
  }
  *w = '\0';
}

/* "//home/./x/" -> "/home/x", in place: one spelling per mount point. */
static void
clean_path (char *s)
{
  if (s[0] != '/') return;
  char *w = s;
  for (const char *p = s; *p;) {
    while (*p == '/') p++;
    size_t n = strcspn (p, "/");
    if (n == 0) break;
    if (!(n == 1 && p[0] == '.')) {
      *w++ = '/';
      memmove (w, p, n);
      w += n;
    }
    p += n;
  }
  if (w == s) *w++ = '/';
  *w = '\0';
}

int
gk_int_parse_fstab_line (char *line, struct gk_fstab_ent *e)
{
  char *f[4] = { NULL, NULL, NULL, NULL };
  size_t nf = 0;
  char *p = line;
  while (nf < 4) {
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (*p == '\0' || *p == '#') break;
    f[nf++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
    if (*p) *p++ = '\0';
  }
  if (nf < 3) return 0;         /* blank, comment, or too short */
  for (size_t i = 0; i < nf; i++) gk_int_unoctal (f[i]);
  clean_path (f[1]);
  e->spec = f[0];
  e->file = f[1];
  e->vfstype = f[2];
  e->opts = f[3] ? f[3] : (char *) "defaults";
  return 1;
}

static int
has_opt (const char *opts, const char *opt)
{
  size_t k = strlen (opt);
  for (const char *p = opts; *p;) {
    size_t n = strcspn (p, ",");
    if (n == k && strncmp (p, opt, k) == 0) return 1;
    p += n;
    if (*p) p++;
  }
  return 0;
}

/* An absolute path, no "..", no control characters, not too long. */
static int
sane_mountpoint (const char *s)
{
  if (s[0] != '/' || strlen (s) > 1024) return 0;
  for (const char *c = s; *c; c++)
    if ((unsigned char) *c < 0x20 || *c == 0x7f) return 0;
  for (const char *c = s; (c = strstr (c, "..")); c++)
    if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0')) return 0;
  return 1;
}

static const char *const skip_types[] = {
  "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "cgroup", "cgroup2",
  "debugfs", "securityfs", "hugetlbfs", "mqueue", "binfmt_misc",
  "nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p",
  "glusterfs", "ceph", "none", "ignore", "autofs", "usbfs", "efivarfs",
  "ramfs", "overlay", "squashfs", "iso9660", "udf", NULL
};

int
gk_int_fstab_kind (const struct gk_fstab_ent *e)
{
  if (strcmp (e->vfstype, "swap") == 0) return 2;
  for (size_t i = 0; skip_types[i]; i++)
    if (strcmp (e->vfstype, skip_types[i]) == 0) return 0;
  if (has_opt (e->opts, "bind") || has_opt (e->opts, "rbind")) return 0;
  if (!sane_mountpoint (e->file)) return 0;
  /* host:/path, //server/share */
  if (strchr (e->spec, ':') && strncmp (e->spec, "UUID=", 5) != 0
      && strncmp (e->spec, "PARTUUID=", 9) != 0
      && strncmp (e->spec, "LABEL=", 6) != 0)
    return 0;
  if (strncmp (e->spec, "//", 2) == 0) return 0;
  return 1;
}

/* --- dpkg --- */

static void
copy_field (const char *v, size_t n, char *out, size_t olen)
{
  size_t w = 0;
  out[0] = '\0';
  while (n > 0 && (*v == ' ' || *v == '\t')) { v++; n--; }
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  for (size_t i = 0; i < n; i++) put (out, olen, &w, (unsigned char) v[i]);
}

void
gk_int_dpkg_split_version (const char *v, size_t len, struct gk_dpkg_pkg *p)
{
  while (len > 0 && (*v == ' ' || *v == '\t')) { v++; len--; }
  while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
  p->epoch = 0;
  const char *colon = memchr (v, ':', len);
  if (colon) {
    size_t i = 0;
    int e = number (v, (size_t) (colon - v), &i);
    if (e >= 0 && v + i == colon) p->epoch = e;
    len -= (size_t) (colon + 1 - v);
    v = colon + 1;
  }
  /* The revision follows the last hyphen. */
  size_t dash = len;
  for (size_t i = len; i-- > 0;)
    if (v[i] == '-') { dash = i; break; }
  copy_field (v, dash, p->version, sizeof p->version);
  if (dash < len)
    copy_field (v + dash + 1, len - dash - 1, p->release, sizeof p->release);
  else
    p->release[0] = '\0';
}

void
gk_int_dpkg_init (struct gk_dpkg_parser *p,
                  int (*cb) (void *, const struct gk_dpkg_pkg *),
                  void *opaque)
{
  memset (p, 0, sizeof *p);
  p->cb = cb;
  p->opaque = opaque;
}

static void
flush_pkg (struct gk_dpkg_parser *p)
{
  if (p->cur.name[0] && p->cur.status_ok && !p->error)
    if (p->cb (p->opaque, &p->cur) == -1) p->error = 1;
  memset (&p->cur, 0, sizeof p->cur);
}

static int
field (const char *line, size_t n, const char *name, const char **v,
       size_t *vlen)
{
  size_t k = strlen (name);
  if (n <= k || strncmp (line, name, k) != 0 || line[k] != ':') return 0;
  *v = line + k + 1;
  *vlen = n - k - 1;
  return 1;
}

void
gk_int_dpkg_line (struct gk_dpkg_parser *p, const char *line, size_t n)
{
  const char *v;
  size_t vl;
  if (n > 0 && line[n - 1] == '\r') n--;
  if (n == 0) { flush_pkg (p); return; }
  if (line[0] == ' ' || line[0] == '\t') return;   /* continuation */
  if (field (line, n, "Package", &v, &vl))
    copy_field (v, vl, p->cur.name, sizeof p->cur.name);
  else if (field (line, n, "Version", &v, &vl))
    gk_int_dpkg_split_version (v, vl, &p->cur);
  else if (field (line, n, "Architecture", &v, &vl))
    copy_field (v, vl, p->cur.arch, sizeof p->cur.arch);
  else if (field (line, n, "Status", &v, &vl)) {
    char st[64];
    copy_field (v, vl, st, sizeof st);
    p->cur.status_ok = strcmp (st, "install ok installed") == 0;
  }
}

void
gk_int_dpkg_end (struct gk_dpkg_parser *p)
{
  flush_pkg (p);
}

void
gk_int_apk_line (struct gk_dpkg_parser *p, const char *line, size_t n)
{
  if (n > 0 && line[n - 1] == '\r') n--;
  if (n == 0) { flush_pkg (p); return; }
  if (n < 2 || line[1] != ':') return;
  const char *v = line + 2;
  size_t vl = n - 2;
  if (line[0] == 'P') {
    copy_field (v, vl, p->cur.name, sizeof p->cur.name);
    p->cur.status_ok = 1;       /* apk lists installed packages only */
  }
  else if (line[0] == 'V')
    gk_int_dpkg_split_version (v, vl, &p->cur);
  else if (line[0] == 'A')
    copy_field (v, vl, p->cur.arch, sizeof p->cur.arch);
}

int
gk_int_pacman_desc (const char *buf, size_t len, struct gk_dpkg_pkg *p)
{
  const char *s = buf, *end = buf + len, *line;
  size_t n;
  int key = 0;          /* 1 NAME, 2 VERSION, 3 ARCH: the next line's */
  memset (p, 0, sizeof *p);
  while ((line = next_line (&s, end, &n))) {
    if (key == 1) copy_field (line, n, p->name, sizeof p->name);
    else if (key == 2) gk_int_dpkg_split_version (line, n, p);
    else if (key == 3) copy_field (line, n, p->arch, sizeof p->arch);
    key = n == 6 && memcmp (line, "%NAME%", 6) == 0 ? 1
      : n == 9 && memcmp (line, "%VERSION%", 9) == 0 ? 2
      : n == 6 && memcmp (line, "%ARCH%", 6) == 0 ? 3 : 0;
  }
  return p->name[0] && p->version[0];
}

/* --- rpm query output --- */

int
gk_int_parse_rpm_line (const char *line, size_t len, struct gk_dpkg_pkg *p)
{
  const char *f[5];
  size_t fl[5], nf = 0, start = 0;
  memset (p, 0, sizeof *p);
  for (size_t i = 0; i <= len; i++)
    if (i == len || line[i] == '\t') {
      if (nf == 5) return 0;
      f[nf] = line + start;
      fl[nf++] = i - start;
      start = i + 1;
    }
  if (nf != 5 || fl[0] == 0 || fl[1] == 0 || fl[1] > 9) return 0;
  int64_t e = 0;
  for (size_t i = 0; i < fl[1]; i++) {
    if (f[1][i] < '0' || f[1][i] > '9') return 0;
    e = e * 10 + (f[1][i] - '0');
  }
  p->epoch = e;
  copy_field (f[0], fl[0], p->name, sizeof p->name);
  copy_field (f[2], fl[2], p->version, sizeof p->version);
  copy_field (f[3], fl[3], p->release, sizeof p->release);
  copy_field (f[4], fl[4], p->arch, sizeof p->arch);
  return p->name[0] != '\0';
}

/* --- executables --- */

static unsigned
le16 (const unsigned char *b) { return (unsigned) b[0] | (unsigned) b[1] << 8; }
static unsigned
be16 (const unsigned char *b) { return (unsigned) b[1] | (unsigned) b[0] << 8; }
static uint32_t
le32 (const unsigned char *b)
{
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16
    | (uint32_t) b[3] << 24;
}

const char *
gk_int_elf_arch (const unsigned char *buf, size_t len)
{
  if (len < 20 || memcmp (buf, "\177ELF", 4) != 0) return NULL;
  int cls64 = buf[4] == 2, le = buf[5] == 1;
  if ((buf[4] != 1 && buf[4] != 2) || (buf[5] != 1 && buf[5] != 2))
    return NULL;
  unsigned m = le ? le16 (buf + 18) : be16 (buf + 18);
  switch (m) {
  case 3: return "i386";
  case 62: return "x86_64";
  case 183: return "aarch64";
  case 40: return "arm";
  case 243: return cls64 ? "riscv64" : "riscv32";
  case 20: return "ppc";
  case 21: return le ? "ppc64le" : "ppc64";
  case 22: return cls64 ? "s390x" : "s390";
  case 8: return cls64 ? "mips64" : "mips";
  case 2: case 43: return cls64 ? "sparc64" : "sparc";
  case 258: return "loongarch64";
  default: return "unknown";
  }
}

const char *
gk_int_pe_arch (const unsigned char *buf, size_t len)
{
  if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z') return NULL;
  uint32_t off = le32 (buf + 0x3c);
  if (off > len || len - off < 6 || memcmp (buf + off, "PE\0\0", 4) != 0)
    return NULL;
  switch (le16 (buf + off + 4)) {
  case 0x14c: return "i386";
  case 0x8664: return "x86_64";
  case 0xaa64: return "aarch64";
  case 0x1c4: return "arm";
  default: return "unknown";
  }
}

void
gk_int_first_line (const char *buf, size_t len, char *out, size_t olen)
{
  const char *p = buf, *line;
  size_t n, w = 0;
  if (olen == 0) return;
  out[0] = '\0';
  line = next_line (&p, buf + len, &n);
  if (!line) return;
  while (n > 0 && isspace ((unsigned char) *line)) { line++; n--; }
  while (n > 0 && isspace ((unsigned char) line[n - 1])) n--;
  /* Trim again after dropping control characters: " \001 x" is "x". */
  for (size_t i = 0; i < n; i++)
    if (w > 0 || !isspace ((unsigned char) line[i]))
      put (out, olen, &w, (unsigned char) line[i]);
  while (w > 0 && isspace ((unsigned char) out[w - 1])) out[--w] = '\0';
}
