/*
 * heapread.c — one frame of a Go program's heap, read into plain records.
 *
 * The walk, as Go's own heap is laid out (mheap.go, mbitmap.go, mcache.go):
 *   1. the globals in one batch: mheap_.sweepgen, mheap_.allArenas (slice),
 *      mheap_.arenas (the L1 array of the sparse arena index), gcphase,
 *      work.cycles, gcController (heapLive, heapMarked, goal, GOGC),
 *      memstats (numgc, pauses), allp (slice), gomaxprocs, the class table;
 *   2. each arena of allArenas through the index: its heapArena;
 *   3. each heapArena's pageInUse bits (set on the first page of each
 *      in-use span) and spans[] (the mspan of each page), plus, since Go
 *      1.25, pageUseSpanInlineMarkBits; and the page allocator's bitmaps
 *      of its 16 chunks (pages.chunks: allocated and scavenged pages) and
 *      the ranges it has grown into (pages.inUse), which tell free pages
 *      from released and never-used ones;
 *   4. the mspan of each first page in use, through the page cache: its
 *      start must be that page and its state mSpanInUse, else the span
 *      changed under the read and is left out of this frame;
 *   5. the bits of each span: allocBits and gcmarkBits (page cache), and for
 *      spans with inline mark bits (Go 1.25+ small spans) the marks at the
 *      span's end, only while they can hold marks: during mark, or before
 *      the span's sweep moves them to gcmarkBits; during mark, in spans
 *      with pointers, the inline scans too, read just after the marks (a
 *      scan bit is never set before its mark bit, so "marked then, not
 *      scanned since" is what the two reads can say; the other order would
 *      show an object allocated between them as gray);
 *   6. allp's Ps and their mcaches: each cached span and the tiny block.
 * allspans is not walked: it never shrinks (tens of thousands of dead
 * entries after minutes), and neither is the 4-million-entry arena index.
 *
 * A span's read is checked: allocCount == freeindex + popcount(allocBits
 * from freeindex to nelems), since every object below freeindex is
 * allocated.  A span that fails is torn: the reads of its struct and of its
 * bits saw different moments.  Not so with every thread stopped: then the
 * read is exact and a mismatch is the program's own state at the stopping
 * instruction (a thread between its freeindex store and allocCount++), so
 * the span keeps its bits, which tell each object's state, and its count
 * becomes theirs.  Except a span being swept (sweepgen sg-1): Go's sweep
 * stores allocCount, freeindex and allocBits one after another, and between
 * the last two the old allocBits miss what was allocated since the previous
 * sweep: that span is torn, frozen or not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attachint.h"

#define PAGES_PER_ARENA 8192
#define MAX_ARENAS 65536
#define MSPAN_IN_USE 1 /* mSpanInUse in every supported version */

/* The globals of step 1. */
typedef struct globals {
    uint64_t sweepgen, all_arenas[3], allp[3], gcphase, cycles, heap_live, heap_marked, goal;
    uint64_t gogc, numgc, numforced, pause_total, gomaxprocs;
    uint64_t scan_work[3], scan_last[3]; /* heap, stack, globals */
    uint64_t *l1; /* mheap_.arenas */
    size_t nl1;
    uint64_t in_use[3]; /* mheap_.pages.inUse.ranges */
    uint64_t *chunks;   /* mheap_.pages.chunks: the page allocator's L1 */
    size_t nchunks;
    uint8_t *heap_stats; /* memstats.heapStats.stats, as read */
} globals;

/* memstats.heapStats can be summed: the ring and every counter are there. */
static bool have_heap_stats(const go_layout *l)
{
    return l->ms_heap_stats.ok && l->ms_heap_stats.elem > 0 && l->ms_heap_stats.size <= 65536 &&
           l->hd_tiny.ok && l->hd_large_alloc.ok && l->hd_large_count.ok && l->hd_small_count.ok &&
           l->hd_large_free.ok && l->hd_large_free_count.ok && l->hd_small_free.ok &&
           l->hd_small_count.size == 68 * 8 && l->hd_small_free.size == 68 * 8;
}

