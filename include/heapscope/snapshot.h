/*
 * heapscope/snapshot.h — a picture of a heap, for everything that shows one.
 *
 * A snapshot is plain, versioned data: no pointer into a runtime's memory, so
 * a reader (the UI, the recorder, the exporters, the stats writers) needs no
 * runtime, and a snapshot replayed from a file or read from a real Go program
 * is the same type.  Every array lives inside the snapshot's own buffer and is
 * addressed by offset (hs_snap_* accessors below), so a snapshot can be copied
 * or written to disk as one block of bytes.  No struct here has implicit
 * padding, so the bytes of two equal snapshots are equal.
 *
 * Publication (hs_snapshot_publisher): a writer fills a buffer and publishes
 * it with one atomic exchange; a reader takes the newest complete snapshot at
 * once and keeps it as long as it likes; the writer never waits for a reader.
 * A published snapshot is immutable.
 *
 * Layout (offsets from the start of the snapshot, each array 8-byte aligned,
 * in this order; hs_snapshot_layout_bytes() computes the total):
 *
 *   array       element            bytes per element
 *   header      hs_snapshot        sizeof(hs_snapshot), once
 *   central     hs_snap_central    48, x HS_SNAP_NUM_SPAN_CLASSES
 *   procs       hs_snap_p          624, per P
 *   arenas      hs_snap_arena      16, per 64 MiB arena
 *   pages       uint8_t            1, per 8 KiB heap page  } 5 bytes a page
 *   page_span   int32_t            4, per 8 KiB heap page  }
 *   events      hs_snap_event      40, per event
 *   spans       hs_snap_span       48, per span
 *   cells       2-bit cells        1 per 4 objects, each span's cells starting
 *                                  on a byte (so at most ceil(nelems / 4))
 *
 * So a heap of P pages, S spans and O small-span objects costs about
 * 5 P + 48 S + O / 4 bytes beyond the fixed part: 0.06% of a heap of 1 KiB
 * objects, 1.6% of one of 16 B objects.
 */
#ifndef HEAPSCOPE_SNAPSHOT_H
#define HEAPSCOPE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 2: Green Tea (scan counters at the header's end, span queues in hs_snap_p,
 * span flags), class sizes in hs_snap_central, the GC's total CPU and the
 * pause flag.  3: what a running Go program read by src/attach/ adds.  An
 * older snapshot is not read as a newer one. */
#define HS_SNAPSHOT_VERSION 3
#define HS_SNAP_NUM_CLASSES 68
#define HS_SNAP_NUM_SPAN_CLASSES 136
#define HS_SNAP_MAX_PROCS 255 /* cached_by holds a P id + 1 in a byte */
#define HS_SNAP_RECENT_PAUSES 32
#define HS_SNAP_MAX_EVENTS 8192 /* at most this many events in one snapshot */
#define HS_SNAP_PAGES_PER_ARENA 8192
#define HS_SNAP_PAGE_SIZE 8192

/* What produced the snapshot, and so what it knows. */
typedef enum hs_snap_source {
    HS_SOURCE_RUNTIME = 1, /* heapscope's own runtime: exact tri-color cells */
    HS_SOURCE_ATTACH = 2,  /* a running Go program: marked or not; gray only in
                            * HS_SPAN_INLINE_MARKS spans with pointers */
} hs_snap_source;

/* One object's cell, 2 bits. */
/* Green Tea spans (HS_SPAN_INLINE_MARKS): gray = seen (inline mark bit) but
 * not yet scanned; black = seen and scanned, or seen in a pointer-free span. */
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
    HS_SWEEP_NEEDS = 0,        /* sg - 2: awaiting sweep */
    HS_SWEEP_SWEEPING = 1,     /* sg - 1 */
    HS_SWEEP_SWEPT = 2,        /* sg */
    HS_SWEEP_CACHED_STALE = 3, /* sg + 1: in an mcache since before the sweep */
    HS_SWEEP_CACHED = 4,       /* sg + 3: swept, then cached */
} hs_sweep_state;

/* Which mcentral set holds a span (hs_snap_span.central_set). */
typedef enum hs_central_set {
    HS_SET_NONE = 0, /* cached by a P, or on its way between places */
    HS_SET_PARTIAL_SWEPT = 1,
    HS_SET_PARTIAL_UNSWEPT = 2,
    HS_SET_FULL_SWEPT = 3,
    HS_SET_FULL_UNSWEPT = 4,
} hs_central_set;

