/* guestkit: the table-driven API test runner.
 *
 * Every call of the API table that carries a `tests' script is run here
 * against ONE real appliance, through the same command layer gkfish uses
 * (fish/cmd.c), so a passing run proves both the call and its shell form.
 *
 *   tests/test-api              run every call's tests
 *   tests/test-api mkdir cat    only these calls (names or aliases)
 *
 * Environment: GK_TEST_BACKEND (passed to gk_set_backend; an expected
 * result "$BACKEND" is its name, default qemu; "$CHANNEL" is
 * GUESTKIT_CHANNEL's, default virtio-serial), GK_TEST_VERBOSE=1
 * (print every test line with its time), GK_TEST_TIMEOUT (seconds for the
 * whole run, default 1200: a hang fails instead of blocking CI),
 * GK_TEST_SHAPES=1 (one call of each shape only: see selected()).
 * Exit 0 only if all passed.
 *
 * It also walks the whole table three times for the state each call's
 * flags allow (common/api.h): before launch every call that needs the
 * appliance, after launch every GK_F_CONFIG call, after shutdown every
 * call but the GK_F_ANYSTATE ones must fail, naming itself and the state;
 * and every string argument with choices must refuse a value not among
 * them.
 *
 * GK_TEST_NOOP=1 (a --enable-noop-check build; tests/noop-check.sh):
 * each call is turned into a no-op while its own tests run (the fixture
 * and the other calls stay real), and the verdict is inverted: a call's
 * tests must FAIL then ("CAUGHT"), else they cannot tell whether the call
 * did anything ("MISSED").  Lines expecting an error are skipped then:
 * only what a successful call does counts.
 *
 * The fixture: /dev/sda (256 MiB) holds one MBR partition /dev/sda1 with
 * ext4 mounted at /; /dev/sdb (64 MiB) is blank.  Before each call's tests
 * the fixture is reset (umount-all, deactivate LVs, zero sdb, mkfs sda1,
 * mount) so that no call's tests see another's leftovers.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmd.h"
#include "wire.h"       /* errno names */
#include "exported.h"   /* gk_int_call_generic */

#define GLOBAL_TIMEOUT 1200     /* seconds for the whole run */
#define CANCEL_GRACE 30         /* seconds a cancelled call gets to return */
#define SDA_SIZE (256 << 20)
#define SDB_SIZE (64 << 20)

static char tmpdir[256];
static char sda[300], sdb[300];
static gk_h *g;
static int verbose;
static int noop_mode;
static volatile sig_atomic_t timed_out;
/* The backend's pid (get-pid after launch), for the last-resort kill on
 * timeout: a signal handler cannot call into the handle. */
static volatile pid_t vm_pid;

static const char *const fixture_prepare[] = {
  "part-disk /dev/sda mbr", "mkfs ext4 /dev/sda1", "mount /dev/sda1 /", NULL
};
/* vg-activate-all false: an LVM test may leave LVs active on sdb, which
 * would keep it busy (zero needs it exclusively); it costs nothing when
 * no LV is active.  blockdev-setrw: a failed blockdev test may leave sdb
 * read-only. */
static const char *const fixture_reset[] = {
  "umount-all", "vg-activate-all false", "blockdev-setrw /dev/sdb", "zero /dev/sdb", "mkfs ext4 /dev/sda1", "mount /dev/sda1 /", NULL
};

/* ---- temporary files and the emergency exits -------------------------- */

/* Only async-signal-safe calls: also run from the signal handlers. */
static void
remove_tmp (void)
{
  if (!tmpdir[0]) return;
  unlink (sda);
  unlink (sdb);
  rmdir (tmpdir);
  tmpdir[0] = '\0';
}

static void
say (const char *s)
{
  ssize_t r = write (STDOUT_FILENO, s, strlen (s));
  (void) r;
}

/* The call in flight did not return: kill the appliance ourselves (the
 * handle cannot be closed from a signal handler), clean up and die. */
static void
emergency_exit (int code)
{
  if (vm_pid > 0) kill (vm_pid, SIGKILL);
  remove_tmp ();
  _exit (code);
}

