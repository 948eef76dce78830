/* guestkit: the command layer (see cmd.h).  Words in, generic values to
 * gk_int_call_generic, printed results out.  Nothing here knows about a
 * particular call: the API table says everything. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "i18n.h"
#include "escape.h"
#include "exported.h"     /* gk_int_call_generic */

static const char *prefix = "gkfish";
static int string_newline;      /* gk_cmd_set_string_newline */

void
gk_cmd_set_string_newline (int always)
{
  string_newline = always;
}

void
gk_cmd_set_prefix (const char *p)
{
  prefix = p;
}

const char *
gk_cmd_prefix (void)
{
  return prefix;
}

static void
errmsg (FILE *errf, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

static void
errmsg (FILE *errf, const char *fmt, ...)
{
  va_list ap;
  fprintf (errf, "%s: ", prefix);
  va_start (ap, fmt);
  vfprintf (errf, _(fmt), ap);
  va_end (ap);
  fputc ('\n', errf);
}

/* ---- splitting ------------------------------------------------------- */

/* A growable string and a growable list of them, for the splitter. */
struct sbuf { char *p; size_t len, cap; };
struct wlist { char **w; size_t n, cap; };

static int
sb_add (struct sbuf *b, char ch)
{
  if (b->len + 2 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 32;
    char *p = realloc (b->p, cap);
    if (!p) return -1;
    b->p = p; b->cap = cap;
  }
  b->p[b->len++] = ch;
  b->p[b->len] = '\0';
  return 0;
}

static int
wl_add (struct wlist *l, char *w)
{
  if (l->n + 2 > l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **p = realloc (l->w, cap * sizeof *p);
    if (!p) return -1;
    l->w = p; l->cap = cap;
  }
  l->w[l->n++] = w;
  l->w[l->n] = NULL;
  return 0;
}

void
gk_cmd_free_words (char **words)
{
  if (!words) return;
  for (size_t i = 0; words[i]; i++) free (words[i]);
  free (words);
}

static int
hexval (char ch)
{
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* One escape inside double quotes; *PP points after the backslash and is
 * advanced past the escape.  Returns the static reason on error. */
static const char *
dq_escape (const char **pp, struct sbuf *b)
{
  const char *p = *pp;
  int hi, lo;
  char ch;

  switch (*p) {
  case '\\': case '"': ch = *p++; break;
  case 'a': ch = '\a'; p++; break;
  case 'b': ch = '\b'; p++; break;
  case 'f': ch = '\f'; p++; break;
  case 'n': ch = '\n'; p++; break;
  case 'r': ch = '\r'; p++; break;
  case 't': ch = '\t'; p++; break;
  case 'v': ch = '\v'; p++; break;
  case '0': case '1': case '2': case '3':
    /* guestfish's octal: exactly three digits, \000 to \377. */
    if (p[1] < '0' || p[1] > '7' || p[2] < '0' || p[2] > '7')
      return "\\NNN needs three octal digits";
    ch = (char) ((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
    if (ch == '\0') return "\\000 is not allowed";
    p += 3;
    break;
  case 'x':
    hi = hexval (p[1]);
    lo = hi >= 0 ? hexval (p[2]) : -1;
    if (lo < 0) return "\\x needs two hex digits";
    ch = (char) (hi * 16 + lo);
    /* Words are C strings: a NUL would silently truncate the argument. */
    if (ch == '\0') return "\\x00 is not allowed";
    p += 3;
    break;
  case '\0': return "unterminated double quote";
  default:
    /* Unknown escapes stay as written, as in the shell. */
    if (sb_add (b, '\\') == -1) return "out of memory";
    ch = *p++;
    break;
  }
  *pp = p;
  return sb_add (b, ch) == -1 ? "out of memory" : NULL;
}

/* guestfish's tilde expansion: an unquoted "~" or "~USER" at the start
 * of a word, up to a '/' or the word's end, is that home directory
 * ($HOME for "~"); an unknown user is left as written.  *PP is advanced
 * past what was expanded. */
static const char *
tilde (const char **pp, struct sbuf *b)
{
  const char *p = *pp + 1;
  size_t n = strcspn (p, "/ \t\n\r\f\v");
  const char *home = NULL;
  if (memchr (p, '\'', n) || memchr (p, '"', n) || memchr (p, '\\', n))
    return NULL;
  if (n == 0) {
    home = getenv ("HOME");
    if (!home || !*home) {
      struct passwd *pw = getpwuid (getuid ());
      home = pw ? pw->pw_dir : NULL;
    }
  }
  else {
    char user[256];
    if (n >= sizeof user) return NULL;
    memcpy (user, p, n);
    user[n] = '\0';
    struct passwd *pw = getpwnam (user);
    home = pw ? pw->pw_dir : NULL;
  }
  if (!home) return NULL;
  for (; *home; home++)
    if (sb_add (b, *home) == -1) return "out of memory";
  *pp = p + n;
  return NULL;
}

/* Read one word starting at *PP (not a blank).  Returns NULL on success,
 * else the reason. */
static const char *
split_word (const char **pp, struct sbuf *b)
{
  const char *p = *pp;
  const char *why = NULL;

  if (*p == '~' && (why = tilde (&p, b)) != NULL) return why;

  while (*p && !isspace ((unsigned char) *p) && !why) {
    if (*p == '\'') {
      const char *end = strchr (p + 1, '\'');
      if (!end) return "unterminated single quote";
      for (p++; p < end && !why; p++)
        if (sb_add (b, *p) == -1) why = "out of memory";
      p = end + 1;
    }
    else if (*p == '"') {
      for (p++; *p != '"' && !why; ) {
        if (*p == '\0') return "unterminated double quote";
        if (*p == '\\') { p++; why = dq_escape (&p, b); }
        else if (sb_add (b, *p++) == -1) why = "out of memory";
      }
      if (!why) p++;
    }
    else if (*p == '\\') {
      if (p[1] == '\0') return "backslash at end of line";
      if (sb_add (b, p[1]) == -1) why = "out of memory";
      p += 2;
    }
    else if (sb_add (b, *p++) == -1)
      why = "out of memory";
  }
  *pp = p;
  return why;
}

char **
gk_cmd_split (const char *line, char **err_r)
{
  struct wlist l = { NULL, 0, 0 };
  const char *p = line;
  const char *why = NULL;

  *err_r = NULL;
  if (wl_add (&l, NULL) == -1) why = "out of memory";
  l.n = 0;
  while (!why) {
    while (isspace ((unsigned char) *p)) p++;
    if (*p == '\0' || *p == '#') break;
    struct sbuf b = { NULL, 0, 0 };
    why = split_word (&p, &b);
    /* '' is a real (empty) word, so make sure it has storage. */
    if (!why && !b.p && !(b.p = strdup (""))) why = "out of memory";
    if (!why && wl_add (&l, b.p) == -1) why = "out of memory";
    if (why) free (b.p);
  }
  if (why) {
    gk_cmd_free_words (l.w);
    *err_r = strdup (why);
    return NULL;
  }
  return l.w;
}

/* ---- names, suggestions, usage, help ---------------------------------- */

/* Optimal string alignment distance: like Levenshtein, but swapping two
 * neighbours is one edit, the commonest typo ("mkdri"). */
static size_t
edit_distance (const char *a, const char *b)
{
  size_t m = strlen (a), n = strlen (b);
  if (m >= GK_CMD_NAME_MAX || n >= GK_CMD_NAME_MAX) return SIZE_MAX;
  size_t d[GK_CMD_NAME_MAX + 1][GK_CMD_NAME_MAX + 1];

  for (size_t i = 0; i <= m; i++) d[i][0] = i;
  for (size_t j = 0; j <= n; j++) d[0][j] = j;
  for (size_t i = 1; i <= m; i++)
    for (size_t j = 1; j <= n; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t v = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
          && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[m][n];
}

const char *
gk_cmd_next_name (size_t *state, char buf[GK_CMD_NAME_MAX])
{
  /* *STATE counts names: each call's name, then its aliases. */
  size_t k = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (k++ == *state) {
      snprintf (buf, GK_CMD_NAME_MAX, "%s", c->name);
      ++*state;
      return buf;
    }
    for (const char *p = c->aliases ? c->aliases : ""; *p; ) {
      size_t w = strcspn (p, " ");
      if (w > 0 && k++ == *state) {
        snprintf (buf, GK_CMD_NAME_MAX, "%.*s", (int) w, p);
        ++*state;
        return buf;
      }
      p += w;
      p += strspn (p, " ");
    }
  }
  return NULL;
}

/* How many edits still look like a typo rather than another word: one
 * per four letters, at least one. */
static size_t
typo_limit (size_t len)
{
  return len < 7 ? 1 : (len + 1) / 4;
}

const char *
gk_cmd_suggest (const char *word, const char *const *extra)
{
  static char best[GK_CMD_NAME_MAX];
  char buf[GK_CMD_NAME_MAX];
  size_t bestd = typo_limit (strlen (word)) + 1;
  size_t state = 0;
  const char *n;

  while ((n = gk_cmd_next_name (&state, buf)) != NULL) {
    size_t d = edit_distance (word, n);
    if (d < bestd) { bestd = d; snprintf (best, sizeof best, "%s", n); }
  }
  for (size_t i = 0; extra && extra[i]; i++) {
    size_t d = edit_distance (word, extra[i]);
    if (d < bestd) { bestd = d; snprintf (best, sizeof best, "%s", extra[i]); }
  }
  return bestd <= typo_limit (strlen (word)) ? best : NULL;
}

void
gk_cmd_unknown (FILE *errf, const char *word, const char *const *extra)
{
  const char *s = gk_cmd_suggest (word, extra);
  if (s)
    errmsg (errf, "unknown command '%s' (did you mean '%s'?)", word, s);
  else
    errmsg (errf, "unknown command '%s' (try 'help')", word);
}

static const char *
opt_hint (enum gk_int_type t)
{
  switch (t) {
  case GK_T_INT: case GK_T_INT64: return "N";
  case GK_T_BOOL: return "true|false";
  default: return "..";
  }
}

void
gk_cmd_usage (FILE *f, const struct gk_int_call *c)
{
  size_t n = gk_int_count_args (c->args);

  fprintf (f, "usage: %s", c->name);
  for (size_t i = 0; i < n; i++) {
    if (c->args[i].sub == GK_S_KEY) continue;   /* read separately */
    int rest = c->args[i].type == GK_T_STRINGLIST && i == n - 1;
    fprintf (f, " %s%s", c->args[i].name, rest ? "..." : "");
  }
  for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
    fprintf (f, " [%s:%s]", c->optargs[i].name, opt_hint (c->optargs[i].type));
  fputc ('\n', f);
}

/* Print TEXT wrapped at WIDTH columns; blank lines separate paragraphs
 * and are kept, other whitespace is collapsed. */
static void
wrap (FILE *f, const char *text, size_t width)
{
  size_t col = 0;
  const char *p = text;

  while (*p) {
    if (p[0] == '\n' && p[1] == '\n') {
      if (col > 0) fputc ('\n', f);
      fputc ('\n', f);
      col = 0;
      p += strspn (p, "\n");
      continue;
    }
    if (isspace ((unsigned char) *p)) { p++; continue; }
    size_t w = strcspn (p, " \t\n");
    if (col > 0 && col + 1 + w > width) { fputc ('\n', f); col = 0; }
    else if (col > 0) { fputc (' ', f); col++; }
    fwrite (p, 1, w, f);
    col += w;
    p += w;
  }
  if (col > 0) fputc ('\n', f);
}

static int
cmp_call (const void *a, const void *b)
{
  const struct gk_int_call *const *x = a, *const *y = b;
  return strcmp ((*x)->name, (*y)->name);
}

static int
help_list (FILE *out)
{
  size_t n = 0, width = 0;
  while (gk_int_calls[n].name) n++;
  const struct gk_int_call **v = malloc ((n ? n : 1) * sizeof *v);
  if (!v) return -1;
  for (size_t i = 0; i < n; i++) {
    v[i] = &gk_int_calls[i];
    if (strlen (v[i]->name) > width) width = strlen (v[i]->name);
  }
  qsort (v, n, sizeof *v, cmp_call);
  for (size_t i = 0; i < n; i++)
    fprintf (out, "%-*s  %s\n", (int) width, v[i]->name, v[i]->shortdesc);
  free (v);
  return 0;
}

int
gk_cmd_help (FILE *out, const char *name)
{
  if (!name) return help_list (out);

  const struct gk_int_call *c = gk_int_lookup_call (name);
  if (!c) return -1;
  fprintf (out, "%s - %s\n\n", c->name, c->shortdesc);
  gk_cmd_usage (out, c);
  if (c->aliases) fprintf (out, "aliases: %s\n", c->aliases);
  if (c->flags & GK_F_CONFIG)
    fprintf (out, "only before the appliance is launched\n");
  if (c->longdesc && *c->longdesc) {
    fputc ('\n', out);
    wrap (out, c->longdesc, 72);
  }
  if (gk_int_has_key_arg (c)) {
    fputc ('\n', out);
    wrap (out, GK_KEY_NOTE, 72);
  }
  return 0;
}

/* ---- converting words to values --------------------------------------- */

static int
parse_bool (const char *w, int32_t *r)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  for (size_t i = 0; yes[i]; i++)
    if (strcasecmp (w, yes[i]) == 0) { *r = 1; return 0; }
  for (size_t i = 0; no[i]; i++)
    if (strcasecmp (w, no[i]) == 0) { *r = 0; return 0; }
  return -1;
}

/* strtoll base 0 (0755 octal, 0x1f hex), rejecting junk, empty words and
 * values outside [LO, HI]. */
static int
parse_int (const char *w, long long lo, long long hi, long long *r)
{
  char *end;
  errno = 0;
  long long v = strtoll (w, &end, 0);
  if (end == w || *end != '\0' || errno == ERANGE || v < lo || v > hi)
    return -1;
  *r = v;
  return 0;
}

/* A decimal number with guestfish's size suffix, for int64 arguments
 * (disk-create f raw 10M): k K M G T P E, powers of 1024, also with
 * "iB"; with "B" (KB, MB ...) powers of 1000. */
static int
parse_sized (const char *w, long long *r)
{
  static const char units[] = "kKMGTPE";
  char *end;
  errno = 0;
  long long v = strtoll (w, &end, 10);
  const char *u = *end ? strchr (units, *end) : NULL;
  if (end == w || errno == ERANGE || !u) return -1;
  int power = u == units ? 1 : (int) (u - units);
  long long base = 1024;
  if (strcmp (end + 1, "B") == 0) base = 1000;
  else if (end[1] && strcmp (end + 1, "iB") != 0) return -1;
  for (int i = 0; i < power; i++) {
    if (v > LLONG_MAX / base || v < LLONG_MIN / base) return -1;
    v *= base;
  }
  *r = v;
  return 0;
}

/* A string list given as one word is split as guestfish splits it:
 * on spaces and tabs, except inside "..." (where \" and \\ stand for
 * " and \), so that command "sh -c \"echo a b\"" works. */
static char **
split_spaces (const char *w)
{
  struct wlist l = { NULL, 0, 0 };
  if (wl_add (&l, NULL) == -1) return NULL;
  l.n = 0;
  for (const char *p = w + strspn (w, " \t"); *p; p += strspn (p, " \t")) {
    struct sbuf b = { NULL, 0, 0 };
    int err = 0, quoted = 0;
    for (; *p && (quoted || (*p != ' ' && *p != '\t')) && !err; p++) {
      if (*p == '"') { quoted = !quoted; continue; }
      if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
      err = sb_add (&b, *p);
    }
    if (!err && !b.p && !(b.p = strdup (""))) err = -1;
    if (err || wl_add (&l, b.p) == -1) { free (b.p); gk_cmd_free_words (l.w); return NULL; }
  }
  return l.w;
}

static char **
copy_words (char **w, size_t n)
{
  char **r = calloc (n + 1, sizeof *r);
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!(r[i] = strdup (w[i]))) { gk_cmd_free_words (r); return NULL; }
  return r;
}

/* Convert word W for argument A of call C into *V.  On error prints the
 * one-line reason (the caller adds the usage line). */
static int
conv_val (const struct gk_int_call *c, const struct gk_int_arg *a,
          const char *w, union gk_int_val *v, FILE *errf)
{
  long long n;
  const char *expected = NULL;

  switch (a->type) {
  case GK_T_BOOL:
    if (parse_bool (w, &v->i) == -1) expected = "true or false";
    break;
  case GK_T_INT:
    /* guestfish reads every integer with its size suffixes
     * (disk-create clustersize:128K). */
    if (parse_int (w, INT32_MIN, INT32_MAX, &n) == -1
        && (parse_sized (w, &n) == -1 || n < INT32_MIN || n > INT32_MAX))
      expected = "an integer (42, 0755 octal, 0x1f hex, 64K)";
    else v->i = (int32_t) n;
    break;
  case GK_T_INT64:
    if (parse_int (w, INT64_MIN, INT64_MAX, &n) == -1 && parse_sized (w, &n) == -1)
      expected = "a 64 bit integer (42, 0755 octal, 0x1f hex, 10M)";
    else v->i64 = n;
    break;
  case GK_T_STRING:
    if (!(v->s = strdup (w))) goto oom;
    break;
  case GK_T_OPTSTRING:
    /* "NULL" is the only way to say "absent"; '' stays an empty string. */
    if (strcmp (w, "NULL") != 0 && !(v->s = strdup (w))) goto oom;
    break;
  case GK_T_STRINGLIST:
    if (!(v->sl = split_spaces (w))) goto oom;
    break;
  case GK_T_BUFFER:
    v->buf.len = strlen (w);
    if (!(v->buf.data = strdup (w))) goto oom;
    break;
  case GK_T_END:
    break;
  }
  if (expected) {
    errmsg (errf, "%s: %s: expected %s, got '%s'", c->name, a->name, expected, w);
    return -1;
  }
  return 0;
 oom:
  errmsg (errf, "%s: out of memory", c->name);
  return -1;
}

/* Index of optional argument NAME (LEN bytes; '-' matches '_'), or -1. */
static int
find_optarg (const struct gk_int_call *c, const char *name, size_t len)
{
  for (int i = 0; c->optargs[i].type != GK_T_END; i++) {
    const char *o = c->optargs[i].name;
    size_t k;
    if (strlen (o) != len) continue;
    for (k = 0; k < len; k++)
      if (o[k] != name[k] && !(o[k] == '_' && name[k] == '-')) break;
    if (k == len) return i;
  }
  return -1;
}

static int
is_optarg_word (const struct gk_int_call *c, const char *w)
{
  const char *colon = strchr (w, ':');
  return colon && find_optarg (c, w, colon - w) >= 0;
}

static void
list_optargs (FILE *errf, const struct gk_int_call *c)
{
  fprintf (errf, "%s: %s: optional arguments are:", prefix, c->name);
  for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
    fprintf (errf, " %s", c->optargs[i].name);
  fputc ('\n', errf);
}

/* One "name:value" word after the required arguments. */
int
gk_cmd_set_optarg (struct gk_cmd *cmd, const char *w, FILE *errf)
{
  const struct gk_int_call *c = cmd->call;
  const char *colon = strchr (w, ':');
  int i;

  if (!colon || c->optargs[0].type == GK_T_END) {
    errmsg (errf, "%s: too many arguments (from '%s' on)", c->name, w);
    return -1;
  }
  if ((i = find_optarg (c, w, colon - w)) < 0) {
    errmsg (errf, "%s: unknown optional argument '%.*s'", c->name,
            (int) (colon - w), w);
    list_optargs (errf, c);
    return -1;
  }
  if (cmd->opt.bitmask & (UINT64_C (1) << i)) {
    errmsg (errf, "%s: optional argument '%s' given twice", c->name,
            c->optargs[i].name);
    return -1;
  }
  if (conv_val (c, &c->optargs[i], colon + 1, &cmd->opt.v[i], errf) == -1)
    return -1;
  cmd->opt.bitmask |= UINT64_C (1) << i;
  return 0;
}

/* A trailing string list takes every remaining word up to the first
 * optional argument.  At least one word, so that a forgotten argument is
 * a usage error rather than an empty list. */
static int
take_rest (struct gk_cmd *cmd, size_t ai, char **words, size_t *wi,
           FILE *errf)
{
  size_t n = 0;
  while (words[*wi + n] && !is_optarg_word (cmd->call, words[*wi + n])) n++;
  if (n == 0) {
    errmsg (errf, "%s: missing argument '%s'", cmd->call->name,
            cmd->call->args[ai].name);
    return -1;
  }
  /* One word with blanks is a guestfish-style list ("prog a b"). */
  if (n == 1 && strpbrk (words[*wi], " \t"))
    cmd->args[ai].sl = split_spaces (words[*wi]);
  else
    cmd->args[ai].sl = copy_words (words + *wi, n);
  if (!cmd->args[ai].sl) {
    errmsg (errf, "%s: out of memory", cmd->call->name);
    return -1;
  }
  *wi += n;
  return 0;
}

static gk_cmd_key_reader key_reader;

void
gk_cmd_set_key_reader (gk_cmd_key_reader fn)
{
  key_reader = fn;
}

/* A key argument: asked from the reader, never taken from the words
 * (guestfish's rule: secrets stay off command lines and histories). */
static int
read_key_arg (struct gk_cmd *cmd, size_t ai, FILE *errf)
{
  const struct gk_int_call *c = cmd->call;
  char *k = key_reader ? key_reader (c->name, c->args[ai].name) : NULL;
  if (!k) {
    errmsg (errf, "%s: could not read the key '%s'", c->name, c->args[ai].name);
    return -1;
  }
  cmd->args[ai].s = k;
  return 0;
}

static int
parse_args (struct gk_cmd *cmd, char **words, FILE *errf)
{
  const struct gk_int_call *c = cmd->call;
  size_t nargs = gk_int_count_args (c->args);
  size_t wi = 1;

  for (size_t ai = 0; ai < nargs; ai++) {
    if (c->args[ai].sub == GK_S_KEY) {
      if (read_key_arg (cmd, ai, errf) == -1) return -1;
      continue;
    }
    if (c->args[ai].type == GK_T_STRINGLIST && ai == nargs - 1) {
      if (take_rest (cmd, ai, words, &wi, errf) == -1) return -1;
      continue;
    }
    if (!words[wi]) {
      errmsg (errf, "%s: missing argument '%s'", c->name, c->args[ai].name);
      return -1;
    }
    if (conv_val (c, &c->args[ai], words[wi++], &cmd->args[ai], errf) == -1)
      return -1;
  }
  for (; words[wi]; wi++)
    if (gk_cmd_set_optarg (cmd, words[wi], errf) == -1) return -1;
  return 0;
}

int
gk_cmd_parse (char **words, struct gk_cmd *cmd, FILE *errf)
{
  memset (cmd, 0, sizeof *cmd);
  if (!words || !words[0]) {
    errmsg (errf, "empty command");
    return -1;
  }
  cmd->call = gk_int_lookup_call (words[0]);
  if (!cmd->call) {
    gk_cmd_unknown (errf, words[0], NULL);
    return -1;
  }
  /* guestfish's stat and lstat print dev, ino, mode, ..., atime: the
   * statns fields without "st_", seconds only. */
  cmd->old_stat = strcmp (words[0], "stat") == 0 || strcmp (words[0], "lstat") == 0;
  if (parse_args (cmd, words, errf) == -1) {
    gk_cmd_usage (errf, cmd->call);
    gk_cmd_clear (cmd);
    return -1;
  }
  return 0;
}

void
gk_cmd_clear (struct gk_cmd *cmd)
{
  const struct gk_int_call *c = cmd->call;
  if (c) {
    for (size_t i = 0; c->args[i].type != GK_T_END; i++)
      gk_int_free_val (c->args[i].type, &cmd->args[i]);
    for (size_t i = 0; c->optargs[i].type != GK_T_END; i++)
      gk_int_free_val (c->optargs[i].type, &cmd->opt.v[i]);
  }
  memset (cmd, 0, sizeof *cmd);
}

/* ---- running and printing --------------------------------------------- */

/* Guest text, then a newline (escaped on a terminal: escape.h). */
static void
guest_line (FILE *out, const char *s)
{
  gk_esc_guest (out, s ? s : "", s ? strlen (s) : 0);
  fputc ('\n', out);
}

/* A statns field as guestfish's old stat names it ("st_mode" -> "mode",
 * "st_atime_sec" -> "atime"), or NULL to leave it out (nanoseconds). */
static const char *
old_stat_name (const char *f, char buf[GK_CMD_NAME_MAX])
{
  size_t n = strlen (f);
  if (n > 5 && strcmp (f + n - 5, "_nsec") == 0) return NULL;
  if (strncmp (f, "st_", 3) == 0) { f += 3; n -= 3; }
  if (n > 4 && strcmp (f + n - 4, "_sec") == 0) n -= 4;
  snprintf (buf, GK_CMD_NAME_MAX, "%.*s", (int) n, f);
  return buf;
}

static void
print_fields (FILE *out, const struct gk_int_struct *s,
              const struct gk_int_sval *v, const char *indent, int old_stat)
{
  char buf[GK_CMD_NAME_MAX];
  for (size_t i = 0; s->fields[i].type != GK_FT_END; i++) {
    const char *name = s->fields[i].name;
    if (old_stat && !(name = old_stat_name (name, buf))) continue;
    /* All numbers print in decimal, modes included, as guestfish
     * prints them: the tests and scripts compare them as numbers. */
    if (s->fields[i].type == GK_FT_INT64)
      fprintf (out, "%s%s: %" PRId64 "\n", indent, name, v->f[i].i);
    else {
      fprintf (out, "%s%s: ", indent, name);
      guest_line (out, v->f[i].s);
    }
  }
}

static void
print_struct (FILE *out, const struct gk_int_call *c, const union gk_int_val *r,
              int old_stat)
{
  const struct gk_int_struct *s = gk_int_lookup_struct (c->ret_struct);
  if (!s) return;
  if (c->ret == GK_R_STRUCT) {
    if (r->st) print_fields (out, s, r->st, "", old_stat);
    return;
  }
  for (size_t i = 0; r->stl && i < r->stl->len; i++) {
    fprintf (out, "[%zu] = {\n", i);
    print_fields (out, s, &r->stl->val[i], "  ", 0);
    fprintf (out, "}\n");
  }
}

static void
print_ret (FILE *out, const struct gk_int_call *c, const union gk_int_val *r,
           int old_stat)
{
  switch (c->ret) {
  case GK_R_ERR: break;
  case GK_R_INT:
    if (c->flags & GK_F_HEX) fprintf (out, "0x%" PRIx32 "\n", (uint32_t) r->i);
    else fprintf (out, "%" PRId32 "\n", r->i);
    break;
  case GK_R_INT64: fprintf (out, "%" PRId64 "\n", r->i64); break;
  case GK_R_BOOL: fprintf (out, "%s\n", r->i ? "true" : "false"); break;
  case GK_R_STRING: {
    const char *s = r->s ? r->s : "";
    size_t n = strlen (s);
    gk_esc_guest (out, s, n);
    /* gkfish: always a newline, even after one, as guestfish prints
     * strings ("cat" of "a\n" prints "a" and an empty line). */
    if (string_newline || n == 0 || s[n - 1] != '\n') fputc ('\n', out);
    break;
  }
  case GK_R_BUFFER:
    if (r->buf.len) gk_esc_guest (out, r->buf.data, r->buf.len);
    break;
  case GK_R_STRINGLIST:
    /* Pairs print "key: value" a line, as guestfish prints hashes
     * (scripts split them on ':'); an odd last key gets no value. */
    for (size_t i = 0; r->sl && r->sl[i]; i++) {
      if ((c->flags & GK_F_HASH) && r->sl[i + 1]) {
        gk_esc_guest (out, r->sl[i], strlen (r->sl[i]));
        fputs (": ", out);
        i++;
      }
      guest_line (out, r->sl[i]);
    }
    break;
  case GK_R_STRUCT: case GK_R_STRUCTLIST:
    print_struct (out, c, r, old_stat);
    break;
  }
}

int
gk_cmd_exec (gk_h *g, struct gk_cmd *cmd, FILE *out, FILE *errf)
{
  const struct gk_int_call *c = cmd->call;
  union gk_int_val r;

  memset (&r, 0, sizeof r);
  /* Traced when the handle says so (set-trace, gkfish -x) and the
   * program gave a stream (gk_cmd_set_trace). */
  int traced = gk_get_trace (g) == 1;
  if (traced) gk_cmd_trace_call (cmd);
  int e = gk_int_call_generic (g, c, cmd->args, &cmd->opt, &r);
  if (traced) gk_cmd_trace_ret (c, e == 0, &r);
  if (e == -1) {
    /* The library's message already names the call ("mkdir: /a/b: No
     * such file or directory"), so only our prefix goes in front. */
    const char *m = gk_last_error (g);
    if (m && *m) {
      size_t n = strlen (m);
      fprintf (errf, "%s: %s%s", prefix, m, m[n - 1] == '\n' ? "" : "\n");
    }
    else
      errmsg (errf, "%s: failed", c->name);
    /* A failed call returns nothing to free (R was zeroed above and
     * the library does not fill it on error). */
    return -1;
  }
  print_ret (out, c, &r, cmd->old_stat);
  gk_int_free_ret (c, &r);
  return 0;
}

int
gk_cmd_run (gk_h *g, char **words, FILE *out, FILE *errf)
{
  struct gk_cmd cmd;
  if (gk_cmd_parse (words, &cmd, errf) == -1) return -1;
  int r = gk_cmd_exec (g, &cmd, out, errf);
  gk_cmd_clear (&cmd);
  return r;
}
