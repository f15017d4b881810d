/*
 * mgc.c — the garbage collection cycle, its controller thread, and the step
 * controller (Go: mgc.go).
 *
 * One cycle, as Go runs it:
 *   1. Sweep termination (world stopped): finish sweeping the last cycle, reset
 *      the mark state, pick the mark workers, queue the root jobs, turn the
 *      write barrier on, grey the Ps' tiny blocks, allow blackening.
 *   2. Mark (world running): dedicated and fractional workers on the Ps,
 *      assists in allocating goroutines, the collector thread for idle Ps.
 *      When no work is visible, a ragged barrier flushes every P's buffers;
 *      if still none, the world stops.
 *   3. Mark termination (world stopped): flush once more — any work found
 *      restarts mark — then blackening and the write barrier off, the
 *      checkmark verifier (--verify), the pacer's next goal and trigger, the
 *      mcaches flushed and sweepgen += 2.
 *   4. Sweep (world running): the background sweeper, lazy sweeping in
 *      mcentral and proportional sweeping in allocation, until all is swept;
 *      then the phase is off.
 *
 * The collector thread runs cycles when the heap passes the trigger
 * (gcTriggerTest), on request (hs_gc), and every 2 minutes (forcegcperiod).
 * It alone stops the world, also for the UI's pause.  Without it (background
 * off) cycles run inline on the thread that asks: hs_gc's caller, or the P
 * whose allocation passed the trigger (gcStartInline).
 *
 * Step controller (mgcstep.c): with stepping on, the collector holds, with the
 * world stopped, at every phase boundary and after every step of N objects
 * scanned during mark.  Object steps mark with the world stopped, by the
 * collector thread alone, so each held picture is exact.
 *
 * Locking: gc.lock guards requests, the step state and the history; phase,
 * writeBarrier and blackenEnabled change only with the world stopped.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime2.h"

#define forcegcperiod (120LL * 1000000000LL)

static const char *const phaseNames[] = {"off", "sweep termination", "mark", "mark termination",
                                         "sweep"};

const char *hs_gcphase_name(hs_gcphase ph)
{
    return (unsigned)ph < 5 ? phaseNames[ph] : "?";
}

hs_gcphase hs_gc_phase(const hs_runtime *rt)
{
    return (hs_gcphase)atomic_load_u32((uint32_t *)&rt->gc.phase);
}

void gc_init(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_init(&gc->lock, NULL);
    pthread_cond_init(&gc->wake, NULL);
    pthread_cond_init(&gc->done, NULL);
    pthread_cond_init(&gc->assistQueue, NULL);
    pthread_mutex_init(&gc->inlineCycle, NULL);
    gc->stepKind = -1;
    gc->lastGC = nanotime(&rt->sys);
    pthread_mutex_init(&gc->spmcLock, NULL);
    for (int i = 0; i < rt->nprocs; i++)
        rt->allp[i]->gcw.id = i;
    gc->ctlgcw.id = rt->nprocs;
    gcControllerInit(rt);
}

void gc_destroy(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    gcw_dispose(rt, &gc->ctlgcw);
    for (int i = 0; i < rt->nprocs; i++)
        gcw_dispose(rt, &rt->allp[i]->gcw);
    gcw_freeAll(rt);
    spanq_freeAll(rt);
    pthread_mutex_destroy(&gc->spmcLock);
    free(gc->pauses);
    pthread_mutex_destroy(&gc->lock);
    pthread_cond_destroy(&gc->wake);
    pthread_cond_destroy(&gc->done);
    pthread_cond_destroy(&gc->assistQueue);
    pthread_mutex_destroy(&gc->inlineCycle);
}

/* ---- the world, as the collector stops it ----------------------------------------------- */

static void gcStopWorld(hs_runtime *rt)
{
    stopTheWorld(rt);
    atomic_store_u32(&rt->gc.worldStopped, 1);
}