static void
on_alarm (int sig)
{
  if (!timed_out) {
    /* First try the polite way: the call fails with ECANCELED and the
     * main loop stops, closes the handle and reports. */
    timed_out = 1;
    say ("test-api: global timeout reached, cancelling\n");
    if (g) gk_user_cancel (g);
    alarm (CANCEL_GRACE);
    return;
  }
  say ("test-api: cancel did not help, killing the appliance\n");
  emergency_exit (1);
}

static void
on_fatal (int sig)
{
  emergency_exit (128 + sig);
}

static void
install_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction (SIGALRM, &sa, NULL);
  sa.sa_handler = on_fatal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
  const char *t = getenv ("GK_TEST_TIMEOUT");
  alarm (t && atoi (t) > 0 ? (unsigned) atoi (t) : GLOBAL_TIMEOUT);
}

static int
make_image (const char *path, off_t size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd == -1 || ftruncate (fd, size) == -1) {
    fprintf (stderr, "test-api: %s: %s\n", path, strerror (errno));
    if (fd >= 0) close (fd);
    return -1;
  }
  return close (fd);
}

static int
make_images (void)
{
  const char *t = getenv ("TMPDIR");
  snprintf (tmpdir, sizeof tmpdir, "%s/gktest.XXXXXX", t && *t ? t : "/tmp");
  if (!mkdtemp (tmpdir)) {
    fprintf (stderr, "test-api: mkdtemp %s: %s\n", tmpdir, strerror (errno));
    tmpdir[0] = '\0';
    return -1;
  }
  snprintf (sda, sizeof sda, "%s/sda.img", tmpdir);
  snprintf (sdb, sizeof sdb, "%s/sdb.img", tmpdir);
  if (make_image (sda, SDA_SIZE) == -1 || make_image (sdb, SDB_SIZE) == -1)
    return -1;
  return 0;
}

static int64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- running one command ---------------------------------------------- */

struct result {
  int ok;               /* the call succeeded */
  int usage;            /* the line did not even parse: a bug in the test */
  int errnum;           /* gk_last_errno after a failed call */
  char *out, *err;      /* what it printed */
  size_t outlen;
};

static void
free_result (struct result *r)
{
  free (r->out);
  free (r->err);
  memset (r, 0, sizeof *r);
}

/* Run CMDLINE through the command layer, capturing its output. */
static void
run_cmd (const char *cmdline, struct result *r)
{
  char *why = NULL;
  size_t errlen;
  char **words = gk_cmd_split (cmdline, &why);
  FILE *out = open_memstream (&r->out, &r->outlen);
  FILE *errf = open_memstream (&r->err, &errlen);
  struct gk_cmd cmd;

  r->ok = r->usage = 0;
  r->errnum = 0;
  if (!out || !errf) {
    perror ("test-api: open_memstream");
    exit (1);
  }
  if (!words) {
    fprintf (errf, "cannot split: %s", why);
    r->usage = 1;
  }
  else if (!words[0]) {
    fprintf (errf, "empty command");
    r->usage = 1;
  }
  else if (gk_cmd_parse (words, &cmd, errf) == -1)
    r->usage = 1;
  else {
    r->ok = gk_cmd_exec (g, &cmd, out, errf) == 0;
    if (!r->ok) r->errnum = gk_last_errno (g);
    gk_cmd_clear (&cmd);
  }
  fclose (out);
  fclose (errf);
  gk_cmd_free_words (words);
  free (why);
}

/* Run each line of a fixture script; report the first failure. */
static int
run_script (const char *const *lines)
{
  for (size_t i = 0; lines[i]; i++) {
    struct result r = { 0 };
    int64_t t0 = now_us ();
    run_cmd (lines[i], &r);
    if (verbose)
      printf ("  . %s (%" PRId64 " ms)\n", lines[i], (now_us () - t0) / 1000);
    if (!r.ok) {
      fprintf (stdout, "test-api: fixture: %s: %s", lines[i], r.err);
      free_result (&r);
      return -1;
    }
    free_result (&r);
  }
  return 0;
}

