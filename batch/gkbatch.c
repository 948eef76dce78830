/* gkbatch: main.  Reads the image list (arguments, --images FILE or -),
 * keeps this --shard's part, opens the journal, runs the queue and
 * prints the summary; or merges journals (--merge). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "gkbatch.h"
#include "grow.h"
#include "cmd.h"
#include "i18n.h"

double
gkb_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

void
gkb_warn (const char *fmt, ...)
{
  va_list ap;
  fputs ("gkbatch: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, _(fmt), ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void
on_signal (int sig)
{
  if (gkb_interrupted < 2) gkb_interrupted++;
}

struct list { char **v; size_t n, cap; };

static int
push (struct list *l, const char *p)
{
  if (gk_int_grow ((void **) &l->v, &l->cap, l->n + 1, sizeof *l->v, 256) == -1) return -1;
  if (!(l->v[l->n] = strdup (p))) return -1;
  l->n++;
  return 0;
}

/* The images of this shard, in list order; -1 on error (printed). */
static int
read_images (const struct gkb_opts *o, struct list *l, size_t *listed)
{
  *listed = 0;
  for (size_t i = 0; i < o->nr_images; i++) {
    ++*listed;
    if (gkb_in_shard (o->images[i], o->shard_k, o->shard_n) && push (l, o->images[i]) == -1)
      return -1;
  }
  if (!o->images_list) return 0;
  FILE *f = strcmp (o->images_list, "-") == 0 ? stdin : fopen (o->images_list, "re");
  if (!f) { gkb_warn ("--images %s: %s", o->images_list, strerror (errno)); return -1; }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int r = 0;
  while (r == 0 && (len = getline (&line, &cap, f)) != -1) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
    if (len == 0 || line[0] == '#') continue;      /* blank lines, comments */
    ++*listed;
    if (gkb_in_shard (line, o->shard_k, o->shard_n)) r = push (l, line);
  }
  free (line);
  if (f != stdin) fclose (f);
  return r;
}

static void
summary (const struct gkb_opts *o, FILE *out, const struct gkb_counts *c,
         double elapsed, long jobs, int interrupted)
{
  size_t worked = c->ok + c->failed + c->timeout;
  double rate = elapsed > 0 ? worked * 60.0 / elapsed : 0;
  if (!o->csv) {
    json_object *s = json_object_new_object ();
    json_object_object_add (s, "summary", json_object_new_boolean (1));
    json_object_object_add (s, "total", json_object_new_int64 ((int64_t) c->total));
    json_object_object_add (s, "ok", json_object_new_int64 ((int64_t) c->ok));
    json_object_object_add (s, "failed", json_object_new_int64 ((int64_t) c->failed));
    json_object_object_add (s, "timeout", json_object_new_int64 ((int64_t) c->timeout));
    json_object_object_add (s, "skipped", json_object_new_int64 ((int64_t) c->skipped));
    json_object_object_add (s, "retryable", json_object_new_int64 ((int64_t) c->retryable));
    json_object_object_add (s, "failed_before", json_object_new_int64 ((int64_t) c->prior_failed));
    json_object_object_add (s, "not_started", json_object_new_int64 ((int64_t) (c->total - c->done)));
    json_object_object_add (s, "interrupted", json_object_new_boolean (interrupted));
    if (jobs) json_object_object_add (s, "jobs", json_object_new_int64 (jobs));
    char b[32];
    snprintf (b, sizeof b, "%.3f", elapsed);
    json_object_object_add (s, "elapsed_s", json_object_new_double_s (elapsed, b));
    snprintf (b, sizeof b, "%.2f", rate);
    json_object_object_add (s, "images_per_min", json_object_new_double_s (rate, b));
    fprintf (out, "%s\n", json_object_to_json_string_ext (s, JSON_C_TO_STRING_PLAIN));
    json_object_put (s);
  }
  fflush (out);
  gkb_warn ("%zu images: %zu ok, %zu failed (%zu retryable), %zu timed out, "
            "%zu skipped, %zu not started; %.1f s, %.1f images/min%s",
            c->total, c->ok, c->failed, c->retryable, c->timeout, c->skipped,
            c->total - c->done, elapsed, rate, interrupted ? _("; interrupted") : "");
}

static int
status_of (const struct gkb_counts *c)
{
  size_t bad = c->failed + c->timeout + c->prior_failed;
  if (bad == 0) return GKB_EXIT_OK;
  return bad == c->retryable + c->prior_retryable ? GKB_EXIT_RETRYABLE : GKB_EXIT_FAILED;
}

