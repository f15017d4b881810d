/*
 * mgcspanq.c — Green Tea's span work queues (Go 1.26: mgcmark_greenteagc.go
 * spanQueue, spanSPMC, tryStealSpan).
 *
 * Each gcWork (one per P, and the collector thread's own) has a span queue:
 *   - a private ring of 256 entries that only its owner touches, FIFO;
 *   - a chain of single-producer multi-consumer rings (1024 entries, each new
 *     one twice the last, up to 128 Ki) that its owner fills and anyone may
 *     steal from, oldest ring first.
 * put: into the private ring; every 64 puts, if the chain is empty and the
 * ring holds more than 8, move up to 16 of the oldest entries to the chain
 * (work for others to steal); when the ring is full, move half of it.  get:
 * the private ring; then the own chain ("steal from ourselves"); the caller
 * then flushes its write barrier buffer and steals from the others.  A thief
 * takes half of a ring (at most 128) into its own private ring, which must be
 * empty.  spanqMask tells thieves which queues may hold work: the owner sets
 * its bit when it publishes, anyone clears it when they find the queue empty.
 * The clear may race with a new put; the ragged barrier and stop-the-world
 * dispose every gcWork, which sets the bit of every queue with work again, so
 * mark termination never misses any.
 *
 * Memory: rings come from malloc while marking and stay on spmcAll; a ring the
 * chain's tail moved past is dead and freed at mark termination, world
 * stopped, when no thief can hold it.  Entries are read and written with
 * relaxed atomics: a thief may read a slot the producer is rewriting, and then
 * loses its CAS on head and reads again (as Go's sync.Pool dequeue).
 */
#include <stdlib.h>

#include "runtime/runtime2.h"

enum { spillPeriod = 64, spillMax = 16 };

/* ---- the mask of queues worth stealing from ---------------------------------------- */

void spanqMask_set(hs_runtime *rt, int id)
{
    uint64_t bit = (uint64_t)1 << (id % 64);
    if (!(atomic_load_relaxed_u64(&rt->gc.spanqMask[id / 64]) & bit))
        atomic_or_u64(&rt->gc.spanqMask[id / 64], bit);
}

static void spanqMask_clear(hs_runtime *rt, int id)
{
    uint64_t bit = (uint64_t)1 << (id % 64);
    if (atomic_load_relaxed_u64(&rt->gc.spanqMask[id / 64]) & bit)
        atomic_and_u64(&rt->gc.spanqMask[id / 64], ~bit);
}

static bool spanqMask_read(hs_runtime *rt, int id)
{
    return (atomic_load_u64(&rt->gc.spanqMask[id / 64]) >> (id % 64)) & 1;
}

bool spanqMask_any(hs_runtime *rt)
{
    for (int i = 0; i <= rt->nprocs / 64; i++)
        if (atomic_load_u64(&rt->gc.spanqMask[i]) != 0)
            return true;
    return false;
}

gcWork *gcWorkOf(hs_runtime *rt, int id)
{
    return id == rt->nprocs ? &rt->gc.ctlgcw : &rt->allp[id]->gcw;
}

/* The private ring's ends: written by the owner only, read by anyone
 * (spanq_len), so stored atomically. */
static inline void setHead(spanQueue *q, uint32_t v)
{
    atomic_store_relaxed_u32(&q->head, v);
}
static inline void setTail(spanQueue *q, uint32_t v)
{
    atomic_store_relaxed_u32(&q->tail, v);
}

/* ---- the SPMC rings --------------------------------------------------------------------- */

static spanSPMC *newSpanSPMC(hs_runtime *rt, uint32_t cap)
{
    spanSPMC *r = calloc(1, sizeof(*r));
    objptr *ring = r ? calloc(cap, sizeof(objptr)) : NULL;
    if (ring == NULL)
        hs_throw("span queue: out of memory for a ring of %u entries", cap);
    r->cap = cap;
    r->ring = ring;
    pthread_mutex_lock(&rt->gc.spmcLock);
    r->allnext = rt->gc.spmcAll;
    rt->gc.spmcAll = r;
    pthread_mutex_unlock(&rt->gc.spmcLock);
    return r;
}

