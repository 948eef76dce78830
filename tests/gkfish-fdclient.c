/* A --remote client for test-gkfish.sh that sends more descriptors than
 * gkfish's own client does: gkfish-fdclient SOCKET NFDS WORD...
 * Sends the words as one request (32-bit length, NUL-terminated words)
 * with NFDS descriptors (0, 1, 2, then 0 again), waits for the one-byte
 * answer and prints it.  Exit status: 0 with an answer, 1 without. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s SOCKET NFDS WORD...\n", argv[0]);
    return 2;
  }
  int nfds = atoi (argv[2]);
  if (nfds < 1 || nfds > 16) { fprintf (stderr, "NFDS: 1 to 16\n"); return 2; }
  char buf[4096];
  uint32_t len = 0;
  for (int i = 3; i < argc; i++) {
    size_t n = strlen (argv[i]) + 1;
    if (4 + len + n > sizeof buf) { fprintf (stderr, "request too long\n"); return 2; }
    memcpy (buf + 4 + len, argv[i], n);
    len += (uint32_t) n;
  }
  memcpy (buf, &len, 4);

  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  if (s == -1 || connect (s, (struct sockaddr *) &sa, sizeof sa) == -1) {
    perror (argv[1]);
    return 1;
  }
  int fds[16];
  for (int i = 0; i < nfds; i++) fds[i] = i < 3 ? i : 0;
  union { struct cmsghdr h; char b[CMSG_SPACE (sizeof fds)]; } u;
  memset (&u, 0, sizeof u);
  struct iovec iov = { buf, 4 + len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                      .msg_controllen = CMSG_SPACE (nfds * sizeof (int)) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (nfds * sizeof (int));
  memcpy (CMSG_DATA (c), fds, nfds * sizeof (int));
  if (sendmsg (s, &m, 0) != (ssize_t) (4 + len)) { perror ("sendmsg"); return 1; }
  unsigned char st;
  if (read (s, &st, 1) != 1) { fprintf (stderr, "no answer\n"); return 1; }
  printf ("answer %d\n", st);
  return 0;
}
