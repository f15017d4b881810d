/*
 * delta_cells.c — predicting a span's cells (delta.c explains the
 * transform; delta_spans.c calls these as it codes each span).
 *
 * A span's cells in the new frame are predicted from its cells a frame
 * before: swept if its sweep state says it was swept in between (marked
 * cells white, white cells free), then every free cell from its old free
 * index up to its new one allocated (black while marking, else white).
 * The prediction goes into the scratch cell array; the cells part stores
 * the actual cells XOR it.  A span's allocation count is the number of its
 * cells in use, so it is predicted from the decoded cells themselves and
 * costs nothing: decoding decodes the span's cells as soon as their
 * prediction is complete, ahead of the rest of the array.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta_code.h"

static inline unsigned popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((v * 0x0101010101010101ull) >> 56);
}

/* Cells a sweep leaves: marked (gray, black) -> white, white -> free.  With
 * low = A & (!M | S) and high = A & M per cell (heapwalk.c), the new low bit
 * is the old high bit and the high bit is clear. */
static void sweep_cells(uint8_t *c, size_t n)
{
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, c + k, 8);
        w = (w >> 1) & 0x5555555555555555ull;
        memcpy(c + k, &w, 8);
    }
    for (; k < n; k++)
        c[k] = (c[k] >> 1) & 0x55;
}

/* Cells of the first nelems (at most 4 n) that are not free: a cell is free
 * when both its bits are clear. */
static uint32_t cells_in_use(const uint8_t *c, uint32_t nelems)
{
    const uint64_t low = 0x5555555555555555ull, two = 0x3333333333333333ull;
    uint32_t n = 0, k = 0, bytes = nelems / 4;
    for (; k + 24 <= bytes; k += 24) { /* three words: their pairs sum to at most 3 */
        uint64_t w[3];
        memcpy(w, c + k, 24);
        uint64_t v = ((w[0] | w[0] >> 1) & low) + ((w[1] | w[1] >> 1) & low) +
                     ((w[2] | w[2] >> 1) & low);
        v = (v & two) + (v >> 2 & two);
        v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
        n += (uint32_t)((v * 0x0101010101010101ull) >> 56);
    }
    for (; k + 8 <= bytes; k += 8) {
        uint64_t w;
        memcpy(&w, c + k, 8);
        n += popcount64((w | w >> 1) & low);
    }
    /* The rest, fewer than 32 cells (most spans have no more): one word of
     * their bytes, the cells past nelems masked off. */
    uint32_t rest = nelems - 4 * k;
    if (rest == 0)
        return n;
    uint64_t w = 0;
    for (uint32_t b = 0; b < (2 * rest + 7) / 8; b++)
        w |= (uint64_t)c[k + b] << (8 * b);
    return n + popcount64((w | w >> 1) & low & (((uint64_t)1 << (2 * rest)) - 1));
}

/* Objects allocated since: the free cells from from to to become
 * allocated, black while marking, white otherwise. */
static void predict_allocs(uint8_t *c, uint32_t from, uint32_t to, unsigned as)
{
    uint32_t k = from;
    for (; k < to && k % 4 != 0; k++)
        if (((c[k / 4] >> (2 * (k % 4))) & 3) == HS_CELL_FREE)
            c[k / 4] |= (uint8_t)(as << (2 * (k % 4)));
    for (; k + 4 <= to; k += 4) { /* four cells at a time: a bit per free cell */
        uint8_t b = c[k / 4], f = (uint8_t)(~(b | b >> 1) & 0x55);
        c[k / 4] = (uint8_t)(b | (as == HS_CELL_BLACK ? f | f << 1 : f));
    }
    for (; k < to; k++)
        if (((c[k / 4] >> (2 * (k % 4))) & 3) == HS_CELL_FREE)
            c[k / 4] |= (uint8_t)(as << (2 * (k % 4)));
}

/* Predict span i's cells into st->cells (where its cells field says, as
 * far as the array goes) from the span it was (NULL: none), swept if it was
 * swept in between, then the objects allocated below its free index. */
