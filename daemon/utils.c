/* guestkitd: small string-list and time utilities.
 *
 * Functions that allocate set the call's error (ENOMEM) themselves when
 * they fail, so a handler just returns NULL / -1.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"
#include "grow.h"

/* Append S (taken over) to the growing NULL-terminated list *LIST. */
static int
push (char ***list, size_t *n, size_t *cap, char *s)
{
  if (gk_int_grow ((void **) list, cap, *n + 2, sizeof **list, 16) == -1)
    return -1;
  (*list)[(*n)++] = s;
  (*list)[*n] = NULL;
  return 0;
}

char **
gk_int_split_lines (char *text)
{
  /* Allocated up front: an empty list is still a list, not a failure. */
  size_t n = 0, cap = 16;
  char **list = calloc (cap, sizeof *list);
  if (!list)
    goto oom;
  const char *p = text ? text : "";
  while (*p) {
    size_t len = strcspn (p, "\n");
    char *line = strndup (p, len);
    if (!line || push (&list, &n, &cap, line) == -1) {
      free (line);
      goto oom;
    }
    p += len;
    if (*p == '\n') p++;   /* so a final newline adds no empty line */
  }
  free (text);
  return list;

 oom:
  gk_int_free_strings (list);
  free (text);
  gk_int_err (ENOMEM, "out of memory");
  return NULL;
}

char *
gk_int_join (char *const *words, const char *sep)
{
  size_t seplen = strlen (sep), total = 1;
  for (size_t i = 0; words && words[i]; i++)
    total += strlen (words[i]) + (i > 0 ? seplen : 0);
  char *s = malloc (total);
  if (!s) {
    gk_int_err (ENOMEM, "out of memory");
    return NULL;
  }
  char *q = s;
  for (size_t i = 0; words && words[i]; i++) {
    if (i > 0) { memcpy (q, sep, seplen); q += seplen; }
    size_t len = strlen (words[i]);
    memcpy (q, words[i], len);
    q += len;
  }
  *q = '\0';
  return s;
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
gk_int_sort_strings (char **list)
{
  if (list)
    qsort (list, gk_int_count_strings (list), sizeof *list, compare_strings);
  return 0;
}

size_t
gk_int_count_strings (char *const *list)
{
  size_t n = 0;
  if (list)
    while (list[n]) n++;
  return n;
}

void
gk_int_free_strings (char **list)
{
  if (!list) return;
  for (size_t i = 0; list[i]; i++)
    free (list[i]);
  free (list);
}

uint64_t
gk_int_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

uint64_t
gk_int_boot_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_BOOTTIME, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

char *
gk_int_pread_alloc (int fd, size_t count, off_t offset, size_t *size_r)
{
  char *buf = malloc (count + 1);
  size_t got = 0;
  while (buf && got < count) {
    ssize_t n = pread (fd, buf + got, count - got, offset + (off_t) got);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      int e = errno;
      free (buf);
      buf = NULL;
      errno = e;
    }
    if (n <= 0) break;
    got += (size_t) n;
  }
  int e = errno;
  close (fd);
  errno = e;
  *size_r = got;
  return buf;
}

int
gk_int_is_uuid (const char *s)
{
  if (strlen (s) != 36) return 0;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return 0;
    }
    else if (!isxdigit ((unsigned char) s[i])) return 0;
  }
  return 1;
}

/* What a reply may hold besides its strings: the frame and its header. */
#define REPLY_LIST_MAX ((size_t) GK_MSG_MAX - 65536)

int
gk_int_reply_list_add (struct gk_int_reply_list *l, const char *s, size_t len)
{
  l->bytes += len + 4;          /* a string travels as length + bytes */
  if (l->bytes > REPLY_LIST_MAX)
    return gk_int_err (EFBIG, "%s: result larger than the protocol limit "
                       "(use %s)", l->what, l->instead);
  if (gk_int_grow ((void **) &l->v, &l->cap, l->n + 2, sizeof *l->v, 64) == -1)
    return gk_int_err (ENOMEM, "out of memory");
  /* A NUL inside S cannot travel in a string: the copy ends there. */
  char *c = strndup (s, len);
  if (!c) return gk_int_err (ENOMEM, "out of memory");
  l->v[l->n++] = c;
  l->v[l->n] = NULL;
  return 0;
}

int
gk_int_read_sysfs_line (const char *path, char *buf, size_t size)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) return -1;
  ssize_t n = read (fd, buf, size - 1);
  int saved = errno;
  close (fd);
  if (n <= 0) {
    errno = n == 0 ? EINVAL : saved;
    return -1;
  }
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return 0;
}

int
gk_int_read_sysfs_u64 (const char *path, uint64_t *v)
{
  char buf[32];
  if (gk_int_read_sysfs_line (path, buf, sizeof buf) == -1) return -1;
  char *end;
  errno = 0;
  unsigned long long x = strtoull (buf, &end, 10);
  if (errno || end == buf || *end) {
    errno = EINVAL;
    return -1;
  }
  *v = x;
  return 0;
}
