/*
 * varint.h — the trace's integers: unsigned LEB128 (seven bits a byte, low
 * bits first, the high bit set on every byte but the last) and zigzag for
 * signed differences (0, -1, 1, -2 ... as 0, 1, 2, 3 ...).
 *
 * Internal to src/tracer/: the recorder writes with these, the reader reads
 * with them, so the two cannot disagree.
 */
#ifndef HS_TRACER_VARINT_H
#define HS_TRACER_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX_BYTES 10 /* 64 bits, seven at a time */

/* Write v at p; returns the bytes written (1..10). */
static inline size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read a varint from [p, end): the bytes used, or 0 when the bytes end
 * before the varint does, or -1 when it is longer than 64 bits. */
static inline int varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < VARINT_MAX_BYTES; i++) {
        if (p + i >= end)
            return 0;
        uint64_t b = p[i];
        if (i == VARINT_MAX_BYTES - 1 && b > 1)
            return -1;
        x |= (b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            return i + 1;
        }
    }
    return -1;
}

static inline uint64_t zigzag(uint64_t diff)
{
    return (diff << 1) ^ (uint64_t)((int64_t)diff >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

#endif
