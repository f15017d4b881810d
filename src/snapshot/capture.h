/*
 * capture.h — the snapshot library's internals: taking a snapshot of a live
 * runtime (capture.c), the walk over its heap (heapwalk.c), the event log
 * (eventlog.c) and the pause statistics (pausestats.c).
 *
 * These read the runtime's internals (runtime/runtime2.h) and never write
 * them, with one exception spelled out in heapwalk.c (a compare-and-swap that
 * stores back the value it found).  Everything here belongs to one capturer,
 * used by one thread at a time (the snapshotter serializes its callers).
 * Nothing allocates in steady state: scratch arrays grow with the heap and are
 * kept.
 */
#ifndef HS_SNAPSHOT_CAPTURE_H
#define HS_SNAPSHOT_CAPTURE_H

#include "heapscope/snapshot.h"
#include "runtime/runtime2.h"

/* ---- eventlog.c: the collector's events, kept for the event window -------------- */
enum { eventlogRing = 2 * HS_SNAP_MAX_EVENTS, eventlogBatch = 256 };

typedef struct eventlog {
    uint64_t cursor;                  /* hs_gc_events cursor: the next seq to read */
    uint64_t lost;                    /* events the runtime's ring dropped before we read them */
    hs_snap_event ring[eventlogRing]; /* the newest events, oldest overwritten */
    uint64_t pushed;                  /* events ever put in the ring */
    hs_gc_event batch[eventlogBatch]; /* the latest hs_gc_events call */
} eventlog;

/* Read the runtime's new events into the log; calls fn for each one read (in
 * order) and returns whether any were lost on the way. */
bool eventlog_poll(eventlog *el, hs_runtime *rt, void (*fn)(void *, const hs_gc_event *),
                   void *arg);
/* The events to put in a snapshot taken at now_ns: those of the last window_ns,
 * at most HS_SNAP_MAX_EVENTS; *first receives the push number of the oldest. */
size_t eventlog_window(const eventlog *el, int64_t now_ns, int64_t window_ns, uint64_t *first);
void eventlog_copy(const eventlog *el, uint64_t first, size_t n, hs_snap_event *out);

/* ---- pausestats.c: stop-the-world pauses, recent and percentiles ---------------- */
enum { pauseHistBuckets = 128 + 57 * 128 }; /* log-linear, 1/128 relative width */

typedef struct pausestats {
    bool synced;      /* counted matches the runtime's pause list */
    uint64_t counted; /* pauses in the histogram */
    uint64_t hist[pauseHistBuckets];
    uint32_t lo, hi;                       /* buckets in use: [lo, hi) */
    int64_t recent[HS_SNAP_RECENT_PAUSES]; /* ring, oldest at recentHead */
    uint32_t nrecent, recentHead;
    int64_t *copy; /* scratch for a full resync */
    size_t capcopy;
    int64_t fresh[eventlogBatch * 4]; /* pause events since the last update */
    size_t nfresh;
    bool lostEvents;
} pausestats;

void pausestats_init(pausestats *ps);
void pausestats_destroy(pausestats *ps);
/* An event from the log (eventlog_poll's fn). */
void pausestats_event(void *ps, const hs_gc_event *e);
/* Bring the statistics up to the runtime's pause count total (read after the
 * events); lost: the event log dropped events. */
void pausestats_update(pausestats *ps, hs_runtime *rt, uint64_t total, bool lost);
void pausestats_fill(const pausestats *ps, hs_snapshot *s);
int64_t pausestats_percentile(const pausestats *ps, double p);

/* ---- cells.c: a span's 2-bit cells from its bitmaps ------------------------------ */

/* Whether this CPU runs cells_encode's fast path well (BMI2 and POPCNT,
 * PDEP not microcoded). */
bool cells_fast_usable(void);
/* Encode the cells of s (nelems objects, freeindex f) into out, ceil(nelems
 * / 4) bytes; returns the number of allocated objects.  fast: only when
 * cells_fast_usable() said so. */
uint16_t cells_encode(const mspan *s, uint16_t nelems, uint16_t freeindex, uint8_t *out,
                      bool fast);

/* ---- heapwalk.c: arenas, pages, spans and cells ---------------------------------- */
typedef struct spanent {
    mspan *s;        /* never followed without the locks heapwalk.c names */
    hs_snap_span sp; /* what pass 1 learned: start, npages, class, sizes */
} spanent;

typedef struct cachedent {
    const mspan *s; /* compared, never followed */
    uint32_t idx;   /* its index in the span table */
} cachedent;

typedef struct heapwalk {
    uintptr_t *arenas; /* the heap's arenas, by address */
    size_t narenas, caparenas;
    uintptr_t ungrownBase, ungrownEnd; /* reserved, not yet grown into */
    spanent *ents;                     /* every in-use span, by address */
    size_t nents, capents;
    uint32_t cellBytes; /* cell bytes the spans need */
    uint32_t *order;    /* span indices grouped by class, then pending ones */
    size_t caporder;
    uint32_t classStart[numSpanClasses + 1];
    cachedent *cached; /* spans read as cached this capture, by mspan address */
    size_t ncached, capcached;
    bool exempt;    /* the world is stopped for us (phase hook, step hold, user's pause) */
    bool fastCells; /* cells_encode may use BMI2 (cells_fast_usable) */
} heapwalk;

void heapwalk_destroy(heapwalk *hw);
/* Copy the arena list.  False when out of memory. */
bool heapwalk_arenas(heapwalk *hw, hs_runtime *rt);
/* Pass 1: fill the arena table, the page states and the page-to-span map, and
 * list the spans.  False when out of memory. */
bool heapwalk_pages(heapwalk *hw, hs_runtime *rt, hs_snap_arena *arenas, uint8_t *pages,
                    int32_t *pageSpan);
/* Pass 2: fill the span table and its cells (spans and cells sized by pass 1),
 * ages at t (ns since the runtime started).  False when out of memory. */
bool heapwalk_spans(heapwalk *hw, hs_runtime *rt, hs_snap_span *spans, uint8_t *cells, int64_t t);
/* The span table index of s if it is a span this capture saw cached, else -1. */
int32_t heapwalk_cachedIndex(const heapwalk *hw, const mspan *s);

/* ---- capture.c: one snapshot ------------------------------------------------------ */
typedef struct capturer {
    char workload[96];
    int64_t eventWindowNs;
    uint64_t seq;
    eventlog events;
    pausestats pauses;
    heapwalk walk;
} capturer;

capturer *capturer_new(const char *workload, int64_t eventWindowNs);
void capturer_free(capturer *c);
/* Take a snapshot of rt into pub's reserved buffer and return it (not yet
 * published), or NULL when out of memory.  world_stopped: the caller knows
 * no P runs (the collector's phase hook). */
hs_snapshot *capturer_capture(capturer *c, hs_runtime *rt, hs_snapshot_publisher *pub,
                              bool world_stopped);
/* Read the runtime's new events without taking a snapshot (the next one
 * carries them). */
void capturer_poll(capturer *c, hs_runtime *rt);
/* Both states hold at the same place (phase, cycle, objects scanned). */
bool step_same_hold(const hs_step_state *a, const hs_step_state *b);
/* The world stayed stopped from a to b: the same hold, or the same user's
 * pause.  Nothing moved between them. */
bool world_same_stop(const hs_step_state *a, const hs_step_state *b);

#endif
