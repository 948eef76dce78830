/* guestkit: the API description types.
 *
 * One table (common/api-*.c) describes every call.  The generator
 * (generator/gen.c) reads it to write the public prototypes, library stubs,
 * daemon dispatch and docs; the library, the daemon and gkfish also link
 * the table itself so encoding, validation and help need no generated code.
 */
#ifndef GK_COMMON_API_H
#define GK_COMMON_API_H

#include <stddef.h>
#include <stdint.h>

/* Argument types. */
enum gk_int_type {
  GK_T_END = 0,       /* terminates an argument list */
  GK_T_BOOL,          /* int, 0 or 1 */
  GK_T_INT,           /* int (32 bit on the wire) */
  GK_T_INT64,         /* int64_t */
  GK_T_STRING,        /* const char *, never NULL */
  GK_T_OPTSTRING,     /* const char *, may be NULL */
  GK_T_STRINGLIST,    /* char *const *, NULL-terminated */
  GK_T_BUFFER,        /* const char *, size_t (two C parameters) */
};

/* What a string argument means; the daemon validates by subtype. */
enum gk_int_sub {
  GK_S_PLAIN = 0,
  GK_S_DEVICE,        /* /dev/sdX or /dev/sdXN, translated in the daemon */
  GK_S_MOUNTABLE,     /* a device that may hold a filesystem */
  GK_S_PATHNAME,      /* absolute guest path, resolved inside the sysroot */
  GK_S_FILEIN,        /* local host file streamed to the daemon (not sent) */
  GK_S_FILEOUT,       /* local host file the daemon streams to (not sent) */
  GK_S_KEY,           /* a secret (LUKS passphrase): never logged or put in a
                       * message; gkfish reads it from the tty or stdin, not
                       * from the command line, as guestfish does */
};

/* Return types. */
enum gk_int_ret {
  GK_R_ERR = 0,       /* int: 0 or -1 */
  GK_R_INT,           /* int, -1 on error */
  GK_R_INT64,         /* int64_t, -1 on error */
  GK_R_BOOL,          /* int: 0, 1, or -1 on error */
  GK_R_STRING,        /* char *, caller frees; NULL on error */
  GK_R_STRINGLIST,    /* char **, NULL-terminated, caller frees */
  GK_R_STRUCT,        /* struct gk_<s> *, caller frees with gk_free_<s> */
  GK_R_STRUCTLIST,    /* struct gk_<s>_list *, gk_free_<s>_list */
  GK_R_BUFFER,        /* char *, size_t *size_r: bytes, may contain NUL */
};

/* Flags of a call.  When a call may run is checked once, from these
 * flags, by the library before the call does anything (lib/callcheck.c):
 * GK_F_CONFIG calls only before launch, GK_F_ANYSTATE calls in any state,
 * every other call only while the appliance is running (every RPC call,
 * and the local calls built on them). */
#define GK_F_LOCAL     0x01  /* implemented in the library (gk_int_local_<name>), no RPC */
#define GK_F_CONFIG    0x02  /* only before launch (configures the appliance) */
#define GK_F_ANYSTATE  0x04  /* any state: before, during or after launch (local only) */
#define GK_F_PROGRESS  0x08  /* bulk data: progress messages, xfer.* timings */
#define GK_F_HASH      0x20  /* a string list of key, value pairs (guestfish RHashtable) */
#define GK_F_HEX       0x40  /* an int gkfish prints in hex, "0x83", as guestfish does */

#define GK_MAX_ARGS 8
#define GK_MAX_OPTARGS 12  /* 11 and the end: add-drive has 10 */

struct gk_int_arg {
  const char *name;           /* C and shell name (underscores) */
  enum gk_int_type type;
  enum gk_int_sub sub;
  /* A string argument's only values, space-separated, or NULL: anything
   * else is refused before the call runs (lib/callcheck.c). */
  const char *choices;
};