static inline objptr *slot(spanSPMC *r, uint32_t i)
{
    return &r->ring[i & (r->cap - 1)];
}

static bool spmc_empty(spanSPMC *r)
{
    return atomic_load_u32(&r->head) == atomic_load_u32(&r->tail);
}

/* Move n entries from q's private ring to r, if they fit. */
static bool tryDrain(spanQueue *q, spanSPMC *r, uint32_t n)
{
    hs_assert(q->head + n <= q->tail);
    uint32_t h = atomic_load_u32(&r->head), t = atomic_load_relaxed_u32(&r->tail);
    if (t - h + n > r->cap)
        return false;
    for (uint32_t i = 0; i < n; i++)
        atomic_store_relaxed_uptr(slot(r, t + i), q->ring[(q->head + i) % spanQueueRing]);
    atomic_store_u32(&r->tail, t + n); /* publishes the entries */
    setHead(q, q->head + n);
    return true;
}

/* Publish the n oldest entries of the private ring to the chain. */
static void drain(hs_runtime *rt, spanQueue *q, uint32_t n)
{
    q->putsSinceDrain = 0;
    if (q->chainHead == NULL) {
        q->chainHead = newSpanSPMC(rt, spanSPMCFirstCap);
        atomic_store_rel_ptr((void **)&q->chainTail, q->chainHead);
    }
    if (tryDrain(q, q->chainHead, n))
        return;
    /* No room: a ring twice as big, so a deep queue soon stops growing. */
    uint32_t cap = q->chainHead->cap * 2;
    spanSPMC *r = newSpanSPMC(rt, cap < spanSPMCMaxCap ? cap : spanSPMCMaxCap);
    if (!tryDrain(q, r, n))
        hs_throw("span queue: a new ring has no room for %u entries", n);
    atomic_store_rel_ptr((void **)&q->chainHead->prev, r);
    q->chainHead = r;
}

static bool chainEmpty(const spanQueue *q)
{
    for (spanSPMC *r = atomic_load_acq_ptr((void *const *)&q->chainTail); r != NULL;
         r = atomic_load_acq_ptr((void *const *)&r->prev))
        if (!spmc_empty(r))
            return false;
    return true;
}

/* ---- the owner's side ----------------------------------------------------------------- */

bool spanq_put(hs_runtime *rt, spanQueue *q, objptr p)
{
    if (q->tail - q->head < spanQueueRing) {
        q->ring[q->tail % spanQueueRing] = p;
        setTail(q, q->tail + 1);
        if (++q->putsSinceDrain >= spillPeriod) {
            /* Now and then offer some work to others, if none is on offer. */
            q->putsSinceDrain = 0;
            uint32_t n = (q->tail - q->head) / 2;
            if (n > spillMax)
                n = spillMax;
            if (n > 4 && chainEmpty(q)) {
                drain(rt, q, n);
                return true;
            }
        }
        return false;
    }
    drain(rt, q, spanQueueRing / 2); /* full: publish the older half */
    q->ring[q->tail % spanQueueRing] = p;
    setTail(q, q->tail + 1);
    return true;
}

void spanq_flush(hs_runtime *rt, spanQueue *q)
{
    if (q->tail != q->head)
        drain(rt, q, q->tail - q->head);
}

bool spanq_empty(const spanQueue *q)
{
    return q->tail == q->head && chainEmpty(q);
}

objptr spanq_tryGetFast(spanQueue *q)
{
    if (q->tail == q->head)
        return 0;
    objptr p = q->ring[q->head % spanQueueRing];
    setHead(q, q->head + 1);
    return p;
}

/* Any thread.  Under spmcLock, so no ring is freed while we walk: rings are
 * freed only once dead, and a dead ring is no longer reachable from a chain's
 * tail. */
uint32_t spanq_len(hs_runtime *rt, const spanQueue *q, uint32_t *chain)
{
    uint32_t n = 0;
    pthread_mutex_lock(&rt->gc.spmcLock);
    for (spanSPMC *r = atomic_load_acq_ptr((void *const *)&q->chainTail); r != NULL;
         r = atomic_load_acq_ptr((void *const *)&r->prev)) {
        uint32_t h = atomic_load_u32(&r->head), t = atomic_load_u32(&r->tail);
        n += t - h <= r->cap ? t - h : 0;
    }
    pthread_mutex_unlock(&rt->gc.spmcLock);
    *chain = n;
    uint32_t h = atomic_load_relaxed_u32(&q->head), t = atomic_load_relaxed_u32(&q->tail);
    return t - h <= spanQueueRing ? t - h : 0;
}