/* ---- checking one test line ------------------------------------------- */

enum op { OP_PLAIN, OP_EQ, OP_ERR, OP_SUB, OP_NE, OP_LT, OP_GT, OP_RE, OP_SET };

/* Split "CMD => EXPECTED" (or another separator, see common/api.h) in
 * place.  A line that ends with the separator minus its trailing blank
 * ("mounts =>") also counts, in case an editor trimmed it. */
static enum op
split_test (char *line, char **expected)
{
  static const struct { const char *s; enum op op; } seps[] = {
    { " => ", OP_EQ }, { " =! ", OP_ERR }, { " =~ ", OP_SUB }, { " =ne ", OP_NE },
    { " =lt ", OP_LT }, { " =gt ", OP_GT }, { " =re ", OP_RE }, { " -> ", OP_SET },
  };
  char *best = NULL;
  size_t bestlen = 0;
  enum op op = OP_PLAIN;
  size_t len = strlen (line);

  for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
    size_t n = strlen (seps[i].s);
    char *p = strstr (line, seps[i].s);
    if (!p && len >= n - 1 && strncmp (line + len - (n - 1), seps[i].s, n - 1) == 0)
      p = line + len - (n - 1);
    if (p && (!best || p < best)) { best = p; bestlen = n; op = seps[i].op; }
  }
  if (!best) { *expected = line + len; return OP_PLAIN; }
  *best = '\0';
  *expected = best[bestlen - 1] ? best + bestlen : best + bestlen - 1;
  return op;
}

/* ---- variables: "CMD -> name" keeps the output, "$name" uses it -------- */

#define MAX_VARS 16
struct var { char name[32]; char *value; };
static struct var vars[MAX_VARS];

static void
clear_vars (void)
{
  for (size_t i = 0; i < MAX_VARS; i++) { free (vars[i].value); vars[i].value = NULL; vars[i].name[0] = '\0'; }
}

static int
set_var (const char *name, const char *value)
{
  size_t i;
  for (i = 0; i < MAX_VARS && vars[i].name[0] && strcmp (vars[i].name, name) != 0; i++)
    ;
  if (i == MAX_VARS || strlen (name) >= sizeof vars[i].name || !name[0]) return -1;
  free (vars[i].value);
  snprintf (vars[i].name, sizeof vars[i].name, "%s", name);
  return (vars[i].value = strdup (value)) ? 0 : -1;
}

/* Key arguments (GK_S_KEY, not words of a command): the value of the
 * variable "key" (set with "echo-daemon WORD -> key"). */
static const char *
key_var (void)
{
  for (size_t i = 0; i < MAX_VARS && vars[i].name[0]; i++)
    if (strcmp (vars[i].name, "key") == 0) return vars[i].value;
  return NULL;
}

static char *
test_key_reader (const char *call, const char *arg)
{
  (void) call; (void) arg;
  const char *k = key_var ();
  return k ? strdup (k) : NULL;
}

/* A copy of S with each "$name" of a set variable replaced by its value;
 * anything else ("$BACKEND", "$(...)") is left as it is. */
static char *
expand_vars (const char *s)
{
  char *r = NULL;
  size_t n = 0;
  FILE *f = open_memstream (&r, &n);
  if (!f) return NULL;
  while (*s) {
    size_t w = *s == '$' ? strspn (s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") : 0;
    const char *v = NULL;
    for (size_t i = 0; w && i < MAX_VARS && vars[i].name[0]; i++)
      if (strlen (vars[i].name) == w && strncmp (vars[i].name, s + 1, w) == 0) v = vars[i].value;
    if (v) { fputs (v, f); s += w + 1; }
    else fputc (*s++, f);
  }
  fclose (f);
  return r;
}

/* Output that is exactly one integer, else -1 with *ok = 0. */
static int64_t
as_number (const char *s, int *ok)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  *ok = *s && !errno && end != s && *end == '\0';
  return v;
}

