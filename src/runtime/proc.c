/*
 * proc.c — Ps, goroutines, safe points and stopping the world (Go: proc.go).
 *
 * A P is the right to run Go code: its mcache, its work buffers, its
 * goroutines.  A thread takes a P with hs_p_acquire and gives it back with
 * hs_p_release (before blocking), like an M acquiring and handing off a P.
 * P status, under sched.lock:
 *
 *     Pidle     no thread runs it; the collector may own it for a moment
 *     Prunning  its thread runs mutator code (or a mark worker on its behalf)
 *     Pgcstop   stopped for stop-the-world
 *     Pgcowned  the collector is using an idle P (scanning its stacks,
 *               flushing its buffers); its thread waits to acquire it
 *
 * Safe points: the mutator calls hs_safepoint at loop back-edges and every
 * hs_malloc polls too.  The fast path reads one word (preempt); the reasons
 * in it are: the world is stopping, the collector wants this P's stacks
 * scanned, its buffers flushed, or it is a mark worker this cycle.
 *
 * Background workers: the background sweeper and the scavenger change the
 * heap too.  In Go they are goroutines, which run only on a P, so a stopped
 * world stops them.  Here they are threads without a P, and a thread can
 * take part in stop-the-world in one of two ways: run holding a P, or poll
 * a flag at its own safe points and park, acknowledging, before the
 * stopper proceeds.  They do the second.  The first does not fit this
 * runtime: a P here belongs to one mutator thread for as long as that
 * thread runs (Go's scheduler multiplexes goroutines on Ps; ours has none
 * to do it), so a worker waiting for a P would never run beside busy
 * mutators, or, taking turns with them, would make one P stand for two
 * threads in the views, in the mark workers' 25% of the Ps and in the
 * pacer.  The protocol, under sched.lock:
 *   - bg_acquire before a piece of work on the heap (a span to sweep, a
 *     run of pages to release): wait while the world is stopped or
 *     stopping, then count in (bgrunning);
 *   - bg_release after it, holding no runtime lock and no sweepLocker:
 *     count out, and if the world is stopping, say so (one less for the
 *     stopper to wait for);
 *   - bg_safepoint, for a worker that stays counted in across pieces:
 *     release and acquire again if the world is stopping.
 * The background workers count in for one piece at a time, so a stopper
 * never waits for one that is between pieces (yielding or sleeping, or
 * waiting for a CPU at its low priority), only for the piece under way.
 * A stopper waits for bgrunning workers besides the running Ps, all in one
 * stopwait, so when stopTheWorld returns nothing changes the heap but the
 * stopper.  A counted-out worker owns nothing anyone waits for (finishsweep
 * waits only for sweepers inside sweepone), so stopping cannot deadlock.
 *
 * Stop-the-world, called only by the collector's thread:
 *   1. set gcwaiting; flag every P; idle Ps go straight to Pgcstop; count
 *      the background workers at work;
 *   2. each running P parks at its next safe point (Pgcstop) and waits, and
 *      each background worker at work finishes its piece and counts out;
 *   3. the stopper spins (yielding its CPU) for a while, then sleeps until
 *      the last one to stop wakes it: the world is stopped, and the
 *      collector may touch every P's state;
 *   4. startTheWorld clears gcwaiting and wakes them; the pause is the time
 *      from 1 to 4, less the time an observer took while it lasted (captures
 *      in the phase hook, step holds: see stwObserved), recorded by the
 *      collector.  A pause is what the program would have had unwatched.
 * An observer woken inside a pause (the snapshotter's thread, asked for a
 * frame at a phase change) waits in hs_world_wait_start for step 4 before
 * it reads the heap, so it takes no lock the pause needs.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime2.h"

/* sched_yield()s a stopper makes before it sleeps (~1 us each on an idle CPU). */
enum { stwSpinYields = 100 };

int procs_init(hs_runtime *rt)
{
    schedt *sc = &rt->sched;
    pthread_mutex_init(&sc->lock, NULL);
    pthread_cond_init(&sc->stopped, NULL);
    pthread_cond_init(&sc->started, NULL);
    rt->allp = calloc((size_t)rt->nprocs, sizeof(hs_p *));
    if (rt->allp == NULL)
        return -1;
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = aligned_alloc(64, (sizeof(hs_p) + 63) & ~(size_t)63);
        if (pp == NULL)
            return -1;
        memset(pp, 0, sizeof(*pp));
        pp->id = i;
        pp->rt = rt;
        pp->status = Pidle;
        mcache_init(&pp->mcache, &rt->heap);
        rt->allp[i] = pp;
    }
    return 0;
}

void procs_free(hs_runtime *rt)
{
    if (rt->allp == NULL)
        return;
    for (int i = 0; i < rt->nprocs; i++) {
        if (rt->allp[i] == NULL)
            continue;
        while (rt->allp[i]->gs != NULL)
            hs_g_free(rt->allp[i]->gs);
        free(rt->allp[i]);
    }
    free(rt->allp);
    rt->allp = NULL;
    pthread_mutex_destroy(&rt->sched.lock);
    pthread_cond_destroy(&rt->sched.stopped);
    pthread_cond_destroy(&rt->sched.started);
}

