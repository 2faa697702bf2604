#!/usr/bin/env python3
"""Build the EVTX benchmark folder from the shared samples:  bench/evtx-folder.py SHARED_DATA OUT

200 copies of evtx/security.evtx and 40 of windows-evtx/smb-password-guessing-security.evtx
(594,640 records, 411 MiB), each copy's times shifted so the set covers a long period: copy i of
security.evtx by i weeks, copy j of the SMB guessing by 5 j weeks. Named security-NNN.evtx and
smb-NN.evtx: read in name order, every security copy comes before the SMB copies that overlap
them in time, as one log per domain controller does, so a scan of the folder is out of time order.

A copy is the original with every record's FILETIMEs (its header's, and its FILETIME substitution
values: TimeCreated's SystemTime) moved by the shift, and each chunk's two
CRC32 checksums written again. The shift is checked by the caller (bench/evtx.sh reads a copy
with the detector and compares event times).
"""
import os
import struct
import sys
import zlib

WEEK = 7 * 24 * 3600 * 10_000_000  # FILETIME ticks (100 ns)
CHUNK = 65536


def shift_values(c: bytearray, r: int, ticks: int) -> None:
    """Move the FILETIME substitution values (type 0x11: TimeCreated's SystemTime) of the record
    whose BinXML starts at `r`: a fragment header, a template instance (its definition inline when
    it is the chunk's first use), then the substitution array (count, descriptors, values)."""
    if c[r] == 0x0F:
        r += 4
    if c[r] != 0x0C:
        return
    definition = struct.unpack_from("<I", c, r + 6)[0]
    r += 10
    if definition == r:
        r += 24 + struct.unpack_from("<I", c, r + 20)[0]
    n = struct.unpack_from("<I", c, r)[0]
    descs = [struct.unpack_from("<HB", c, r + 4 + 4 * k) for k in range(n)]
    r += 4 + 4 * n
    for size, kind in descs:
        if kind == 0x11 and size == 8:
            struct.pack_into("<Q", c, r, struct.unpack_from("<Q", c, r)[0] + ticks)
        r += size


def shift(data: bytes, ticks: int) -> bytes:
    b = bytearray(data)
    for off in range(4096, len(b) - CHUNK + 1, CHUNK):
        c = b[off:off + CHUNK]
        if c[:8] != b"ElfChnk\0":
            continue
        free = min(struct.unpack_from("<I", c, 48)[0], CHUNK)
        pos = 512
        while pos + 24 <= free and c[pos:pos + 4] == b"**\0\0":
            size = struct.unpack_from("<I", c, pos + 4)[0]
            if size < 24 or pos + size > free:
                break
            struct.pack_into("<Q", c, pos + 16, struct.unpack_from("<Q", c, pos + 16)[0] + ticks)
            shift_values(c, pos + 24, ticks)
            pos += size
        struct.pack_into("<I", c, 52, zlib.crc32(bytes(c[512:free])))
        struct.pack_into("<I", c, 124, zlib.crc32(bytes(c[:120]) + bytes(c[128:512])))
        b[off:off + CHUNK] = c
    return bytes(b)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[0])
    shared, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    sec = open(os.path.join(shared, "evtx", "security.evtx"), "rb").read()
    smb = open(os.path.join(shared, "windows-evtx", "smb-password-guessing-security.evtx"), "rb").read()
    for i in range(200):
        with open(os.path.join(out, f"security-{i:03}.evtx"), "wb") as f:
            f.write(shift(sec, i * WEEK))
    for j in range(40):
        with open(os.path.join(out, f"smb-{j:02}.evtx"), "wb") as f:
            f.write(shift(smb, 5 * j * WEEK))


if __name__ == "__main__":
    main()
