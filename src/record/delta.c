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
 *               class; its allocation count: its cells in use (its
 *               cells are decoded as soon as they are predicted)
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
 * repeating numbers (a span's age to zero in formats 3 and 4: ages are
 * clock readings, and their own bytes compress better for zstd than their
 * differences; format 5 range-codes them against the span before's).
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
 *
 * Format versions: version 5 (written now) packs a delta's span table to
 * the rows that differ from their prediction (delta_pack.c), says which
 * rows those are and codes six columns of them (of every row, in a
 * keyframe) with a range coder (delta_rows.c), and range-codes the cells' differences against their
 * prediction (delta_rc.c; bit planes when that is not shorter), the
 * allocation counts coded after all cells; version 4 says which rows by a
 * bitmap and leaves every column to zstd; version 3 stores the span table
 * whole, and differs from version 2 in two predictions, a span's
 * allocation count (version 2: the cells predicted for it that are in use,
 * or its old count when its cells were predicted unchanged) and a keyframe
 * span's age (version 2: the span before's); a decoder told
 * delta_ctx.format 2, 3 or 4 codes as those did, so old files still read.
 *
 * The files: this one holds the layout, the parts that follow from the span
 * table and both directions; delta_code.h what the files share (the
 * direction, the kinds of difference); delta_script.c the span script;
 * delta_spans.c the span table field by field; delta_pack.c a delta's span
 * table packed; delta_rows.c its changed rows range-coded; delta_cells.c
 * the cells' predictions; delta_rc.c their differences range-coded; rc.h
 * the range coder both use.
 */
#include <config.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta_code.h"

void delta_ctx_destroy(delta_ctx *c)
{
    free(c->map);
    free(c->rmap);
    free(c->scratch);
    free(c->pscratch);
    free(c->planes);
    free(c->rows);
    free(c->mcache);
    free(c->changed);
    free(c->script);
    delta_rows_destroy(c);
    memset(c, 0, sizeof(*c));
}

/* n bytes of a scratch buffer, zeroed; NULL when out of memory. */
uint8_t *delta_zeroed(uint8_t **buf, size_t *cap, size_t n)
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
    int32_t *ps = (int32_t *)(void *)delta_zeroed(&x->c->pscratch, &x->c->pscratch_cap,
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

/* Format 4, decoding: the cells' differences from the frame's stream (or
 * its bit planes), then the cells themselves, before the allocation
 * counts that are predicted from them. */
static bool decode_cells(dx *x)
{
    size_t n = x->s->size - x->s->cells_off;
    uint8_t *d = x->diff + x->s->cells_off;
    if (x->c->cells_mode == 0) {
        if (!delta_unplane_cells(x))
            return false;
    } else {
        uint8_t *in = delta_zeroed(&x->c->planes, &x->c->planes_cap, (size_t)x->c->cells_mode + 1);
        if (in == NULL)
            return false;
        memcpy(in, d, x->c->cells_mode); /* within the part: the decoder checked */
        delta_rc_decode(in, x->c->cells_mode, x->c->scratch, d, n);
    }
    xor_bytes(x, x->s->cells_off, x->c->scratch, n);
    return true;
}

/* Format 4, encoding: the cells' differences as a range-coded stream when
 * it is shorter than they are, else as bit planes; the frame's last script
 * word says which (the stream's bytes, or 0). */
static bool encode_cells(dx *x)
{
    size_t n = x->s->size - x->s->cells_off;
    uint8_t *d = x->diff + x->s->cells_off;
    delta_ctx *c = x->c;
    uint8_t *out = delta_zeroed(&c->planes, &c->planes_cap, n + 1);
    if (out == NULL || !rec_grow(&c->script, &c->script_cap, c->script_len + 1, sizeof(uint32_t)))
        return false;
    size_t len = n < UINT32_MAX ? delta_rc_encode(d, c->scratch, n, out, n) : 0;
    if (len > 0) {
        memcpy(d, out, len);
        memset(d + len, 0, n - len);
    } else if (!delta_plane_cells(x)) {
        return false;
    }
    c->script[c->script_len++] = (uint32_t)len;
    return true;
}

/* Everything after the header, in the order of the table at the top. */
static bool code_arrays(dx *x)
{
    code_arenas(x);
    if (!delta_code_spans(x))
        return false;
    if (x->rc) {
        if (x->decode && !decode_cells(x))
            return false;
        delta_code_counts(x);
    }
    code_central(x);
    if (!code_procs(x) || !code_pages(x))
        return false;
    code_events(x);
    if (!x->rc || !x->decode)
        xor_bytes(x, x->s->cells_off, x->c->scratch, x->s->size - x->s->cells_off);
    return true;
}

/* ---- both directions ------------------------------------------------------------------- */

/* Are the cells range-coded (delta_rc.c)?  From format 4 on. */
static bool range_coded(const delta_ctx *c)
{
    return c->format == 0 || c->format >= 4;
}

/* Are the span table's differences packed (delta_pack.c)?  In a delta of
 * format 4 or later. */
static bool packs(const delta_ctx *c, const hs_snapshot *prev)
{
    return prev != NULL && range_coded(c);
}

/* Are its changed rows and small columns range-coded (delta_rows.c)?  In
 * every frame of format 5 or later. */
static bool rows_coded(const delta_ctx *c)
{
    return c->format == 0 || c->format >= 5;
}

bool delta_encode(delta_ctx *c, const hs_snapshot *prev, const hs_snapshot *cur, uint8_t *out)
{
    dx x = {false, (uint8_t *)cur, out, prev, cur, c, c->format == 2, packs(c, prev),
            range_coded(c), rows_coded(c)};
    c->event_shift = delta_event_shift(prev, cur);
    if (x.rows && !delta_rows_begin(c))
        return false;
    if (!delta_make_script(c, prev, cur) ||
        !delta_script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans))
        return false;
    sub_words(&x, 0, (const uint8_t *)prev, sizeof(hs_snapshot));
    return code_arrays(&x) && (x.packed ? delta_pack_spans(&x) : !x.rows || delta_rows_keyframe(&x)) &&
           (!x.rc || encode_cells(&x));
}

