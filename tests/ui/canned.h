/*
 * canned.h — snapshots built by hand for the UI tests: small, exact, and the
 * same on every machine, so the views' screens can be compared with golden
 * files.  The class sizes come from the runtime's table (a test may link the
 * runtime; the UI may not).
 *
 * The heap: one arena at 0xc000000000, 2 Ps, in mark.
 *   span 0  page 0      class 5 (48 B) scan, 170 objects: 40 black, 20 gray,
 *                       40 white, the rest free; freeindex 100; cached by P0
 *   span 1  page 1      class 2 (16 B) noscan, 512 objects, 300 white;
 *                       mcentral partial swept
 *   span 2  pages 2-5   a large object of 32 KiB, black; full swept
 *   span 3  page 6      class 26 (512 B) scan, 16 objects all white, awaiting
 *                       sweep; partial unswept
 *   pages 7-15 free, 16-31 released, the rest never used.
 */
#ifndef HS_TESTS_UI_CANNED_H
#define HS_TESTS_UI_CANNED_H

#include <stdlib.h>
#include <string.h>

#include "heapscope/runtime.h"
#include "heapscope/snapshot.h"

#define CANNED_NSPANS 4

typedef struct canned_span {
    uint32_t page, npages;
    uint8_t spanclass, sweep, cached_by, central_set;
    uint32_t elemsize;
    uint16_t nelems, freeindex;
    int64_t age_ns;
} canned_span;

static const canned_span canned_spans[CANNED_NSPANS] = {
    {0, 1, 5 << 1, HS_SWEEP_CACHED, 1, HS_SET_NONE, 48, 170, 100, 500000000},
    {1, 1, 2 << 1 | 1, HS_SWEEP_SWEPT, 0, HS_SET_PARTIAL_SWEPT, 16, 512, 300, 3000000000},
    {2, 4, 0, HS_SWEEP_SWEPT, 0, HS_SET_FULL_SWEPT, 32768, 1, 1, 20000000000},
    {6, 1, 26 << 1, HS_SWEEP_NEEDS, 0, HS_SET_PARTIAL_UNSWEPT, 512, 16, 16, 9000000000},
};

static inline void canned_set_cell(uint8_t *cells, uint32_t i, hs_cell c)
{
    cells[i / 4] = (uint8_t)((cells[i / 4] & ~(3u << (2 * (i % 4)))) | (unsigned)c << (2 * (i % 4)));
}

/* The cell of object i of span k in the canned heap. */
static inline hs_cell canned_cell(int k, uint32_t i)
{
    switch (k) {
    case 0:
        return i < 40 ? HS_CELL_BLACK : i < 60 ? HS_CELL_GRAY : i < 100 ? HS_CELL_WHITE : HS_CELL_FREE;
    case 1:
        return i < 300 ? HS_CELL_WHITE : HS_CELL_FREE;
    case 2:
        return HS_CELL_BLACK;
    default:
        return HS_CELL_WHITE;
    }
}

/* The state of page p when no span covers it. */
static inline uint8_t canned_page(uint32_t p)
{
    return p < 16 ? HS_PAGE_FREE : p < 32 ? HS_PAGE_RELEASED : HS_PAGE_UNUSED;
}

/* A heap of these spans (by address), their cells and free pages from the
 * functions given; the rest as canned_snapshot.  free() it. */
static inline hs_snapshot *canned_build(uint64_t seq, int64_t t_ns, const canned_span *spans,
                                        int nspans, hs_cell (*cell_of)(int, uint32_t),
                                        uint8_t (*page_of)(uint32_t))
{
    const uint32_t nprocs = 2, narenas = 1, npages = HS_SNAP_PAGES_PER_ARENA, nevents = 3;
    uint32_t ncell = 0;
    for (int k = 0; k < nspans; k++)
        ncell += (spans[k].nelems + 3u) / 4u;
    size_t bytes = hs_snapshot_layout_bytes(nprocs, narenas, npages, nevents, (size_t)nspans, ncell);
    hs_snapshot *s = calloc(1, bytes);
    s->size = (uint32_t)bytes;
    s->version = HS_SNAPSHOT_VERSION;
    s->source = HS_SOURCE_RUNTIME;
    s->seq = seq;
    s->t_ns = t_ns;
    strcpy(s->workload, "canned");
    s->nprocs = nprocs;
    s->gogc = 100;
    s->phase = HS_PHASE_MARK;
    s->cycle = 3;
    s->heap_live = 5u << 20;
    s->heap_goal = 8u << 20;
    s->trigger = 7u << 20;
    s->scan_work_done = 300;
    s->scan_work_expected = 1000;
    s->npauses_recent = 2;
    s->pauses_recent[0] = 25000;
    s->pauses_recent[1] = 41000;
    s->pause_p50_ns = 25000;
    s->pause_p99_ns = 41000;
    s->pause_max_ns = 41000;
    s->pauses = 2;
    s->HeapInuse = 9u << 16;
    s->HeapReleased = 16u * HS_SNAP_PAGE_SIZE;
    s->TotalAlloc = (uint64_t)seq << 20;
    s->events_window_ns = 1000000000;

    uint32_t off = sizeof(hs_snapshot);
#define CANNED_PLACE(field, n) \
    do { \
        s->field = off; \
        off += (uint32_t)(((n) + 7) & ~(size_t)7); \
    } while (0)
    CANNED_PLACE(central_off, HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central));
    CANNED_PLACE(procs_off, nprocs * sizeof(hs_snap_p));
    CANNED_PLACE(arenas_off, narenas * sizeof(hs_snap_arena));
    CANNED_PLACE(pages_off, npages);
    CANNED_PLACE(page_span_off, npages * sizeof(int32_t));
    CANNED_PLACE(events_off, nevents * sizeof(hs_snap_event));
    CANNED_PLACE(spans_off, (size_t)nspans * sizeof(hs_snap_span));
    CANNED_PLACE(cells_off, ncell);
