/*
 * heapwalk.c — the heap of a running runtime, read into a snapshot: every
 * arena's pages, every in-use span, and a 2-bit cell per object.
 *
 * The world keeps running while we read.  Mutators allocate from the spans
 * their mcaches hold (no lock), sweepers swap and clear a span's bitmaps
 * (owning it by a CAS on its sweepgen), spans are freed and their mspan
 * records reused.  The walk never stops any of that for long, and every span
 * it reports is self-consistent: its alloc_count is the number of its cells
 * that are not free.
 *
 * Pass 1, pages (under mheap.lock, 512 pages at a time):
 *   for each page of each arena, by address: a page where an in-use span
 *   starts (pageInUse, then spans[], both published with release stores after
 *   the span was initialised) records the span's fixed fields; its pages are
 *   SMALL or LARGE.  Other pages are UNUSED (reserved, not grown into), FREE
 *   or RELEASED (the page allocator's bitmaps, which mheap.lock guards).  While
 *   we hold mheap.lock no span can be freed and its record reused, so the
 *   fields we read belong to the span we found.
 *
 * Pass 2, cells (span class by span class, holding that class's mcentral lock
 * and then mheap.lock — the lock order allows it — for 64 spans at a time):
 *   1. is the span still the one pass 1 saw (pageInUse, spans[], state,
 *      start, class)?  If not, it was freed: all cells free;
 *   2. span.sweepgen against the heap's sg says where it is:
 *      - sg+3 or sg+1, cached by a P that may be allocating from it right now:
 *        read freeindex and allocCount, the bitmaps, then the two counts again;
 *        retry (4 times) until they agree with the cells, else take the
 *        counts from the cells.  Then "touch" the span: CAS its sweepgen from
 *        the value we read to the same value.  If the CAS fails, or the heap's
 *        sg moved, a sweep may have overlapped the read: read it again later.
 *        If it succeeds, the CAS (a release) is what the next sweeper's load
 *        or CAS of that sweepgen acquires, so our reads happen before it
 *        clears the bitmaps.  It stores the value it found: the runtime sees
 *        no change.  (A stale span, sg+1, exists only while the collector, in
 *        mark termination, empties the mcaches and sweeps what they held: we
 *        read it after that, as a span on a set.)
 *      - otherwise the span must be on one of its mcentral's four sets
 *        (span.list, guarded by the lock we hold).  Nobody sweeps or
 *        allocates from a span on a set without first taking it off under
 *        that lock, so its bitmaps and counts are still: read them.  Our
 *        unlock is what the next sweeper's lock acquires.
 *      - on no set and not cached (being swept, or between a set and an
 *        mcache): read it again after the other classes.
 *   3. spans still moving after 12 rounds (about 5 ms) keep all-free cells
 *      and the flag HS_SPAN_CELLS_UNKNOWN.
 *
 * Every frame reads every span.  Copying the cells of spans that cannot
 * have changed from the previous snapshot was weighed and left out: a span
 * is unchanged only if no sweep, allocation or marking touched it, and
 * marking or the sweep after it touch every span each cycle, while on
 * binary-trees and web a cycle comes every 25 ms or so, more often than a
 * frame: of consecutive frames at 30 Hz, almost none fell in one cycle
 * outside mark.  Pass 2 hides the cache misses instead (prefetchSpan).
 *
 * Cells (cells.c), per 64 objects: allocated A = allocBits | (index <
 * freeindex), marked M = gcmarkBits, scanned S = gcscanBits (M itself in a
 * pointer-free span, whose marked objects are black); free = !A,
 * white = A & !M, gray = A & M & !S, black = A & M & S.  A Green Tea span's
 * marks and scans are in its inline block until sweep folds them into
 * gcmarkBits: M |= inline marks, S |= inline scans (inline marks when the
 * span is pointer-free, whose seen objects are black).
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot/capture.h"

enum {
    pagesPerBatch = 512, /* pages walked per hold of mheap.lock */
    spansPerHold = 64,   /* spans read per hold of an mcentral lock */
    pendingRounds = 12,  /* rounds of re-reading spans that were moving */
    ownedRetries = 4,    /* re-reads of a span its P is allocating from */
};

typedef enum spanRead { readDone, readPending } spanRead;

/* Room for need elements of elem bytes in the array whose pointer is at arr
 * (of any element type: the pointer is copied, not type-punned). */