/* Go's readmemstats sums: Mallocs and Frees count tiny blocks too. */
static void sum_heap_stats(const go_layout *l, const globals *g, rframe *f)
{
    f->mallocs = f->frees = f->total_alloc = f->tiny_allocs = 0;
    for (uint32_t i = 0; g->heap_stats != NULL && i < l->ms_heap_stats.size / l->ms_heap_stats.elem;
         i++) {
        const uint8_t *d = g->heap_stats + i * l->ms_heap_stats.elem;
        uint64_t tiny = go_get(d, l->hd_tiny);
        f->tiny_allocs += tiny;
        f->mallocs += tiny + go_get(d, l->hd_large_count);
        f->frees += tiny + go_get(d, l->hd_large_free_count);
        f->total_alloc += go_get(d, l->hd_large_alloc);
        for (int c = 1; c < 68; c++) {
            go_field n = {.off = l->hd_small_count.off + 8 * (uint32_t)c, .size = 8};
            go_field fr = {.off = l->hd_small_free.off + 8 * (uint32_t)c, .size = 8};
            f->mallocs += go_get(d, n);
            f->frees += go_get(d, fr);
            f->total_alloc += go_get(d, n) * f->class_size[c];
        }
    }
}

/* The page allocator's bitmaps can be read: every optional piece is there,
 * in Go's 64-bit shape (4 MiB chunks of 512 pages, 64-byte bitmaps). */
static bool have_palloc(const go_layout *l)
{
    return l->mh_chunks.ok && l->mh_in_use.ok && l->pd_alloc.ok && l->pd_scavenged.ok &&
           l->pd_alloc.size == 64 && l->pd_scavenged.size == 64 && l->log_chunk_bytes == 22 &&
           l->heap_addr_bits > 22 && l->mh_chunks.size >= 8 && l->mh_chunks.size <= 65536;
}

static void want_u64(pm_batch *b, uint64_t base, go_field fl, uint64_t *dst)
{
    *dst = 0;
    pm_batch_add(b, base + fl.off, dst, fl.size < 8 ? fl.size : 8);
}

/* The same for a field the table may not have found (0 then). */
static void want_opt_u64(pm_batch *b, uint64_t base, go_field fl, uint64_t *dst)
{
    *dst = 0;
    if (fl.ok)
        want_u64(b, base, fl, dst);
}

static void want_var(pm_batch *b, go_var v, uint64_t *dst)
{
    *dst = 0;
    pm_batch_add(b, v.addr, dst, v.size < 8 ? v.size : 8);
}

