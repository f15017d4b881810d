/*
 * mgcmark.c — marking: roots, greying, scanning, draining, assists and the
 * mark workers (Go: mgcmark.go, mgc.go gcBgMarkWorker).
 *
 * Tri-color, exactly: an object is white while its mark bit is clear, gray
 * once marked and queued, black once scanned.  Go keeps only the mark bit;
 * heapscope also sets a scan bit when an object has been scanned, so a
 * snapshot can tell gray from black.  Pointer-free objects and objects
 * allocated during mark are black at once; a pointer-free object has only its
 * mark bit, as in Go (readers take a marked object of a noscan span as black),
 * so greying one costs no more than Go's greyobject does.
 *
 * The algorithm:
 *   1. roots (gcMarkRootPrepare, with the world stopped): one job for the
 *      globals and one per P for the stacks of its goroutines.  A worker that
 *      claims a P's job scans it at once if it runs that P or can own it while
 *      idle; otherwise it asks the P to scan its own stacks at its next safe
 *      point, where its goroutines are stopped.  Stacks are scanned once.
 *   2. greyobject(p): find p's span and object, set its mark bit with an atomic
 *      OR; the first to set it queues the object on its gcWork.
 *   3. scanobject(b): read the object's pointer map — heap bits in the span for
 *      objects up to 512 B, the malloc header's type for larger small objects,
 *      the span's type for large ones (scanned in 128 KiB oblets) — and grey
 *      every non-nil pointer word; then set the scan bit.
 *   4. gcDrain: take roots and gray objects until there are none, or a budget
 *      (objects, scan work) runs out, or the caller must stop (stop-the-world).
 *   5. Who drains: dedicated workers (their P runs only marking for the whole
 *      phase), fractional workers (a P marks for a share of its time), assists
 *      (a goroutine in allocation debt pays in scan work), and the collector
 *      thread for idle Ps and with the world stopped.
 *
 * Ownership: a gcWork belongs to whoever runs its P; the mark bits are set
 * atomically by anyone; object memory is read with atomic loads because
 * mutators store into it concurrently through the write barrier.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime2.h"

enum { maxObletBytes = 128 << 10, gcOverAssistWork = 64 << 10 };


/* ---- greying ----------------------------------------------------------------------- */

/* The object queue's greying (Go: greyobject).  As in Go, a plain load
 * first: most pointers a scan meets point at objects already marked, and the
 * atomic OR is the dear part.  Two greyers racing past the load may both queue
 * the object; it is then scanned twice, which marks nothing more (Go accepts
 * the same race). */
static inline bool greyobjectInline(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t p)
{
    uintptr_t idx = mspan_isSmall(s) ? mspan_objIndex(s, p) : 0;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    uint64_t *word = &s->gcmarkBits[idx / 64];
    if (atomic_load_relaxed_u64(word) & bit)
        return false; /* already gray or black */
    atomic_or_relaxed_u64(word, bit);
    setPageMark(&rt->heap, s);
    w->bytesMarked += s->elemsize;
    if (spanClass_noscan(s->spanclass))
        return true; /* nothing to scan: black by its mark bit alone, as in Go */
    uintptr_t obj = s->startAddr + idx * s->elemsize;
    __builtin_prefetch((const void *)obj); /* it is scanned soon: the queue is LIFO */
    gcw_put(rt, w, obj);
    return true;
}

bool greyobject(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t p)
{
    return greyobjectInline(rt, w, s, p);
}

static inline void shadeInline(hs_runtime *rt, gcWork *w, uintptr_t p)
{
    if (rt->cfg.gcmode == HS_GC_GREENTEA && tryDeferToSpanScan(rt, w, p))
        return; /* Green Tea: the span queue */
    mspan *s = spanOfHeap(&rt->heap, p);
    if (s != NULL)
        greyobjectInline(rt, w, s, p);
}

void shade(hs_runtime *rt, gcWork *w, uintptr_t p)
{
    shadeInline(rt, w, p);
}

