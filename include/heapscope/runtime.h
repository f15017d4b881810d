/*
 * heapscope/runtime.h — the public face of heapscope's Go-style runtime.
 *
 * One hs_runtime owns a heap (mheap with its arenas, page allocator, mcentrals),
 * the scavenger and, later, the collector.  It has a fixed number of Ps; each P
 * owns an mcache and is driven by at most one thread at a time, which allocates
 * with hs_malloc.  Several runtimes may live in one process: nothing here is
 * global except immutable tables.
 *
 * Errors: functions return a status or NULL and never exit; what went wrong is
 * described by hs_runtime_error().
 */
#ifndef HEAPSCOPE_RUNTIME_H
#define HEAPSCOPE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hs_runtime hs_runtime;
typedef struct hs_p hs_p;

/* The OS as the runtime sees it (see src/runtime/mem.h).  All four functions
 * must be set; ctx is passed back untouched. */
typedef struct hs_sysops {
    /* Map n bytes read/write, zeroed, lazily committed, at hint if hint != 0 and
     * that range is free (never replacing a mapping), else anywhere.  NULL on
     * failure. */
    void *(*map)(void *ctx, uintptr_t hint, size_t n);
    void (*unmap)(void *ctx, void *v, size_t n);
    /* Release the pages' memory to the OS (MADV_DONTNEED): they read as zero. */
    void (*unused)(void *ctx, void *v, size_t n);
    /* Monotonic nanoseconds. */
    int64_t (*nanotime)(void *ctx);
    void *ctx;
} hs_sysops;

/* A type, as the collector sees it: its size and which of its words are
 * pointers.  gcdata holds one bit per word (bit i of byte i/8: word i is a
 * pointer) for the first ptrbytes bytes; a type with ptrbytes == 0 is
 * pointer-free ("noscan").  Types must outlive the runtime. */
typedef struct hs_type {
    const char *name;
    size_t size;
    size_t ptrbytes;
    const uint8_t *gcdata;
} hs_type;

typedef enum hs_gcmode {
    HS_GC_CLASSIC = 0,  /* object-at-a-time marking (Go <= 1.25) */
    HS_GC_GREENTEA = 1, /* span-wise marking (Go 1.26+): changes small-span layout */
} hs_gcmode;

typedef struct hs_config {
    int nprocs;            /* number of Ps, >= 1 */
    int gogc;              /* GC percent; < 0 means off */
    uint64_t max_heap;     /* hard cap on heap memory in use, 0 = none */
    uint64_t memory_limit; /* soft limit, 0 = none */
    hs_gcmode gcmode;
    bool background;       /* run the background sweeper and scavenger threads */
    const hs_sysops *sys;  /* NULL: the real OS */
} hs_config;

/* A config with Go's defaults: 1 P, GOGC 100, no limits, classic marking,
 * background threads on. */
hs_config hs_config_default(void);

typedef enum hs_status {
    HS_OK = 0,
    HS_EINVAL = 1,  /* a bad configuration value */
    HS_ENOMEM = 2,  /* the OS refused memory */
    HS_EOOM = 3,    /* the heap would pass max_heap */
} hs_status;

hs_status hs_runtime_new(const hs_config *cfg, hs_runtime **out);
void hs_runtime_free(hs_runtime *rt);
/* A sentence describing the last failure (an empty string when none). */
const char *hs_runtime_error(const hs_runtime *rt);

int hs_runtime_nprocs(const hs_runtime *rt);
hs_p *hs_runtime_p(hs_runtime *rt, int i);

/* The out-of-memory record kept when an allocation would pass max_heap. */
typedef struct hs_oom_info {
    bool happened;
    uint64_t requested; /* bytes of the allocation that failed */
    uint64_t heap_inuse; /* HeapInuse at that moment */
    uint64_t max_heap;
} hs_oom_info;
hs_oom_info hs_runtime_oom(const hs_runtime *rt);

/*
 * Allocate size bytes of type typ (NULL: pointer-free) on P pp.  The memory is
 * zeroed.  A size that is a multiple of typ->size is an array of typ.  Returns
 * the address of a single zerobase for size 0, and NULL (with hs_runtime_oom
 * set) when the heap would pass max_heap.  Only the thread driving pp may call
 * this.
 */
void *hs_malloc(hs_p *pp, size_t size, const hs_type *typ);

/* Go's runtime.MemStats, the subset heapscope keeps, with Go's names. */
#define HS_NUM_SIZE_CLASSES 68
typedef struct hs_memstats {
    uint64_t Alloc, TotalAlloc, Sys, Mallocs, Frees;
    uint64_t HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects;
    uint64_t MSpanInuse, MSpanSys, MCacheInuse, MCacheSys;
    uint64_t TinyAllocs;
    uint64_t NextGC;
    uint32_t NumGC;
    struct {
        uint32_t Size;
        uint64_t Mallocs, Frees;
    } BySize[HS_NUM_SIZE_CLASSES];
} hs_memstats;

/* Fill ms with the runtime's current statistics.  Exact when no P is
 * allocating; otherwise each counter is individually consistent. */
void hs_read_memstats(hs_runtime *rt, hs_memstats *ms);

/* Size classes, for readers that label what they show. */
uint32_t hs_class_to_size(int sizeclass);
int hs_class_to_npages(int sizeclass);
int hs_size_to_class(size_t size); /* 0 for sizes past 32 KiB */

#ifdef __cplusplus
}
#endif
#endif