void gcPauseRecord(hs_runtime *rt, int64_t ns)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    if (gc->npauses == gc->cappauses) {
        size_t cap = gc->cappauses ? gc->cappauses * 2 : 256;
        int64_t *p = realloc(gc->pauses, cap * sizeof(*p));
        if (p != NULL) {
            gc->pauses = p;
            gc->cappauses = cap;
        }
    }
    if (gc->npauses < gc->cappauses)
        gc->pauses[gc->npauses++] = ns;
    gc->pauseTotalNs += ns;
    if (ns > gc->pauseMaxNs)
        gc->pauseMaxNs = ns;
    gc->gcCpuNs += ns * rt->nprocs;
    pthread_mutex_unlock(&gc->lock);
}

static int64_t gcStartWorld(hs_runtime *rt)
{
    atomic_store_u32(&rt->gc.worldStopped, 0);
    int64_t pause = startTheWorld(rt);
    gcPauseRecord(rt, pause);
    gcEventLog(rt, HS_GC_EV_PAUSE, pause, 0);
    return pause;
}

/* The UI's pause: stop the world until it is lifted.  Once stopTheWorld
 * returns, no P and no background worker moves (proc.c), so the heap is
 * still until the pause ends: a capture meanwhile is exact. */
static void gcServeUserPause(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    if (!gc->userPause || gc->held) {
        pthread_mutex_unlock(&gc->lock);
        return;
    }
    pthread_mutex_unlock(&gc->lock);
    bool already = atomic_load_u32(&gc->worldStopped);
    if (!already)
        stopTheWorld(rt);
    int64_t t0 = nanotime(&rt->sys);
    pthread_mutex_lock(&gc->lock);
    gc->paused = true;
    gc->pauseSeq++;
    pthread_cond_broadcast(&gc->done);
    while (gc->userPause && !gc->stop)
        pthread_cond_wait(&gc->wake, &gc->lock);
    gc->paused = false;
    pthread_cond_broadcast(&gc->done);
    pthread_mutex_unlock(&gc->lock);
    if (already) /* inside a collector's pause: the user's time is not the collector's */
        rt->sched.stwObserved += nanotime(&rt->sys) - t0;
    else
        startTheWorld(rt);
}

/* ---- 1. sweep termination ------------------------------------------------------------------ */

static void gcResetMarkState(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    mheap *h = &rt->heap;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->nallArenas; i++)
        memset(mheap_arenaOf(h, h->allArenas[i])->pageMarks, 0, pagesPerArena / 8);
    pthread_mutex_unlock(&h->lock);
    atomic_store_u64(&gc->bytesMarked, 0);
    atomic_store_u64(&gc->heapScanWork, 0);
    atomic_store_u64(&gc->objectsScanned, 0);
    uint64_t *scan = (uint64_t *)gc->scanCycle; /* world stopped: nobody flushes, readers may read */
    for (size_t i = 0; i < numSizeClasses * (sizeof(hs_scan_stats) / sizeof(uint64_t)); i++)
        atomic_store_relaxed_u64(&scan[i], 0);
    scan = (uint64_t *)&gc->scanCycleTotal;
    for (size_t i = 0; i < sizeof(gc->scanCycleTotal) / sizeof(uint64_t); i++)
        atomic_store_relaxed_u64(&scan[i], 0);
    atomic_store_i64(&gc->bgScanCredit, 0);
    atomic_store_i64(&gc->idleNs, 0);
    atomic_store_i64(&gc->assistNs, 0);
    atomic_store_i64(&gc->dedicatedNs, 0);
    atomic_store_i64(&gc->fractionalNs, 0);
}

/* Scannable root bytes: every goroutine's stack slots and the globals. */
static void gcRootSizes(hs_runtime *rt)
{
    uint64_t stacks = 0;
    for (int i = 0; i < rt->nprocs; i++)
        for (hs_g *g = rt->allp[i]->gs; g != NULL; g = g->next)
            stacks += g->nslots * sizeof(void *);
    atomic_store_relaxed_u64(&rt->gc.stacksScan, stacks);
    atomic_store_relaxed_u64(&rt->gc.globalsScan, rt->cfg.nglobals * sizeof(void *));
}

