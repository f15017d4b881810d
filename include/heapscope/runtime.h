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

#define HS_NUM_SIZE_CLASSES 68

/* What marking scanned, in the units of Go's GODEBUG=gctrace=2 "scan:" lines
 * (Go 1.26 mgcmark_greenteagc.go sizeClassScanStats), plus one count Go does
 * not print.  Classic marking scans objects only: everything is objs_single. */
typedef struct hs_scan_stats {
    uint64_t objs_single;      /* objects scanned one at a time (Go: sparseObjsScanned) */
    uint64_t span_objs_sparse; /* objects scanned in sparse span scans */
    uint64_t span_objs_dense;  /* objects scanned in dense span scans */
    uint64_t spans_sparse;     /* span scans of many marks, under 1/8 of the span */
    uint64_t spans_dense;      /* span scans of many marks, at least 1/8 of the span */
    uint64_t spans_one;        /* span scans that found one mark; its object is in objs_single */
} hs_scan_stats;

/* What one finished GC cycle did, in the units of Go's gctrace line. */
typedef struct hs_gc_cycle {
    uint32_t n;                /* cycle number, from 1 */
    bool forced;               /* requested (hs_gc, forcegc) rather than triggered */
    int64_t start_ns;          /* since the runtime started */
    int64_t stw1_ns, mark_ns, stw2_ns;   /* sweep termination, mark, mark termination */
    int64_t assist_ns, dedicated_ns, fractional_ns, idle_ns; /* mark CPU by kind */
    uint64_t heap_start, heap_end, heap_marked, heap_goal; /* bytes */
    uint64_t stacks, globals;  /* scannable root bytes */
    int procs;
    double gc_cpu_fraction;    /* GC CPU / available CPU since start */
    hs_gcmode gcmode;
    hs_scan_stats scan;        /* this cycle's marking, all classes */
    hs_scan_stats scan_by_class[HS_NUM_SIZE_CLASSES]; /* [0]: large objects */
} hs_gc_cycle;
typedef void (*hs_gc_cycle_fn)(void *ctx, const hs_gc_cycle *c);

/* Something the collector did, in order (phase changes, pauses, cycle starts),
 * kept in a ring so a reader polling now and then misses none of them. */
typedef enum hs_gc_event_kind {
    HS_GC_EV_PHASE = 1,    /* a = the new hs_gcphase, b = cycle */
    HS_GC_EV_PAUSE = 2,    /* a = stop-the-world length in ns */
    HS_GC_EV_START = 3,    /* a = 0 heap trigger, 1 requested (forced), 2 periodic; b = cycle */
} hs_gc_event_kind;
typedef struct hs_gc_event {
    int64_t t_ns; /* since the runtime started */
    uint32_t kind;
    int64_t a, b;
} hs_gc_event;
/* Called on the collector's thread at every phase change and at every step
 * the step controller holds at; world_stopped says the heap is still. */
typedef void (*hs_gc_phase_fn)(void *ctx, int phase, bool world_stopped);

typedef struct hs_config {
    int nprocs;            /* number of Ps, >= 1 */
    int gogc;              /* GC percent; < 0 means off */
    uint64_t max_heap;     /* hard cap on heap memory in use, 0 = none */
    uint64_t memory_limit; /* soft limit, 0 = none */
    hs_gcmode gcmode;
    bool background;       /* run the sweeper, scavenger and collector threads; without
                              them a cycle runs inline on the P whose allocation passed
                              the trigger, so on one P cycles follow the allocations */
    bool verify;           /* checkmark verifier after every mark phase */
    size_t nglobals;       /* pointer slots in the globals area */
    hs_gc_cycle_fn on_cycle; /* called on the collector thread after each cycle */
    void *on_cycle_ctx;
    hs_gc_phase_fn on_phase; /* called on the collector thread (see above) */
    void *on_phase_ctx;
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

/*
 * Goroutines, safe points and the write barrier.
 *
 * A thread drives a P between hs_p_acquire and hs_p_release; while it has
 * released its P (blocked, sleeping) the collector may use the P for itself.
 * A goroutine (hs_g) runs on the P that created it; its stack is an array of
 * pointer slots the collector scans as roots.  Stack slots are written
 * directly; every other pointer store into the heap or the globals goes
 * through hs_write_ptr.  Loads need no barrier: use hs_read_ptr.  The
 * mutator must call hs_safepoint at its loop back-edges (hs_malloc polls too):
 * stop-the-world, stack scans and mark work happen there.
 */
typedef struct hs_g hs_g;
void hs_p_acquire(hs_p *pp);
void hs_p_release(hs_p *pp);
hs_g *hs_g_new(hs_p *pp, size_t nslots);
void hs_g_free(hs_g *g);
void **hs_g_slots(hs_g *g);
size_t hs_g_nslots(const hs_g *g);
void **hs_runtime_globals(hs_runtime *rt);

void hs_write_ptr(hs_p *pp, void **slot, void *ptr);
static inline void *hs_read_ptr(void *const *slot)
{
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE); /* pairs with hs_write_ptr's release */
}
void hs_safepoint(hs_p *pp);

