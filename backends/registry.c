/* guestkit backends: the list of backends the library can pick from. */
#include <string.h>
#include "backend.h"

static const struct { const char *name; const struct gk_int_backend_ops *ops; } backends[] = {
  { "qemu", &gk_int_backend_qemu },
  { "direct", &gk_int_backend_qemu },     /* libguestfs's name for it */
  { "uml", &gk_int_backend_uml },
  { "libvirt", &gk_int_backend_libvirt },
};

const struct gk_int_backend_ops *
gk_int_find_backend (const char *name, const char **variant_r)
{
  size_t n = strcspn (name, ":");
  *variant_r = name[n] == ':' ? name + n + 1 : NULL;
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strlen (backends[i].name) == n && strncmp (backends[i].name, name, n) == 0)
      return backends[i].ops;
  return NULL;
}
