/* guestkit: guest text shown to people (gkfish, gkinspector).  A guest
 * string may hold terminal escapes that move the cursor, retitle the
 * window or forge lines: written to a terminal it is escaped. */
#ifndef GK_FISH_ESCAPE_H
#define GK_FISH_ESCAPE_H
#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at S (1-4), or 0 if invalid (a NUL
 * inside a sequence makes it invalid). */
size_t gk_esc_utf8_len (const unsigned char *s, size_t n);

/* Write N bytes of S to F with control characters (C0, DEL and C1),
 * invalid UTF-8 and NUL as \xNN and a backslash as \\.  KEEP_LINES: a
 * newline and a tab go through as they are. */
void gk_esc_write (FILE *f, const char *s, size_t n, int keep_lines);

/* Guest text to F: escaped (lines kept) if F is a terminal, else the
 * bytes unchanged (scripts pipe binary files through gkfish). */
void gk_esc_guest (FILE *f, const char *s, size_t n);
#endif
