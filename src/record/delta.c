/*
 * delta.c — a snapshot as the difference from a prediction.
 *
 * Consecutive snapshots are nearly equal, but not byte for byte at the same
 * offsets: a span inserted into the address-ordered span table moves every
 * span after it, and every page-to-span index with it; the event list slides
 * by the events that came and went; every span's age grows by the frame
 * interval.  A plain XOR against the previous frame would see all of that as
 * change.  So each array of the new snapshot is predicted from the previous
 * frame by its key, and only the difference is stored:
 *
 *   array       prediction                                  difference
 *   header      the previous header                         32-bit words, subtracted
 *   central     the previous central table                  words
 *   procs       the same P in the previous frame            words
 *   arenas      the same arena; a new one: the arena before words
 *   spans       the span with the same start address (the   words
 *               span script says which), its age grown by
 *               the frame interval; a new span: the span
 *               before it in this frame, moved to just
 *               after it (start, first page, first cell)
 *   pages       the page at the same address                bytes, XOR
 *   page_span   the previous page's span, renumbered to     words
 *               this frame's span table; a page of a new
 *               arena: the page before it in this frame
 *   events      the event with the same seq (the event      words
 *               shift says where); a new one: the event
 *               before it in this frame, seq + 1
 *   cells       the same span's cells, swept if that agrees  bytes, XOR
 *               better with its allocation count, and the
 *               objects below its free index allocated
 *
 * A keyframe is the same transform against no previous frame: every
 * prediction falls back to its neighbour in the frame or to zero, which
 * still turns the span table and page map into small repeating numbers.
 * Unchanged data becomes zeros, and the whole difference compresses to a
 * few bytes per changed object.
 *
 * The span script: runs of (match | insert | delete), (run << 2 | op), from a
 * merge of both frames' span tables by start address.  It and the event
 * shift are all the decoder needs besides the previous frame and the bytes.
 *
 * Invariant that keeps encoder and decoder in step: every prediction reads
 * only the previous frame and the parts of the new frame decoded before it,
 * in this order: header, central, procs, arenas, spans, pages, page_span,
 * events, cells.  Every index read from a frame is clipped to its array, so
 * a damaged frame decodes to damaged bytes, never out of bounds; the reader
 * then refuses it with hs_snapshot_check.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta.h"
#include "record/format.h"

enum { OP_MATCH = 0, OP_INSERT = 1, OP_DELETE = 2 };
#define MAX_RUN ((1u << 30) - 1)
#define NO_PREDICTION INT32_MIN /* in the page_span prediction: use the page before */
/* hs_gcphase's mark phases (heapscope/runtime.h, which this part does not see). */
#define PHASE_MARK 2
#define PHASE_MARK_TERMINATION 3

void delta_ctx_destroy(delta_ctx *c)
{
    free(c->map);
    free(c->rmap);
    free(c->scratch);
    free(c->script);
    memset(c, 0, sizeof(*c));
}

/* n bytes of scratch, zeroed; NULL when out of memory. */
static uint8_t *zeroed_scratch(delta_ctx *c, size_t n)
{
    if (!rec_grow(&c->scratch, &c->scratch_cap, n + 8, 1))
        return NULL;
    memset(c->scratch, 0, n);
    return c->scratch;
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

/* One direction of the transform.  Encoding reads the snapshot (in) and
 * writes the difference (out); decoding the other way round.  snap is the
 * new snapshot as far as it is known, for predictions from its own earlier
 * parts. */
typedef struct dx {
    bool decode;
    const uint8_t *in;
    uint8_t *out;
    const uint8_t *snap;
    const uint8_t *prev; /* NULL for a keyframe */
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

/* One 32-bit word at off, predicted as r. */
static inline void sub_word(dx *x, size_t off, uint32_t r)
{
    uint32_t v = ld32(x->in + off);
    st32(x->out + off, x->decode ? v + r : v - r);
}

/* n bytes (a multiple of 4) at off, predicted by the n bytes at ref (NULL:
 * zeros), word by word. */
static void sub_run(dx *x, size_t off, const uint8_t *ref, size_t n)
{
    const uint8_t *in = x->in + off;
    uint8_t *out = x->out + off;
    if (ref == NULL) {
        memcpy(out, in, n);
    } else if (x->decode) {
        for (size_t i = 0; i < n; i += 4)
            st32(out + i, ld32(in + i) + ld32(ref + i));
    } else {
        for (size_t i = 0; i < n; i += 4)
            st32(out + i, ld32(in + i) - ld32(ref + i));
    }
}

/* n bytes at off, predicted by the n bytes at ref, byte by byte. */
static void xor_run(dx *x, size_t off, const uint8_t *ref, size_t n)
{
    const uint8_t *in = x->in + off;
    uint8_t *out = x->out + off;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] ^ ref[i];
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
    if (!rec_grow(&c->map, &c->map_cap, n, sizeof(int32_t)) ||
        !rec_grow(&c->rmap, &c->rmap_cap, pn, sizeof(int32_t)))
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

/* ---- the arrays, in decoding order ----------------------------------------------------- */

static const hs_snapshot *snap_of(const uint8_t *p)
{
    return (const hs_snapshot *)(const void *)p;
}

static void code_central(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    sub_run(x, s->central_off, p ? x->prev + p->central_off : NULL,
            HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central));
}

static void code_procs(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const uint8_t *ref =
            p && i < p->nprocs ? x->prev + p->procs_off + i * sizeof(hs_snap_p) : NULL;
        sub_run(x, s->procs_off + i * sizeof(hs_snap_p), ref, sizeof(hs_snap_p));
    }
}

