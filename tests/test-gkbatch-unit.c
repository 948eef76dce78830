/* gkbatch's pure parts: --shard hashing and parsing, the result records
 * (JSON round trip with hostile bytes), and the journal (last record
 * wins, a torn last line is ignored and the next record still starts a
 * line, the lock, merging keeps "ok"). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "gkbatch.h"

static void
test_shard (void)
{
  unsigned k, n;
  CHECK (gkb_parse_shard ("1/3", &k, &n) == 0 && k == 1 && n == 3, "1/3 parses");
  CHECK (gkb_parse_shard ("%0/3", &k, &n) == 0 && k == 1 && n == 3, "%%0/3 is shard 1 of 3");
  CHECK (gkb_parse_shard ("%2/3", &k, &n) == 0 && k == 3, "%%2/3 is shard 3 of 3");
  const char *bad[] = { "0/3", "4/3", "%3/3", "1/0", "a/b", "1/", "/3", "-1/3", "1/3x", "1", NULL };
  for (size_t i = 0; bad[i]; i++)
    CHECK (gkb_parse_shard (bad[i], &k, &n) == -1, "%s refused", bad[i]);
  /* 64-bit FNV-1a: the hash is part of the interface (machines agree). */
  CHECK (gkb_hash ("") == UINT64_C (0xcbf29ce484222325), "hash of empty string");
  CHECK (gkb_hash ("a") == UINT64_C (0xaf63dc4c8601ec8c), "hash of \"a\"");
  size_t per[7] = { 0 };
  int once = 1;
  for (int i = 0; i < 1000; i++) {
    char p[64];
    snprintf (p, sizeof p, "/images/vm-%04d.qcow2", i);
    int hits = 0;
    for (unsigned s = 1; s <= 7; s++)
      if (gkb_in_shard (p, s, 7)) { hits++; per[s - 1]++; }
    if (hits != 1) once = 0;
  }
  CHECK (once, "each of 1000 paths is in exactly one of 7 shards");
  int even = 1;
  for (int s = 0; s < 7; s++) if (per[s] < 100 || per[s] > 190) even = 0;
  CHECK (even, "shards are roughly even (%zu %zu %zu %zu %zu %zu %zu)",
         per[0], per[1], per[2], per[3], per[4], per[5], per[6]);
  CHECK (gkb_in_shard ("x", 0, 0), "no --shard: every path");
}