/* World stopped: everything that makes mark begin. */
static void gcSweepTermination(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    finishsweep(rt);
    gcResetMarkState(rt);
    gcRootSizes(rt);
    gcControllerStartCycle(rt);
    gcMarkRootPrepare(rt);
    atomic_store_u32(&gc->writeBarrier, 1);
    gcAllocBlackCached(rt, true);
    gcSetPhase(rt, HS_PHASE_MARK);
    gcMarkTinyAllocs(rt);
    gc->markStartTime = nanotime(&rt->sys);
    atomic_store_u32(&gc->blackenEnabled, 1);
}

/* ---- 2. mark --------------------------------------------------------------------------------- */

/* With the world stopped: flush every P's buffers, scan stacks still owed. */
static void gcFlushAllStopped(hs_runtime *rt)
{
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        p_clearPreempt(pp, preemptFlush | preemptScan);
        scanstacks(rt, pp, &pp->gcw);
        wbBufFlush(rt, pp);
        gcw_dispose(rt, &pp->gcw);
    }
    gcw_dispose(rt, &rt->gc.ctlgcw);
}

static bool anyIdleP(hs_runtime *rt)
{
    for (int i = 0; i < rt->nprocs; i++)
        if (atomic_load_u32(&rt->allp[i]->status) == Pidle)
            return true;
    return false;
}

/* Owe-nothing check for idle Ps asked to scan their stacks. */
static void gcScanIdleStacks(hs_runtime *rt)
{
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        if ((atomic_load_u32(&pp->preempt) & preemptScan) && p_tryOwn(rt, pp)) {
            p_clearPreempt(pp, preemptScan);
            scanstacks(rt, pp, &rt->gc.ctlgcw);
            p_unown(rt, pp);
        }
    }
}

/* Nothing for the collector to do but wait: until an assist finds no work
 * (it wakes gc.wake: mark may be done, or its P is idle), or 500 us. */
static void gcWaitMarkProgress(hs_runtime *rt)
{
    struct timespec ts = realtimeAfter(500000);
    pthread_mutex_lock(&rt->gc.lock);
    if (!rt->gc.stop && !rt->gc.userPause)
        pthread_cond_timedwait(&rt->gc.wake, &rt->gc.lock, &ts);
    pthread_mutex_unlock(&rt->gc.lock);
}

/* The collector thread's share of concurrent mark: idle work, then the
 * termination check.  Returns with the world stopped and no work left. */
static void gcConcurrentMark(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    for (;;) {
        gcServeUserPause(rt);
        gcScanIdleStacks(rt);
        if (anyIdleP(rt) && (gcMarkWorkAvailable(rt) || !gcw_empty(&gc->ctlgcw))) {
            int64_t t0 = nanotime(&rt->sys);
            uint64_t work = 0;
            gcDrain(rt, NULL, &gc->ctlgcw, 4096, NULL, &work);
            gcFlushBgCredit(rt, work);
            atomic_add_i64(&gc->idleNs, nanotime(&rt->sys) - t0);
            continue;
        }
        if (gcMarkWorkAvailable(rt) || atomic_load_u32(&gc->nworking) != 0 ||
            atomic_load_u32(&gc->stackRootsLeft) != 0 || gcMarkDoneFlush(rt)) {
            gcWaitMarkProgress(rt);
            continue;
        }
        gcStopWorld(rt);
        gcFlushAllStopped(rt);
        if (!gcMarkWorkAvailable(rt))
            return;
        gcStartWorld(rt); /* work appeared: mark restarts */
    }
}

/* Object steps, world stopped: the collector marks n objects at a time. */
static bool gcStepObjects(hs_runtime *rt, uint64_t n)
{
    gcstate *gc = &rt->gc;
    gcFlushAllStopped(rt);
    uint64_t work = 0;
    uint64_t done = gcDrain(rt, NULL, &gc->ctlgcw, n, NULL, &work);
    atomic_add_u64(&gc->objectsScanned, gc->ctlgcw.objectsScanned);
    gc->ctlgcw.objectsScanned = 0;
    gcw_flushScanStats(rt, &gc->ctlgcw); /* the held picture counts its span scans */
    return done < n && !gcMarkWorkAvailable(rt) && gcw_empty(&gc->ctlgcw);
}

