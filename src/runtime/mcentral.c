/*
 * mcentral.c — the central free lists, one per span class (Go: mcentral.go).
 *
 * An mcentral holds the spans of its class that no mcache holds, in four sets:
 * partial (has free slots) or full, each swept or unswept for this cycle.  Which
 * array index means "swept" flips each time sweepgen rises by 2, so starting a
 * sweep cycle turns every swept set into the unswept one at no cost:
 *
 *     swept = [sg/2 % 2]        unswept = [1 - sg/2 % 2]
 *
 * cacheSpan (an mcache needs a span):
 *   1. deduct sweep credit (proportional sweep);
 *   2. a partial swept span, if any;
 *   3. else partial unswept spans: acquire (sweepgen sg-2 -> sg-1), sweep, use;
 *   4. else full unswept spans: sweep; use it if sweeping freed a slot, else
 *      put it on the full swept set; at most spanBudget (100) spans in 3 and 4;
 *   5. else grow: a fresh span from mheap.
 * uncacheSpan puts a span back into the partial or full swept set, or sweeps it
 * first when it was cached before the current sweep began (sweepgen sg+1).
 *
 * Locking: the sets are guarded by c->lock, held only to push or pop; sweeping
 * and mheap calls happen with it released (see the lock order in runtime2.h).
 */
#include "runtime/runtime2.h"

enum { spanBudget = 100 };

void mcentral_init(mcentral *c, spanClass spc)
{
    pthread_mutex_init(&c->lock, NULL);
    c->spanclass = spc;
}

mSpanList *mcentral_partialSwept(mcentral *c, uint32_t sg) { return &c->partial[(sg / 2) % 2]; }
mSpanList *mcentral_partialUnswept(mcentral *c, uint32_t sg) { return &c->partial[1 - (sg / 2) % 2]; }
mSpanList *mcentral_fullSwept(mcentral *c, uint32_t sg) { return &c->full[(sg / 2) % 2]; }
mSpanList *mcentral_fullUnswept(mcentral *c, uint32_t sg) { return &c->full[1 - (sg / 2) % 2]; }

void mcentral_push(mcentral *c, mSpanList *l, mspan *s)
{
    pthread_mutex_lock(&c->lock);
    mSpanList_push(l, s);
    pthread_mutex_unlock(&c->lock);
}

static mspan *mcentral_pop(mcentral *c, mSpanList *l)
{
    pthread_mutex_lock(&c->lock);
    mspan *s = mSpanList_pop(l);
    pthread_mutex_unlock(&c->lock);
    return s;
}

/* Sweep unswept spans of this class looking for free space; returns a span
 * with a free slot, owned by the caller, or NULL. */
static mspan *mcentral_sweepForSpan(hs_runtime *rt, mcentral *c, uint32_t sg)
{
    int budget = spanBudget;
    mspan *s;
    sweepLocker sl = sweep_begin(rt);
    if (!sl.valid) /* sweeping is over: nothing unswept is left */
        return NULL;
    sg = sl.sweepGen;
    for (; budget >= 0 && (s = mcentral_pop(c, mcentral_partialUnswept(c, sg))); budget--) {
        if (sweep_tryAcquire(&sl, s)) {
            mspan_sweep(rt, s, true);
            atomic_add_relaxed_u64(&rt->sweep.nlazysweep, 1);
            goto done;
        }
    }
    for (; budget >= 0 && (s = mcentral_pop(c, mcentral_fullUnswept(c, sg))); budget--) {
        if (!sweep_tryAcquire(&sl, s))
            continue;
        mspan_sweep(rt, s, true);
        atomic_add_relaxed_u64(&rt->sweep.nlazysweep, 1);
        uint16_t freeIndex = mspan_nextFreeIndex(s);
        if (freeIndex != s->nelems) {
            atomic_store_relaxed_u16(&s->freeindex, freeIndex);
            goto done;
        }
        mcentral_push(c, mcentral_fullSwept(c, sg), s);
    }
    s = NULL;
done:
    sweep_end(rt, &sl);
    return s;
}

mspan *mcentral_cacheSpan(hs_runtime *rt, mcentral *c)
{
    int cls = spanClass_sizeclass(c->spanclass);
    deductSweepCredit(rt, (uintptr_t)class_to_allocnpages[cls] * pageSize);
    uint32_t sg = atomic_load_u32(&rt->heap.sweepgen);
    mspan *s = mcentral_pop(c, mcentral_partialSwept(c, sg));
    if (s == NULL)
        s = mcentral_sweepForSpan(rt, c, sg);
    if (s == NULL)
        s = mcentral_grow(rt, c);
    if (s == NULL)
        return NULL;
    if (s->allocCount == s->nelems || s->freeindex == s->nelems)
        hs_throw("mcentral: span %#lx of class %d has no free objects",
                 (unsigned long)s->startAddr, cls);
    /* Point allocCache at freeindex's word, shifted so bit 0 is freeindex. */
    mspan_refillAllocCache(s, s->freeindex / 64);
    s->allocCache >>= s->freeindex % 64;
    atomic_add_relaxed_u64(&c->nmalloc, 1);
    return s;
}

void mcentral_uncacheSpan(hs_runtime *rt, mcentral *c, mspan *s)
{
    if (s->allocCount == 0)
        hs_throw("mcentral: uncaching span %#lx with allocCount 0", (unsigned long)s->startAddr);
    uint32_t sg = atomic_load_u32(&rt->heap.sweepgen);
    bool stale = atomic_load_u32(&s->sweepgen) == sg + 1;
    if (stale) {
        /* Cached before this sweep began: we own it at sg-1; sweeping files it. */
        atomic_store_u32(&s->sweepgen, sg - 1);
        mspan_sweep(rt, s, false);
        return;
    }
    atomic_store_u32(&s->sweepgen, sg);
    if (s->nelems - s->allocCount > 0)
        mcentral_push(c, mcentral_partialSwept(c, sg), s);
    else
        mcentral_push(c, mcentral_fullSwept(c, sg), s);
}

mspan *mcentral_grow(hs_runtime *rt, mcentral *c)
{
    int cls = spanClass_sizeclass(c->spanclass);
    return mheap_alloc(rt, class_to_allocnpages[cls], c->spanclass);
}

/* Each set holds only spans of this class in the sweep state the set names. */
static bool mcentral_list_is_valid(mSpanList *l, spanClass spc, uint32_t want, bool full)
{
    uint32_t n = 0;
    for (mspan *s = l->first; s != NULL; s = s->next, n++) {
        if (s->list != l || s->spanclass != spc || atomic_load_u32(&s->sweepgen) != want)
            return false;
        if (full != (s->allocCount == s->nelems))
            return false;
        if (!mspan_is_valid(s))
            return false;
    }
    return n == l->n;
}

bool mcentral_is_valid(hs_runtime *rt, mcentral *c)
{
    uint32_t sg = atomic_load_u32(&rt->heap.sweepgen);
    pthread_mutex_lock(&c->lock);
    bool ok = mcentral_list_is_valid(mcentral_partialSwept(c, sg), c->spanclass, sg, false) &&
              mcentral_list_is_valid(mcentral_fullSwept(c, sg), c->spanclass, sg, true) &&
              mcentral_list_is_valid(mcentral_partialUnswept(c, sg), c->spanclass, sg - 2, false) &&
              mcentral_list_is_valid(mcentral_fullUnswept(c, sg), c->spanclass, sg - 2, true);
    pthread_mutex_unlock(&c->lock);
    return ok;
}
