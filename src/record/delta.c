/*
 * delta.c — a snapshot as the difference from a prediction.
 *
 * Consecutive snapshots are nearly equal, but not byte for byte at the same
 * offsets: a span inserted into the address-ordered span table moves every
 * span after it, and every page-to-span index with it; the event list slides
 * by the events that came and went; every span's age grows by the frame
 * interval.  And much of a snapshot follows from the rest of it: the page
 * map, the central table's counts and each P's cached spans are functions of
 * the span table; a span's allocation count is the number of its cells in
 * use; a sweep turns a span's marked cells white and its white cells free and
 * resets its free index.  So each part of the new snapshot is predicted from
 * the previous frame and from the parts of the new one decoded before it,
 * and only the difference from the prediction is stored.  The parts, in the
 * order they are coded (doc/recording-format.md has the same table):
 *
 *   part        prediction                                       difference
 *   header      the previous header                              words
 *   arenas      the same arena; a new one: the one before, 64 MiB  fields
 *               on; first pages 8192 apart
 *   spans       field by field (code_span): the span with the same  fields
 *               start address, a frame older (its age grown by the
 *               interval; swept if its sweep state says it was swept
 *               in between, then its free index reset), its cells
 *               right after the span before; a new span: right after
 *               the span before, shaped like the last span of its
 *               class; its allocation count: the cells predicted
 *               for it that are in use
 *   central     each class's set and object counts summed from the   fields
 *               span table; the rest as before
 *   procs       the same P before, its cached spans those the span   words
 *               table says it caches
 *   pages       the page of each span's class; elsewhere the page at bytes, XOR
 *               the same address before (free where a span was)
 *   page_span   each span's pages, from the span table               words
 *   events      the event with the same seq (the event shift says    fields
 *               where); a new one: the event before, seq + 1
 *   cells       the cells the span table's coding predicted: the     bytes, XOR
 *               same span's cells before, swept if it was swept,
 *               and the free slots below its free index allocated
 *
 * Differences: "words" are 32-bit words subtracted (mod 2^32) in place;
 * "fields" are each field of a record subtracted at its own width and
 * stored by field: field k of every record together, in record order, so
 * that a field that did not change is a run of zeros for zstd; "XOR" is
 * bytes XORed in place.  A keyframe is the same transform against no
 * previous frame: every prediction falls back to a neighbour in the frame or
 * to zero, which still turns the span table and page map into small
 * repeating numbers.
 *
 * The span script: runs of (match | insert | delete), (run << 2 | op), from a
 * merge of both frames' span tables by start address.  It and the event
 * shift are all the decoder needs besides the previous frame and the bytes.
 *
 * Invariant that keeps encoder and decoder in step: every prediction reads
 * only the previous frame and the parts (and fields) of the new frame coded
 * before it.  Every index read from a frame is clipped to its array and
 * every loop is bounded by the sizes of the two frames, so a damaged frame
 * decodes to damaged bytes, never out of bounds; the reader then refuses it
 * with hs_snapshot_check.  A wrong prediction costs bytes, never exactness.
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta.h"
#include "record/format.h"

enum { OP_MATCH = 0, OP_INSERT = 1, OP_DELETE = 2 };
#define MAX_RUN ((1u << 30) - 1)
/* hs_gcphase (heapscope/runtime.h, which this part does not see). */
#define PHASE_SWEEP_TERMINATION 1
#define PHASE_MARK 2
#define PHASE_MARK_TERMINATION 3
#define ARENA_BYTES ((uint64_t)HS_SNAP_PAGES_PER_ARENA * HS_SNAP_PAGE_SIZE)

void delta_ctx_destroy(delta_ctx *c)
{
    free(c->map);
    free(c->rmap);
    free(c->scratch);
    free(c->pscratch);
    free(c->mcache);
    free(c->changed);
    free(c->script);
    memset(c, 0, sizeof(*c));
}

/* n bytes of a scratch buffer, zeroed; NULL when out of memory. */
static uint8_t *zeroed(uint8_t **buf, size_t *cap, size_t n)
{
    if (!rec_grow(buf, cap, n + 8, 1))
        return NULL;
    memset(*buf, 0, n + 8);
    return *buf;
}

/* ---- the layout ------------------------------------------------------------------------ */

static uint64_t align8(uint64_t n)
{
    return (n + 7) & ~(uint64_t)7;
}

