/* The builder's description of a file tree, one entry a line, fields
   separated by tabs (names may hold spaces):
     d NAME MODE                   directory
     l NAME TARGET                 symbolic link
     c NAME MODE MAJOR MINOR       character device (archives only)
     f NAME MODE HOSTPATH          copy of a host file (MODE "-": the host's)
     s NAME MODE TEXT              small file; TEXT may use \n \t \\
   NAME is the path in the tree (a leading "/" is ignored), MODE octal
   permission bits.  The same lines give the initrd (newc.c) and the
   root's staging directory (tree.c). */
#ifndef GK_APPLIANCE_SPEC_H
#define GK_APPLIANCE_SPEC_H

#include <stddef.h>

struct gk_int_spec {
  char type;                 /* 'd' 'l' 'c' 'f' 's' */
  const char *name;          /* without leading '/' */
  int mode;                  /* permission bits, -1: the host file's */
  unsigned major, minor;     /* 'c' */
  const char *arg;           /* target, host path or decoded text */
  size_t arglen;
};

/* Parse LINE (modified in place; no trailing newline).  Returns 1 for
   an entry, 0 for an empty line, -1 with *WHY set for a malformed one. */
int gk_int_spec_parse (char *line, struct gk_int_spec *e, const char **why);

#endif
