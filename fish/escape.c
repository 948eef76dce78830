/* guestkit: escaping guest text for terminals (see escape.h). */
#include <stdint.h>
#include <unistd.h>
#include "escape.h"

size_t
gk_esc_utf8_len (const unsigned char *s, size_t avail)
{
  size_t n;
  uint32_t c;
  if (s[0] < 0x80) return 1;
  if ((s[0] & 0xe0) == 0xc0) { n = 2; c = s[0] & 0x1f; }
  else if ((s[0] & 0xf0) == 0xe0) { n = 3; c = s[0] & 0x0f; }
  else if ((s[0] & 0xf8) == 0xf0) { n = 4; c = s[0] & 0x07; }
  else return 0;
  if (n > avail) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;       /* also stops at a NUL */
    c = c << 6 | (s[i] & 0x3f);
  }
  /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
  if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
      || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
    return 0;
  return n;
}

void
gk_esc_write (FILE *f, const char *str, size_t len, int keep_lines)
{
  const unsigned char *s = (const unsigned char *) str, *end = s + len;
  while (s < end) {
    size_t n = gk_esc_utf8_len (s, (size_t) (end - s));
    /* U+0080..U+009F (C2 80..C2 9F) are C1 controls (CSI is U+009B). */
    int c1 = n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
    if (keep_lines && (*s == '\n' || *s == '\t')) fputc (*s++, f);
    else if (n == 0 || *s < 0x20 || *s == 0x7f || c1) {
      for (size_t i = 0; i < (c1 ? 2 : 1); i++) fprintf (f, "\\x%02x", *s++);
    }
    else if (*s == '\\') { fputs ("\\\\", f); s++; }
    else { fwrite (s, 1, n, f); s += n; }
  }
}

void
gk_esc_guest (FILE *f, const char *s, size_t n)
{
  if (isatty (fileno (f))) gk_esc_write (f, s, n, 1);
  else fwrite (s, 1, n, f);
}
