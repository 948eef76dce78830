/* Writing a newc (SVR4 "070701") cpio archive, the format the kernel
   unpacks as an initramfs.  Every entry is owned by root and has mtime
   0, so the same inputs give the same bytes. */
#ifndef GK_APPLIANCE_NEWC_H
#define GK_APPLIANCE_NEWC_H

#include "spec.h"

struct gk_int_newc {
  int fd;
  unsigned ino;
};

/* Append entry E to the archive on W->fd.  Returns 0, or -1 with a
   message naming the entry in ERR. */
int gk_int_newc_add (struct gk_int_newc *w, const struct gk_int_spec *e,
                     char *err, size_t errlen);

/* Append the TRAILER!!! entry. */
int gk_int_newc_end (struct gk_int_newc *w, char *err, size_t errlen);

#endif