/* hs_snap_span.flags */
enum {
    /* The span was being swept or moved throughout the capture: its cells read
     * as free and its counts as 0; the next snapshot has them. */
    HS_SPAN_CELLS_UNKNOWN = 1,
    /* Green Tea: the span's last 128 B are its inline mark bits (after a
     * 128 B pointer bitmap in scan spans), never objects: draw them reserved. */
    HS_SPAN_INLINE_MARKS = 2,
    /* Green Tea, during mark: the span waits in a span queue (its owned byte
     * is set); HS_SPAN_MANY_MARKS: more than one mark arrived while queued. */
    HS_SPAN_QUEUED = 4,
    HS_SPAN_MANY_MARKS = 8,
    /* Green Tea: a P (or the collector) is scanning the span right now. */
    HS_SPAN_SCANNING = 16,
};

/* One span, 48 bytes.  Its cells agree with its counts: alloc_count is the
 * number of cells that are not free. */
typedef struct hs_snap_span {
    uint64_t start; /* address */
    uint32_t npages;
    uint32_t page;       /* index of its first page in the page array */
    uint8_t spanclass;   /* sizeclass<<1 | noscan */
    uint8_t sweep;       /* hs_sweep_state */
    uint8_t cached_by;   /* P id + 1 when in an mcache, 0 otherwise */
    uint8_t central_set; /* hs_central_set */
    uint32_t elemsize;
    uint16_t nelems, alloc_count, freeindex, flags;
    uint32_t cells; /* offset of its first cell byte in the cells array (4 cells a byte) */
    uint32_t pad;
    int64_t age_ns; /* snapshot time - the span's allocation time (see below) */
} hs_snap_span;

/* A span's allocation time is kept in whole grains of 2^20 ns (about 1 ms)
 * since the source started: an age is t_ns less that, so every age of a
 * snapshot has the low bits of its t_ns (age_ns % grain == t_ns % grain).
 * A millisecond is finer than anything a view shows of an age (it fades over
 * seconds), and ages that share their low bits take a recording two or three
 * bytes a span, not four or five.  0 when the source keeps no allocation
 * times (an attached program). */
#define HS_SNAP_AGE_GRAIN_NS (INT64_C(1) << 20)

typedef struct hs_snap_arena {
    uint64_t base;       /* 64 MiB aligned */
    uint32_t first_page; /* index of its first page in the page array */
    uint32_t pad;
} hs_snap_arena;

/* One span class: its size, and its spans in the snapshot's span table, by
 * set.  48 bytes. */
typedef struct hs_snap_central {
    uint32_t partial_swept, partial_unswept, full_swept, full_unswept; /* spans */
    uint64_t objects_inuse, objects_free; /* in the spans of those sets */
    uint64_t nmalloc;                     /* spans handed to mcaches so far */
    uint32_t elemsize;                    /* object size of the class; 0 for class 0 */
    uint16_t npages, nelems;              /* of one span of the class */
} hs_snap_central;

typedef enum hs_p_status {
    HS_P_IDLE = 0,
    HS_P_RUNNING = 1,
    HS_P_ASSISTING = 2,
    HS_P_DEDICATED = 3,  /* dedicated mark worker */
    HS_P_FRACTIONAL = 4, /* fractional mark worker */
    HS_P_STOPPED = 5,    /* parked for stop-the-world */
} hs_p_status;

/* One P, 624 bytes.  Its cached span of class c, if any, is
 * hs_snap_spans(s)[mcache_span[c]]; that span's alloc_count / nelems is its
 * fill. */
typedef struct hs_snap_p {
    uint8_t status; /* hs_p_status */
    uint8_t pad[3];
    uint32_t tinyoffset;
    uint64_t tiny; /* address of the tiny block, 0 if none */
    uint64_t tiny_allocs, small_allocs, large_allocs;
    int64_t assist_ns, mark_worker_ns;             /* this cycle */
    int32_t mcache_span[HS_SNAP_NUM_SPAN_CLASSES]; /* span index, or -1 */
    /* Green Tea: its span queue, the private ring and the stealable chain */
    uint32_t spanq_ring, spanq_chain;              /* entries */
    uint64_t scanning;                             /* base of the span it scans, 0 if none */
    uint64_t span_steals;                          /* entries it stole, all cycles */
} hs_snap_p;

