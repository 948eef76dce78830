/* gkinspector: printing the report.
 *
 * Every string except our own labels comes from the guest and may hold
 * anything: in text, control characters and invalid UTF-8 are printed as
 * \xNN (and a backslash as \\), so a guest cannot move the cursor or
 * forge lines; in JSON, strings are escaped as the format requires and
 * invalid UTF-8 becomes U+FFFD, so the output always parses.
 */
#include <inttypes.h>
#include <string.h>
#include "gkinspector.h"
#include "escape.h"

static void
text_str (FILE *f, const char *str)
{
  gk_esc_write (f, str ? str : "", str ? strlen (str) : 0, 0);
}

static void
json_str (FILE *f, const char *str)
{
  const unsigned char *s = (const unsigned char *) (str ? str : "");
  fputc ('"', f);
  while (*s) {
    size_t n = gk_esc_utf8_len (s, 4);
    if (n == 0) { fputs ("\\ufffd", f); s++; continue; }
    switch (*s) {
    case '"': fputs ("\\\"", f); break;
    case '\\': fputs ("\\\\", f); break;
    case '\n': fputs ("\\n", f); break;
    case '\t': fputs ("\\t", f); break;
    case '\r': fputs ("\\r", f); break;
    default:
      if (*s < 0x20 || *s == 0x7f) fprintf (f, "\\u%04x", *s);
      else fwrite (s, 1, n, f);
    }
    s += n;
  }
  fputc ('"', f);
}

static void
text_field (FILE *f, const char *label, const char *v)
{
  fprintf (f, "  %s: ", label);
  text_str (f, v);
  fputc ('\n', f);
}

void
gk_insp_print_text (FILE *f, const struct os_report *r, size_t n)
{
  for (size_t i = 0; i < n; i++, r++) {
    if (i) fputc ('\n', f);
    fputs ("root: ", f);
    text_str (f, r->root);
    fputc ('\n', f);
    text_field (f, "type", r->type);
    text_field (f, "distro", r->distro);
    text_field (f, "product name", r->product);
    fprintf (f, "  version: %d.%d\n", r->major, r->minor);
    text_field (f, "arch", r->arch);
    text_field (f, "hostname", r->hostname);
    text_field (f, "package format", r->pkgfmt);
    text_field (f, "package management", r->pkgmgmt);
    text_field (f, "product variant", r->variant);
    text_field (f, "build id", r->build);
    if (strcmp (r->machine_id, "unknown") != 0)
      text_field (f, "machine id", r->machine_id);
    text_field (f, "boot loader", r->bootloader);
    if (r->kernels[0]) fputs ("  kernels:\n", f);
    for (size_t k = 0; r->kernels[k]; k++) {
      fputs ("    ", f);
      text_str (f, r->kernels[k]);
      fputc ('\n', f);
    }
    if (r->systemroot) text_field (f, "windows systemroot", r->systemroot);
    if (r->ccs) text_field (f, "windows current control set", r->ccs);
    if (r->drives && r->drives[0]) fputs ("  drive mappings:\n", f);
    for (size_t k = 0; r->drives && r->drives[k] && r->drives[k + 1]; k += 2) {
      fputs ("    ", f);
      text_str (f, r->drives[k]);
      fputs (": ", f);
      text_str (f, r->drives[k + 1]);
      fputc ('\n', f);
    }
    fputs ("  mountpoints:\n", f);
    for (size_t k = 0; r->mountpoints[k] && r->mountpoints[k + 1]; k += 2) {
      fputs ("    ", f);
      text_str (f, r->mountpoints[k]);
      fputs (" ", f);
      text_str (f, r->mountpoints[k + 1]);
      fputc ('\n', f);
    }
    fputs ("  filesystems:\n", f);
    for (size_t k = 0; r->filesystems[k]; k++) {
      fputs ("    ", f);
      text_str (f, r->filesystems[k]);
      fputc ('\n', f);
    }
    if (!r->apps) continue;
    fprintf (f, "  applications: %zu\n", r->apps->len);
    for (size_t k = 0; k < r->apps->len; k++) {
      const struct gk_application2 *a = &r->apps->val[k];
      fputs ("    ", f);
      text_str (f, a->app2_name);
      fputc (' ', f);
      if (a->app2_epoch) fprintf (f, "%" PRId64 ":", a->app2_epoch);
      text_str (f, a->app2_version);
      if (a->app2_release && *a->app2_release) {
        fputc ('-', f);
        text_str (f, a->app2_release);
      }
      fputc (' ', f);
      text_str (f, a->app2_arch);
      fputc ('\n', f);
    }
  }
}

