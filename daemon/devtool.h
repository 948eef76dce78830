/* guestkitd: helpers for device handlers (devtool.c). */
#ifndef GK_DEVUTIL_H
#define GK_DEVUTIL_H

/* Set the error "<user name of DEV>: <formatted reason>" with errno E
 * (0: EINVAL).  Returns -1. */
int gk_int_dev_err (int e, const char *dev, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
/* "<DEV>: WHAT: strerror(errno)" with errno's name.  Returns -1. */
int gk_int_dev_perr (const char *dev, const char *what);
/* Run ARGV (a tool working on appliance device DEV) with standard input
 * IN (may be NULL).  A failure reads "/dev/sdb: TOOL: <its stderr>"
 * (device names translated, usage text dropped, the tail kept). */
int gk_int_run_on_dev (const char *dev, const char *in,
                       const char *const *argv);
/* The same, the errno of a failure given by ERRNO_OF (exit status ->
 * errno; NULL: EINVAL), for tools whose exit codes have meanings. */
int gk_int_run_on_dev_e (const char *dev, const char *in,
                         const char *const *argv, int (*errno_of) (int status));
/* 0 if DEV can be opened exclusively (not mounted, no partition of it in
 * use), else -1 with EBUSY "device is in use (mounted?)". */
int gk_int_check_unused (const char *dev);
/* 0 if DEV is one of the appliance's whole disks, else -1 (EINVAL). */
int gk_int_need_whole_disk (const char *dev);

/* 1 if everything read from FD is zero bytes, 0 if not, -1 on a read
 * error (reported against NAME). */
int gk_int_fd_is_zero (int fd, const char *name);

#endif