bool delta_decode(delta_ctx *c, const hs_snapshot *prev, uint8_t *in, size_t size,
                  hs_snapshot *cur, char *why, size_t n)
{
    dx x = {true, (uint8_t *)cur, in, prev, cur, c, c->format == 2, packs(c, prev),
            range_coded(c), rows_coded(c)};
    if (size < sizeof(hs_snapshot) || size % 4 != 0) {
        snprintf(why, n, "a frame of %zu bytes cannot hold a snapshot", size);
        return false;
    }
    sub_words(&x, 0, (const uint8_t *)prev, sizeof(hs_snapshot));
    if (!delta_canonical(cur, size)) {
        snprintf(why, n, "a frame's arrays are not laid out as a snapshot's");
        return false;
    }
    if (x.rc) { /* the last script word: the cells' stream bytes (encode_cells) */
        if (c->script_len == 0) {
            snprintf(why, n, "a frame's span script does not fit its span tables");
            return false;
        }
        c->cells_mode = c->script[--c->script_len];
        if (c->cells_mode > size - cur->cells_off) {
            snprintf(why, n, "a frame's cells stream is longer than its cells");
            return false;
        }
    }
    uint32_t nw = x.packed ? delta_pack_words(cur->nspans) : 0; /* the bitmap after the runs */
    if (x.rows) { /* format 5: the rows' stream and its bytes instead (delta_rows_encode) */
        uint32_t len = c->script_len > 0 ? c->script[c->script_len - 1] : UINT32_MAX;
        nw = len / 4 + (len % 4 != 0) + 1;
        if (len < UINT32_MAX && nw <= c->script_len) {
            c->rows_in = (const uint8_t *)(c->script + c->script_len - nw);
            c->rows_len = len;
        }
    }
    bool fits = c->script_len >= nw;
    c->script_len -= fits ? nw : 0;
    if (!fits || !delta_script_maps(c, prev == NULL, prev ? prev->nspans : 0, cur->nspans) ||
        !(x.packed ? delta_unpack_spans(&x) : !x.rows || delta_rows_keyframe(&x))) {
        snprintf(why, n, "a frame's span script does not fit its span tables");
        return false;
    }
    if (!code_arrays(&x)) {
        snprintf(why, n, "out of memory decoding a frame");
        return false;
    }
    return true;
}