/* Expected text uses \n (and \t, \\) escapes for what the output has. */
static void
unescape (char *s)
{
  char *d = s;
  for (; *s; s++) {
    if (*s == '\\' && (s[1] == 'n' || s[1] == 't' || s[1] == '\\')) {
      s++;
      *d++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : '\\';
    }
    else
      *d++ = *s;
  }
  *d = '\0';
}

/* A one-line, bounded rendering of output for a FAIL line. */
static char *
show (const char *s, size_t n)
{
  size_t cap = 4 * (n < 300 ? n : 300) + 8;
  char *r = malloc (cap), *d = r;
  if (!r) return NULL;
  *d++ = '\'';
  for (size_t i = 0; i < n && i < 300; i++) {
    unsigned char ch = s[i];
    if (ch == '\n') { *d++ = '\\'; *d++ = 'n'; }
    else if (ch < 32 || ch >= 127) d += sprintf (d, "\\x%02x", ch);
    else *d++ = ch;
  }
  if (n > 300) d += sprintf (d, "...");
  *d++ = '\'';
  *d = '\0';
  return r;
}

/* The first line of an error message, without its prefix noise. */
static char *
first_line (const char *s)
{
  return strndup (s ? s : "", strcspn (s ? s : "", "\n"));
}

/* Compare the result of a test line with what it asserts.  Returns NULL
 * if it holds, else a malloc'd description of what went wrong. */
static char *
judge (enum op op, const char *expected, struct result *r)
{
  char *why = NULL, *got = NULL, *msg = first_line (r->err);

  if (r->usage) {
    if (asprintf (&why, "bad test line: %s", msg) == -1) why = NULL;
    free (msg);
    return why;
  }
  /* Compare with one trailing newline stripped. */
  size_t n = r->outlen;
  if (n > 0 && r->out[n - 1] == '\n') r->out[--n] = '\0';
  got = show (r->out, n);

  int e = op == OP_ERR ? gk_int_errno_from_name (expected) : 0;
  int rc = 0;
  if (op == OP_ERR && strcmp (gk_int_errno_name (e), expected) != 0)
    rc = asprintf (&why, "unknown errno name '%s' in the test", expected);
  else if (op == OP_ERR && r->ok)
    rc = asprintf (&why, "expected failure with %s, got success, output %s",
                   expected, got);
  else if (op == OP_ERR && r->errnum != e)
    rc = asprintf (&why, "expected errno %s, got %s (%s)", expected,
                   r->errnum ? gk_int_errno_name (r->errnum) : "none", msg);
  else if (op != OP_ERR && !r->ok)
    rc = asprintf (&why, "failed: %s", msg);
  else if (op == OP_EQ && strcmp (r->out, expected) != 0)
    rc = asprintf (&why, "got %s", got);
  else if (op == OP_SUB && !strstr (r->out, expected))
    rc = asprintf (&why, "output does not contain '%s': got %s", expected, got);
  else if (op == OP_NE && strcmp (r->out, expected) == 0)
    rc = asprintf (&why, "got %s, which it must not be", got);
  else if (op == OP_LT || op == OP_GT) {
    int ok1, ok2;
    int64_t a = as_number (r->out, &ok1), b = as_number (expected, &ok2);
    if (!ok2)
      rc = asprintf (&why, "'%s' is not a number", expected);
    else if (!ok1 || (op == OP_LT ? !(a < b) : !(a > b)))
      rc = asprintf (&why, "expected a number %s %s, got %s", op == OP_LT ? "<" : ">",
                     expected, got);
  }
  else if (op == OP_RE) {
    regex_t re;
    if (regcomp (&re, expected, REG_EXTENDED | REG_NOSUB) != 0)
      rc = asprintf (&why, "bad regular expression '%s' in the test", expected);
    else {
      if (regexec (&re, r->out, 0, NULL, 0) != 0)
        rc = asprintf (&why, "output does not match /%s/: got %s", expected, got);
      regfree (&re);
    }
  }
  else if (op == OP_SET && set_var (expected, r->out) == -1)
    rc = asprintf (&why, "cannot keep the output in variable '%s'", expected);
  if (rc == -1) why = strdup ("out of memory");
  free (got);
  free (msg);
  return why;
}

