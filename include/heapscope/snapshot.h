/*
 * heapscope/snapshot.h — a picture of a heap, for everything that shows one.
 *
 * A snapshot is plain, versioned data: no pointer into a runtime's memory, so
 * a reader (the UI, the recorder, the exporters, the stats writers) needs no
 * runtime, and a snapshot replayed from a file or read from a real Go program
 * is the same type.  Every array lives inside the snapshot's own buffer and is
 * addressed by offset (hs_snap_* accessors below), so a snapshot can be copied
 * or written to disk as one block of bytes.
 *
 * Publication (hs_snapshot_publisher): a writer fills a buffer and publishes
 * it with one atomic exchange; a reader takes the newest complete snapshot at
 * once and keeps it as long as it likes; the writer never waits for a reader.
 * A published snapshot is immutable.
 *
 * Sizes: the header is fixed; per heap page 1 byte; per span one
 * hs_snap_span; per small-span object 2 bits (4 cells a byte).
 */
#ifndef HEAPSCOPE_SNAPSHOT_H
#define HEAPSCOPE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HS_SNAPSHOT_VERSION 1
#define HS_SNAP_NUM_CLASSES 68
#define HS_SNAP_NUM_SPAN_CLASSES 136
#define HS_SNAP_MAX_PROCS 256
#define HS_SNAP_RECENT_PAUSES 32
#define HS_SNAP_MAX_EVENTS 64

/* What produced the snapshot, and so what it knows. */
typedef enum hs_snap_source {
    HS_SOURCE_RUNTIME = 1, /* heapscope's own runtime: exact tri-color cells */
    HS_SOURCE_ATTACH = 2,  /* a running Go program: marked or not, no gray */
} hs_snap_source;

/* One object's cell, 2 bits. */
typedef enum hs_cell {
    HS_CELL_FREE = 0,
    HS_CELL_WHITE = 1, /* allocated, unmarked */
    HS_CELL_GRAY = 2,  /* marked, not yet scanned */
    HS_CELL_BLACK = 3, /* marked and scanned (or allocated during mark) */
} hs_cell;

/* One heap page, 1 byte. */
typedef enum hs_page_state {
    HS_PAGE_UNUSED = 0,   /* in a reserved arena, never grown into */
    HS_PAGE_FREE = 1,     /* free, memory retained */
    HS_PAGE_RELEASED = 2, /* free, returned to the OS (scavenged) */
    HS_PAGE_SMALL = 3,    /* in a span of small objects */
    HS_PAGE_LARGE = 4,    /* in a large object's span */
} hs_page_state;

/* A span's place in the sweep cycle (its sweepgen against the heap's). */
typedef enum hs_sweep_state {
    HS_SWEEP_NEEDS = 0,   /* sg - 2: awaiting sweep */
    HS_SWEEP_SWEEPING = 1, /* sg - 1 */
    HS_SWEEP_SWEPT = 2,   /* sg */
    HS_SWEEP_CACHED_STALE = 3, /* sg + 1: in an mcache since before the sweep */
    HS_SWEEP_CACHED = 4,  /* sg + 3: swept, then cached */
} hs_sweep_state;

typedef struct hs_snap_span {
    uint64_t start;        /* address */
    uint32_t npages;
    uint32_t page;         /* index of its first page in the page array */
    uint8_t spanclass;     /* sizeclass<<1 | noscan */
    uint8_t sweep;         /* hs_sweep_state */
    uint8_t cached_by;     /* P id + 1 when in an mcache, 0 otherwise */
    uint8_t central_set;   /* 0 none, 1 partial swept, 2 partial unswept, 3 full swept, 4 full unswept */
    uint32_t elemsize;
    uint16_t nelems, alloc_count, freeindex, pad;
    uint32_t cells;        /* offset of its first cell byte in the cells array (4 cells a byte) */
    int64_t age_ns;        /* snapshot time - the span's allocation time */
} hs_snap_span;

typedef struct hs_snap_arena {
    uint64_t base;         /* 64 MiB aligned */
    uint32_t first_page;   /* index of its first page in the page array */
    uint32_t pad;
} hs_snap_arena;

typedef struct hs_snap_central {
    uint32_t partial_swept, partial_unswept, full_swept, full_unswept; /* spans */
    uint64_t objects_inuse, objects_free;  /* in the spans of those sets */
    uint64_t nmalloc;                      /* spans handed to mcaches so far */
} hs_snap_central;

typedef enum hs_p_status {
    HS_P_IDLE = 0,
    HS_P_RUNNING = 1,
    HS_P_ASSISTING = 2,
    HS_P_DEDICATED = 3,   /* dedicated mark worker */
    HS_P_FRACTIONAL = 4,  /* fractional mark worker */
    HS_P_STOPPED = 5,     /* parked for stop-the-world */
} hs_p_status;