/* ---- allocate black, a span at a time ----------------------------------------------------
 * Go marks each object it allocates during mark (gcmarknewobject): here two
 * atomic ORs per allocation, the mark and the scan bit.  heapscope marks
 * instead every free slot of a span an mcache holds during mark, once: for
 * the spans cached when mark begins (world stopped), and for each span refill
 * caches.  When the span leaves the mcache (full), or at mark termination
 * (world stopped), the slots still free are unmarked, and those allocated are
 * counted in bytesMarked.  A reader sees what Go would show: a slot is free
 * while allocBits and freeindex say so, whatever its mark bit, and black from
 * its allocation on.  No pointer leads to a free slot, so nobody greys one.
 * Large objects are still marked one by one (gcmarknewobject). */

/* The free slots of word w at or after index from (allocBits clear). */
static uint64_t freeSlots(const mspan *s, unsigned w, unsigned from)
{
    unsigned lo = w * 64;
    uint64_t m = ~atomic_load_relaxed_u64(&s->allocBits[w]);
    if (from >= lo + 64)
        return 0;
    if (from > lo)
        m &= ~(uint64_t)0 << (from - lo);
    if (s->nelems < lo + 64)
        m &= s->nelems <= lo ? 0 : ((uint64_t)1 << (s->nelems - lo)) - 1;
    return m;
}

static void markAndScanBits(mspan *s, uint64_t **mark, uint64_t **scan)
{
    if (s->inlineMarks) {
        spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
        *mark = imb->marks;
        *scan = imb->scans;
    } else {
        *mark = s->gcmarkBits;
        *scan = s->gcscanBits;
    }
}

/* Mark (set) or unmark the free slots from freeindex on; returns how many. */
static unsigned markFreeSlots(mspan *s, bool set)
{
    uint64_t *mark, *scan;
    markAndScanBits(s, &mark, &scan);
    unsigned n = 0, from = atomic_load_relaxed_u16(&s->freeindex);
    for (unsigned w = from / 64; w < (unsigned)mspan_bitWords(s); w++) {
        uint64_t f = freeSlots(s, w, from);
        if (f == 0)
            continue;
        if (set) { /* atomic: markers set other bits of the word */
            atomic_or_relaxed_u64(&mark[w], f);
            atomic_or_relaxed_u64(&scan[w], f);
        } else {
            atomic_and_u64(&mark[w], ~f);
            atomic_and_u64(&scan[w], ~f);
        }
        n += (unsigned)__builtin_popcountll(f);
    }
    return n;
}

void gcAllocBlackSpan(hs_runtime *rt, mspan *s)
{
    if (s == &rt->heap.emptymspan || !mspan_isSmall(s))
        return;
    s->premarked = (uint16_t)markFreeSlots(s, true);
}

uint64_t gcAllocBlackSpanEnd(hs_runtime *rt, mspan *s)
{
    if (s->premarked == 0)
        return 0;
    unsigned still = markFreeSlots(s, false);
    uint64_t bytes = (uint64_t)(s->premarked - still) * s->elemsize;
    s->premarked = 0;
    if (bytes != 0)
        setPageMark(&rt->heap, s);
    return bytes;
}

/* Every P's cached spans, at mark start (start) or mark termination (!start);
 * the world is stopped. */
void gcAllocBlackCached(hs_runtime *rt, bool start)
{
    uint64_t bytes = 0;
    for (int i = 0; i < rt->nprocs; i++) {
        mcache *c = &rt->allp[i]->mcache;
        for (int k = 0; k < numSpanClasses; k++) {
            if (start)
                gcAllocBlackSpan(rt, c->alloc[k]);
            else
                bytes += gcAllocBlackSpanEnd(rt, c->alloc[k]);
        }
    }
    if (bytes != 0)
        atomic_add_u64(&rt->gc.bytesMarked, bytes);
}

void gcMarkTinyAllocs(hs_runtime *rt)
{
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        if (pp->mcache.tiny != 0)
            shade(rt, &pp->gcw, pp->mcache.tiny);
    }
}

/* ---- scanning ----------------------------------------------------------------------- */

static inline void scanword(hs_runtime *rt, gcWork *w, uintptr_t addr)
{
    uintptr_t v = atomic_load_relaxed_uptr((uintptr_t *)addr);
    if (v != 0)
        shadeInline(rt, w, v);
}