/* Run one test line; NULL if it passed, else the reason. */
static char *
check_line (const char *line)
{
  char *copy = expand_vars (line), *expected;
  if (!copy) return strdup ("out of memory");
  enum op op = split_test (copy, &expected);
  unescape (expected);
  /* "$BACKEND": the backend under test (the same tests run on each). */
  char be[32];
  if (strcmp (expected, "$BACKEND") == 0) {
    const char *e = getenv ("GK_TEST_BACKEND");
    if (!e || !*e) e = "qemu";
    snprintf (be, sizeof be, "%.*s", (int) strcspn (e, ":"), e);
    expected = be;
  }
  /* "$CHANNEL": the control channel under test (GUESTKIT_CHANNEL;
   * tests/test-api-serial.sh), always serial on UML. */
  if (strcmp (expected, "$CHANNEL") == 0) {
    const char *e = getenv ("GUESTKIT_CHANNEL"), *b = getenv ("GK_TEST_BACKEND");
    expected = (char *) (b && strncmp (b, "uml", 3) == 0 ? "serial"
                         : e && *e ? e : "virtio-serial");
  }
  /* "$SNAPSHOT": whether launch restores (GUESTKIT_SNAPSHOT; the cold
   * boot run of tests/test-api-cold.sh sets it to 0). */
  if (strcmp (expected, "$SNAPSHOT") == 0) {
    const char *e = getenv ("GUESTKIT_SNAPSHOT");
    expected = (char *) (e && (strcmp (e, "0") == 0 || strcasecmp (e, "no") == 0
                               || strcasecmp (e, "false") == 0 || strcasecmp (e, "off") == 0)
                         ? "false" : "true");
  }

  struct result r = { 0 };
  int64_t t0 = now_us ();
  run_cmd (copy, &r);
  if (verbose)
    printf ("  + %s (%" PRId64 " ms)\n", line, (now_us () - t0) / 1000);
  /* Keys are secrets: no message may repeat one. */
  const char *k = key_var ();
  char *why = k && *k && r.err && strstr (r.err, k)
    ? strdup ("the error message reveals the key") : judge (op, expected, &r);
  free_result (&r);
  free (copy);
  return why;
}

/* ---- the run ---------------------------------------------------------- */

struct stats {
  int passed, failed, skipped;
  int resets;
  int64_t reset_us;
  int broken;           /* the fixture could not be reset: stop */
};

/* Run all lines of call C's tests; print PASS/FAIL. */
static void
test_call (const struct gk_int_call *c, struct stats *st)
{
  int64_t t0 = now_us ();
  if (run_script (fixture_reset) == -1) {
    printf ("FAIL %s: fixture reset failed\n", c->name);
    st->failed++;
    st->broken = 1;
    return;
  }
  st->reset_us += now_us () - t0;
  st->resets++;

  char *tests = strdup (c->tests), *save = NULL, *why = NULL;
  const char *bad = NULL;
  if (noop_mode) setenv ("GK_NOOP_CALL", c->name, 1);
  for (char *line = strtok_r (tests, "\n", &save); line && !why;
       line = strtok_r (NULL, "\n", &save)) {
    /* A no-op "succeeds", so an expected error would catch it without
     * proving anything about what the call does when it works. */
    if (noop_mode && strstr (line, " =! ")) continue;
    why = check_line (line);
    bad = line;
  }
  unsetenv ("GK_NOOP_CALL");
  clear_vars ();
  if (noop_mode && why) {
    printf ("CAUGHT %s: %s: %s\n", c->name, bad, why);
    st->passed++;
  }
  else if (noop_mode) {
    printf ("MISSED %s: its tests pass when it does nothing\n", c->name);
    st->failed++;
  }
  else if (why) {
    printf ("FAIL %s: %s: %s\n", c->name, bad, why);
    st->failed++;
  }
  else {
    printf ("PASS %s\n", c->name);
    st->passed++;
  }
  free (why);
  free (tests);
}

