/* guestkitd: selinux-relabel, SELinux file labels set by the
 * appliance's setfiles (policycoreutils) from a spec file of the guest.
 * setfiles runs with the guest root as its alternate root (-r), so the
 * spec file's patterns are guest paths; it walks without following
 * symbolic links and labels a link itself.  The kernel need not run
 * SELinux: the labels are security.selinux extended attributes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "daemon.h"
#include "actions.h"

int
do_selinux_relabel (const char *specfile, const char *path, int force)
{
  char prog[PATH_MAX];
  if (gk_int_find_program ("setfiles", prog, sizeof prog) == -1)
    return gk_int_err (ENOTSUP, "setfiles is not in the appliance (install "
                       "policycoreutils on the host; the appliance is rebuilt)");
  char *spec = gk_int_sysroot_path (specfile);
  if (!spec) return gk_int_perr ("%s", specfile);
  struct stat st;
  if (stat (spec, &st) == -1) { free (spec); return gk_int_perr ("%s", specfile); }
  if (!S_ISREG (st.st_mode)) { free (spec); return gk_int_err_not_regular (specfile, st.st_mode); }
  char *top = gk_int_sysroot_path (path);
  if (!top) { free (spec); return gk_int_perr ("%s", path); }
  if (lstat (top, &st) == -1) {
    free (spec); free (top);
    return gk_int_perr ("%s", path);
  }
  /* The guest's virtual filesystems are never labelled from the spec. */
  static const char *const virt[] = { "dev", "proc", "sys", "selinux" };
  char excl[4][PATH_MAX];
  const char *argv[24];
  size_t n = 0;
  argv[n++] = prog;
  argv[n++] = "-m";             /* all of the tree, whatever /proc/mounts says */
  argv[n++] = "-C";             /* errors of single files do not stop the walk */
  argv[n++] = "-r";
  argv[n++] = gk_int_sysroot;
  if ((gk_int_optargs_bitmask & GK_SELINUX_RELABEL_FORCE) && force) argv[n++] = "-F";
  for (size_t i = 0; i < 4; i++) {
    snprintf (excl[i], sizeof excl[i], "%s/%s", gk_int_sysroot, virt[i]);
    if (lstat (excl[i], &st) == 0 && S_ISDIR (st.st_mode)) {
      argv[n++] = "-e";
      argv[n++] = excl[i];
    }
  }
  argv[n++] = spec;
  argv[n++] = top;
  argv[n] = NULL;
  int r = gk_int_run (NULL, NULL, argv);
  free (spec);
  free (top);
  return r;
}