static int read_globals(heapreader *r, rframe *f, globals *g)
{
    const go_layout *l = r->l;
    pm_batch *b = &r->batch;
    pm_batch_reset(b);
    want_u64(b, l->mheap.addr, l->mh_sweepgen, &g->sweepgen);
    pm_batch_add(b, l->mheap.addr + l->mh_all_arenas.off, g->all_arenas, sizeof g->all_arenas);
    pm_batch_add(b, l->allp.addr, g->allp, sizeof g->allp);
    g->nl1 = l->mh_arenas.size / 8;
    g->l1 = calloc(g->nl1 ? g->nl1 : 1, 8);
    if (g->l1 == NULL)
        return -ENOMEM;
    pm_batch_add(b, l->mheap.addr + l->mh_arenas.off, g->l1, g->nl1 * 8);
    if (have_palloc(l)) {
        g->nchunks = l->mh_chunks.size / 8;
        if ((g->chunks = calloc(g->nchunks, 8)) == NULL)
            return -ENOMEM;
        pm_batch_add(b, l->mheap.addr + l->mh_chunks.off, g->chunks, g->nchunks * 8);
        pm_batch_add(b, l->mheap.addr + l->mh_in_use.off, g->in_use, sizeof g->in_use);
    }
    want_var(b, l->gcphase, &g->gcphase);
    want_var(b, l->gomaxprocs, &g->gomaxprocs);
    want_u64(b, l->work.addr, l->wk_cycles, &g->cycles);
    want_u64(b, l->gc_controller.addr, l->gc_heap_live, &g->heap_live);
    want_u64(b, l->gc_controller.addr, l->gc_heap_marked, &g->heap_marked);
    want_u64(b, l->gc_controller.addr, l->gc_heap_goal, &g->goal);
    want_u64(b, l->gc_controller.addr, l->gc_percent, &g->gogc);
    const go_field work[3] = {l->gc_heap_scan_work, l->gc_stack_scan_work, l->gc_globals_scan_work},
                   last[3] = {l->gc_last_heap_scan, l->gc_last_stack_scan, l->gc_globals_scan};
    for (int k = 0; k < 3; k++) {
        want_opt_u64(b, l->gc_controller.addr, work[k], &g->scan_work[k]);
        want_opt_u64(b, l->gc_controller.addr, last[k], &g->scan_last[k]);
    }
    want_u64(b, l->memstats.addr, l->ms_numgc, &g->numgc);
    want_u64(b, l->memstats.addr, l->ms_numforcedgc, &g->numforced);
    want_u64(b, l->memstats.addr, l->ms_pause_total, &g->pause_total);
    if (l->ms_pause_ns.size == sizeof f->pause_ns)
        pm_batch_add(b, l->memstats.addr + l->ms_pause_ns.off, f->pause_ns, sizeof f->pause_ns);
    if (have_heap_stats(l)) {
        if ((g->heap_stats = malloc(l->ms_heap_stats.size)) == NULL)
            return -ENOMEM;
        pm_batch_add(b, l->memstats.addr + l->ms_heap_stats.off, g->heap_stats,
                     l->ms_heap_stats.size);
    }
    if (l->class_size.ok && l->class_size.size == sizeof f->class_size)
        pm_batch_add(b, l->class_size.addr, f->class_size, sizeof f->class_size);
    if (l->class_npages.ok && l->class_npages.size == sizeof f->class_npages)
        pm_batch_add(b, l->class_npages.addr, f->class_npages, sizeof f->class_npages);
    int rc = pm_batch_run(b, r->pid);
    if (rc != 0)
        return rc;
    f->sweepgen = (uint32_t)g->sweepgen;
    f->gcphase = (uint32_t)g->gcphase;
    f->cycles = (uint32_t)g->cycles;
    f->heap_live = g->heap_live;
    f->heap_marked = g->heap_marked;
    f->heap_goal = g->goal; /* ^0 with GOGC off: no goal */
    f->gogc = (int32_t)(uint32_t)g->gogc;
    f->numgc = (uint32_t)g->numgc;
    f->numforcedgc = (uint32_t)g->numforced;
    f->pause_total = g->pause_total;
    f->gomaxprocs = (uint32_t)g->gomaxprocs;
    f->many_mark = l->many_mark;
    /* The pacer's own reckoning (mgcpacer.go, revise): the scan work done
     * this cycle, flushed by the workers as they go, against the heap, stack
     * and globals the last cycle scanned. */
    f->scan_done = f->scan_expected = 0;
    if (l->gc_heap_scan_work.ok && l->gc_last_heap_scan.ok)
        for (int k = 0; k < 3; k++) {
            f->scan_done += (int64_t)g->scan_work[k] > 0 ? g->scan_work[k] : 0;
            f->scan_expected += g->scan_last[k];
        }
    sum_heap_stats(l, g, f);
    return 0;
}

/* ---- arenas ------------------------------------------------------------------------ */

static bool reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return false;
    memset((char *)q + *cap * elem, 0, (c - *cap) * elem);
    *p = q;
    *cap = c;
    return true;
}