/* Objects of at most 512 B: one bit per word in the span's heap bits. */
static void scanHeapBits(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t b)
{
    const uint64_t *hb = mspan_heapBits(s, rt->cfg.gcmode);
    uintptr_t w0 = (b - s->startAddr) / 8, nw = s->elemsize / 8;
    for (uintptr_t i = 0; i < nw;) {
        uintptr_t word = (w0 + i) / 64, bit = (w0 + i) % 64;
        uint64_t bits = atomic_load_relaxed_u64(&hb[word]) >> bit;
        uintptr_t avail = 64 - bit < nw - i ? 64 - bit : nw - i;
        if (avail < 64)
            bits &= ((uint64_t)1 << avail) - 1;
        while (bits != 0) {
            unsigned k = (unsigned)__builtin_ctzll(bits);
            scanword(rt, w, b + (i + k) * 8);
            bits &= bits - 1;
        }
        i += avail;
    }
}

/* [from, to) of an array of typ starting at base: its pointer words. */
static void scanTyped(hs_runtime *rt, gcWork *w, const hs_type *typ, uintptr_t base,
                      uintptr_t from, uintptr_t to)
{
    if (typ == NULL || typ->size == 0 || typ->ptrbytes == 0)
        return;
    for (uintptr_t off = from & ~(uintptr_t)7; off + 8 <= to; off += 8) {
        uintptr_t tw = (off % typ->size) / 8;
        if (tw * 8 < typ->ptrbytes && ((typ->gcdata[tw / 8] >> (tw % 8)) & 1))
            scanword(rt, w, base + off);
    }
}

/* Scan bits are set a word at a time: objects scanned one after another are
 * mostly neighbours (the queue is LIFO, and a graph is mostly allocated in
 * the order it is walked), and the atomic OR is the dear part of setting
 * them.  A drain ends with its bits flushed, so between drains, at every
 * stop of the world and for every reader after one, gray and black are
 * exact; during a drain an object may show gray for the moment after its
 * scan. */
static void gcw_flushScanBits(gcWork *w)
{
    if (w->scanBitsPending != 0)
        atomic_or_relaxed_u64(w->scanBitsWord, w->scanBitsPending);
    w->scanBitsPending = 0;
    w->scanBitsWord = NULL;
}

/* Scan the object (or oblet) at b; returns the bytes scanned. */
static uintptr_t scanobject(hs_runtime *rt, gcWork *w, uintptr_t b)
{
    mspan *s = spanOfHeap(&rt->heap, b);
    if (s == NULL)
        hs_throw("scanobject: %#lx is not in the heap", (unsigned long)b);
    if (mspan_isSmall(s)) {
        if (heapBitsInSpan(s->elemsize)) {
            scanHeapBits(rt, w, s, b);
        } else {
            const hs_type *typ = atomic_load_acq_ptr((void *const *)b);
            scanTyped(rt, w, typ, b + mallocHeaderSize, 0, s->elemsize - mallocHeaderSize);
        }
        uintptr_t idx = mspan_objIndex(s, b);
        uint64_t *word = &s->gcscanBits[idx / 64];
        if (word != w->scanBitsWord) {
            gcw_flushScanBits(w);
            w->scanBitsWord = word;
        }
        w->scanBitsPending |= (uint64_t)1 << (idx % 64);
        w->stats[spanClass_sizeclass(s->spanclass)].objs_single++;
        w->statsDirty = true;
        return s->elemsize;
    }
    /* A large object: scan one oblet; the head queues the others. */
    uintptr_t size = atomic_load_relaxed_uptr(&s->limit) - s->startAddr, off = b - s->startAddr;
    if (off == 0) {
        for (uintptr_t o = maxObletBytes; o < size; o += maxObletBytes)
            gcw_put(rt, w, s->startAddr + o);
        bits_set_atomic(s->gcscanBits, 0);
    }
    uintptr_t end = off + maxObletBytes < size ? off + maxObletBytes : size;
    scanTyped(rt, w, __atomic_load_n(&s->largeType, __ATOMIC_RELAXED), s->startAddr, off, end);
    w->stats[0].objs_single++; /* per oblet, as Go counts scanobject calls */
    w->statsDirty = true;
    return end - off;
}

