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
/* --key SELECTOR, as guestfish: ID:key:KEY_STRING or ID:file:FILENAME
 * (the key is the file's first line, without its newline), ID a device
 * (/dev/sda2) or a LUKS UUID; ID:clevis is refused.  The key is kept for
 * gk_keys_open_luks and wiped from SELECTOR (the process's argv, which
 * ps shows).  0, or -1 after printing "PROG: WHY" to stderr (never the
 * key). */
int gk_keys_add_selector (char *selector, const char *prog);
/* Wipe and forget the --key keys. */
void gk_keys_free_selectors (void);
/* Open every LUKS device of G's drives as /dev/mapper/luks-sdXN, so that
 * inspection sees inside: with each --key matching the device's name or
 * UUID in turn, else a key read (gk_keys_read).  0, or -1 after
 * printing "PROG: WHY" to stderr. */
int gk_keys_open_luks (gk_h *g, const char *prog);

#endif
