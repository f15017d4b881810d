/*
 * snaputil.h — helpers for the snapshot tests: a churning mutator (a random
 * graph of nodes, garbage of every size, now and then a large object), a
 * runtime wired to a snapshotter, the checks every snapshot must pass, and
 * the full walk an exact one (world stopped) must equal.
 */
#ifndef HS_TESTS_SNAPUTIL_H
#define HS_TESTS_SNAPUTIL_H

#include <time.h>

#include "gc/gcutil.h"
#include "heapscope/snapshot.h"

enum { mutRoots = 64, mutSlots = 8 };

typedef struct mut {
    hs_runtime *rt;
    hs_p *pp;
    uint64_t rng;
    const uint32_t *stop; /* atomic */
    uint64_t ops;         /* atomic */
} mut;

static inline uint64_t mut_rnd(mut *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

static inline void mut_step(mut *m, void **stack)
{
    void **globals = hs_runtime_globals(m->rt);
    uint64_t r = mut_rnd(m) % 100;
    void **root = &globals[mut_rnd(m) % mutRoots];
    if (r < 40) { /* a node linked in front of a root */
        node *n = node_new(m->pp, mut_rnd(m));
        stack[0] = n;
        hs_write_ptr(m->pp, (void **)&n->next[0], hs_read_ptr(root));
        hs_write_ptr(m->pp, root, n);
    } else if (r < 55) { /* drop a chain */
        hs_write_ptr(m->pp, root, NULL);
    } else if (r < 90) { /* pointer-free garbage, tiny to 2 KiB */
        hs_malloc(m->pp, 1 + mut_rnd(m) % 2048, NULL);
    } else if (r < 99) {
        hs_malloc(m->pp, 8, NULL); /* tiny */
    } else {
        hs_malloc(m->pp, 40000 + mut_rnd(m) % 100000, NULL); /* large */
    }
    stack[0] = NULL;
}

static inline void *mut_main(void *arg)
{
    mut *m = arg;
    hs_p_acquire(m->pp);
    hs_g *g = hs_g_new(m->pp, mutSlots);
    while (!atomic_load_u32(m->stop)) {
        mut_step(m, hs_g_slots(g));
        hs_safepoint(m->pp);
        atomic_add_relaxed_u64(&m->ops, 1);
    }
    hs_g_free(g);
    hs_p_release(m->pp);
    return NULL;
}

/* A runtime of nprocs Ps whose phase hook is ss's (when ss is not NULL). */
static inline hs_runtime *snap_rt_new_mode(int nprocs, int gogc, hs_snapshotter *ss,
                                           hs_gcmode mode)
{
    hs_config cfg = hs_config_default();
    cfg.gcmode = mode;
    cfg.nprocs = nprocs;
    cfg.gogc = gogc;
    cfg.nglobals = mutRoots;
    if (ss != NULL)
        hs_snapshotter_hook(ss, &cfg);
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

static inline hs_runtime *snap_rt_new(int nprocs, int gogc, hs_snapshotter *ss)
{
    return snap_rt_new_mode(nprocs, gogc, ss, HS_GC_CLASSIC);
}

static inline void snap_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Every span's cells agree with its counts, and the page map with the span
 * table.  Returns the number of spans whose cells are unknown. */
static inline uint32_t snap_check_cells(const hs_snapshot *s)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    const int32_t *ps = hs_snap_page_span(s);
    uint32_t unknown = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        if (i > 0)
            ck_assert_uint_gt(sp[i].start, sp[i - 1].start);
        for (uint32_t p = 0; p < sp[i].npages; p++)
            ck_assert_int_eq(ps[sp[i].page + p], (int32_t)i);
        if (sp[i].flags & HS_SPAN_CELLS_UNKNOWN) {
            if (getenv("SNAPDBG"))
                fprintf(stderr, "unknown: class %u sweep %u phase %u npages %u\n", sp[i].spanclass,
                        sp[i].sweep, s->phase, sp[i].npages);
            unknown++;
            continue;
        }
        uint32_t used = 0;
        for (uint32_t k = 0; k < sp[i].nelems; k++) {
            hs_cell c = hs_snap_cell(s, &sp[i], k);
            used += c != HS_CELL_FREE;
            if (k < sp[i].freeindex)
                ck_assert_int_ne(c, HS_CELL_FREE);
        }
        ck_assert_msg(used == sp[i].alloc_count, "span %u at %#llx: %u cells in use, count %u", i,
                      (unsigned long long)sp[i].start, used, sp[i].alloc_count);
    }
    return unknown;
}

