/*
 * delta_rows.c — a frame's span table, range-coded where zstd does worst
 * (format version 5; delta.c explains the transform, delta_pack.c the
 * packed rows of a delta this refines).
 *
 * Format 4 said which spans' rows differ by a bitmap, and left every column
 * of those rows to zstd.  Two kinds of bytes did badly there: the bitmap
 * (a bit a span, a few percent set, where zstd sees noise) and the small
 * columns whose values follow from the span's state — its class, sweep
 * state, mcache, central set and free index — a third of a delta's bytes
 * between them; and the ages, whose low 20 bits are the frame time's.  Both are mostly predictable from what the decoder already
 * has: a span an mcache held a frame before nearly always changes (it
 * allocates), a span that was waiting for a sweep changes when it is swept,
 * and an unswept span a sweep has not reached does not; a span predicted
 * "needs sweep" that is not is nearly always swept; a free index that moved
 * moved by a small count.  So one adaptive binary range coder (rc.h) codes:
 *
 *   1. for each span the script pairs with one before, in span order, the
 *      bit "its row differs", in the context of the bit before and of the
 *      paired span's mcache, sweep state and set (full or not);
 *   2. then, for each span whose row differs or that is new, in span order,
 *      its six columns in the order the span table is coded: a bit "equal
 *      to its prediction" (in a context of the paired span's state and of
 *      the fields coded before in the row), and when not, the value (class,
 *      sweep state, mcache, set: its byte by a binary tree, in the context
 *      of the prediction) or the difference from the prediction (free
 *      index: zigzag, its bit length by a tree, then its bits below the
 *      top, each by its length and position; the age: whether its bits
 *      below the grain are the frame time's, then its grains so).
 * A keyframe codes step 2 alone, for every span (each is new).  The stream
 * takes the place of the bitmap after the script's runs; those columns of
 * the packed rows (a keyframe's whole table) hold zeros.  Every
 * probability starts at 1/2 in each frame, so a delta still decodes from
 * the frame before alone.
 *
 * Decoding reads the bits of step 1 before the span table (the packed rows
 * need them) and the values of step 2 as delta_spans.c codes each field,
 * with the same contexts; encoding, the span table is coded first (which
 * rows differ is known only then), so each field's value and context are
 * noted as it is coded and the stream is made from the notes once the
 * changed rows are known.  Any bytes decode to some values, written within
 * the span table; the reader checks the snapshot after.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta_code.h"
#include "record/rc.h"

enum { EQ_CTX = 32, VAL_CTX = 8, BYTE_COLS = 4 };

typedef struct rows_model {
    uint16_t changed[64];
    uint16_t eq[ROW_COLS][EQ_CTX];
    uint16_t lit[BYTE_COLS][VAL_CTX][256]; /* a tree: node 1, then 2 n + bit */
    uint16_t len[VAL_CTX][16];             /* a tree of 4 bits: the bit length less 1 */
    uint16_t mant[VAL_CTX][16][16];        /* by bit length less 1 and position */
    uint16_t age_low[VAL_CTX];             /* the low bits are the frame time's */
    uint16_t age_lbits[20];
    uint16_t age_len[VAL_CTX][128];        /* a tree of 7 bits: the bit length */
    uint16_t age_mant[65][64];
} rows_model;

/* One field as the encoder coded it: its row, column, contexts, value and
 * prediction. */
typedef struct note {
    uint64_t v, r;
    uint32_t row;
    uint8_t col, eq_ctx, val_ctx;
} note;

struct rows_coder {
    rows_model m;
    uint64_t tlow; /* the frame time's bits below the grain */
    rc_decoder d;
    note *notes;
    size_t nnotes, notes_cap;
    bool failed; /* a note did not fit: out of memory */
    uint8_t *out;
    size_t out_cap;
};

/* The coding functions inline into the encoder and the decoder, each its own
 * loop with the other side known NULL. */
#define INLINE static inline __attribute__((always_inline))

INLINE unsigned code(rc_encoder *e, rc_decoder *d, uint16_t *p, unsigned bit)
{
    if (e != NULL) {
        rc_encode_bit(e, p, bit);
        return bit;
    }
    return rc_decode_bit(d, p);
}

