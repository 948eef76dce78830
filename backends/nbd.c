/* guestkit: NBD drives (add-drive protocol:nbd, gkfish -a nbd://...).
 *
 * The server and export name come from the user and end up in qemu's
 * option strings (-drive, qemu-img --image-opts), where ',' starts
 * another option and '=' gives it a value: so each part is checked
 * strictly here, and gk_int_nbd_opts refuses again what is not.  Pure
 * functions, unit-tested in tests/test-qemu-args.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"

#define HOST_MAX 253            /* a DNS name */
#define SOCKET_MAX 107          /* sun_path, with its NUL */
#define EXPORT_MAX 4096         /* the NBD protocol's limit */

static int
is_ctl_or_comma (unsigned char c)
{
  return c < 0x20 || c == 0x7f || c == ',';
}

/* A host name or IPv4 address: letters, digits, '-', '.', '_', not
 * starting with '-' or '.' (never read as an option). */
static int
host_ok (const char *h, size_t n)
{
  if (n == 0 || n > HOST_MAX || h[0] == '-' || h[0] == '.') return 0;
  return strspn (h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") >= n;
}

/* An IPv6 address (inside [...]): hex digits, ':' and '.' only. */
static int
ipv6_ok (const char *h, size_t n)
{
  return n >= 2 && n <= 45 && strspn (h, "0123456789abcdefABCDEF:.") >= n
         && memchr (h, ':', n) != NULL;
}

static int
port_ok (const char *p, int *port)
{
  size_t n = strlen (p);
  if (n == 0 || n > 5 || strspn (p, "0123456789") != n) return 0;
  long v = strtol (p, NULL, 10);
  if (v < 1 || v > 65535) return 0;
  *port = (int) v;
  return 1;
}

const char *
gk_int_nbd_socket_bad (const char *s)
{
  if (s[0] != '/') return "the socket must be an absolute path";
  if (strlen (s) > SOCKET_MAX - 1) return "the socket path is too long (at most 107 bytes)";
  for (const char *p = s; *p; p++)
    if (is_ctl_or_comma ((unsigned char) *p))
      return "the socket path has a ',' or a control character";
  return NULL;
}

const char *
gk_int_nbd_export_bad (const char *e)
{
  if (strlen (e) > EXPORT_MAX) return "the export name is too long (at most 4096 bytes)";
  for (const char *p = e; *p; p++)
    if (is_ctl_or_comma ((unsigned char) *p))
      return "the export name has a ',' or a control character";
  return NULL;
}

int
gk_int_nbd_server (const char *server, char **host, int *port, char **sock, const char **why)
{
  *host = *sock = NULL;
  *port = GK_NBD_DEFAULT_PORT;
  if (strncmp (server, "unix:", 5) == 0) {
    if ((*why = gk_int_nbd_socket_bad (server + 5))) return -1;
    if (!(*sock = strdup (server + 5))) { *why = "out of memory"; return -1; }
    return 0;
  }
  const char *h = strncmp (server, "tcp:", 4) == 0 ? server + 4 : server;
  const char *end, *rest;
  int ok;
  if (h[0] == '[') {
    end = strchr (h, ']');
    ok = end && ipv6_ok (h + 1, (size_t) (end - h - 1));
    rest = end ? end + 1 : "";
    h++;
  }
  else {
    end = h + strcspn (h, ":");
    ok = host_ok (h, (size_t) (end - h));
    rest = end;
  }
  if (!ok) {
    *why = "expected tcp:HOST:PORT, HOST:PORT, HOST, [IPV6]:PORT or unix:/SOCKET "
           "(a host name has only letters, digits, '-', '.', '_')";
    return -1;
  }
  if (*rest && (rest[0] != ':' || !port_ok (rest + 1, port))) {
    *why = "the port must be a number from 1 to 65535";
    return -1;
  }
  if (!(*host = strndup (h, (size_t) (end - h)))) { *why = "out of memory"; return -1; }
  return 0;
}

char *
gk_int_nbd_uri (const char *host, int port, const char *sock, const char *export)
{
  char *s = NULL;
  int r;
  if (sock) r = asprintf (&s, "nbd+unix:///%s?socket=%s", export, sock);
  else r = asprintf (&s, strchr (host, ':') ? "nbd://[%s]:%d/%s" : "nbd://%s:%d/%s",
                     host, port, export);
  return r == -1 ? NULL : s;
}

char *
gk_int_nbd_opts (const struct gk_int_drive *d, const char *prefix)
{
  const char *e = d->nbd_export ? d->nbd_export : "";
  /* Checked by add-drive; again here, since this is what qemu parses. */
  if (gk_int_nbd_export_bad (e)) return NULL;
  if (d->nbd_socket ? gk_int_nbd_socket_bad (d->nbd_socket) != NULL
      : !d->nbd_host || !(host_ok (d->nbd_host, strlen (d->nbd_host))
                          || ipv6_ok (d->nbd_host, strlen (d->nbd_host)))
        || d->nbd_port < 1 || d->nbd_port > 65535)
    return NULL;
  char *s = NULL, ex[EXPORT_MAX + 64] = "";
  if (*e) snprintf (ex, sizeof ex, ",%sexport=%s", prefix, e);
  int r;
  if (d->nbd_socket)
    r = asprintf (&s, "%sdriver=nbd,%sserver.type=unix,%sserver.path=%s%s",
                  prefix, prefix, prefix, d->nbd_socket, ex);
  else
    r = asprintf (&s, "%sdriver=nbd,%sserver.type=inet,%sserver.host=%s,%sserver.port=%d%s",
                  prefix, prefix, prefix, d->nbd_host, prefix, d->nbd_port, ex);
  return r == -1 ? NULL : s;
}
