/* gkfish: remote control.
 *
 * "gkfish --listen -a disk.img" forks; the child launches the appliance,
 * creates the socket $XDG_RUNTIME_DIR/gkfish/socket-PID, or without
 * XDG_RUNTIME_DIR ${TMPDIR:-/tmp}/.gkfish-UID/socket-PID (the directory
 * is 0700 and must belong to us; sockets of dead servers in it are
 * removed) and serves clients one at a time; the parent waits until that is done (or failed), prints
 * "GUESTFISH_PID=PID; export GUESTFISH_PID" for eval, and exits.
 *
 * "gkfish --remote[=PID] CMD..." connects and sends one request: a
 * 32-bit length and the command words, NUL-terminated, with its standard
 * input, output and error attached (SCM_RIGHTS), so the commands read
 * and write the client's own files.  No words means "read a script from
 * that standard input".  The server checks the peer's user (SO_PEERCRED)
 * and answers with one byte: 0 success, 1 error, 2 success and the
 * server has quit.  Ctrl-C in the client sends one byte (or closes the
 * connection, a second time): the server hears it as SIGIO and cancels
 * the command in flight, as Ctrl-C does locally.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gkfish.h"
#include "hostspawn.h"
#include "fullio.h"

#define REQUEST_MAX (1 << 20)
#define CLIENT_TIMEOUT_S 10     /* to send a request once connected */

enum { REPLY_OK = 0, REPLY_ERROR = 1, REPLY_QUIT = 2 };

static struct sockaddr_un listen_addr;   /* the server's socket */

/* The directory of the sockets: $XDG_RUNTIME_DIR/gkfish when set (a
 * per-user directory that lives only as long as the login, so a socket
 * left by a killed server does not outlive it), else
 * ${TMPDIR:-/tmp}/.gkfish-UID.  CREATE: make it if missing.  Without
 * CREATE, a missing directory sets errno ENOENT and says nothing (the
 * client reports it as a gkfish it cannot reach). */
static int
socket_dir (char *buf, size_t len, int create)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  const char *tmp = getenv ("TMPDIR");
  struct stat st;
  size_t n;
  if (!tmp || !*tmp) tmp = "/tmp";
  if (xdg && *xdg)
    n = (size_t) snprintf (buf, len, "%s/gkfish", xdg);
  else
    n = (size_t) snprintf (buf, len, "%s/.gkfish-%u", tmp, (unsigned) getuid ());
  if (n >= len) {
    gk_fish_fail ("%s/...: path too long for a socket", xdg && *xdg ? xdg : tmp);
    return -1;
  }
  if (create && mkdir (buf, 0700) == -1 && errno != EEXIST) {
    gk_fish_fail ("%s: %s", buf, strerror (errno));
    return -1;
  }
  if (lstat (buf, &st) == -1) {
    int e = errno;
    if (create || e != ENOENT) gk_fish_fail ("%s: %s", buf, strerror (e));
    errno = e;
    return -1;
  }
  /* Someone else's directory, or one others can write: not ours to use. */
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid () || (st.st_mode & 077)) {
    gk_fish_fail ("%s: not a private directory of this user", buf);
    errno = EPERM;
    return -1;
  }
  return 0;
}

static int
socket_path (struct sockaddr_un *sa, long pid, int create)
{
  char dir[sizeof sa->sun_path];
  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (socket_dir (dir, sizeof dir, create) == -1) {
    int e = errno;
    /* The client's message names the directory. */
    snprintf (sa->sun_path, sizeof sa->sun_path, "%s", dir);
    errno = e;
    return -1;
  }
  if ((size_t) snprintf (sa->sun_path, sizeof sa->sun_path, "%s/socket-%ld", dir, pid)
      >= sizeof sa->sun_path) {
    gk_fish_fail ("%s: path too long for a socket", dir);
    return -1;
  }
  return 0;
}

/* Whether process PID still exists and is not a zombie (a server killed
 * whose parent has not reaped it yet is dead too). */
static int
pid_alive (long pid)
{
  char p[64], buf[512];
  if (kill ((pid_t) pid, 0) == -1) return errno != ESRCH;
  snprintf (p, sizeof p, "/proc/%ld/stat", pid);
  if (gk_int_read_small (p, buf, sizeof buf) <= 0) return 1;
  const char *rp = strrchr (buf, ')');
  return !(rp && rp[1] == ' ' && rp[2] == 'Z');
}

/* Remove the sockets of servers that died without doing it (kill -9):
 * socket-PID where no process PID exists. */
