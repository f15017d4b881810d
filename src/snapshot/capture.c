/*
 * capture.c — one snapshot of a live runtime: the collector's state, the
 * heap (heapwalk.c), the Ps, the scavenger, MemStats and the recent events,
 * laid out in one buffer of the publisher.
 *
 * Steps, each reading the runtime with atomic loads and short lock holds:
 *   1. the step controller's state (gc.lock, briefly) — read again at the end:
 *      a snapshot taken while the collector holds, world stopped, from start
 *      to end, is exact (world_stopped = 1), as is one taken within one
 *      user's pause (every P and background worker parked) and one from the
 *      phase hook;
 *   2. the collector's new events into the event log, the pause statistics
 *      brought up to the runtime's count (eventlog.c, pausestats.c);
 *   3. the arena list (mheap.lock, a copy), and the fixed part of the layout:
 *      header, central table, Ps, arenas, pages, page-to-span map;
 *   4. pass 1 of the heap walk fills arenas, pages and the map and counts the
 *      spans and their cells; now the whole size is known: grow the buffer
 *      (only when the heap grew) and lay out events, spans, cells;
 *   5. pass 2 fills spans and cells; then Ps (whose mcache spans are matched
 *      against the spans pass 2 found cached), the central table (counted from
 *      the span table, so the two agree), collector, scavenger and MemStats.
 * The buffer and every scratch array are reused frame after frame: in steady
 * state a capture allocates nothing.
 *
 * RUNTIME REQUESTS:
 *   - hs_gc_pauses_since(rt, from, out, n), so a resync copies only what is new;
 *   - a chunk-level page allocator accessor (64 pages per call instead of one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/capture.h"

capturer *capturer_new(const char *workload, int64_t eventWindowNs)
{
    capturer *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    snprintf(c->workload, sizeof(c->workload), "%s", workload ? workload : "");
    c->eventWindowNs = eventWindowNs;
    c->walk.fastCells = cells_fast_usable();
    pausestats_init(&c->pauses);
    return c;
}

void capturer_free(capturer *c)
{
    if (c == NULL)
        return;
    pausestats_destroy(&c->pauses);
    heapwalk_destroy(&c->walk);
    free(c);
}

/* ---- layout --------------------------------------------------------------------------- */

typedef struct layout {
    uint32_t central, procs, arenas, pages, pageSpan; /* fixed before pass 1 */
    uint32_t events, spans, cells, size;              /* after pass 1 */
} layout;

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Offsets of the fixed part; returns its size. */
static size_t layoutFixed(layout *l, size_t nprocs, size_t narenas, size_t npages)
{
    size_t off = sizeof(hs_snapshot);
    l->central = (uint32_t)off;
    off += numSpanClasses * sizeof(hs_snap_central);
    l->procs = (uint32_t)off;
    off += nprocs * sizeof(hs_snap_p);
    l->arenas = (uint32_t)off;
    off += narenas * sizeof(hs_snap_arena);
    l->pages = (uint32_t)off;
    off += align8(npages);
    l->pageSpan = (uint32_t)off;
    off += align8(npages * sizeof(int32_t));
    return off;
}

/* Offsets of the rest; returns the total size, 0 if it passes 4 GiB. */
static size_t layoutRest(layout *l, size_t fixed, size_t nevents, size_t nspans, size_t ncells)
{
    size_t off = fixed;
    l->events = (uint32_t)off;
    off += nevents * sizeof(hs_snap_event);
    l->spans = (uint32_t)off;
    off += nspans * sizeof(hs_snap_span);
    l->cells = (uint32_t)off;
    off += align8(ncells);
    if (off > UINT32_MAX)
        return 0;
    l->size = (uint32_t)off;
    return off;
}

static void *at(hs_snapshot *s, uint32_t off)
{
    return (char *)s + off;
}