/* ---- roots --------------------------------------------------------------------------- */

void gcMarkRootPrepare(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    gc->markrootJobs = 1 + (uint32_t)rt->nprocs;
    atomic_store_u32(&gc->markrootNext, 0);
    atomic_store_u32(&gc->stackRootsLeft, (uint32_t)rt->nprocs);
}

static void scanglobals(hs_runtime *rt, gcWork *w)
{
    for (size_t i = 0; i < rt->cfg.nglobals; i++)
        scanword(rt, w, (uintptr_t)&rt->globals[i]);
}

void scanstacks(hs_runtime *rt, hs_p *pp, gcWork *w)
{
    uint32_t cycle = atomic_load_u32(&rt->gc.cycle);
    uint32_t old = atomic_load_u32(&pp->stackScanned);
    if (old == cycle || !atomic_cas_u32(&pp->stackScanned, old, cycle))
        return;
    for (hs_g *g = pp->gs; g != NULL; g = g->next)
        for (size_t i = 0; i < g->nslots; i++)
            if (g->slots[i] != NULL)
                shade(rt, w, (uintptr_t)g->slots[i]);
    atomic_sub_relaxed_u32(&rt->gc.stackRootsLeft, 1);
}

bool markrootOne(hs_runtime *rt, hs_p *self, gcWork *w)
{
    gcstate *gc = &rt->gc;
    if (atomic_load_u32(&gc->markrootNext) >= gc->markrootJobs)
        return false;
    uint32_t job = atomic_add_u32(&gc->markrootNext, 1) - 1;
    if (job >= gc->markrootJobs)
        return false;
    if (job == 0) {
        scanglobals(rt, w);
        return true;
    }
    hs_p *target = rt->allp[job - 1];
    if (target == self) {
        scanstacks(rt, target, w);
    } else if (p_tryOwn(rt, target)) {
        scanstacks(rt, target, w);
        p_unown(rt, target);
    } else {
        p_setPreempt(target, preemptScan); /* it scans itself at its next safe point */
    }
    return true;
}

/* ---- draining -------------------------------------------------------------------------- */

/* Next work, in Go 1.26's order: this worker's own objects, its own spans,
 * the global object list, its own published spans; then roots, the write
 * barrier buffer, and other workers' spans.  Objects go first so spans wait
 * and gather marks.  Returns false when there is none. */
static bool getWork(hs_runtime *rt, hs_p *self, gcWork *w, bool spans, uintptr_t *b, objptr *sp)
{
    for (;;) {
        if ((*b = gcw_tryGetFast(w)) != 0)
            return true;
        if (spans && (*sp = spanq_tryGetFast(&w->spanq)) != 0)
            return true;
        if ((*b = gcw_tryGet(rt, w)) != 0)
            return true;
        if (spans && (*sp = gcw_tryGetSpan(rt, w)) != 0)
            return true;
        if (markrootOne(rt, self, w))
            continue;
        if (self != NULL && self->wbbuf.n > 0) {
            wbBufFlush(rt, self);
            continue;
        }
        return spans && (*sp = gcw_tryStealSpan(rt, w)) != 0;
    }
}

static void gcDrainFlush(hs_runtime *rt, gcWork *w)
{
    atomic_add_u64(&rt->gc.heapScanWork, w->heapScanWork);
    atomic_add_u64(&rt->gc.objectsScanned, w->objectsScanned);
    w->heapScanWork = w->objectsScanned = 0;
    gcw_flushScanStats(rt, w);
}

