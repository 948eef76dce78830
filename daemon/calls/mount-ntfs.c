/* guestkitd: NTFS through ntfs-3g (FUSE).
 *
 * Debian's cloud kernel, which the appliance boots, has no ntfs3 driver,
 * so NTFS is mounted by ntfs-3g from the host (appliance/files.list).
 * ntfs-3g mounts, then detaches into the background to serve the
 * filesystem until it is unmounted; its standard output and error are not
 * pipes we read to the end (the background half would hold them open),
 * but /dev/null and an unlinked file that keeps its error message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "daemon.h"
#include "devtool.h"
#include "mount-ntfs.h"

#define NTFS3G "/usr/bin/ntfs-3g"
#define ERR_MAX 512

/* The kernel loads fuse on the first open of /dev/fuse only if the node
 * exists; it appears when the module is loaded. */
static void
load_fuse (void)
{
  if (access ("/dev/fuse", F_OK) == 0) return;
  const char *argv[] = { "modprobe", "fuse", NULL };
  char *out = NULL;
  if (gk_int_run_status (&out, NULL, NULL, argv) != 0)
    gk_int_log ("modprobe fuse failed");
  free (out);
}

int
gk_int_mount_ntfs3g (const char *dev, const char *dir, const char *opts)
{
  if (access (NTFS3G, X_OK) == -1)
    return gk_int_dev_err (ENODEV, dev, "filesystem type ntfs is not "
                           "supported by the appliance (no ntfs3 driver, "
                           "no ntfs-3g)");
  load_fuse ();
  /* stderr into a file, not a pipe: ntfs-3g leaves a FUSE daemon
   * behind, and we only wait for the mount itself. */
  int errfd = open ("/run", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (errfd == -1) return gk_int_dev_perr (dev, "ntfs-3g: /run");
  const char *argv[] = { "ntfs-3g", "-o", opts, dev, dir, NULL };
  pid_t pid = gk_int_spawn (&(struct gk_int_child) {
      .argv = argv, .file = NTFS3G, .fd = { -1, -1, errfd } });
  if (pid == -1) {
    close (errfd);
    return -1;
  }
  int status = gk_int_reap (pid);
  if (status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0) {
    close (errfd);
    return 0;
  }
  char msg[ERR_MAX];
  ssize_t n = pread (errfd, msg, sizeof msg - 1, 0);
  close (errfd);
  msg[n > 0 ? n : 0] = '\0';
  msg[strcspn (msg, "\n")] = '\0';
  char *t = gk_int_text_to_user (msg);        /* it names /dev/vda1 */
  gk_int_dev_err (EINVAL, dev, "ntfs-3g: %s", t && *t ? t
                  : "cannot mount (damaged filesystem?)");
  free (t);
  return -1;
}