/* From sweep termination (world stopped) to the end of mark (world stopped). */
static int64_t gcMarkPhase(hs_runtime *rt, int64_t *stw1)
{
    int kind = gcHold(rt, HS_PHASE_MARK);
    bool complete = false;
    while (kind == HS_STEP_OBJECTS && !complete) {
        complete = gcStepObjects(rt, rt->gc.stepObjects);
        gcNotifyPhase(rt, HS_PHASE_MARK); /* a new exact picture of mark */
        if (!complete)
            kind = gcHold(rt, HS_PHASE_MARK);
    }
    int64_t t0 = nanotime(&rt->sys);
    if (!complete) {
        *stw1 = gcStartWorld(rt);
        t0 = nanotime(&rt->sys);
        gcConcurrentMark(rt);
    }
    return nanotime(&rt->sys) - t0;
}

/* ---- 3. mark termination ------------------------------------------------------------------ */

/* Blackening off: assists waiting for credit will find none to wait for.
 * They are woken once the world runs again (gcWakeAllAssists): woken now,
 * each would run at once and take the locks the pause needs, where Go's
 * woken goroutines only wait in a run queue until the world starts. */
static void gcDisableWorkers(hs_runtime *rt)
{
    atomic_store_u32(&rt->gc.blackenEnabled, 0);
    for (int i = 0; i < rt->nprocs; i++) {
        p_clearPreempt(rt->allp[i], preemptWork);
        rt->allp[i]->workerMode = workerNone;
    }
}

static void gcWakeAllAssists(hs_runtime *rt)
{
    pthread_mutex_lock(&rt->gc.lock);
    pthread_cond_broadcast(&rt->gc.assistQueue);
    pthread_mutex_unlock(&rt->gc.lock);
}

static void gcMarkTermination(hs_runtime *rt, int64_t now)
{
    gcstate *gc = &rt->gc;
    gcDisableWorkers(rt);
    uint64_t work = 0;
    gcDrain(rt, NULL, &gc->ctlgcw, 0, NULL, &work); /* normally nothing is left */
    gcFlushAllStopped(rt);
    gcAllocBlackCached(rt, false);
    if (rt->cfg.verify && !gcCheckmark(rt)) {
        pthread_mutex_lock(&gc->lock);
        gc->verifyFailed = true;
        pthread_mutex_unlock(&gc->lock);
    }
    atomic_store_u32(&gc->writeBarrier, 0);
    freeDeadSpanSPMCs(rt); /* every span queue is empty, no thief is running */
    pthread_mutex_lock(&gc->lock); /* hs_set_gogc commits under it too */
    memcpy(gc->scanLast, gc->scanCycle, sizeof(gc->scanLast));
    uint64_t *tot = (uint64_t *)&gc->scanTotal;
    const uint64_t *cyc = (const uint64_t *)&gc->scanCycleTotal;
    for (size_t f = 0; f < sizeof(hs_scan_stats) / sizeof(uint64_t); f++)
        tot[f] += cyc[f];
    gcControllerEndCycle(rt, now);
    gc->heapMarked = atomic_load_u64(&gc->bytesMarked);
    gc->lastHeapScan = atomic_load_u64(&gc->heapScanWork);
    atomic_store_u64(&rt->heap.heapLive, gc->heapMarked);
    gcControllerCommit(rt);
    pthread_mutex_unlock(&gc->lock);
    gcPrepareSweepCycle(rt);
    gcPaceSweeper(rt, atomic_load_u64(&gc->trigger));
    gcSetPhase(rt, HS_PHASE_SWEEP);
    atomic_store_i64(&gc->lastGC, nanotime(&rt->sys));
}

/* ---- one cycle ----------------------------------------------------------------------------- */

