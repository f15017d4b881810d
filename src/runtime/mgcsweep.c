/*
 * mgcsweep.c — sweeping: turning a cycle's mark bits into free slots
 * (Go: mgcsweep.go).
 *
 * The heap's sweepgen sg rises by 2 at the start of every sweep cycle, with the
 * world stopped.  A span's own sweepgen says where it stands:
 *
 *     span.sweepgen == sg - 2   needs sweeping
 *     span.sweepgen == sg - 1   being swept (owned by that sweeper)
 *     span.sweepgen == sg       swept, ready to use
 *     span.sweepgen == sg + 1   cached in an mcache before the sweep began: stale
 *     span.sweepgen == sg + 3   swept, then cached
 *
 * Ownership passes with one CAS (sg-2 -> sg-1): whoever wins sweeps the span and
 * files it.  Sweeping a span:
 *   0. Green Tea spans first fold their inline marks into gcmarkBits and reset
 *      the inline block (mgcmark_greenteagc.c);
 *   1. count gcmarkBits: the survivors; allocCount := that count;
 *   2. allocBits := gcmarkBits, and fresh zeroed gcmarkBits (the two arrays
 *      swap, so no memory is allocated);
 *   3. freeindex := 0, allocCache from the new allocBits;
 *   4. store sweepgen = sg; an empty span goes back to mheap, others to their
 *      mcentral's partial or full swept set (unless the caller, mcentral's
 *      cacheSpan, keeps it to allocate from: "preserve").
 *
 * Who sweeps: the background sweeper thread walks the unswept sets class by
 * class at a lower priority than the mutators (nice 10), as Go runs bgsweep
 * only on an idle P; mcentral sweeps lazily when it needs a span; allocation pays sweep
 * credit in proportion to the bytes it allocates (deductSweepCredit); and the
 * next cycle cannot start until finishsweep has swept everything.
 *
 * The background sweeper has no P, yet a stopped world stops it, as it
 * stops Go's bgsweep goroutine: each sweepone runs between bg_acquire and
 * bg_release (proc.c), so it stops between spans, holding no span, no lock
 * and no sweepLocker, and a stopper waits at most for the span under way.
 * While the world is stopped only the stopper sweeps (finishsweep at the
 * two pauses), and every unswept span stays unswept until the world starts.
 */
#include <sched.h>
#include <string.h>

#include "runtime/runtime2.h"

enum { numSweepClasses = numSpanClasses * 2, sweepClassDone = numSweepClasses };
#define sweepDrainedMask ((uint32_t)1 << 31)

void sweep_init(hs_runtime *rt)
{
    sweepdata *sw = &rt->sweep;
    pthread_mutex_init(&sw->lock, NULL);
    pthread_cond_init(&sw->cond, NULL);
    sw->centralIndex = sweepClassDone;
    sw->state = sweepDrainedMask;
}

/* ---- who may sweep (Go: activeSweep) --------------------------------------------
 * A sweeper counts itself in before it takes a span and out after it has filed
 * it.  Once the unswept sets are found empty the drained bit goes up, and from
 * then on nobody can count in: so when the count is 0 with the bit up, sweeping
 * is really over, and the next cycle (which resets the word, world stopped) can
 * never meet a sweeper still working from the old sweepgen. */

sweepLocker sweep_begin(hs_runtime *rt)
{
    sweepdata *sw = &rt->sweep;
    for (;;) {
        uint32_t st = atomic_load_u32(&sw->state);
        if (st & sweepDrainedMask)
            return (sweepLocker){0, false};
        if (atomic_cas_u32(&sw->state, st, st + 1))
            return (sweepLocker){atomic_load_u32(&rt->heap.sweepgen), true};
    }
}

void sweep_end(hs_runtime *rt, sweepLocker *sl)
{
    /* Sequentially consistent: what this sweeper did to its spans happens
     * before whoever then sees the count at 0 (finishsweep, a new mark). */
    if (sl->valid)
        atomic_add_u32(&rt->sweep.state, (uint32_t)-1);
    sl->valid = false;
}