static void code_arenas(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    const size_t sz = sizeof(hs_snap_arena);
    for (uint32_t i = 0; i < s->narenas; i++) {
        size_t off = s->arenas_off + i * sz;
        const uint8_t *ref = p && i < p->narenas ? x->prev + p->arenas_off + i * sz
                             : i > 0             ? x->snap + off - sz
                                                 : NULL;
        sub_run(x, off, ref, sz);
    }
}

/* A span that was there before: as it was, a frame older. */
static void predict_kept_span(hs_snap_span *r, const hs_snapshot *p, const hs_snapshot *s)
{
    uint64_t age;
    memcpy(&age, &r->age_ns, sizeof(age));
    age += (uint64_t)s->t_ns - (uint64_t)p->t_ns;
    memcpy(&r->age_ns, &age, sizeof(age));
}

/* A new span: like the span before it, right after it in memory. */
static void predict_new_span(hs_snap_span *r)
{
    r->start += (uint64_t)r->npages * HS_SNAP_PAGE_SIZE;
    r->page += r->npages;
    r->cells += (r->nelems + 3u) / 4;
}

static void code_spans(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    const size_t sz = sizeof(hs_snap_span);
    for (uint32_t i = 0; i < s->nspans; i++) {
        size_t off = s->spans_off + i * sz;
        int32_t j = x->c->map[i];
        hs_snap_span r;
        if (j >= 0) {
            memcpy(&r, x->prev + p->spans_off + (size_t)j * sz, sz);
            predict_kept_span(&r, p, s);
        } else if (i > 0) {
            memcpy(&r, x->snap + off - sz, sz);
            predict_new_span(&r);
        }
        sub_run(x, off, j >= 0 || i > 0 ? (const uint8_t *)&r : NULL, sz);
    }
}

/* Call fn(x, p, s, first, pfirst, n) for each new arena that was in the
 * previous frame too: n pages from page first of s match n from pfirst of p.
 * Arenas keep their order, so the same index is tried first. */
typedef void (*arena_fn)(dx *x, const hs_snapshot *p, const hs_snapshot *s, uint32_t first,
                         uint32_t pfirst, uint32_t n, void *out);

static void each_kept_arena(dx *x, const hs_snapshot *p, const hs_snapshot *s, arena_fn fn,
                            void *out)
{
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
        if (n > s->npages - na[i].first_page)
            n = s->npages - na[i].first_page;
        if (n > p->npages - pa[j].first_page)
            n = p->npages - pa[j].first_page;
        fn(x, p, s, na[i].first_page, pa[j].first_page, n, out);
    }
}

static void predict_pages(dx *x, const hs_snapshot *p, const hs_snapshot *s, uint32_t first,
                          uint32_t pfirst, uint32_t n, void *out)
{
    memcpy((uint8_t *)out + first, hs_snap_pages(p) + pfirst, n);
}

static bool code_pages(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    size_t len = s->page_span_off - s->pages_off;
    uint8_t *r = zeroed_scratch(x->c, len);
    if (r == NULL)
        return false;
    each_kept_arena(x, p, s, predict_pages, r);
    xor_run(x, s->pages_off, r, len);
    return true;
}

