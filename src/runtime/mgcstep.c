/*
 * mgcstep.c — what heapscope adds to Go's collector so a cycle can be watched:
 * the event ring and the step controller.
 *
 * Events: every phase change, stop-the-world pause and cycle start goes into a
 * ring of 1024 entries, written only by the collector's thread (one writer) and
 * read by anyone with a cursor (hs_gc_events), so a reader that polls now and
 * then misses nothing short of a full ring, and says what it lost.  The
 * on_phase hook runs on the collector's thread at every phase change and
 * before every hold, with the world stopped where it is, for exact pictures.
 *
 * Step controller: with stepping on, the collector holds, with the world
 * stopped, at every phase boundary and after every step of N objects during
 * mark, until hs_gc_step grants the next step (a phase, N objects, or the rest
 * of the cycle).  A step asked for while the collector is between holds is
 * queued and granted at the next hold, so no key press is lost however fast
 * they come.  State under gc.lock; the collector waits on gc.wake, readers
 * on gc.done.  Go has neither: both exist for the visualizer.
 */
#include <string.h>

#include "runtime/runtime2.h"

void gcEventLog(hs_runtime *rt, uint32_t kind, int64_t a, int64_t b)
{
    gcstate *gc = &rt->gc;
    uint64_t head = atomic_load_relaxed_u64(&gc->eventHead);
    hs_gc_event *e = &gc->events[head % gcEventRing];
    atomic_store_relaxed_i64(&e->t_ns, nanotime(&rt->sys) - rt->startTime);
    atomic_store_relaxed_u32(&e->kind, kind);
    atomic_store_relaxed_i64(&e->a, a);
    atomic_store_relaxed_i64(&e->b, b);
    atomic_store_rel_u64(&gc->eventHead, head + 1);
}

size_t hs_gc_events(hs_runtime *rt, uint64_t *cursor, hs_gc_event *out, size_t n, uint64_t *lost)
{
    gcstate *gc = &rt->gc;
    uint64_t head = atomic_load_acq_u64(&gc->eventHead), from = *cursor;
    if (head - from > gcEventRing) { /* the ring lapped this reader */
        if (lost != NULL)
            *lost += head - gcEventRing - from;
        from = head - gcEventRing;
    }
    size_t k = 0;
    for (; from + k < head && k < n; k++) {
        const hs_gc_event *e = &gc->events[(from + k) % gcEventRing];
        out[k] = (hs_gc_event){atomic_load_relaxed_i64(&e->t_ns), atomic_load_relaxed_u32(&e->kind),
                               atomic_load_relaxed_i64(&e->a), atomic_load_relaxed_i64(&e->b)};
    }
    /* Entries the writer overwrote while they were copied are dropped. */
    uint64_t after = atomic_load_acq_u64(&gc->eventHead);
    if (after > gcEventRing && after - gcEventRing > from) {
        uint64_t bad = after - gcEventRing - from;
        if (bad >= k) {
            if (lost != NULL)
                *lost += k;
            *cursor = from + k;
            return 0;
        }
        memmove(out, out + bad, (k - bad) * sizeof(*out));
        if (lost != NULL)
            *lost += bad;
        *cursor = from + k;
        return k - bad;
    }
    *cursor = from + k;
    return k;
}

/* Time from t0 to now, counted as watching if the world is stopped. */
static void gcObserved(hs_runtime *rt, int64_t t0)
{
    if (atomic_load_u32(&rt->gc.worldStopped))
        rt->sched.stwObserved += nanotime(&rt->sys) - t0;
}

void gcNotifyPhase(hs_runtime *rt, hs_gcphase ph)
{
    if (rt->cfg.on_phase == NULL)
        return;
    int64_t t0 = nanotime(&rt->sys);
    rt->cfg.on_phase(rt->cfg.on_phase_ctx, (int)ph, atomic_load_u32(&rt->gc.worldStopped) != 0);
    gcObserved(rt, t0);
}

void gcSetPhase(hs_runtime *rt, hs_gcphase ph)
{
    atomic_store_u32(&rt->gc.phase, ph);
    gcEventLog(rt, HS_GC_EV_PHASE, ph, atomic_load_u32(&rt->gc.cycle));
    gcNotifyPhase(rt, ph);
}

/* ---- the step controller ------------------------------------------------------------------ */