int hs_runtime_nprocs(const hs_runtime *rt)
{
    return rt->nprocs;
}

hs_p *hs_runtime_p(hs_runtime *rt, int i)
{
    return i >= 0 && i < rt->nprocs ? rt->allp[i] : NULL;
}

void **hs_runtime_globals(hs_runtime *rt)
{
    return rt->globals;
}

void p_setPreempt(hs_p *pp, uint32_t why)
{
    atomic_or_u32(&pp->preempt, why);
}

void p_clearPreempt(hs_p *pp, uint32_t why)
{
    atomic_and_u32(&pp->preempt, ~why);
}

/* ---- acquiring and releasing Ps ------------------------------------------------ */

void hs_p_acquire(hs_p *pp)
{
    schedt *sc = &pp->rt->sched;
    pthread_mutex_lock(&sc->lock);
    while (pp->status != Pidle || atomic_load_u32(&sc->gcwaiting))
        pthread_cond_wait(&sc->started, &sc->lock);
    atomic_store_u32(&pp->status, Prunning);
    pp->held = true;
    pthread_mutex_unlock(&sc->lock);
}

/* Do what the collector asked of this P's stacks and buffers (not parking). */
void p_serviceRequests(hs_p *pp)
{
    uint32_t why = atomic_load_relaxed_u32(&pp->preempt);
    if (why & preemptScan) {
        p_clearPreempt(pp, preemptScan);
        scanstacks(pp->rt, pp, &pp->gcw);
    }
    if (why & preemptFlush) {
        /* Flush first, then say so: the ragged barrier reads the global
         * lists as soon as the flag is down, and must find this P's work
         * there (Go's forEachP waits for the function to return). */
        gcMarkDoneFlushP(pp->rt, pp);
        p_clearPreempt(pp, preemptFlush);
    }
}

/* A P nobody runs any more (sched.lock held): it counts as stopped if the
 * world is stopping, else it is idle and whoever waits for it may take it. */
static void p_putIdleLocked(schedt *sc, hs_p *pp)
{
    if (atomic_load_u32(&sc->gcwaiting)) {
        atomic_store_u32(&pp->status, Pgcstop);
        if (atomic_add_i32(&sc->stopwait, -1) == 0)
            pthread_cond_signal(&sc->stopped);
    } else {
        atomic_store_u32(&pp->status, Pidle);
    }
    pthread_cond_broadcast(&sc->started);
}

void hs_p_release(hs_p *pp)
{
    schedt *sc = &pp->rt->sched;
    p_serviceRequests(pp);
    pthread_mutex_lock(&sc->lock);
    pp->held = false;
    p_putIdleLocked(sc, pp);
    pthread_mutex_unlock(&sc->lock);
}

bool p_tryOwn(hs_runtime *rt, hs_p *pp)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    bool ok = pp->status == Pidle;
    if (ok)
        atomic_store_u32(&pp->status, Pgcowned);
    pthread_mutex_unlock(&sc->lock);
    return ok;
}

void p_unown(hs_runtime *rt, hs_p *pp)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    p_putIdleLocked(sc, pp);
    pthread_mutex_unlock(&sc->lock);
}

/* ---- stop the world ---------------------------------------------------------------- */

void stopTheWorld(hs_runtime *rt)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    sc->stwStart = nanotime(&rt->sys);
    sc->stwObserved = 0;
    atomic_store_u32(&sc->gcwaiting, 1);
    int32_t wait = rt->nprocs + sc->bgrunning;
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        if (pp->status == Pidle) {
            atomic_store_u32(&pp->status, Pgcstop);
            wait--;
        } else {
            p_setPreempt(pp, preemptSTW);
        }
    }
    atomic_store_i32(&sc->stopwait, wait);
    /* Spin first, giving the CPU away: a P that this thread pushed off its
     * CPU runs to its safe point at once, and the last to stop need not wake
     * us (a futex wake-up alone can cost more than the whole pause). */
    pthread_mutex_unlock(&sc->lock);
    for (int spin = 0; spin < stwSpinYields && atomic_load_i32(&sc->stopwait) > 0; spin++)
        sched_yield();
    pthread_mutex_lock(&sc->lock);
    while (sc->stopwait > 0)
        pthread_cond_wait(&sc->stopped, &sc->lock);
    pthread_mutex_unlock(&sc->lock);
}

int64_t startTheWorld(hs_runtime *rt)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        p_clearPreempt(pp, preemptSTW);
        atomic_store_u32(&pp->status, pp->held ? Prunning : Pidle);
    }
    atomic_store_u32(&sc->gcwaiting, 0);
    sc->startGen++;
    int64_t pause = nanotime(&rt->sys) - sc->stwStart - sc->stwObserved;
    pthread_cond_broadcast(&sc->started);
    pthread_mutex_unlock(&sc->lock);
    return pause;
}

