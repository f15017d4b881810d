/*
 * mcache.c — the per-P allocation cache (Go: mcache.go).
 *
 * Each P owns one mcache: for every span class, the span it is allocating
 * from (or the shared empty span), plus the tiny allocator's current
 * 16 B block.  Only the thread running the P touches it, so the allocation fast
 * path takes no lock: it consumes the cached span's allocCache with a
 * count-trailing-zeros and advances freeindex.
 *
 * refill(spc), when the cached span is full:
 *   1. hand the full span back to its mcentral (uncacheSpan);
 *   2. take a span with free slots (cacheSpan, which may sweep or grow);
 *   3. stamp it sweepgen = sg+3 ("swept, then cached") so no sweeper touches it,
 *      and count its free space into heapLive, as Go's pacer expects.
 * During mark, a span is black where it is free while cached (gcAllocBlackSpan):
 * refill marks the new span's free slots and settles the old one's.
 * releaseAll, with the world stopped before a sweep cycle, returns every span
 * so sweeping can begin on a heap no mcache holds, and drops the tiny block.
 *
 * Statistics (allocation counts per class, tiny allocations, large bytes) are
 * written only by the owner with relaxed atomics, so readers may sum them at
 * any time without a lock.
 */
#include "runtime/runtime2.h"

void mcache_init(mcache *c, mheap *h)
{
    for (int i = 0; i < numSpanClasses; i++)
        atomic_store_rel_ptr((void **)&c->alloc[i], &h->emptymspan);
    atomic_store_relaxed_uptr(&c->tiny, 0);
    atomic_store_relaxed_uptr(&c->tinyoffset, 0);
}

mspan *mcache_refill(hs_runtime *rt, mcache *c, spanClass spc)
{
    mheap *h = &rt->heap;
    mspan *s = c->alloc[spc];
    if (s->allocCount != s->nelems)
        hs_throw("mcache: refill of span %#lx with free space", (unsigned long)s->startAddr);
    if (s != &h->emptymspan) {
        uint32_t sg = atomic_load_u32(&h->sweepgen);
        if (atomic_load_u32(&s->sweepgen) != sg + 3)
            hs_throw("mcache: bad sweepgen %u in refill (heap %u)", s->sweepgen, sg);
        uint64_t black = gcAllocBlackSpanEnd(rt, s);
        if (black != 0)
            atomic_add_u64(&rt->gc.bytesMarked, black);
        mcentral_uncacheSpan(rt, &h->central[spc], s);
        atomic_store_rel_ptr((void **)&c->alloc[spc], &h->emptymspan);
    }
    s = mcentral_cacheSpan(rt, &h->central[spc]);
    if (s == NULL)
        return NULL;
    /* Mark changes phase only with the world stopped, never under a refill. */
    if (atomic_load_relaxed_u32(&rt->gc.phase) == HS_PHASE_MARK)
        gcAllocBlackSpan(rt, s);
    atomic_store_u32(&s->sweepgen, atomic_load_u32(&h->sweepgen) + 3);
    s->allocCountBeforeCache = s->allocCount;
    uint64_t used = (uint64_t)s->allocCount * s->elemsize;
    atomic_add_relaxed_u64(&h->heapLive, s->npages * pageSize - used);
    atomic_store_rel_ptr((void **)&c->alloc[spc], s);
    return s;
}

uintptr_t mcache_nextFree(hs_runtime *rt, mcache *c, spanClass spc, mspan **sp)
{
    mspan *s = c->alloc[spc];
    uint16_t freeIndex = mspan_nextFreeIndex(s);
    if (freeIndex == s->nelems) {
        if (s->allocCount != s->nelems)
            hs_throw("mcache: span %#lx full with allocCount %u of %u",
                     (unsigned long)s->startAddr, s->allocCount, s->nelems);
        s = mcache_refill(rt, c, spc);
        if (s == NULL)
            return 0;
        freeIndex = mspan_nextFreeIndex(s);
    }
    hs_assert(freeIndex < s->nelems);
    atomic_store_relaxed_u16(&s->allocCount, (uint16_t)(s->allocCount + 1));
    *sp = s;
    return s->startAddr + (uintptr_t)freeIndex * s->elemsize;
}

void mcache_releaseAll(hs_runtime *rt, mcache *c)
{
    mheap *h = &rt->heap;
    uint32_t sg = atomic_load_u32(&h->sweepgen);
    for (int i = 0; i < numSpanClasses; i++) {
        mspan *s = c->alloc[i];
        if (s == &h->emptymspan)
            continue;
        if (atomic_load_u32(&s->sweepgen) != sg + 1) {
            /* refill counted the unallocated slots as live: undo that. */
            uint64_t unused = (uint64_t)(s->nelems - s->allocCount) * s->elemsize;
            atomic_sub_relaxed_u64(&h->heapLive, unused);
        }
        s->allocCountBeforeCache = 0;
        uint64_t black = gcAllocBlackSpanEnd(rt, s); /* 0 unless released during mark */
        if (black != 0)
            atomic_add_u64(&rt->gc.bytesMarked, black);
        mcentral_uncacheSpan(rt, &h->central[i], s);
        atomic_store_rel_ptr((void **)&c->alloc[i], &h->emptymspan);
    }
    atomic_store_relaxed_uptr(&c->tiny, 0);
    atomic_store_relaxed_uptr(&c->tinyoffset, 0);
}

bool mcache_is_valid(hs_runtime *rt, const mcache *c)
{
    mheap *h = &rt->heap;
    uint32_t sg = atomic_load_u32(&h->sweepgen);
    for (int i = 0; i < numSpanClasses; i++) {
        const mspan *s = c->alloc[i];
        if (s == &h->emptymspan)
            continue;
        uint32_t ssg = atomic_load_u32(&s->sweepgen);
        if (s->spanclass != i || s->list != NULL || (ssg != sg + 3 && ssg != sg + 1) ||
            !mspan_is_valid(s))
            return false;
    }
    if (c->tiny != 0) {
        mspan *ts = spanOfHeap(h, c->tiny);
        if (ts == NULL || ts->spanclass != tinySpanClass || c->tinyoffset > maxTinySize)
            return false;
    }
    return true;
}