bool delta_canonical(const hs_snapshot *s, size_t bytes)
{
    if (bytes < sizeof(hs_snapshot) || s->size != bytes || s->nprocs > HS_SNAP_MAX_PROCS)
        return false;
    uint64_t off = sizeof(hs_snapshot);
    const struct {
        uint32_t at;
        uint64_t bytes;
    } arrays[] = {
        {s->central_off, (uint64_t)HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central)},
        {s->procs_off, (uint64_t)s->nprocs * sizeof(hs_snap_p)},
        {s->arenas_off, (uint64_t)s->narenas * sizeof(hs_snap_arena)},
        {s->pages_off, align8(s->npages)},
        {s->page_span_off, align8((uint64_t)s->npages * sizeof(int32_t))},
        {s->events_off, (uint64_t)s->nevents * sizeof(hs_snap_event)},
        {s->spans_off, (uint64_t)s->nspans * sizeof(hs_snap_span)},
        {s->cells_off, align8(s->ncell_bytes)},
    };
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        if (arrays[i].at != off)
            return false;
        off += arrays[i].bytes;
    }
    return off == bytes;
}

/* ---- applying a prediction ------------------------------------------------------------- */

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

static const uint8_t *prev_at(const dx *x, uint32_t off)
{
    return (const uint8_t *)x->p + off;
}

/* n bytes (a multiple of 4) at off, predicted by the n bytes at ref (NULL:
 * zeros), word by word, in place. */