#undef CANNED_PLACE
    s->narenas = narenas;
    s->npages = npages;
    s->nevents = nevents;
    s->nspans = (uint32_t)nspans;
    s->ncell_bytes = ncell;

    hs_snap_arena *ar = (hs_snap_arena *)((char *)s + s->arenas_off);
    ar[0].base = 0xc000000000;
    uint8_t *pages = (uint8_t *)s + s->pages_off;
    int32_t *ps = (int32_t *)((char *)s + s->page_span_off);
    for (uint32_t p = 0; p < npages; p++) {
        pages[p] = page_of(p);
        ps[p] = -1;
    }
    hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
    uint8_t *cells = (uint8_t *)s + s->cells_off;
    uint32_t cell_at = 0;
    for (int k = 0; k < nspans; k++) {
        const canned_span *c = &spans[k];
        sp[k] = (hs_snap_span){.start = 0xc000000000 + (uint64_t)c->page * HS_SNAP_PAGE_SIZE,
                               .npages = c->npages,
                               .page = c->page,
                               .spanclass = c->spanclass,
                               .sweep = c->sweep,
                               .cached_by = c->cached_by,
                               .central_set = c->central_set,
                               .elemsize = c->elemsize,
                               .nelems = c->nelems,
                               .freeindex = c->freeindex,
                               .cells = cell_at,
                               .age_ns = c->age_ns};
        uint16_t count = 0;
        for (uint32_t i = 0; i < c->nelems; i++) {
            hs_cell cell = cell_of(k, i);
            canned_set_cell(cells + cell_at, i, cell);
            count += cell != HS_CELL_FREE;
        }
        sp[k].alloc_count = count;
        for (uint32_t p = c->page; p < c->page + c->npages; p++) {
            ps[p] = k;
            pages[p] = c->spanclass >> 1 == 0 ? HS_PAGE_LARGE : HS_PAGE_SMALL;
        }
        cell_at += (c->nelems + 3u) / 4u;
    }
    hs_snap_central *ct = (hs_snap_central *)((char *)s + s->central_off);
    for (int c = 2; c < HS_SNAP_NUM_SPAN_CLASSES; c++) {
        ct[c].elemsize = hs_class_to_size(c >> 1);
        ct[c].npages = (uint16_t)hs_class_to_npages(c >> 1);
        ct[c].nelems = (uint16_t)(ct[c].npages * HS_SNAP_PAGE_SIZE / ct[c].elemsize);
    }
    ct[5].partial_swept = 1;
    ct[5].objects_inuse = 300;
    ct[5].objects_free = 212;
    ct[5].nmalloc = 7;
    ct[52].partial_unswept = 1;
    ct[52].objects_inuse = 16;
    ct[10].nmalloc = 4;
    hs_snap_p *pp = (hs_snap_p *)((char *)s + s->procs_off);
    for (uint32_t i = 0; i < nprocs; i++) {
        pp[i].status = i == 0 ? HS_P_RUNNING : HS_P_DEDICATED;
        for (int c = 0; c < HS_SNAP_NUM_SPAN_CLASSES; c++)
            pp[i].mcache_span[c] = -1;
        pp[i].small_allocs = 1000 * (i + 1);
    }
    pp[0].mcache_span[5 << 1] = 0;
    pp[0].tiny = 0xc000002010;
    pp[0].tinyoffset = 8;
    pp[1].mark_worker_ns = 2500000;
    hs_snap_event *ev = (hs_snap_event *)((char *)s + s->events_off);
    ev[0] = (hs_snap_event){.t_ns = t_ns - 3000000, .kind = HS_EV_GC_START, .b = 3, .seq = 3 * seq};
    ev[1] = (hs_snap_event){.t_ns = t_ns - 2000000, .kind = HS_EV_PAUSE, .a = 25000, .seq = 3 * seq + 1};
    ev[2] = (hs_snap_event){.t_ns = t_ns - 1000000, .kind = HS_EV_PHASE, .a = 2, .b = 3, .seq = 3 * seq + 2};
    return s;
}

/* The canned heap of the comment above, with this seq, taken at t_ns. */
static inline hs_snapshot *canned_snapshot(uint64_t seq, int64_t t_ns)
{
    return canned_build(seq, t_ns, canned_spans, CANNED_NSPANS, canned_cell, canned_page);
}

#endif