static void
remove_stale_sockets (const char *socket)
{
  char dir[sizeof listen_addr.sun_path], p[sizeof listen_addr.sun_path + 256];
  const char *slash = strrchr (socket, '/');
  if (!slash || (size_t) (slash - socket) >= sizeof dir) return;
  memcpy (dir, socket, (size_t) (slash - socket));
  dir[slash - socket] = '\0';
  DIR *d = opendir (dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir (d))) {
    char *end;
    if (strncmp (e->d_name, "socket-", 7) != 0) continue;
    long pid = strtol (e->d_name + 7, &end, 10);
    if (*end || pid <= 0 || pid > INT32_MAX) continue;
    if (pid_alive (pid)) continue;
    snprintf (p, sizeof p, "%s/%s", dir, e->d_name);
    unlink (p);
  }
  closedir (d);
}

/* ---- the client -------------------------------------------------------- */

static int
send_request (int s, char **cmds)
{
  size_t len = 0;
  for (size_t i = 0; cmds[i]; i++) len += strlen (cmds[i]) + 1;
  if (len > REQUEST_MAX) {
    gk_fish_fail ("--remote: the commands are too long");
    return -1;
  }
  char *buf = malloc (len + 4);
  if (!buf) return -1;
  uint32_t l32 = (uint32_t) len;
  memcpy (buf, &l32, 4);
  char *p = buf + 4;
  for (size_t i = 0; cmds[i]; i++) {
    size_t n = strlen (cmds[i]) + 1;
    memcpy (p, cmds[i], n);
    p += n;
  }

  int fds[3] = { 0, 1, 2 };
  union { struct cmsghdr h; char b[CMSG_SPACE (sizeof fds)]; } u;
  struct iovec iov = { buf, len + 4 };
  struct msghdr m = { 0 };
  memset (&u, 0, sizeof u);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.b;
  m.msg_controllen = sizeof u.b;
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof fds);
  memcpy (CMSG_DATA (c), fds, sizeof fds);

  ssize_t n = sendmsg (s, &m, MSG_NOSIGNAL);
  /* The rest (a long request) without the descriptors. */
  size_t off = n > 0 ? (size_t) n : 0;
  while (n >= 0 && off < len + 4) {
    n = send (s, buf + off, len + 4 - off, MSG_NOSIGNAL);
    if (n > 0) off += (size_t) n;
  }
  free (buf);
  if (n < 0) {
    gk_fish_fail ("--remote: sending the commands: %s", strerror (errno));
    return -1;
  }
  return 0;
}

int
gk_fish_remote (const struct options *o)
{
  struct sockaddr_un sa;
  long pid = o->remote_pid;

  if (pid == 0) {
    /* guestfish's variable (what --listen prints), then gkfish's own. */
    const char *var = "GUESTFISH_PID";
    const char *e = getenv (var);
    char *end;
    if (!e || !*e) e = getenv (var = "GKFISH_PID");
    if (!e || !*e) {
      gk_fish_fail ("--remote: no PID given and GUESTFISH_PID is not set "
                    "(start one with: eval \"$(gkfish --listen -a IMAGE)\")");
      return 1;
    }
    pid = strtol (e, &end, 10);
    if (*end || pid <= 0) {
      gk_fish_fail ("--remote: %s=%s is not a process id", var, e);
      return 1;
    }
  }
  /* No socket directory yet (no gkfish ever listened here) is the same
   * for the user as no socket: nobody to reach. */
  if (socket_path (&sa, pid, 0) == -1) {
    if (errno == ENOENT)
      gk_fish_fail ("--remote: cannot reach the gkfish with PID %ld (%s): %s",
                    pid, sa.sun_path, strerror (errno));
    return 1;
  }
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s == -1 || connect (s, (struct sockaddr *) &sa, sizeof sa) == -1) {
    gk_fish_fail ("--remote: cannot reach the gkfish with PID %ld (%s): %s",
                  pid, sa.sun_path, strerror (errno));
    if (s != -1) close (s);
    return 1;
  }
  if (send_request (s, o->cmds) == -1) { close (s); return 1; }
  unsigned char st;
  ssize_t n;
  int interrupts = 0;
  /* Interrupted while connecting: cancel at once. */
  if (gk_fish_quit) {
    gk_fish_quit = 0;
    interrupts++;
    (void) !send (s, "C", 1, MSG_NOSIGNAL);
  }
  while ((n = read (s, &st, 1)) == -1 && errno == EINTR) {
    if (!gk_fish_quit) continue;
    /* Ctrl-C: ask the server to cancel; a second one gives up. */
    gk_fish_quit = 0;
    if (++interrupts > 1) break;
    (void) !send (s, "C", 1, MSG_NOSIGNAL);
  }
  close (s);
  if (n != 1 && interrupts > 1) {
    gk_fish_fail ("--remote: interrupted (the gkfish with PID %ld goes on)", pid);
    return 1;
  }
  if (n != 1) {
    gk_fish_fail ("--remote: the gkfish with PID %ld closed the connection "
                  "without an answer", pid);
    return 1;
  }
  return st == REPLY_ERROR ? 1 : 0;
}

