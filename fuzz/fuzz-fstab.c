/* Fuzz target: a guest's /etc/fstab as inspection reads it
 * (daemon/calls/inspect-fstab.c gk_int_insp_fstab): split into lines, each
 * parsed by gk_int_parse_fstab_line and classified by gk_int_fstab_kind.
 *
 * Input: the file's bytes.
 *
 * Properties: every field of an entry lies inside the line; a mount
 * point classified as one to mount (kind 1) is absolute, has no ".."
 * component, no control character, no empty or "." component; escapes
 * (\040) are decoded once (the result never grows).
 */
#include "fuzz.h"
#include "inspect-parse.h"

static void
check_mountpoint (const char *m)
{
  FUZZ_ASSERT (m[0] == '/', "mount point %s not absolute", m);
  for (const unsigned char *c = (const unsigned char *) m; *c; c++)
    FUZZ_ASSERT (*c >= 0x20 && *c != 0x7f, "control byte in mount point");
  /* Components: none empty (but the root itself), none "." or "..". */
  if (strcmp (m, "/") == 0) return;
  for (const char *p = m + 1;;) {
    size_t n = strcspn (p, "/");
    FUZZ_ASSERT (n > 0, "empty component in %s", m);
    FUZZ_ASSERT (!(n == 1 && p[0] == '.'), "'.' component in %s", m);
    FUZZ_ASSERT (!(n == 2 && p[0] == '.' && p[1] == '.'), "'..' component in %s", m);
    if (!p[n]) break;
    p += n + 1;
  }
}

static int
inside (const char *s, const char *line, size_t n)
{
  return s >= line && s < line + n + 1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = fuzz_cstr (data, size);
  char *save = NULL;
  size_t entries = 0;
  for (char *line = strtok_r (text, "\n", &save); line && entries < 256;
       line = strtok_r (NULL, "\n", &save)) {
    size_t n = strlen (line);
    struct gk_fstab_ent e;
    int rc = gk_int_parse_fstab_line (line, &e);
    FUZZ_ASSERT (rc == 0 || rc == 1, "parse rc %d", rc);
    if (!rc) continue;
    entries++;
    FUZZ_ASSERT (inside (e.spec, line, n) && inside (e.file, line, n)
                 && inside (e.vfstype, line, n), "a field points outside its line");
    FUZZ_ASSERT (strlen (e.spec) <= n && strlen (e.file) <= n, "a field grew");
    int kind = gk_int_fstab_kind (&e);
    FUZZ_ASSERT (kind >= 0 && kind <= 2, "kind %d", kind);
    if (kind == 1) check_mountpoint (e.file);
  }
  free (text);
  return 0;
}
