/* guestkit: inspect and edit disk images safely.
 *
 * A handle boots a small Linux appliance under a backend (qemu with KVM or
 * TCG, User-Mode Linux) and drives a daemon inside it: the appliance's
 * kernel, not your process, parses the untrusted filesystems.
 *
 *   gk_h *g = gk_create ();
 *   gk_add_drive (g, "disk.img", NULL);
 *   gk_launch (g);
 *   gk_mount (g, "/dev/sda1", "/");
 *   char **names = gk_ls (g, "/");
 *   ...
 *   gk_shutdown (g);
 *   gk_close (g);
 *
 * Every call returns -1 or NULL on error and leaves a message naming what
 * failed in gk_last_error().  The calls are listed in docs/api.md.
 *
 * Threads: a handle is used by one thread at a time; different handles
 * are independent.  The appliance is killed when the program dies (even by
 * SIGKILL) -- and also when the *thread* that called gk_launch exits, so
 * launch from a thread that outlives the handle.
 */
#ifndef GUESTKIT_H
#define GUESTKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GK_API __attribute__ ((visibility ("default")))

typedef struct gk_h gk_h;

/* Create a handle.  Reads GUESTKIT_BACKEND and GUESTKIT_DEBUG. */
extern GK_API gk_h *gk_create (void);
/* Shut down (if needed) and free the handle.  No process, socket or
 * temporary file is left behind. */
extern GK_API void gk_close (gk_h *g);

/* The message and errno of the last error on this handle (NULL/0 if
 * none).  The string is valid until the next call on the handle. */
extern GK_API const char *gk_last_error (gk_h *g);
extern GK_API int gk_last_errno (gk_h *g);

/* Debug output (console, protocol); also GUESTKIT_DEBUG=1. */
extern GK_API void gk_set_debug (gk_h *g, int on);

/* Progress of long calls: called with bytes (or units) done and the
 * total (0 when unknown). */
typedef void (*gk_progress_cb) (gk_h *g, void *opaque, const char *call,
                                uint64_t done, uint64_t total);
extern GK_API void gk_set_progress_callback (gk_h *g, gk_progress_cb cb,
                                             void *opaque);

/* Ask a running call on this handle to stop (safe from a signal handler
 * or another thread).  The call fails with ECANCELED; so does a launch
 * waiting for the appliance, which is then stopped.  A transfer stops
 * cleanly; if the daemon does not answer within about a second (a call
 * it cannot interrupt, a guest that stopped), the appliance is killed
 * and the handle can only be closed. */
extern GK_API void gk_user_cancel (gk_h *g);

/* Free a NULL-terminated string list returned by a call. */
extern GK_API void gk_free_strings (char **list);

#include "guestkit-actions.h"

#ifdef __cplusplus
}
#endif

#endif
