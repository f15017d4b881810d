/*
 * mgcmark.c — marking: roots, greying, scanning, draining, assists and the
 * mark workers (Go: mgcmark.go, mgc.go gcBgMarkWorker).
 *
 * Tri-color, exactly: an object is white while its mark bit is clear, gray
 * once marked and queued, black once scanned.  Go keeps only the mark bit;
 * heapscope also sets a scan bit when an object has been scanned, so a
 * snapshot can tell gray from black.  Pointer-free objects and objects
 * allocated during mark are black at once.
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

static bool span_is_small(const mspan *s) { return spanClass_sizeclass(s->spanclass) != 0; }

/* ---- greying ----------------------------------------------------------------------- */

static inline void setPageMark(const mheap *h, const mspan *s)
{
    heapArena *ha = mheap_arenaOf(h, s->startAddr);
    uintptr_t pi = (s->startAddr / pageSize) % pagesPerArena;
    uint8_t mask = (uint8_t)(1u << (pi % 8));
    if ((atomic_load_relaxed_u8(&ha->pageMarks[pi / 8]) & mask) == 0)
        atomic_or_u8(&ha->pageMarks[pi / 8], mask);
}

void shade(hs_runtime *rt, gcWork *w, uintptr_t p)
{
    mspan *s = spanOfHeap(&rt->heap, p);
    if (s == NULL)
        return;
    if (s->inlineMarks)
        tryDeferToSpanScan(rt, w, s, p); /* Green Tea: the span queue */
    else
        greyobject(rt, w, s, p);
}

bool greyobject(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t p)
{
    uintptr_t idx = span_is_small(s) ? mspan_objIndex(s, p) : 0;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (atomic_or_u64(&s->gcmarkBits[idx / 64], bit) & bit)
        return false; /* already gray or black */
    setPageMark(&rt->heap, s);
    w->bytesMarked += s->elemsize;
    if (spanClass_noscan(s->spanclass)) {
        bits_set_atomic(s->gcscanBits, idx); /* nothing to scan: black at once */
        return true;
    }
    gcw_put(rt, w, s->startAddr + idx * s->elemsize);
    return true;
}

void gcmarknewobject(hs_runtime *rt, gcWork *w, mspan *s, uintptr_t obj)
{
    uintptr_t idx = span_is_small(s) ? mspan_objIndex(s, obj) : 0;
    if (s->inlineMarks) {
        gcmarknewobjectInline(s, idx);
    } else {
        bits_set_atomic(s->gcmarkBits, idx);
        bits_set_atomic(s->gcscanBits, idx);
    }
    setPageMark(&rt->heap, s);
    w->bytesMarked += s->elemsize;
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
        shade(rt, w, v);
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

/* Scan the object (or oblet) at b; returns the bytes scanned. */
static uintptr_t scanobject(hs_runtime *rt, gcWork *w, uintptr_t b)
{
    mspan *s = spanOfHeap(&rt->heap, b);
    if (s == NULL)
        hs_throw("scanobject: %#lx is not in the heap", (unsigned long)b);
    if (span_is_small(s)) {
        if (heapBitsInSpan(s->elemsize)) {
            scanHeapBits(rt, w, s, b);
        } else {
            const hs_type *typ = atomic_load_acq_ptr((void *const *)b);
            scanTyped(rt, w, typ, b + mallocHeaderSize, 0, s->elemsize - mallocHeaderSize);
        }
        bits_set_atomic(s->gcscanBits, mspan_objIndex(s, b));
        w->stats[spanClass_sizeclass(s->spanclass)].objs_single++;
        w->statsDirty = true;
        return s->elemsize;
    }
    /* A large object: scan one oblet; the head queues the others. */
    uintptr_t size = s->limit - s->startAddr, off = b - s->startAddr;
    if (off == 0) {
        for (uintptr_t o = maxObletBytes; o < size; o += maxObletBytes)
            gcw_put(rt, w, s->startAddr + o);
        bits_set_atomic(s->gcscanBits, 0);
    }
    uintptr_t end = off + maxObletBytes < size ? off + maxObletBytes : size;
    scanTyped(rt, w, s->largeType, s->startAddr, off, end);
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
    int64_t now = nanotime(&rt->sys);
    double elapsed = (double)(now - rt->gc.markStartTime);
    return (double)pp->fractionalNs + (double)(now - pp->fractionalStart) >=
           rt->gc.fractionalUtilizationGoal * elapsed;
}

/* Give assists the credit of background scan work. */
static void creditBgWork(hs_runtime *rt, uint64_t work)
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
        creditBgWork(rt, work);
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
    creditBgWork(rt, work);
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

static void assistWait(hs_runtime *rt)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&rt->gc.lock);
    pthread_cond_timedwait(&rt->gc.assistQueue, &rt->gc.lock, &ts);
    pthread_mutex_unlock(&rt->gc.lock);
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
    int64_t t0 = nanotime(&rt->sys);
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
            /* Nothing to scan: wait for workers' credit, as Go parks on the assist queue. */
            gcw_dispose(rt, &pp->gcw);
            assistWait(rt);
            stolen = stealBgCredit(rt, scanWork);
            assistCredit(rt, pp, bytesPerWork, (uint64_t)stolen);
        }
    }
    int64_t dt = nanotime(&rt->sys) - t0;
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
