/* guestkitd: LVM.  Core: lvm-run.c (running lvm, reports, activation),
 * lvm-parse.c (the pure parts, unit-tested in tests/test-lvm-parse.c
 * without an appliance).  Handlers: calls/lvm.c (the calls that make,
 * change and list volumes), calls/lvm-activate.c (vg-activate, lvm-scan,
 * is-lv).
 *
 * Activation is lazy: nothing LVM runs at boot.  See daemon/README.md,
 * "LVM", for when volume groups get activated.
 */
#ifndef GK_LVM_H
#define GK_LVM_H

#include <stddef.h>
#include <stdint.h>

/* --- lvm-run.c: activation (core) --- */

/* Activate every volume group on the user's drives (vgchange -ay, with
 * metadata writes disabled).  For inspection (inspect_activate_lvm) and
 * for the lazy activation.  Returns 0, or -1 with the error set. */
int gk_int_lvm_activate_all (void);

/* The automatic activation, once per session (args.c, for a missing
 * /dev/VG/LV argument; list-filesystems finding a PV).  A failure is
 * logged, not reported: the call that needed it reports what is then
 * missing. */
void gk_int_lvm_auto_activate (void);

/* The user activated or deactivated VGs: no automatic activation any
 * more in this session. */
void gk_int_lvm_activation_overruled (void);

/* The active LVs as "/dev/VG/LV", sorted, from sysfs (no lvm run).
 * NULL-terminated, malloc'd; NULL with the error set. */
char **gk_int_lvm_active_lvs (void);

/* For list-filesystems: the activated LVs as "/dev/VG/LV", after the lazy
 * activation.  NULL-terminated, malloc'd; NULL with the error set. */
char **gk_int_lvm_lv_paths (void);

/* --- lvm-run.c: running lvm --- */

/* Load device-mapper (dm_mod) if it is not there yet: LVM and
 * cryptsetup (calls/luks.c) need it.  0, or -1 with ENOTSUP set. */
int gk_int_dm_load (void);

struct gk_int_sval;

/* Run "lvm ARGS[0] --config ... ARGS[1...]" (loading dm_mod first if
 * needed), standard output into *OUT_R if not NULL.  READONLY: no
 * metadata may be written (activation).  The error on failure is "lvm
 * SUBCOMMAND: <what lvm said>", device names as the user knows them. */
int gk_int_lvm_run (char **out_r, int readonly, const char *const *args);
/* Report command ARGS (ARGS[0] the lvm command) of the NFIELDS
 * comma-separated FIELDS as a string list, each row formatted with
 * FORMAT ("%s", or "/dev/%s/%s" for two fields). */
char **gk_int_lvm_report_list (const char *const *args, const char *fields,
                               size_t nfields, const char *format);
/* One value of one object (the first row); ENOENT "WHAT: not found". */
char *gk_int_lvm_report_one (const char *const *args, const char *field,
                             const char *what);
/* Report CMD with the fields of struct SNAME, decoded into *VALS_R (*N_R
 * of them; pv_name as the user's device name). */
int gk_int_lvm_full_report (const char *cmd, const char *sname,
                            struct gk_int_sval **vals_r, size_t *n_r);
/* 0 if VG is a valid VG name, else -1 with EINVAL set. */
int gk_int_lvm_check_vg (const char *vg);

/* --- lvm-parse.c (pure) --- */

/* The --config string of every lvm command: no udev, no daemons, no
 * backups, locks in /run, and a filter accepting only DISKS (appliance
 * whole-disk names such as "/dev/vda", NULL-terminated) and their
 * partitions, and "/dev/dm-N" and "/dev/mdN" entries exactly (open
 * encrypted devices, md arrays).
 * Other names are left out.  READONLY sets metadata_read_only.  malloc'd, NULL on ENOMEM. */
char *gk_int_lvm_config (char *const *disks, int readonly);

/* 1 if S is a valid VG or LV name for the calls: 1 to 127 of
 * [A-Za-z0-9+_.-], not starting with '-', not "." or "..". */
int gk_int_lvm_name_ok (const char *s);

/* Split a device-mapper name "VG-LV" ('-' inside a name doubled) into
 * malloc'd *VG_R and *LV_R.  -1 (errno EINVAL or ENOMEM) if it is not
 * exactly two valid names. */
int gk_int_lvm_split_dm (const char *dmname, char **vg_r, char **lv_r);

/* Parse a user's LV name: "/dev/VG/LV" or "/dev/mapper/VG-LV"; with
 * ALLOW_VG also "/dev/VG" or "VG" (then *LV_R is NULL).  -1 with errno
 * EINVAL (not of that form) or ENOMEM. */
int gk_int_lvm_parse_lv (const char *arg, int allow_vg, char **vg_r,
                         char **lv_r);

/* Split lvm report output (--noheadings --separator '|'), in place, into
 * rows of NFIELDS fields: returns a malloc'd array of *NROWS_R * NFIELDS
 * pointers into TEXT (blank lines skipped, leading blanks of a line
 * dropped).  NULL with errno EINVAL (a line with another field count) or
 * ENOMEM.  An empty report gives a non-NULL array and *NROWS_R = 0. */
char **gk_int_lvm_parse_report (char *text, size_t nfields, size_t *nrows_r);

/* A numeric report field: decimal, optionally negative; "" (no value,
 * e.g. the kernel major of an inactive LV) gives -1.  0, or -1 on junk. */
int gk_int_lvm_int64 (const char *s, int64_t *r);

/* The errno for a failed lvm command, from its standard error. */
int gk_int_lvm_errno (const char *errs);

/* lvm's standard error as a one-line message for the user: lines
 * trimmed and joined with "; ", WARNING lines dropped when there is
 * anything else.  malloc'd, NULL on ENOMEM. */
char *gk_int_lvm_message (const char *errs);

#endif