/* Hold at phase ph (world stopped) if stepping; returns the step granted
 * (HS_STEP_PHASE when not stepping). */
int gcHold(hs_runtime *rt, hs_gcphase ph)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    if (!gc->stepping || (gc->toCycleEnd && ph != HS_PHASE_OFF)) {
        pthread_mutex_unlock(&gc->lock);
        return HS_STEP_PHASE;
    }
    pthread_mutex_unlock(&gc->lock);
    gcNotifyPhase(rt, ph); /* the exact picture of what is about to be held */
    int64_t t0 = nanotime(&rt->sys);
    pthread_mutex_lock(&gc->lock);
    gc->toCycleEnd = false;
    gc->held = true;
    gc->holdPhase = ph;
    gc->stepKind = -1;
    if (gc->stepQueued > 0) { /* asked for while we were on the way here */
        gc->stepKind = gc->stepQueue[0].kind;
        gc->stepObjects = gc->stepQueue[0].n;
        gc->stepQueued--;
        memmove(gc->stepQueue, gc->stepQueue + 1, gc->stepQueued * sizeof(gc->stepQueue[0]));
    }
    pthread_cond_broadcast(&gc->done);
    while (gc->stepping && gc->stepKind < 0 && !gc->stop)
        pthread_cond_wait(&gc->wake, &gc->lock);
    int kind = gc->stepKind < 0 ? HS_STEP_PHASE : gc->stepKind;
    gc->held = false;
    gc->stepKind = -1;
    if (kind == HS_STEP_CYCLE)
        gc->toCycleEnd = true;
    pthread_cond_broadcast(&gc->done);
    pthread_mutex_unlock(&gc->lock);
    gcObserved(rt, t0);
    return kind;
}

void hs_gc_set_stepping(hs_runtime *rt, bool on)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    gc->stepping = on;
    gc->toCycleEnd = false;
    gc->stepQueued = 0;
    pthread_cond_broadcast(&gc->wake);
    pthread_cond_broadcast(&gc->done);
    pthread_mutex_unlock(&gc->lock);
}

void hs_gc_step(hs_runtime *rt, hs_step_kind kind, uint64_t n)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    n = n ? n : 1;
    uint32_t q = gc->stepQueued;
    if (gc->held && gc->stepKind < 0) {
        gc->stepKind = (int)kind;
        gc->stepObjects = n;
        gc->held = false; /* granted: a waiter now waits for the next hold */
    } else if (gc->stepping && atomic_load_u32(&gc->phase) == HS_PHASE_OFF && !gc->held &&
               !gc->requested) {
        gc->requested = gc->forced = true; /* start a cycle: it holds at its first boundary */
    } else if (gc->stepping && kind == HS_STEP_OBJECTS && q > 0 &&
               gc->stepQueue[q - 1].kind == HS_STEP_OBJECTS) {
        gc->stepQueue[q - 1].n += n;
    } else if (gc->stepping && q < sizeof(gc->stepQueue) / sizeof(gc->stepQueue[0])) {
        gc->stepQueue[q].kind = (int)kind;
        gc->stepQueue[q].n = n;
        gc->stepQueued = q + 1;
    }
    pthread_cond_broadcast(&gc->wake);
    pthread_mutex_unlock(&gc->lock);
}

hs_step_state hs_gc_step_state(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    hs_step_state st = {
        .enabled = gc->stepping,
        .held = gc->held,
        .phase = gc->held ? (hs_gcphase)gc->holdPhase : hs_gc_phase(rt),
        .cycle = atomic_load_u32(&gc->cycle),
        .objects_scanned = atomic_load_u64(&gc->objectsScanned),
        .spans_scanned = atomic_load_u64(&gc->scanCycleTotal.spans_one) +
                         atomic_load_u64(&gc->scanCycleTotal.spans_sparse) +
                         atomic_load_u64(&gc->scanCycleTotal.spans_dense),
        .paused = gc->paused,
        .pause_seq = gc->pauseSeq,
    };
    pthread_mutex_unlock(&gc->lock);
    return st;
}

bool hs_gc_wait_held(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    while (gc->stepping && !gc->held && !gc->stop)
        pthread_cond_wait(&gc->done, &gc->lock);
    bool held = gc->held;
    pthread_mutex_unlock(&gc->lock);
    return held;
}

