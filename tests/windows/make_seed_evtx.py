#!/usr/bin/env python3
"""Make an EVTX file holding the seed's third test, from a real CC0 sample.

Source: mdecrevoisier/EVTX-to-MITRE-Attack @ 8119420d43bc0163200d64a733a80ad6e9cacf90,
"TA0006-Credential Access/T1110.xxx-Brut force/ID 4776,4625-AccountRestore local bruteforce.evtx"
(CC0-1.0): 16 x 4625 (SubStatus 0xc000006a, LogonType 2) for `Admin` and `Administrator` on host WIN.

Patched in place (same sizes, chunk CRCs recomputed), so the file stays a genuine Windows-written EVTX:
* every LogonType 2 -> 3 (network);
* `Admin`'s 7th record (EventRecordID 11313) -> EventID 4624: six failures, then a logon;
* `Admin`'s 8th record (11315) -> EventID 4634 (logoff): ignored, so the pattern is exactly the seed's.

Usage: make_seed_evtx.py SOURCE.evtx OUT.evtx
"""
import struct
import sys
import zlib

SUB_UINT16, SUB_UINT32, SUB_BINXML = 0x06, 0x08, 0x21


def template_values(chunk, pos):
    """Parse a BinXML fragment at chunk offset `pos` (fragment header + template instance).
    Returns [(type, value_offset, size)] of its substitution array."""
    assert chunk[pos] == 0x0F, f"no fragment header at {pos:#x}"
    pos += 4
    assert chunk[pos] == 0x0C, f"no template instance at {pos:#x}"
    def_off = struct.unpack_from("<I", chunk, pos + 6)[0]
    pos += 10
    if def_off == pos:  # the template definition follows inline
        data_size = struct.unpack_from("<I", chunk, pos + 20)[0]
        pos += 24 + data_size
    count = struct.unpack_from("<I", chunk, pos)[0]
    pos += 4
    descs = [struct.unpack_from("<HBB", chunk, pos + 4 * i) for i in range(count)]
    pos += 4 * count
    out = []
    for size, typ, _ in descs:
        out.append((typ, pos, size))
        pos += size
    return out


def main(src, dst):
    data = bytearray(open(src, "rb").read())
    assert data[:8] == b"ElfFile\0"
    patched = {"logon_type": 0, "4624": 0, "4634": 0}
    base = 4096
    while base + 65536 <= len(data):
        chunk = memoryview(data)[base : base + 65536]
        if bytes(chunk[:8]) != b"ElfChnk\0":
            base += 65536
            continue
        free = struct.unpack_from("<I", chunk, 48)[0]
        pos = 512
        while pos < free and bytes(chunk[pos : pos + 4]) == b"\x2a\x2a\x00\x00":
            size, rid = struct.unpack_from("<IQ", chunk, pos + 4)
            outer = template_values(chunk, pos + 24)
            for typ, off, sz in outer:
                if typ == SUB_BINXML and sz > 8:
                    inner = template_values(chunk, off)
                    if len(inner) == 21:  # the 4625 EventData template
                        t, o, s = inner[10]
                        assert t == SUB_UINT32 and s == 4
                        if struct.unpack_from("<I", chunk, o)[0] == 2:
                            struct.pack_into("<I", chunk, o, 3)
                            patched["logon_type"] += 1
            # EventRecordID: the System template's UInt64 (hex64 type 0x0a) substitution.
            erid = next(struct.unpack_from("<Q", chunk, o)[0] for t, o, s in outer if t == 0x0A and s == 8)
            new_id = {11313: (4624, "4624"), 11315: (4634, "4634")}.get(erid)
            if new_id:
                for typ, off, sz in outer:
                    if typ == SUB_UINT16 and struct.unpack_from("<H", chunk, off)[0] == 4625:
                        struct.pack_into("<H", chunk, off, new_id[0])
                        patched[new_id[1]] += 1
                        break
            pos += size
        # Records checksum (512..free), then the header checksum (0..120 + 128..512).
        struct.pack_into("<I", chunk, 52, zlib.crc32(bytes(chunk[512:free])) & 0xFFFFFFFF)
        struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:512])) & 0xFFFFFFFF)
        base += 65536
    assert patched == {"logon_type": 16, "4624": 1, "4634": 1}, patched
    open(dst, "wb").write(bytes(data))
    print(f"{dst}: patched {patched}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
