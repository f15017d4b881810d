/*
 * delta_code.h — what the files of the transform share (delta.c explains
 * the transform): one direction of it (dx), the ways a difference is
 * stored (words, XOR, fields by record), the spans' running state, and the
 * functions each file lends the others.
 */
#ifndef HS_RECORD_DELTA_CODE_H
#define HS_RECORD_DELTA_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "record/delta.h"
#include "record/format.h"

/* hs_gcphase (heapscope/runtime.h, which this part does not see). */
#define PHASE_SWEEP_TERMINATION 1
#define PHASE_MARK 2
#define PHASE_MARK_TERMINATION 3
#define ARENA_BYTES ((uint64_t)HS_SNAP_PAGES_PER_ARENA * HS_SNAP_PAGE_SIZE)

/* One direction of the transform.  Encoding reads the snapshot (snap) and
 * writes the difference (diff); decoding reads diff and writes snap.  Either
 * way snap holds the new snapshot as far as it is coded, for predictions
 * from its own earlier parts. */
typedef struct dx {
    bool decode;
    uint8_t *snap;
    uint8_t *diff;
    const hs_snapshot *p; /* the previous frame; NULL for a keyframe */
    const hs_snapshot *s; /* the new one: its header once coded */
    delta_ctx *c;
    bool v2; /* coding a frame of format version 2 (delta_ctx.format) */
    bool packed; /* a delta of format 4 or later: its span table's changed rows only */
    bool rc;     /* format 4 or later: the cells range-coded (delta_rc.c), allocation
                  * counts coded once every span's cells are (delta_code_counts) */
    bool rows;   /* format 5 or later: which rows differ (a delta), and the small
                  * columns of those, range-coded (delta_rows.c) */
} dx;

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void st32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static inline const uint8_t *prev_at(const dx *x, uint32_t off)
{
    return (const uint8_t *)x->p + off;
}

/* n bytes (a multiple of 4) at off, predicted by the n bytes at ref (NULL:
 * zeros), word by word, in place. */
static inline void sub_words(dx *x, size_t off, const uint8_t *ref, size_t n)
{
    uint8_t *v = x->snap + off, *d = x->diff + off;
    if (ref == NULL && x->decode)
        memcpy(v, d, n);
    else if (ref == NULL)
        memcpy(d, v, n);
    else if (x->decode)
        for (size_t i = 0; i < n; i += 4)
            st32(v + i, ld32(d + i) + ld32(ref + i));
    else
        for (size_t i = 0; i < n; i += 4)
            st32(d + i, ld32(v + i) - ld32(ref + i));
}

/* n bytes at off, predicted by the n bytes at ref, XORed in place. */
static inline void xor_bytes(dx *x, size_t off, const uint8_t *ref, size_t n)
{
    const uint8_t *in = x->decode ? x->diff + off : x->snap + off;
    uint8_t *out = x->decode ? x->snap + off : x->diff + off;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t a, b;
        memcpy(&a, in + k, 8);
        memcpy(&b, ref + k, 8);
        a ^= b;
        memcpy(out + k, &a, 8);
    }
    for (; k < n; k++)
        out[k] = in[k] ^ ref[k];
}

/* An array of n records of sz bytes at base, coded field by field, each
 * field's differences together (field k of record i at base + off_k n +
 * i w_k, where off_k and w_k are the field's offset and width). */
typedef struct records {
    size_t base, sz;
    uint32_t n;
} records;

/* The field at byte off (w bytes, at most 8) of record i, predicted as r:
 * its value. */
static inline uint64_t field(dx *x, const records *a, uint32_t i, size_t off, unsigned w,
                             uint64_t r)
{
    uint8_t *v = x->snap + a->base + (size_t)i * a->sz + off;
    uint8_t *d = x->diff + a->base + off * a->n + (size_t)i * w;
    uint64_t val = 0, dv = 0;
    if (x->decode) {
        memcpy(&dv, d, w);
        val = dv + r;
        memcpy(v, &val, w); /* little-endian, as every snapshot */
        return w == 8 ? val : val & (((uint64_t)1 << (8 * w)) - 1);
    }
    memcpy(&val, v, w);
    dv = val - r;
    memcpy(d, &dv, w);
    return val;
}

/* Record i, every field predicted by the same field of ref (NULL: zeros);
 * widths lists the fields' widths in order. */
static inline void fields(dx *x, const records *a, uint32_t i, const uint8_t *ref, const uint8_t *widths,
                   size_t nw)
{
    size_t off = 0;
    for (size_t k = 0; k < nw; off += widths[k++]) {
        uint64_t r = 0;
        if (ref != NULL)
            memcpy(&r, ref + off, widths[k]);
        field(x, a, i, off, widths[k], r);
    }
}

#define SPAN_FIELD(f) offsetof(hs_snap_span, f), sizeof(((hs_snap_span *)0)->f)

/* The span table's fields as columns: offset and width, in offset order
 * (delta_pack.c). */
#define DELTA_SPAN_COLUMNS 15
extern const uint8_t delta_span_columns[DELTA_SPAN_COLUMNS][2];