/* Zero the alignment padding after an array of n bytes at off. */
static void zeroTail(hs_snapshot *s, uint32_t off, size_t n)
{
    memset((char *)at(s, off) + n, 0, align8(n) - n);
}

/* ---- the collector, the scavenger, MemStats ---------------------------------------------- */

static void fillCollector(hs_snapshot *s, hs_runtime *rt, const hs_gc_summary *sum)
{
    gcstate *gc = &rt->gc;
    s->phase = atomic_load_u32(&gc->phase);
    s->cycle = atomic_load_u32(&gc->cycle);
    s->heap_live = atomic_load_u64(&rt->heap.heapLive);
    s->heap_goal = atomic_load_u64(&gc->heapGoal);
    s->trigger = atomic_load_u64(&gc->trigger);
    s->bytes_marked = atomic_load_u64(&gc->bytesMarked);
    s->scan_work_done = atomic_load_u64(&gc->heapScanWork);
    pthread_mutex_lock(&gc->lock); /* mark termination writes these under it */
    s->heap_marked = gc->heapMarked;
    uint64_t lastScan = gc->lastHeapScan;
    s->world_paused = gc->paused;
    pthread_mutex_unlock(&gc->lock);
    s->scan_work_expected = lastScan + atomic_load_relaxed_u64(&gc->stacksScan) +
                            atomic_load_relaxed_u64(&gc->globalsScan);
    s->assist_ns = atomic_load_i64(&gc->assistNs);
    s->dedicated_ns = atomic_load_i64(&gc->dedicatedNs);
    s->fractional_ns = atomic_load_i64(&gc->fractionalNs);
    s->idle_ns = atomic_load_i64(&gc->idleNs);
    s->pauses = sum->pauses;
    s->pause_total_ns = sum->pause_total_ns;
    s->pause_max_ns = sum->pause_max_ns;
    s->gc_cpu_total_ns = sum->mark_assist_ns + sum->mark_dedicated_ns + sum->mark_fractional_ns +
                         sum->mark_idle_ns;
}

static void fillStep(hs_snapshot *s, const hs_step_state *st)
{
    s->step_enabled = st->enabled;
    s->step_held = st->held;
    s->step_phase = st->phase;
    s->step_objects_scanned = st->objects_scanned;
    s->step_spans_scanned = st->spans_scanned;
}

/* This cycle's scan counters (Green Tea's span scans; classic: objects). */
static void fillScan(hs_snapshot *s, hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    s->scan_objs_single = atomic_load_u64(&gc->scanCycleTotal.objs_single);
    s->scan_span_objs_sparse = atomic_load_u64(&gc->scanCycleTotal.span_objs_sparse);
    s->scan_span_objs_dense = atomic_load_u64(&gc->scanCycleTotal.span_objs_dense);
    s->scan_spans_one = atomic_load_u64(&gc->scanCycleTotal.spans_one);
    s->scan_spans_sparse = atomic_load_u64(&gc->scanCycleTotal.spans_sparse);
    s->scan_spans_dense = atomic_load_u64(&gc->scanCycleTotal.spans_dense);
    s->span_steals = atomic_load_u64(&gc->spanSteals);
    s->ctl_spanq_ring = spanq_len(rt, &gc->ctlgcw.spanq, &s->ctl_spanq_chain);
    s->ctl_scanning = atomic_load_relaxed_uptr(&gc->ctlgcw.scanning);
}

/* Flag the span a P scans (spans are by address). */
static void markScanning(hs_snap_span *spans, uint32_t n, uint64_t base)
{
    uint32_t lo = 0, hi = n;
    while (base != 0 && lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (spans[mid].start == base) {
            spans[mid].flags |= HS_SPAN_SCANNING;
            return;
        }
        if (spans[mid].start < base)
            lo = mid + 1;
        else
            hi = mid;
    }
}