static int
merge (const struct gkb_opts *o, FILE *out)
{
  struct gkb_journal *j = gkb_journal_new ();
  if (!j) return GKB_EXIT_FAILED;
  for (size_t i = 0; i < o->nr_images; i++) {
    char *err = NULL;
    if (gkb_journal_load (j, o->images[i], &err) == -1) {
      gkb_warn ("--merge: %s", err ? err : "out of memory");
      free (err);
      gkb_journal_close (j);
      return GKB_EXIT_FAILED;
    }
  }
  struct gkb_counts c = { 0 };
  if (o->csv) gkb_csv_header (out);
  for (size_t i = 0; i < gkb_journal_count (j); i++) {
    const struct gkb_result *r = gkb_journal_at (j, i);
    if (o->csv) gkb_csv_line (out, r);
    else {
      char *s = gkb_result_json (r);
      if (s) fprintf (out, "%s\n", s);
      free (s);
    }
    c.total++; c.done++;
    switch (r->status) {
    case GKB_OK: c.ok++; break;
    case GKB_TIMEOUT: c.timeout++; break;
    case GKB_SKIPPED: c.skipped++; break;
    default: c.failed++; break;   /* "committing": not known to be done */
    }
    if (r->status != GKB_OK && r->status != GKB_SKIPPED && r->retryable) c.retryable++;
  }
  if (gkb_journal_torn (j)) gkb_warn ("--merge: %zu torn or unreadable lines ignored", gkb_journal_torn (j));
  summary (o, out, &c, 0, 0, 0);
  gkb_journal_close (j);
  return status_of (&c);
}

int
main (int argc, char **argv)
{
  struct gkb_opts o;
  gk_int_i18n_program ();
  int r = gkb_parse_options (argc, argv, &o);
  if (r != 0) return r == 1 ? GKB_EXIT_OK : GKB_EXIT_USAGE;
  gk_cmd_set_prefix ("gkbatch");
  FILE *out = stdout;
  if (o.output && strcmp (o.output, "-") != 0 && !(out = fopen (o.output, "we"))) {
    gkb_warn ("--output %s: %s", o.output, strerror (errno));
    return GKB_EXIT_USAGE;
  }
  if (o.merge) {
    r = merge (&o, out);
    if (out != stdout) fclose (out);
    return r;
  }
  struct gkb_script s;
  struct list l = { 0 };
  size_t listed;
  struct gkb_journal *j = NULL;
  int ret = GKB_EXIT_USAGE;
  if (gkb_script_load (&o, &s) == -1) goto out;
  if (read_images (&o, &l, &listed) == -1) goto out;
  if (o.journal) {
    char *err = NULL;
    if (!(j = gkb_journal_open (o.journal, &err))) {
      gkb_warn ("%s", err ? err : "out of memory");
      free (err);
      goto out;
    }
    if (gkb_journal_torn (j)) gkb_warn ("journal %s: %zu torn line(s) ignored", o.journal,
                                        gkb_journal_torn (j));
  }
  int dflt = o.jobs == 0;
  if (dflt) o.jobs = gkb_default_jobs ();
  long jobs = o.jobs;
  fprintf (stderr, _("gkbatch: %zu images"), l.n);
  if (o.shard_n) fprintf (stderr, _(" (shard %u/%u of %zu listed)"), o.shard_k, o.shard_n, listed);
  fprintf (stderr, ", -j %ld%s%s\n", jobs, dflt ? _(" (default: from cores and memory)") : "",
           o.dry_run ? _(", dry run") : "");
  struct sigaction sa = { .sa_handler = on_signal };
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  if (o.csv) gkb_csv_header (out);
  struct gkb_counts c = { 0 };
  double t0 = gkb_now ();
  int rr = gkb_run (&o, &s, l.v, l.n, j, out, &c);
  int intr = gkb_interrupted != 0;
  summary (&o, out, &c, gkb_now () - t0, jobs, intr);
  if (rr == -1) ret = GKB_EXIT_FAILED;
  else if (intr) ret = GKB_EXIT_INTERRUPTED;
  else ret = status_of (&c);
 out:
  gkb_journal_close (j);
  for (size_t i = 0; i < l.n; i++) free (l.v[i]);
  free (l.v);
  gkb_script_free (&s);
  for (size_t i = 0; i < o.nr_mounts; i++) free (o.mounts[i].dev);
  free (o.mounts);
  if (out != stdout && fclose (out) == EOF) {
    gkb_warn ("--output %s: %s", o.output, strerror (errno));
    if (ret == GKB_EXIT_OK) ret = GKB_EXIT_FAILED;
  }
  return ret;
}