static void gcFinishCycle(hs_runtime *rt, hs_gc_cycle *c)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    c->assist_ns = atomic_load_i64(&gc->assistNs);
    c->dedicated_ns = atomic_load_i64(&gc->dedicatedNs);
    c->fractional_ns = atomic_load_i64(&gc->fractionalNs);
    c->idle_ns = atomic_load_i64(&gc->idleNs);
    gc->totAssistNs += c->assist_ns;
    gc->totDedicatedNs += c->dedicated_ns;
    gc->totFractionalNs += c->fractional_ns;
    gc->totIdleNs += c->idle_ns;
    gc->gcCpuNs += c->assist_ns + c->dedicated_ns + c->fractional_ns + c->idle_ns;
    gc->forcedCycles += c->forced;
    int64_t elapsed = nanotime(&rt->sys) - rt->startTime;
    c->gc_cpu_fraction = elapsed > 0 ? (double)gc->gcCpuNs / ((double)elapsed * rt->nprocs) : 0;
    atomic_add_u32(&gc->completed, 1);
    pthread_cond_broadcast(&gc->done);
    pthread_mutex_unlock(&gc->lock);
    if (rt->cfg.on_cycle != NULL)
        rt->cfg.on_cycle(rt->cfg.on_cycle_ctx, c);
}

void gcRunCycle(hs_runtime *rt, bool forced)
{
    gcstate *gc = &rt->gc;
    hs_gc_cycle c = {.forced = forced, .procs = rt->nprocs};
    while (sweepone(rt) != UINTPTR_MAX) /* finish the last sweep before stopping anyone */
        ;
    int64_t t0 = nanotime(&rt->sys);
    c.start_ns = t0 - rt->startTime;
    c.heap_start = atomic_load_u64(&rt->heap.heapLive);
    c.heap_goal = atomic_load_u64(&gc->heapGoal); /* the goal this cycle runs against */
    gcStopWorld(rt);
    /* The cycle is the new one from its first phase on: sweep termination is
     * cycle N's, as Go's gctrace counts it.  It answers every request so far,
     * in the same hold of the lock (hs_gc waits for the cycle after the one
     * it sees). */
    pthread_mutex_lock(&gc->lock);
    gc->requested = gc->forced = false;
    atomic_add_u32(&gc->cycle, 1);
    pthread_mutex_unlock(&gc->lock);
    gcEventLog(rt, HS_GC_EV_START, forced, atomic_load_u32(&gc->cycle));
    gcSetPhase(rt, HS_PHASE_SWEEP_TERMINATION);
    gcHold(rt, HS_PHASE_SWEEP_TERMINATION);
    gcSweepTermination(rt);
    c.n = atomic_load_u32(&gc->cycle);
    c.mark_ns = gcMarkPhase(rt, &c.stw1_ns);
    int64_t t2 = nanotime(&rt->sys);
    gcSetPhase(rt, HS_PHASE_MARK_TERMINATION);
    gcHold(rt, HS_PHASE_MARK_TERMINATION);
    c.heap_end = atomic_load_u64(&rt->heap.heapLive);
    gcMarkTermination(rt, t2);
    c.heap_marked = gc->heapMarked;
    c.gcmode = rt->cfg.gcmode;
    pthread_mutex_lock(&gc->lock);
    c.scan = gc->scanCycleTotal;
    memcpy(c.scan_by_class, gc->scanLast, sizeof(c.scan_by_class));
    pthread_mutex_unlock(&gc->lock);
    c.stacks = gc->stacksScan;
    c.globals = gc->globalsScan;
    gcHold(rt, HS_PHASE_SWEEP);
    c.stw2_ns = gcStartWorld(rt);
    gcWakeAllAssists(rt);
    sweep_wake(rt);
    scav_wake(rt);
    if (c.stw1_ns == 0) /* the whole mark ran with the world stopped (object steps) */
        c.stw1_ns = c.stw2_ns;
    gcFinishCycle(rt, &c);
}

/* ---- 4. sweep, and the controller thread ------------------------------------------------- */

/* In the sweep phase: once everything is swept the phase is off (held there,
 * world stopped, when stepping).  When stepping, the collector sweeps what
 * is left itself: the user asked for the next phase, and the background
 * sweeper, at a lower priority, may get little CPU on a busy machine. */
