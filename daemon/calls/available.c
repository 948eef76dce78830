/* guestkitd: optional feature groups (calls/available.def), as
 * guestfish's "available": each group is what its calls need, checked
 * in the running appliance when asked (programs found where gk_int_run
 * looks, kernel modules known to modprobe, without loading them), so
 * the answer follows what the appliance was really built with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon.h"
#include "actions.h"

static const struct group {
  const char *name;
  const char *progs;            /* space-separated programs */
  const char *module;           /* kernel module, or NULL */
} groups[] = {
  { "btrfs", "mkfs.btrfs btrfs", "btrfs" },
  { "linuxfsuuid", "tune2fs blkid", NULL },
  { "luks", "cryptsetup", "dm_crypt" },
  { "lvm2", "lvm", "dm_mod" },
  { "mdadm", "mdadm", "md_mod" },
  { "ntfs3g", "ntfs-3g", "fuse" },
  { "ntfsprogs", "mkntfs", NULL },
  { "selinuxrelabel", "setfiles", NULL },
  { "squashfs", "mksquashfs", "squashfs" },
  { "wipefs", "wipefs", NULL },
  { "xfs", "mkfs.xfs", "xfs" },
  { "xz", "xz", NULL },
  { "zerofree", "zerofree", NULL },
  { NULL, NULL, NULL }
};

static const struct group *
find_group (const char *name)
{
  for (size_t i = 0; groups[i].name; i++)
    if (strcmp (groups[i].name, name) == 0) return &groups[i];
  gk_int_err (EINVAL, "%.64s: unknown group (see available-all-groups)", name);
  return NULL;
}

/* 1 if G is available, 0 if not (*WHY_R names what is missing). */
static int
group_ok (const struct group *g, char *why, size_t size)
{
  char buf[4096];
  const char *p = g->progs;
  while (*p) {
    size_t n = strcspn (p, " ");
    char prog[64];
    snprintf (prog, sizeof prog, "%.*s", (int) n, p);
    if (gk_int_find_program (prog, buf, sizeof buf) == -1) {
      snprintf (why, size, "no %s in the appliance", prog);
      return 0;
    }
    p += n + strspn (p + n, " ");
  }
  if (g->module) {
    const char *argv[] = { "/sbin/modprobe", "-n", "-q", g->module, NULL };
    int st = gk_int_run_status (NULL, NULL, NULL, argv);
    if (st == -1) gk_int_err_clear ();
    if (st != 0) {
      snprintf (why, size, "no %s module in the appliance kernel", g->module);
      return 0;
    }
  }
  return 1;
}

/* 1 if every group of NAMES is available, 0 if not (with REPORT, an
 * ENOTSUP error naming the first missing one: -1), -1 for an unknown
 * group or none. */
static int
check_groups (char *const *names, int report)
{
  if (!names[0]) return gk_int_err (EINVAL, "no group named");
  for (size_t i = 0; names[i]; i++)
    if (!find_group (names[i])) return -1;
  char why[128];
  for (size_t i = 0; names[i]; i++)
    if (!group_ok (find_group (names[i]), why, sizeof why))
      return report ? gk_int_err (ENOTSUP, "%s: group not available (%s)",
                                  names[i], why) : 0;
  return 1;
}

int
do_feature_available (char *const *names)
{
  return check_groups (names, 0);
}

int
do_available (char *const *names)
{
  return check_groups (names, 1) == 1 ? 0 : -1;
}

char **
do_available_all_groups (void)
{
  struct gk_int_reply_list l = { .what = "available-all-groups" };
  for (size_t i = 0; groups[i].name; i++)
    if (gk_int_reply_list_add (&l, groups[i].name, strlen (groups[i].name)) == -1) {
      gk_int_free_strings (l.v);
      return NULL;
    }
  return l.v;
}