static int by_base(const void *a, const void *b)
{
    const rarena *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* The page allocator's bits for the 16 chunks of arena a. */
static void want_chunks(const go_layout *l, const globals *g, rarena *a, pm_batch *b)
{
    a->have_palloc = g->chunks != NULL;
    if (!a->have_palloc)
        return;
    int l1bits = 0;
    while ((1ull << l1bits) < g->nchunks)
        l1bits++;
    uint64_t l2bits = l->heap_addr_bits - l->log_chunk_bytes - (uint64_t)l1bits;
    for (int c = 0; c < CHUNKS_PER_ARENA; c++) {
        uint64_t ci = ((a->base - l->arena_base) >> l->log_chunk_bytes) + (uint64_t)c;
        uint64_t l1 = l1bits ? ci >> l2bits : 0, l2 = ci & ((1ull << l2bits) - 1);
        memset(a->palloc[c], 0, sizeof a->palloc[c]);
        if (l1 >= g->nchunks || g->chunks[l1] == 0)
            continue;
        uint64_t pd = g->chunks[l1] + l2 * l->pd_size;
        pm_batch_add(b, pd + l->pd_alloc.off, a->palloc[c][0], 64);
        pm_batch_add(b, pd + l->pd_scavenged.off, a->palloc[c][1], 64);
    }
}

/* Steps 2 and 3. */
static int read_arenas(heapreader *r, rframe *f, const globals *g)
{
    const go_layout *l = r->l;
    size_t n = g->all_arenas[1] < MAX_ARENAS ? (size_t)g->all_arenas[1] : MAX_ARENAS;
    uint64_t *idx = calloc(n ? n : 1, 8);
    if (idx == NULL || !reserve((void **)&f->arenas, &f->arenas_cap, n, sizeof(rarena))) {
        free(idx);
        return -ENOMEM;
    }
    pm_batch *b = &r->batch;
    pm_batch_reset(b);
    pm_batch_add(b, g->all_arenas[0], idx, n * 8);
    int rc = pm_batch_run(b, r->pid);
    pm_batch_reset(b);
    uint64_t l2mask = (1ull << l->arena_l2_bits) - 1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rarena *a = &f->arenas[i];
        uint64_t l1 = l->arena_l1_bits ? idx[i] >> l->arena_l2_bits : 0;
        a->base = idx[i] * l->arena_bytes + l->arena_base;
        a->ptr = 0;
        if (l1 < g->nl1 && g->l1[l1] != 0)
            pm_batch_add(b, g->l1[l1] + (idx[i] & l2mask) * 8, &a->ptr, 8);
    }
    if (rc == 0)
        rc = pm_batch_run(b, r->pid);
    free(idx);
    f->narenas = n;
    if (rc != 0)
        return rc;
    qsort(f->arenas, n, sizeof *f->arenas, by_base);
    pm_batch_reset(b);
    for (size_t i = 0; i < n; i++) {
        rarena *a = &f->arenas[i];
        if (a->spans == NULL && (a->spans = malloc(PAGES_PER_ARENA * 8)) == NULL)
            return -ENOMEM;
        memset(a->inline_marks, 0, sizeof a->inline_marks);
        pm_batch_add(b, a->ptr + l->ha_page_in_use.off, a->in_use, sizeof a->in_use);
        pm_batch_add(b, a->ptr + l->ha_spans.off, a->spans, PAGES_PER_ARENA * 8);
        if (l->ha_inline_marks.ok)
            pm_batch_add(b, a->ptr + l->ha_inline_marks.off, a->inline_marks,
                         sizeof a->inline_marks);
        want_chunks(l, g, a, b);
    }
    f->have_grown = g->chunks != NULL;
    f->ngrown = g->in_use[1] < 64 ? (size_t)g->in_use[1] : 64;
    if (f->have_grown)
        pm_batch_add(b, g->in_use[0], f->grown, f->ngrown * sizeof f->grown[0]);
    return pm_batch_run(b, r->pid);
}

/* ---- spans ------------------------------------------------------------------------- */

static bool bit(const uint8_t *bits, size_t i)
{
    return bits[i / 8] >> (i % 8) & 1;
}

/* Step 4, first half: the in-use first pages, and their mspans wanted. */
static int list_spans(heapreader *r, rframe *f)
{
    f->nspans = 0;
    pm_pages_reset(r->pages);
    for (size_t k = 0; k < f->narenas; k++) {
        const rarena *a = &f->arenas[k];
        for (uint32_t i = 0; i < PAGES_PER_ARENA; i++) {
            if (a->in_use[i / 8] == 0) {
                i += 7 - i % 8;
                continue;
            }
            if (!bit(a->in_use, i) || a->spans[i] == 0)
                continue;
            if (!reserve((void **)&f->spans, &f->spans_cap, f->nspans + 1, sizeof(rspan)))
                return -ENOMEM;
            rspan *s = &f->spans[f->nspans++];
            *s = (rspan){.addr = a->spans[i],
                         .start = a->base + (uint64_t)i * r->l->page_size,
                         .page = (uint32_t)(k * PAGES_PER_ARENA + i),
                         .inline_marks = bit(a->inline_marks, i),
                         .cached_by = -1};
            if (!pm_pages_want(r->pages, s->addr, r->l->span_size))
                return -ENOMEM;
        }
    }
    return pm_pages_fetch(r->pages, r->pid);
}

