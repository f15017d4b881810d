/*
 * delta_pack.c — a delta's span table: only the rows that differ; and the
 * cells as two bit planes when their range-coded stream (delta_rc.c) would
 * not be shorter (format versions 4 and 5; delta.c explains the transform).
 *
 * Most spans of a delta are predicted exactly: a frame of web's 18,000
 * spans has some 800 whose fields differ from their prediction, a few
 * fields each.  Stored field by field over every span, each of those
 * differences pays for its position in every column it appears in.  So a
 * delta stores a bitmap of the spans, among those the script pairs with a
 * span before, whose row is not all zeros (bit q of word q / 32: the q-th
 * of them), appended to the span script (format 5 range-codes those bits
 * and six of the columns instead: delta_rows.c); and then each column over those
 * rows and the rows of every new span (which no prediction gets right), in
 * span order, at the start of the span table's bytes; the rest of them is
 * zeros.  A keyframe's rows are nearly
 * all different and are stored whole.
 *
 * Packing moves each value to an offset no higher than its own (column k
 * starts at off_k * m for m rows, at off_k * n unpacked; its q-th row is
 * the i-th span, q <= i), so it works in place front to back; unpacking
 * moves them back, a column at a time from the last.  The decoder gets the
 * changed spans from the bitmap without reading the differences.
 *
 * The cells' differences are mostly one kind: a white cell that is free
 * now (a sweep the frames did not see), or a free one allocated.  Those
 * differ in the low bit alone, so a plane of low bits holds them eight to
 * a byte, and the plane of high bits (marks) is nearly all zeros, which
 * the compressor finds better than four two-bit symbols a byte (about 8%
 * fewer bytes for web's cells).
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include "record/delta_code.h"

/* The span table's columns, in offset order (their widths sum to a row). */
const uint8_t delta_span_columns[DELTA_SPAN_COLUMNS][2] = {
    {SPAN_FIELD(start)},       {SPAN_FIELD(npages)},    {SPAN_FIELD(page)},
    {SPAN_FIELD(spanclass)},   {SPAN_FIELD(sweep)},     {SPAN_FIELD(cached_by)},
    {SPAN_FIELD(central_set)}, {SPAN_FIELD(elemsize)},  {SPAN_FIELD(nelems)},
    {SPAN_FIELD(alloc_count)}, {SPAN_FIELD(freeindex)}, {SPAN_FIELD(flags)},
    {SPAN_FIELD(cells)},       {SPAN_FIELD(pad)},       {SPAN_FIELD(age_ns)},
};

_Static_assert(sizeof(hs_snap_span) == 48 && offsetof(hs_snap_span, age_ns) + 8 == 48,
               "delta_pack.c lists every column of the span table");

/* One value of w bytes (a column's width), without a call. */
static inline void copy_value(uint8_t *to, const uint8_t *from, unsigned w)
{
    switch (w) {
    case 8:
        memcpy(to, from, 8);
        break;
    case 4:
        memcpy(to, from, 4);
        break;
    case 2:
        memcpy(to, from, 2);
        break;
    default:
        *to = *from;
        break;
    }
}

/* Is the value of w bytes at p not zero? */
static inline bool nonzero(const uint8_t *p, unsigned w)
{
    uint64_t v = 0;
    switch (w) {
    case 8:
        memcpy(&v, p, 8);
        break;
    case 4: {
        uint32_t t;
        memcpy(&t, p, 4);
        v = t;
    } break;
    case 2: {
        uint16_t t;
        memcpy(&t, p, 2);
        v = t;
    } break;
    default:
        v = *p;
        break;
    }
    return v != 0;
}

uint32_t delta_pack_words(uint32_t nspans)
{
    return (nspans + 31) / 32;
}