static void
test_record (void)
{
  char *c = gkb_utf8_clean ("a\xff" "b\xc3\xa9" "\xed\xa0\x80" "\0z", 10);
  CHECK (c && strcmp (c, "a\xef\xbf\xbd" "b\xc3\xa9" "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                      "\xef\xbf\xbdz") == 0, "invalid UTF-8 and NUL become U+FFFD");
  free (c);
  char out[] = "line1\n\"quoted\"\t\x01\xfe end";
  struct gkb_result r = { .path = (char *) "/img/a \"b\".img", .status = GKB_FAILED,
    .retryable = 1, .output = out, .output_len = sizeof out - 1, .output_cut = 1,
    .error = (char *) "mkdir: /x: No such file", .command = (char *) "mkdir", .line = 3,
    .phase = (char *) "script", .t_launch = 1.5, .t_script = 0.25, .t_total = 2,
    .backend = (char *) "qemu:tcg" };
  char *j = gkb_result_json (&r);
  CHECK (j && !strchr (j, '\n'), "one line: %s", j ? j : "(null)");
  struct gkb_result b;
  CHECK (j && gkb_result_parse (j, &b) == 0, "parses back");
  if (j && b.path) {
    CHECK (strcmp (b.path, r.path) == 0 && b.status == GKB_FAILED && b.retryable
           && b.output_cut && b.line == 3 && strcmp (b.command, "mkdir") == 0
           && strcmp (b.phase, "script") == 0 && b.t_launch == 1.5 && b.t_total == 2
           && strcmp (b.backend, "qemu:tcg") == 0, "fields survive the round trip");
    CHECK (b.output && strstr (b.output, "\"quoted\"\t\x01\xef\xbf\xbd end"), "output kept, bad byte replaced");
    gkb_result_free (&b);
  }
  free (j);
  CHECK (gkb_result_parse ("{\"path\":\"x\"}", &b) == -1, "no status: refused");
  CHECK (gkb_result_parse ("{\"path\":\"x\",\"status\":\"weird\"}", &b) == -1, "unknown status refused");
  CHECK (gkb_result_parse ("{\"path\":\"x\",\"stat", &b) == -1, "torn JSON refused");
}

static void
append_raw (const char *f, const char *s)
{
  int fd = open (f, O_WRONLY | O_APPEND);
  if (fd != -1) { if (write (fd, s, strlen (s)) < 0) {} close (fd); }
}

static void
test_journal (void)
{
  char f[] = "/tmp/test-gkbatch-unit.XXXXXX";
  int fd = mkstemp (f);
  if (fd == -1) { CHECK (0, "mkstemp"); return; }
  close (fd);
  char *err = NULL;
  struct gkb_journal *j = gkb_journal_open (f, &err);
  CHECK (j != NULL, "open %s", err ? err : "");
  if (!j) return;
  struct gkb_journal *j2 = gkb_journal_open (f, &err);
  CHECK (j2 == NULL && err && strstr (err, "in use"), "second open refused: %s", err ? err : "");
  gkb_journal_close (j2);
  free (err); err = NULL;
  struct gkb_result a = { .path = (char *) "/a", .status = GKB_FAILED, .retryable = 1 };
  struct gkb_result b = { .path = (char *) "/b", .status = GKB_COMMITTING };
  CHECK (gkb_journal_append (j, &a) == 0 && gkb_journal_append (j, &b) == 0, "append");
  a.status = GKB_OK; a.retryable = 0;
  CHECK (gkb_journal_append (j, &a) == 0, "append a again");
  const struct gkb_result *x = gkb_journal_find (j, "/a");
  CHECK (x && x->status == GKB_OK, "last record wins in memory");
  gkb_journal_close (j);
  /* SIGKILL in the middle of a write: a line without its newline. */
  append_raw (f, "{\"path\":\"/c\",\"status\":\"ok\"");
  j = gkb_journal_open (f, &err);
  CHECK (j && gkb_journal_torn (j) == 1, "torn last line counted");
  CHECK (j && !gkb_journal_find (j, "/c"), "torn record ignored");
  CHECK (j && gkb_journal_find (j, "/b") && gkb_journal_find (j, "/b")->status == GKB_COMMITTING,
         "committing state read back");
  CHECK (j && gkb_journal_find (j, "/a")->status == GKB_OK, "ok read back");
  struct gkb_result d = { .path = (char *) "/d", .status = GKB_TIMEOUT, .retryable = 1 };
  CHECK (j && gkb_journal_append (j, &d) == 0, "append after a torn line");
  gkb_journal_close (j);
  j = gkb_journal_open (f, &err);
  CHECK (j && gkb_journal_find (j, "/d") && gkb_journal_find (j, "/d")->status == GKB_TIMEOUT
         && gkb_journal_torn (j) == 1, "the record after a torn line is intact");
  CHECK (j && gkb_journal_count (j) == 3, "three paths (/a /b /d)");
  gkb_journal_close (j);
  /* Merging: a path ok in one journal stays ok. */
  struct gkb_journal *m = gkb_journal_new ();
  char g[] = "/tmp/test-gkbatch-unit2.XXXXXX";
  fd = mkstemp (g);
  if (fd != -1) close (fd);
  append_raw (g, "{\"path\":\"/a\",\"status\":\"failed\",\"retryable\":true}\n"
                 "{\"path\":\"/e\",\"status\":\"ok\"}\n");
  CHECK (m && gkb_journal_load (m, f, &err) == 0 && gkb_journal_load (m, g, &err) == 0, "merge loads");
  CHECK (m && gkb_journal_find (m, "/a")->status == GKB_OK, "ok is not undone by a later failure");
  CHECK (m && gkb_journal_count (m) == 4, "merged: 4 paths");
  gkb_journal_close (m);
  unlink (f);
  unlink (g);
}

int
main (void)
{
  test_shard ();
  test_record ();
  test_journal ();
  return tap_done ();
}
