/*
 * mstats.c — statistics with Go's MemStats names (Go: mstats.go).
 *
 * Counters live where they are produced, so no allocation path shares a cache
 * line: each mcache counts its own allocations (per size class, tiny, large),
 * each sweeper adds the frees it finds to the heap's per-class counters, and
 * mheap keeps its page counts.  hs_read_memstats sums them.  Every counter is
 * read with an atomic load, so the result is exact when no P is allocating and
 * each field is individually consistent otherwise.
 *
 * Go's definitions, reproduced:
 *   Mallocs      = small objects + large objects + tiny allocations
 *   Frees        = freed small + freed large + tiny allocations
 *   HeapObjects  = Mallocs - Frees
 *   HeapAlloc    = bytes of allocated small and large objects (whole slots)
 *   HeapInuse    = bytes in in-use spans;  HeapSys = bytes the heap grew into
 *   HeapIdle     = HeapSys - HeapInuse;    HeapReleased = idle bytes given back
 */
#include <string.h>

#include "runtime/runtime2.h"

static void memstats_addMcache(hs_memstats *ms, const mcache *c, uint64_t *largeBytes,
                               uint64_t *largeCount)
{
    for (int i = 1; i < numSizeClasses; i++)
        ms->BySize[i].Mallocs += atomic_load_relaxed_u64(&c->smallAllocCount[i]);
    ms->TinyAllocs += atomic_load_relaxed_u64(&c->tinyAllocs);
    *largeBytes += atomic_load_relaxed_u64(&c->largeAlloc);
    *largeCount += atomic_load_relaxed_u64(&c->largeAllocCount);
}

/* Mallocs, Frees, HeapAlloc, TotalAlloc and BySize from the counters. */
static void memstats_objects(hs_runtime *rt, hs_memstats *ms)
{
    mheap *h = &rt->heap;
    uint64_t largeBytes = 0, largeCount = 0;
    for (int i = 0; i < rt->nprocs; i++)
        memstats_addMcache(ms, &rt->allp[i]->mcache, &largeBytes, &largeCount);
    uint64_t largeFree = atomic_load_relaxed_u64(&h->largeFree);
    uint64_t largeFreeCount = atomic_load_relaxed_u64(&h->largeFreeCount);
    ms->Mallocs = largeCount + ms->TinyAllocs;
    ms->Frees = largeFreeCount + ms->TinyAllocs;
    ms->TotalAlloc = largeBytes;
    ms->HeapAlloc = largeBytes - largeFree;
    for (int i = 1; i < numSizeClasses; i++) {
        uint64_t size = class_to_size[i];
        ms->BySize[i].Size = (uint32_t)size;
        ms->BySize[i].Frees = atomic_load_relaxed_u64(&h->smallFreeCount[i]);
        ms->Mallocs += ms->BySize[i].Mallocs;
        ms->Frees += ms->BySize[i].Frees;
        ms->TotalAlloc += ms->BySize[i].Mallocs * size;
        ms->HeapAlloc += (ms->BySize[i].Mallocs - ms->BySize[i].Frees) * size;
    }
    ms->HeapObjects = ms->Mallocs - ms->Frees;
    ms->Alloc = ms->HeapAlloc;
}

void hs_read_memstats(hs_runtime *rt, hs_memstats *ms)
{
    mheap *h = &rt->heap;
    memset(ms, 0, sizeof(*ms));
    memstats_objects(rt, ms);
    ms->HeapSys = atomic_load_relaxed_u64(&h->heapSys);
    ms->HeapInuse = atomic_load_relaxed_u64(&h->pagesInUse) * pageSize;
    ms->HeapIdle = ms->HeapSys > ms->HeapInuse ? ms->HeapSys - ms->HeapInuse : 0;
    ms->HeapReleased = atomic_load_relaxed_u64(&h->heapReleased);
    pthread_mutex_lock(&h->lock);
    ms->MSpanInuse = h->spanalloc.inuse;
    ms->MSpanSys = h->spanalloc.sys;
    for (int w = 0; w < spanBitWords; w++)
        ms->MSpanSys += h->bitsalloc[w].sys;
    pthread_mutex_unlock(&h->lock);
    ms->MCacheInuse = ms->MCacheSys = (uint64_t)rt->nprocs * sizeof(hs_p);
    ms->Sys = ms->HeapSys + ms->MSpanSys + ms->MCacheSys;
    ms->NextGC = atomic_load_relaxed_u64(&rt->heapGoal);
    /* Not under gc.lock: the pacer reads these statistics holding it. */
    ms->NumGC = atomic_load_u32(&rt->gc.completed);
}