/* GK_TEST_SHAPES=1 (the runs that repeat the table on another channel,
 * boot path or backend: tests/test-api-serial.sh, -cold.sh, -libvirt.sh):
 * only the first tested call of each shape: its return type (and struct),
 * the set of its argument types, whether it streams a host file in or out
 * or reads a key, the types of its optional arguments, and the flags that
 * change how it travels.  What differs between those runs is how calls
 * are carried, not what the daemon does with them, so one call of each
 * shape (83 of 292) covers every encoding and transfer path in a third of
 * the time; the plain run (tests/test-api) keeps testing every call. */
static void
shape_of (const struct gk_int_call *c, char *buf, size_t n)
{
  unsigned args = 0, opts = 0;
  for (size_t i = 0; c->args[i].type != GK_T_END; i++) {
    args |= 1u << c->args[i].type;
    if (c->args[i].sub == GK_S_FILEIN || c->args[i].sub == GK_S_FILEOUT || c->args[i].sub == GK_S_KEY)
      args |= 1u << (16 + c->args[i].sub);
  }
  for (size_t i = 0; c->optargs[i].type != GK_T_END; i++) opts |= 1u << c->optargs[i].type;
  snprintf (buf, n, "%d %s %x %x %x", (int) c->ret, c->ret_struct ? c->ret_struct : "",
            c->flags & (GK_F_LOCAL | GK_F_PROGRESS | GK_F_HASH | GK_F_HEX), args, opts);
}

static int
first_of_shape (const struct gk_int_call *c)
{
  char mine[256], other[256];
  shape_of (c, mine, sizeof mine);
  for (size_t i = 0; &gk_int_calls[i] != c; i++) {
    const struct gk_int_call *o = &gk_int_calls[i];
    if (!o->tests || (o->flags & GK_F_CONFIG)) continue;
    shape_of (o, other, sizeof other);
    if (strcmp (mine, other) == 0) return 0;
  }
  return 1;
}

static int
selected (const struct gk_int_call *c, int argc, char **argv)
{
  if (argc < 2) {
    const char *e = getenv ("GK_TEST_SHAPES");
    return !(e && strcmp (e, "1") == 0) || (c->flags & GK_F_CONFIG) || first_of_shape (c);
  }
  for (int i = 1; i < argc; i++)
    if (gk_int_lookup_call (argv[i]) == c) return 1;
  return 0;
}

/* ---- the state each call's table flags allow --------------------------- */

/* Which calls a state refuses: those flagged GK_F_CONFIG (after launch),
 * those that need the appliance (before launch), or every call but the
 * GK_F_ANYSTATE ones (after shutdown). */
enum refused { REFUSED_CONFIG, REFUSED_NEED_APPLIANCE, REFUSED_ALL };

/* Harmless values of every type (the state check comes first anyway). */
static void
dummy_args (const struct gk_int_call *c, union gk_int_val *a)
{
  static char *empty[] = { NULL };
  memset (a, 0, GK_MAX_ARGS * sizeof *a);
  for (size_t k = 0; c->args[k].type != GK_T_END; k++)
    if (c->args[k].type == GK_T_STRING || c->args[k].type == GK_T_OPTSTRING)
      a[k].s = (char *) "/gk-state-check";
    else if (c->args[k].type == GK_T_STRINGLIST)
      a[k].sl = empty;
}

/* Every call of the table that the handle's state refuses (WHICH) must
 * fail with EINVAL and a message "NAME: ..." containing TEXT.  One PASS or
 * FAIL for the lot; a FAIL line for each call that did not. */
