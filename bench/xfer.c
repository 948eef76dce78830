/* One bulk-transfer measurement on a fresh appliance, for bench/upload.sh.
 *   xfer upload IMAGE SRC          upload SRC to /file on /dev/sda1, then sync
 *   xfer upload-discard IMAGE SRC  same data path, the daemon discards the data
 *   xfer fill IMAGE BYTES          internal-fill (the upload writer), then sync
 *   xfer fill-generic IMAGE BYTES  fill (buffered writes), then sync
 *   xfer download IMAGE SRC OUT    upload SRC (not timed), then download it to OUT
 * Prints op_us (the call), sync_us and the xfer.* timers as name=value
 * lines.  The datapath is GUESTKIT_DATAPATH's (blk by default). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <guestkit.h>

static long long
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  if (argc < 4) {
    fprintf (stderr, "usage: xfer upload|upload-discard|fill|fill-generic|download IMAGE ARG [OUT]\n");
    return 2;
  }
  const char *mode = argv[1], *img = argv[2], *arg = argv[3];
  gk_h *g = gk_create ();
  if (!g) return 1;
  if (gk_add_drive (g, img, NULL) == -1 || gk_launch (g) == -1
      || gk_mount (g, "/dev/sda1", "/") == -1) {
    fprintf (stderr, "xfer: %s\n", gk_last_error (g));
    gk_close (g);
    return 1;
  }
  char *dp = gk_get_datapath (g);
  int r = 0;
  if (strcmp (mode, "download") == 0) {
    if (argc < 5) { fprintf (stderr, "xfer: download needs OUT\n"); return 2; }
    r = gk_upload (g, arg, "/file");
    if (r == 0) r = gk_sync (g);
  }
  long long t0 = now_us ();
  if (r == -1) ;
  else if (strcmp (mode, "upload") == 0) r = gk_upload (g, arg, "/file");
  else if (strcmp (mode, "upload-discard") == 0) r = gk_internal_upload_discard (g, arg);
  else if (strcmp (mode, "fill") == 0) r = gk_internal_fill (g, 0, atoll (arg), "/file");
  else if (strcmp (mode, "fill-generic") == 0) r = gk_fill (g, 0, atoi (arg), "/file");
  else if (strcmp (mode, "download") == 0) r = gk_download (g, "/file", argv[4], NULL);
  else { fprintf (stderr, "xfer: unknown mode %s\n", mode); r = -1; }
  long long t1 = now_us ();
  if (r == 0) r = gk_sync (g);
  long long t2 = now_us ();
  if (r == -1) {
    fprintf (stderr, "xfer %s: %s\n", mode, gk_last_error (g));
    gk_close (g);
    free (dp);
    return 1;
  }
  printf ("datapath=%s\nop_us=%lld\nsync_us=%lld\n", dp ? dp : "?", t1 - t0, t2 - t1);
  struct gk_timing_list *t = gk_get_timings (g);
  for (size_t i = 0; t && i < t->len; i++)
    if (strncmp (t->val[i].name, "xfer.", 5) == 0)
      printf ("%s=%lld\n", t->val[i].name, (long long) t->val[i].usec);
  gk_free_timing_list (t);
  free (dp);
  r = gk_shutdown (g);
  gk_close (g);
  return r == -1;
}