/* Raise the drained bit, once. */
static void sweep_markDrained(hs_runtime *rt)
{
    for (;;) {
        uint32_t st = atomic_load_u32(&rt->sweep.state);
        if ((st & sweepDrainedMask) || atomic_cas_u32(&rt->sweep.state, st, st | sweepDrainedMask))
            return;
    }
}

bool sweep_tryAcquire(const sweepLocker *sl, mspan *s)
{
    uint32_t sg = sl->sweepGen;
    if (atomic_load_u32(&s->sweepgen) != sg - 2)
        return false;
    return atomic_cas_u32(&s->sweepgen, sg - 2, sg - 1);
}

/* Swap allocBits and gcmarkBits and clear the new mark and scan bits.
 * Atomic stores, relaxed: a snapshot may be reading this span's bits at
 * the same moment (src/snapshot/heapwalk.c), and throws that read away
 * when the span's sweepgen says a sweep overlapped it; the stores only
 * keep the overlap a defined one. */
static void mspan_swapBits(mspan *s, int words)
{
    uint64_t *old = s->allocBits;
    __atomic_store_n(&s->allocBits, s->gcmarkBits, __ATOMIC_RELAXED);
    __atomic_store_n(&s->gcmarkBits, old, __ATOMIC_RELAXED);
    for (int i = 0; i < words; i++) {
        atomic_store_relaxed_u64(&old[i], 0);
        atomic_store_relaxed_u64(&s->gcscanBits[i], 0);
    }
}

static bool mspan_sweepLarge(hs_runtime *rt, mspan *s, uint32_t sg, bool preserve)
{
    mheap *h = &rt->heap;
    bool marked = s->gcmarkBits[0] & 1;
    mspan_swapBits(s, 1);
    atomic_store_relaxed_u16(&s->freeindex, 0);
    atomic_store_relaxed_u16(&s->allocCount, marked);
    if (!marked) {
        atomic_add_relaxed_u64(&h->largeFree, s->elemsize);
        atomic_add_relaxed_u64(&h->largeFreeCount, 1);
        atomic_store_u32(&s->sweepgen, sg);
        mheap_freeSpan(rt, s);
        return true;
    }
    atomic_store_u32(&s->sweepgen, sg);
    if (!preserve)
        mcentral_push(&h->central[s->spanclass], mcentral_fullSwept(&h->central[s->spanclass], sg), s);
    return false;
}

bool mspan_sweep(hs_runtime *rt, mspan *s, bool preserve)
{
    mheap *h = &rt->heap;
    uint32_t sg = atomic_load_u32(&h->sweepgen);
    if (atomic_load_u32(&s->sweepgen) != sg - 1 || s->list != NULL)
        hs_throw("sweep: span %#lx has sweepgen %u (heap %u): not owned by this sweeper",
                 (unsigned long)s->startAddr, s->sweepgen, sg);
    atomic_add_relaxed_u64(&rt->sweep.pagesSwept, s->npages);
    int cls = spanClass_sizeclass(s->spanclass);
    if (cls == 0)
        return mspan_sweepLarge(rt, s, sg, preserve);

    if (s->inlineMarks)
        mspan_moveInlineMarks(s); /* Green Tea: the marks live in the span until now */
    uint16_t nalloc = mspan_countAlloc(s);
    if (nalloc > s->allocCount)
        hs_throw("sweep: span %#lx of class %d has %u marked objects but only %u allocated",
                 (unsigned long)s->startAddr, s->spanclass, nalloc, s->allocCount);
    uint16_t nfreed = (uint16_t)(s->allocCount - nalloc);
    mspan_swapBits(s, mspan_bitWords(s));
    atomic_store_relaxed_u16(&s->allocCount, nalloc);
    atomic_store_relaxed_u16(&s->freeindex, 0);
    mspan_refillAllocCache(s, 0);
    if (nfreed > 0) {
        s->needzero = 1;
        atomic_add_relaxed_u64(&h->smallFreeCount[cls], nfreed);
    }
    atomic_store_u32(&s->sweepgen, sg);
    if (preserve)
        return false;
    if (nalloc == 0) {
        mheap_freeSpan(rt, s);
        return true;
    }
    mcentral *c = &h->central[s->spanclass];
    if (nalloc == s->nelems)
        mcentral_push(c, mcentral_fullSwept(c, sg), s);
    else
        mcentral_push(c, mcentral_partialSwept(c, sg), s);
    return false;
}

