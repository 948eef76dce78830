#!/usr/bin/env python3
"""Write an empty Windows registry hive (regf) to the file named by argv[1].

Why this exists: hivex (libhivex, hivexregedit, hivexsh) reads and edits
hives but cannot create one from nothing, and Debian ships no empty hive.
This writes the smallest hive hivex accepts -- a base block, one 4 KiB
bin holding a root key, its security cell and one free cell -- which the
test images then fill with `hivexregedit --merge` from a .reg file, so
every key and value is written by hivex itself.

Layout (the regf format as documented by its reverse-engineered
descriptions; offsets of cells are relative to the first bin at 0x1000):
  0x0000 base block: "regf", sequence numbers, version 1.3, root cell
         offset, size of the bins, checksum (XOR of the first 127 dwords)
  0x1000 "hbin" header (32 bytes), then cells: each a signed 32-bit size
         (negative = in use, a multiple of 8, counting the size field)
         followed by its record
           0x20 "nk" the root key (flags: hive entry, no delete, ASCII name)
           0x78 "sk" one security record, linked to itself, referenced once
           then one free cell to the end of the bin
"""
import struct
import sys

BLOCK = 4096
FILETIME = 0x01D9000000000000      # a fixed time: the images are reproducible
NONE = 0xFFFFFFFF


def cell(record):
    """A used cell holding RECORD, padded to a multiple of 8."""
    size = (len(record) + 4 + 7) & ~7
    return struct.pack("<i", -size) + record + b"\0" * (size - 4 - len(record))


def root_key(name, sk_off):
    nk = struct.pack(
        "<2sHQIIIIIIIIIIIIIIIHH",
        b"nk",
        0x2C,            # KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
        FILETIME,
        0,               # access bits
        0,               # parent (none for the root)
        0, 0,            # subkeys, volatile subkeys
        NONE, NONE,      # their lists
        0, NONE,         # values and their list
        sk_off,          # security
        NONE,            # class name
        0, 0, 0, 0,      # largest subkey name, class, value name, value data
        0,               # work var
        len(name), 0)    # name length, class name length
    return nk + name


def security(self_off):
    # A self-relative security descriptor with no owner, group or ACLs.
    sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    return struct.pack("<2sHIIII", b"sk", 0, self_off, self_off, 1, len(sd)) + sd


def hive(name):
    nk_off = 0x20
    nk = cell(root_key(name, 0))            # size only, to place the sk cell
    sk_off = nk_off + len(nk)
    nk = cell(root_key(name, sk_off))
    cells = nk + cell(security(sk_off))
    free = BLOCK - 32 - len(cells)
    cells += struct.pack("<i", free) + b"\0" * (free - 4)
    hbin = struct.pack("<4sIIIIQI", b"hbin", 0, BLOCK, 0, 0, FILETIME, 0) + cells
    assert len(hbin) == BLOCK

    base = bytearray(BLOCK)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, FILETIME,
                     1, 3, 0, 1, nk_off, BLOCK, 1)
    fname = "\\gk\\test\\hive".encode("utf-16-le")
    base[48:48 + len(fname)] = fname
    csum = 0
    for i in range(127):
        csum ^= struct.unpack_from("<I", base, 4 * i)[0]
    if csum == NONE:
        csum = 0xFFFFFFFE
    elif csum == 0:
        csum = 1
    struct.pack_into("<I", base, 508, csum)
    return bytes(base) + hbin


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make-hive.py FILE")
    with open(sys.argv[1], "wb") as f:
        f.write(hive(b"ROOT"))


if __name__ == "__main__":
    main()
