/* gkbatch: the journal.  One JSON line per event (the same objects as
 * the results), appended with one write() and fsync'd before the run
 * goes on, so after a crash or SIGKILL of gkbatch the file holds every
 * finished image; at most the last line is torn, and a line without its
 * newline (or that does not parse) is ignored.  The last record of a
 * path is its state: "committing" means an --rw commit may have been
 * cut short and must be redone before anything else.  The file is
 * locked (flock) so two runs cannot share it.
 *
 * In memory: a hash table from path to its last record.  For a resume
 * only the status matters, so records read back drop their output
 * (memory stays small with 100,000 images); --merge keeps them whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "gkbatch.h"
#include "grow.h"
#include "fullio.h"

struct gkb_journal {
  int fd;                  /* -1: read only (--merge) */
  int keep_output;
  struct gkb_result *recs; /* in order of first appearance */
  size_t n, cap;
  size_t *table;           /* index+1 into recs, 0 empty; size tsize */
  size_t tsize;
  size_t torn;
};

struct gkb_journal *
gkb_journal_new (void)
{
  struct gkb_journal *j = calloc (1, sizeof *j);
  if (j) { j->fd = -1; j->keep_output = 1; }
  return j;
}

static size_t *
slot (struct gkb_journal *j, const char *path)
{
  size_t i = gkb_hash (path) & (j->tsize - 1);
  while (j->table[i] && strcmp (j->recs[j->table[i] - 1].path, path) != 0)
    i = (i + 1) & (j->tsize - 1);
  return &j->table[i];
}

static int
grow (struct gkb_journal *j)
{
  if (gk_int_grow ((void **) &j->recs, &j->cap, j->n + 1, sizeof *j->recs, 64) == -1)
    return -1;
  if ((j->n + 1) * 2 > j->tsize) {
    size_t ts = j->tsize ? j->tsize * 2 : 128;
    size_t *t = calloc (ts, sizeof *t);
    if (!t) return -1;
    free (j->table);
    j->table = t; j->tsize = ts;
    for (size_t i = 0; i < j->n; i++) *slot (j, j->recs[i].path) = i + 1;
  }
  return 0;
}

/* Make R (taken over) the state of its path. */
static int
remember (struct gkb_journal *j, struct gkb_result *r)
{
  if (!j->keep_output) {
    free (r->output); r->output = NULL; r->output_len = 0;
  }
  if (grow (j) == -1) return -1;
  size_t *s = slot (j, r->path);
  if (*s && j->recs[*s - 1].status == GKB_OK && r->status != GKB_OK) {
    /* Merging: an image done somewhere stays done. */
    gkb_result_free (r);
    return 0;
  }
  if (*s) {
    gkb_result_free (&j->recs[*s - 1]);
    j->recs[*s - 1] = *r;
  }
  else {
    j->recs[j->n] = *r;
    *s = ++j->n;
  }
  memset (r, 0, sizeof *r);
  return 0;
}

int
gkb_journal_load (struct gkb_journal *j, const char *file, char **err)
{
  FILE *f = fopen (file, "re");
  if (!f) {
    if (asprintf (err, "%s: %s", file, strerror (errno)) == -1) *err = NULL;
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline (&line, &cap, f)) != -1) {
    struct gkb_result r;
    if (len == 0 || line[len - 1] != '\n' || gkb_result_parse (line, &r) == -1) {
      if (len > 1) j->torn++;
      continue;
    }
    if (remember (j, &r) == -1) { gkb_result_free (&r); break; }
  }
  int e = ferror (f) ? errno : 0;
  free (line);
  fclose (f);
  if (e) {
    if (asprintf (err, "%s: %s", file, strerror (e)) == -1) *err = NULL;
    return -1;
  }
  return 0;
}

struct gkb_journal *
gkb_journal_open (const char *file, char **err)
{
  *err = NULL;
  struct gkb_journal *j = gkb_journal_new ();
  if (!j) return NULL;
  j->keep_output = 0;
  j->fd = open (file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (j->fd == -1) {
    if (asprintf (err, "journal %s: %s", file, strerror (errno)) == -1) *err = NULL;
    goto fail;
  }
  if (flock (j->fd, LOCK_EX | LOCK_NB) == -1) {
    if (asprintf (err, "journal %s: %s", file, errno == EWOULDBLOCK
                  ? "in use by another gkbatch" : strerror (errno)) == -1) *err = NULL;
    goto fail;
  }
  if (gkb_journal_load (j, file, err) == -1) goto fail;
  /* A torn last line: end it, so the next record starts a line. */
  off_t end = lseek (j->fd, 0, SEEK_END);
  char c = '\n';
  if (end > 0 && pread (j->fd, &c, 1, end - 1) == 1 && c != '\n'
      && (write (j->fd, "\n", 1) != 1 || fdatasync (j->fd) == -1)) {
    if (asprintf (err, "journal %s: %s", file, strerror (errno)) == -1) *err = NULL;
    goto fail;
  }
  return j;
 fail:
  gkb_journal_close (j);
  return NULL;
}

int
gkb_journal_append (struct gkb_journal *j, const struct gkb_result *r)
{
  char *s = gkb_result_json (r);
  if (!s) { errno = ENOMEM; return -1; }
  size_t n = strlen (s);
  s[n++] = '\n';            /* replaces the '\0': the line goes in one write */
  int ret = -1;
  if (j->fd != -1) {
    if (gk_int_write_full (j->fd, s, n) == -1) goto out;
    if (fdatasync (j->fd) == -1) goto out;
  }
  s[n - 1] = '\0';
  struct gkb_result copy;
  if (gkb_result_parse (s, &copy) == -1) { errno = EINVAL; goto out; }
  ret = remember (j, &copy);
 out:
  free (s);
  return ret;
}

const struct gkb_result *
gkb_journal_find (struct gkb_journal *j, const char *path)
{
  if (!j || !j->tsize) return NULL;
  size_t *s = slot (j, path);
  return *s ? &j->recs[*s - 1] : NULL;
}

size_t gkb_journal_torn (const struct gkb_journal *j) { return j->torn; }
size_t gkb_journal_count (const struct gkb_journal *j) { return j->n; }

const struct gkb_result *
gkb_journal_at (struct gkb_journal *j, size_t i)
{
  return i < j->n ? &j->recs[i] : NULL;
}

void
gkb_journal_close (struct gkb_journal *j)
{
  if (!j) return;
  if (j->fd != -1) close (j->fd);
  for (size_t i = 0; i < j->n; i++) gkb_result_free (&j->recs[i]);
  free (j->recs);
  free (j->table);
  free (j);
}
