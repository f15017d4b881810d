/*
 * delta_spans.c — the span table, field by field (delta.c explains the
 * transform and lists the predictions; doc/recording-format.md has them as
 * a table).
 *
 * Each span is paired with the span of the same start address a frame
 * before (the span script); each field is predicted from the paired span
 * and from the fields of this frame coded before it, in the order of
 * code_span; a new span from the span before it and the last span of its
 * class.  Its cells are predicted as it is coded (delta_cells.c), and its
 * allocation count last, from its cells.  Most spans of most frames are
 * their paired span a frame older: quiet_span codes them in one step, to the
 * same bytes as code_span would.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta_code.h"

/* The first page of the span at start, by the new frame's arenas (sorted
 * by base, as captured); fallback when no arena holds it. */
static uint32_t page_of(const dx *x, uint64_t start, uint32_t fallback)
{
    const hs_snap_arena *ar = (const hs_snap_arena *)(const void *)(x->snap + x->s->arenas_off);
    uint32_t lo = 0, hi = x->s->narenas;
    while (lo < hi) { /* the last arena with base <= start */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ar[mid].base <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || start - ar[lo - 1].base >= ARENA_BYTES)
        return fallback;
    return ar[lo - 1].first_page + (uint32_t)((start - ar[lo - 1].base) / HS_SNAP_PAGE_SIZE);
}

/* The heap's sweep generation (its sweepgen / 2, less a constant): it
 * moves on when a mark phase ends. */
static int64_t sweep_gen(const hs_snapshot *s)
{
    bool marking = s->phase == PHASE_SWEEP_TERMINATION || s->phase == PHASE_MARK ||
                   s->phase == PHASE_MARK_TERMINATION;
    return (int64_t)s->cycle - marking;
}

/* The generation in which a span in sweep state st was last swept. */
static int64_t swept_in(int64_t gen, unsigned st)
{
    return st == HS_SWEEP_SWEPT || st == HS_SWEEP_CACHED ? gen : gen - 1;
}

/* The central set a span is on: none while cached.  A span an mcache gave
 * back was full (an mcache lets a span go when it is full), and so is a new
 * one (filled since the last frame, or a large object's); a swept one is
 * full if every object survived; otherwise the set it was on, swept or not
 * by its sweep state. */
static unsigned predict_set(const dx *x, const hs_snap_span *sp, const hs_snap_span *old,
                            bool swept)
{
    if (sp->cached_by != 0)
        return HS_SET_NONE;
    bool now_swept = sp->sweep == HS_SWEEP_SWEPT || sp->sweep == HS_SWEEP_CACHED;
    bool full = old == NULL || old->cached_by != 0 || old->central_set == HS_SET_NONE ||
                (swept ? delta_marked_cells(x, old) >= sp->nelems
                       : old->central_set == HS_SET_FULL_SWEPT ||
                             old->central_set == HS_SET_FULL_UNSWEPT);
    if (full)
        return now_swept ? HS_SET_FULL_SWEPT : HS_SET_FULL_UNSWEPT;
    return now_swept ? HS_SET_PARTIAL_SWEPT : HS_SET_PARTIAL_UNSWEPT;
}

/* Its free index: the end, for a span that went full since (on a full set
 * now, not then); 0 just after a sweep; else as it was. */
static uint32_t predict_freeindex(const hs_snap_span *sp, const hs_snap_span *old, bool swept)
{
    bool full = sp->central_set == HS_SET_FULL_SWEPT || sp->central_set == HS_SET_FULL_UNSWEPT;
    if (full && (old == NULL || old->central_set != sp->central_set))
        return sp->nelems;
    return old != NULL && !swept ? old->freeindex : 0;
}

/* A field of the columns delta_rows.c codes in format 5 (col, contexts
 * eq_ctx and val_ctx); any other, field's way.  Its value.  Inlined, so
 * that each call's width is a constant. */