/* Format 5 leaves these columns to delta_rows.c: zeros in the packed rows. */
static bool rows_column(size_t off)
{
    return off == offsetof(hs_snap_span, spanclass) || off == offsetof(hs_snap_span, sweep) ||
           off == offsetof(hs_snap_span, cached_by) ||
           off == offsetof(hs_snap_span, central_set) || off == offsetof(hs_snap_span, freeindex) ||
           off == offsetof(hs_snap_span, age_ns);
}

bool delta_pack_spans(dx *x)
{
    delta_ctx *c = x->c;
    uint32_t n = x->s->nspans, nw = x->rows ? 0 : delta_pack_words(n);
    uint8_t *base = x->diff + x->s->spans_off;
    if (!rec_grow(&c->changed, &c->changed_cap, (size_t)n + 1, 1) ||
        !rec_grow(&c->script, &c->script_cap, c->script_len + nw, sizeof(uint32_t)))
        return false;
    uint8_t *ch = c->changed;
    memset(ch, 0, n);
    for (size_t k = 0; k < DELTA_SPAN_COLUMNS; k++) {
        const uint8_t *col = base + (size_t)delta_span_columns[k][0] * n;
        unsigned w = delta_span_columns[k][1];
        for (uint32_t i = 0; i < n; i++)
            ch[i] |= nonzero(col + (size_t)i * w, w);
    }
    uint32_t *bits = c->script + c->script_len, m = 0, q = 0;
    memset(bits, 0, nw * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        if (c->map[i] < 0) {
            ch[i] = 1; /* a new span: always a row, and no bit */
        } else {
            if (!x->rows)
                bits[q / 32] |= (uint32_t)ch[i] << (q % 32);
            q++;
        }
        m += ch[i];
    }
    c->script_len += nw;
    if (x->rows && !delta_rows_encode(x, ch))
        return false;
    for (size_t k = 0; k < DELTA_SPAN_COLUMNS; k++) {
        const uint8_t *from = base + (size_t)delta_span_columns[k][0] * n;
        unsigned w = delta_span_columns[k][1];
        uint8_t *to = base + (size_t)delta_span_columns[k][0] * m;
        for (uint32_t i = 0; i < n; i++)
            if (ch[i]) { /* to <= from + i w: never ahead of what it copies */
                copy_value(to, from + (size_t)i * w, w);
                to += w;
            }
        if (x->rows && rows_column(delta_span_columns[k][0]))
            memset(base + (size_t)delta_span_columns[k][0] * m, 0, (size_t)m * w);
    }
    memset(base + sizeof(hs_snap_span) * (size_t)m, 0, sizeof(hs_snap_span) * (size_t)(n - m));
    return true;
}

bool delta_rows_keyframe(dx *x)
{
    delta_ctx *c = x->c;
    uint32_t n = x->s->nspans;
    if (!rec_grow(&c->changed, &c->changed_cap, (size_t)n + 1, 1))
        return false;
    if (x->decode)
        return delta_rows_start(x, c->rows_in, c->rows_len, c->changed);
    memset(c->changed, 1, n);
    if (!delta_rows_encode(x, c->changed))
        return false;
    uint8_t *base = x->diff + x->s->spans_off;
    for (size_t k = 0; k < DELTA_SPAN_COLUMNS; k++)
        if (rows_column(delta_span_columns[k][0]))
            memset(base + (size_t)delta_span_columns[k][0] * n, 0, (size_t)n * delta_span_columns[k][1]);
    return true;
}