/* Pop the next unswept span, class by class, remembering where we got to. */
static mspan *nextSpanForSweep(hs_runtime *rt, uint32_t sg)
{
    mheap *h = &rt->heap;
    for (uint32_t sc = atomic_load_u32(&rt->sweep.centralIndex); sc < numSweepClasses; sc++) {
        mcentral *c = &h->central[sc >> 1];
        mSpanList *l = (sc & 1) ? mcentral_fullUnswept(c, sg) : mcentral_partialUnswept(c, sg);
        if (atomic_load_relaxed_u32(&l->n) == 0)
            continue; /* an empty set: skip it without its lock */
        pthread_mutex_lock(&c->lock);
        mspan *s = mSpanList_pop(l);
        pthread_mutex_unlock(&c->lock);
        if (s != NULL) {
            atomic_store_u32(&rt->sweep.centralIndex, sc);
            return s;
        }
    }
    atomic_store_u32(&rt->sweep.centralIndex, sweepClassDone);
    return NULL;
}

uintptr_t sweepone(hs_runtime *rt)
{
    uintptr_t npages = UINTPTR_MAX;
    sweepLocker sl = sweep_begin(rt);
    if (!sl.valid)
        return npages;
    for (;;) {
        mspan *s = nextSpanForSweep(rt, sl.sweepGen);
        if (s == NULL) {
            sweep_markDrained(rt);
            break;
        }
        if (sweep_tryAcquire(&sl, s)) {
            npages = s->npages;
            mspan_sweep(rt, s, false);
            break;
        }
    }
    sweep_end(rt, &sl);
    return npages;
}

bool isSweepDone(hs_runtime *rt)
{
    return atomic_load_u32(&rt->sweep.state) == sweepDrainedMask;
}

void finishsweep(hs_runtime *rt)
{
    while (sweepone(rt) != UINTPTR_MAX)
        atomic_add_relaxed_u64(&rt->sweep.npausesweep, 1);
    /* Another sweeper may still be filing its last span. */
    while (!isSweepDone(rt))
        sched_yield();
}

