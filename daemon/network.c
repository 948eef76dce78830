/* guestkitd: the appliance's network (set-network, off by default).
 *
 * The library passes gk.net=1 (with virtio_net in gk.modules=) when the
 * qemu backend gives the appliance a user-mode network.  Its addresses
 * are fixed by qemu's stack (slirp): we are 10.0.2.15/24, the gateway
 * 10.0.2.2, the DNS forwarder 10.0.2.3, so no DHCP client (and no wait
 * for one) is needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "daemon.h"

#define NET_IF "eth0"
#define NET_ADDR "10.0.2.15"
#define NET_MASK "255.255.255.0"
#define NET_GW "10.0.2.2"
#define RESOLV "nameserver 10.0.2.3\n"
/* The appliance's /etc/resolv.conf is a link here (make-appliance.sh):
 * its root is read-only. */
#define RESOLV_RUN "/run/resolv.conf"
/* Where the guest's own resolv.conf waits while a command runs. */
#define GUEST_BACKUP ".resolv.conf.guestkit"

static int net_on;

/* ioctls, not busybox's ip: each exec of it costs ~70 ms under TCG,
 * and four of them made launch with the network 0.3 s slower. */
static int
set_in (struct sockaddr *sa, const char *ip)
{
  struct sockaddr_in *in = (struct sockaddr_in *) sa;
  memset (in, 0, sizeof *in);
  in->sin_family = AF_INET;
  return inet_pton (AF_INET, ip, &in->sin_addr) == 1 ? 0 : -1;
}

static int
if_ioctl (int s, const char *ifname, unsigned long req, const char *ip, const char *what)
{
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  if (ip) set_in (&ifr.ifr_addr, ip);
  else {
    if (ioctl (s, SIOCGIFFLAGS, &ifr) == -1) goto fail;
    ifr.ifr_flags |= IFF_UP;
  }
  if (ioctl (s, req, &ifr) == 0) return 0;
 fail:
  fprintf (stderr, "guestkitd: network: %s %s: %m\n", ifname, what);
  return -1;
}

static int
configure (void)
{
  int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s == -1) { fprintf (stderr, "guestkitd: network: socket: %m\n"); return -1; }
  struct rtentry rt;
  memset (&rt, 0, sizeof rt);
  set_in (&rt.rt_dst, "0.0.0.0");
  set_in (&rt.rt_genmask, "0.0.0.0");
  set_in (&rt.rt_gateway, NET_GW);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  int r = -1;
  if (if_ioctl (s, "lo", SIOCSIFFLAGS, NULL, "up") == 0
      && if_ioctl (s, NET_IF, SIOCSIFADDR, NET_ADDR, "address " NET_ADDR) == 0
      && if_ioctl (s, NET_IF, SIOCSIFNETMASK, NET_MASK, "netmask " NET_MASK) == 0
      && if_ioctl (s, NET_IF, SIOCSIFFLAGS, NULL, "up") == 0) {
    if (ioctl (s, SIOCADDRT, &rt) == 0) r = 0;
    else fprintf (stderr, "guestkitd: network: default route via %s: %m\n", NET_GW);
  }
  close (s);
  return r;
}

int
gk_int_net_setup (void)
{
  const struct timespec ms = { 0, 1000000 };
  int i = 0;
  /* virtio_net was just loaded (diskdrivers.c); its probe may lag. */
  while (access ("/sys/class/net/" NET_IF, F_OK) != 0 && i++ < 5000) nanosleep (&ms, NULL);
  if (access ("/sys/class/net/" NET_IF, F_OK) != 0) {
    fprintf (stderr, "guestkitd: network: no %s appeared (virtio_net missing?)\n", NET_IF);
    return -1;
  }
  if (configure () == -1) return -1;
  int fd = open (RESOLV_RUN, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd == -1 || write (fd, RESOLV, strlen (RESOLV)) != (ssize_t) strlen (RESOLV)) {
    fprintf (stderr, "guestkitd: network: %s: %m\n", RESOLV_RUN);
    if (fd != -1) close (fd);
    return -1;
  }
  close (fd);
  net_on = 1;
  gk_int_log ("network: %s %s/%s via %s", NET_IF, NET_ADDR, NET_MASK, NET_GW);
  return 0;
}

