/* guestkitd: the staging disk of the blk datapath (common/stage.h): a
 * virtio-blk disk with serial GK_ABI_STAGE_SERIAL, used with O_DIRECT so that the
 * VMM, not the emulated CPU, moves the data. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include "daemon.h"
#include "stage.h"
#include "abi.h"

static int stage_fd = -2;       /* -2: not looked for yet; -1: none */

static int
has_serial (const char *name)
{
  char p[300], ser[32];
  snprintf (p, sizeof p, "/sys/block/%s/serial", name);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return 0;
  ssize_t n = read (fd, ser, sizeof ser - 1);
  close (fd);
  if (n <= 0) return 0;
  ser[n] = '\0';
  ser[strcspn (ser, "\n")] = '\0';
  return strcmp (ser, GK_ABI_STAGE_SERIAL) == 0;
}

int
gk_int_stage_fd (void)
{
  if (stage_fd != -2) return stage_fd;
  stage_fd = -1;
  DIR *d = opendir ("/sys/block");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir (d)) != NULL) {
    if (e->d_name[0] == '.' || !has_serial (e->d_name)) continue;
    char dev[300];
    snprintf (dev, sizeof dev, "/dev/%s", e->d_name);
    int fd = open (dev, O_RDWR | O_DIRECT | O_CLOEXEC);
    uint64_t size = 0;
    if (fd >= 0 && (ioctl (fd, BLKGETSIZE64, &size) == -1 || size < GK_STAGE_SIZE)) {
      gk_int_log ("staging disk %s: %llu bytes, too small", dev, (unsigned long long) size);
      close (fd);
      fd = -1;
    }
    if (fd >= 0) { stage_fd = fd; gk_int_log ("staging disk %s", dev); }
    break;
  }
  closedir (d);
  return stage_fd;
}
