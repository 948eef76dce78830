/* Creating a tree entry (spec.h) in a staging directory, from which
   `mke2fs -d` makes the appliance's root disk.  Device entries are
   skipped (mknod needs root; the root disk gets devtmpfs at boot). */
#ifndef GK_APPLIANCE_TREE_H
#define GK_APPLIANCE_TREE_H

#include "spec.h"

/* Create E under the directory open as DIRFD; missing parent
   directories are made 0755.  An entry that already exists is left as
   it is (the first one wins).  Returns 0, or -1 with a message in ERR. */
int gk_int_tree_add (int dirfd, const struct gk_int_spec *e, char *err, size_t errlen);

#endif