/* The collector's controls (the narrow interface of DESIGN.md). */
/* Run a full cycle now and wait for it, from a thread driving pp (its P is
 * released while it waits), or from any other thread with pp NULL. */
void hs_gc(hs_runtime *rt, hs_p *pp);
/* Ask for a cycle without waiting. */
void hs_gc_request(hs_runtime *rt);
void hs_set_gogc(hs_runtime *rt, int gogc);
int hs_get_gogc(const hs_runtime *rt);
/* Stop every P at a safe point, and the background sweeper and scavenger at
 * theirs, until hs_world_resume (the UI's pause); returns once the world is
 * stopped (or the step controller holds it stopped). */
void hs_world_pause(hs_runtime *rt);
void hs_world_resume(hs_runtime *rt);
/* If the collector has the world stopped, wait until it starts the world
 * again, or for at most timeout_ns: for an observer that must not run
 * inside the collector's pause (taking the heap's locks from under it) yet
 * must not wait out a user's pause served inside it.  Returns at once when
 * the world runs. */
void hs_world_wait_start(hs_runtime *rt, int64_t timeout_ns);

/* GC phases, with Go's names. */
typedef enum hs_gcphase {
    HS_PHASE_OFF = 0,
    HS_PHASE_SWEEP_TERMINATION = 1,
    HS_PHASE_MARK = 2,
    HS_PHASE_MARK_TERMINATION = 3,
    HS_PHASE_SWEEP = 4,
} hs_gcphase;
const char *hs_gcphase_name(hs_gcphase ph);
hs_gcphase hs_gc_phase(const hs_runtime *rt);

/*
 * The step controller.  With stepping on, the collector holds, with the world
 * stopped, at every phase boundary and, during mark, after every step of N
 * scans (objects, or in Green Tea mode objects and whole spans); hs_gc_step
 * releases it for one step.  hs_gc_step_state also says whether the user's
 * pause is in force: the two ways the world stays stopped for a watcher.
 */
typedef enum hs_step_kind {
    HS_STEP_PHASE = 0,   /* to the next phase boundary */
    /* n more scans (mark only; else as PHASE): classic, n objects; Green Tea,
     * n objects or span scans, one span scan blackening all its gray objects */
    HS_STEP_OBJECTS = 1,
    HS_STEP_CYCLE = 2,   /* to the end of the cycle */
} hs_step_kind;
typedef struct hs_step_state {
    bool enabled;
    bool held;               /* the collector is waiting, world stopped */
    hs_gcphase phase;        /* where it holds */
    uint32_t cycle;
    uint64_t objects_scanned; /* this cycle */
    uint64_t spans_scanned;   /* this cycle (Green Tea) */
    /* The user's pause (hs_world_pause) is in force: the world is stopped
     * and nothing changes the heap.  pause_seq counts the pauses so far, so
     * two readings with the same value saw one pause throughout. */
    bool paused;
    uint32_t pause_seq;
} hs_step_state;
void hs_gc_set_stepping(hs_runtime *rt, bool on);
void hs_gc_step(hs_runtime *rt, hs_step_kind kind, uint64_t n);
hs_step_state hs_gc_step_state(hs_runtime *rt);
/* Wait until the collector holds (or stepping is off); true if it holds. */
bool hs_gc_wait_held(hs_runtime *rt);

/* Totals of the collector so far. */
typedef struct hs_gc_summary {
    uint32_t cycles, forced;
    uint64_t pauses;          /* STW pauses recorded */
    int64_t pause_total_ns, pause_max_ns;
    int64_t mark_assist_ns, mark_dedicated_ns, mark_fractional_ns, mark_idle_ns;
    bool verify_failed;
    hs_gcmode gcmode;
    hs_scan_stats scan;       /* all finished cycles */
    uint64_t span_steals;     /* span queue entries taken from another worker */
} hs_gc_summary;
hs_gc_summary hs_gc_get_summary(hs_runtime *rt);
/* Copy the events after *cursor (0 at first) into out, at most n; advances
 * *cursor and returns how many were copied.  *lost counts events that the ring
 * overwrote before this reader came (NULL: not wanted). */
size_t hs_gc_events(hs_runtime *rt, uint64_t *cursor, hs_gc_event *out, size_t n, uint64_t *lost);

/* Copy up to n recorded STW pause lengths (ns, oldest first); returns how many exist. */
size_t hs_gc_pauses(hs_runtime *rt, int64_t *out, size_t n);

/* Go's runtime.MemStats, the subset heapscope keeps, with Go's names. */
typedef struct hs_memstats {
    uint64_t Alloc, TotalAlloc, Sys, Mallocs, Frees;
    uint64_t HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects;
    uint64_t MSpanInuse, MSpanSys, MCacheInuse, MCacheSys;
    uint64_t TinyAllocs;
    uint64_t NextGC, LastGC, PauseTotalNs;
    uint32_t NumGC, NumForcedGC;
    double GCCPUFraction;
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