void delta_predict_span_cells(dx *x, span_state *st, const hs_snap_span *sp,
                               const hs_snap_span *old, bool swept)
{
    uint32_t ncells = x->s->ncell_bytes;
    if (sp->cells >= ncells || (sp->flags & HS_SPAN_CELLS_UNKNOWN))
        return;
    uint32_t n = (sp->nelems + 3u) / 4;
    n = n < ncells - sp->cells ? n : ncells - sp->cells;
    uint8_t *c = st->cells + sp->cells;
    if (old != NULL && old->cells < x->p->ncell_bytes) {
        uint32_t pn = (old->nelems + 3u) / 4;
        pn = pn < x->p->ncell_bytes - old->cells ? pn : x->p->ncell_bytes - old->cells;
        memcpy(c, prev_at(x, x->p->cells_off) + old->cells, pn < n ? pn : n);
        if (swept)
            sweep_cells(c, n);
    }
    uint32_t nelems = sp->nelems < 4 * n ? sp->nelems : 4 * n;
    uint32_t to = sp->freeindex < nelems ? sp->freeindex : nelems;
    if (old == NULL || swept || old->freeindex < to || old->nelems != sp->nelems)
        predict_allocs(c, old != NULL && !swept ? old->freeindex : 0, to, st->as);
}

/* Format version 2 predicted a span's allocation count from its predicted
 * cells: old's count when they were old's cells as they were. */
uint32_t delta_predicted_in_use_v2(const dx *x, const span_state *st, const hs_snap_span *sp,
                                    const hs_snap_span *old, bool swept)
{
    uint32_t ncells = x->s->ncell_bytes;
    if (sp->cells >= ncells || (sp->flags & HS_SPAN_CELLS_UNKNOWN))
        return 0;
    uint32_t n = (sp->nelems + 3u) / 4;
    n = n < ncells - sp->cells ? n : ncells - sp->cells;
    uint32_t nelems = sp->nelems < 4 * n ? sp->nelems : 4 * n;
    uint32_t to = sp->freeindex < nelems ? sp->freeindex : nelems;
    if (old != NULL && !swept && old->freeindex >= to && old->nelems == sp->nelems)
        return old->alloc_count;
    return cells_in_use(st->cells + sp->cells, nelems);
}

/* Span sp's cells in use in the new frame, which is its allocation count
 * (0 while its cells are unknown).  Decoding, its cells are decoded here,
 * ahead of the rest of the cell array (their prediction is complete once
 * delta_predict_span_cells ran), so that both sides count the same cells. */
uint32_t delta_span_cells_in_use(dx *x, const span_state *st, const hs_snap_span *sp)
{
    uint32_t ncells = x->s->ncell_bytes;
    if (sp->cells >= ncells || (sp->flags & HS_SPAN_CELLS_UNKNOWN))
        return 0;
    uint32_t n = (sp->nelems + 3u) / 4;
    n = n < ncells - sp->cells ? n : ncells - sp->cells;
    size_t off = x->s->cells_off + sp->cells;
    if (x->decode && !x->rc) /* format 4 decodes every cell before the counts */
        xor_bytes(x, off, st->cells + sp->cells, n);
    return cells_in_use(x->snap + off, sp->nelems < 4 * n ? sp->nelems : 4 * n);
}

/* Format 4 and later: each span's allocation count, predicted from its
 * cells, all of which are known now (decoding: decoded).  Here, beside the
 * counting, so that the count of each span's few cells inlines. */
void delta_code_counts(dx *x)
{
    const hs_snapshot *s = x->s;
    span_state st = {.a = {s->spans_off, sizeof(hs_snap_span), s->nspans}, .cells = x->c->scratch};
    for (uint32_t i = 0; i < s->nspans; i++)
        field(x, &st.a, i, SPAN_FIELD(alloc_count), delta_span_cells_in_use(x, &st, new_span(x, i)));
}

/* The cells of a span of the previous frame that are marked (gray or
 * black): those a sweep keeps. */
uint32_t delta_marked_cells(const dx *x, const hs_snap_span *old)
{
    if (old->cells >= x->p->ncell_bytes)
        return 0;
    const uint8_t *c = prev_at(x, x->p->cells_off) + old->cells;
    uint32_t n = (old->nelems + 3u) / 4, k = 0, marked = 0;
    n = n < x->p->ncell_bytes - old->cells ? n : x->p->ncell_bytes - old->cells;
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, c + k, 8);
        marked += popcount64(w & 0xaaaaaaaaaaaaaaaaull);
    }
    for (; k < n; k++)
        marked += popcount64(c[k] & 0xaau);
    return marked;
}