/* ---- the server -------------------------------------------------------- */

/* Read the request: the words (NULL-terminated, malloc'd in one block
 * with the pointers first) and the three descriptors. */
static char **
read_request (int c, int fds[3])
{
  uint32_t len;
  /* Room for more descriptors than we use: whatever a client sends in
   * it is ours to close (the kernel closes only what does not fit). */
  union { struct cmsghdr h; char b[CMSG_SPACE (16 * sizeof (int))]; } u;
  struct iovec iov = { &len, 4 };
  struct msghdr m = { 0 };
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = u.b;
  m.msg_controllen = sizeof u.b;

  fds[0] = fds[1] = fds[2] = -1;
  ssize_t n = recvmsg (c, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  for (struct cmsghdr *h = CMSG_FIRSTHDR (&m); h; h = CMSG_NXTHDR (&m, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      size_t k = (h->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < k; i++) {
        int fd;
        memcpy (&fd, CMSG_DATA (h) + i * sizeof fd, sizeof fd);
        if (i < 3 && fds[i] == -1) fds[i] = fd;
        else close (fd);        /* more than stdin, stdout, stderr */
      }
    }
  if (n != 4 || (m.msg_flags & MSG_CTRUNC) || fds[2] == -1 || len > REQUEST_MAX)
    return NULL;

  /* Count the words, then lay out pointers and text in one block. */
  char *text = malloc ((size_t) len + 1);
  if (!text) return NULL;
  if (gk_int_read_full (c, text, len) != (ssize_t) len || (len > 0 && text[len - 1] != '\0')) { free (text); return NULL; }
  size_t nw = 0;
  for (size_t i = 0; i < len; i++) nw += text[i] == '\0';
  char **w = malloc ((nw + 1) * sizeof *w + len + 1);
  if (!w) { free (text); return NULL; }
  char *t = (char *) (w + nw + 1);
  memcpy (t, text, len);
  free (text);
  for (size_t i = 0, k = 0; k < nw; k++) { w[k] = t + i; i += strlen (t + i) + 1; }
  w[nw] = NULL;
  return w;
}

static int
serve_one (struct shell *sh, int c)
{
  struct ucred cr;
  socklen_t crlen = sizeof cr;
  int fds[3];
  unsigned char st = REPLY_ERROR;

  /* Only our own user (the directory already keeps others out). */
  if (getsockopt (c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1
      || cr.uid != getuid ())
    return 0;
  struct timeval tv = { CLIENT_TIMEOUT_S, 0 };
  setsockopt (c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char **words = read_request (c, fds);
  if (!words) {
    for (int i = 0; i < 3; i++) if (fds[i] != -1) close (fds[i]);
    return 0;
  }

  /* Anything more from the client (Ctrl-C, or it went away) cancels
   * the command running for it, and the commands after it. */
  gk_fish_client_cancel = 0;
  int fl = fcntl (c, F_GETFL);
  if (fl != -1 && fcntl (c, F_SETOWN, getpid ()) == 0)
    fcntl (c, F_SETFL, fl | O_ASYNC);

  /* A cancel that came with the request raises no SIGIO: look. */
  struct pollfd pf = { c, POLLIN, 0 };
  if (poll (&pf, 1, 0) == 1) gk_fish_client_cancel = 1;

  /* The client's files become ours while its commands run. */
  fflush (stdout); fflush (stderr);
  for (int i = 0; i < 3; i++) { dup2 (fds[i], i); close (fds[i]); }
  clearerr (stdout); clearerr (stderr);
  int r;
  if (words[0])
    r = gk_fish_run_argv (sh, words);
  else {
    int in = dup (STDIN_FILENO);
    FILE *f = in == -1 ? NULL : fdopen (in, "r");
    if (!f) { if (in != -1) close (in); gk_fish_fail ("stdin: %s", strerror (errno)); r = CMD_ERROR; }
    else { r = gk_fish_run_stream (sh, f, "stdin"); fclose (f); }
  }
  /* "quit": the handle's close handlers write to this client, the last
   * one that sees the server (guestfish's order). */
  if (r == CMD_QUIT) {
    gk_fish_events_fire (GK_FISH_EV_CLOSE, NULL);
    gk_fish_events_clear ();
  }
  fflush (stdout); fflush (stderr);
  clearerr (stdout); clearerr (stderr);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null != -1) {
    for (int i = 0; i < 3; i++) dup2 (null, i);
    close (null);
  }
  free (words);
  if (fl != -1) fcntl (c, F_SETFL, fl);
  gk_fish_client_cancel = 0;
  st = r == CMD_QUIT ? REPLY_QUIT : r == CMD_OK ? REPLY_OK : REPLY_ERROR;
  /* Gone before the answer: the next client gets "cannot reach". */
  if (st == REPLY_QUIT) unlink (listen_addr.sun_path);
  (void) !write (c, &st, 1);
  return st == REPLY_QUIT;
}

static void
on_sigio (int sig)
{
  (void) sig;
  gk_fish_client_cancel = 1;
  gk_fish_cancel_from_signal ();
}

static void
serve (struct shell *sh, int ls)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_sigio;
  sigaction (SIGIO, &sa, NULL);
  while (!gk_fish_quit) {
    int c = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
    if (c == -1) {
      /* Out of descriptors or memory: the client waits in the backlog;
       * retrying at once would spin at full CPU until something frees. */
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        poll (NULL, 0, 100);
      continue;                 /* EINTR (a signal), or a client gone */
    }
    int quit = serve_one (sh, c);
    close (c);
    if (quit) break;
  }
}

/* In the child: detach, listen, launch; tell the parent through READY. */
static int
child (struct shell *sh, int ready)
{
  struct sockaddr_un sa;
  unsigned char st = 1;
  int ls = -1;

  setsid ();
  if (socket_path (&sa, (long) getpid (), 1) == -1) goto tell;
  listen_addr = sa;
  remove_stale_sockets (sa.sun_path);
  unlink (sa.sun_path);
  ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls == -1 || bind (ls, (struct sockaddr *) &sa, sizeof sa) == -1
      || listen (ls, 8) == -1) {
    gk_fish_fail ("--listen: %s: %s", sa.sun_path, strerror (errno));
    goto tell;
  }
  /* As guestfish: with only -a, wait for "run" so that configuration
   * sent over --remote first (set-memsize ...) applies; -m, -N and -i
   * need the appliance, so launch now and report a failure before eval. */
  if ((sh->o->nr_mounts || sh->o->nr_preps || sh->o->inspect)
      && gk_fish_ensure_launched (sh) == -1) goto tell;
  st = 0;
 tell:
  if (st == 0) {
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (null != -1) { for (int i = 0; i < 3; i++) dup2 (null, i); close (null); }
  }
  (void) !write (ready, &st, 1);
  close (ready);
  if (st == 0) {
    sh->server = 1;
    serve (sh, ls);
  }
  if (ls != -1) {
    close (ls);
    unlink (sa.sun_path);
  }
  return st == 0 ? 0 : -1;
}

int
gk_fish_listen (struct shell *sh)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) == -1) {
    gk_fish_fail ("--listen: pipe: %s", strerror (errno));
    return -1;
  }
  fflush (stdout);
  /* The background server: our own code goes on in the child. */
  const struct gk_int_spawn_cfg c = { 0 };
  struct gk_int_proc proc;
  int f = gk_int_proc_fork (&c, &proc);
  if (f == -1) {
    gk_fish_fail ("--listen: fork: %s", strerror (errno));
    return -1;
  }
  pid_t pid = proc.pid;
  if (f == 0) {
    close (p[0]);
    int r = child (sh, p[1]);
    return r;           /* main closes the handle and exits */
  }
  close (p[1]);
  unsigned char st = 1;
  ssize_t n = gk_int_read_full (p[0], &st, 1);
  close (p[0]);
  if (n != 1 || st != 0) {
    if (n != 1) gk_fish_fail ("--listen: the background gkfish died");
    waitpid (pid, NULL, 0);
    _exit (1);
  }
  /* Exactly guestfish's line: tools split it on ';'.  --csh: csh's. */
  if (sh->o->csh) printf ("setenv GUESTFISH_PID %ld\n", (long) pid);
  else printf ("GUESTFISH_PID=%ld; export GUESTFISH_PID\n", (long) pid);
  fflush (stdout);
  _exit (0);
}
