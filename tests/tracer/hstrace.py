#!/usr/bin/python3
"""hstrace.py — a second reader of heapscope's malloc traces, written from
doc/trace-format.md alone, so the tests can count a trace without trusting
the C reader they test.

Usage: hstrace.py --check FILE...
Decodes every FILE, printing nothing.
Usage: hstrace.py FILE [SIZE...]
Prints one JSON object:
  records, threads, ops      records in all; threads; records by op name
  allocs, bytes, frees,      what a replay does (the rules of doc/trace-format.md,
  unknown, failed            "Replaying"): blocks allocated and their bytes,
                             blocks dropped, frees of blocks never allocated,
                             calls that failed
  sized                      for each SIZE given: {"calls": records of an
                             allocating op asking exactly SIZE bytes,
                             "freed": frees of the blocks those returned,
                             "threads": distinct threads that made them}
Exit status 1 (and a message) for a file that does not decode.
"""
import json
import struct
import sys

OPS = {1: "malloc", 2: "calloc", 3: "realloc", 4: "free", 5: "posix_memalign",
       6: "aligned_alloc", 7: "memalign", 8: "valloc", 9: "pvalloc"}
MASK = (1 << 64) - 1


class Bad(Exception):
    pass


class Cursor:
    def __init__(self, data, pos, end):
        self.data, self.pos, self.end = data, pos, end

    def varint(self):
        value, shift = 0, 0
        while True:
            if self.pos >= self.end:
                raise Bad(f"varint cut off at byte {self.pos}")
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value
            if shift >= 70:
                raise Bad(f"varint too long at byte {self.pos}")


def unzigzag(z):
    return (z >> 1) ^ -(z & 1)


def decode(data):
    """Yield (seq, thread, t, op, size, old, addr) in file order."""
    if data[:8] != b"HSTRACE\0":
        raise Bad("no magic")
    version, hlen = struct.unpack_from("<HH", data, 8)
    if version != 1:
        raise Bad(f"version {version}")
    pos, nchunks, state, seq = hlen, 0, {}, 0
    while True:
        if pos >= len(data):
            raise Bad(f"no end block (file ends at byte {pos})")
        tag = data[pos]
        c = Cursor(data, pos + 1, len(data))
        if tag == ord("E"):
            if c.varint() != nchunks or c.pos != len(data):
                raise Bad("bad end block")
            return
        if tag != ord("C"):
            raise Bad(f"block type {tag} at byte {pos}")
        thread, nbytes = c.varint(), c.varint()
        nchunks += 1
        end = c.pos + nbytes
        if end > len(data):
            raise Bad(f"block at byte {pos} runs past the end")
        r = Cursor(data, c.pos, end)
        t, last = state.get(thread, (0, 0))
        while r.pos < end:
            op = data[r.pos]
            r.pos += 1
            if op not in OPS:
                raise Bad(f"op {op} at byte {r.pos - 1}")
            t += r.varint()
            old = align = size = 0
            if op == 3:
                last = (last + unzigzag(r.varint())) & MASK
                old = last
            if op in (5, 6, 7):
                align = r.varint()
            if op != 4:
                size = r.varint()
            last = (last + unzigzag(r.varint())) & MASK
            yield seq, thread, t, op, size, old, last
            seq += 1
        state[thread] = (t, last)
        pos = end


class Replay:
    """The replay's rules, in time order (file order breaks ties)."""

    def __init__(self):
        self.live = {}  # address -> record index that allocated it
        self.allocs = self.bytes = self.frees = self.unknown = self.failed = 0
        self.freed_by = set()  # record indexes whose block was dropped

    def drop(self, addr):
        self.freed_by.add(self.live.pop(addr))
        self.frees += 1

    def place(self, seq, addr, size):
        if addr in self.live:
            self.drop(addr)
        self.live[addr] = seq
        self.allocs += 1
        self.bytes += size

    def step(self, seq, op, size, old, addr):
        if op == 4:
            if addr in self.live:
                self.drop(addr)
            else:
                self.unknown += 1
        elif op == 3:
            if addr == 0 and not (old != 0 and size == 0):
                self.failed += 1
                return
            had = old != 0 and old in self.live
            if old != 0 and not had:
                self.unknown += 1
            held = self.live.pop(old) if had else None
            if addr != 0:
                self.place(seq, addr, size)
            if had:
                self.freed_by.add(held)
                self.frees += 1
        elif addr == 0:
            self.failed += 1
        else:
            self.place(seq, addr, size)


def summarize(data, sizes):
    recs = list(decode(data))
    ops, threads = {}, set()
    for _, thread, _, op, _, _, _ in recs:
        ops[OPS[op]] = ops.get(OPS[op], 0) + 1
        threads.add(thread)
    rp = Replay()
    for seq, _, _, op, size, old, addr in sorted(recs, key=lambda r: (r[2], r[0])):
        rp.step(seq, op, size, old, addr)
    sized = {}
    for want in sizes:
        mine = [r for r in recs if r[3] != 4 and r[4] == want]
        sized[str(want)] = {"calls": len(mine),
                            "freed": sum(1 for r in mine if r[0] in rp.freed_by),
                            "threads": len({r[1] for r in mine})}
    return {"records": len(recs), "threads": len(threads), "ops": ops,
            "allocs": rp.allocs, "bytes": rp.bytes, "frees": rp.frees,
            "unknown": rp.unknown, "failed": rp.failed, "sized": sized}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    path = sys.argv[1]
    try:
        if path == "--check":
            for path in sys.argv[2:]:
                for _ in decode(read(path)):
                    pass
        else:
            print(json.dumps(summarize(read(path), [int(s) for s in sys.argv[2:]])))
    except Bad as e:
        print(f"hstrace.py: {path}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
