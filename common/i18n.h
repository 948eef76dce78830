/* Translated messages (issue 18): the text domain "guestkit", looked up
 * with glibc's gettext.  Only format strings and fixed texts are
 * translated, never text from an image or the guest: that is always an
 * argument of the format ("%s"), so a translation cannot change how it
 * is printed (msgfmt --check-format checks the catalogs' formats).
 * Without ENABLE_NLS (./configure --disable-nls) and in the daemon,
 * which runs in the appliance without catalogs, messages stay English. */
#ifndef GK_COMMON_I18N_H
#define GK_COMMON_I18N_H

#if defined ENABLE_NLS && !defined GK_DAEMON
# include <libintl.h>
# include <locale.h>
# include <stdlib.h>
# define GK_TEXTDOMAIN "guestkit"
# define _(s) gk_int_gettext (s)

/* dgettext, never NULL (it is not declared so): under UBSan a possible
 * NULL format makes gcc warn at every printf of a translated format. */
static inline const char *
gk_int_gettext (const char *s)
  __attribute__ ((format_arg (1), returns_nonnull, nonnull (1)));
static inline const char *
gk_int_gettext (const char *s)
{
  const char *t = dgettext (GK_TEXTDOMAIN, s);
  return t ? t : s;
}

/* Where the catalogs are: GUESTKIT_LOCALEDIR (the build tree's, for
 * tests; ignored in set-uid programs), else the installed ones. */
static inline const char *
gk_int_localedir (void)
{
  const char *d = secure_getenv ("GUESTKIT_LOCALEDIR");
  return d && *d ? d : LOCALEDIR;
}

/* For a program's main (): the user's language and character set, and
 * our catalogs.  Only those two categories: numbers and sorting stay as
 * in the C locale, so output scripts parse does not change with LANG. */
static inline void
gk_int_i18n_program (void)
{
  setlocale (LC_CTYPE, "");
  setlocale (LC_MESSAGES, "");
  bindtextdomain (GK_TEXTDOMAIN, gk_int_localedir ());
}
#else
# define _(s) (s)
static inline void gk_int_i18n_program (void) { }
#endif
/* Marks a text for xgettext where it cannot be translated yet (tables). */
#define N_(s) (s)

#endif
