/* Which kernel modules go into the appliance (appliance/modules.list
   against the kernel's modules.dep and modules.builtin). */
#ifndef GK_APPLIANCE_MODDEPS_H
#define GK_APPLIANCE_MODDEPS_H

#include <stdio.h>

/* DEP, BUILTIN and LIST are the texts of modules.dep, modules.builtin
   ("" when absent) and modules.list (modified in place).  Lines of
   modules.list: NAME[?] [boot] [qemu|uml]...; "-" and "_" are the same in
   names; "?" marks an optional module; lines tagged with the other
   flavour are ignored.  Writes to OUT, in load order (dependencies
   first):
     COPY PATH     every wanted module and its dependencies
     BOOT PATH     the modules tagged boot and their dependencies
     BUILTIN NAME  wanted but built into the kernel
     MISSING NAME / OPTMISSING NAME   not in this kernel
   (PATH as in modules.dep, relative to the module directory.)  Returns
   0, or -1 with a message in ERR (an unknown tag, no memory). */
int gk_int_moddeps_resolve (char *dep, const char *builtin, char *list,
                            const char *flavour, FILE *out, char *err, size_t errlen);

#endif