/* The guest's resolver configuration names servers of its own network,
 * unreachable from here: while a command runs in the guest, its
 * /etc/resolv.conf (file or symbolic link, renamed, never followed) is
 * set aside and replaced by ours.  Everything happens relative to the
 * guest's /etc opened inside the sysroot. */
/* Package managers need /dev (null, urandom) and /proc while they run:
 * the appliance's are bound onto the guest's /dev and /proc directories
 * (a symbolic link there is not followed: the guest keeps what it has).
 * The target is the directory opened inside the sysroot, never a path
 * the kernel would resolve against the appliance's root. */
static const char *const binds[2] = { "/dev", "/proc" };

static void
bind_appliance_dirs (struct gk_int_net_swap *s)
{
  for (size_t i = 0; i < 2; i++) {
    int fd = gk_int_open (binds[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd == -1) continue;
    char *path = gk_int_sysroot_path (binds[i]);
    char via[32];
    snprintf (via, sizeof via, "/proc/self/fd/%d", fd);
    if (path && mount (binds[i], via, NULL, MS_BIND | MS_REC, NULL) == 0)
      s->bound[i] = path;
    else {
      if (path) fprintf (stderr, "guestkitd: network: binding %s into the guest: %m\n", binds[i]);
      free (path);
    }
    close (fd);
  }
}

static void
unbind_appliance_dirs (struct gk_int_net_swap *s)
{
  for (size_t i = 0; i < 2; i++) {
    if (!s->bound[i]) continue;
    if (umount2 (s->bound[i], MNT_DETACH | UMOUNT_NOFOLLOW) == -1)
      fprintf (stderr, "guestkitd: network: unmounting %s: %m\n", s->bound[i]);
    free (s->bound[i]);
    s->bound[i] = NULL;
  }
}

int
gk_int_net_guest_begin (struct gk_int_net_swap *s)
{
  s->dfd = -1;
  s->saved = 0;
  s->bound[0] = s->bound[1] = NULL;
  if (!net_on) return 0;
  bind_appliance_dirs (s);
  int dfd = gk_int_open ("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd == -1) return 0;              /* no /etc: nothing to resolve with */
  struct stat st;
  if (fstatat (dfd, "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR (st.st_mode)) { close (dfd); return 0; }
    if (renameat2 (dfd, "resolv.conf", dfd, GUEST_BACKUP, RENAME_NOREPLACE) == -1) {
      int e = errno;
      close (dfd);
      if (e == EROFS) return 0;         /* read-only guest: leave it be */
      return gk_int_err (e, "network: cannot set aside the guest's /etc/resolv.conf "
                         "as /etc/" GUEST_BACKUP ": %s", strerror (e));
    }
    s->saved = 1;
  }
  else if (errno != ENOENT) {
    int e = errno;
    close (dfd);
    return gk_int_err (e, "network: /etc/resolv.conf: %s", strerror (e));
  }
  s->dfd = dfd;
  int fd = openat (dfd, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd == -1 || write (fd, RESOLV, strlen (RESOLV)) != (ssize_t) strlen (RESOLV)) {
    int e = errno;
    if (fd != -1) close (fd);
    gk_int_net_guest_end (s);
    return e == EROFS ? 0 : gk_int_err (e, "network: writing the guest's /etc/resolv.conf: %s",
                                        strerror (e));
  }
  close (fd);
  return 0;
}

/* Put the guest's own resolv.conf back (whatever the command did to
 * ours).  Errors go to the console only: the command's result stands. */
void
gk_int_net_guest_end (struct gk_int_net_swap *s)
{
  unbind_appliance_dirs (s);
  if (s->dfd == -1) return;
  if (unlinkat (s->dfd, "resolv.conf", 0) == -1 && errno != ENOENT)
    fprintf (stderr, "guestkitd: network: removing our /etc/resolv.conf: %m\n");
  if (s->saved && renameat (s->dfd, GUEST_BACKUP, s->dfd, "resolv.conf") == -1)
    fprintf (stderr, "guestkitd: network: restoring /etc/resolv.conf from /etc/"
             GUEST_BACKUP ": %m\n");
  close (s->dfd);
  s->dfd = -1;
}
