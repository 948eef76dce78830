/* guestkitd: md RAID core (md-run.c), for the md calls (calls/md.c),
 * list-filesystems and inspection (calls/devices.c) and device names
 * (args.c).  Nothing md runs at boot: see daemon/README.md, "md RAID". */
#ifndef GK_MD_H
#define GK_MD_H

/* Load md_mod if it is not there yet.  0, or -1 with ENOTSUP set. */
int gk_int_md_load (void);

/* Assemble every array found on the user's drives (mdadm --assemble
 * --scan, only their disks and partitions scanned), once per session:
 * for list-md-devices, list-filesystems (a linux_raid_member seen),
 * inspection, LVM's reports and automatic activation (PVs on arrays),
 * and a missing /dev/mdN or /dev/md/NAME argument: to the user, as if
 * the arrays had been assembled at launch (guestfish does it at boot;
 * here the first call that could see an array pays for it).  A failure is logged, not
 * reported: the caller reports what is then missing. */
void gk_int_md_auto_assemble (void);
/* md-create or md-stop ran: the user manages the arrays now; no
 * automatic assembly any more (it would bring a stopped array back). */
void gk_int_md_assembly_overruled (void);

/* The running arrays as "/dev/mdN", sorted; NULL with the error set. */
char **gk_int_md_arrays (void);

#endif