/* The context of span i's bit "its row differs", from the span it was. */
static unsigned changed_ctx(const hs_snap_span *old, unsigned before)
{
    bool full = old->central_set == HS_SET_FULL_SWEPT || old->central_set == HS_SET_FULL_UNSWEPT;
    return before | (old->cached_by != 0) << 1 | (old->sweep & 7u) << 2 | (unsigned)full << 5;
}

#define GRAIN_MASK ((uint64_t)HS_SNAP_AGE_GRAIN_NS - 1)

/* An age: its bits below the grain (those of the frame's time, nearly
 * always), then its grains less the prediction's, zigzagged, as a bit
 * length and the bits below the top. */
INLINE uint64_t code_age(rows_model *m, rc_encoder *e, rc_decoder *d, unsigned ctx, uint64_t v,
                         uint64_t r, uint64_t tlow)
{
    uint64_t low = tlow;
    if (code(e, d, &m->age_low[ctx], (v & GRAIN_MASK) == tlow) == 0) {
        low = 0;
        for (int b = 19; b >= 0; b--)
            low |= (uint64_t)code(e, d, &m->age_lbits[b], (unsigned)(v >> b & 1)) << b;
    }
    uint64_t dd = (v >> 20) - (r >> 20);
    uint64_t z = dd << 1 ^ (0 - (dd >> 63));
    unsigned len = 0;
    while (len < 64 && z >> len != 0)
        len++;
    unsigned node = 1;
    for (int b = 6; b >= 0; b--)
        node = node << 1 | code(e, d, &m->age_len[ctx][node], len >> b & 1);
    len = node & 127;
    len = len < 64 ? len : 64;
    uint64_t zz = len > 0;
    for (unsigned b = len > 0 ? len - 1 : 0; b-- > 0;)
        zz = zz << 1 | code(e, d, &m->age_mant[len][b], (unsigned)(z >> b & 1));
    uint64_t back = (zz >> 1) ^ (0 - (zz & 1));
    return ((r >> 20) + back) << 20 | low;
}

/* One field: equal to its prediction, or its value (a byte column) or its
 * difference (the free index, the age).  Returns the value. */
INLINE uint64_t code_value(rows_model *m, rc_encoder *e, rc_decoder *d, unsigned col,
                           unsigned eq_ctx, unsigned val_ctx, uint64_t v, uint64_t r, uint64_t tlow)
{
    if (code(e, d, &m->eq[col][eq_ctx], v == r) == 1)
        return r;
    if (col == ROW_AGE)
        return code_age(m, e, d, val_ctx, v, r, tlow);
    if (col < BYTE_COLS) {
        uint16_t *t = m->lit[col][val_ctx];
        unsigned node = 1;
        for (int b = 7; b >= 0; b--)
            node = node << 1 | code(e, d, &t[node], (unsigned)(v >> b & 1));
        return node & 0xff;
    }
    int16_t diff = (int16_t)(uint16_t)(v - r);
    uint16_t z = (uint16_t)((uint16_t)diff << 1 ^ (uint16_t)(diff < 0 ? 0xffff : 0));
    unsigned len = 0; /* z's bit length less 1 (z is not 0 when v != r) */
    while (len < 15 && z >> (len + 1) != 0)
        len++;
    unsigned node = 1;
    for (int b = 3; b >= 0; b--)
        node = node << 1 | code(e, d, &m->len[val_ctx][node], len >> b & 1);
    len = node & 15;
    unsigned zz = 1;
    for (unsigned b = len; b-- > 0;)
        zz = zz << 1 | code(e, d, &m->mant[val_ctx][len][b], z >> b & 1);
    uint16_t back = (uint16_t)((zz >> 1) ^ (0u - (zz & 1)));
    return (r + back) & 0xffff;
}

static struct rows_coder *coder_of(delta_ctx *c)
{
    if (c->rowc == NULL)
        c->rowc = calloc(1, sizeof(*c->rowc));
    return c->rowc;
}

void delta_rows_destroy(delta_ctx *c)
{
    if (c->rowc != NULL) {
        free(c->rowc->notes);
        free(c->rowc->out);
    }
    free(c->rowc);
    c->rowc = NULL;
}

