/* guestkitd: helpers shared by the daemon's handler files.
 *
 * Conventions for a handler do_NAME (prototype generated in actions.h):
 * - Arguments are already validated by the dispatcher: a GK_S_PATHNAME
 *   argument is absolute, has no ".." that climbs above "/", no NUL, and
 *   is shorter than PATH_MAX (and a filesystem is mounted at "/"); a GK_S_DEVICE / GK_S_MOUNTABLE argument has been checked to
 *   exist and is already translated to the appliance's name (/dev/vda1);
 *   use gk_int_dev_to_user() (gk_int_mountable_to_user() in the calls) when a
 *   device name goes back to the user.
 * - On error, call gk_int_err() or gk_int_perr() exactly once and return
 *   -1 (or NULL).  The message names the path or device and says why, e.g.
 *   "/etc/foo: No such file or directory"; the library prefixes the call
 *   name.  Never print to stdout: it is not the channel.
 * - Guest paths must be opened with gk_int_open()/gk_int_open_parent() so
 *   that symlinks in the guest cannot lead outside the sysroot.
 * - Returned strings and lists are malloc'd; the dispatcher frees them.
 */
#ifndef GK_DAEMON_H
#define GK_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "api.h"
#include "wire.h"

#define GK_SYSROOT "/sysroot"
/* Where guest filesystems are mounted: GK_SYSROOT in the appliance; tests
 * on the host may point it at a temporary directory. */
extern const char *gk_int_sysroot;

/* --- errors (errors.c) --- */
/* Set the error for the current call: errno name from ERRNUM (0 means
 * EINVAL).  Returns -1. */
