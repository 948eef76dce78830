/* guestkit: debug-drives, the drive list one line each, in the words
 * libguestfs's debug-drives uses (its test of guestfish -d greps them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestkit.h"
#include "internal.h"

static char *
drive_line (const struct gk_int_drive *d)
{
  char bs[32] = "";
  if (d->blocksize) snprintf (bs, sizeof bs, " blocksize=%d", d->blocksize);
  int iface = strcmp (d->iface, "virtio-blk") != 0;
  int cache = strcmp (d->cachemode, "writeback") != 0;
  char *s;
  /* An nbd drive is its export name, as libguestfs prints it. */
  if (asprintf (&s, "%s%s%s%s%s%s%s%s%s%s%s protocol=%s",
                d->nbd_export ? d->nbd_export : d->filename,
                d->readonly ? " readonly" : "",
                d->format_given ? " format=" : "", d->format_given ? d->format : "",
                iface ? " iface=" : "", iface ? d->iface : "",
                cache ? " cachemode=" : "", cache ? d->cachemode : "", bs,
                d->label ? " label=" : "", d->label ? d->label : "",
                d->nbd_export ? "nbd" : "file") == -1)
    return NULL;
  return s;
}

char **
gk_int_local_debug_drives (gk_h *g)
{
  char **r = calloc (g->nr_drives + 1, sizeof *r);
  for (size_t i = 0; r && i < g->nr_drives; i++)
    if (!(r[i] = drive_line (&g->drives[i]))) {
      for (size_t j = 0; j < i; j++) free (r[j]);
      free (r);
      r = NULL;
    }
  if (!r) gk_int_error_errno (g, ENOMEM, "debug-drives: out of memory");
  return r;
}