/* Step 4, second half: decode each mspan; drop those that moved. */
static void decode_spans(heapreader *r, rframe *f)
{
    const go_layout *l = r->l;
    size_t kept = 0;
    for (size_t i = 0; i < f->nspans; i++) {
        rspan s = f->spans[i];
        const uint8_t *m = pm_pages_view(r->pages, s.addr, l->span_size, r->tmp);
        if (m == NULL)
            continue;
        if (go_get(m, l->sp_start) != s.start || go_get(m, l->sp_state) != MSPAN_IN_USE)
            continue;
        uint64_t npages = go_get(m, l->sp_npages);
        if (npages == 0 || npages > UINT32_MAX)
            continue;
        s.npages = (uint32_t)npages;
        s.spanclass = (uint8_t)go_get(m, l->sp_spanclass);
        s.sweepgen = (uint32_t)go_get(m, l->sp_sweepgen);
        uint64_t nelems = go_get(m, l->sp_nelems), elemsize = go_get(m, l->sp_elemsize);
        if (s.spanclass >> 1 == 0) { /* large: one object */
            nelems = 1;
            elemsize = npages * l->page_size;
        }
        if (nelems == 0 || nelems > UINT16_MAX || elemsize > UINT32_MAX)
            continue;
        s.nelems = (uint16_t)nelems;
        s.elemsize = (uint32_t)elemsize;
        uint64_t fi = go_get(m, l->sp_freeindex), ac = go_get(m, l->sp_alloc_count);
        s.freeindex = (uint16_t)(fi < nelems ? fi : nelems);
        s.alloc_count = (uint16_t)(ac < nelems ? ac : nelems);
        s.torn = fi > nelems || ac > nelems;
        s.alloc_bits = go_get(m, l->sp_alloc_bits);
        s.gcmark_bits = go_get(m, l->sp_gcmark_bits);
        f->spans[kept++] = s;
    }
    f->nspans = kept;
}

/* Step 5's reads of s's inline block (its last im_size bytes: Go 1.25+
 * spans are one page): the marks, then, during mark in a span with
 * pointers, the scans (a pointer-free span's seen objects are black) and
 * the owned byte (whether the span waits in a span queue). */
static void want_inline(const go_layout *l, rframe *f, rspan *s, pm_batch *b)
{
    size_t nb = (s->nelems + 7u) / 8;
    uint64_t block = s->start + (uint64_t)s->npages * l->page_size - l->im_size;
    uint8_t *marks = f->bits + s->bits + 2 * nb;
    pm_batch_add(b, block + l->im_marks.off, marks, nb < l->im_marks.size ? nb : l->im_marks.size);
    if (f->gcphase == 0 || (s->spanclass & 1) || !l->im_scans.ok)
        return;
    pm_batch_add(b, block + l->im_scans.off, marks + nb,
                 nb < l->im_scans.size ? nb : l->im_scans.size);
    s->scans_read = true;
    s->owned = 0;
    if (l->im_owned.ok && l->im_owned.size == 1)
        pm_batch_add(b, block + l->im_owned.off, &s->owned, 1);
}