static bool grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = need + need / 2 + 16;
    void *p;
    memcpy(&p, arr, sizeof(p));
    void *q = realloc(p, n * elem);
    if (q == NULL)
        return false;
    memcpy(arr, &q, sizeof(q));
    *cap = n;
    return true;
}

void heapwalk_destroy(heapwalk *hw)
{
    free(hw->arenas);
    free(hw->ents);
    free(hw->order);
    free(hw->cached);
    memset(hw, 0, sizeof(*hw));
}

/* ---- the arena list ------------------------------------------------------------------ */

static void sortAddrs(uintptr_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uintptr_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

bool heapwalk_arenas(heapwalk *hw, hs_runtime *rt)
{
    mheap *h = &rt->heap;
    for (;;) {
        pthread_mutex_lock(&h->lock);
        size_t n = h->nallArenas;
        bool fits = n <= hw->caparenas;
        if (fits) {
            if (n > 0)
                memcpy(hw->arenas, h->allArenas, n * sizeof(uintptr_t));
            hw->narenas = n;
            hw->ungrownBase = h->curArenaBase;
            hw->ungrownEnd = h->curArenaEnd;
        }
        pthread_mutex_unlock(&h->lock);
        if (fits)
            break;
        if (!grow(&hw->arenas, &hw->caparenas, n, sizeof(uintptr_t)))
            return false;
    }
    sortAddrs(hw->arenas, hw->narenas);
    return true;
}

/* ---- pass 1: pages ---------------------------------------------------------------------- */

/* Where pass 1 is: the last span found may run on past this batch. */
typedef struct cover {
    uintptr_t until;
    uint8_t state;
    int32_t span;
} cover;

/* The in-use span starting at page pi of arena ha (at addr), or NULL.
 * mheap.lock held. */
static mspan *spanStartingAt(heapArena *ha, uint32_t pi, uintptr_t addr)
{
    if (!((atomic_load_u8(&ha->pageInUse[pi / 8]) >> (pi % 8)) & 1))
        return NULL;
    mspan *s = atomic_load_acq_ptr((void *const *)&ha->spans[pi]);
    if (s == NULL || atomic_load_u8(&s->state) != mSpanInUse || s->startAddr != addr)
        return NULL;
    return s;
}

/* A page in no span.  mheap.lock held. */
static uint8_t freePageState(const heapwalk *hw, mheap *h, uintptr_t addr)
{
    if (addr >= hw->ungrownBase && addr < hw->ungrownEnd)
        return HS_PAGE_UNUSED;
    if (!pageAlloc_allocated(&h->pages, addr))
        return pageAlloc_scavenged(&h->pages, addr) ? HS_PAGE_RELEASED : HS_PAGE_FREE;
    return HS_PAGE_FREE; /* held for a moment by an allocation being set up, or the scavenger */
}

/* Record span s, starting at global page gpage.  mheap.lock held. */
static int32_t recordSpan(heapwalk *hw, mspan *s, uintptr_t addr, uint32_t gpage)
{
    uintptr_t elemsize = s->elemsize > UINT32_MAX ? UINT32_MAX : s->elemsize;
    spanent *e = &hw->ents[hw->nents];
    e->s = s;
    e->sp = (hs_snap_span){
        .start = addr,
        .npages = (uint32_t)s->npages,
        .page = gpage,
        .spanclass = s->spanclass,
        .elemsize = (uint32_t)elemsize,
        .nelems = s->nelems,
        .cells = hw->cellBytes,
        .age_ns = s->allocTime, /* made an age once the snapshot's time is known */
    };
    hw->cellBytes += (s->nelems + 3u) / 4u;
    return (int32_t)hw->nents++;
}

static void fillPages(uint8_t *pages, int32_t *pageSpan, uint32_t n, uint8_t state, int32_t span)
{
    memset(pages, state, n);
    for (uint32_t i = 0; i < n; i++)
        pageSpan[i] = span;
}

/* Pages [p0, p1) of the arena at base, whose first page is global page g0. */
static void walkBatch(heapwalk *hw, mheap *h, uintptr_t base, uint32_t g0, uint32_t p0, uint32_t p1,
                      uint8_t *pages, int32_t *pageSpan, cover *cv)
{
    heapArena *ha = mheap_arenaOf(h, base);
    pthread_mutex_lock(&h->lock);
    for (uint32_t pi = p0; pi < p1;) {
        uintptr_t addr = base + (uintptr_t)pi * pageSize;
        if (addr < cv->until) {
            uintptr_t left = (cv->until - addr) / pageSize;
            uint32_t n = left < p1 - pi ? (uint32_t)left : p1 - pi;
            fillPages(pages + pi, pageSpan + pi, n, cv->state, cv->span);
            pi += n;
            continue;
        }
        mspan *s = spanStartingAt(ha, pi, addr);
        if (s != NULL) {
            cv->span = recordSpan(hw, s, addr, g0 + pi);
            cv->until = addr + s->npages * pageSize;
            cv->state = spanClass_sizeclass(s->spanclass) ? HS_PAGE_SMALL : HS_PAGE_LARGE;
            continue; /* the cover fills its pages */
        }
        pages[pi] = freePageState(hw, h, addr);
        pageSpan[pi] = -1;
        pi++;
    }
    pthread_mutex_unlock(&h->lock);
}

bool heapwalk_pages(heapwalk *hw, hs_runtime *rt, hs_snap_arena *arenas, uint8_t *pages,
                    int32_t *pageSpan)
{
    hw->nents = 0;
    hw->cellBytes = 0;
    cover cv = {0, 0, -1};
    for (size_t a = 0; a < hw->narenas; a++) {
        uint32_t g0 = (uint32_t)(a * pagesPerArena);
        arenas[a] = (hs_snap_arena){.base = hw->arenas[a], .first_page = g0, .pad = 0};
        for (uint32_t p0 = 0; p0 < pagesPerArena; p0 += pagesPerBatch) {
            /* A batch finds at most one span per page: make room before locking. */
            if (!grow(&hw->ents, &hw->capents, hw->nents + pagesPerBatch, sizeof(spanent)))
                return false;
            walkBatch(hw, &rt->heap, hw->arenas[a], g0, p0, p0 + pagesPerBatch, pages + g0,
                      pageSpan + g0, &cv);
        }
    }
    return true;
}

/* ---- pass 2: spans -------------------------------------------------------------------- */

static uint8_t sweepState(uint32_t v, uint32_t sg)
{
    switch (v - sg) {
    case (uint32_t)-2:
        return HS_SWEEP_NEEDS;
    case (uint32_t)-1:
        return HS_SWEEP_SWEEPING;
    case 1:
        return HS_SWEEP_CACHED_STALE;
    case 3:
        return HS_SWEEP_CACHED;
    default:
        return HS_SWEEP_SWEPT;
    }
}

/* Green Tea: the inline block, and whether the span waits in a queue. */
static uint16_t spanFlags(mspan *s)
{
    if (!s->inlineMarks)
        return 0;
    uint8_t owned = atomic_load_u8(imb_owned(spanInlineMarkBitsFromBase(s->startAddr)));
    return HS_SPAN_INLINE_MARKS | (owned ? HS_SPAN_QUEUED : 0) |
           (owned & spanScanManyMark ? HS_SPAN_MANY_MARKS : 0);
}

/* Is the span pass 1 recorded still in use, the same span?  mheap.lock held. */
static bool spanAlive(mheap *h, const spanent *e)
{
    heapArena *ha = mheap_arenaOf(h, e->sp.start);
    uint32_t pi = (uint32_t)((e->sp.start / pageSize) % pagesPerArena);
    if (spanStartingAt(ha, pi, e->sp.start) != e->s)
        return false;
    return e->s->npages == e->sp.npages && e->s->spanclass == e->sp.spanclass;
}

/* Which of c's sets is l (c->lock held)? */
static uint8_t centralSet(mcentral *c, const mSpanList *l, uint32_t sg)
{
    if (l == NULL)
        return HS_SET_NONE;
    if (l == mcentral_partialSwept(c, sg))
        return HS_SET_PARTIAL_SWEPT;
    if (l == mcentral_partialUnswept(c, sg))
        return HS_SET_PARTIAL_UNSWEPT;
    if (l == mcentral_fullSwept(c, sg))
        return HS_SET_FULL_SWEPT;
    if (l == mcentral_fullUnswept(c, sg))
        return HS_SET_FULL_UNSWEPT;
    return HS_SET_NONE;
}

/* The span is still, on a set under its lock: read it once. */
static void readStill(const heapwalk *hw, mspan *s, hs_snap_span *sp, uint8_t *cells)
{
    uint16_t f = atomic_load_relaxed_u16(&s->freeindex);
    sp->freeindex = f;
    sp->alloc_count = cells_encode(s, sp->nelems, f, cells, hw->fastCells);
}

/* A span in a P's mcache, its owner perhaps allocating from it. */
static spanRead readOwned(heapwalk *hw, mheap *h, mspan *s, uint32_t v, uint32_t sg,
                          hs_snap_span *sp, uint8_t *cells, int32_t idx)
{
    uint16_t f, count;
    for (int try = 0;; try++) {
        f = atomic_load_relaxed_u16(&s->freeindex);
        uint16_t a = atomic_load_relaxed_u16(&s->allocCount);
        count = cells_encode(s, sp->nelems, f, cells, hw->fastCells);
        if (try == ownedRetries || (count == a && f == atomic_load_relaxed_u16(&s->freeindex) &&
                                    a == atomic_load_relaxed_u16(&s->allocCount)))
            break;
    }
    if (!atomic_cas_u32(&s->sweepgen, v, v) || atomic_load_u32(&h->sweepgen) != sg)
        return readPending; /* a sweep may have overlapped: again later */
    sp->freeindex = f;
    sp->alloc_count = count;
    hw->cached[hw->ncached++] = (cachedent){s, (uint32_t)idx};
    return readDone;
}

/* Read span idx of class c; c->lock and mheap.lock held. */
static spanRead readSpan(heapwalk *hw, hs_runtime *rt, mcentral *c, uint32_t idx, hs_snap_span *sp,
                         uint8_t *cells)
{
    mheap *h = &rt->heap;
    const spanent *e = &hw->ents[idx];
    memset(cells, 0, (sp->nelems + 3u) / 4u);
    sp->alloc_count = sp->freeindex = 0;
    sp->sweep = HS_SWEEP_SWEPT;
    sp->central_set = HS_SET_NONE;
    sp->flags = 0;
    if (!spanAlive(h, e))
        return readDone; /* freed since pass 1: every cell is free */
    sp->flags = spanFlags(e->s);
    uint32_t sg = atomic_load_u32(&h->sweepgen), v = atomic_load_u32(&e->s->sweepgen);
    sp->sweep = sweepState(v, sg);
    if (v == sg + 3 || v == sg + 1) {
        if (v == sg + 1 && !hw->exempt)
            return readPending; /* the collector is emptying the mcaches, sweeping these */
        return readOwned(hw, h, e->s, v, sg, sp, cells, (int32_t)idx);
    }
    sp->central_set = centralSet(c, e->s->list, sg);
    if (sp->central_set == HS_SET_NONE)
        return readPending; /* being swept, or on its way between a set and an mcache */
    readStill(hw, e->s, sp, cells);
    return readDone;
}

/* Start loading what reading span e will touch: its mspan two spans ahead,
 * its bitmaps' first lines one span ahead (the mspan has arrived by then),
 * and the cells it fills.  A span freed meanwhile costs a wasted load:
 * prefetches never fault, and an mspan record is never unmapped. */
static void prefetchSpan(const spanent *e, int ahead, uint8_t *cells)
{
    if (ahead == 2) {
        for (int line = 0; line < (int)sizeof(mspan); line += 64)
            __builtin_prefetch((const char *)e->s + line);
        return;
    }
    __builtin_prefetch(__atomic_load_n(&e->s->allocBits, __ATOMIC_RELAXED));
    __builtin_prefetch(__atomic_load_n(&e->s->gcmarkBits, __ATOMIC_RELAXED));
    __builtin_prefetch(__atomic_load_n(&e->s->gcscanBits, __ATOMIC_RELAXED));
    __builtin_prefetch(cells + e->sp.cells, 1);
}

/* Read n spans of one class (indices idx[0..n)) under its locks; the ones
 * still moving are appended to pend.  The reads miss the cache: one span's
 * loads are started while the one before is read (prefetchSpan). */
static void readSpans(heapwalk *hw, hs_runtime *rt, int cls, const uint32_t *idx, size_t n,
                      hs_snap_span *spans, uint8_t *cells, uint32_t *pend, size_t *npend)
{
    mcentral *c = &rt->heap.central[cls];
    for (size_t i = 0; i < n; i += spansPerHold) {
        size_t end = i + spansPerHold < n ? i + spansPerHold : n;
        pthread_mutex_lock(&c->lock);
        pthread_mutex_lock(&rt->heap.lock);
        for (size_t k = i; k < end; k++) {
            hs_snap_span *sp = &spans[idx[k]];
            if (k + 2 < n)
                prefetchSpan(&hw->ents[idx[k + 2]], 2, cells);
            if (k + 1 < n)
                prefetchSpan(&hw->ents[idx[k + 1]], 1, cells);
            if (readSpan(hw, rt, c, idx[k], sp, cells + sp->cells) == readPending)
                pend[(*npend)++] = idx[k];
        }
        pthread_mutex_unlock(&rt->heap.lock);
        pthread_mutex_unlock(&c->lock);
    }
}

/* order[] := span indices grouped by class (counting sort). */
static void groupByClass(heapwalk *hw)
{
    uint32_t *start = hw->classStart;
    memset(start, 0, sizeof(hw->classStart));
    for (size_t i = 0; i < hw->nents; i++)
        start[hw->ents[i].sp.spanclass + 1]++;
    for (int c = 0; c < numSpanClasses; c++)
        start[c + 1] += start[c];
    uint32_t fill[numSpanClasses];
    memcpy(fill, start, sizeof(fill));
    for (size_t i = 0; i < hw->nents; i++)
        hw->order[fill[hw->ents[i].sp.spanclass]++] = (uint32_t)i;
}

static void pauseNs(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* Re-read the spans that were moving, class by class, a few rounds. */
static void readPendingSpans(heapwalk *hw, hs_runtime *rt, hs_snap_span *spans, uint8_t *cells,
                             uint32_t *pend, size_t npend)
{
    for (int round = 0; round < pendingRounds && npend > 0; round++) {
        /* A sweeper that owns a span may be off its CPU (the background
         * sweeper runs at a lower priority): wait longer as rounds go, about
         * 5 ms in all. */
        if (round < 2)
            sched_yield();
        else
            pauseNs(round < 8 ? 100000 : 1000000);
        size_t n = npend;
        npend = 0;
        for (size_t i = 0; i < n; i++)
            readSpans(hw, rt, spans[pend[i]].spanclass, &pend[i], 1, spans, cells, pend, &npend);
    }
    for (size_t i = 0; i < npend; i++)
        spans[pend[i]].flags |= HS_SPAN_CELLS_UNKNOWN;
}

static bool reserveScratch(heapwalk *hw)
{
    return grow(&hw->order, &hw->caporder, 2 * hw->nents, sizeof(uint32_t)) &&
           grow(&hw->cached, &hw->capcached, hw->nents, sizeof(cachedent));
}

/* Sort the cached spans by mspan address: a shell sort, in place (qsort may
 * allocate, and a capture must not). */
static void sortCached(cachedent *a, size_t n)
{
    static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1}; /* Ciura's */
    for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
        size_t h = gaps[g];
        for (size_t i = h; i < n; i++) {
            cachedent t = a[i];
            size_t j = i;
            for (; j >= h && (uintptr_t)a[j - h].s > (uintptr_t)t.s; j -= h)
                a[j] = a[j - h];
            a[j] = t;
        }
    }
}

