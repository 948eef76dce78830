/* guestkit: THE API table.  Every call is one entry in one of the
 * calls/<area>.def files included below; see common/README.md for how to
 * add a call.  Procedure numbers are wire ABI: never reuse or change one.
 */
#include <stddef.h>
#include "api.h"

#define A_(n, t, s) { n, t, s, NULL }
#define STR(n)      A_(n, GK_T_STRING, GK_S_PLAIN)
#define ONEOF(n, v) { n, GK_T_STRING, GK_S_PLAIN, v }   /* v: "a b c" */
#define OPTSTR(n)   A_(n, GK_T_OPTSTRING, GK_S_PLAIN)
#define PATH(n)     A_(n, GK_T_STRING, GK_S_PATHNAME)
#define DEV(n)      A_(n, GK_T_STRING, GK_S_DEVICE)
#define MNT(n)      A_(n, GK_T_STRING, GK_S_MOUNTABLE)
#define FILEIN(n)   A_(n, GK_T_STRING, GK_S_FILEIN)
#define FILEOUT(n)  A_(n, GK_T_STRING, GK_S_FILEOUT)
#define KEY(n)      A_(n, GK_T_STRING, GK_S_KEY)
#define INT(n)      A_(n, GK_T_INT, GK_S_PLAIN)
#define INT64(n)    A_(n, GK_T_INT64, GK_S_PLAIN)
#define BOOL(n)     A_(n, GK_T_BOOL, GK_S_PLAIN)
#define SLIST(n)    A_(n, GK_T_STRINGLIST, GK_S_PLAIN)
#define BUF(n)      A_(n, GK_T_BUFFER, GK_S_PLAIN)

const struct gk_int_call gk_int_calls[] = {
#include "calls/handle.def"
#include "calls/devices.def"
#include "calls/mount.def"
#include "calls/files.def"
#include "calls/dirs.def"
#include "calls/meta.def"
#include "calls/transfer.def"
#include "calls/misc.def"
#include "calls/partitions.def"
#include "calls/filesystems.def"
#include "calls/search.def"
#include "calls/fileops.def"
#include "calls/lvm.def"
#include "calls/inspect.def"
#include "calls/luks.def"
#include "calls/md.def"
#include "calls/available.def"
#include "calls/domain.def"
  { .name = NULL }
};

