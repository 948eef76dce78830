/* gkfish: guestfish's event handlers: "event NAME EVENTS SCRIPT",
 * "list-events", "delete-event NAME".  A handler runs SCRIPT with the
 * host's shell, $EVENT the event's name and the event's text (the call
 * name of "enter", a trace line) as "$@"; its output goes where the
 * command's output goes (to a --remote client too).  The shell fires:
 * close (gkfish ends or reopen), subprocess_quit (the appliance stopped:
 * shutdown, kill-subprocess), launch_done, enter (a call begins) and
 * trace (a trace line, with set-trace on).  Handlers belong to the
 * handle: reopen drops them, as guestfish does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gkfish.h"
#include "grow.h"

static const char *const names[] = {
  "close", "subprocess_quit", "launch_done", "progress", "appliance",
  "library", "trace", "enter", "libvirt_auth", "warning", NULL
};
#define ALL_EVENTS ((1u << 10) - 1)

struct handler { char *name, *script; unsigned mask; int id; };
static struct handler *hs;
static size_t nr, cap;
static int next_id;
static int firing;              /* no events from inside a handler */

/* "close,launch" → bits; "*" all.  -1 (message printed) if unknown. */
static int
parse_mask (const char *s, unsigned *mask)
{
  *mask = 0;
  if (strcmp (s, "*") == 0) { *mask = ALL_EVENTS; return 0; }
  const char *p = s;
  while (*p) {
    size_t n = strcspn (p, ",");
    size_t i;
    for (i = 0; names[i]; i++)
      if ((strlen (names[i]) == n && strncmp (p, names[i], n) == 0)
          || (i == 2 && n == 6 && strncmp (p, "launch", 6) == 0))
        break;
    if (!names[i] || n == 0) {
      gk_fish_fail ("event: unknown event '%.*s' (valid: * or a comma list of "
                    "close, subprocess_quit, launch_done, progress, appliance, "
                    "library, trace, enter, libvirt_auth, warning)", (int) n, p);
      return -1;
    }
    *mask |= 1u << i;
    p += n + (p[n] == ',');
  }
  return 0;
}

int
gk_fish_bi_event (struct shell *sh, char **words)
{
  (void) sh;
  unsigned mask;
  if (!words[1] || !words[2] || !words[3] || words[4]) {
    gk_fish_fail ("event: expected three arguments\nusage: event NAME EVENTS SCRIPT");
    return CMD_ERROR;
  }
  if (parse_mask (words[2], &mask) == -1) return CMD_ERROR;
  if (gk_int_grow ((void **) &hs, &cap, nr + 1, sizeof *hs, 4) == -1) goto oom;
  struct handler h = { strdup (words[1]), strdup (words[3]), mask, next_id };
  if (!h.name || !h.script) { free (h.name); free (h.script); goto oom; }
  hs[nr++] = h;
  next_id++;
  return CMD_OK;
 oom:
  gk_fish_fail ("event: out of memory");
  return CMD_ERROR;
}

int
gk_fish_bi_list_events (struct shell *sh, char **words)
{
  (void) sh;
  if (words[1]) {
    gk_fish_fail ("list-events: too many arguments\nusage: list-events");
    return CMD_ERROR;
  }
  for (size_t i = 0; i < nr; i++) {
    printf ("\"%s\" (%d): ", hs[i].name, hs[i].id);
    if (hs[i].mask == ALL_EVENTS) fputc ('*', stdout);
    else
      for (size_t b = 0, first = 1; names[b]; b++)
        if (hs[i].mask & (1u << b)) { printf ("%s%s", first ? "" : ",", names[b]); first = 0; }
    printf (": %s\n", hs[i].script);
  }
  return CMD_OK;
}

int
gk_fish_bi_delete_event (struct shell *sh, char **words)
{
  (void) sh;
  if (!words[1] || words[2]) {
    gk_fish_fail ("delete-event: expected one argument\nusage: delete-event NAME");
    return CMD_ERROR;
  }
  size_t k = 0, before = nr;
  for (size_t i = 0; i < nr; i++) {
    if (strcmp (hs[i].name, words[1]) == 0) { free (hs[i].name); free (hs[i].script); }
    else hs[k++] = hs[i];
  }
  nr = k;
  if (nr == before) {
    gk_fish_fail ("delete-event: %s: no event handler of that name", words[1]);
    return CMD_ERROR;
  }
  return CMD_OK;
}

void
gk_fish_events_clear (void)
{
  for (size_t i = 0; i < nr; i++) { free (hs[i].name); free (hs[i].script); }
  free (hs);
  hs = NULL;
  nr = cap = 0;
  next_id = 0;
}

int
gk_fish_events_wanted (enum gk_fish_event ev)
{
  for (size_t i = 0; i < nr; i++)
    if (hs[i].mask & (1u << ev)) return 1;
  return 0;
}

/* "set -- 'TEXT'; SCRIPT": TEXT one quoted word, nothing in it is shell
 * syntax. */
static char *
command (const char *script, const char *text)
{
  char *q = text ? gk_fish_shell_quote (text) : strdup ("");
  char *c = NULL;
  if (q && asprintf (&c, "set -- %s; %s", q, script) == -1) c = NULL;
  free (q);
  return c;
}

void
gk_fish_events_fire (enum gk_fish_event ev, const char *text)
{
  if (firing || !gk_fish_events_wanted (ev)) return;
  firing = 1;
  setenv ("EVENT", names[ev], 1);
  for (size_t i = 0; i < nr; i++) {
    if (!(hs[i].mask & (1u << ev))) continue;
    char *c = command (hs[i].script, text);
    /* system(), not gk_fish_system: a handler's exit status is not
     * reported, as in guestfish (a handler may well end with false). */
    fflush (stdout);
    fflush (stderr);
    if (c && system (c) == -1) gk_fish_fail ("event %s: %s", hs[i].name, strerror (errno));
    free (c);
  }
  unsetenv ("EVENT");
  firing = 0;
}