struct gk_int_call {
  const char *name;           /* shell name, with dashes: "mkdir-p" */
  int proc;                   /* wire procedure number, 0 for local calls */
  enum gk_int_ret ret;
  const char *ret_struct;     /* struct name for GK_R_STRUCT(LIST) */
  struct gk_int_arg args[GK_MAX_ARGS];       /* GK_T_END terminated */
  struct gk_int_arg optargs[GK_MAX_OPTARGS]; /* GK_T_END terminated */
  unsigned flags;
  const char *shortdesc;      /* one line */
  const char *longdesc;       /* paragraphs, plain text */
  /* Test script, gkfish syntax, one command per line.  A line
   * "CMD => TEXT" asserts the printed output of CMD equals TEXT
   * ("\n" escapes allowed); "CMD =! ERRNO" asserts failure with that
   * errno name; "CMD =~ TEXT" asserts the output contains TEXT;
   * "=ne TEXT" that it differs from TEXT; "=lt N" / "=gt N" that it is
   * a number below / above N; "=re REGEX" that it matches (POSIX ERE);
   * "CMD -> name" keeps the output, and a later "$name" (in a command or
   * an expected value) is replaced by it.
   * Runs on a fresh 1 GiB disk /dev/sda with /dev/sda1 ext4 mounted at /. */
  const char *tests;
  const char *aliases;        /* space-separated shell aliases, or NULL */
};

/* Struct return types: every field is a string or an int64. */
enum gk_int_ftype { GK_FT_END = 0, GK_FT_INT64, GK_FT_STRING };
struct gk_int_field { const char *name; enum gk_int_ftype type; };
struct gk_int_struct {
  const char *name;
  struct gk_int_field fields[24];
};

/* Exported from libguestkit (despite the gk_int_ prefix) for gkfish and
 * the test runner, which must use the library's own table. */
#define GK_INT_EXPORT __attribute__ ((visibility ("default")))

extern GK_INT_EXPORT const struct gk_int_call gk_int_calls[];          /* name==NULL ends */
extern GK_INT_EXPORT const struct gk_int_struct gk_int_structs[];      /* name==NULL ends */

GK_INT_EXPORT const struct gk_int_call *gk_int_lookup_call (const char *name);
GK_INT_EXPORT const struct gk_int_call *gk_int_lookup_proc (int proc);
GK_INT_EXPORT const struct gk_int_struct *gk_int_lookup_struct (const char *name);
GK_INT_EXPORT size_t gk_int_count_args (const struct gk_int_arg *args);
/* 1 if call C has a GK_S_KEY argument; GK_KEY_NOTE is what gkfish's help
 * and gkfish(1) say of such a call. */
GK_INT_EXPORT int gk_int_has_key_arg (const struct gk_int_call *c);
#define GK_KEY_NOTE "This command has one or more key or passphrase " \
  "parameters, not given on the command line: they are read from the " \
  "terminal without echo (or one a line from standard input with " \
  "--keys-from-stdin)."


/* A value of any argument or return type, as used by the generic paths
 * (wire encoding, daemon dispatch, gkfish). */
struct gk_int_buf { char *data; size_t len; };
struct gk_int_sval;                         /* one decoded struct */
struct gk_int_slist { size_t len; struct gk_int_sval *val; };
struct gk_int_sval { union gk_int_fval { int64_t i; char *s; } f[24]; };

union gk_int_val {
  int32_t i;                    /* BOOL, INT, R_ERR, R_BOOL, R_INT */
  int64_t i64;
  char *s;                      /* STRING, OPTSTRING (may be NULL) */
  char **sl;                    /* STRINGLIST, NULL-terminated */
  struct gk_int_buf buf;        /* BUFFER */
  struct gk_int_sval *st;       /* R_STRUCT */
  struct gk_int_slist *stl;     /* R_STRUCTLIST */
};

/* Optional arguments travel as a bitmask plus values; unset values are
 * zero/NULL. */
struct gk_int_optvals {
  uint64_t bitmask;
  union gk_int_val v[GK_MAX_OPTARGS];
};

GK_INT_EXPORT void gk_int_free_val (enum gk_int_type t, union gk_int_val *v);
GK_INT_EXPORT void gk_int_free_ret (const struct gk_int_call *c, union gk_int_val *v);
GK_INT_EXPORT void gk_int_free_sval (const struct gk_int_struct *s, struct gk_int_sval *v);
/* Test-only (--enable-noop-check): the result of a call that did nothing. */
int gk_int_empty_ret (const struct gk_int_call *c, union gk_int_val *r);
/* In a --enable-noop-check build, this bit in a call's procedure number
 * asks the daemon to skip the handler and reply success (tests only). */
#define GK_NOOP_BIT 0x80000000u

#endif