/* ---- stealing ---------------------------------------------------------------------------- */

/* Take half of r (at most half a private ring) into q's empty private ring;
 * returns the oldest of them, or 0. */
static objptr refill(spanQueue *q, spanSPMC *r)
{
    hs_assert(q->tail == q->head);
    uint32_t n;
    for (;;) {
        uint32_t h = atomic_load_u32(&r->head), t = atomic_load_u32(&r->tail);
        n = t - h;
        n -= n / 2;
        if (n == 0)
            return 0;
        if (n > r->cap) /* h and t from different moments */
            continue;
        if (n > spanQueueRing / 2)
            n = spanQueueRing / 2;
        for (uint32_t i = 0; i < n; i++)
            q->ring[i] = atomic_load_relaxed_uptr(slot(r, h + i));
        if (atomic_cas_u32(&r->head, h, h + n))
            break;
    }
    setHead(q, 0);
    setTail(q, n);
    return spanq_tryGetFast(q);
}

/* Steal from q2's chain into q (q2 may be q). */
static objptr steal(spanQueue *q, spanQueue *q2)
{
    spanSPMC *r = atomic_load_acq_ptr((void *const *)&q2->chainTail);
    while (r != NULL) {
        /* Load next before trying r: if r is empty and already has a
         * successor, it can never be filled again and may leave the chain. */
        spanSPMC *r2 = atomic_load_acq_ptr((void *const *)&r->prev);
        objptr p = refill(q, r);
        if (p != 0 || r2 == NULL)
            return p;
        if (__atomic_compare_exchange_n(&q2->chainTail, &r, r2, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            atomic_store_u8(&r->dead, 1);
        r = r2;
    }
    return 0;
}

objptr gcw_tryGetSpan(hs_runtime *rt, gcWork *w)
{
    objptr p = spanq_tryGetFast(&w->spanq);
    if (p == 0)
        p = steal(&w->spanq, &w->spanq);
    if (p == 0)
        spanqMask_clear(rt, w->id); /* nobody else puts here: no work left */
    return p;
}

static uint32_t rand32(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 16);
}

objptr gcw_tryStealSpan(hs_runtime *rt, gcWork *w)
{
    int n = rt->nprocs + 1;
    if (w->rng == 0)
        w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);
    int start = (int)(rand32(&w->rng) % (uint32_t)n);
    for (int k = 0; k < n; k++) {
        int id = (start + k) % n;
        if (id == w->id || !spanqMask_read(rt, id))
            continue;
        objptr p = steal(&w->spanq, &gcWorkOf(rt, id)->spanq);
        if (p != 0) {
            uint32_t got = w->spanq.tail - w->spanq.head + 1;
            w->steals += got;
            atomic_store_relaxed_u64(&w->stealsTotal, w->stealsTotal + got);
            return p;
        }
        /* Racy, as in Go: a put may have just set it; dispose sets it again. */
        spanqMask_clear(rt, id);
    }
    return 0;
}

/* ---- memory ------------------------------------------------------------------------------ */

static void freeRings(hs_runtime *rt, bool all)
{
    pthread_mutex_lock(&rt->gc.spmcLock);
    spanSPMC **link = &rt->gc.spmcAll;
    while (*link != NULL) {
        spanSPMC *r = *link;
        if (all || atomic_load_u8(&r->dead)) {
            *link = r->allnext;
            free(r->ring);
            free(r);
        } else {
            link = &r->allnext;
        }
    }
    pthread_mutex_unlock(&rt->gc.spmcLock);
}

void freeDeadSpanSPMCs(hs_runtime *rt)
{
    freeRings(rt, false);
}

void spanq_freeAll(hs_runtime *rt)
{
    for (int id = 0; id <= rt->nprocs; id++) {
        spanQueue *q = &gcWorkOf(rt, id)->spanq;
        q->chainHead = q->chainTail = NULL;
    }
    freeRings(rt, true);
}
