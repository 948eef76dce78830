/* gkbatch: one image's result as a JSON line (results and journal) or a
 * CSV line, and a JSON line parsed back (journal, --merge).
 *
 * Everything here may come from a hostile guest (the script's output,
 * error messages quoting guest paths): strings are made valid UTF-8
 * before they reach json-c, which escapes but does not validate, so
 * every line parses. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "gkbatch.h"

static const char *const names[] = { "ok", "failed", "timeout", "skipped", "committing" };

const char *
gkb_status_name (enum gkb_status s)
{
  return (unsigned) s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int
gkb_status_parse (const char *s, enum gkb_status *st)
{
  for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
    if (strcmp (s, names[i]) == 0) { *st = (enum gkb_status) i; return 0; }
  return -1;
}

void
gkb_result_free (struct gkb_result *r)
{
  free (r->path); free (r->output); free (r->error); free (r->command);
  free (r->phase); free (r->backend);
  memset (r, 0, sizeof *r);
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if none:
 * no overlong forms, surrogates or code points past U+10FFFF. */
static size_t
utf8_seq (const unsigned char *s, size_t n)
{
  if (s[0] < 0x80) return 1;
  size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
  if (len == 0 || len > n || (s[0] >= 0xf5)) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80) return 0;
  if (len == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) return 0;
  if (len == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))) return 0;
  return len;
}

char *
gkb_utf8_clean (const char *s, size_t n)
{
  char *o = malloc (n * 3 + 1);
  if (!o) return NULL;
  size_t j = 0;
  for (size_t i = 0; i < n; ) {
    size_t k = utf8_seq ((const unsigned char *) s + i, n - i);
    if (k == 0 || (k == 1 && s[i] == '\0')) {   /* U+FFFD */
      o[j++] = (char) 0xef; o[j++] = (char) 0xbf; o[j++] = (char) 0xbd;
      i++;
      continue;
    }
    memcpy (o + j, s + i, k);
    i += k; j += k;
  }
  o[j] = '\0';
  return o;
}

static void
add_str (json_object *o, const char *key, const char *v, size_t n)
{
  if (!v) { json_object_object_add (o, key, NULL); return; }
  char *c = gkb_utf8_clean (v, n);
  json_object_object_add (o, key, c ? json_object_new_string (c) : NULL);
  free (c);
}

static void
add_time (json_object *o, const char *key, double t)
{
  /* Three decimals (milliseconds): what people compare. */
  char buf[32];
  snprintf (buf, sizeof buf, "%.3f", t);
  json_object_object_add (o, key, json_object_new_double_s (t, buf));
}

char *
gkb_result_json (const struct gkb_result *r)
{
  json_object *o = json_object_new_object ();
  if (!o) return NULL;
  add_str (o, "path", r->path, r->path ? strlen (r->path) : 0);
  json_object_object_add (o, "status", json_object_new_string (gkb_status_name (r->status)));
  json_object_object_add (o, "retryable", json_object_new_boolean (r->retryable));
  add_str (o, "error", r->error, r->error ? strlen (r->error) : 0);
  add_str (o, "command", r->command, r->command ? strlen (r->command) : 0);
  json_object_object_add (o, "line", r->line ? json_object_new_int64 (r->line) : NULL);
  add_str (o, "phase", r->phase, r->phase ? strlen (r->phase) : 0);
  add_str (o, "output", r->output ? r->output : "", r->output ? r->output_len : 0);
  json_object_object_add (o, "output_truncated", json_object_new_boolean (r->output_cut));
  add_time (o, "launch_s", r->t_launch);
  add_time (o, "script_s", r->t_script);
  add_time (o, "commit_s", r->t_commit);
  add_time (o, "total_s", r->t_total);
  add_str (o, "backend", r->backend, r->backend ? strlen (r->backend) : 0);
  if (r->dry_run) json_object_object_add (o, "dry_run", json_object_new_boolean (1));
  char *s = strdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN
                                                    | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return s;
}

static char *
get_str (json_object *o, const char *key, size_t *len)
{
  json_object *v;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  if (len) *len = (size_t) json_object_get_string_len (v);
  return strdup (json_object_get_string (v));
}

static double
get_num (json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex (o, key, &v) ? json_object_get_double (v) : 0;
}

int
gkb_result_parse (const char *line, struct gkb_result *r)
{
  memset (r, 0, sizeof *r);
  json_object *o = json_tokener_parse (line);
  if (!o) return -1;
  int ret = -1;
  json_object *v;
  char *st = get_str (o, "status", NULL);
  r->path = get_str (o, "path", NULL);
  if (!st || !r->path || gkb_status_parse (st, &r->status) == -1) goto out;
  r->retryable = json_object_object_get_ex (o, "retryable", &v) && json_object_get_boolean (v);
  r->output_cut = json_object_object_get_ex (o, "output_truncated", &v) && json_object_get_boolean (v);
  r->dry_run = json_object_object_get_ex (o, "dry_run", &v) && json_object_get_boolean (v);
  r->error = get_str (o, "error", NULL);
  r->command = get_str (o, "command", NULL);
  r->phase = get_str (o, "phase", NULL);
  r->backend = get_str (o, "backend", NULL);
  r->output = get_str (o, "output", &r->output_len);
  r->line = json_object_object_get_ex (o, "line", &v) ? json_object_get_int64 (v) : 0;
  r->t_launch = get_num (o, "launch_s");
  r->t_script = get_num (o, "script_s");
  r->t_commit = get_num (o, "commit_s");
  r->t_total = get_num (o, "total_s");
  ret = 0;
 out:
  free (st);
  json_object_put (o);
  if (ret == -1) gkb_result_free (r);
  return ret;
}

/* RFC 4180: quote every text field, double the quotes. */
static void
csv_str (FILE *f, const char *s, size_t n)
{
  char *c = gkb_utf8_clean (s ? s : "", s ? n : 0);
  fputc ('"', f);
  for (const char *p = c ? c : ""; *p; p++) {
    if (*p == '"') fputc ('"', f);
    fputc (*p, f);
  }
  fputc ('"', f);
  free (c);
}

void
gkb_csv_header (FILE *f)
{
  fputs ("path,status,retryable,error,command,line,phase,output,output_truncated,"
         "launch_s,script_s,commit_s,total_s,backend\n", f);
}

void
gkb_csv_line (FILE *f, const struct gkb_result *r)
{
  csv_str (f, r->path, r->path ? strlen (r->path) : 0);
  fprintf (f, ",%s,%s,", gkb_status_name (r->status), r->retryable ? "true" : "false");
  csv_str (f, r->error, r->error ? strlen (r->error) : 0);
  fputc (',', f);
  csv_str (f, r->command, r->command ? strlen (r->command) : 0);
  fprintf (f, ",%ld,", r->line);
  csv_str (f, r->phase, r->phase ? strlen (r->phase) : 0);
  fputc (',', f);
  csv_str (f, r->output, r->output_len);
  fprintf (f, ",%s,%.3f,%.3f,%.3f,%.3f,", r->output_cut ? "true" : "false",
           r->t_launch, r->t_script, r->t_commit, r->t_total);
  csv_str (f, r->backend, r->backend ? strlen (r->backend) : 0);
  fputc ('\n', f);
}
