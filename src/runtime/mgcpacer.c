/*
 * mgcpacer.c — when to collect, and how hard to mark (Go: mgcpacer.go,
 * Go 1.21's design).
 *
 * The heap goal for the next cycle, from the last cycle's marked heap:
 *
 *     goal = heapMarked + (heapMarked + stacks + globals) * GOGC/100
 *
 * never below the minimum heap, 4 MiB * GOGC/100, and, with a soft memory
 * limit, lowered so total memory stays under it (GOGC off: only the limit).
 * The trigger starts the cycle early enough that marking, done at 25% of the
 * CPU, ends near the goal: goal - runway, where the runway is the allocation
 * expected during mark (cons/mark ratio measured over the last cycles times the
 * scan work), clamped to 70%..95% of the way from heapMarked to the goal.
 *
 * During mark, allocation is paid for in scan work: each byte allocated costs
 * assistWorkPerByte units of scan work (remaining work / remaining heap), so
 * a mutator that outruns the workers marks for itself (assists) and the cycle
 * ends before the heap passes the goal; past it, the goal stretches by at most
 * 10% (hard goal) rather than letting the heap run away.
 *
 * Workers: 25% of GOMAXPROCS as dedicated workers, rounded; where rounding
 * misses by more than 30%, no rounding: every P marks a fraction of its time
 * instead (2 Ps: fractional 0.25 each; 4 Ps: one dedicated).
 *
 * Everything here is written by the collector (world stopped or on its own
 * thread) and read by mutators with atomic loads.
 */
#include <string.h>

#include "runtime/runtime2.h"

#define gcBackgroundUtilization 0.25
#define maxUtilError 0.3
enum { triggerRatioDen = 64, minTriggerRatioNum = 45, maxTriggerRatioNum = 61 };
#define defaultHeapMinimum ((uint64_t)4 << 20)

static void storeDouble(uint64_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    atomic_store_relaxed_u64(p, bits);
}