static void fillMemStats(hs_snapshot *s, hs_runtime *rt, const hs_gc_summary *sum)
{
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    s->HeapAlloc = ms.HeapAlloc;
    s->HeapSys = ms.HeapSys;
    s->HeapIdle = ms.HeapIdle;
    s->HeapInuse = ms.HeapInuse;
    s->HeapReleased = ms.HeapReleased;
    s->HeapObjects = ms.HeapObjects;
    s->Mallocs = ms.Mallocs;
    s->Frees = ms.Frees;
    s->TotalAlloc = ms.TotalAlloc;
    s->NumGC = sum->cycles;
    s->released_bytes = ms.HeapReleased;
    s->scav_goal = atomic_load_u64(&rt->scav.goal);
    s->scav_released_total = atomic_load_u64(&rt->scav.released);
    int64_t last = atomic_load_i64(&rt->scav.lastRun);
    s->scav_last_ns = last ? last - rt->startTime : -1;
}

/* ---- Ps ---------------------------------------------------------------------------------- */

static uint8_t pStatusOf(uint32_t status, uint32_t activity)
{
    if (status == Pgcstop)
        return HS_P_STOPPED;
    if (status != Prunning)
        return HS_P_IDLE; /* idle, or lent to the collector for a moment */
    switch (activity) {
    case actAssist:
        return HS_P_ASSISTING;
    case actDedicated:
        return HS_P_DEDICATED;
    case actFractional:
        return HS_P_FRACTIONAL;
    case actIdle:
        return HS_P_IDLE;
    default:
        return HS_P_RUNNING;
    }
}

/* The P's mcache spans, matched against the spans read as cached. */
static void fillMcache(const heapwalk *hw, mheap *h, const mcache *mc, uint32_t id, hs_snap_p *out,
                       hs_snap_span *spans)
{
    for (int c = 0; c < numSpanClasses; c++) {
        const mspan *s = atomic_load_acq_ptr((void *const *)&mc->alloc[c]);
        int32_t idx = s == &h->emptymspan ? -1 : heapwalk_cachedIndex(hw, s);
        if (idx >= 0 && spans[idx].cached_by != 0)
            idx = -1; /* claimed by another P: this pointer is stale */
        if (idx >= 0)
            spans[idx].cached_by = (uint8_t)(id + 1);
        out->mcache_span[c] = idx;
    }
}

static void fillProc(const heapwalk *hw, hs_runtime *rt, hs_p *pp, hs_snap_p *out,
                     hs_snap_span *spans)
{
    const mcache *mc = &pp->mcache;
    memset(out, 0, sizeof(*out));
    out->status = pStatusOf(atomic_load_u32(&pp->status), atomic_load_relaxed_u32(&pp->activity));
    out->tiny_allocs = atomic_load_relaxed_u64((uint64_t *)&mc->tinyAllocs);
    for (int i = 1; i < numSizeClasses; i++)
        out->small_allocs += atomic_load_relaxed_u64((uint64_t *)&mc->smallAllocCount[i]);
    out->large_allocs = atomic_load_relaxed_u64((uint64_t *)&mc->largeAllocCount);
    out->tiny = atomic_load_relaxed_uptr(&mc->tiny);
    out->tinyoffset = (uint32_t)atomic_load_relaxed_uptr(&mc->tinyoffset);
    out->assist_ns = atomic_load_relaxed_i64(&pp->assistNs);
    out->mark_worker_ns = atomic_load_relaxed_i64(&pp->dedicatedNs) +
                          atomic_load_relaxed_i64(&pp->fractionalNs);
    out->spanq_ring = spanq_len(rt, &pp->gcw.spanq, &out->spanq_chain);
    out->scanning = atomic_load_relaxed_uptr(&pp->gcw.scanning);
    out->span_steals = atomic_load_relaxed_u64(&pp->gcw.stealsTotal);
    fillMcache(hw, &rt->heap, mc, (uint32_t)pp->id, out, spans);
}

/* ---- the central table, from the span table ------------------------------------------------ */

