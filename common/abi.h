/* guestkit: every name the host (lib/, backends/) and the appliance
 * (daemon/, appliance/) must spell the same way.  Spelled only here; the
 * wire format itself is common/wire.h, the staging ring common/stage.h.
 */
#ifndef GK_COMMON_ABI_H
#define GK_COMMON_ABI_H

/* The virtio-serial port of the control channel (qemu's virtserialport
 * name=; the daemon finds /dev/vportNpM by it in /sys/class/virtio-ports). */
#define GK_ABI_CHANNEL_NAME "org.guestkit.channel.0"
/* The control channel when it is a serial line: the second UART in the
 * guest (qemu's COM2 with set-channel serial; UML's ssl1). */
#define GK_ABI_SERIAL_CHANNEL_DEV "/dev/ttyS1"

/* Disk serials (virtio-blk/scsi/ide serial=, UML ubd ",,SERIAL"). */
#define GK_ABI_ROOT_SERIAL "gkroot"     /* the appliance's root disk (hidden) */
#define GK_ABI_DRIVE_SERIAL "gkd"       /* + position: the user's drives */
#define GK_ABI_STAGE_SERIAL "gkstage"   /* the staging disk (hidden) */

/* Kernel command-line parameters the daemon (/init) reads, each a prefix
 * followed by its value. */
#define GK_ABI_ARG_DEBUG "gk.debug="       /* 1: daemon log on the console */
#define GK_ABI_ARG_HALT "gk.halt="         /* reboot (qemu -no-reboot) or poweroff (UML) */
#define GK_ABI_ARG_CHANNEL "gk.channel="   /* a serial-line channel's device */
#define GK_ABI_ARG_ROOT "gk.root="         /* serial of the root disk to switch to */
#define GK_ABI_ARG_MODULES "gk.modules="   /* comma-separated drivers to load */
#define GK_ABI_ARG_SD "gk.sd="             /* how many sdX disks to wait for */
#define GK_ABI_ARG_NET "gk.net="           /* 1: configure eth0 */
#define GK_ABI_ARG_SNAPSHOT "gk.snapshot=" /* 1: a template to save; wait for RESUME after READY */

/* Written by the appliance builder, read by /init: boot modules to load,
 * absolute paths one per line in load order. */
#define GK_ABI_BOOT_MODULES "/lib/gk/boot-modules"

#endif