uint64_t gcDrain(hs_runtime *rt, hs_p *self, gcWork *w, uint64_t budget,
                 bool (*stop)(hs_runtime *, hs_p *), uint64_t *work)
{
    gcstate *gc = &rt->gc;
    bool spans = rt->cfg.gcmode == HS_GC_GREENTEA;
    uint64_t n = 0, scanned = 0, maxWork = *work;
    atomic_add_u32(&gc->nworking, 1);
    for (;;) {
        if (stop != NULL && (n & 15) == 0 && stop(rt, self))
            break;
        /* Keep work where idle workers and assists find it (Go: balance). */
        if (atomic_load_relaxed_u64(&gc->nfull) == 0)
            gcw_balance(rt, w);
        uintptr_t b = 0;
        objptr sp = 0;
        if (!getWork(rt, self, w, spans, &b, &sp))
            break;
        if (b != 0) {
            scanned += scanobject(rt, w, b);
            w->objectsScanned++;
        } else {
            scanned += scanSpan(rt, w, sp);
        }
        n++;
        if ((budget != 0 && n >= budget) || (maxWork != 0 && scanned >= maxWork))
            break;
    }
    gcw_flushScanBits(w);
    w->heapScanWork += scanned;
    if (w->heapScanWork > (64 << 10) || w->objectsScanned > 4096)
        gcDrainFlush(rt, w);
    atomic_sub_relaxed_u32(&gc->nworking, 1);
    *work = scanned;
    return n;
}

/* ---- mark workers ------------------------------------------------------------------------ */

static bool stopForSTW(hs_runtime *rt, hs_p *pp)
{
    return atomic_load_relaxed_u32(&rt->sched.gcwaiting) != 0 ||
           (pp != NULL && (atomic_load_relaxed_u32(&pp->preempt) & (preemptScan | preemptFlush)));
}

static bool stopFractional(hs_runtime *rt, hs_p *pp)
{
    if (stopForSTW(rt, pp))
        return true;
    /* The clock every 8th call (128 scans, some microseconds): reading it on
     * every call cost more than the overshoot it saves. */
    if ((++pp->polls & 7) != 0)
        return false;
    int64_t now = nanotime(&rt->sys);
    double elapsed = (double)(now - rt->gc.markStartTime);
    return (double)pp->fractionalNs + (double)(now - pp->fractionalStart) >=
           rt->gc.fractionalUtilizationGoal * elapsed;
}

/* Give assists the credit of background scan work (Go: gcFlushBgCredit). */
void gcFlushBgCredit(hs_runtime *rt, uint64_t work)
{
    if (work == 0)
        return;
    atomic_add_i64(&rt->gc.bgScanCredit, (int64_t)work);
    pthread_mutex_lock(&rt->gc.lock);
    pthread_cond_broadcast(&rt->gc.assistQueue);
    pthread_mutex_unlock(&rt->gc.lock);
}

static void dedicatedWorker(hs_runtime *rt, hs_p *pp)
{
    atomic_store_relaxed_u32(&pp->activity, actDedicated);
    int64_t t0 = nanotime(&rt->sys);
    while (atomic_load_u32(&rt->gc.blackenEnabled) &&
           !atomic_load_relaxed_u32(&rt->sched.gcwaiting)) {
        p_serviceRequests(pp);
        uint64_t work = 0;
        gcDrain(rt, pp, &pp->gcw, 0, stopForSTW, &work);
        gcFlushBgCredit(rt, work);
        if (work == 0 && !gcMarkWorkAvailable(rt)) {
            /* Out of work: let the P's goroutines run, as Go's worker parks;
             * preemptWork stays set, so it comes back at the next safe point. */
            gcw_dispose(rt, &pp->gcw);
            break;
        }
    }
    int64_t dt = nanotime(&rt->sys) - t0;
    atomic_store_relaxed_i64(&pp->dedicatedNs, pp->dedicatedNs + dt);
    atomic_add_i64(&rt->gc.dedicatedNs, dt);
    atomic_store_relaxed_u32(&pp->activity, actMutator);
}