static void
check_refused (const char *when, enum refused which, const char *text, struct stats *st)
{
  int n = 0, bad = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    int config = (c->flags & GK_F_CONFIG) != 0;
    if ((c->flags & GK_F_ANYSTATE) || (which == REFUSED_CONFIG && !config)
        || (which == REFUSED_NEED_APPLIANCE && config))
      continue;
    union gk_int_val a[GK_MAX_ARGS], r;
    struct gk_int_optvals o;
    memset (&o, 0, sizeof o);
    dummy_args (c, a);
    int rc = gk_int_call_generic (g, c, a, &o, &r);
    if (rc == 0) gk_int_free_ret (c, &r);
    const char *e = gk_last_error (g);
    size_t nl = strlen (c->name);
    n++;
    if (rc == 0 || gk_last_errno (g) != EINVAL || !e || strncmp (e, c->name, nl) != 0
        || strncmp (e + nl, ": ", 2) != 0 || !strstr (e, text)) {
      printf ("FAIL %s %s: %s\n", c->name, when,
              rc == 0 ? "succeeded" : e ? e : "(no message)");
      bad++;
    }
  }
  if (bad || n == 0) {
    printf ("FAIL %d of %d calls not refused %s\n", bad, n, when);
    st->failed++;
  }
  else {
    printf ("PASS all %d calls refused %s (\"%s\")\n", n, when, text);
    st->passed++;
  }
}

/* Every string argument with choices in the table refuses a value not
 * among them, naming the call and the argument; only the calls the
 * current state allows (LAUNCHED: after launch) are tried, the others'
 * choice arguments get their first choice. */
static void
check_choices (int launched, struct stats *st)
{
  static const char bad_value[] = "gk-not-a-choice";
  int n = 0, bad = 0;
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    int config = (c->flags & GK_F_CONFIG) != 0;
    int allowed = (c->flags & GK_F_ANYSTATE) || (launched ? !config : config);
    for (size_t t = 0; allowed && t < GK_MAX_ARGS + GK_MAX_OPTARGS; t++) {
      int opt = t >= GK_MAX_ARGS;
      size_t k = opt ? t - GK_MAX_ARGS : t;
      const struct gk_int_arg *d = opt ? &c->optargs[k] : &c->args[k];
      if (k >= gk_int_count_args (opt ? c->optargs : c->args) || !d->choices) continue;
      union gk_int_val a[GK_MAX_ARGS], r;
      struct gk_int_optvals o;
      char first[8][64];
      memset (&o, 0, sizeof o);
      dummy_args (c, a);
      for (size_t j = 0; c->args[j].type != GK_T_END; j++)
        if (c->args[j].choices) {
          snprintf (first[j], sizeof first[j], "%.*s", (int) strcspn (c->args[j].choices, " "),
                    c->args[j].choices);
          a[j].s = first[j];
        }
      if (opt) { o.bitmask = UINT64_C (1) << k; o.v[k].s = (char *) bad_value; }
      else a[k].s = (char *) bad_value;
      int rc = gk_int_call_generic (g, c, a, &o, &r);
      if (rc == 0) gk_int_free_ret (c, &r);
      char want[160];
      snprintf (want, sizeof want, "%s: unknown %s '%s' (valid: ", c->name, d->name, bad_value);
      const char *e = gk_last_error (g);
      n++;
      if (rc == 0 || gk_last_errno (g) != EINVAL || !e || strncmp (e, want, strlen (want)) != 0) {
        printf ("FAIL %s %s %s: %s\n", c->name, d->name, bad_value,
                rc == 0 ? "succeeded" : e ? e : "(no message)");
        bad++;
      }
    }
  }
  if (n == 0 && launched) return;     /* (today only local calls have choices) */
  if (bad || n == 0) {
    printf ("FAIL %d of %d choice arguments took a value not in the table\n", bad, n);
    st->failed++;
  }
  else {
    printf ("PASS all %d choice arguments %s refuse a value not in the table\n", n,
            launched ? "after launch" : "before launch");
    st->passed++;
  }
}

/* The review's case: a public setter after launch, not just the generic
 * path gkfish uses. */
static void
check_public_config_refused (struct stats *st)
{
  const char *e;
  if (gk_set_datapath (g, "serial") == -1 && (e = gk_last_error (g))
      && strstr (e, "set-datapath: only allowed before launch (the appliance is running)")) {
    printf ("PASS gk_set_datapath after launch fails: %s\n", e);
    st->passed++;
  }
  else {
    printf ("FAIL gk_set_datapath after launch: %s\n", gk_last_error (g));
    st->failed++;
  }
}