static double sweep_pagesPerByte(hs_runtime *rt)
{
    uint64_t bits = atomic_load_relaxed_u64(&rt->sweep.pagesPerByteBits);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static void sweep_setPagesPerByte(hs_runtime *rt, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    atomic_store_relaxed_u64(&rt->sweep.pagesPerByteBits, bits);
}

void gcPaceSweeper(hs_runtime *rt, uint64_t trigger)
{
    if (isSweepDone(rt)) {
        sweep_setPagesPerByte(rt, 0);
        return;
    }
    uint64_t liveBasis = atomic_load_u64(&rt->heap.heapLive);
    int64_t heapDistance = (int64_t)trigger - (int64_t)liveBasis - (1 << 20);
    if (heapDistance < pageSize)
        heapDistance = pageSize;
    uint64_t pagesSwept = atomic_load_u64(&rt->sweep.pagesSwept);
    int64_t sweepDistancePages = (int64_t)atomic_load_u64(&rt->heap.pagesInUse) - (int64_t)pagesSwept;
    if (sweepDistancePages <= 0) {
        sweep_setPagesPerByte(rt, 0);
        return;
    }
    atomic_store_u64(&rt->sweep.heapLiveBasis, liveBasis);
    atomic_store_u64(&rt->sweep.pagesSweptBasis, pagesSwept);
    sweep_setPagesPerByte(rt, (double)sweepDistancePages / (double)heapDistance);
}

void deductSweepCredit(hs_runtime *rt, uintptr_t spanBytes)
{
    double perByte = sweep_pagesPerByte(rt);
    if (perByte == 0)
        return;
    uint64_t sweptBasis = atomic_load_u64(&rt->sweep.pagesSweptBasis);
    uint64_t live = atomic_load_u64(&rt->heap.heapLive);
    uint64_t liveBasis = atomic_load_u64(&rt->sweep.heapLiveBasis);
    uint64_t newHeapLive = spanBytes + (live > liveBasis ? live - liveBasis : 0);
    int64_t pagesTarget = (int64_t)(perByte * (double)newHeapLive);
    while (pagesTarget > (int64_t)(atomic_load_u64(&rt->sweep.pagesSwept) - sweptBasis)) {
        if (sweepone(rt) == UINTPTR_MAX) {
            sweep_setPagesPerByte(rt, 0);
            break;
        }
        atomic_add_relaxed_u64(&rt->sweep.nlazysweep, 1);
    }
}

void gcPrepareSweepCycle(hs_runtime *rt)
{
    finishsweep(rt);
    mheap *h = &rt->heap;
    atomic_store_u32(&h->sweepgen, atomic_load_u32(&h->sweepgen) + 2);
    atomic_store_u64(&rt->sweep.pagesSwept, 0);
    atomic_store_u32(&rt->sweep.centralIndex, 0);
    if (atomic_load_u32(&rt->sweep.state) != sweepDrainedMask)
        hs_throw("sweep: a new cycle began with sweepers still at work");
    atomic_store_u32(&rt->sweep.state, 0); /* world stopped, nobody sweeping */
    /* Spans cached before the bump are now stale (sg+1): releasing them sweeps
     * them, as Go's prepareForSweep does. */
    for (int i = 0; i < rt->nprocs; i++)
        mcache_releaseAll(rt, &rt->allp[i]->mcache);
}

void sweep_wake(hs_runtime *rt)
{
    pthread_mutex_lock(&rt->sweep.lock);
    rt->sweep.cycle++;
    pthread_cond_signal(&rt->sweep.cond);
    pthread_mutex_unlock(&rt->sweep.lock);
}

void gcStartSweepCycle(hs_runtime *rt)
{
    gcPrepareSweepCycle(rt);
    sweep_wake(rt);
}

/* The background sweeper (Go: bgsweep): sweeps a span at a time, yielding the
 * CPU between spans and parking there while the world is stopped, and
 * sleeps until the next cycle once nothing is left. */
static void *bgsweep(void *arg)
{
    hs_runtime *rt = arg;
    sweepdata *sw = &rt->sweep;
    uint32_t seen = 0;
    osThreadSetup("hs-bgsweep", osThreadBackground);
    pthread_mutex_lock(&sw->lock);
    while (!sw->stop) {
        if (sw->cycle == seen) {
            pthread_cond_wait(&sw->cond, &sw->lock);
            continue;
        }
        seen = sw->cycle;
        pthread_mutex_unlock(&sw->lock);
        for (unsigned n = 1; !__atomic_load_n(&sw->stop, __ATOMIC_RELAXED); n++) {
            bg_acquire(rt);
            bool swept = sweepone(rt) != UINTPTR_MAX;
            if (swept) /* counted before the stopper may go on */
                atomic_add_relaxed_u64(&sw->nbgsweep, 1);
            bg_release(rt);
            if (!swept)
                break;
            if (n % 10 == 0)
                sched_yield();
        }
        pthread_mutex_lock(&sw->lock);
    }
    pthread_mutex_unlock(&sw->lock);
    return NULL;
}

void sweep_start_thread(hs_runtime *rt)
{
    if (pthread_create(&rt->sweep.thread, NULL, bgsweep, rt) == 0)
        rt->sweep.started = true;
}

void sweep_stop_thread(hs_runtime *rt)
{
    sweepdata *sw = &rt->sweep;
    if (!sw->started)
        return;
    pthread_mutex_lock(&sw->lock);
    __atomic_store_n(&sw->stop, true, __ATOMIC_RELAXED);
    pthread_cond_signal(&sw->cond);
    pthread_mutex_unlock(&sw->lock);
    pthread_join(sw->thread, NULL);
    sw->started = false;
}