static void predict_page_spans(dx *x, const hs_snapshot *p, const hs_snapshot *s, uint32_t first,
                               uint32_t pfirst, uint32_t n, void *out)
{
    int32_t *r = (int32_t *)out + first;
    const int32_t *old = hs_snap_page_span(p) + pfirst;
    for (uint32_t k = 0; k < n; k++)
        r[k] = old[k] >= 0 && (uint32_t)old[k] < p->nspans ? x->c->rmap[old[k]] : -1;
}

static bool code_page_spans(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    int32_t *r = (int32_t *)(void *)zeroed_scratch(x->c, (size_t)s->npages * sizeof(int32_t));
    if (r == NULL)
        return false;
    for (uint32_t q = 0; q < s->npages; q++)
        r[q] = NO_PREDICTION;
    each_kept_arena(x, p, s, predict_page_spans, r);
    size_t off = s->page_span_off;
    for (uint32_t q = 0; q < s->npages; q++, off += 4) {
        uint32_t ref = r[q] != NO_PREDICTION ? (uint32_t)r[q]
                       : q > 0               ? ld32(x->snap + off - 4)
                                             : UINT32_MAX;
        sub_word(x, off, ref);
    }
    sub_run(x, off, NULL, s->events_off - off); /* the padding */
    return true;
}

static void code_events(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    const size_t sz = sizeof(hs_snap_event);
    uint64_t shift = x->c->event_shift;
    for (uint32_t i = 0; i < s->nevents; i++) {
        size_t off = s->events_off + i * sz;
        bool kept = p && shift != REC_NO_SHIFT && shift + i < p->nevents;
        hs_snap_event r;
        if (kept) {
            memcpy(&r, x->prev + p->events_off + (shift + i) * sz, sz);
        } else if (i > 0) {
            memcpy(&r, x->snap + off - sz, sz); /* a new event: the next seq */
            r.seq++;
        }
        sub_run(x, off, kept || i > 0 ? (const uint8_t *)&r : NULL, sz);
    }
}

/* Cells a sweep leaves: marked (gray, black) -> white, white -> free.  With
 * low = A & (!M | S) and high = A & M per cell (heapwalk.c), the new low bit
 * is the old high bit and the high bit is clear. */
static uint8_t swept_cells(uint8_t b)
{
    return (b >> 1) & 0x55;
}

/* Cells of the first nelems that are not free: a cell is free when both
 * its bits are clear, so (b | b >> 1) & 0x55 has a bit per cell in use. */
static uint32_t cells_in_use(const uint8_t *c, uint32_t nelems)
{
    const uint64_t low = 0x5555555555555555ull;
    uint32_t n = 0, k = 0, bytes = nelems / 4;
    for (; k + 8 <= bytes; k += 8) {
        uint64_t w;
        memcpy(&w, c + k, 8);
        n += (uint32_t)__builtin_popcountll((w | w >> 1) & low);
    }
    for (; k < bytes; k++)
        n += (uint32_t)__builtin_popcount((c[k] | c[k] >> 1) & 0x55);
    if (nelems % 4 != 0)
        n += (uint32_t)__builtin_popcount((c[k] | c[k] >> 1) & 0x55 &
                                          ((1u << (2 * (nelems % 4))) - 1));
    return n;
}

/* Objects allocated since: free cells from from to the span's free index
 * become allocated, black while marking, white otherwise. */
