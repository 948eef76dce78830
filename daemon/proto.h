/* guestkitd: protocol internals shared by proto.c and stream.c. */
#ifndef GK_DAEMON_PROTO_H
#define GK_DAEMON_PROTO_H
#include "wire.h"

/* The file stream of the call being handled. */
struct gk_int_stream {
  uint32_t serial, proc;
  int in, out;          /* the call has a FILEIN / FILEOUT */
  int done;             /* stream fully consumed or ended */
  int cancelled;        /* the host cancelled it */
};
extern struct gk_int_stream gk_int_cur;

int gk_int_chan_write (const void *p, size_t n);
int gk_int_p_chan (void);            /* the channel fd */
int gk_int_chan_readable (void);
int gk_int_send_wbuf (struct gk_int_wbuf *b);
int gk_int_recv_frame (char **buf_r, size_t *len_r);
/* After a handler: drain an unread FILEIN, end an open FILEOUT. */
void gk_int_stream_finish (int ok);
/* Turn an OK reply under construction into an ERROR one. */
void gk_int_p_replace_status (struct gk_int_wbuf *b);
#endif
