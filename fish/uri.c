/* gkfish -a URI, as guestfish reads it: nbd://HOST[:PORT][/EXPORT] and
 * nbd+unix:///[EXPORT]?socket=SOCKET become add-drive EXPORT
 * protocol:nbd server:tcp:HOST:PORT (or server:unix:SOCKET); the
 * library checks each part strictly; file:///PATH is the local file
 * PATH.  Every other scheme is an error
 * naming it (guestkit adds local files and nbd exports only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gkfish.h"

/* %XX decoding of S's first N bytes, malloc'd; NULL: a bad escape or
 * a decoded NUL (or out of memory). */
static char *
decode (const char *s, size_t n)
{
  char *r = malloc (n + 1), *o = r;
  if (!r) return NULL;
  static const char hex[] = "0123456789abcdefABCDEF";
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') { *o++ = s[i]; continue; }
    if (i + 2 >= n || !strchr (hex, s[i + 1]) || !strchr (hex, s[i + 2])) {
      free (r);
      return NULL;
    }
    char two[3] = { s[i + 1], s[i + 2], '\0' };
    long v = strtol (two, NULL, 16);
    if (v == 0) { free (r); return NULL; }
    *o++ = (char) v;
    i += 2;
  }
  *o = '\0';
  return r;
}

int
gk_fish_uri (const char *file, char **export, char **server)
{
  *export = *server = NULL;
  size_t n = strspn (file, "abcdefghijklmnopqrstuvwxyz0123456789+.-");
  if (n == 0 || strncmp (file + n, "://", 3) != 0 || access (file, F_OK) == 0)
    return 0;
  const char *rest = file + n + 3;
  if (n == 4 && strncmp (file, "file", 4) == 0) {
    /* file:///PATH: the local file (guestfish's form for names with a ':'). */
    if (rest[0] != '/' || strchr (rest, '?') || !(*export = decode (rest, strlen (rest)))) {
      gk_fish_fail ("-a %s: expected file:///ABSOLUTE-PATH", file);
      return -1;
    }
    return 2;
  }
  int is_unix = n == 8 && strncmp (file, "nbd+unix", 8) == 0;
  if (!is_unix && !((n == 3 && strncmp (file, "nbd", 3) == 0)
                    || (n == 7 && strncmp (file, "nbd+tcp", 7) == 0))) {
    gk_fish_fail ("-a %s: %.*s:// URIs are not supported: guestkit adds local disk "
                  "images (file://) and nbd:// exports only (make a local copy first, e.g. with "
                  "qemu-img convert)", file, (int) n, file);
    return -1;
  }
  /* AUTHORITY/PATH?QUERY */
  size_t alen = strcspn (rest, "/?");
  const char *path = rest + alen;
  size_t plen = path[0] == '/' ? strcspn (path, "?") : 0;
  const char *query = path + plen;
  const char *why = NULL;
  char *sock = NULL;
  if (is_unix) {
    if (alen) why = "nbd+unix:// takes no host (nbd+unix:///EXPORT?socket=/SOCKET)";
    else if (strncmp (query, "?socket=", 8) != 0 || strchr (query + 8, '&'))
      why = "expected ?socket=/SOCKET, and nothing else, after the export";
    else if (!(sock = decode (query + 8, strlen (query + 8))))
      why = "bad %-escape in the socket path";
  }
  else if (alen == 0) why = "no host (nbd://HOST[:PORT][/EXPORT])";
  else if (*query) why = "nbd:// takes no ?query";
  if (!why) {
    *export = decode (plen ? path + 1 : "", plen ? plen - 1 : 0);
    if (!*export) why = "bad %-escape in the export name";
  }
  if (!why) {
    int r = sock ? asprintf (server, "unix:%s", sock)
                 : asprintf (server, "tcp:%.*s", (int) alen, rest);
    if (r == -1) { *server = NULL; why = "out of memory"; }
  }
  /* gkfish's optional-argument words split on spaces. */
  if (!why && (strchr (*server, ' ') || strchr (*export, ' ')))
    why = "a space in the socket path or export name is not supported";
  free (sock);
  if (why) {
    gk_fish_fail ("-a %s: %s", file, why);
    free (*export); free (*server);
    *export = *server = NULL;
    return -1;
  }
  return 1;
}