void hs_world_wait_start(hs_runtime *rt, int64_t timeout_ns)
{
    schedt *sc = &rt->sched;
    if (!atomic_load_u32(&sc->gcwaiting))
        return;
    struct timespec until = realtimeAfter(timeout_ns);
    pthread_mutex_lock(&sc->lock);
    uint64_t gen = sc->startGen;
    while (atomic_load_u32(&sc->gcwaiting) && sc->startGen == gen &&
           pthread_cond_timedwait(&sc->started, &sc->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&sc->lock);
}

/* Park this P until the world starts again. */
static void p_parkForSTW(hs_p *pp)
{
    schedt *sc = &pp->rt->sched;
    uint32_t act = atomic_load_relaxed_u32(&pp->activity);
    pthread_mutex_lock(&sc->lock);
    /* Wait for the start that follows this stop (a generation, so a new stop
     * that begins before this thread wakes is not mistaken for the old one:
     * the loop then parks again and is counted again). */
    while (atomic_load_u32(&sc->gcwaiting) && pp->status == Prunning) {
        atomic_store_u32(&pp->status, Pgcstop);
        if (atomic_add_i32(&sc->stopwait, -1) == 0)
            pthread_cond_signal(&sc->stopped);
        uint64_t gen = sc->startGen;
        while (sc->startGen == gen)
            pthread_cond_wait(&sc->started, &sc->lock);
    }
    pthread_mutex_unlock(&sc->lock);
    atomic_store_relaxed_u32(&pp->activity, act);
}

/* ---- background workers (see the top of the file) ------------------------------ */

void bg_acquire(hs_runtime *rt)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    while (atomic_load_u32(&sc->gcwaiting))
        pthread_cond_wait(&sc->started, &sc->lock);
    sc->bgrunning++;
    pthread_mutex_unlock(&sc->lock);
}

void bg_release(hs_runtime *rt)
{
    schedt *sc = &rt->sched;
    pthread_mutex_lock(&sc->lock);
    sc->bgrunning--;
    /* Counted in when the world began to stop (no worker comes in while
     * gcwaiting is up): one less to wait for. */
    if (atomic_load_u32(&sc->gcwaiting) && atomic_add_i32(&sc->stopwait, -1) == 0)
        pthread_cond_signal(&sc->stopped);
    pthread_mutex_unlock(&sc->lock);
}

void bg_safepoint(hs_runtime *rt)
{
    if (!atomic_load_relaxed_u32(&rt->sched.gcwaiting))
        return;
    bg_release(rt);
    bg_acquire(rt);
}

/* This P's allocation asked for a cycle: wait here until the collector stops
 * the world for it, as Go's allocating goroutine runs gcStart itself, so a
 * busy mutator cannot outrun the start of the cycle however late the
 * collector's thread is scheduled. */
static void p_waitGCStart(hs_p *pp)
{
    hs_runtime *rt = pp->rt;
    gcstate *gc = &rt->gc;
    p_clearPreempt(pp, preemptGCStart);
    if (!atomic_load_relaxed_u8((uint8_t *)&gc->started)) {
        gcStartInline(rt, pp);
        return;
    }
    uint32_t cycle = atomic_load_u32(&gc->cycle);
    while (!atomic_load_u32(&rt->sched.gcwaiting) && atomic_load_u32(&gc->cycle) == cycle) {
        pthread_mutex_lock(&gc->lock);
        bool waiting = gc->requested && !gc->stop;
        pthread_mutex_unlock(&gc->lock);
        if (!waiting)
            break; /* the cycle began (or the runtime is shutting down) */
        sched_yield();
    }
}

/* ---- safe points ------------------------------------------------------------------- */

void hs_safepoint(hs_p *pp)
{
    uint32_t why = atomic_load_relaxed_u32(&pp->preempt);
    if (why == 0)
        return;
    hs_runtime *rt = pp->rt;
    p_serviceRequests(pp);
    if (why & preemptGCStart)
        p_waitGCStart(pp);
    if (why & preemptWork)
        gcMarkWorker(rt, pp);
    if (atomic_load_relaxed_u32(&pp->preempt) & preemptSTW)
        p_parkForSTW(pp);
}

/* ---- goroutines -------------------------------------------------------------------- */

hs_g *hs_g_new(hs_p *pp, size_t nslots)
{
    hs_g *g = calloc(1, sizeof(*g));
    void **slots = calloc(nslots ? nslots : 1, sizeof(void *));
    if (g == NULL || slots == NULL) {
        free(g);
        free(slots);
        return NULL;
    }
    g->p = pp;
    g->nslots = nslots;
    g->slots = slots;
    g->next = pp->gs;
    pp->gs = g;
    return g;
}

void hs_g_free(hs_g *g)
{
    hs_p *pp = g->p;
    hs_g **link = &pp->gs;
    while (*link != g)
        link = &(*link)->next;
    *link = g->next;
    free(g->slots);
    free(g);
}

void **hs_g_slots(hs_g *g)
{
    return g->slots;
}

size_t hs_g_nslots(const hs_g *g)
{
    return g->nslots;
}
