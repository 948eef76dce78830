/* guestkitd: the inspection calls only Windows answers (the registry
 * facts inspect-windows.c and inspect-registry.c found at inspect-os):
 * product variant, build id, system root, current control set, drive
 * letters.  Other systems get "unknown", an empty list or EINVAL, as
 * each call's documentation says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "actions.h"
#include "inspect.h"

static char *
str_or_unknown (const char *s)
{
  char *r = strdup (*s ? s : "unknown");
  if (!r) gk_int_err (ENOMEM, "out of memory");
  return r;
}

char *
do_inspect_get_product_variant (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? str_or_unknown (r->variant) : NULL;
}

char *
do_inspect_get_build_id (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  return r ? str_or_unknown (r->build) : NULL;
}

/* The system root (CCS 0) or the current control set (CCS 1) of ROOT;
 * NULL + EINVAL if it is not Windows or that is not known. */
static char *
windows_string (const char *root, int ccs)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  int win = strcmp (r->type, "windows") == 0;
  const char *v = ccs ? r->ccs : r->systemroot;
  if (win && *v) return str_or_unknown (v);
  char *u = gk_int_mountable_to_user (root);
  gk_int_err (EINVAL, "%s: %s", u ? u : root, !win ? "not a Windows root"
              : "its SYSTEM hive gives no current control set "
              "(HKLM\\SYSTEM\\Select)");
  free (u);
  return NULL;
}

char *
do_inspect_get_windows_systemroot (const char *root)
{
  return windows_string (root, 0);
}

char *
do_inspect_get_windows_current_control_set (const char *root)
{
  return windows_string (root, 1);
}

char **
do_inspect_get_drive_mappings (const char *root)
{
  const struct gk_insp_root *r = gk_int_insp_find_root (root);
  if (!r) return NULL;
  size_t n = gk_int_count_strings (r->drives);
  char **out = calloc (n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    if (!(out[i] = i % 2 ? gk_int_mountable_to_user (r->drives[i]) : strdup (r->drives[i]))) {
      gk_int_free_strings (out);
      out = NULL;
    }
  if (!out) gk_int_err (ENOMEM, "out of memory");
  return out;
}
