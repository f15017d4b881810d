/*
 * fill.c — one frame's records as a snapshot (heapscope/snapshot.h).
 *
 * What the snapshot says and where it comes from:
 *   cells       free unless the slot is below freeindex or its allocBits bit
 *               is set; then HS_CELL_WHITE unless its mark bit is set
 *               (gcmarkBits, or the inline marks), and marked, HS_CELL_BLACK,
 *               except in one case: HS_CELL_GRAY for an inline mark without
 *               its inline scan bit, read during mark in a span with pointers
 *               (Go 1.25+ Green Tea spans of 16-512 B objects).  Go records
 *               "seen, not yet scanned" there and nowhere else: every shading
 *               site first tries the span path, which sets the mark and
 *               queues the span (tryDeferToSpanScan); a span scan sets the
 *               scan bits of the objects it takes (spanSetScans); allocation
 *               during mark sets both (gcmarknewobject); a pointer-free
 *               span's seen objects need no scan and get no scan bit, so
 *               they are black.  Elsewhere (objects of 8 B or 576 B and up;
 *               Go without Green Tea: up to 1.25 unless built with
 *               GOEXPERIMENT=greenteagc, 1.26 with nogreenteagc) a marked
 *               object may still wait in a work buffer Go keeps no record
 *               of: black;
 *   flags       HS_SPAN_INLINE_MARKS for spans with an inline block, drawn
 *               reserved in the span view; during mark, HS_SPAN_QUEUED for
 *               one whose owned byte is set (tryDeferToSpanScan acquired it
 *               and queued it; scanSpan releases it as it starts), with
 *               HS_SPAN_MANY_MARKS when a second mark came meanwhile
 *               (spanScanManyMark);
 *   sweep       the span's sweepgen against mheap_.sweepgen (mgcsweep.go):
 *               sg-2 needs sweeping, sg-1 is being swept, sg swept, sg+1
 *               cached before the sweep, sg+3 swept and cached;
 *   central_set a span nobody caches is in its mcentral's partial or full
 *               set (by its fill), swept or unswept (by its sweepgen); a
 *               large span in class 0's full set, where allocLarge and the
 *               sweeper put it: Go's own span-set counts are approximate,
 *               the spans are not;
 *   phase       gcphase (_GCoff, _GCmark, _GCmarktermination); _GCoff with
 *               spans left to sweep shows as sweep;
 *   torn spans  a span whose read tore keeps the cells and counts it had in
 *               the last snapshot (same start, class and size); one not seen
 *               before is shown with HS_SPAN_CELLS_UNKNOWN.
 * MemStats' heap figures are computed from the walk, as Go's own are from
 * its spans: HeapAlloc is the bytes of allocated objects, HeapInuse the
 * bytes of in-use spans, HeapObjects the objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attachint.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

typedef struct offsets {
    size_t central, procs, arenas, pages, page_span, events, spans, cells, size;
} offsets;

static offsets lay_out(const rframe *f, size_t nevents, size_t ncell_bytes)
{
    offsets o;
    size_t npages = f->narenas * HS_SNAP_PAGES_PER_ARENA;
    o.central = sizeof(hs_snapshot);
    o.procs = o.central + HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central);
    o.arenas = o.procs + f->nprocs * sizeof(hs_snap_p);
    o.pages = o.arenas + f->narenas * sizeof(hs_snap_arena);
    o.page_span = o.pages + ALIGN8(npages);
    o.events = o.page_span + ALIGN8(npages * sizeof(int32_t));
    o.spans = o.events + nevents * sizeof(hs_snap_event);
    o.cells = o.spans + f->nspans * sizeof(hs_snap_span);
    o.size = o.cells + ALIGN8(ncell_bytes);
    return o;
}

static uint8_t sweep_state(uint32_t sg, uint32_t heap_sg)
{
    if (sg == heap_sg - 2)
        return HS_SWEEP_NEEDS;
    if (sg == heap_sg - 1)
        return HS_SWEEP_SWEEPING;
    if (sg == heap_sg + 1)
        return HS_SWEEP_CACHED_STALE;
    if (sg == heap_sg + 3)
        return HS_SWEEP_CACHED;
    return HS_SWEEP_SWEPT;
}

static uint8_t central_set(const hs_snap_span *sp)
{
    if (sp->cached_by != 0)
        return HS_SET_NONE;
    bool full = sp->alloc_count == sp->nelems;
    bool swept = sp->sweep == HS_SWEEP_SWEPT;
    return full ? (swept ? HS_SET_FULL_SWEPT : HS_SET_FULL_UNSWEPT)
                : (swept ? HS_SET_PARTIAL_SWEPT : HS_SET_PARTIAL_UNSWEPT);
}

/* The span of prev that starts at start, or NULL (spans are by address). */
static const hs_snap_span *prev_span(const hs_snapshot *prev, uint64_t start)
{
    if (prev == NULL)
        return NULL;
    const hs_snap_span *sp = hs_snap_spans(prev);
    size_t lo = 0, hi = prev->nspans;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sp[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < prev->nspans && sp[lo].start == start ? &sp[lo] : NULL;
}

/* The 8 bits of x spread to the even bits of 16: bit j to bit 2j. */
static uint32_t spread(uint32_t x)
{
    x = (x | x << 4) & 0x0f0f;
    x = (x | x << 2) & 0x3333;
    return (x | x << 1) & 0x5555;
}

void span_cells(const rspan *r, const uint8_t *bits, uint8_t *cells)
{
    uint32_t nb = (r->nelems + 7u) / 8;
    const uint8_t *alloc = bits, *mark = bits + nb, *imarks = mark + nb, *iscans = imarks + nb;
    bool gray = r->scans_read && !(r->spanclass & 1); /* pointer-free: seen is black */
    for (uint32_t k = 0; k < nb; k++) {
        uint32_t a = alloc[k], first = k * 8, n = r->nelems - first < 8 ? r->nelems - first : 8;
        if (r->freeindex >= first + 8)
            a = 0xff;
        else if (r->freeindex > first)
            a |= (1u << (r->freeindex - first)) - 1;
        a &= (1u << n) - 1;
        uint32_t m = a & (mark[k] | imarks[k]), g = gray ? a & imarks[k] & ~iscans[k] : 0;
        /* white 01, gray 10, black 11, free 00 */
        uint32_t c = spread(a & ~g) | spread(m) << 1;
        cells[2 * k] = (uint8_t)c;
        if (n > 4)
            cells[2 * k + 1] = (uint8_t)(c >> 8);
    }
}

/* One span's cells and counts; returns whether it was torn. */
static bool fill_cells(const rframe *f, const rspan *r, hs_snap_span *sp, uint8_t *cells,
                       const hs_snapshot *prev)
{
    memset(cells, 0, (r->nelems + 3u) / 4);
    if (r->torn) {
        const hs_snap_span *old = prev_span(prev, r->start);
        if (old != NULL && old->spanclass == r->spanclass && old->nelems == r->nelems &&
            !(old->flags & HS_SPAN_CELLS_UNKNOWN)) {
            memcpy(cells, hs_snap_at(prev, prev->cells_off + old->cells), (r->nelems + 3u) / 4);
            /* Kept from a frame in mark into one after it: Go has no gray
             * outside mark, so what was gray (10) is marked, black (11). */
            if (f->gcphase == 0)
                for (uint32_t k = 0; k < (r->nelems + 3u) / 4; k++)
                    cells[k] |= (uint8_t)((cells[k] >> 1) & 0x55);
            sp->alloc_count = old->alloc_count;
            sp->freeindex = old->freeindex;
        } else {
            sp->alloc_count = 0;
            sp->flags |= HS_SPAN_CELLS_UNKNOWN;
        }
        return true;
    }
    span_cells(r, f->bits + r->bits, cells);
    return false;
}

static bool grown(const rframe *f, uint64_t addr)
{
    for (size_t i = 0; i < f->ngrown; i++)
        if (addr >= f->grown[i][0] && addr < f->grown[i][1])
            return true;
    return false;
}

/* The pages no span of the heap holds: never used (outside what the page
 * allocator has grown into), released (scavenged) or free; a page the
 * allocator holds for something else (a goroutine stack) shows as free but
 * counts in neither idle nor released, as in Go's MemStats. */
static void fill_pages(const rframe *f, hs_snapshot *s, const offsets *o)
{
    uint8_t *pages = (uint8_t *)s + o->pages;
    uint64_t idle = 0, released = 0;
    for (size_t k = 0; k < f->narenas; k++) {
        const rarena *a = &f->arenas[k];
        uint8_t *pg = pages + k * HS_SNAP_PAGES_PER_ARENA;
        for (uint32_t i = 0; i < HS_SNAP_PAGES_PER_ARENA; i++) {
            uint32_t c = i / 512, b = i % 512;
            bool used = a->have_palloc && (a->palloc[c][0][b / 8] >> (b % 8) & 1);
            bool scav = a->have_palloc && (a->palloc[c][1][b / 8] >> (b % 8) & 1);
            if (f->have_grown && !grown(f, a->base + (uint64_t)i * HS_SNAP_PAGE_SIZE))
                pg[i] = HS_PAGE_UNUSED;
            else
                pg[i] = !used && scav ? HS_PAGE_RELEASED : HS_PAGE_FREE;
            idle += pg[i] == HS_PAGE_FREE && !used;
            released += pg[i] == HS_PAGE_RELEASED;
        }
    }
    s->HeapIdle = (idle + released) * HS_SNAP_PAGE_SIZE;
    s->HeapReleased = released * HS_SNAP_PAGE_SIZE;
    s->released_bytes = s->HeapReleased;
}

/* Spans, pages and cells; returns the torn count. */
static uint32_t fill_spans(const rframe *f, hs_snapshot *s, const offsets *o,
                           const hs_snapshot *prev)
{
    hs_snap_span *spans = (hs_snap_span *)((char *)s + o->spans);
    uint8_t *pages = (uint8_t *)s + o->pages, *cells = (uint8_t *)s + o->cells;
    int32_t *page_span = (int32_t *)(void *)((char *)s + o->page_span);
    size_t npages = f->narenas * HS_SNAP_PAGES_PER_ARENA;
    for (size_t i = 0; i < npages; i++)
        page_span[i] = -1;
    uint32_t cell = 0, torn = 0;
    for (size_t i = 0; i < f->nspans; i++) {
        const rspan *r = &f->spans[i];
        hs_snap_span *sp = &spans[i];
        *sp = (hs_snap_span){.start = r->start,
                             .npages = r->npages,
                             .page = r->page,
                             .spanclass = r->spanclass,
                             .elemsize = r->elemsize,
                             .nelems = r->nelems,
                             .alloc_count = r->alloc_count,
                             .freeindex = r->freeindex,
                             .cells = cell};
        sp->sweep = sweep_state(r->sweepgen, f->sweepgen);
        sp->cached_by = (uint8_t)(r->cached_by + 1);
        if (r->inline_marks) /* Green Tea keeps marks in the span (Go 1.25+) */
            sp->flags |= HS_SPAN_INLINE_MARKS;
        if (r->owned != 0) /* acquired for a scan: waiting in a span queue */
            sp->flags |= HS_SPAN_QUEUED |
                         (f->many_mark != 0 && r->owned >= f->many_mark ? HS_SPAN_MANY_MARKS : 0);
        torn += fill_cells(f, r, sp, cells + cell, prev);
        s->gcmode |= r->inline_marks;
        sp->central_set = central_set(sp);
        cell += (r->nelems + 3u) / 4;
        uint8_t st = r->spanclass >> 1 ? HS_PAGE_SMALL : HS_PAGE_LARGE;
        for (uint32_t p = r->page; p < r->page + r->npages && p < npages; p++) {
            pages[p] = st;
            page_span[p] = (int32_t)i;
        }
    }
    return torn;
}

static void fill_central(const rframe *f, hs_snapshot *s, const offsets *o)
{
    hs_snap_central *ct = (hs_snap_central *)((char *)s + o->central);
    const hs_snap_span *spans = (const hs_snap_span *)((const char *)s + o->spans);
    memset(ct, 0, HS_SNAP_NUM_SPAN_CLASSES * sizeof *ct);
    for (int c = 2; c < HS_SNAP_NUM_SPAN_CLASSES; c++) {
        ct[c].elemsize = f->class_size[c >> 1];
        ct[c].npages = f->class_npages[c >> 1];
        if (ct[c].elemsize > 0)
            ct[c].nelems = (uint16_t)(ct[c].npages * HS_SNAP_PAGE_SIZE / ct[c].elemsize);
    }
    for (uint32_t i = 0; i < s->nspans; i++) {
        const hs_snap_span *sp = &spans[i];
        hs_snap_central *c = &ct[sp->spanclass];
        if (sp->spanclass >> 1 != 0) {
            c->nelems = sp->nelems; /* the span's own: after headers and inline marks */
            c->elemsize = sp->elemsize;
            c->npages = (uint16_t)sp->npages;
        }
        uint32_t *set[] = {NULL, &c->partial_swept, &c->partial_unswept, &c->full_swept,
                           &c->full_unswept};
        if (sp->central_set == HS_SET_NONE)
            continue;
        (*set[sp->central_set])++;
        c->objects_inuse += sp->alloc_count;
        c->objects_free += sp->nelems - sp->alloc_count;
    }
}

static uint8_t p_status(const rproc *p)
{
    switch (p->status) {
    case 1: /* _Prunning */
    case 2: /* _Psyscall */
        return p->worker_mode == 1   ? HS_P_DEDICATED
               : p->worker_mode == 2 ? HS_P_FRACTIONAL
                                     : HS_P_RUNNING;
    case 3: /* _Pgcstop */
        return HS_P_STOPPED;
    default:
        return HS_P_IDLE;
    }
}

static void fill_procs(const rframe *f, hs_snapshot *s, const offsets *o)
{
    hs_snap_p *ps = (hs_snap_p *)((char *)s + o->procs);
    for (size_t i = 0; i < f->nprocs; i++) {
        const rproc *p = &f->procs[i];
        hs_snap_p *q = &ps[i];
        memset(q, 0, sizeof *q);
        q->status = p_status(p);
        q->tiny = p->tiny;
        q->tinyoffset = (uint32_t)p->tinyoffset;
        q->tiny_allocs = p->tiny_allocs;
        for (int c = 0; c < HS_SNAP_NUM_SPAN_CLASSES; c++)
            q->mcache_span[c] = p->mcache == 0 ? -1 : p->span[c];
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The last pauses from memstats.pause_ns, a ring indexed by numgc. */
static void fill_pauses(const rframe *f, hs_snapshot *s)
{
    uint32_t n = f->numgc < 256 ? f->numgc : 256;
    int64_t sorted[256];
    for (uint32_t k = 0; k < n; k++) /* oldest first */
        sorted[k] = (int64_t)f->pause_ns[(f->numgc - n + k + 256) % 256];
    uint32_t recent = n < HS_SNAP_RECENT_PAUSES ? n : HS_SNAP_RECENT_PAUSES;
    memcpy(s->pauses_recent, sorted + (n - recent), recent * sizeof(int64_t));
    s->npauses_recent = recent;
    qsort(sorted, n, sizeof sorted[0], cmp_i64);
    if (n > 0) {
        s->pause_p50_ns = sorted[(n - 1) / 2];
        s->pause_p99_ns = sorted[(n * 99 + 99) / 100 - 1];
        s->pause_max_ns = sorted[n - 1];
    }
    s->pause_total_ns = (int64_t)f->pause_total;
    s->pauses = f->numgc;
}

static void fill_memstats(const rframe *f, hs_snapshot *s)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    uint64_t alloc = 0, inuse = 0, objects = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        alloc += (uint64_t)sp[i].alloc_count * sp[i].elemsize;
        inuse += (uint64_t)sp[i].npages * HS_SNAP_PAGE_SIZE;
        objects += sp[i].alloc_count;
    }
    s->HeapAlloc = alloc;
    s->HeapInuse = inuse;
    s->HeapObjects = objects;
    s->HeapSys = s->HeapIdle + inuse;
    s->NumGC = f->numgc;
    s->Mallocs = f->mallocs;
    s->Frees = f->frees;
    s->TotalAlloc = f->total_alloc;
}

uint32_t frame_phase(const rframe *f)
{
    if (f->gcphase == 1) /* _GCmark */
        return PHASE_MARK;
    if (f->gcphase == 2) /* _GCmarktermination */
        return PHASE_MARK_TERMINATION;
    for (size_t i = 0; i < f->nspans; i++)
        if (f->spans[i].sweepgen == f->sweepgen - 2 || f->spans[i].sweepgen == f->sweepgen - 1)
            return PHASE_SWEEP;
    return PHASE_OFF;
}

static void fill_header(const rframe *f, fill_ctx *c, hs_snapshot *s, const offsets *o)
{
    memset(s, 0, sizeof *s);
    s->size = (uint32_t)o->size;
    s->version = HS_SNAPSHOT_VERSION;
    s->source = HS_SOURCE_ATTACH;
    s->world_stopped = c->frozen;
    s->seq = c->seq;
    s->t_ns = c->t_ns;
    snprintf(s->workload, sizeof s->workload, "%s", c->label);
    s->nprocs = (uint32_t)f->nprocs;
    s->gogc = f->gogc < 0 ? -1 : f->gogc;
    s->capture_ns = c->frame_ns;
    s->cycle = f->cycles;
    s->heap_live = f->heap_live;
    s->heap_goal = f->heap_goal;
    s->heap_marked = f->heap_marked;
    s->scan_work_done = f->scan_done; /* the GC bar's mark progress */
    s->scan_work_expected = f->scan_expected;
    s->narenas = (uint32_t)f->narenas;
    s->arenas_off = (uint32_t)o->arenas;
    s->npages = (uint32_t)(f->narenas * HS_SNAP_PAGES_PER_ARENA);
    s->pages_off = (uint32_t)o->pages;
    s->page_span_off = (uint32_t)o->page_span;
    s->nspans = (uint32_t)f->nspans;
    s->spans_off = (uint32_t)o->spans;
    s->cells_off = (uint32_t)o->cells;
    s->central_off = (uint32_t)o->central;
    s->procs_off = (uint32_t)o->procs;
    s->nevents = (uint32_t)c->nevents;
    s->events_off = (uint32_t)o->events;
    s->events_window_ns = 1000000000;
    s->events_lost = c->events_lost;
    s->freeze_pause_ns = c->pause_ns;
    s->target_pid = c->target_pid;
    s->phase = frame_phase(f);
}

long fill_publish(const rframe *f, fill_ctx *c, hs_snapshot_publisher *pub)
{
    size_t ncell_bytes = 0;
    for (size_t i = 0; i < f->nspans; i++)
        ncell_bytes += (f->spans[i].nelems + 3u) / 4;
    offsets o = lay_out(f, c->nevents, ncell_bytes);
    if (o.size > UINT32_MAX)
        return -1;
    hs_snapshot *s = hs_snapshot_publisher_reserve(pub, o.size);
    if (s == NULL)
        return -1;
    fill_header(f, c, s, &o);
    s->ncell_bytes = (uint32_t)ncell_bytes;
    memset((char *)s + o.cells, 0, o.size - o.cells);
    hs_snap_arena *ar = (hs_snap_arena *)((char *)s + o.arenas);
    for (size_t i = 0; i < f->narenas; i++)
        ar[i] = (hs_snap_arena){.base = f->arenas[i].base,
                                .first_page = (uint32_t)(i * HS_SNAP_PAGES_PER_ARENA)};
    fill_pages(f, s, &o);
    s->torn_spans = fill_spans(f, s, &o, c->prev);
    fill_central(f, s, &o);
    fill_procs(f, s, &o);
    fill_pauses(f, s);
    fill_memstats(f, s);
    memcpy((char *)s + o.events, c->events, c->nevents * sizeof(hs_snap_event));
    hs_snapshot_publisher_publish(pub, s);
    return (long)s->torn_spans;
}