static void
json_key (FILE *f, const char *key, const char *v, int comma)
{
  fprintf (f, "      \"%s\": ", key);
  json_str (f, v);
  fputs (comma ? ",\n" : "\n", f);
}

void
gk_insp_print_json (FILE *f, const struct os_report *r, size_t n)
{
  fputs ("{\n  \"operatingsystems\": [", f);
  for (size_t i = 0; i < n; i++, r++) {
    fputs (i ? ",\n    {\n" : "\n    {\n", f);
    json_key (f, "root", r->root, 1);
    json_key (f, "type", r->type, 1);
    json_key (f, "distro", r->distro, 1);
    json_key (f, "product_name", r->product, 1);
    fprintf (f, "      \"major_version\": %d,\n      \"minor_version\": %d,\n",
             r->major, r->minor);
    json_key (f, "arch", r->arch, 1);
    json_key (f, "hostname", r->hostname, 1);
    json_key (f, "package_format", r->pkgfmt, 1);
    json_key (f, "package_management", r->pkgmgmt, 1);
    json_key (f, "product_variant", r->variant, 1);
    json_key (f, "build_id", r->build, 1);
    if (strcmp (r->machine_id, "unknown") != 0)
      json_key (f, "machine_id", r->machine_id, 1);
    json_key (f, "bootloader", r->bootloader, 1);
    fputs ("      \"kernels\": [", f);
    for (size_t k = 0; r->kernels[k]; k++) {
      if (k) fputs (", ", f);
      json_str (f, r->kernels[k]);
    }
    fputs ("],\n", f);
    if (r->systemroot) json_key (f, "windows_systemroot", r->systemroot, 1);
    if (r->ccs) json_key (f, "windows_current_control_set", r->ccs, 1);
    fputs ("      \"drive_mappings\": {", f);
    for (size_t k = 0; r->drives && r->drives[k] && r->drives[k + 1]; k += 2) {
      if (k) fputs (", ", f);
      json_str (f, r->drives[k]);
      fputs (": ", f);
      json_str (f, r->drives[k + 1]);
    }
    fputs ("},\n", f);
    fputs ("      \"mountpoints\": [", f);
    for (size_t k = 0; r->mountpoints[k] && r->mountpoints[k + 1]; k += 2) {
      fputs (k ? ", {\"mountpoint\": " : "{\"mountpoint\": ", f);
      json_str (f, r->mountpoints[k]);
      fputs (", \"device\": ", f);
      json_str (f, r->mountpoints[k + 1]);
      fputc ('}', f);
    }
    fputs ("],\n      \"filesystems\": [", f);
    for (size_t k = 0; r->filesystems[k]; k++) {
      if (k) fputs (", ", f);
      json_str (f, r->filesystems[k]);
    }
    fputs (r->apps ? "],\n      \"applications\": [" : "]\n", f);
    for (size_t k = 0; r->apps && k < r->apps->len; k++) {
      const struct gk_application2 *a = &r->apps->val[k];
      fputs (k ? ",\n        {\"name\": " : "\n        {\"name\": ", f);
      json_str (f, a->app2_name);
      fprintf (f, ", \"epoch\": %" PRId64 ", \"version\": ", a->app2_epoch);
      json_str (f, a->app2_version);
      fputs (", \"release\": ", f);
      json_str (f, a->app2_release);
      fputs (", \"arch\": ", f);
      json_str (f, a->app2_arch);
      fputc ('}', f);
    }
    if (r->apps) fputs (r->apps->len ? "\n      ]\n" : "]\n", f);
    fputs ("    }", f);
  }
  fputs (n ? "\n  ]\n}\n" : "]\n}\n", f);
}