static inline __attribute__((always_inline)) unsigned row_field(dx *x, const records *a, uint32_t i, size_t off, unsigned w,
                          uint64_t r, unsigned col, unsigned eq_ctx, unsigned val_ctx)
{
    if (!x->rows)
        return (unsigned)field(x, a, i, off, w, r);
    if (x->decode && x->c->changed[i]) { /* its difference into place, for field to add back
                                            * (a row that does not differ holds zeros) */
        uint64_t dv = delta_rows_decode(x, i, col, eq_ctx, val_ctx, r) - r;
        memcpy(x->diff + a->base + off * a->n + (size_t)i * w, &dv, w);
    }
    unsigned v = (unsigned)field(x, a, i, off, w, r);
    if (!x->decode)
        delta_rows_note(x, i, col, eq_ctx, val_ctx, v, r);
    return v;
}

/* Format 5: the age, in the rows' stream (context ctx). */
static void row_age(dx *x, const records *a, uint32_t i, uint64_t r, unsigned ctx)
{
    size_t off = offsetof(hs_snap_span, age_ns);
    if (x->decode && x->c->changed[i]) {
        uint64_t dv = delta_rows_decode(x, i, ROW_AGE, ctx, ctx, r) - r;
        memcpy(x->diff + a->base + off * a->n + (size_t)i * 8, &dv, 8);
    }
    uint64_t v = field(x, a, i, off, 8, r);
    if (!x->decode)
        delta_rows_note(x, i, ROW_AGE, ctx, ctx, v, r);
}

/* Span i, field by field, each predicted from the fields before it. */
static void code_span(dx *x, span_state *st, uint32_t i)
{
    const records *a = &st->a;
    int32_t j = x->p != NULL ? x->c->map[i] : -1;
    const hs_snap_span *old = j >= 0 ? &hs_snap_spans(x->p)[j] : NULL;
    const hs_snap_span *q = i > 0 ? new_span(x, i - 1) : NULL, *sp = new_span(x, i);
    const hs_snap_span zero = {0}, *before = q != NULL ? q : &zero;
    uint64_t start = field(x, a, i, SPAN_FIELD(start),
                           old ? old->start : before->start + (uint64_t)before->npages * HS_SNAP_PAGE_SIZE);
    unsigned sc = row_field(x, a, i, SPAN_FIELD(spanclass), old ? old->spanclass : before->spanclass,
                            ROW_CLASS, old == NULL, old == NULL);
    /* A new span: shaped like the last one of its class. */
    const hs_snap_span *like = old;
    if (like == NULL && sc < HS_SNAP_NUM_SPAN_CLASSES && st->last[sc] >= 0)
        like = new_span(x, (uint32_t)st->last[sc]);
    like = like != NULL ? like : before;
    uint32_t npages = (uint32_t)field(x, a, i, SPAN_FIELD(npages), like->npages);
    field(x, a, i, SPAN_FIELD(page),
          old && st->arenas_kept ? old->page : page_of(x, start, before->page + before->npages));
    field(x, a, i, SPAN_FIELD(elemsize),
          sc >> 1 == 0 && old == NULL ? npages * (uint64_t)HS_SNAP_PAGE_SIZE : like->elemsize);
    field(x, a, i, SPAN_FIELD(nelems), like->nelems);
    /* A mark phase's end empties the mcaches and leaves every span to sweep. */
    bool turned = st->turned;
    unsigned sweep_r = old != NULL ? (turned ? HS_SWEEP_NEEDS : old->sweep)
                       : sc >> 1 == 0  ? HS_SWEEP_SWEPT /* a large object's span */
                                       : HS_SWEEP_CACHED; /* a fresh span goes to an mcache */
    unsigned sweep = row_field(x, a, i, SPAN_FIELD(sweep), sweep_r, ROW_SWEEP,
                               old ? 1 + (old->sweep & 7u) + 8 * turned : 0, sweep_r & 7u);
    unsigned cached_r = old && !turned ? old->cached_by : 0;
    unsigned cached = row_field(x, a, i, SPAN_FIELD(cached_by), cached_r, ROW_CACHED,
                                (old ? 1 + (old->cached_by != 0) : 0) + 3 * (sweep & 7u),
                                (cached_r != 0) + 2 * (old == NULL));
    field(x, a, i, SPAN_FIELD(flags), like->flags & (old ? 0xffff : HS_SPAN_INLINE_MARKS));
    bool swept = old != NULL && swept_in(st->gen, sweep) > swept_in(st->pgen, old->sweep);
    unsigned set_r = predict_set(x, sp, old, swept);
    unsigned set = row_field(x, a, i, SPAN_FIELD(central_set), set_r, ROW_SET,
                             (set_r & 7u) + 8 * (cached != 0) + 16 * (old == NULL), set_r & 7u);
    unsigned free_r = predict_freeindex(sp, old, swept);
    row_field(x, a, i, SPAN_FIELD(freeindex), free_r, ROW_FREE,
              (set & 7u) + 8 * (cached != 0) + 16 * (old == NULL),
              (cached != 0) + 2 * (old == NULL) + 4 * (free_r == 0));
    field(x, a, i, SPAN_FIELD(cells), q ? q->cells + (q->nelems + 3u) / 4 : 0);
    field(x, a, i, SPAN_FIELD(pad), old ? old->pad : 0);
    uint64_t age_r = old     ? (uint64_t)old->age_ns + (uint64_t)st->dt
                     : x->p  ? (uint64_t)(st->dt / 2)
                     : x->v2 || x->rows ? (uint64_t)before->age_ns : 0;
    if (x->rows)
        row_age(x, a, i, age_r, old ? 0 : x->p ? 1 : 2);
    else
        field(x, a, i, SPAN_FIELD(age_ns), age_r);
    delta_predict_span_cells(x, st, sp, old, swept);
    if (!x->rc)
        field(x, a, i, SPAN_FIELD(alloc_count),
              x->v2 ? delta_predicted_in_use_v2(x, st, sp, old, swept)
                    : delta_span_cells_in_use(x, st, sp));
    if (sc < HS_SNAP_NUM_SPAN_CLASSES)
        st->last[sc] = (int32_t)i;
}

