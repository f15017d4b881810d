/*
 * mgcscavenge.c — the scavenger: giving free pages back to the OS
 * (Go: mgcscavenge.go).
 *
 * Free pages still hold memory (RSS) until the runtime tells the kernel it no
 * longer needs them.  The scavenger keeps the memory the heap retains
 * (HeapSys - HeapReleased) near a goal: the heap goal plus 10%, as Go does.
 *
 * The background scavenger thread, while retained > goal:
 *   1. under mheap.lock, asks the page allocator for the highest-addressed run
 *      of free, unscavenged pages, at most 64 KiB (scavengeQuantum), which the
 *      page allocator marks allocated so nobody takes it meanwhile;
 *   2. drops the lock and madvise(MADV_DONTNEED)s it: RSS falls at once;
 *   3. retakes the lock and frees the run again, marked scavenged;
 *   4. sleeps long enough that its work is ~1% of one CPU (scavengePercent).
 * Steps 1-3 run between bg_acquire and bg_release (proc.c): in Go the
 * scavenger is a goroutine and a stopped world stops it, and so it is
 * here.  It stops only between runs, with no pages taken, so a stopper
 * waits at most for one run's madvise, and while the world is stopped
 * HeapReleased and the page allocator's bits stay as they are.
 * When the heap grows, the allocation itself scavenges what the growth would
 * put over the goal (mheap.c).  A page that is allocated again is unscavenged
 * and its bytes leave HeapReleased.
 *
 * Locking: the page allocator under mheap.lock; scav.lock only guards the
 * thread's sleep and stop flag.  Statistics are atomics.
 */
#include <errno.h>
#include <time.h>

#include "runtime/runtime2.h"

enum { scavengeQuantum = 64 << 10, scavengePercent = 1 };
#define scavMinSleepNs 100000LL  /* 100 us */
#define scavIdleSleepNs 50000000LL /* 50 ms between checks when at the goal */

void scav_init(hs_runtime *rt)
{
    scavdata *sc = &rt->scav;
    pthread_mutex_init(&sc->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sc->cond, &attr);
    pthread_condattr_destroy(&attr);
    uint64_t goal = atomic_load_u64(&rt->heapGoal);
    atomic_store_u64(&sc->goal, goal + goal / 10);
}

uint64_t heapRetained(hs_runtime *rt)
{
    uint64_t sys = atomic_load_relaxed_u64(&rt->heap.heapSys);
    uint64_t rel = atomic_load_relaxed_u64(&rt->heap.heapReleased);
    return sys > rel ? sys - rel : 0;
}

void scav_set_goal(hs_runtime *rt, uint64_t goal)
{
    atomic_store_u64(&rt->scav.goal, goal);
}

void scav_wake(hs_runtime *rt)
{
    pthread_mutex_lock(&rt->scav.lock);
    pthread_cond_signal(&rt->scav.cond);
    pthread_mutex_unlock(&rt->scav.lock);
}

/* Release one run of at most maxbytes; returns bytes released (0: none left). */
static uint64_t scavengeOne(hs_runtime *rt, uint64_t maxbytes)
{
    mheap *h = &rt->heap;
    uintptr_t base = 0;
    size_t maxpages = maxbytes / pageSize ? maxbytes / pageSize : 1;
    pthread_mutex_lock(&h->lock);
    size_t npages = pageAlloc_scavengeFind(&h->pages, maxpages, &base);
    pthread_mutex_unlock(&h->lock);
    if (npages == 0)
        return 0;
    uint64_t bytes = (uint64_t)npages * pageSize;
    sysUnused(&rt->sys, (void *)base, bytes);
    pthread_mutex_lock(&h->lock);
    pageAlloc_scavengeDone(&h->pages, base, npages);
    atomic_add_relaxed_u64(&h->heapReleased, bytes);
    pthread_mutex_unlock(&h->lock);
    atomic_add_relaxed_u64(&rt->scav.released, bytes);
    return bytes;
}

uint64_t scavenge(hs_runtime *rt, uint64_t nbytes)
{
    uint64_t released = 0;
    while (released < nbytes) {
        uint64_t want = nbytes - released;
        uint64_t got = scavengeOne(rt, want < scavengeQuantum ? want : scavengeQuantum);
        if (got == 0)
            break;
        released += got;
    }
    if (released > 0)
        atomic_store_relaxed_i64(&rt->scav.lastRun, nanotime(&rt->sys));
    return released;
}

static void scav_sleep(hs_runtime *rt, int64_t ns)
{
    scavdata *sc = &rt->scav;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + ns;
    ts.tv_sec = t / 1000000000;
    ts.tv_nsec = t % 1000000000;
    pthread_mutex_lock(&sc->lock);
    if (!sc->stop)
        pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
    pthread_mutex_unlock(&sc->lock);
}

/* One step of the background scavenger: returns how long to sleep. */
static int64_t bgscavengeStep(hs_runtime *rt)
{
    uint64_t retained = heapRetained(rt);
    uint64_t goal = atomic_load_u64(&rt->scav.goal);
    if (retained <= goal)
        return scavIdleSleepNs;
    int64_t t0 = nanotime(&rt->sys);
    uint64_t got = scavenge(rt, scavengeQuantum);
    int64_t worked = nanotime(&rt->sys) - t0;
    if (got == 0) /* nothing free left to release; the search restarts at the top */
        return scavIdleSleepNs;
    atomic_add_relaxed_u64(&rt->scav.runs, 1);
    atomic_add_relaxed_u64(&rt->scav.cpuNanos, (uint64_t)worked);
    int64_t sleep = worked * (100 - scavengePercent) / scavengePercent;
    return sleep < scavMinSleepNs ? scavMinSleepNs : sleep;
}

static void *bgscavenge(void *arg)
{
    hs_runtime *rt = arg;
    osThreadSetup("hs-scavenger", osThreadNormal);
    while (!__atomic_load_n(&rt->scav.stop, __ATOMIC_RELAXED)) {
        bg_acquire(rt);
        int64_t ns = bgscavengeStep(rt);
        bg_release(rt);
        scav_sleep(rt, ns);
    }
    return NULL;
}

void scav_start_thread(hs_runtime *rt)
{
    if (pthread_create(&rt->scav.thread, NULL, bgscavenge, rt) == 0)
        rt->scav.started = true;
}

void scav_stop_thread(hs_runtime *rt)
{
    scavdata *sc = &rt->scav;
    if (!sc->started)
        return;
    pthread_mutex_lock(&sc->lock);
    __atomic_store_n(&sc->stop, true, __ATOMIC_RELAXED);
    pthread_cond_signal(&sc->cond);
    pthread_mutex_unlock(&sc->lock);
    pthread_join(sc->thread, NULL);
    sc->started = false;
}