bool delta_rows_begin(delta_ctx *c)
{
    struct rows_coder *rc = coder_of(c);
    if (rc == NULL)
        return false;
    rc->nnotes = 0;
    rc->failed = false;
    return true;
}

void delta_rows_note(dx *x, uint32_t i, unsigned col, unsigned eq_ctx, unsigned val_ctx,
                     uint64_t v, uint64_t r)
{
    struct rows_coder *rc = x->c->rowc;
    if (!rec_grow(&rc->notes, &rc->notes_cap, rc->nnotes + 1, sizeof(note))) {
        rc->failed = true;
        return;
    }
    rc->notes[rc->nnotes++] = (note){v, r, i, (uint8_t)col, (uint8_t)eq_ctx, (uint8_t)val_ctx};
}

uint64_t delta_rows_decode(dx *x, uint32_t i, unsigned col, unsigned eq_ctx, unsigned val_ctx,
                           uint64_t r)
{
    if (!x->c->changed[i])
        return r;
    struct rows_coder *rc = x->c->rowc;
    return code_value(&rc->m, NULL, &rc->d, col, eq_ctx, val_ctx, 0, r, rc->tlow);
}

bool delta_rows_encode(dx *x, const uint8_t *ch)
{
    delta_ctx *c = x->c;
    struct rows_coder *rc = c->rowc;
    uint32_t n = x->s->nspans;
    /* At most 6.1 bits out for each bit in (a probability is at least
     * 31/2048), and at most 57 + 93 bits in for a span. */
    size_t cap = 120 * (size_t)n + 64;
    if (rc->failed || !rec_grow(&rc->out, &rc->out_cap, cap, 1))
        return false;
    rc_probs_init((uint16_t *)(void *)&rc->m, sizeof(rc->m) / sizeof(uint16_t));
    rc->tlow = (uint64_t)x->s->t_ns & GRAIN_MASK;
    rc_encoder e;
    rc_encoder_init(&e, rc->out, cap);
    const hs_snap_span *ps = x->p != NULL ? hs_snap_spans(x->p) : NULL; /* a keyframe: no bits */
    unsigned before = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (c->map[i] < 0)
            continue;
        rc_encode_bit(&e, &rc->m.changed[changed_ctx(&ps[c->map[i]], before)], ch[i]);
        before = ch[i];
    }
    for (size_t k = 0; k < rc->nnotes; k++) {
        const note *t = &rc->notes[k];
        if (ch[t->row])
            code_value(&rc->m, &e, NULL, t->col, t->eq_ctx, t->val_ctx, t->v, t->r, rc->tlow);
    }
    size_t len = rc_encoder_finish(&e), words = (len + 3) / 4;
    if (len == 0 || !rec_grow(&c->script, &c->script_cap, c->script_len + words + 1,
                              sizeof(uint32_t)))
        return false;
    memset(rc->out + len, 0, 4 * words - len);
    memcpy(c->script + c->script_len, rc->out, 4 * words);
    c->script_len += words;
    c->script[c->script_len++] = (uint32_t)len;
    return true;
}

bool delta_rows_start(dx *x, const uint8_t *in, size_t len, uint8_t *ch)
{
    delta_ctx *c = x->c;
    struct rows_coder *rc = coder_of(c);
    if (rc == NULL)
        return false;
    rc_probs_init((uint16_t *)(void *)&rc->m, sizeof(rc->m) / sizeof(uint16_t));
    rc->tlow = (uint64_t)x->s->t_ns & GRAIN_MASK;
    rc_decoder_init(&rc->d, in, len);
    const hs_snap_span *ps = x->p != NULL ? hs_snap_spans(x->p) : NULL; /* a keyframe: no bits */
    unsigned before = 0;
    for (uint32_t i = 0; i < x->s->nspans; i++) {
        if (c->map[i] < 0) {
            ch[i] = 1;
            continue;
        }
        ch[i] = (uint8_t)rc_decode_bit(&rc->d, &rc->m.changed[changed_ctx(&ps[c->map[i]], before)]);
        before = ch[i];
    }
    return true;
}