/* Step 5. */
static int read_bits(heapreader *r, rframe *f)
{
    const go_layout *l = r->l;
    size_t need = 0;
    for (size_t i = 0; i < f->nspans; i++)
        need += 4 * (size_t)((f->spans[i].nelems + 7) / 8);
    if (!reserve((void **)&f->bits, &f->bits_cap, need ? need : 1, 1))
        return -ENOMEM;
    memset(f->bits, 0, need);
    pm_pages_reset(r->pages);
    pm_batch *b = &r->batch;
    pm_batch_reset(b);
    size_t off = 0;
    for (size_t i = 0; i < f->nspans; i++) {
        rspan *s = &f->spans[i];
        size_t nb = (s->nelems + 7u) / 8;
        s->bits = (uint32_t)off;
        off += 4 * nb;
        if (!pm_pages_want(r->pages, s->alloc_bits, nb) ||
            !pm_pages_want(r->pages, s->gcmark_bits, nb))
            return -ENOMEM;
        /* Marks matter only for allocated slots, and only while they can
         * be set: one read per such span, the costliest part of a frame in
         * mark on Go 1.25+. */
        bool may_hold =
            (f->gcphase != 0 || s->sweepgen == f->sweepgen - 2 || s->sweepgen == f->sweepgen - 1) &&
            (s->alloc_count > 0 || s->freeindex > 0);
        if (s->inline_marks && may_hold && l->im_marks.ok && l->im_size > 0)
            want_inline(l, f, s, b);
    }
    f->nbits = off;
    int rc = pm_pages_fetch(r->pages, r->pid);
    if (rc == 0)
        rc = pm_batch_run(b, r->pid);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < f->nspans; i++) {
        rspan *s = &f->spans[i];
        size_t nb = (s->nelems + 7u) / 8;
        uint8_t *alloc = f->bits + s->bits;
        if (!pm_pages_get(r->pages, s->alloc_bits, alloc, nb) ||
            !pm_pages_get(r->pages, s->gcmark_bits, alloc + nb, nb))
            s->torn = true;
    }
    return 0;
}

/* The check of the file's opening comment. */
static void check_spans(rframe *f, bool frozen)
{
    for (size_t i = 0; i < f->nspans; i++) {
        rspan *s = &f->spans[i];
        const uint8_t *alloc = f->bits + s->bits;
        uint32_t n = s->freeindex, k = s->freeindex;
        for (; k < s->nelems && k % 8 != 0; k++)
            n += bit(alloc, k);
        for (; k + 8 <= s->nelems; k += 8)
            n += (uint32_t)__builtin_popcount(alloc[k / 8]);
        for (; k < s->nelems; k++)
            n += bit(alloc, k);
        bool sweeping = s->sweepgen == f->sweepgen - 1;
        if (n != s->alloc_count && frozen && !s->torn && !sweeping)
            s->alloc_count = (uint16_t)n;
        else if (n != s->alloc_count)
            s->torn = true;
    }
}

/* ---- Ps ------------------------------------------------------------------------------ */

/* The mspans the mcaches hold (at most 136 a P), hashed by address to the
 * P and class that hold them: one pass over the frame's spans finds them. */
typedef struct cache_hash {
    uint64_t *key;
    uint32_t *who; /* P << 8 | span class */
    size_t mask;
    int shift;
} cache_hash;

static size_t cache_slot(const cache_hash *h, uint64_t addr)
{
    size_t k = (size_t)(addr * 0x9e3779b97f4a7c15ull >> h->shift);
    while (h->key[k] != 0 && h->key[k] != addr)
        k = (k + 1) & h->mask;
    return k;
}

static bool cache_build(cache_hash *h, const rframe *f, uint64_t empty)
{
    size_t cap = 64;
    h->shift = 58;
    while (cap < 4 * GO_NUM_SPAN_CLASSES * (f->nprocs + 1)) {
        cap *= 2;
        h->shift--;
    }
    h->key = calloc(cap, 8);
    h->who = malloc(cap * 4);
    h->mask = cap - 1;
    if (h->key == NULL || h->who == NULL)
        return false;
    for (size_t i = 0; i < f->nprocs; i++)
        for (int c = 0; c < GO_NUM_SPAN_CLASSES; c++) {
            uint64_t a = f->procs[i].alloc[c];
            if (a == 0 || a == empty)
                continue;
            size_t k = cache_slot(h, a);
            h->key[k] = a;
            h->who[k] = (uint32_t)(i << 8 | (size_t)c);
        }
    return true;
}