/* The quick path, for most spans of most frames: a span whose whole
 * prediction is itself a frame older (its age grown, its cells after the
 * span before's), as code_span would predict it field by field — not
 * cached, on the central set its sweep state says, its cells known, the
 * sweep generation and the arenas unchanged — and that is its prediction
 * exactly.  Then each field's difference is zero and the cells are the
 * span's own: the same bytes as code_span's, at a fraction of its work.
 * False (nothing coded) otherwise. */
static bool quiet_span(dx *x, span_state *st, uint32_t i, const hs_snap_span *old)
{
    const records *a = &st->a;
    if (old == NULL || st->turned || !st->arenas_kept || old->cached_by != 0 ||
        (old->flags & HS_SPAN_CELLS_UNKNOWN) || old->cells >= x->p->ncell_bytes)
        return false;
    bool swept = old->sweep == HS_SWEEP_SWEPT || old->sweep == HS_SWEEP_CACHED;
    if (old->central_set == HS_SET_NONE || old->central_set > HS_SET_FULL_UNSWEPT ||
        swept != (old->central_set == HS_SET_PARTIAL_SWEPT || old->central_set == HS_SET_FULL_SWEPT))
        return false;
    hs_snap_span r = *old;
    r.age_ns = (int64_t)((uint64_t)old->age_ns + (uint64_t)st->dt);
    r.cells = 0;
    if (i > 0) {
        const hs_snap_span *q = new_span(x, i - 1);
        r.cells = q->cells + (q->nelems + 3u) / 4;
    }
    if (r.cells >= x->s->ncell_bytes)
        return false;
    hs_snap_span *v = (hs_snap_span *)(void *)(x->snap + a->base + (size_t)i * a->sz);
    if (x->decode) {
        if (x->c->changed[i])
            return false;
        memcpy(v, &r, sizeof(r));
        delta_predict_span_cells(x, st, v, old, false);
        if (!x->v2 && !x->rc)
            v->alloc_count = (uint16_t)delta_span_cells_in_use(x, st, v);
    } else {
        r.alloc_count = v->alloc_count;
        if (memcmp(v, &r, sizeof(r)) != 0)
            return false;
        delta_predict_span_cells(x, st, v, old, false);
        if (delta_span_cells_in_use(x, st, v) != v->alloc_count)
            return false; /* code_span predicts it again, the same */
        for (size_t k = 0; k < DELTA_SPAN_COLUMNS; k++) {
            unsigned w = delta_span_columns[k][1];
            memset(x->diff + a->base + delta_span_columns[k][0] * a->n + (size_t)i * w, 0, w);
        }
    }
    if (r.spanclass < HS_SNAP_NUM_SPAN_CLASSES)
        st->last[r.spanclass] = (int32_t)i;
    return true;
}