const struct gk_int_struct gk_int_structs[] = {
  { "timing", { { "name", GK_FT_STRING }, { "usec", GK_FT_INT64 } } },
  { "version", { { "major", GK_FT_INT64 }, { "minor", GK_FT_INT64 },
                 { "release", GK_FT_INT64 }, { "extra", GK_FT_STRING } } },
  { "partition", { { "part_num", GK_FT_INT64 }, { "part_start", GK_FT_INT64 },
                   { "part_end", GK_FT_INT64 }, { "part_size", GK_FT_INT64 } } },
  { "statns", { { "st_dev", GK_FT_INT64 }, { "st_ino", GK_FT_INT64 },
                { "st_mode", GK_FT_INT64 }, { "st_nlink", GK_FT_INT64 },
                { "st_uid", GK_FT_INT64 }, { "st_gid", GK_FT_INT64 },
                { "st_rdev", GK_FT_INT64 }, { "st_size", GK_FT_INT64 },
                { "st_blksize", GK_FT_INT64 }, { "st_blocks", GK_FT_INT64 },
                { "st_atime_sec", GK_FT_INT64 }, { "st_atime_nsec", GK_FT_INT64 },
                { "st_mtime_sec", GK_FT_INT64 }, { "st_mtime_nsec", GK_FT_INT64 },
                { "st_ctime_sec", GK_FT_INT64 }, { "st_ctime_nsec", GK_FT_INT64 } } },
  { "statvfs", { { "bsize", GK_FT_INT64 }, { "frsize", GK_FT_INT64 },
                 { "blocks", GK_FT_INT64 }, { "bfree", GK_FT_INT64 },
                 { "bavail", GK_FT_INT64 }, { "files", GK_FT_INT64 },
                 { "ffree", GK_FT_INT64 }, { "favail", GK_FT_INT64 },
                 { "fsid", GK_FT_INT64 }, { "flag", GK_FT_INT64 },
                 { "namemax", GK_FT_INT64 } } },
  { "dirent", { { "ino", GK_FT_INT64 }, { "ftyp", GK_FT_STRING },
                { "name", GK_FT_STRING } } },
  { "xattr", { { "attrname", GK_FT_STRING }, { "attrval", GK_FT_STRING },
               { "attrlen", GK_FT_INT64 } } },
  /* LVM (calls/lvm.def): fields named as lvm(8) reports them. */
  { "lvm_pv", { { "pv_name", GK_FT_STRING }, { "pv_uuid", GK_FT_STRING },
                { "pv_fmt", GK_FT_STRING }, { "pv_size", GK_FT_INT64 },
                { "dev_size", GK_FT_INT64 }, { "pv_free", GK_FT_INT64 },
                { "pv_used", GK_FT_INT64 }, { "pv_attr", GK_FT_STRING },
                { "pv_pe_count", GK_FT_INT64 }, { "pv_pe_alloc_count", GK_FT_INT64 },
                { "pv_tags", GK_FT_STRING }, { "pe_start", GK_FT_INT64 },
                { "pv_mda_count", GK_FT_INT64 }, { "pv_mda_free", GK_FT_INT64 },
                { "vg_name", GK_FT_STRING } } },
  { "lvm_vg", { { "vg_name", GK_FT_STRING }, { "vg_uuid", GK_FT_STRING },
                { "vg_fmt", GK_FT_STRING }, { "vg_attr", GK_FT_STRING },
                { "vg_size", GK_FT_INT64 }, { "vg_free", GK_FT_INT64 },
                { "vg_sysid", GK_FT_STRING }, { "vg_extent_size", GK_FT_INT64 },
                { "vg_extent_count", GK_FT_INT64 }, { "vg_free_count", GK_FT_INT64 },
                { "max_lv", GK_FT_INT64 }, { "max_pv", GK_FT_INT64 },
                { "pv_count", GK_FT_INT64 }, { "lv_count", GK_FT_INT64 },
                { "snap_count", GK_FT_INT64 }, { "vg_seqno", GK_FT_INT64 },
                { "vg_tags", GK_FT_STRING }, { "vg_mda_count", GK_FT_INT64 },
                { "vg_mda_free", GK_FT_INT64 } } },
  { "lvm_lv", { { "lv_name", GK_FT_STRING }, { "vg_name", GK_FT_STRING },
                { "lv_path", GK_FT_STRING }, { "lv_uuid", GK_FT_STRING },
                { "lv_attr", GK_FT_STRING }, { "lv_major", GK_FT_INT64 },
                { "lv_minor", GK_FT_INT64 }, { "lv_kernel_major", GK_FT_INT64 },
                { "lv_kernel_minor", GK_FT_INT64 }, { "lv_size", GK_FT_INT64 },
                { "seg_count", GK_FT_INT64 }, { "origin", GK_FT_STRING },
                { "move_pv", GK_FT_STRING }, { "lv_tags", GK_FT_STRING },
                { "mirror_log", GK_FT_STRING }, { "lv_modules", GK_FT_STRING } } },
  { "application2", { { "app2_name", GK_FT_STRING }, { "app2_epoch", GK_FT_INT64 },
                      { "app2_version", GK_FT_STRING }, { "app2_release", GK_FT_STRING },
                      { "app2_arch", GK_FT_STRING } } },
  { "diskbench", { { "bytes", GK_FT_INT64 }, { "ops", GK_FT_INT64 },
                   { "wall_usec", GK_FT_INT64 }, { "cpu_usec", GK_FT_INT64 },
                   { "busy_usec", GK_FT_INT64 } } },
  /* btrfs (calls/filesystems.def), as guestfish names the fields. */
  { "btrfssubvolume", { { "btrfssubvolume_id", GK_FT_INT64 },
                        { "btrfssubvolume_top_level_id", GK_FT_INT64 },
                        { "btrfssubvolume_path", GK_FT_STRING } } },
  { NULL, { { NULL, GK_FT_END } } }
};