static void fillCentral(hs_snapshot *s, hs_runtime *rt, const hs_snap_span *spans)
{
    hs_snap_central *ct = at(s, s->central_off);
    memset(ct, 0, numSpanClasses * sizeof(*ct));
    for (uint32_t i = 0; i < s->nspans; i++) {
        hs_snap_central *c = &ct[spans[i].spanclass];
        uint32_t *set[] = {NULL, &c->partial_swept, &c->partial_unswept, &c->full_swept,
                           &c->full_unswept}; /* by hs_central_set */
        if (spans[i].central_set == HS_SET_NONE || spans[i].central_set > HS_SET_FULL_UNSWEPT)
            continue;
        (*set[spans[i].central_set])++;
        c->objects_inuse += spans[i].alloc_count;
        c->objects_free += spans[i].nelems - spans[i].alloc_count;
    }
    for (int c = 0; c < numSpanClasses; c++) {
        ct[c].nmalloc = atomic_load_relaxed_u64(&rt->heap.central[c].nmalloc);
        ct[c].elemsize = class_to_size[c >> 1];
        ct[c].npages = class_to_allocnpages[c >> 1];
        ct[c].nelems = c >> 1 ? spanClass_nelems((spanClass)c, rt->cfg.gcmode) : 0;
    }
}

/* ---- one capture ---------------------------------------------------------------------------- */

static void fillIdentity(capturer *c, hs_snapshot *s, hs_runtime *rt, uint32_t nprocs, int64_t now)
{
    memset(s, 0, sizeof(*s));
    s->version = HS_SNAPSHOT_VERSION;
    s->source = HS_SOURCE_RUNTIME;
    s->seq = ++c->seq;
    s->t_ns = now - rt->startTime;
    memcpy(s->workload, c->workload, sizeof(s->workload));
    s->nprocs = nprocs;
    int gogc = hs_get_gogc(rt);
    s->gogc = gogc < 0 ? -1 : gogc;
    s->gcmode = rt->cfg.gcmode;
    s->events_window_ns = c->eventWindowNs;
    s->events_lost = c->events.lost;
}

bool step_same_hold(const hs_step_state *a, const hs_step_state *b)
{
    return a->held && b->held && a->phase == b->phase && a->cycle == b->cycle &&
           a->objects_scanned == b->objects_scanned;
}

bool world_same_stop(const hs_step_state *a, const hs_step_state *b)
{
    return step_same_hold(a, b) || (a->paused && b->paused && a->pause_seq == b->pause_seq);
}

/* Steps 3-4: the fixed part and pass 1; returns the fixed size, 0 on failure. */
static size_t capturePages(capturer *c, hs_runtime *rt, hs_snapshot_publisher *pub, layout *l,
                           uint32_t nprocs)
{
    heapwalk *hw = &c->walk;
    if (!heapwalk_arenas(hw, rt))
        return 0;
    size_t npages = hw->narenas * pagesPerArena;
    size_t fixed = layoutFixed(l, nprocs, hw->narenas, npages);
    hs_snapshot *s = hs_snapshot_publisher_reserve(pub, fixed);
    if (s == NULL || !heapwalk_pages(hw, rt, at(s, l->arenas), at(s, l->pages), at(s, l->pageSpan)))
        return 0;
    zeroTail(s, l->pages, npages);
    zeroTail(s, l->pageSpan, npages * sizeof(int32_t));
    return fixed;
}

static void setOffsets(hs_snapshot *s, const layout *l, const heapwalk *hw, size_t nevents)
{
    s->size = l->size;
    s->central_off = l->central;
    s->procs_off = l->procs;
    s->narenas = (uint32_t)hw->narenas;
    s->arenas_off = l->arenas;
    s->npages = (uint32_t)(hw->narenas * pagesPerArena);
    s->pages_off = l->pages;
    s->page_span_off = l->pageSpan;
    s->nevents = (uint32_t)nevents;
    s->events_off = l->events;
    s->nspans = (uint32_t)hw->nents;
    s->spans_off = l->spans;
    s->ncell_bytes = hw->cellBytes;
    s->cells_off = l->cells;
}