/* What the spans' coding shares from span to span. */
typedef struct span_state {
    records a;
    int64_t gen, pgen; /* sweep generations of the two frames */
    int64_t dt;        /* their interval */
    bool arenas_kept;  /* the same arenas as before: a kept span keeps its page */
    bool turned;       /* a mark phase ended in between */
    unsigned as;       /* the cell of an object allocated now */
    uint8_t *cells;    /* the predicted cell array */
    int32_t last[HS_SNAP_NUM_SPAN_CLASSES]; /* the last span of each class so far */
} span_state;

static inline const hs_snap_span *new_span(const dx *x, uint32_t i)
{
    return (const hs_snap_span *)(const void *)(x->snap + x->s->spans_off) + i;
}

/* n bytes of a scratch buffer, zeroed; NULL when out of memory (delta.c). */
uint8_t *delta_zeroed(uint8_t **buf, size_t *cap, size_t n);

/* The span script (delta_script.c): made by merging the two frames' span
 * tables (false when out of memory); followed into c->map and c->rmap for n
 * new spans and pn previous ones (false when it does not account for
 * exactly those); and where in the previous frame the new event 0 is. */
bool delta_make_script(delta_ctx *c, const hs_snapshot *p, const hs_snapshot *s);
bool delta_script_maps(delta_ctx *c, bool keyframe, uint32_t pn, uint32_t n);
uint32_t delta_event_shift(const hs_snapshot *p, const hs_snapshot *s);

/* The cells (delta_cells.c). */
void delta_predict_span_cells(dx *x, span_state *st, const hs_snap_span *sp,
                              const hs_snap_span *old, bool swept);
uint32_t delta_span_cells_in_use(dx *x, const span_state *st, const hs_snap_span *sp);
uint32_t delta_predicted_in_use_v2(const dx *x, const span_state *st, const hs_snap_span *sp,
                                   const hs_snap_span *old, bool swept);
uint32_t delta_marked_cells(const dx *x, const hs_snap_span *old);

/* The span table, field by field (delta_spans.c); false when out of memory.
 * With x->rc, the allocation counts are left to delta_code_counts, once the
 * cells are all decoded. */
bool delta_code_spans(dx *x);
void delta_code_counts(dx *x);

/* The cells' differences (n bytes at diff) range-coded against the
 * predicted cells pred into out (cap bytes): the stream's length, 0 when it
 * does not fit (delta_rc.c).  And back: the differences from the stream of
 * len bytes at in. */
size_t delta_rc_encode(const uint8_t *diff, const uint8_t *pred, size_t n, uint8_t *out,
                       size_t cap);
void delta_rc_decode(const uint8_t *in, size_t len, const uint8_t *pred, uint8_t *diff, size_t n);

/* A delta's span table, only the rows that differ (delta_pack.c, format 4):
 * the bitmap's words for nspans spans; packing the encoder's differences
 * (the bitmap appended to c->script; false when out of memory); unpacking
 * the decoder's in place, by the bitmap just after c->script's runs (the
 * caller took it off) and c->map, setting c->changed (false when the
 * bitmap names a span past the last, or out of memory). */
uint32_t delta_pack_words(uint32_t nspans);
bool delta_pack_spans(dx *x);
bool delta_unpack_spans(dx *x);
/* A keyframe of format 5: its rows are all coded, its six columns in the
 * rows' stream (delta_rows.c), zeros in the span table; false when out of
 * memory. */
bool delta_rows_keyframe(dx *x);
/* And its cells' differences as two bit planes, the cells' low bits then
 * their high bits (a part whose bytes are a multiple of 8; others stay as
 * they are); false when out of memory. */
bool delta_plane_cells(dx *x);
bool delta_unplane_cells(dx *x);

/* A frame's changed rows and six columns range-coded (delta_rows.c,
 * format 5).  The columns, in the order code_span codes them; the first
 * four are bytes, then the free index and the age. */
enum { ROW_CLASS, ROW_SWEEP, ROW_CACHED, ROW_SET, ROW_FREE, ROW_AGE, ROW_COLS };
/* Encoding: begin a frame (false when out of memory); note each of those
 * fields of every span code_span codes (value v, prediction r, contexts
 * below 32 and 8); once the changed rows ch are known (new spans' set
 * too), append the stream and its length to c->script (false when out of
 * memory). */
bool delta_rows_begin(delta_ctx *c);
void delta_rows_note(dx *x, uint32_t i, unsigned col, unsigned eq_ctx, unsigned val_ctx,
                     uint64_t v, uint64_t r);
bool delta_rows_encode(dx *x, const uint8_t *ch);
/* Decoding: the changed rows into ch from the stream of len bytes at in
 * (which stays in place while the frame decodes; false when out of
 * memory); then each field of span i, predicted r: its value (r when its
 * row does not differ). */
bool delta_rows_start(dx *x, const uint8_t *in, size_t len, uint8_t *ch);
uint64_t delta_rows_decode(dx *x, uint32_t i, unsigned col, unsigned eq_ctx, unsigned val_ctx,
                           uint64_t r);
void delta_rows_destroy(delta_ctx *c);

#endif