typedef enum hs_event_kind {
    HS_EV_PHASE = 1,    /* a = new hs_gcphase, b = cycle */
    HS_EV_PAUSE = 2,    /* a = pause length in ns */
    HS_EV_GC_START = 3, /* a = reason: 0 heap trigger, 1 forced, 2 periodic; b = cycle */
} hs_event_kind;

/* One event, 40 bytes.  seq numbers every event of a source from 0 without
 * gaps; a snapshot holds the events of the last events_window_ns (at most
 * HS_SNAP_MAX_EVENTS), so a reader that remembers the last seq it saw and
 * polls more often than that sees every event exactly once. */
typedef struct hs_snap_event {
    int64_t t_ns;  /* since the source started */
    uint32_t kind; /* hs_event_kind */
    uint32_t pad;
    int64_t a, b;
    uint64_t seq;
} hs_snap_event;

typedef struct hs_snapshot {
    /* ---- identity ---- */
    uint32_t size;          /* bytes of the whole snapshot, arrays included */
    uint32_t version;       /* HS_SNAPSHOT_VERSION */
    uint32_t source;        /* hs_snap_source */
    uint32_t world_stopped; /* taken with the world stopped: exact */
    uint64_t seq;
    int64_t t_ns;      /* since the source started */
    char workload[96]; /* e.g. "binary-trees:depth=18" */
    uint32_t nprocs;
    int32_t gogc;    /* -1: off */
    uint32_t gcmode; /* 0 classic, 1 Green Tea */
    uint32_t pad0;
    int64_t capture_ns; /* how long taking this snapshot took */
    /* ---- the collector ---- */
    uint32_t phase; /* hs_gcphase */
    uint32_t cycle;
    uint64_t heap_live, heap_goal, trigger, heap_marked, bytes_marked;
    uint64_t scan_work_done, scan_work_expected;
    int64_t assist_ns, dedicated_ns, fractional_ns, idle_ns; /* this cycle */
    uint32_t npauses_recent;
    uint32_t pad1;
    int64_t pauses_recent[HS_SNAP_RECENT_PAUSES];                     /* oldest first */
    int64_t pause_p50_ns, pause_p99_ns, pause_max_ns, pause_total_ns; /* p50, p99 within 1% */
    uint64_t pauses;
    uint32_t step_enabled, step_held;
    uint32_t step_phase; /* where the step controller holds (hs_gcphase) */
    uint32_t pad3;
    uint64_t step_objects_scanned;
    /* ---- scavenger and MemStats ---- */
    uint64_t released_bytes, scav_goal, scav_released_total;
    int64_t scav_last_ns; /* since the source started; -1: never */
    uint64_t HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects;
    uint64_t Mallocs, Frees, TotalAlloc, NumGC;
    /* ---- arrays, as offsets from the start of the snapshot ---- */
    uint32_t narenas, arenas_off;    /* hs_snap_arena[narenas] */
    uint32_t npages, pages_off;      /* uint8_t[npages]: hs_page_state */
    uint32_t nspans, spans_off;      /* hs_snap_span[nspans], by address */
    uint32_t ncell_bytes, cells_off; /* 2-bit cells, 4 a byte, low bits first */
    uint32_t page_span_off;          /* int32_t[npages]: span index or -1 */
    uint32_t central_off;            /* hs_snap_central[136] */
    uint32_t procs_off;              /* hs_snap_p[nprocs] */
    uint32_t nevents, events_off;    /* hs_snap_event[nevents] */
    uint32_t pad2;
    int64_t events_window_ns; /* the events cover at least this long */
    uint64_t events_lost;     /* events the source dropped so far */
    /* ---- since version 2 ---- */
    int64_t gc_cpu_total_ns; /* mark CPU of every cycle so far: assists, workers, idle */
    uint32_t world_paused;   /* the world is stopped on request (hs_control.pause) */
    uint32_t pad4;
    /* ---- marking, in the units of Go's gctrace=2 (version 2) ---- */
    uint64_t scan_objs_single;     /* this cycle: objects scanned one at a time */
    uint64_t scan_span_objs_sparse, scan_span_objs_dense; /* objects scanned in span scans */
    uint64_t scan_spans_one, scan_spans_sparse, scan_spans_dense; /* span scans */
    uint64_t span_steals;          /* all cycles */
    uint64_t step_spans_scanned;   /* this cycle, at the step hold */
    uint32_t ctl_spanq_ring, ctl_spanq_chain; /* the collector thread's own span queue */
    uint64_t ctl_scanning;         /* the span it scans, 0 if none */
    /* ---- since version 3: a running Go program read by src/attach/ ---------------
     * Zero for heapscope's own runtime. */
    int64_t freeze_pause_ns; /* --freeze: how long this frame kept the program stopped */
    uint32_t torn_spans;     /* spans whose read tore: shown as last read whole */
    uint32_t target_pid;     /* the program read */
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

/* The size of a snapshot with these array lengths: the layout table above. */
static inline size_t hs_snapshot_layout_bytes(size_t nprocs, size_t narenas, size_t npages,
                                              size_t nevents, size_t nspans, size_t ncell_bytes)
{
#define HS_SNAP_ALIGN8(n) (((n) + 7) & ~(size_t)7)
    return sizeof(hs_snapshot) + HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central) +
           nprocs * sizeof(hs_snap_p) + narenas * sizeof(hs_snap_arena) + HS_SNAP_ALIGN8(npages) +
           HS_SNAP_ALIGN8(npages * sizeof(int32_t)) + nevents * sizeof(hs_snap_event) +
           nspans * sizeof(hs_snap_span) + HS_SNAP_ALIGN8(ncell_bytes);
#undef HS_SNAP_ALIGN8
}

