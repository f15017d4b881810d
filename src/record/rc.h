/*
 * rc.h — the binary range coder the format's streams share (delta_rc.c the
 * cells', delta_rows.c the span table's): the one LZMA made familiar,
 * 11-bit probabilities of a 0 moved by a 32nd of their distance at each
 * bit, a 32-bit range renormalized a byte at a time, carries propagated
 * through a cached byte, five bytes flushed at the end.  A decoder reads
 * only within its stream (zeros past its end), so any bytes decode to some
 * bits, never out of bounds.
 */
#ifndef HS_RECORD_RC_H
#define HS_RECORD_RC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RC_PROB_BITS = 11, RC_PROB_ONE = 1 << RC_PROB_BITS, RC_MOVE_BITS = 5, RC_TOP = 1u << 24 };

/* n probabilities, each at 1/2. */
static inline void rc_probs_init(uint16_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = RC_PROB_ONE / 2;
}

typedef struct rc_encoder {
    uint64_t low;
    uint32_t range;
    uint8_t cache;
    uint64_t pending; /* bytes held back for a carry: the cache and 0xff's after it */
    uint8_t *out;
    size_t len, cap;
    bool full; /* more than cap bytes */
} rc_encoder;

static inline void rc_encoder_init(rc_encoder *e, uint8_t *out, size_t cap)
{
    *e = (rc_encoder){.range = 0xffffffffu, .pending = 1, .out = out, .cap = cap};
}

static inline void rc_put_byte(rc_encoder *e, uint8_t b)
{
    if (e->len < e->cap)
        e->out[e->len++] = b;
    else
        e->full = true;
}

static inline void rc_shift_low(rc_encoder *e)
{
    if ((uint32_t)e->low < 0xff000000u || (e->low >> 32) != 0) {
        uint8_t carry = (uint8_t)(e->low >> 32), b = e->cache;
        do {
            rc_put_byte(e, (uint8_t)(b + carry));
            b = 0xff;
        } while (--e->pending != 0);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->pending++;
    e->low = (e->low & 0x00ffffffu) << 8;
}

static inline void rc_encode_bit(rc_encoder *e, uint16_t *p, unsigned bit)
{
    uint32_t bound = (e->range >> RC_PROB_BITS) * *p;
    if (bit == 0) {
        e->range = bound;
        *p = (uint16_t)(*p + ((RC_PROB_ONE - *p) >> RC_MOVE_BITS));
    } else {
        e->low += bound;
        e->range -= bound;
        *p = (uint16_t)(*p - (*p >> RC_MOVE_BITS));
    }
    while (e->range < RC_TOP) {
        e->range <<= 8;
        rc_shift_low(e);
    }
}

/* The stream's bytes, 0 when they did not fit in cap. */
static inline size_t rc_encoder_finish(rc_encoder *e)
{
    for (int i = 0; i < 5; i++)
        rc_shift_low(e);
    return e->full ? 0 : e->len;
}

typedef struct rc_decoder {
    uint32_t range, code;
    const uint8_t *in;
    size_t len, at;
} rc_decoder;

static inline uint8_t rc_next_byte(rc_decoder *d)
{
    return d->at < d->len ? d->in[d->at++] : 0;
}

static inline void rc_decoder_init(rc_decoder *d, const uint8_t *in, size_t len)
{
    *d = (rc_decoder){.range = 0xffffffffu, .in = in, .len = len};
    for (int i = 0; i < 5; i++)
        d->code = d->code << 8 | rc_next_byte(d);
}

static inline unsigned rc_decode_bit(rc_decoder *d, uint16_t *p)
{
    uint32_t bound = (d->range >> RC_PROB_BITS) * *p;
    unsigned bit;
    if (d->code < bound) {
        d->range = bound;
        *p = (uint16_t)(*p + ((RC_PROB_ONE - *p) >> RC_MOVE_BITS));
        bit = 0;
    } else {
        d->code -= bound;
        d->range -= bound;
        *p = (uint16_t)(*p - (*p >> RC_MOVE_BITS));
        bit = 1;
    }
    if (d->range < RC_TOP) { /* a probability is at least 31/2048: one byte is enough */
        d->range <<= 8;
        d->code = d->code << 8 | rc_next_byte(d);
    }
    return bit;
}

#endif