bool heapwalk_spans(heapwalk *hw, hs_runtime *rt, hs_snap_span *spans, uint8_t *cells, int64_t t)
{
    hw->ncached = 0;
    if (hw->nents == 0)
        return true; /* an empty heap */
    if (!reserveScratch(hw))
        return false;
    for (size_t i = 0; i < hw->nents; i++) {
        spans[i] = hw->ents[i].sp;
        /* The allocation time in whole grains since the start (snapshot.h). */
        int64_t born = hw->ents[i].sp.age_ns - rt->startTime;
        spans[i].age_ns = t - (born - (born & (HS_SNAP_AGE_GRAIN_NS - 1)));
    }
    groupByClass(hw);
    uint32_t *pend = hw->order + hw->nents;
    size_t npend = 0;
    for (int c = 0; c < numSpanClasses; c++)
        readSpans(hw, rt, c, hw->order + hw->classStart[c],
                  hw->classStart[c + 1] - hw->classStart[c], spans, cells, pend, &npend);
    readPendingSpans(hw, rt, spans, cells, pend, npend);
    sortCached(hw->cached, hw->ncached);
    return true;
}

int32_t heapwalk_cachedIndex(const heapwalk *hw, const mspan *s)
{
    size_t lo = 0, hi = hw->ncached;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)hw->cached[mid].s < (uintptr_t)s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hw->ncached && hw->cached[lo].s == s ? (int32_t)hw->cached[lo].idx : -1;
}