/* Decoding: which spans have a difference that is not zero, a byte per
 * span, column by column (each a sequential pass). */
static bool changed_spans(dx *x, const records *a)
{
    if (!rec_grow(&x->c->changed, &x->c->changed_cap, (size_t)a->n + 1, 1))
        return false;
    uint8_t *ch = x->c->changed;
    memset(ch, 0, a->n);
    for (size_t k = 0; k < DELTA_SPAN_COLUMNS; k++) {
        const uint8_t *d = x->diff + a->base + delta_span_columns[k][0] * a->n;
        unsigned w = delta_span_columns[k][1];
        if (w == 8) {
            for (uint32_t i = 0; i < a->n; i++) {
                uint64_t t;
                memcpy(&t, d + 8 * (size_t)i, 8);
                ch[i] |= t != 0;
            }
        } else if (w == 4) {
            for (uint32_t i = 0; i < a->n; i++)
                ch[i] |= ld32(d + 4 * (size_t)i) != 0;
        } else if (w == 2) {
            for (uint32_t i = 0; i < a->n; i++)
                ch[i] |= (d[2 * (size_t)i] | d[2 * (size_t)i + 1]) != 0;
        } else {
            for (uint32_t i = 0; i < a->n; i++)
                ch[i] |= d[i] != 0;
        }
    }
    return true;
}

bool delta_code_spans(dx *x)
{
    const hs_snapshot *p = x->p, *s = x->s;
    span_state st = {.a = {s->spans_off, sizeof(hs_snap_span), s->nspans},
                     .gen = sweep_gen(s),
                     .pgen = p ? sweep_gen(p) : 0,
                     .dt = p ? s->t_ns - p->t_ns : 0,
                     .as = s->phase == PHASE_MARK ? HS_CELL_BLACK : HS_CELL_WHITE};
    st.cells = delta_zeroed(&x->c->scratch, &x->c->scratch_cap, s->size - s->cells_off);
    if (st.cells == NULL)
        return false;
    memset(st.last, 0xff, sizeof(st.last));
    st.arenas_kept = p != NULL && p->narenas == s->narenas &&
                     memcmp(prev_at(x, p->arenas_off), x->snap + s->arenas_off,
                            s->narenas * sizeof(hs_snap_arena)) == 0;
    st.turned = p != NULL && st.gen > st.pgen;
    if (x->decode && p != NULL && !x->packed && !changed_spans(x, &st.a))
        return false;
    for (uint32_t i = 0; i < s->nspans; i++) {
        int32_t j = p != NULL ? x->c->map[i] : -1;
        if (!quiet_span(x, &st, i, j >= 0 ? &hs_snap_spans(p)[j] : NULL))
            code_span(x, &st, i);
    }
    return true;
}