/* Check that a block of bytes is a snapshot this build understands.  Returns
 * NULL, or why: one sentence saying what is wrong (a version from the future,
 * a size that does not match, an offset out of bounds), cut to n bytes.  With
 * no buffer (why NULL) it still answers, without the details. */
const char *hs_snapshot_check(const hs_snapshot *s, size_t bytes, char *why, size_t n);

/* ---- publication -------------------------------------------------------------
 *
 * One writer (a capture thread, a replay clock, an attach reader) and any
 * number of readers.  Readers never block and never make the writer wait: a
 * reader holding a snapshot only keeps that one buffer from being reused.
 */
typedef struct hs_snapshot_publisher hs_snapshot_publisher;

/* NULL when out of memory. */
hs_snapshot_publisher *hs_snapshot_publisher_new(void);
/* Free the publisher and every buffer.  No reader may still hold a snapshot. */
void hs_snapshot_publisher_free(hs_snapshot_publisher *pub);

/* Reader: the newest published snapshot (NULL before the first), held until
 * hs_snapshot_release.  Lock-free; any thread. */
const hs_snapshot *hs_snapshot_acquire(hs_snapshot_publisher *pub);
void hs_snapshot_release(const hs_snapshot *s);

/* Writer (one thread at a time): a buffer no reader holds, of at least bytes
 * bytes, to fill.  Calling it again before publishing grows the same buffer,
 * keeping its contents (the returned address may move).  NULL when out of
 * memory. */
hs_snapshot *hs_snapshot_publisher_reserve(hs_snapshot_publisher *pub, size_t bytes);
/* Publish the reserved buffer (s, as last returned): readers see it now. */
void hs_snapshot_publisher_publish(hs_snapshot_publisher *pub, hs_snapshot *s);

typedef struct hs_publisher_stats {
    uint64_t published;   /* snapshots published */
    uint64_t allocations; /* buffers allocated or grown: flat in steady state */
    uint64_t bytes;       /* bytes of all buffers */
    uint32_t buffers;     /* 2 + the number of snapshots readers hold, at most */
    uint32_t pad;
} hs_publisher_stats;
hs_publisher_stats hs_snapshot_publisher_stats(hs_snapshot_publisher *pub);

/* ---- control: the one narrow way back to a source ----------------------------
 *
 * What a reader (the UI) may ask of the source its snapshots come from.  The
 * source decides at its own safe points; the answer shows in later snapshots
 * (world_paused, step_*, gogc, cycle).  A function left NULL is something
 * this source cannot do (a replayed recording steps no collector), and the
 * reader says so rather than pretend.  Calls come from the reader's thread and
 * return without waiting for the source.
 */
typedef enum hs_ctl_step {
    HS_CTL_STEP_PHASE = 0,   /* to the next phase boundary */
    HS_CTL_STEP_OBJECTS = 1, /* n more objects of mark work */
    HS_CTL_STEP_CYCLE = 2,   /* to the end of the cycle */
} hs_ctl_step;

