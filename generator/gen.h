/* guestkit generator: helpers shared by gen.c and gen-man.c. */
#ifndef GK_GEN_H
#define GK_GEN_H

#include <stdio.h>
#include "api.h"

#define P printf

char *cname (const char *name);
char *upper (const char *s);
const char *ret_ctype (const struct gk_int_call *c);
void emit_params (const struct gk_int_call *c, int daemon);
const char *type_doc (const struct gk_int_arg *a);
int has_opts (const struct gk_int_call *c);
const char *state_doc (const struct gk_int_call *c);

/* gen-man.c */
void gen_man3 (const char *version);
void gen_man_fish (void);
void gen_fish_commands (void);

/* gen-python.c */
void gen_python (void);

#endif
