/* guestkit: set-channel, which transport carries the control channel.
 * virtio-serial (qemu's default) or serial: an emulated 16550 UART,
 * /dev/ttyS1 in the guest, for machines and guests without virtio (UML's
 * channel is always a serial line).  backends/qemu-args.c builds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static int
channel_parse (const char *s)
{
  if (strcmp (s, "virtio-serial") == 0) return GK_INT_CHANNEL_VIRTIO;
  if (strcmp (s, "serial") == 0) return GK_INT_CHANNEL_SERIAL;
  return -1;
}

static int
is_uml (const char *backend)
{
  return strncmp (backend, "uml", 3) == 0;
}

int
gk_int_local_set_channel (gk_h *g, const char *channel)
{
  int c = channel_parse (channel);      /* one of the table's choices */
  if (c == GK_INT_CHANNEL_VIRTIO && is_uml (g->backend)) {
    gk_int_error_errno (g, ENOTSUP, "set-channel: the uml backend has no virtio-serial "
                        "(its channel is always a serial line)");
    return -1;
  }
  g->channel = c;
  return 0;
}

int
gk_int_channel (gk_h *g)
{
  int c = g->channel;
  if (!c) {
    const char *e = getenv ("GUESTKIT_CHANNEL");
    if (e && *e && (c = channel_parse (e)) == -1) {
      gk_int_error_errno (g, EINVAL, "GUESTKIT_CHANNEL=%s is not a channel "
                          "(valid: virtio-serial, serial)", e);
      return -1;
    }
  }
  if (is_uml (g->backend)) {
    if (c == GK_INT_CHANNEL_VIRTIO && g->channel) {
      gk_int_error_errno (g, ENOTSUP, "launch: the uml backend has no virtio-serial "
                          "(set-channel serial, or unset it)");
      return -1;
    }
    /* GUESTKIT_CHANNEL=virtio-serial is a default for qemu, not an
     * order to UML: UML's channel is a serial line whatever it says. */
    return GK_INT_CHANNEL_SERIAL;
  }
  return c ? c : GK_INT_CHANNEL_VIRTIO;
}

char *
gk_int_local_get_channel (gk_h *g)
{
  int c = gk_int_channel (g);
  if (c == -1) return NULL;
  char *s = strdup (c == GK_INT_CHANNEL_SERIAL ? "serial" : "virtio-serial");
  if (!s) gk_int_error_errno (g, ENOMEM, "get-channel: out of memory");
  return s;
}