static int
check_filter (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!gk_int_lookup_call (argv[i])) {
      gk_cmd_unknown (stderr, argv[i], NULL);
      return -1;
    }
  return 0;
}

static int
launch (struct stats *st)
{
  const char *be = getenv ("GK_TEST_BACKEND");
  int64_t t0 = now_us ();

  if (!(g = gk_create ())) {
    fprintf (stderr, "test-api: gk_create failed\n");
    return -1;
  }
  if ((be && *be && gk_set_backend (g, be) == -1)
      || gk_add_drive (g, sda, NULL) == -1 || gk_add_drive (g, sdb, NULL) == -1) {
    fprintf (stderr, "test-api: %s\n", gk_last_error (g));
    return -1;
  }
  if (!noop_mode) {
    check_refused ("before launch", REFUSED_NEED_APPLIANCE,
                   "call launch before using the appliance", st);
    check_choices (0, st);
  }
  if (gk_launch (g) == -1) {
    fprintf (stderr, "test-api: %s\n", gk_last_error (g));
    return -1;
  }
  vm_pid = gk_get_pid (g);
  printf ("test-api: launched in %" PRId64 " ms\n", (now_us () - t0) / 1000);
  return 0;
}

static void
run_all (int argc, char **argv, struct stats *st)
{
  for (size_t i = 0; gk_int_calls[i].name; i++) {
    const struct gk_int_call *c = &gk_int_calls[i];
    if (!c->tests || !selected (c, argc, argv)) continue;
    if (c->flags & GK_F_CONFIG) {
      printf ("SKIP %s (only before launch)\n", c->name);
      st->skipped++;
    }
    else if (st->broken || timed_out) {
      printf ("FAIL %s: not run (%s)\n", c->name,
              timed_out ? "global timeout" : "fixture broken");
      st->failed++;
    }
    else
      test_call (c, st);
  }
}

int
main (int argc, char **argv)
{
  struct stats st = { 0 };
  int ok = 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  gk_cmd_set_prefix ("test-api");
  gk_cmd_set_key_reader (test_key_reader);
  verbose = getenv ("GK_TEST_VERBOSE") && *getenv ("GK_TEST_VERBOSE") == '1';
  noop_mode = getenv ("GK_TEST_NOOP") && *getenv ("GK_TEST_NOOP") == '1';
  if (check_filter (argc, argv) == -1) return 2;
  install_signals ();
  atexit (remove_tmp);

  if (make_images () == 0 && launch (&st) == 0
      && run_script (fixture_prepare) == 0) {
    if (!noop_mode) {
      check_refused ("after launch", REFUSED_CONFIG,
                     "only allowed before launch (the appliance is running)", &st);
      check_public_config_refused (&st);
      check_choices (1, &st);
    }
    run_all (argc, argv, &st);
    ok = 1;
    /* The appliance must stop by itself (sync, the daemon exits, the VM
     * ends) on every backend and channel: a serial line has no hangup. */
    if (!timed_out && gk_shutdown (g) == 0) { printf ("PASS shutdown\n"); st.passed++; }
    else { printf ("FAIL shutdown: %s\n", gk_last_error (g)); st.failed++; }
    if (!noop_mode) check_refused ("after shutdown", REFUSED_ALL, "shut down", &st);
  }
  else {
    /* Count it, so that a summary of all test programs shows it. */
    printf ("FAIL (setup): no appliance or fixture, no call was tested\n");
    st.failed++;
  }
  if (st.resets)
    printf ("test-api: %d fixture resets, %" PRId64 " ms each on average\n",
            st.resets, st.reset_us / st.resets / 1000);
  if (st.skipped) printf ("%d skipped\n", st.skipped);
  printf ("%d passed, %d failed\n", st.passed, st.failed);
  vm_pid = 0;
  if (g) gk_close (g);
  g = NULL;
  remove_tmp ();
  return ok && st.failed == 0 && !timed_out ? 0 : 1;
}