int gk_int_err (int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));
/* Same, using errno and appending ": strerror(errno)".  Returns -1. */
int gk_int_perr (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Used by the dispatcher. */
void gk_int_err_clear (void);
int gk_int_err_isset (void);
const char *gk_int_err_name (void);
const char *gk_int_err_msg (void);

/* Debug log to the console (visible with GUESTKIT_DEBUG=1). */
void gk_int_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Turn that log on (main.c, from the kernel command line). */
void gk_int_log_enable (void);

/* --- guest paths (sysroot.c) --- */
/* Open a guest path with every component resolved inside the sysroot
 * (openat2 RESOLVE_IN_ROOT).  Same flags/mode as open(2).  On error
 * returns -1 with errno set (the caller reports it). */
int gk_int_open (const char *path, int flags, mode_t mode);
/* Open the parent directory of PATH (resolved in the sysroot) and return
 * its fd; *base_r is set to a malloc'd last component.  PATH "/" has no
 * parent: EINVAL.  Returns -1 with errno set on error. */
int gk_int_open_parent (const char *path, char **base_r);
/* The end of an operation R (0 or -1 with errno) on gk_int_open_parent's
 * DFD and BASE: closes and frees them, and on failure reports errno
 * against PATH.  Returns 0 or -1. */
int gk_int_parent_done (int dfd, char *base, int r, const char *path);
/* THE way to open a guest file for its contents (read or write by path):
 * PATH is resolved in the sysroot and opened O_PATH, checked to be a
 * regular file (or a directory when DIR_OK), then reopened with FLAGS
 * through /proc/self/fd, so no device is ever opened and no FIFO blocks,
 * even on a filesystem mounted with "dev".  FLAGS may hold O_CREAT (with
 * MODE; a missing file or the target of a dangling symlink is created),
 * O_TRUNC, O_APPEND.  Returns the fd, or -1 with the error set: EISDIR
 * or EINVAL "PATH: not a regular file (character device)". */
int gk_int_open_content (const char *path, int flags, mode_t mode, int dir_ok);
int gk_int_open_regular (const char *path, int flags, mode_t mode);
/* Set that error for an object of type MODE at PATH.  Returns -1. */
int gk_int_err_not_regular (const char *path, mode_t mode);
/* The appliance-side path of a guest path, symlinks resolved inside the
 * sysroot, e.g. "<sysroot>/etc/hosts", for passing to external programs.
 * The final component need not exist.  malloc'd; NULL with errno set. */
char *gk_int_sysroot_path (const char *path);
/* 1 if something is mounted at the sysroot, else 0 with an error set
 * ("no filesystem is mounted at /: call mount first"). */
int gk_int_need_root (void);
/* Lexical check used by the dispatcher: 0 if ok, else -1 + error. */
int gk_int_check_path (const char *path);

/* --- the call's arguments (args.c) --- */
/* The dispatcher's check of a call's arguments before it runs: syntax
 * only (paths lexically, device names by their form), plus "is a
 * filesystem mounted" for paths.  Reads nothing else, changes nothing,
 * runs nothing.  0, or -1 with the error set. */
int gk_int_args_check (const struct gk_int_call *c, const union gk_int_val *a);
/* Run the call's handler: first its DEVICE / MOUNTABLE arguments become
 * the appliance's names (gk_int_dev_from_user, which may activate LVM),
 * then gk_int_dispatch.  0, or -1 with the error set. */
int gk_int_run_call (const struct gk_int_call *c, union gk_int_val *a,
                     struct gk_int_optvals *o, union gk_int_val *r);
/* "/dev/sda1" -> "/dev/vda1" (qemu) or "/dev/ubda1" (UML); a missing
 * "/dev/VG/LV" first activates the VGs if that is still pending
 * (daemon/README.md, "LVM").  malloc'd, or NULL + error if the name is
 * not a device of the appliance. */
char *gk_int_dev_from_user (const char *user);

/* --- device names (devname.c: reads sysfs and /dev, runs nothing) --- */
/* 0 if USER has the form of a device name (/dev/sdX[N], /dev/vdX[N],
 * /dev/ubdX[N], /dev/VG/LV, /dev/mapper/NAME), else -1 with EINVAL
 * "USER: not a device name (...)".  Pure. */
int gk_int_dev_name_ok (const char *user);
/* 1 if USER is "/dev/VG/LV" or "/dev/mapper/NAME" by its form. */
int gk_int_dev_is_dm_path (const char *user);
/* gk_int_dev_from_user without activating anything: a /dev/VG/LV that
 * is missing is ENOENT "no such device". */
char *gk_int_dev_lookup (const char *user);
/* "/dev/VG/LV" of block device RDEV if it is an LVM LV (dm uuid
 * "LVM-..."), else NULL (no error set).  malloc'd. */
char *gk_int_dev_lv_of (dev_t rdev);
/* 1 if DEV is the block device of an open encrypted device (dm-crypt
 * mapping made by cryptsetup, dm uuid "CRYPT-..."), else 0. */
int gk_int_dev_is_crypt (const char *dev);
/* 1 if DEV is the block device of an md RAID array, else 0. */
int gk_int_dev_is_md (const char *dev);
/* 1 if the md array_state file STATE_FILE (sysfs) says the array is
 * there (not "clear", as a stopped array lingers). */
int gk_int_md_running (const char *state_file);
/* "/dev/mapper/VG-LV" or "/dev/dm-N" of an active LV -> malloc'd
 * "/dev/VG/LV"; NULL (no error set) if DEV is not such a device. */
char *gk_int_dev_dm_to_lv (const char *dev);
/* "/dev/vda1" -> "/dev/sda1".  malloc'd copy; unknown names are copied. */
char *gk_int_dev_to_user (const char *dev);
/* btrfsvol.c: "btrfsvol:DEV/VOL" (a btrfs subvolume, as libguestfs
 * names it): 1 with *DEV_R (malloc'd) and *VOL_R (inside S) set; 0 if S
 * does not start with "btrfsvol:"; -1 + EINVAL if it does but is not of
 * that form (VOL empty, with ',' or a leading '/').  Pure. */
int gk_int_btrfsvol_split (const char *s, char **dev_r, const char **vol_r);
/* "btrfsvol:DEV/VOL", malloc'd, or NULL + error. */
char *gk_int_btrfsvol_join (const char *dev, const char *vol);
/* gk_int_dev_to_user (devname.c) that also translates the device of a
 * btrfsvol: name (what the calls return for mountables). */
char *gk_int_mountable_to_user (const char *m);
/* Translate every device name in a list in place (for returns). */
void gk_int_devs_to_user (char **list);
/* Replace appliance device names inside free text (df output ...). */
char *gk_int_text_to_user (const char *text);
/* Load GK.MODULES (comma-separated) and wait for NSD sdX disks
 * (diskdrivers.c); -1 (message on the console) if they never came. */
int gk_int_load_disk_drivers (const char *modules, int nsd);
/* Wait, bounded (5 s), until NSD sdX disks and their /dev nodes exist;
 * returns how many there are (also after a restore's SCSI scan). */
int gk_int_wait_sd (int nsd);
/* network.c: configure eth0 (gk.net=1); -1 on failure (logged). */
int gk_int_net_setup (void);
/* Around a command run in the guest: its /etc/resolv.conf becomes ours
 * and the appliance's /dev and /proc are bound on its own, all undone by
 * _end (also after a failed _begin).  Nothing when the network is off. */
struct gk_int_net_swap { int dfd, saved; char *bound[2]; };
int gk_int_net_guest_begin (struct gk_int_net_swap *s);
void gk_int_net_guest_end (struct gk_int_net_swap *s);
/* The appliance's whole-disk devices in order: "/dev/vda", ... */
char **gk_int_list_disks (void);

/* --- running programs (command.c) --- */
/* Run ARGV (argv[0] looked up in the appliance PATH) with standard input
 * from IN (may be NULL) and capture standard output into *OUT_R
 * (malloc'd, NUL-terminated, may be NULL if not wanted) up to GK_MSG_MAX.
 * A non-zero exit status sets the error "ARGV0: <stderr>" and returns -1.
 * Returns 0 on success. */
int gk_int_run (char **out_r, const char *in, const char *const *argv);
/* Like gk_int_run but argv[0] runs chrooted into the sysroot. */
int gk_int_run_chroot (char **out_r, const char *const *argv);
/* Same, returning the exit status (>= 0) instead of failing on non-zero;
 * stderr captured into *err_r if not NULL.  -1 only if it could not run. */
int gk_int_run_status (char **out_r, char **err_r, const char *in,
                       const char *const *argv);
/* A child whose descriptors the caller handles itself (a filter streamed
 * to the host, tar, ntfs-3g, modprobe at boot).  Started like the above
 * (vfork, own process group, default signals, nothing else inherited). */
struct gk_int_child {
  const char *const *argv;      /* argv[0] absolute, or searched in PATH */
  const char *file;             /* if not NULL, the program run instead */
  int fd[3];                    /* the child's 0, 1, 2 (ours stay open);
                                 * -1: /dev/null */
  char *const *envp;            /* NULL: the daemon's */
  /* Run in the child just before exec, after the descriptors are in
   * place (after vfork: system calls only, no malloc or stdio).  Returns
   * 0, or -1 with errno and *WHAT naming the step (a string literal): the
   * spawn then fails with "PROG: WHAT: strerror". */
  int (*setup) (void *arg, const char **what);
  void *setup_arg;
};
/* Start C.  Returns the pid once the program is exec'd, or -1 with the
 * error set.  The caller reaps it with gk_int_reap. */
pid_t gk_int_spawn (const struct gk_int_child *c);
/* waitpid, retrying EINTR: the wait status, or -1 with errno. */
int gk_int_reap (pid_t pid);
/* The daemon's environment with PATH replaced (for envp); free with
 * gk_int_env_free.  NULL on ENOMEM. */
char **gk_int_env_with_path (const char *path);
void gk_int_env_free (char **env);
/* The appliance's copy of program PROG (in the directories gk_int_run
 * searches) into BUF.  Returns 0, or -1 if there is none (no error set). */
int gk_int_find_program (const char *prog, char *buf, size_t size);

/* --- file streams (stream.c) --- */
/* For a FILEIN call: receive the host's chunks, calling CB for each.  If
 * CB returns -1 (after setting the error), the host is told to stop and
 * the rest is drained.  Returns 0 when the whole stream arrived, -1 on
 * error or cancellation (error set). */
int gk_int_recv_stream (int (*cb) (void *opaque, const char *buf, size_t n),
                        void *opaque);
/* For a FILEOUT call: send data.  Returns -1 (error set) if the host
 * cancelled or the channel failed: stop sending and return -1. */
int gk_int_send_chunk (const char *buf, size_t n);
/* End the FILEOUT stream: ok=1 after all data, ok=0 to abort.  The
 * dispatcher ends it with ok=0 if the handler did not. */
int gk_int_send_end (int ok);
/* An aligned buffer for FILEOUT handlers to read into (*size_r bytes);
 * gk_int_send_chunk of data in it needs no copy. */
char *gk_int_chunk_buffer (size_t *size_r);
/* The staging disk of the blk datapath (stage.c), opened O_DIRECT, or -1. */
int gk_int_stage_fd (void);
/* Write for bulk data (calls/transfer.c): O_DIRECT while *DIRECT and BUF and N
 * are aligned, else buffered from then on (*DIRECT cleared).  Times the
 * write into gk_int_xfer.  -1 with errno set. */
int gk_int_bulk_write (int fd, const char *buf, size_t n, int *direct);
/* Try to switch FD to O_DIRECT; returns 1 if it is on. */
int gk_int_try_direct (int fd);
/* Progress for calls with GK_F_PROGRESS; rate-limited here. */
void gk_int_progress (uint64_t done, uint64_t total);

/* Time spent by the current transfer on the guest side, reported to the
 * host in the reply (see timings in docs/protocol.md). */
struct gk_int_xfer_times {
  uint64_t write_ns, fsync_ns, bytes;
};
extern struct gk_int_xfer_times gk_int_xfer;

/* A stat result as the API's statns struct (calls/meta.c). */
struct gk_statns;
struct stat;
void gk_int_statns_fill (struct gk_statns *r, const struct stat *st);

/* A reply's list of strings, bounded by the message size: past it the
 * error is EFBIG "WHAT: result larger than the protocol limit (use
 * INSTEAD)", never a list cut short.  Zero-initialise, set WHAT and
 * INSTEAD; V stays NULL-terminated (NULL while empty).  utils.c. */
struct gk_int_reply_list {
  char **v;
  size_t n, cap, bytes;
  const char *what, *instead;
};
/* Append the LEN bytes at S (a copy).  Returns 0, or -1 with the error set. */
int gk_int_reply_list_add (struct gk_int_reply_list *l, const char *s, size_t len);

/* --- small utilities (utils.c) --- */
/* 1 if S is a UUID/GUID in its 36-character form (8-4-4-4-12 hex). */
int gk_int_is_uuid (const char *s);
char **gk_int_split_lines (char *text);    /* consumes TEXT; NULL-terminated */
char *gk_int_join (char *const *words, const char *sep);
int gk_int_sort_strings (char **list);
size_t gk_int_count_strings (char *const *list);
void gk_int_free_strings (char **list);
uint64_t gk_int_now_ns (void);             /* CLOCK_MONOTONIC */
uint64_t gk_int_boot_us (void);            /* CLOCK_BOOTTIME, microseconds */
/* The first line of a small kernel file (sysfs, procfs) into BUF (SIZE
 * bytes), newline dropped.  0, or -1 with errno set (EINVAL if empty);
 * no error set: the caller knows what a missing file means. */
int gk_int_read_sysfs_line (const char *path, char *buf, size_t size);
/* Such a file holding one unsigned decimal number.  0, or -1 (errno). */
int gk_int_read_sysfs_u64 (const char *path, uint64_t *v);
/* Read up to COUNT bytes at OFFSET of FD, short only at the end, into a
 * new buffer (*SIZE_R bytes), and close FD.  NULL with errno set (the
 * caller reports it against its path or device). */
char *gk_int_pread_alloc (int fd, size_t count, off_t offset, size_t *size_r);

/* The dispatcher (generated). */
int gk_int_dispatch (const struct gk_int_call *c, union gk_int_val *a,
                     struct gk_int_optvals *o, union gk_int_val *r);

#endif