static void gcSweepDone(hs_runtime *rt)
{
    if (atomic_load_u32(&rt->gc.phase) != HS_PHASE_SWEEP)
        return;
    pthread_mutex_lock(&rt->gc.lock);
    bool stepping = rt->gc.stepping;
    pthread_mutex_unlock(&rt->gc.lock);
    if (stepping)
        while (sweepone(rt) != UINTPTR_MAX)
            ;
    if (!isSweepDone(rt))
        return;
    if (stepping) {
        gcStopWorld(rt);
        gcSetPhase(rt, HS_PHASE_OFF);
        gcHold(rt, HS_PHASE_OFF);
        gcStartWorld(rt);
    } else {
        gcSetPhase(rt, HS_PHASE_OFF);
    }
}

/* Wait for something to do; returns true (and whether forced) for a cycle. */
static bool gcWaitWork(hs_runtime *rt, bool *forced)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    if (!gc->requested && !gc->userPause && !gc->stop) {
        struct timespec ts = realtimeAfter(1000000); /* sweep completion and forcegc are polled */
        pthread_cond_timedwait(&gc->wake, &gc->lock, &ts);
    }
    /* The request stays up until the cycle has begun (gcRunCycle, world stopped), so
     * an allocating P waiting for its cycle does not miss it. */
    bool run = gc->requested && !gc->stop;
    *forced = gc->forced;
    pthread_mutex_unlock(&gc->lock);
    if (!run && nanotime(&rt->sys) - atomic_load_i64(&gc->lastGC) > forcegcperiod) {
        *forced = false;
        return true;
    }
    return run;
}

static void *gcController(void *arg)
{
    hs_runtime *rt = arg;
    osThreadSetup("hs-gc", osThreadNormal);
    for (;;) {
        pthread_mutex_lock(&rt->gc.lock);
        bool stop = rt->gc.stop;
        pthread_mutex_unlock(&rt->gc.lock);
        if (stop)
            break;
        gcServeUserPause(rt);
        gcSweepDone(rt);
        bool forced = false;
        if (gcWaitWork(rt, &forced))
            gcRunCycle(rt, forced);
    }
    return NULL;
}

void gc_start_thread(hs_runtime *rt)
{
    if (pthread_create(&rt->gc.thread, NULL, gcController, rt) == 0)
        atomic_store_u8((uint8_t *)&rt->gc.started, 1);
}

void gc_stop_thread(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    if (!gc->started)
        return;
    pthread_mutex_lock(&gc->lock);
    gc->stop = true;
    gc->stepping = false;
    gc->userPause = false;
    pthread_cond_broadcast(&gc->wake);
    pthread_mutex_unlock(&gc->lock);
    pthread_join(gc->thread, NULL);
    atomic_store_u8((uint8_t *)&gc->started, 0);
}

/* ---- requests ---------------------------------------------------------------------------- */

void hs_gc_request(hs_runtime *rt)
{
    pthread_mutex_lock(&rt->gc.lock);
    rt->gc.requested = rt->gc.forced = true;
    pthread_cond_broadcast(&rt->gc.wake);
    pthread_mutex_unlock(&rt->gc.lock);
}

/* No collector thread: the caller runs a whole cycle and its sweep, one
 * caller at a time.  Caller holds no P. */
static void gcRunInline(hs_runtime *rt, bool forced)
{
    gcRunCycle(rt, forced);
    finishsweep(rt);
    gcSetPhase(rt, HS_PHASE_OFF);
}

/* Without a collector thread (background off) the P whose allocation passed
 * the trigger runs the cycle itself at its next safe point, as Go's
 * allocating goroutine runs gcStart.  Nothing runs beside it but the other
 * Ps, so on one P when a cycle starts and what it marks depend on the
 * allocations alone: the same allocations give the same cycles.  A P that
 * finds the trigger no longer passed (another P's cycle came first) runs none. */
