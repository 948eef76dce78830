/* Key arguments and encrypted guests, for gkfish and gkinspector
 * (keys.c): keys read as guestfish reads them, LUKS devices opened
 * before inspection. */
#ifndef GK_FISH_KEYS_H
#define GK_FISH_KEYS_H

#include "guestkit.h"

/* --keys-from-stdin, --echo-keys. */
void gk_keys_set_mode (int from_stdin, int echo);
/* One key, prompted as "Enter key or passphrase ("WHAT"): " on a
 * terminal; malloc'd, NULL at end of input. */
char *gk_keys_read (const char *what);
/* Open every LUKS device of G's drives as /dev/mapper/luks-sdXN, a key
 * read for each, so that inspection sees inside.  0, or -1 after
 * printing "PROG: WHY" to stderr. */
int gk_keys_open_luks (gk_h *g, const char *prog);

#endif