typedef struct hs_snap_p {
    uint8_t status;        /* hs_p_status */
    uint8_t pad[3];
    int32_t mcache_span[HS_SNAP_NUM_SPAN_CLASSES]; /* span index, or -1 */
    uint64_t tiny;         /* address of the tiny block, 0 if none */
    uint32_t tinyoffset;
    uint32_t pad2;
    uint64_t tiny_allocs, small_allocs, large_allocs;
    int64_t assist_ns, mark_worker_ns; /* this cycle */
} hs_snap_p;

typedef enum hs_event_kind {
    HS_EV_PHASE = 1,   /* a = new hs_gcphase, b = cycle */
    HS_EV_PAUSE = 2,   /* a = pause length in ns */
    HS_EV_GC_START = 3, /* a = reason: 0 heap trigger, 1 forced, 2 periodic */
} hs_event_kind;

typedef struct hs_snap_event {
    int64_t t_ns;          /* since the source started */
    uint32_t kind;         /* hs_event_kind */
    uint32_t pad;
    int64_t a, b;
} hs_snap_event;

typedef struct hs_snapshot {
    /* ---- identity ---- */
    uint32_t size;         /* bytes of the whole snapshot, arrays included */
    uint32_t version;      /* HS_SNAPSHOT_VERSION */
    uint32_t source;       /* hs_snap_source */
    uint32_t world_stopped; /* taken with the world stopped: exact */
    uint64_t seq;
    int64_t t_ns;          /* since the source started */
    char workload[96];     /* e.g. "binary-trees:depth=18" */
    uint32_t nprocs;
    int32_t gogc;          /* -1: off */
    uint32_t gcmode;       /* 0 classic, 1 Green Tea */
    uint32_t pad0;
    /* ---- the collector ---- */
    uint32_t phase;        /* hs_gcphase */
    uint32_t cycle;
    uint64_t heap_live, heap_goal, trigger, heap_marked, bytes_marked;
    uint64_t scan_work_done, scan_work_expected;
    int64_t assist_ns, dedicated_ns, fractional_ns, idle_ns; /* this cycle */
    uint32_t npauses_recent;
    uint32_t pad1;
    int64_t pauses_recent[HS_SNAP_RECENT_PAUSES]; /* oldest first */
    int64_t pause_p50_ns, pause_p99_ns, pause_max_ns, pause_total_ns;
    uint64_t pauses;
    uint32_t step_enabled, step_held;
    uint64_t step_objects_scanned;
    /* ---- scavenger and MemStats ---- */
    uint64_t released_bytes, scav_goal, scav_released_total;
    int64_t scav_last_ns;
    uint64_t HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects;
    uint64_t Mallocs, Frees, TotalAlloc, NumGC;
    /* ---- arrays, as offsets from the start of the snapshot ---- */
    uint32_t narenas, arenas_off;       /* hs_snap_arena[narenas] */
    uint32_t npages, pages_off;         /* uint8_t[npages]: hs_page_state */
    uint32_t nspans, spans_off;         /* hs_snap_span[nspans], by address */
    uint32_t ncell_bytes, cells_off;    /* 2-bit cells, 4 a byte, low bits first */
    uint32_t page_span_off;             /* int32_t[npages]: span index or -1 */
    uint32_t central_off;               /* hs_snap_central[136] */
    uint32_t procs_off;                 /* hs_snap_p[nprocs] */
    uint32_t nevents, events_off;       /* hs_snap_event[nevents], since the last snapshot */
    uint32_t pad2;
} hs_snapshot;

/* Accessors for the arrays. */
static inline const void *hs_snap_at(const hs_snapshot *s, uint32_t off)
{
    return (const char *)s + off;
}
#define HS_SNAP_ARRAY(type, s, off) ((const type *)hs_snap_at((s), (off)))
static inline const hs_snap_arena *hs_snap_arenas(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(hs_snap_arena, s, s->arenas_off);
}
static inline const uint8_t *hs_snap_pages(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(uint8_t, s, s->pages_off);
}
static inline const int32_t *hs_snap_page_span(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(int32_t, s, s->page_span_off);
}
static inline const hs_snap_span *hs_snap_spans(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(hs_snap_span, s, s->spans_off);
}
static inline const hs_snap_central *hs_snap_centrals(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(hs_snap_central, s, s->central_off);
}
static inline const hs_snap_p *hs_snap_procs(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(hs_snap_p, s, s->procs_off);
}
static inline const hs_snap_event *hs_snap_events(const hs_snapshot *s)
{
    return HS_SNAP_ARRAY(hs_snap_event, s, s->events_off);
}
/* Object i of span sp. */
static inline hs_cell hs_snap_cell(const hs_snapshot *s, const hs_snap_span *sp, uint32_t i)
{
    const uint8_t *cells = HS_SNAP_ARRAY(uint8_t, s, s->cells_off) + sp->cells;
    return (hs_cell)((cells[i / 4] >> (2 * (i % 4))) & 3);
}

/* Check that a block of bytes is a snapshot this build understands.  Returns
 * NULL, or a sentence saying what is wrong (a version from the future, a size
 * that does not match, an offset out of bounds). */
const char *hs_snapshot_check(const hs_snapshot *s, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