void gcStartInline(hs_runtime *rt, hs_p *pp)
{
    gcstate *gc = &rt->gc;
    hs_p_release(pp);
    pthread_mutex_lock(&gc->inlineCycle);
    if (atomic_load_u64(&rt->heap.heapLive) >= atomic_load_u64(&gc->trigger))
        gcRunInline(rt, false);
    pthread_mutex_unlock(&gc->inlineCycle);
    hs_p_acquire(pp);
}

/* The sweeping Go's runtime.GC does after its cycle, so what the cycle freed
 * can be allocated again at once: on the caller's P, as its goroutine does,
 * or, from a thread outside the Ps, as a background worker; either way it
 * stops for the world between spans, as a sweeper without a P must (proc.c). */
static void gcSweepForCaller(hs_runtime *rt, hs_p *pp)
{
    if (pp != NULL)
        hs_p_acquire(pp);
    else
        bg_acquire(rt);
    for (;;) {
        bool more = sweepone(rt) != UINTPTR_MAX;
        if (!more && isSweepDone(rt)) /* nor another sweeper filing its last span */
            break;
        if (!more)
            sched_yield();
        if (pp != NULL)
            hs_safepoint(pp);
        else
            bg_safepoint(rt);
    }
    if (pp == NULL)
        bg_release(rt);
}

void hs_gc(hs_runtime *rt, hs_p *pp)
{
    gcstate *gc = &rt->gc;
    if (pp != NULL)
        hs_p_release(pp);
    if (!atomic_load_relaxed_u8((uint8_t *)&gc->started)) {
        pthread_mutex_lock(&gc->inlineCycle);
        gcRunInline(rt, true);
        pthread_mutex_unlock(&gc->inlineCycle);
    } else {
        /* A full cycle that starts after this call: the next one to start. */
        pthread_mutex_lock(&gc->lock);
        uint32_t want = atomic_load_u32(&gc->cycle) + 1;
        gc->requested = gc->forced = true;
        pthread_cond_broadcast(&gc->wake);
        while (atomic_load_u32(&gc->completed) < want && !gc->stop)
            pthread_cond_wait(&gc->done, &gc->lock);
        pthread_mutex_unlock(&gc->lock);
        gcSweepForCaller(rt, pp); /* returns holding pp */
        pthread_mutex_lock(&gc->lock);
        pthread_mutex_unlock(&gc->lock);
        return;
    }
    if (pp != NULL)
        hs_p_acquire(pp);
}

void hs_world_pause(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    gc->userPause = true;
    pthread_cond_broadcast(&gc->wake);
    while (gc->started && !gc->paused && !gc->held && !gc->stop)
        pthread_cond_wait(&gc->done, &gc->lock);
    pthread_mutex_unlock(&gc->lock);
}

void hs_world_resume(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    gc->userPause = false;
    pthread_cond_broadcast(&gc->wake);
    pthread_mutex_unlock(&gc->lock);
}

/* ---- what readers ask ------------------------------------------------------------------------ */

hs_gc_summary hs_gc_get_summary(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    hs_gc_summary s = {
        .cycles = atomic_load_u32(&gc->completed),
        .forced = gc->forcedCycles,
        .pauses = gc->npauses,
        .pause_total_ns = gc->pauseTotalNs,
        .pause_max_ns = gc->pauseMaxNs,
        .mark_assist_ns = gc->totAssistNs,
        .mark_dedicated_ns = gc->totDedicatedNs,
        .mark_fractional_ns = gc->totFractionalNs,
        .mark_idle_ns = gc->totIdleNs,
        .verify_failed = gc->verifyFailed,
        .gcmode = rt->cfg.gcmode,
        .scan = gc->scanTotal,
        .span_steals = atomic_load_u64(&gc->spanSteals),
    };
    pthread_mutex_unlock(&gc->lock);
    return s;
}

size_t hs_gc_pauses(hs_runtime *rt, int64_t *out, size_t n)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    size_t have = gc->npauses;
    if (out != NULL && n > 0 && have > 0)
        memcpy(out, gc->pauses, (n < have ? n : have) * sizeof(*out));
    pthread_mutex_unlock(&gc->lock);
    return have;
}
