/* Fuzz target: what the daemon reads back from lvm (daemon/lvm-parse.c):
 * report output (--noheadings --separator '|'), numeric fields, its
 * error text, device-mapper names and the user's LV names.  lvm reads
 * its metadata from the image, so VG and LV names in this output come
 * from the image.
 *
 * Input: one byte choosing the field count (1..16) and the parser, then
 * the text.
 *
 * Properties: a report gives exactly rows x fields pointers, each inside
 * the text and without '|' or newline; a split dm name gives two valid
 * names that map back to the same dm name; a parsed number prints back
 * to the same text; messages are no longer than twice their input.
 */
#include <errno.h>
#include <inttypes.h>
#include "fuzz.h"
#include "lvm.h"

static void
report (char *text, size_t n, size_t nfields)
{
  size_t rows = 99;
  char **f = gk_int_lvm_parse_report (text, nfields, &rows);
  if (!f) { FUZZ_ASSERT (errno == EINVAL || errno == ENOMEM, "errno %d", errno); return; }
  for (size_t i = 0; i < rows * nfields; i++) {
    FUZZ_ASSERT (f[i] >= text && f[i] <= text + n, "field %zu outside the text", i);
    FUZZ_ASSERT (!strchr (f[i], '|') && !strchr (f[i], '\n'), "field %zu holds a separator", i);
    int64_t v;
    if (gk_int_lvm_int64 (f[i], &v) == 0 && f[i][0]) {
      char back[32];
      snprintf (back, sizeof back, "%" PRId64, v);
      /* strtoll accepts "+1" and "007": only the value must agree. */
      FUZZ_ASSERT (strtoll (back, NULL, 10) == v, "number %s", f[i]);
    }
  }
  free (f);
}

static char *
dm_name (const char *vg, const char *lv)
{
  char *s = malloc (2 * (strlen (vg) + strlen (lv)) + 2), *d = s;
  for (const char *p = vg; *p; p++) { if (*p == '-') *d++ = '-'; *d++ = *p; }
  *d++ = '-';
  for (const char *p = lv; *p; p++) { if (*p == '-') *d++ = '-'; *d++ = *p; }
  *d = '\0';
  return s;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1) return 0;
  unsigned sel = data[0];
  size_t n = size - 1;
  char *text = fuzz_cstr (data + 1, n);
  size_t len = strlen (text);
  switch (sel >> 6) {
  case 0: case 1:
    report (text, len, (sel & 15) + 1);
    break;
  case 2: {
    char *vg, *lv;
    if (gk_int_lvm_split_dm (text, &vg, &lv) == 0) {
      FUZZ_ASSERT (gk_int_lvm_name_ok (vg) && gk_int_lvm_name_ok (lv), "bad names accepted");
      char *back = dm_name (vg, lv);
      FUZZ_ASSERT (strcmp (back, text) == 0, "dm name %s splits into %s/%s", text, vg, lv);
      free (back); free (vg); free (lv);
    }
    if (gk_int_lvm_parse_lv (text, sel & 1, &vg, &lv) == 0) {
      FUZZ_ASSERT (gk_int_lvm_name_ok (vg), "bad VG accepted");
      FUZZ_ASSERT (lv ? gk_int_lvm_name_ok (lv) : (sel & 1), "bad LV accepted");
      free (vg); free (lv);
    }
    break;
  }
  case 3: {
    char *m = gk_int_lvm_message (text);
    FUZZ_ASSERT (m && strlen (m) <= 2 * len, "message grew past twice its input");
    free (m);
    int e = gk_int_lvm_errno (text);
    FUZZ_ASSERT (e > 0, "errno %d", e);
    /* A disk name goes into the filter only if it is "/dev/" + a-z. */
    char *disks[] = { text, NULL };
    char *cfg = gk_int_lvm_config (disks, sel & 1);
    int ok = strncmp (text, "/dev/", 5) == 0 && len > 5 && len < 64
      && strspn (text + 5, "abcdefghijklmnopqrstuvwxyz") == len - 5;
    char *pat = malloc (len + 16);
    snprintf (pat, len + 16, "\"a|^%s[0-9]*$|\"", text);
    FUZZ_ASSERT (cfg && (strstr (cfg, pat) != NULL) == ok, "disk %s in the filter: %d", text, ok);
    free (pat);
    free (cfg);
    break;
  }
  }
  free (text);
  return 0;
}