bool delta_unpack_spans(dx *x)
{
    delta_ctx *c = x->c;
    uint32_t n = x->s->nspans, nw = delta_pack_words(n), m = 0, q = 0;
    if (!rec_grow(&c->changed, &c->changed_cap, (size_t)n + 1, 1) ||
        !rec_grow(&c->rows, &c->rows_cap, (size_t)n + 1, sizeof(uint32_t)))
        return false;
    const uint32_t *bits = c->script + c->script_len; /* just after the runs */
    uint8_t *ch = c->changed, *base = x->diff + x->s->spans_off;
    if (x->rows && !delta_rows_start(x, c->rows_in, c->rows_len, ch))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!x->rows) { /* format 4: its bit; a new span always has a row */
            ch[i] = c->map[i] < 0 || (bits[q / 32] >> (q % 32) & 1);
            q += c->map[i] >= 0;
        }
        if (ch[i])
            c->rows[m++] = i;
    }
    for (; !x->rows && q < 32 * nw; q++)
        if (bits[q / 32] >> (q % 32) & 1)
            return false; /* a bit past the last span that was there before */
    /* Back to front, a column at a time: column k's packed values go aside,
     * then its place (which holds only them and the packed columns after
     * it, already moved) is cleared and they are put back by row. */
    uint8_t *aside = delta_zeroed(&c->pscratch, &c->pscratch_cap, (size_t)m * 8 + 1);
    if (aside == NULL)
        return false;
    for (size_t k = DELTA_SPAN_COLUMNS; k-- > 0;) {
        unsigned w = delta_span_columns[k][1];
        uint8_t *to = base + (size_t)delta_span_columns[k][0] * n;
        memcpy(aside, base + (size_t)delta_span_columns[k][0] * m, (size_t)m * w);
        memset(to, 0, (size_t)n * w);
        for (uint32_t r = 0; r < m; r++)
            copy_value(to + (size_t)c->rows[r] * w, aside + (size_t)r * w, w);
    }
    return true;
}

/* ---- the cells as two bit planes ----------------------------------------------------------- */

/* The even bits of x (bits 0, 2, ..., 62) gathered into the low 32. */
static uint64_t even_bits(uint64_t x)
{
    x &= 0x5555555555555555u;
    x = (x | x >> 1) & 0x3333333333333333u;
    x = (x | x >> 2) & 0x0f0f0f0f0f0f0f0fu;
    x = (x | x >> 4) & 0x00ff00ff00ff00ffu;
    x = (x | x >> 8) & 0x0000ffff0000ffffu;
    return (x | x >> 16) & 0x00000000ffffffffu;
}

/* The inverse: the low 32 bits of x spread to the even bits. */
static uint64_t spread_bits(uint64_t x)
{
    x &= 0x00000000ffffffffu;
    x = (x | x << 16) & 0x0000ffff0000ffffu;
    x = (x | x << 8) & 0x00ff00ff00ff00ffu;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0fu;
    x = (x | x << 2) & 0x3333333333333333u;
    return (x | x << 1) & 0x5555555555555555u;
}

/* Split (or join, when join) the cells part's differences, in place
 * through a scratch buffer; a part whose bytes are not a multiple of 8
 * stays as it is.  False when out of memory. */
static bool planes(dx *x, bool join)
{
    size_t n = x->s->size - x->s->cells_off, half = n / 2;
    n = n % 8 == 0 ? n : 0;
    uint8_t *d = x->diff + x->s->cells_off;
    uint8_t *t = delta_zeroed(&x->c->planes, &x->c->planes_cap, n + 1);
    if (t == NULL)
        return false;
    for (size_t k = 0; k < n; k += 8) {
        uint64_t v;
        uint32_t lo, hi;
        if (join) {
            memcpy(&lo, d + k / 2, 4);
            memcpy(&hi, d + half + k / 2, 4);
            v = spread_bits(lo) | spread_bits(hi) << 1;
            memcpy(t + k, &v, 8);
        } else {
            memcpy(&v, d + k, 8);
            lo = (uint32_t)even_bits(v);
            hi = (uint32_t)even_bits(v >> 1);
            memcpy(t + k / 2, &lo, 4);
            memcpy(t + half + k / 2, &hi, 4);
        }
    }
    memcpy(d, t, n);
    return true;
}

bool delta_plane_cells(dx *x)
{
    return planes(x, false);
}

bool delta_unplane_cells(dx *x)
{
    return planes(x, true);
}
