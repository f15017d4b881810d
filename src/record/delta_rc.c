/*
 * delta_rc.c — the cells' differences, coded bit by bit against their
 * prediction (format version 4; delta.c explains the transform).
 *
 * What the cells of a frame say that the frame before did not is mostly
 * which objects a sweep freed and which a mark reached: runs of survivors
 * and of the dead, next to each other, in spans whose prediction says what
 * each cell was.  A general compressor sees two-bit symbols in bytes; an
 * adaptive binary range coder with the right context sees more: each cell's
 * low bit (white or free flipped) is coded in the context of the five low
 * bits before it and of the cell's predicted state, its high bit (a mark)
 * in that of its low bit, its predicted state and the high bit before.
 * Blocks of 64 cells whose differences are all zero cost one bit (in the
 * context of the block before and of whether any cell of it was predicted
 * in use), and a block whose high bits are all zero one more: then only its
 * low bits are coded.  On web's recordings that is about a fifth fewer bytes for the
 * cells than the bit planes through zstd.
 *
 * The coder is rc.h's (LZMA's binary range coder).  The stream replaces the
 * cells part's bytes when it is shorter than them; a frame says which
 * (delta_code.h); decoding reads only within the stream and writes only
 * within the part, whatever its bytes.
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include "record/delta_code.h"
#include "record/rc.h"

enum { BLOCK = 16 };

/* The model: every probability that a bit is 0, in its context. */
typedef struct model {
    uint16_t block[4];      /* the block before had a difference; any cell predicted in use */
    uint16_t marks[2];      /* the last block that differed had a high bit that did */
    uint16_t lo[32 * 4];    /* the five low bits before; the predicted cell */
    uint16_t hi[2 * 4 * 2]; /* this low bit; the predicted cell; the high bit before */
} model;

static void model_init(model *m)
{
    rc_probs_init((uint16_t *)(void *)m, sizeof(*m) / sizeof(uint16_t));
}

typedef rc_encoder encoder;
typedef rc_decoder decoder;

/* One side of the coder, so that both walk the cells by the same code. */
typedef struct coder {
    encoder *e;
    decoder *d;
} coder;

static inline __attribute__((always_inline)) unsigned code_bit(coder *c, uint16_t *p, unsigned bit)
{
    if (c->e != NULL) {
        rc_encode_bit(c->e, p, bit);
        return bit;
    }
    return rc_decode_bit(c->d, p);
}

/* Walk the n bytes of differences diff (the cells part) against the
 * predicted cells pred, coding (or decoding into diff) each block: whether
 * it differs at all, whether any of its high bits (marks) does, its low
 * bits, then its high bits if any. */
static inline __attribute__((always_inline)) void walk(coder *c, uint8_t *diff, const uint8_t *pred,
                                                       size_t n)
{
    model m;
    model_init(&m);
    unsigned had = 0, had_hi = 0, h5 = 0;
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t end = b + BLOCK < n ? b + BLOCK : n;
        uint64_t any = 0, used = 0; /* the block's bytes ORed (decoding: nothing yet) */
        if (end - b == BLOCK) {
            uint64_t w[2];
            memcpy(w, pred + b, sizeof(w));
            used = w[0] | w[1];
            if (c->e != NULL) {
                memcpy(w, diff + b, sizeof(w));
                any = w[0] | w[1];
            }
        } else {
            for (size_t k = b; k < end; k++) {
                any |= c->e != NULL ? diff[k] : 0;
                used |= pred[k];
            }
        }
        unsigned marks = (any & 0xaaaaaaaaaaaaaaaau) != 0;
        any = code_bit(c, &m.block[had << 1 | (used != 0)], any != 0);
        had = any;
        if (!any) {
            h5 = 0;
            continue;
        }
        marks = code_bit(c, &m.marks[had_hi], marks != 0);
        had_hi = marks;
        for (size_t k = b; k < end; k++) {
            unsigned in = c->e != NULL ? diff[k] : 0, out = 0;
            for (unsigned q = 0; q < 4; q++) {
                unsigned pc = pred[k] >> (2 * q) & 3;
                unsigned lo = code_bit(c, &m.lo[(h5 & 31) << 2 | pc], in >> (2 * q) & 1);
                out |= lo << (2 * q);
                h5 = h5 << 1 | lo;
            }
            if (c->e == NULL)
                diff[k] = (uint8_t)out;
        }
        if (!marks)
            continue;
        unsigned hh = 0;
        for (size_t k = b; k < end; k++) {
            unsigned out = diff[k];
            for (unsigned q = 0; q < 4; q++) {
                unsigned pc = pred[k] >> (2 * q) & 3, lo = out >> (2 * q) & 1;
                unsigned hi =
                    code_bit(c, &m.hi[(lo << 3) | (pc << 1) | hh], out >> (2 * q + 1) & 1);
                out |= hi << (2 * q + 1);
                hh = hi;
            }
            if (c->e == NULL)
                diff[k] = (uint8_t)out;
        }
    }
}

size_t delta_rc_encode(const uint8_t *diff, const uint8_t *pred, size_t n, uint8_t *out, size_t cap)
{
    encoder e;
    rc_encoder_init(&e, out, cap);
    coder c = {&e, NULL};               /* walk inlined with c.e known: the encoder's own loop */
    walk(&c, (uint8_t *)diff, pred, n); /* encoding reads diff only */
    return rc_encoder_finish(&e);
}

void delta_rc_decode(const uint8_t *in, size_t len, const uint8_t *pred, uint8_t *diff, size_t n)
{
    decoder d;
    rc_decoder_init(&d, in, len);
    coder c = {NULL, &d}; /* and the decoder's */
    memset(diff, 0, n);
    walk(&c, diff, pred, n);
}