typedef struct hs_control {
    void *ctx;
    void (*pause)(void *ctx, bool paused);   /* stop every P at a safe point, or resume */
    void (*gc)(void *ctx);                   /* start a GC cycle now */
    void (*stepping)(void *ctx, bool on);    /* hold at each phase boundary, or run */
    void (*step)(void *ctx, hs_ctl_step kind, uint64_t n); /* release a hold for one step */
    void (*set_gogc)(void *ctx, int gogc);   /* GC percent; < 0: off */
} hs_control;

/* ---- the snapshotter: heapscope's runtime as a source --------------------------
 *
 * Captures a runtime into a publisher: on its own thread at fps (and once
 * at each hold of the step controller, exact: world_stopped), and through
 * the runtime's phase hook at GC phase changes.  While the collector steps,
 * the hook captures on the collector's thread at every phase change and
 * after each step of N objects (exact but at the end of sweep).  Otherwise
 * it asks the thread for a frame at once (a pulled frame, taken beside the
 * mutators rather than inside the pause), when its last one was asked for
 * at least phase_gap_ns (default 1 ms) and 200 times that frame's capture
 * ago, so pulled frames cost at most about 0.5% of a CPU beyond the frames
 * at fps however fast cycles come; the events of every phase change reach
 * the snapshots regardless.  A negative phase_gap_ns captures every phase
 * change in the hook, world stopped.  Order of use:
 *
 *     hs_snapshotter *ss = hs_snapshotter_new(&opts);
 *     hs_config cfg = hs_config_default();  ...
 *     hs_snapshotter_hook(ss, &cfg);         // phase captures
 *     hs_runtime_new(&cfg, &rt);
 *     hs_snapshotter_start(ss, rt);
 *     ... readers use hs_snapshotter_publisher(ss) ...
 *     hs_snapshotter_stop(ss);
 *     hs_runtime_free(rt);
 *     hs_snapshotter_free(ss);               // after the runtime: it holds the hook
 */
struct hs_runtime;
struct hs_config;
typedef struct hs_snapshotter hs_snapshotter;

typedef struct hs_snapshotter_opts {
    int fps;                 /* captures per second on the thread; 0: 30 */
    const char *workload;    /* shown in every snapshot; NULL: "" */
    int64_t event_window_ns; /* how far back each snapshot's events go; 0: 1 s */
    int64_t phase_gap_ns;    /* see above; 0: 1 ms; < 0: capture every phase change, in the hook */
    bool no_phase_captures;  /* capture only on the thread (and at step holds, by it) */
} hs_snapshotter_opts;

/* NULL when out of memory. */
hs_snapshotter *hs_snapshotter_new(const hs_snapshotter_opts *o);
/* Install the phase hook (on_phase, on_phase_ctx) in a config before
 * hs_runtime_new.  Without it the snapshotter still captures at fps. */
void hs_snapshotter_hook(hs_snapshotter *ss, struct hs_config *cfg);
/* Begin capturing rt.  False if the capture thread could not start. */
bool hs_snapshotter_start(hs_snapshotter *ss, struct hs_runtime *rt);
/* Stop capturing; call before hs_runtime_free.  Snapshots stay readable. */
void hs_snapshotter_stop(hs_snapshotter *ss);
/* Capture and publish now, on this thread; returns the snapshot's seq, 0 if
 * no runtime is attached or memory ran out. */
uint64_t hs_snapshotter_capture(hs_snapshotter *ss);
hs_snapshot_publisher *hs_snapshotter_publisher(hs_snapshotter *ss);

/* What capturing has cost so far (any thread, never waits). */
typedef struct hs_snapshotter_stats {
    uint64_t captures;        /* snapshots taken, all kinds */
    uint64_t phase_captures;  /* of them, in the phase hook (inside a pause, mostly) */
    int64_t capture_ns;       /* time spent capturing, all kinds (wall clock) */
    int64_t phase_capture_ns; /* of it, in the phase hook: added to the collector's time */
    int64_t capture_cpu_ns;   /* CPU time of the capturing threads while capturing: less
                                 than capture_ns when they waited for a lock or a CPU */
    uint64_t pulled_captures; /* of the captures, frames the hook asked the thread for */
} hs_snapshotter_stats;
hs_snapshotter_stats hs_snapshotter_get_stats(hs_snapshotter *ss);
/* After hs_runtime_free (the runtime calls the hook until then). */
void hs_snapshotter_free(hs_snapshotter *ss);

#ifdef __cplusplus
}
#endif
#endif