/* ---- the full walk: what the runtime says, read with the world stopped ---- */

static inline hs_cell true_cell(const mspan *s, uint32_t i)
{
    bool alloc = i < s->freeindex || bits_isset(s->allocBits, i);
    if (!alloc)
        return HS_CELL_FREE;
    if (!mspan_isMarked(s, i))
        return HS_CELL_WHITE;
    return mspan_isBlack(s, i) ? HS_CELL_BLACK : HS_CELL_GRAY;
}

typedef struct tally {
    uint32_t spans, white, gray, black;
} tally;

/* Compare the snapshot's span sp with the runtime's span s, cell by cell. */
static inline void expect_span(const hs_runtime *rt, const hs_snapshot *snap,
                               const hs_snap_span *sp, const mspan *s, uint32_t sg, tally *t)
{
    /* Its age: to its allocation time in whole grains since the start. */
    int64_t born = s->allocTime - rt->startTime;
    ck_assert_int_eq(sp->age_ns, snap->t_ns - born / HS_SNAP_AGE_GRAIN_NS * HS_SNAP_AGE_GRAIN_NS);
    ck_assert_int_eq(sp->age_ns % HS_SNAP_AGE_GRAIN_NS, snap->t_ns % HS_SNAP_AGE_GRAIN_NS);
    ck_assert_uint_eq(sp->npages, s->npages);
    ck_assert_uint_eq(sp->spanclass, s->spanclass);
    ck_assert_uint_eq(sp->nelems, s->nelems);
    ck_assert_uint_eq(sp->alloc_count, s->allocCount);
    ck_assert_uint_eq(sp->freeindex, s->freeindex);
    uint16_t flags = 0;
    if (s->inlineMarks) { /* Green Tea */
        uint8_t owned = *imb_owned(spanInlineMarkBitsFromBase(s->startAddr));
        flags = HS_SPAN_INLINE_MARKS | (owned ? HS_SPAN_QUEUED : 0) |
                (owned & spanScanManyMark ? HS_SPAN_MANY_MARKS : 0);
    }
    ck_assert_uint_eq(sp->flags, flags);
    uint32_t d = atomic_load_u32((uint32_t *)&s->sweepgen) - sg; /* the snapshotter CASes it */
    ck_assert_uint_eq(sp->sweep, d == (uint32_t)-2 ? HS_SWEEP_NEEDS
                                 : d == 3          ? HS_SWEEP_CACHED
                                 : d == 1          ? HS_SWEEP_CACHED_STALE
                                                   : HS_SWEEP_SWEPT);
    for (uint32_t i = 0; i < s->nelems; i++) {
        hs_cell c = hs_snap_cell(snap, sp, i);
        ck_assert_msg(c == true_cell(s, i), "span %#lx object %u: cell %d, runtime %d",
                      (unsigned long)s->startAddr, i, c, true_cell(s, i));
        t->white += c == HS_CELL_WHITE;
        t->gray += c == HS_CELL_GRAY;
        t->black += c == HS_CELL_BLACK;
    }
}

/* Every in-use span of the runtime is in the snapshot, equal; and no other. */
static inline tally expect_exact(hs_runtime *rt, const hs_snapshot *snap)
{
    tally t = {0};
    mheap *h = &rt->heap;
    const hs_snap_span *sp = hs_snap_spans(snap);
    const int32_t *ps = hs_snap_page_span(snap);
    for (uint32_t a = 0; a < snap->narenas; a++) {
        const hs_snap_arena *ar = &hs_snap_arenas(snap)[a];
        heapArena *ha = mheap_arenaOf(h, ar->base);
        for (uint32_t pi = 0; pi < pagesPerArena; pi++) {
            if (!((ha->pageInUse[pi / 8] >> (pi % 8)) & 1))
                continue;
            const mspan *s = ha->spans[pi];
            int32_t k = ps[ar->first_page + pi];
            ck_assert_int_ge(k, 0);
            ck_assert_uint_eq(sp[k].start, s->startAddr);
            expect_span(rt, snap, &sp[k], s, h->sweepgen, &t);
            t.spans++;
        }
    }
    ck_assert_uint_eq(t.spans, snap->nspans);
    return t;
}

#endif