/* Step 5 after pass 2: Ps and the central table. */
static void fillProcsAndCentral(capturer *c, hs_runtime *rt, hs_snapshot *s)
{
    hs_snap_span *spans = at(s, s->spans_off);
    hs_snap_p *procs = at(s, s->procs_off);
    for (uint32_t i = 0; i < s->nprocs; i++) {
        fillProc(&c->walk, rt, rt->allp[i], &procs[i], spans);
        markScanning(spans, s->nspans, procs[i].scanning);
    }
    fillCentral(s, rt, spans);
}

void capturer_poll(capturer *c, hs_runtime *rt)
{
    if (eventlog_poll(&c->events, rt, pausestats_event, &c->pauses))
        c->pauses.lostEvents = true;
}

/* Step 2: the new events and pauses; returns the collector's totals. */
static hs_gc_summary captureEvents(capturer *c, hs_runtime *rt)
{
    bool lost = eventlog_poll(&c->events, rt, pausestats_event, &c->pauses);
    hs_gc_summary sum = hs_gc_get_summary(rt); /* after the events: see pausestats.c */
    pausestats_update(&c->pauses, rt, sum.pauses, lost);
    return sum;
}

/* Steps 3-4: pass 1, then the whole layout, identity and events.  NULL when
 * out of memory. */
static hs_snapshot *captureLayout(capturer *c, hs_runtime *rt, hs_snapshot_publisher *pub,
                                  layout *l)
{
    uint32_t nprocs = rt->nprocs < HS_SNAP_MAX_PROCS ? (uint32_t)rt->nprocs : HS_SNAP_MAX_PROCS;
    size_t fixed = capturePages(c, rt, pub, l, nprocs);
    int64_t now = nanotime(&rt->sys);
    uint64_t first;
    size_t nev = eventlog_window(&c->events, now - rt->startTime, c->eventWindowNs, &first);
    size_t total = fixed ? layoutRest(l, fixed, nev, c->walk.nents, c->walk.cellBytes) : 0;
    hs_snapshot *s = total ? hs_snapshot_publisher_reserve(pub, total) : NULL;
    if (s == NULL)
        return NULL;
    fillIdentity(c, s, rt, nprocs, now);
    setOffsets(s, l, &c->walk, nev);
    eventlog_copy(&c->events, first, nev, at(s, l->events));
    zeroTail(s, l->cells, c->walk.cellBytes);
    return s;
}

hs_snapshot *capturer_capture(capturer *c, hs_runtime *rt, hs_snapshot_publisher *pub,
                              bool world_stopped)
{
    int64_t t0 = nanotime(&rt->sys);
    hs_step_state st0 = hs_gc_step_state(rt);
    hs_gc_summary sum = captureEvents(c, rt);
    layout l;
    hs_snapshot *s = captureLayout(c, rt, pub, &l);
    c->walk.exempt = world_stopped || st0.held || st0.paused;
    if (s == NULL ||
        !heapwalk_spans(&c->walk, rt, at(s, l.spans), at(s, l.cells), s->t_ns))
        return NULL;
    fillProcsAndCentral(c, rt, s);
    fillCollector(s, rt, &sum);
    fillScan(s, rt);
    markScanning(at(s, s->spans_off), s->nspans, s->ctl_scanning);
    fillMemStats(s, rt, &sum);
    pausestats_fill(&c->pauses, s);
    hs_step_state st1 = hs_gc_step_state(rt);
    fillStep(s, &st0);
    s->world_stopped = world_stopped || world_same_stop(&st0, &st1);
    s->capture_ns = nanotime(&rt->sys) - t0;
    return s;
}