static double loadDouble(const uint64_t *p)
{
    uint64_t bits = atomic_load_relaxed_u64(p);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

double gcAssistWorkPerByte(hs_runtime *rt) { return loadDouble(&rt->gc.assistWorkPerByteBits); }
double gcAssistBytesPerWork(hs_runtime *rt) { return loadDouble(&rt->gc.assistBytesPerWorkBits); }

static uint64_t heapMinimum(hs_runtime *rt)
{
    int32_t pct = atomic_load_i32(&rt->gc.gcPercent);
    return pct < 0 ? defaultHeapMinimum : defaultHeapMinimum * (uint64_t)pct / 100;
}

/* The goal the memory limit allows: the limit less what is not heap objects
 * (metadata, free but retained pages), with 3% headroom as Go keeps. */
static uint64_t memoryLimitHeapGoal(hs_runtime *rt)
{
    uint64_t limit = rt->cfg.memory_limit;
    if (limit == 0)
        return UINT64_MAX;
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    /* Go: mappedReady - heapFree - heapAlloc; free pages do not count, the
     * scavenger can return them. */
    uint64_t nonHeap = ms.Sys - ms.HeapIdle - ms.HeapAlloc;
    uint64_t headroom = limit / 100 * 3;
    if (limit < nonHeap + headroom + (64 << 10))
        return rt->gc.heapMarked + (64 << 10);
    return limit - nonHeap - headroom;
}

uint64_t gcHeapGoal(hs_runtime *rt)
{
    return atomic_load_relaxed_u64(&rt->gc.heapGoal);
}

void gcControllerCommit(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    int32_t pct = atomic_load_i32(&gc->gcPercent);
    uint64_t goal = UINT64_MAX;
    uint64_t roots = gc->stacksScan + gc->globalsScan;
    if (pct >= 0)
        goal = gc->heapMarked + (gc->heapMarked + roots) * (uint64_t)pct / 100;
    if (goal < heapMinimum(rt))
        goal = heapMinimum(rt);
    uint64_t limitGoal = memoryLimitHeapGoal(rt);
    atomic_store_relaxed_u32(&gc->limitBound, limitGoal < goal);
    if (limitGoal < goal)
        goal = limitGoal;
    double runway = gc->consMark * (1 - gcBackgroundUtilization) / gcBackgroundUtilization *
                    (double)(gc->lastHeapScan + roots);
    uint64_t minTrigger = gc->heapMarked + (goal - gc->heapMarked) / triggerRatioDen * minTriggerRatioNum;
    uint64_t maxTrigger = gc->heapMarked + (goal - gc->heapMarked) / triggerRatioDen * maxTriggerRatioNum;
    if (goal > defaultHeapMinimum && goal - defaultHeapMinimum > maxTrigger)
        maxTrigger = goal - defaultHeapMinimum;
    if (maxTrigger < minTrigger)
        maxTrigger = minTrigger;
    uint64_t trigger = runway > (double)goal ? minTrigger : goal - (uint64_t)runway;
    trigger = trigger < minTrigger ? minTrigger : trigger > maxTrigger ? maxTrigger : trigger;
    if (gc->heapMarked >= goal)
        trigger = goal;
    if (pct < 0 && rt->cfg.memory_limit == 0)
        trigger = goal = UINT64_MAX; /* GOGC=off and no limit: never by heap size */
    atomic_store_u64(&gc->heapGoal, goal);
    atomic_store_u64(&gc->trigger, trigger);
    atomic_store_u64(&rt->heapGoal, goal);
    /* The scavenger keeps retained memory near the goal + 10% (and 95% of a limit). */
    uint64_t scavGoal = goal == UINT64_MAX ? UINT64_MAX : goal + goal / 10;
    if (rt->cfg.memory_limit != 0 && scavGoal > rt->cfg.memory_limit / 100 * 95)
        scavGoal = rt->cfg.memory_limit / 100 * 95;
    scav_set_goal(rt, scavGoal);
}

void gcControllerInit(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    gc->gcPercent = rt->cfg.gogc < 0 ? -1 : rt->cfg.gogc;
    gc->consMark = 0;
    gcControllerCommit(rt);
}

void gcControllerRevise(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    int32_t pct = atomic_load_i32(&gc->gcPercent);
    if (pct < 0)
        pct = 100000;
    uint64_t live = atomic_load_u64(&rt->heap.heapLive);
    int64_t work = (int64_t)atomic_load_u64(&gc->heapScanWork);
    int64_t heapGoal = (int64_t)gcHeapGoal(rt);
    int64_t expected = (int64_t)(gc->lastHeapScan + gc->stacksScan + gc->globalsScan);
    int64_t maxScanWork = (int64_t)live + (int64_t)(gc->stacksScan + gc->globalsScan);
    if (gc->lastHeapScan == 0) /* no cycle to learn from yet: assume all is live */
        expected = maxScanWork;
    if (work > expected) {
        /* More work than the last cycle: stretch the goal, up to the hard goal —
         * except when the memory limit sets the goal: a soft limit is not
         * stretched (heapscope's choice; Go stretches it as if GOGC were huge). */
        int64_t ext = (int64_t)((double)(heapGoal - (int64_t)gc->triggered) / (double)expected *
                                (double)maxScanWork) + (int64_t)gc->triggered;
        int64_t hard = atomic_load_relaxed_u32(&gc->limitBound) ? heapGoal : (int64_t)((1.0 + pct / 100.0) * (double)heapGoal);
        heapGoal = ext > hard ? hard : ext;
        expected = maxScanWork;
    }
    if ((int64_t)live > heapGoal) {
        heapGoal = (int64_t)((double)heapGoal * 1.1);
        expected = maxScanWork;
    }
    int64_t scanWorkRemaining = expected - work < 1000 ? 1000 : expected - work;
    int64_t heapRemaining = heapGoal - (int64_t)live <= 0 ? 1 : heapGoal - (int64_t)live;
    storeDouble(&gc->assistWorkPerByteBits, (double)scanWorkRemaining / (double)heapRemaining);
    storeDouble(&gc->assistBytesPerWorkBits, (double)heapRemaining / (double)scanWorkRemaining);
}

/* With the world stopped at the start of mark: workers and assist credit. */
void gcControllerStartCycle(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    double totalGoal = rt->nprocs * gcBackgroundUtilization;
    int dedicated = (int)(totalGoal + 0.5);
    double utilError = totalGoal > 0 ? dedicated / totalGoal - 1 : 0;
    gc->fractionalUtilizationGoal = 0;
    if (utilError < -maxUtilError || utilError > maxUtilError) {
        if (dedicated > totalGoal)
            dedicated--;
        gc->fractionalUtilizationGoal = (totalGoal - dedicated) / rt->nprocs;
    }
    gc->dedicatedWorkers = (uint32_t)dedicated;
    gc->triggered = atomic_load_u64(&rt->heap.heapLive);
    for (int i = 0; i < rt->nprocs; i++) {
        hs_p *pp = rt->allp[i];
        pp->gcAssistBytes = 0;
        atomic_store_relaxed_i64(&pp->fractionalNs, 0);
        atomic_store_relaxed_i64(&pp->assistNs, 0);
        atomic_store_relaxed_i64(&pp->dedicatedNs, 0);
        pp->workerMode = i < dedicated                         ? workerDedicated
                         : gc->fractionalUtilizationGoal > 0 ? workerFractional
                                                               : workerNone;
        if (pp->workerMode != workerNone)
            p_setPreempt(pp, preemptWork);
    }
    gcControllerRevise(rt);
}

/* After mark: learn the cons/mark ratio (the max of the last 4 cycles). */
void gcControllerEndCycle(hs_runtime *rt, int64_t now)
{
    gcstate *gc = &rt->gc;
    int64_t dur = now - gc->markStartTime;
    double util = gcBackgroundUtilization, idleUtil = 0;
    if (dur > 0) {
        util += (double)atomic_load_i64(&gc->assistNs) / ((double)dur * rt->nprocs);
        idleUtil = (double)atomic_load_i64(&gc->idleNs) / ((double)dur * rt->nprocs);
    }
    uint64_t live = atomic_load_u64(&rt->heap.heapLive);
    uint64_t scanWork = atomic_load_u64(&gc->heapScanWork) + gc->stacksScan + gc->globalsScan;
    if (live <= gc->triggered || scanWork == 0 || util >= 1)
        return;
    double cur = (double)(live - gc->triggered) * (util + idleUtil) / ((double)scanWork * (1 - util));
    gc->consMark = cur;
    for (int i = 0; i < 4; i++)
        if (gc->lastConsMark[i] > gc->consMark)
            gc->consMark = gc->lastConsMark[i];
    memmove(gc->lastConsMark, gc->lastConsMark + 1, 3 * sizeof(double));
    gc->lastConsMark[3] = cur;
}

bool gcTriggerTest(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    uint32_t ph = atomic_load_relaxed_u32(&gc->phase);
    if (ph != HS_PHASE_OFF && ph != HS_PHASE_SWEEP)
        return false;
    if (atomic_load_relaxed_u64(&rt->heap.heapLive) < atomic_load_relaxed_u64(&gc->trigger))
        return false;
    if (!atomic_load_relaxed_u8((uint8_t *)&gc->started))
        return true; /* no collector thread: the P runs the cycle (gcStartInline) */
    pthread_mutex_lock(&gc->lock);
    if (!gc->requested) {
        gc->requested = true;
        pthread_cond_signal(&gc->wake);
    }
    pthread_mutex_unlock(&gc->lock);
    return true;
}

void hs_set_gogc(hs_runtime *rt, int gogc)
{
    atomic_store_i32(&rt->gc.gcPercent, gogc < 0 ? -1 : gogc);
    pthread_mutex_lock(&rt->gc.lock);
    gcControllerCommit(rt);
    pthread_mutex_unlock(&rt->gc.lock);
    scav_wake(rt);
}

int hs_get_gogc(const hs_runtime *rt)
{
    return atomic_load_i32((int32_t *)&rt->gc.gcPercent);
}