static void fractionalWorker(hs_runtime *rt, hs_p *pp)
{
    if ((++pp->polls & 15) != 0 || !gcMarkWorkAvailable(rt))
        return;
    int64_t t0 = nanotime(&rt->sys);
    double elapsed = (double)(t0 - rt->gc.markStartTime);
    if ((double)pp->fractionalNs >= rt->gc.fractionalUtilizationGoal * elapsed)
        return;
    atomic_store_relaxed_u32(&pp->activity, actFractional);
    pp->fractionalStart = t0;
    uint64_t work = 0;
    gcDrain(rt, pp, &pp->gcw, 0, stopFractional, &work);
    gcFlushBgCredit(rt, work);
    int64_t dt = nanotime(&rt->sys) - t0;
    atomic_store_relaxed_i64(&pp->fractionalNs, pp->fractionalNs + dt);
    atomic_add_i64(&rt->gc.fractionalNs, dt);
    atomic_store_relaxed_u32(&pp->activity, actMutator);
}

void gcMarkWorker(hs_runtime *rt, hs_p *pp)
{
    if (!atomic_load_u32(&rt->gc.blackenEnabled)) {
        p_clearPreempt(pp, preemptWork);
        return;
    }
    if (pp->workerMode == workerDedicated) {
        /* Cheap test first: with nothing to mark the goroutines keep the P. */
        if (gcMarkWorkAvailable(rt) || !gcw_empty(&pp->gcw) || pp->wbbuf.n > 0)
            dedicatedWorker(rt, pp);
    }
    else if (pp->workerMode == workerFractional)
        fractionalWorker(rt, pp);
}

/* ---- assists --------------------------------------------------------------------------------- */

/* Take background credit for up to want units of work; returns what was taken. */
static int64_t stealBgCredit(hs_runtime *rt, int64_t want)
{
    int64_t credit = atomic_load_i64(&rt->gc.bgScanCredit);
    while (credit > 0) {
        int64_t take = credit < want ? credit : want;
        if (atomic_cas_u64((uint64_t *)&rt->gc.bgScanCredit, (uint64_t)credit,
                           (uint64_t)(credit - take)))
            return take;
        credit = atomic_load_i64(&rt->gc.bgScanCredit);
    }
    return 0;
}

/* An assist in debt that found no work waits for workers' credit, off its P,
 * as Go's assist parks on the assist queue and its P runs something else: a
 * stop-the-world does not wait for it, and the collector may mark on the idle
 * P.  It wakes the collector first: no work anywhere may mean mark is done. */
static void assistWait(hs_runtime *rt, hs_p *pp)
{
    struct timespec ts = realtimeAfter(100000);
    hs_p_release(pp);
    pthread_mutex_lock(&rt->gc.lock);
    pthread_cond_broadcast(&rt->gc.wake);
    if (atomic_load_u32(&rt->gc.blackenEnabled))
        pthread_cond_timedwait(&rt->gc.assistQueue, &rt->gc.lock, &ts);
    pthread_mutex_unlock(&rt->gc.lock);
    hs_p_acquire(pp);
}

/* Credit for allocation, capped at this P's share of what is left before the
 * goal: near the end of mark, when little scan work remains, the price of work
 * in bytes soars, and uncapped credit would let a P allocate past the goal. */
static void assistCredit(hs_runtime *rt, hs_p *pp, double bytesPerWork, uint64_t work)
{
    pp->gcAssistBytes += (int64_t)(bytesPerWork * (double)work);
    int64_t left = (int64_t)gcHeapGoal(rt) - (int64_t)atomic_load_relaxed_u64(&rt->heap.heapLive);
    int64_t cap = left / rt->nprocs > gcOverAssistWork ? left / rt->nprocs : gcOverAssistWork;
    if (pp->gcAssistBytes > cap)
        pp->gcAssistBytes = cap;
}

