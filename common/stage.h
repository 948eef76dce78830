/* guestkit: the staging disk, the bulk data path of the "blk" datapath.
 *
 * The library creates an anonymous memory file (memfd) of GK_STAGE_SIZE
 * bytes and gives it to the VM as an extra virtio-blk disk with serial
 * GK_ABI_STAGE_SERIAL (common/abi.h; hidden from the user's device list).  The disk is a
 * ring of GK_STAGE_SLOTS slots of GK_STAGE_SLOT bytes.  The sender puts a
 * slot's worth of data in a free slot and sends a CHUNK frame with flag
 * GK_CH_STAGED (u64 offset, u32 length); the receiver copies it out and
 * sends the same frame back, which frees the slot.  Slots are used in
 * order.  The guest reads and writes the disk with O_DIRECT, so the data
 * is moved by the VMM (DMA), never copied by the emulated CPU.
 */
#ifndef GK_COMMON_STAGE_H
#define GK_COMMON_STAGE_H

#define GK_STAGE_SLOT (8u * 1024 * 1024)
#define GK_STAGE_SLOTS 4u
#define GK_STAGE_SIZE ((unsigned long long) GK_STAGE_SLOT * GK_STAGE_SLOTS)
/* Alignment of O_DIRECT buffers, offsets and lengths in the guest. */
#define GK_DIRECT_ALIGN 4096u

#endif
