/* guestkit fuzz harnesses: what every harness shares.
 *
 * Each harness is a libFuzzer target (LLVMFuzzerTestOneInput) built by
 * fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined.  Besides
 * "no crash", each one checks properties the decoder must have; a broken
 * property aborts with a message, which libFuzzer reports as a crash and
 * saves the input.
 */
#ifndef GK_FUZZ_H
#define GK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond, ...) do {                                   \
    if (!(cond)) {                                                    \
      fprintf (stderr, "%s:%d: property broken: %s: ", __FILE__,      \
               __LINE__, #cond);                                      \
      fprintf (stderr, __VA_ARGS__);                                  \
      fputc ('\n', stderr);                                           \
      abort ();                                                       \
    }                                                                 \
  } while (0)

/* A copy of DATA in its own allocation of exactly SIZE bytes (at least
 * one), so ASan sees any read past the end. */
static inline char *
fuzz_exact (const uint8_t *data, size_t size)
{
  char *p = malloc (size ? size : 1);
  if (!p) abort ();
  if (size) memcpy (p, data, size);
  return p;
}

/* The same plus a terminating NUL (for the parsers of C strings). */
static inline char *
fuzz_cstr (const uint8_t *data, size_t size)
{
  char *p = malloc (size + 1);
  if (!p) abort ();
  if (size) memcpy (p, data, size);
  p[size] = '\0';
  return p;
}

/* 1 if S is NUL-terminated within N bytes. */
static inline int
fuzz_terminated (const char *s, size_t n)
{
  return memchr (s, '\0', n) != NULL;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