void gcAssistAlloc(hs_runtime *rt, hs_p *pp)
{
    double workPerByte = gcAssistWorkPerByte(rt), bytesPerWork = gcAssistBytesPerWork(rt);
    int64_t scanWork = (int64_t)(workPerByte * (double)-pp->gcAssistBytes);
    if (scanWork < gcOverAssistWork)
        scanWork = gcOverAssistWork;
    int64_t stolen = stealBgCredit(rt, scanWork);
    assistCredit(rt, pp, bytesPerWork, (uint64_t)stolen);
    if (pp->gcAssistBytes >= 0)
        return;
    uint32_t act = atomic_load_relaxed_u32(&pp->activity);
    atomic_store_relaxed_u32(&pp->activity, actAssist);
    int64_t t0 = nanotime(&rt->sys), dt = 0;
    while (pp->gcAssistBytes < 0 && atomic_load_u32(&rt->gc.blackenEnabled) &&
           !atomic_load_relaxed_u32(&rt->sched.gcwaiting)) {
        p_serviceRequests(pp); /* a waiting assist still owes its stacks and buffers */
        /* The work the remaining debt costs now, never 0 (0 would mean no limit). */
        double debt = workPerByte * (double)-pp->gcAssistBytes;
        uint64_t work = debt < gcOverAssistWork ? gcOverAssistWork : (uint64_t)debt;
        gcDrain(rt, pp, &pp->gcw, 0, stopForSTW, &work);
        gcControllerRevise(rt); /* price the work done at the ratio it now has */
        bytesPerWork = gcAssistBytesPerWork(rt);
        workPerByte = gcAssistWorkPerByte(rt);
        assistCredit(rt, pp, bytesPerWork, work);
        if (pp->gcAssistBytes < 0 && work == 0) {
            /* Nothing to scan: wait for workers' credit, as Go parks on the assist queue.
             * The wait is not mark CPU: the P is given up (the collector may mark
             * on it, as idle time), and Go's assist time counts only its drain
             * (gcAssistAlloc1), not the park. */
            gcw_dispose(rt, &pp->gcw);
            dt += nanotime(&rt->sys) - t0;
            assistWait(rt, pp);
            t0 = nanotime(&rt->sys);
            stolen = stealBgCredit(rt, scanWork);
            assistCredit(rt, pp, bytesPerWork, (uint64_t)stolen);
        }
    }
    dt += nanotime(&rt->sys) - t0;
    atomic_store_relaxed_i64(&pp->assistNs, pp->assistNs + dt);
    atomic_add_i64(&rt->gc.assistNs, dt);
    atomic_store_relaxed_u32(&pp->activity, act);
}

/* ---- the ragged barrier -------------------------------------------------------------------- */

/* One P's part of the ragged barrier, by whoever runs or owns it: its
 * buffers to the global lists, and whether it put work there since the last
 * barrier (Go: the forEachP function of gcMarkDone). */
void gcMarkDoneFlushP(hs_runtime *rt, hs_p *pp)
{
    wbBufFlush(rt, pp);
    gcw_dispose(rt, &pp->gcw);
    if (pp->gcw.flushedWork) {
        pp->gcw.flushedWork = false;
        atomic_add_u32(&rt->gc.markDoneFlushed, 1);
    }
}

/* Flush every P's write-barrier buffer and gcWork to the global lists: idle
 * Ps by owning them, running Ps at their next safe point.  Returns when all
 * have, true if mark may not be done: work is visible, or some worker put work
 * on the global lists since the last barrier (another may have taken it and
 * still hold part of it: Go's gcMarkDoneFlushed, which retries the barrier
 * rather than stop the world in vain).  Work that appears afterwards is found
 * again with the world stopped. */
bool gcMarkDoneFlush(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    atomic_store_u32(&gc->markDoneFlushed, 0);
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        if (p_tryOwn(rt, pp)) {
            gcMarkDoneFlushP(rt, pp);
            p_unown(rt, pp);
        } else {
            p_setPreempt(pp, preemptFlush);
        }
    }
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        while (atomic_load_u32(&pp->preempt) & preemptFlush) {
            if (p_tryOwn(rt, pp)) { /* it went idle without a safe point */
                gcMarkDoneFlushP(rt, pp);
                p_clearPreempt(pp, preemptFlush);
                p_unown(rt, pp);
            } else {
                sched_yield();
            }
        }
    }
    gcw_dispose(rt, &gc->ctlgcw);
    bool flushed = gc->ctlgcw.flushedWork || atomic_load_u32(&gc->markDoneFlushed) != 0;
    gc->ctlgcw.flushedWork = false;
    return flushed || gcMarkWorkAvailable(rt) || atomic_load_u32(&gc->nworking) != 0 ||
           atomic_load_u32(&gc->stackRootsLeft) != 0;
}