static void predict_allocs(uint8_t *c, uint32_t from, const hs_snap_span *sp, hs_cell as)
{
    uint32_t to = sp->freeindex < sp->nelems ? sp->freeindex : sp->nelems, k = from;
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

/* The cells of span sp (n bytes at c, a copy of the same span's cells a
 * frame ago, ps): as they were, or swept, whichever agrees better with the
 * span's new allocation count (a tie goes to swept when a mark phase ended
 * in between and the span is swept now: a full span of survivors turns from
 * black to white with its count unchanged); then the allocations since, up
 * to the free index.  Both sides of the transform know sp, ps and the
 * headers, so they choose the same; a wrong choice costs bytes, never
 * correctness. */
static void predict_cells(uint8_t *c, uint32_t n, const hs_snap_span *sp, const hs_snap_span *ps,
                          hs_cell as, bool mark_ended, uint8_t *tmp)
{
    uint32_t nelems = sp->nelems < 4 * n ? sp->nelems : 4 * n;
    memcpy(tmp, c, n);
    for (uint32_t k = 0; k < n; k++)
        tmp[k] = swept_cells(tmp[k]);
    predict_allocs(c, ps->freeindex, sp, as);
    predict_allocs(tmp, 0, sp, as);
    uint32_t kept = cells_in_use(c, nelems), swept = cells_in_use(tmp, nelems);
    uint32_t dk = kept > sp->alloc_count ? kept - sp->alloc_count : sp->alloc_count - kept;
    uint32_t ds = swept > sp->alloc_count ? swept - sp->alloc_count : sp->alloc_count - swept;
    if (ds < dk || (ds == dk && mark_ended && sp->sweep >= HS_SWEEP_SWEPT))
        memcpy(c, tmp, n);
}

static bool code_cells(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    size_t len = s->size - s->cells_off;
    uint8_t *r = zeroed_scratch(x->c, len);
    if (r == NULL)
        return false;
    const hs_snap_span *ns = (const hs_snap_span *)(const void *)(x->snap + s->spans_off);
    hs_cell as = s->phase == PHASE_MARK ? HS_CELL_BLACK : HS_CELL_WHITE;
    bool mark_ended =
        p != NULL &&
        (p->cycle != s->cycle || p->phase == PHASE_MARK || p->phase == PHASE_MARK_TERMINATION) &&
        s->phase != PHASE_MARK && s->phase != PHASE_MARK_TERMINATION;
    uint8_t tmp[(UINT16_MAX + 4) / 4]; /* one span's cells: nelems is 16 bits */
    for (uint32_t i = 0; p != NULL && i < s->nspans; i++) {
        int32_t j = x->c->map[i];
        if (j < 0)
            continue;
        const hs_snap_span *ps = &hs_snap_spans(p)[j];
        uint64_t n = (ns[i].nelems + 3u) / 4, pn = (ps->nelems + 3u) / 4;
        if (ns[i].cells >= s->ncell_bytes || ps->cells >= p->ncell_bytes)
            continue;
        n = n < pn ? n : pn;
        n = n < s->ncell_bytes - ns[i].cells ? n : s->ncell_bytes - ns[i].cells;
        n = n < p->ncell_bytes - ps->cells ? n : p->ncell_bytes - ps->cells;
        memcpy(r + ns[i].cells, x->prev + p->cells_off + ps->cells, n);
        predict_cells(r + ns[i].cells, (uint32_t)n, &ns[i], ps, as, mark_ended, tmp);
    }
    xor_run(x, s->cells_off, r, len);
    return true;
}

/* Everything after the header; s is the new header (known by now). */
static bool code_arrays(dx *x, const hs_snapshot *p, const hs_snapshot *s)
{
    code_central(x, p, s);
    code_procs(x, p, s);
    code_arenas(x, p, s);
    code_spans(x, p, s);
    if (!code_pages(x, p, s) || !code_page_spans(x, p, s))
        return false;
    code_events(x, p, s);
    return code_cells(x, p, s);
}

/* ---- both directions ------------------------------------------------------------------- */

bool delta_encode(delta_ctx *c, const hs_snapshot *prev, const hs_snapshot *cur, uint8_t *out)
{
    const uint8_t *in = (const uint8_t *)cur;
    dx x = {false, in, out, in, (const uint8_t *)prev, c};
    c->event_shift = event_shift(prev, cur);
    if (!make_script(c, prev, cur) ||
        !script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans))
        return false;
    sub_run(&x, 0, x.prev, sizeof(hs_snapshot));
    return code_arrays(&x, prev, cur);
}

bool delta_decode(delta_ctx *c, const hs_snapshot *prev, const uint8_t *in, size_t size,
                  hs_snapshot *cur, char *why, size_t n)
{
    uint8_t *out = (uint8_t *)cur;
    dx x = {true, in, out, out, (const uint8_t *)prev, c};
    if (size < sizeof(hs_snapshot) || size % 4 != 0) {
        snprintf(why, n, "a frame of %zu bytes cannot hold a snapshot", size);
        return false;
    }
    sub_run(&x, 0, x.prev, sizeof(hs_snapshot));
    if (!delta_canonical(snap_of(out), size)) {
        snprintf(why, n, "a frame's arrays are not laid out as a snapshot's");
        return false;
    }
    if (!script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans)) {
        snprintf(why, n, "a frame's span script does not fit its span tables");
        return false;
    }
    if (!code_arrays(&x, prev, cur)) {
        snprintf(why, n, "out of memory decoding a frame");
        return false;
    }
    return true;
}