static void sub_words(dx *x, size_t off, const uint8_t *ref, size_t n)
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
static void xor_bytes(dx *x, size_t off, const uint8_t *ref, size_t n)
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
static void fields(dx *x, const records *a, uint32_t i, const uint8_t *ref, const uint8_t *widths,
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

/* ---- the span script ------------------------------------------------------------------- */

static bool script_push(delta_ctx *c, uint32_t op, uint32_t run)
{
    if (!rec_grow(&c->script, &c->script_cap, c->script_len + 1, sizeof(uint32_t)))
        return false;
    c->script[c->script_len++] = run << 2 | op;
    return true;
}

/* Merge both span tables by start address into runs of match, insert and
 * delete.  Any order of spans gives a script that decodes; ordered tables
 * give the shortest. */
static bool make_script(delta_ctx *c, const hs_snapshot *p, const hs_snapshot *s)
{
    c->script_len = 0;
    if (p == NULL)
        return true;
    const hs_snap_span *a = hs_snap_spans(p), *b = hs_snap_spans(s);
    uint32_t i = 0, j = 0, last = OP_MATCH, run = 0;
    while (i < s->nspans || j < p->nspans) {
        uint32_t op;
        if (i < s->nspans && j < p->nspans && b[i].start == a[j].start)
            op = OP_MATCH, i++, j++;
        else if (j == p->nspans || (i < s->nspans && b[i].start < a[j].start))
            op = OP_INSERT, i++;
        else
            op = OP_DELETE, j++;
        if (op == last && run > 0 && run < MAX_RUN) {
            run++;
            continue;
        }
        if (run > 0 && !script_push(c, last, run))
            return false;
        last = op;
        run = 1;
    }
    return run == 0 || script_push(c, last, run);
}

/* Follow the script: map and rmap for n new spans and pn previous ones.
 * False when the script does not account for exactly those. */
static bool script_maps(delta_ctx *c, bool keyframe, uint32_t pn, uint32_t n)
{
    if (!rec_grow(&c->map, &c->map_cap, (size_t)n + 1, sizeof(int32_t)) || /* never NULL */
        !rec_grow(&c->rmap, &c->rmap_cap, (size_t)pn + 1, sizeof(int32_t)))
        return false;
    if (keyframe) {
        if (n > 0) /* an empty heap has no spans, and maybe no map yet */
            memset(c->map, 0xff, n * sizeof(int32_t));
        return c->script_len == 0;
    }
    uint32_t i = 0, j = 0;
    for (size_t w = 0; w < c->script_len; w++) {
        uint32_t op = c->script[w] & 3, run = c->script[w] >> 2;
        bool news = op == OP_MATCH || op == OP_INSERT, olds = op == OP_MATCH || op == OP_DELETE;
        if (op > OP_DELETE || (news && run > n - i) || (olds && run > pn - j))
            return false;
        for (uint32_t k = 0; k < run; k++) {
            if (news)
                c->map[i] = olds ? (int32_t)j : -1;
            if (olds)
                c->rmap[j] = news ? (int32_t)i : -1;
            i += news;
            j += olds;
        }
    }
    return i == n && j == pn;
}

bool delta_set_script(delta_ctx *c, const uint8_t *words, size_t n, uint32_t event_shift)
{
    if (!rec_grow(&c->script, &c->script_cap, n, sizeof(uint32_t)))
        return false;
    for (size_t i = 0; i < n; i++)
        c->script[i] = get_le32(words + 4 * i);
    c->script_len = n;
    c->event_shift = event_shift;
    return true;
}

/* Where in the previous frame the new event 0 is, by seq. */
static uint32_t event_shift(const hs_snapshot *p, const hs_snapshot *s)
{
    if (p == NULL || p->nevents == 0 || s->nevents == 0)
        return REC_NO_SHIFT;
    uint64_t seq = hs_snap_events(s)[0].seq, first = hs_snap_events(p)[0].seq;
    if (seq < first || seq - first >= p->nevents || hs_snap_events(p)[seq - first].seq != seq)
        return REC_NO_SHIFT;
    return (uint32_t)(seq - first);
}

/* ---- arenas ---------------------------------------------------------------------------- */

static const uint8_t arena_widths[] = {8, 4, 4};

static void code_arenas(dx *x)
{
    const hs_snapshot *p = x->p, *s = x->s;
    records a = {s->arenas_off, sizeof(hs_snap_arena), s->narenas};
    for (uint32_t i = 0; i < s->narenas; i++) {
        hs_snap_arena r = {0, i * HS_SNAP_PAGES_PER_ARENA, 0};
        if (p != NULL && i < p->narenas)
            r.base = hs_snap_arenas(p)[i].base;
        else if (i > 0)
            memcpy(&r.base, x->snap + a.base + (i - 1) * a.sz, 8), r.base += ARENA_BYTES;
        fields(x, &a, i, (const uint8_t *)&r, arena_widths, sizeof(arena_widths));
    }
}

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

/* ---- cells ----------------------------------------------------------------------------- */

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
    const uint64_t low = 0x5555555555555555ull;
    uint32_t n = 0, k = 0, bytes = nelems / 4;
    for (; k + 8 <= bytes; k += 8) {
        uint64_t w;
        memcpy(&w, c + k, 8);
        n += popcount64((w | w >> 1) & low);
    }
    for (; k < bytes; k++)
        n += popcount64((c[k] | c[k] >> 1) & 0x55);
    if (nelems % 4 != 0)
        n += popcount64((c[k] | c[k] >> 1) & 0x55 & ((1u << (2 * (nelems % 4))) - 1));
    return n;
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

/* ---- spans ----------------------------------------------------------------------------- */

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

#define SPAN_FIELD(f) offsetof(hs_snap_span, f), sizeof(((hs_snap_span *)0)->f)

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

static const hs_snap_span *new_span(const dx *x, uint32_t i)
{
    return (const hs_snap_span *)(const void *)(x->snap + x->s->spans_off) + i;
}

/* Predict span i's cells into st->cells (where its cells field says, as
 * far as the array goes) from the span it was (NULL: none), swept if it was
 * swept in between, then the objects allocated below its free index.  The
 * number of them in use. */
static uint32_t predict_span_cells(dx *x, span_state *st, const hs_snap_span *sp,
                                   const hs_snap_span *old, bool swept)
{
    uint32_t ncells = x->s->ncell_bytes;
    if (sp->cells >= ncells || (sp->flags & HS_SPAN_CELLS_UNKNOWN))
        return 0;
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
    if (old != NULL && !swept && old->freeindex >= to && old->nelems == sp->nelems)
        return old->alloc_count; /* its cells as they were: their count as it was */
    predict_allocs(c, old != NULL && !swept ? old->freeindex : 0, to, st->as);
    return cells_in_use(c, nelems);
}

/* The cells of a span of the previous frame that are marked (gray or
 * black): those a sweep keeps. */
static uint32_t marked_cells(const dx *x, const hs_snap_span *old)
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
                (swept ? marked_cells(x, old) >= sp->nelems
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
    unsigned sc = (unsigned)field(x, a, i, SPAN_FIELD(spanclass), old ? old->spanclass : before->spanclass);
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
    unsigned sweep = (unsigned)field(x, a, i, SPAN_FIELD(sweep), sweep_r);
    field(x, a, i, SPAN_FIELD(cached_by), old && !turned ? old->cached_by : 0);
    field(x, a, i, SPAN_FIELD(flags), like->flags & (old ? 0xffff : HS_SPAN_INLINE_MARKS));
    bool swept = old != NULL && swept_in(st->gen, sweep) > swept_in(st->pgen, old->sweep);
    field(x, a, i, SPAN_FIELD(central_set), predict_set(x, sp, old, swept));
    field(x, a, i, SPAN_FIELD(freeindex), predict_freeindex(sp, old, swept));
    field(x, a, i, SPAN_FIELD(cells), q ? q->cells + (q->nelems + 3u) / 4 : 0);
    field(x, a, i, SPAN_FIELD(pad), old ? old->pad : 0);
    field(x, a, i, SPAN_FIELD(age_ns),
          old ? (uint64_t)old->age_ns + (uint64_t)st->dt
              : x->p ? (uint64_t)(st->dt / 2) : (uint64_t)before->age_ns);
    field(x, a, i, SPAN_FIELD(alloc_count), predict_span_cells(x, st, sp, old, swept));
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
static const uint8_t span_fields[][2] = {
    {SPAN_FIELD(start)},       {SPAN_FIELD(npages)},      {SPAN_FIELD(page)},
    {SPAN_FIELD(spanclass)},   {SPAN_FIELD(sweep)},       {SPAN_FIELD(cached_by)},
    {SPAN_FIELD(central_set)}, {SPAN_FIELD(elemsize)},    {SPAN_FIELD(nelems)},
    {SPAN_FIELD(alloc_count)}, {SPAN_FIELD(freeindex)},   {SPAN_FIELD(flags)},
    {SPAN_FIELD(cells)},       {SPAN_FIELD(pad)},         {SPAN_FIELD(age_ns)},
};

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
    uint8_t *v = x->snap + a->base + (size_t)i * a->sz;
    if (x->decode) {
        if (x->c->changed[i])
            return false;
        memcpy(v, &r, sizeof(r));
    } else {
        if (memcmp(v, &r, sizeof(r)) != 0)
            return false;
        for (size_t k = 0; k < sizeof(span_fields) / sizeof(span_fields[0]); k++)
            memset(x->diff + a->base + span_fields[k][0] * a->n + (size_t)i * span_fields[k][1],
                   0, span_fields[k][1]);
    }
    predict_span_cells(x, st, (const hs_snap_span *)(const void *)v, old, false);
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
    for (size_t k = 0; k < sizeof(span_fields) / sizeof(span_fields[0]); k++) {
        const uint8_t *d = x->diff + a->base + span_fields[k][0] * a->n;
        unsigned w = span_fields[k][1];
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

static bool code_spans(dx *x)
{
    const hs_snapshot *p = x->p, *s = x->s;
    span_state st = {.a = {s->spans_off, sizeof(hs_snap_span), s->nspans},
                     .gen = sweep_gen(s),
                     .pgen = p ? sweep_gen(p) : 0,
                     .dt = p ? s->t_ns - p->t_ns : 0,
                     .as = s->phase == PHASE_MARK ? HS_CELL_BLACK : HS_CELL_WHITE};
    st.cells = zeroed(&x->c->scratch, &x->c->scratch_cap, s->size - s->cells_off);
    if (st.cells == NULL)
        return false;
    memset(st.last, 0xff, sizeof(st.last));
    st.arenas_kept = p != NULL && p->narenas == s->narenas &&
                     memcmp(prev_at(x, p->arenas_off), x->snap + s->arenas_off,
                            s->narenas * sizeof(hs_snap_arena)) == 0;
    st.turned = p != NULL && st.gen > st.pgen;
    if (x->decode && p != NULL && !changed_spans(x, &st.a))
        return false;
    for (uint32_t i = 0; i < s->nspans; i++) {
        int32_t j = p != NULL ? x->c->map[i] : -1;
        if (!quiet_span(x, &st, i, j >= 0 ? &hs_snap_spans(p)[j] : NULL))
            code_span(x, &st, i);
    }
    return true;
}

/* ---- what the span table implies ------------------------------------------------------- */

static const uint8_t central_widths[] = {4, 4, 4, 4, 8, 8, 8, 4, 2, 2};

static void code_central(dx *x)
{
    const hs_snapshot *s = x->s;
    hs_snap_central r[HS_SNAP_NUM_SPAN_CLASSES];
    if (x->p != NULL)
        memcpy(r, prev_at(x, x->p->central_off), sizeof(r));
    else
        memset(r, 0, sizeof(r));
    for (int c = 0; c < HS_SNAP_NUM_SPAN_CLASSES; c++) {
        r[c].partial_swept = r[c].partial_unswept = r[c].full_swept = r[c].full_unswept = 0;
        r[c].objects_inuse = r[c].objects_free = 0;
    }
    for (uint32_t i = 0; i < s->nspans; i++) { /* as the capture sums them */
        const hs_snap_span *sp = new_span(x, i);
        hs_snap_central *c = &r[sp->spanclass % HS_SNAP_NUM_SPAN_CLASSES];
        uint32_t *set[] = {NULL, &c->partial_swept, &c->partial_unswept, &c->full_swept,
                           &c->full_unswept};
        if (x->p == NULL && sp->spanclass >> 1 != 0) { /* a keyframe: the class's shape */
            c->elemsize = sp->elemsize;
            c->npages = (uint16_t)sp->npages;
            c->nelems = sp->nelems;
        }
        if (sp->central_set == HS_SET_NONE || sp->central_set > HS_SET_FULL_UNSWEPT)
            continue;
        (*set[sp->central_set])++;
        c->objects_inuse += sp->alloc_count;
        c->objects_free += (uint64_t)sp->nelems - sp->alloc_count;
    }
    records a = {s->central_off, sizeof(hs_snap_central), HS_SNAP_NUM_SPAN_CLASSES};
    for (uint32_t c = 0; c < HS_SNAP_NUM_SPAN_CLASSES; c++)
        fields(x, &a, c, (const uint8_t *)&r[c], central_widths, sizeof(central_widths));
}

/* Each P as before, its mcache the spans the span table says it caches. */
static bool code_procs(dx *x)
{
    const hs_snapshot *s = x->s;
    size_t per = HS_SNAP_NUM_SPAN_CLASSES;
    if (!rec_grow(&x->c->mcache, &x->c->mcache_cap, s->nprocs * per + 1, sizeof(int32_t)))
        return false;
    int32_t *mc = x->c->mcache;
    memset(mc, 0xff, s->nprocs * per * sizeof(int32_t));
    for (uint32_t i = 0; i < s->nspans; i++) {
        const hs_snap_span *sp = new_span(x, i);
        if (sp->cached_by != 0 && sp->cached_by <= s->nprocs && sp->spanclass < per)
            mc[(sp->cached_by - 1u) * per + sp->spanclass] = (int32_t)i;
    }
    for (uint32_t k = 0; k < s->nprocs; k++) {
        hs_snap_p r;
        if (x->p != NULL && k < x->p->nprocs)
            memcpy(&r, prev_at(x, x->p->procs_off) + k * sizeof(r), sizeof(r));
        else
            memset(&r, 0, sizeof(r));
        memcpy(r.mcache_span, mc + k * per, sizeof(r.mcache_span));
        sub_words(x, s->procs_off + k * sizeof(r), (const uint8_t *)&r, sizeof(r));
    }
    return true;
}

/* The pages of each span, by the span table; stops once the spans claim
 * more pages than there are (a damaged table), so it is O(pages + spans). */
static void span_pages(const dx *x, int32_t *ps, uint8_t *state)
{
    const hs_snapshot *s = x->s;
    for (uint32_t q = 0; q < s->npages; q++)
        ps[q] = -1;
    uint64_t claimed = 0;
    for (uint32_t i = 0; i < s->nspans && claimed <= s->npages; i++) {
        const hs_snap_span *sp = new_span(x, i);
        uint64_t end = (uint64_t)sp->page + sp->npages;
        end = end < s->npages ? end : s->npages;
        for (uint64_t q = sp->page; q < end; q++)
            ps[q] = (int32_t)i;
        if (sp->page < end)
            memset(state + sp->page, sp->spanclass >> 1 ? HS_PAGE_SMALL : HS_PAGE_LARGE,
                   end - sp->page);
        claimed += sp->npages;
    }
}

/* The pages at the same address in the previous frame, arena by arena. */
static void kept_pages(const dx *x, uint8_t *r)
{
    const hs_snapshot *p = x->p, *s = x->s;
    if (p == NULL)
        return;
    const hs_snap_arena *na = (const hs_snap_arena *)(const void *)(x->snap + s->arenas_off);
    const hs_snap_arena *pa = hs_snap_arenas(p);
    for (uint32_t i = 0; i < s->narenas; i++) {
        uint32_t j = i < p->narenas && pa[i].base == na[i].base ? i : p->narenas;
        for (uint32_t k = 0; j == p->narenas && k < p->narenas; k++)
            if (pa[k].base == na[i].base)
                j = k;
        if (j == p->narenas || na[i].first_page >= s->npages || pa[j].first_page >= p->npages)
            continue;
        uint32_t n = HS_SNAP_PAGES_PER_ARENA;
        n = n < s->npages - na[i].first_page ? n : s->npages - na[i].first_page;
        n = n < p->npages - pa[j].first_page ? n : p->npages - pa[j].first_page;
        memcpy(r + na[i].first_page, hs_snap_pages(p) + pa[j].first_page, n);
    }
}

static bool code_pages(dx *x)
{
    const hs_snapshot *s = x->s;
    size_t len = s->page_span_off - s->pages_off;
    int32_t *ps = (int32_t *)(void *)zeroed(&x->c->pscratch, &x->c->pscratch_cap,
                                            (size_t)s->npages * sizeof(int32_t) + len);
    if (ps == NULL)
        return false;
    uint8_t *r = (uint8_t *)(ps + s->npages);
    kept_pages(x, r);
    for (uint32_t q = 0; q < s->npages; q++) /* a span was here: free now, unless one is */
        if (r[q] == HS_PAGE_SMALL || r[q] == HS_PAGE_LARGE)
            r[q] = HS_PAGE_FREE;
    span_pages(x, ps, r);
    xor_bytes(x, s->pages_off, r, len);
    sub_words(x, s->page_span_off, (const uint8_t *)ps, (size_t)s->npages * sizeof(int32_t));
    size_t at = s->page_span_off + (size_t)s->npages * sizeof(int32_t);
    sub_words(x, at, NULL, s->events_off - at); /* the padding */
    return true;
}

static const uint8_t event_widths[] = {8, 4, 4, 8, 8, 8};

static void code_events(dx *x)
{
    const hs_snapshot *p = x->p, *s = x->s;
    const size_t sz = sizeof(hs_snap_event);
    records a = {s->events_off, sz, s->nevents};
    uint64_t shift = x->c->event_shift;
    for (uint32_t i = 0; i < s->nevents; i++) {
        bool kept = p && shift != REC_NO_SHIFT && shift + i < p->nevents;
        hs_snap_event r;
        if (kept) {
            memcpy(&r, prev_at(x, p->events_off) + (shift + i) * sz, sz);
        } else if (i > 0) {
            memcpy(&r, x->snap + a.base + (i - 1) * sz, sz); /* a new event: the next seq */
            r.seq++;
        }
        fields(x, &a, i, kept || i > 0 ? (const uint8_t *)&r : NULL, event_widths,
               sizeof(event_widths));
    }
}

/* Everything after the header, in the order of the table at the top. */
static bool code_arrays(dx *x)
{
    code_arenas(x);
    if (!code_spans(x))
        return false;
    code_central(x);
    if (!code_procs(x) || !code_pages(x))
        return false;
    code_events(x);
    xor_bytes(x, x->s->cells_off, x->c->scratch, x->s->size - x->s->cells_off);
    return true;
}

/* ---- both directions ------------------------------------------------------------------- */

bool delta_encode(delta_ctx *c, const hs_snapshot *prev, const hs_snapshot *cur, uint8_t *out)
{
    dx x = {false, (uint8_t *)cur, out, prev, cur, c};
    c->event_shift = event_shift(prev, cur);
    if (!make_script(c, prev, cur) ||
        !script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans))
        return false;
    sub_words(&x, 0, (const uint8_t *)prev, sizeof(hs_snapshot));
    return code_arrays(&x);
}

bool delta_decode(delta_ctx *c, const hs_snapshot *prev, const uint8_t *in, size_t size,
                  hs_snapshot *cur, char *why, size_t n)
{
    dx x = {true, (uint8_t *)cur, (uint8_t *)in, prev, cur, c};
    if (size < sizeof(hs_snapshot) || size % 4 != 0) {
        snprintf(why, n, "a frame of %zu bytes cannot hold a snapshot", size);
        return false;
    }
    sub_words(&x, 0, (const uint8_t *)prev, sizeof(hs_snapshot));
    if (!delta_canonical(cur, size)) {
        snprintf(why, n, "a frame's arrays are not laid out as a snapshot's");
        return false;
    }
    if (!script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans)) {
        snprintf(why, n, "a frame's span script does not fit its span tables");
        return false;
    }
    if (!code_arrays(&x)) {
        snprintf(why, n, "out of memory decoding a frame");
        return false;
    }
    return true;
}
