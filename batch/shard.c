/* gkbatch: --shard K/N.  A path belongs to shard (hash % N) + 1, with a
 * hash fixed by this file (64-bit FNV-1a of the path's bytes as given),
 * so every machine given the same list and N splits it the same way
 * without talking to the others, whatever its byte order or word size.
 * The path is hashed as written in the list: list it the same way on
 * every machine. */
#include <stdlib.h>
#include <string.h>
#include "gkbatch.h"

uint64_t
gkb_hash (const char *s)
{
  uint64_t h = UINT64_C (14695981039346656037);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    h ^= *p;
    h *= UINT64_C (1099511628211);
  }
  return h;
}

int
gkb_in_shard (const char *path, unsigned k, unsigned n)
{
  return n == 0 || gkb_hash (path) % n == k - 1;
}

/* "K/N" with 1 <= K <= N; Kubernetes' 0-based index is written "K+1/N"
 * by the manifest in examples/, or "%K/N" here: a leading '%' makes K
 * 0-based, so JOB_COMPLETION_INDEX can be passed unchanged. */
int
gkb_parse_shard (const char *s, unsigned *k, unsigned *n)
{
  int zero = 0;
  if (*s == '%') { zero = 1; s++; }
  char *e;
  unsigned long a = strtoul (s, &e, 10);
  if (e == s || *e != '/' || *s == '-') return -1;
  const char *t = e + 1;
  unsigned long b = strtoul (t, &e, 10);
  if (e == t || *e || *t == '-') return -1;
  if (zero) a++;
  if (b == 0 || a == 0 || a > b || b > 1000000) return -1;
  *k = (unsigned) a;
  *n = (unsigned) b;
  return 0;
}
