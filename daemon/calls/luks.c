/* guestkitd: LUKS, encrypted block devices (calls/luks.def), with
 * cryptsetup.
 *
 * Keys are secrets: each goes to cryptsetup on its standard input
 * (--key-file=-, read to the end, so the key is exactly the bytes given:
 * no newline added), never on its command line (visible in /proc), in
 * the debug log or in a message.  cryptsetup's own messages never repeat
 * a passphrase.  device-mapper is loaded on first use (lvm-run.c); the
 * kernel loads dm-crypt and the ciphers on demand (modprobe), so nothing
 * here costs boot time.  Mappings are /dev/mapper/NAME, accepted as
 * device arguments by devname.c (dm uuid "CRYPT-").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "actions.h"
#include "devtool.h"
#include "lvm.h"
#include "proto.h"

/* cryptsetup's exit codes (cryptsetup(8), "RETURN CODES"). */
static int
crypt_errno (int status)
{
  switch (status) {
  case 2: return EPERM;         /* no key available with this passphrase */
  case 3: return ENOMEM;
  case 4: return ENODEV;        /* wrong device */
  case 5: return EBUSY;         /* device exists or is busy */
  default: return EINVAL;
  }
}

/* Run cryptsetup on appliance device DEV; KEY (may be NULL) on its
 * standard input. */
static int
cryptsetup (const char *dev, const char *key, const char *const *argv)
{
  if (gk_int_dm_load () == -1) return -1;
  return gk_int_run_on_dev_e (dev, key, argv, crypt_errno);
}

/* A mapping name as device-mapper takes it, not "control" (its own
 * node), not already in use. */
static int
check_mapname (const char *mapname)
{
  if (!gk_int_lvm_name_ok (mapname) || strcmp (mapname, "control") == 0)
    return gk_int_err (EINVAL, "%s: not a valid mapping name (1 to 127 of "
                       "A-Z a-z 0-9 + _ . -, not \"control\")", mapname);
  char path[160];
  snprintf (path, sizeof path, "/dev/mapper/%s", mapname);
  if (access (path, F_OK) == 0)
    return gk_int_err (EEXIST, "%s: already exists", path);
  return 0;
}

int
do_luks_format (const char *device, const char *key, int keyslot)
{
  if (keyslot < 0 || keyslot > 31)
    return gk_int_dev_err (EINVAL, device, "key slot %d out of range "
                           "(0 to 31)", keyslot);
  if (gk_int_check_unused (device) == -1) return -1;
  char slot[16];
  snprintf (slot, sizeof slot, "%d", keyslot);
  const char *argv[] = { "cryptsetup", "--batch-mode", "--key-file=-",
                         "--key-slot", slot, "luksFormat", device, NULL };
  return cryptsetup (device, key, argv);
}

static int
open_common (const char *device, const char *key, const char *mapname,
             int readonly, const char *type, const char *cipher)
{
  if (check_mapname (mapname) == -1) return -1;
  const char *argv[12];
  size_t n = 0;
  argv[n++] = "cryptsetup";
  argv[n++] = "--key-file=-";
  if (readonly) argv[n++] = "--readonly";
  if (type) { argv[n++] = "--type"; argv[n++] = type; }
  if (cipher) { argv[n++] = "--cipher"; argv[n++] = cipher; }
  argv[n++] = "open";
  argv[n++] = device;
  argv[n++] = mapname;
  argv[n] = NULL;
  return cryptsetup (device, key, argv);
}

int
do_luks_open (const char *device, const char *key, const char *mapname)
{
  return open_common (device, key, mapname, 0, "luks", NULL);
}

int
do_luks_open_ro (const char *device, const char *key, const char *mapname)
{
  return open_common (device, key, mapname, 1, "luks", NULL);
}

int
do_cryptsetup_open (const char *device, const char *key, const char *mapname,
                    int readonly, const char *crypttype, const char *cipher)
{
  uint64_t m = gk_int_optargs_bitmask;
  return open_common (device, key, mapname, (m & 1) && readonly,
                      (m & 2) ? crypttype : NULL, (m & 4) ? cipher : NULL);
}

int
do_cryptsetup_close (const char *device)
{
  /* The dispatcher accepted DEVICE as a disk, an LV or a dm-crypt
   * mapping: only the last can be closed. */
  if (strncmp (device, "/dev/mapper/", 12) != 0 || !gk_int_dev_is_crypt (device))
    return gk_int_dev_err (EINVAL, device, "not an open encrypted device "
                           "(/dev/mapper/NAME)");
  const char *argv[] = { "cryptsetup", "close", device + 12, NULL };
  return cryptsetup (device, NULL, argv);
}

int
do_luks_close (const char *device)
{
  return do_cryptsetup_close (device);
}

char *
do_luks_uuid (const char *device)
{
  if (gk_int_dm_load () == -1) return NULL;
  char *errs = NULL, *out = NULL;
  const char *argv[] = { "cryptsetup", "luksUUID", device, NULL };
  int st = gk_int_run_status (&out, &errs, NULL, argv);
  free (errs);
  if (st != 0) {
    free (out);
    if (st > 0) gk_int_dev_err (EINVAL, device, "not a LUKS device");
    return NULL;
  }
  if (!out || !gk_int_is_uuid (strtok (out, "\n") ? out : "")) {
    free (out);
    gk_int_dev_err (EINVAL, device, "not a LUKS device (no UUID)");
    return NULL;
  }
  return out;
}