static int read_procs(heapreader *r, rframe *f)
{
    const go_layout *l = r->l;
    uint64_t allp[3] = {0}, *pp = NULL;
    pm_batch *b = &r->batch;
    pm_batch_reset(b);
    pm_batch_add(b, l->allp.addr, allp, sizeof allp);
    int rc = pm_batch_run(b, r->pid);
    size_t n = allp[1] < HS_SNAP_MAX_PROCS ? (size_t)allp[1] : HS_SNAP_MAX_PROCS;
    if (rc != 0 || !reserve((void **)&f->procs, &f->procs_cap, n ? n : 1, sizeof(rproc)) ||
        (pp = calloc(n ? n : 1, 8)) == NULL)
        return rc != 0 ? rc : -ENOMEM;
    pm_batch_reset(b);
    pm_batch_add(b, allp[0], pp, n * 8);
    rc = pm_batch_run(b, r->pid);
    pm_batch_reset(b);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rproc *p = &f->procs[i];
        want_u64(b, pp[i], l->p_status, &p->status);
        want_u64(b, pp[i], l->p_mcache, &p->mcache);
        p->worker_mode = 0;
        if (l->p_worker_mode.ok)
            want_u64(b, pp[i], l->p_worker_mode, &p->worker_mode);
    }
    if (rc == 0)
        rc = pm_batch_run(b, r->pid);
    free(pp);
    f->nprocs = n;
    pm_batch_reset(b);
    size_t nalloc =
        l->mc_alloc.size / 8 < GO_NUM_SPAN_CLASSES ? l->mc_alloc.size / 8 : GO_NUM_SPAN_CLASSES;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rproc *p = &f->procs[i];
        p->id = (int32_t)i;
        memset(p->alloc, 0, sizeof p->alloc);
        p->tiny = p->tinyoffset = p->tiny_allocs = 0;
        if (p->mcache == 0)
            continue;
        pm_batch_add(b, p->mcache + l->mc_alloc.off, p->alloc, nalloc * 8);
        want_u64(b, p->mcache, l->mc_tiny, &p->tiny);
        want_u64(b, p->mcache, l->mc_tinyoffset, &p->tinyoffset);
        if (l->mc_tiny_allocs.ok)
            want_u64(b, p->mcache, l->mc_tiny_allocs, &p->tiny_allocs);
    }
    return rc == 0 ? pm_batch_run(b, r->pid) : rc;
}

/* Which span each P caches, as indices; each cached span learns its P. */
static int link_caches(heapreader *r, rframe *f)
{
    cache_hash h = {0};
    bool ok = cache_build(&h, f, r->l->emptymspan.addr);
    for (size_t i = 0; i < f->nprocs; i++)
        for (int c = 0; c < GO_NUM_SPAN_CLASSES; c++)
            f->procs[i].span[c] = -1;
    for (size_t i = 0; ok && i < f->nspans; i++) {
        size_t k = cache_slot(&h, f->spans[i].addr);
        if (h.key[k] == 0)
            continue;
        uint32_t p = h.who[k] >> 8, c = h.who[k] & 0xff;
        f->procs[p].span[c] = (int32_t)i;
        f->spans[i].cached_by = (int16_t)p;
    }
    free(h.key);
    free(h.who);
    return ok ? 0 : -ENOMEM;
}

int heap_read(heapreader *r, rframe *f)
{
    if (r->tmp_cap < r->l->span_size) {
        free(r->tmp);
        r->tmp = malloc(r->l->span_size);
        r->tmp_cap = r->tmp != NULL ? r->l->span_size : 0;
        if (r->tmp == NULL)
            return -ENOMEM;
    }
    globals g = {0};
    int rc = read_globals(r, f, &g);
    if (rc == 0)
        rc = read_arenas(r, f, &g);
    free(g.l1);
    free(g.chunks);
    free(g.heap_stats);
    if (rc == 0)
        rc = list_spans(r, f);
    if (rc == 0) {
        decode_spans(r, f);
        rc = read_bits(r, f);
    }
    if (rc == 0) {
        check_spans(f, r->frozen);
        rc = read_procs(r, f);
    }
    if (rc == 0)
        rc = link_caches(r, f);
    return rc;
}

void rframe_free(rframe *f)
{
    for (size_t i = 0; i < f->arenas_cap; i++)
        free(f->arenas[i].spans);
    free(f->arenas);
    free(f->spans);
    free(f->bits);
    free(f->procs);
    *f = (rframe){0};
}
