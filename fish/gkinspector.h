/* gkinspector: what its two files share.
 *   gkinspector.c      options, launching, asking the inspection calls
 *   inspector-print.c  the report as text or JSON, guest strings escaped
 */
#ifndef GK_FISH_GKINSPECTOR_H
#define GK_FISH_GKINSPECTOR_H

#include <stdio.h>
#include <guestkit.h>

struct os_report {
  char *root, *type, *distro, *product, *arch, *hostname, *pkgfmt, *pkgmgmt;
  int major, minor;
  char *variant, *build;                /* "unknown" when not known */
  char *systemroot, *ccs;               /* Windows only, else NULL */
  char **drives;                        /* pairs: drive letter, device */
  char **mountpoints;                   /* pairs: mount point, device */
  char **filesystems;
  char *machine_id, *bootloader;        /* "unknown" when not known */
  char **kernels;                       /* versions, maybe none */
  struct gk_application2_list *apps;    /* NULL with --no-applications */
};

void gk_insp_print_text (FILE *f, const struct os_report *r, size_t n);
void gk_insp_print_json (FILE *f, const struct os_report *r, size_t n);

#endif
