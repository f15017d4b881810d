/*
 * test_greentea.c — Green Tea marking: the span queue protocol (a span is in
 * at most one queue however many workers shade its objects at once), marking
 * by several workers with stealing (every gray object ends black), the
 * scan statistics, and the step controller showing span scans in FIFO order,
 * each turning all of its span's gray objects black at once.
 */
#include <time.h>

#include "gcutil.h"

static hs_runtime *gt_rt_new(int nprocs, bool background)
{
    return gc_rt_new_mode(nprocs, -1, HS_GC_GREENTEA, background);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- workers that drive gcWorks by hand ---------------------------------------------- */

enum { nworkers = 4, nnodes = 20000 };

typedef struct world {
    hs_runtime *rt;
    node **nodes;
    pthread_barrier_t barrier;
    uint32_t again; /* atomic: some worker found work this round */
} world;

typedef struct worker {
    world *wd;
    int id;
    uint64_t queued; /* span entries it took out of its own queue */
    uint64_t scans;  /* scans it did while draining */
} worker;

/* Phase 1: every worker shades every node (in its own order), so each mark
 * bit races between 4 workers; nobody scans. */
static void *shade_all(void *arg)
{
    worker *k = arg;
    world *wd = k->wd;
    gcWork *w = &hs_runtime_p(wd->rt, k->id)->gcw;
    uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(k->id + 1);
    pthread_barrier_wait(&wd->barrier);
    for (int i = 0; i < nnodes; i++)
        shade(wd->rt, w, (uintptr_t)wd->nodes[(i + rnd(&r) % 7) % nnodes]);
    for (int i = 0; i < nnodes; i++)
        shade(wd->rt, w, (uintptr_t)wd->nodes[i]);
    for (objptr p; (p = gcw_tryGetSpan(wd->rt, w)) != 0;)
        k->queued++;
    return NULL;
}

/* Phase 2: drain together, stealing, until a round finds no work anywhere. */
static void *drain_all(void *arg)
{
    worker *k = arg;
    world *wd = k->wd;
    gcWork *w = &hs_runtime_p(wd->rt, k->id)->gcw;
    for (;;) {
        uint64_t work = 0, n, mine = 0;
        while ((n = gcDrain(wd->rt, NULL, w, 0, NULL, &work)) != 0)
            mine += n;
        k->scans += mine;
        gcw_dispose(wd->rt, w);
        if (mine != 0)
            atomic_store_u32(&wd->again, 1);
        pthread_barrier_wait(&wd->barrier);
        bool again = atomic_load_u32(&wd->again) || gcMarkWorkAvailable(wd->rt);
        pthread_barrier_wait(&wd->barrier);
        if (k->id == 0)
            atomic_store_u32(&wd->again, 0);
        pthread_barrier_wait(&wd->barrier);
        if (!again)
            return NULL;
    }
}

static void run_workers(world *wd, worker *ks, void *(*fn)(void *))
{
    pthread_t th[nworkers];
    for (int i = 0; i < nworkers; i++) {
        ks[i] = (worker){.wd = wd, .id = i};
        pthread_create(&th[i], NULL, fn, &ks[i]);
    }
    for (int i = 0; i < nworkers; i++)
        pthread_join(th[i], NULL);
}

static world *world_new(void)
{
    world *wd = calloc(1, sizeof(*wd));
    wd->rt = gt_rt_new(nworkers, false);
    wd->nodes = calloc(nnodes, sizeof(node *));
    hs_p *pp = hs_runtime_p(wd->rt, 0);
    hs_p_acquire(pp);
    for (int i = 0; i < nnodes; i++)
        wd->nodes[i] = node_new(pp, (uint64_t)i);
    hs_p_release(pp);
    pthread_barrier_init(&wd->barrier, NULL, nworkers);
    return wd;
}

static void world_free(world *wd)
{
    pthread_barrier_destroy(&wd->barrier);
    hs_runtime_free(wd->rt);
    free(wd->nodes);
    free(wd);
}

static size_t distinct_spans(world *wd)
{
    size_t n = 0;
    uintptr_t last = 0;
    for (int i = 0; i < nnodes; i++) { /* allocated in address order, span by span */
        uintptr_t b = (uintptr_t)wd->nodes[i] & ~(uintptr_t)(pageSize - 1);
        n += b != last;
        last = b;
    }
    return n;
}

/* However many workers race to shade a span's objects, the span is queued
 * once: the queues together hold one entry per span. */
/* A dense span scan's word mask, for every object size up to 512 B, against
 * the words of each object set one by one. */
START_TEST(test_dense_word_mask)
{
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (unsigned nw = 1; nw <= 64; nw++) {
        unsigned nobj = (pageSize / 8) / nw;
        for (int round = 0; round < 50; round++) {
            uint64_t toScan[8] = {0}, want[pageSize / 8 / 64] = {0}, got[pageSize / 8 / 64];
            for (unsigned k = 0; k < nobj && k < 512; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                bool on = round == 0 || (round == 1 ? false : x % 3 == 0);
                if (!on)
                    continue;
                toScan[k / 64] |= (uint64_t)1 << (k % 64);
                for (unsigned w = k * nw; w < (k + 1) * nw; w++)
                    want[w / 64] |= (uint64_t)1 << (w % 64);
            }
            gcDenseWordMask(toScan, nw, got);
            for (unsigned i = 0; i < pageSize / 8 / 64; i++)
                ck_assert_msg(got[i] == want[i], "%u-word objects, round %d: word %u is %#llx, want %#llx",
                              nw, round, i, (unsigned long long)got[i], (unsigned long long)want[i]);
        }
    }
}
END_TEST

/* Both dense kernels read the pointers the masks select, nil ones left out,
 * in address order: random words (a third nil) in a page, a random pointer
 * bitmap and random word masks. */
START_TEST(test_dense_pointers_kernels)
{
    uintptr_t *page = aligned_alloc(pageSize, pageSize);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 200; round++) {
        uint64_t wm[pageSize / 8 / 64];
        for (unsigned i = 0; i < pageSize / 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            page[i] = x % 3 == 0 ? 0 : x;
        }
        uint64_t *hb = (uint64_t *)((uintptr_t)page + pageSize - spanInlineMarkBitsSize - heapBitsSize);
        for (unsigned i = 0; i < pageSize / 8 / 64; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            wm[i] = round % 4 == 0 ? ~(uint64_t)0 : x;
        }
        for (unsigned i = 0; i < heapBitsSize / 8; i++) { /* the bitmap covers the objects only */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            hb[i] = i >= (pageSize - spanInlineMarkBitsSize - heapBitsSize) / 8 / 64 ? 0 : x;
        }
        uintptr_t want[pageSize / 8], plain[pageSize / 8], wide[pageSize / 8];
        size_t n = 0;
        for (unsigned j = 0; j < pageSize / 8; j++)
            if ((wm[j / 64] & hb[j / 64]) >> (j % 64) & 1 && page[j] != 0)
                want[n++] = page[j];
        ck_assert_uint_eq(gcDensePointers((uintptr_t)page, wm, plain, false), n);
        ck_assert_uint_eq(gcDensePointers((uintptr_t)page, wm, wide, true), n);
        ck_assert(memcmp(plain, want, n * sizeof(uintptr_t)) == 0);
        ck_assert(memcmp(wide, want, n * sizeof(uintptr_t)) == 0);
    }
    free(page);
}
END_TEST

START_TEST(test_span_in_one_queue)
{
    world *wd = world_new();
    mspan *s = spanOfHeap(&wd->rt->heap, (uintptr_t)wd->nodes[0]);
    ck_assert(s->inlineMarks);
    worker ks[nworkers];
    run_workers(wd, ks, shade_all);
    uint64_t queued = 0;
    for (int i = 0; i < nworkers; i++)
        queued += ks[i].queued;
    ck_assert_uint_eq(queued, distinct_spans(wd));
    for (int i = 0; i < nnodes; i++) { /* all seen, none scanned: gray */
        mspan *sp = spanOfHeap(&wd->rt->heap, (uintptr_t)wd->nodes[i]);
        uintptr_t idx = mspan_objIndex(sp, (uintptr_t)wd->nodes[i]);
        ck_assert(mspan_isMarked(sp, idx) && !mspan_isBlack(sp, idx));
    }
    world_free(wd);
}
END_TEST

/* A random graph marked by 4 workers at once, spans stolen between them:
 * exactly the reachable nodes end marked, all of them black, no span left
 * queued, and each object was scanned once. */
START_TEST(test_concurrent_mark_blackens_everything)
{
    world *wd = world_new();
    uint64_t r = 42;
    for (int i = 0; i < nnodes; i++) /* links only to later nodes: node 0 reaches most */
        for (int f = 0; f < 4; f++)
            if (i + 1 < nnodes && rnd(&r) % 3 != 0)
                wd->nodes[i]->next[f] =
                    wd->nodes[i + 1 +
                              rnd(&r) % (uint64_t)(nnodes - i - 1 < 64 ? nnodes - i - 1 : 64)];
    static bool reach[nnodes];
    memset(reach, 0, sizeof(reach));
    reach[0] = true;
    uint64_t nreach = 0;
    for (int i = 0; i < nnodes; i++) {
        if (!reach[i])
            continue;
        nreach++;
        for (int f = 0; f < 4; f++)
            if (wd->nodes[i]->next[f] != NULL)
                reach[wd->nodes[i]->next[f]->id] = true;
    }
    shade(wd->rt, &hs_runtime_p(wd->rt, 0)->gcw, (uintptr_t)wd->nodes[0]);
    worker ks[nworkers];
    run_workers(wd, ks, drain_all);
    for (int i = 0; i < nnodes; i++) {
        mspan *sp = spanOfHeap(&wd->rt->heap, (uintptr_t)wd->nodes[i]);
        uintptr_t idx = mspan_objIndex(sp, (uintptr_t)wd->nodes[i]);
        ck_assert_int_eq(mspan_isMarked(sp, idx), reach[i]);
        ck_assert_int_eq(mspan_isBlack(sp, idx), reach[i]);
    }
    ck_assert(gcCheckInlineMarks(wd->rt));
    gcstate *gc = &wd->rt->gc;
    ck_assert_uint_eq(atomic_load_u64(&gc->objectsScanned), nreach);
    hs_scan_stats t = gc->scanCycleTotal;
    ck_assert_uint_eq(t.objs_single + t.span_objs_sparse + t.span_objs_dense, nreach);
    ck_assert_uint_eq(t.objs_single, t.spans_one);
    ck_assert_uint_eq(gc->scanCycle[5].spans_dense, t.spans_dense); /* 48 B nodes: class 5 */
    printf("greentea: %llu reachable, %llu span scans (%llu one, %llu sparse, %llu dense), "
           "%llu stolen\n",
           (unsigned long long)nreach,
           (unsigned long long)(t.spans_one + t.spans_sparse + t.spans_dense),
           (unsigned long long)t.spans_one, (unsigned long long)t.spans_sparse,
           (unsigned long long)t.spans_dense, (unsigned long long)atomic_load_u64(&gc->spanSteals));
    world_free(wd);
}
END_TEST

/* Spans spill from a full private ring to the chain, oldest first, and a
 * thief takes the oldest: together the two queues give back every entry once,
 * each queue in FIFO order. */
START_TEST(test_span_queue_steal)
{
    hs_runtime *rt = gt_rt_new(2, false);
    gcWork *w0 = &hs_runtime_p(rt, 0)->gcw, *w1 = &hs_runtime_p(rt, 1)->gcw;
    enum { n = 300 };
    for (uintptr_t i = 0; i < n; i++)
        if (spanq_put(rt, &w0->spanq, makeObjPtr((i + 1) * pageSize, 7)))
            spanqMask_set(rt, w0->id);
    ck_assert(spanqMask_any(rt));
    static bool seen[n];
    memset(seen, 0, sizeof(seen));
    objptr p = gcw_tryStealSpan(rt, w1);
    ck_assert_uint_eq(p, makeObjPtr(pageSize, 7)); /* the oldest */
    uintptr_t last = 0, got = 0;
    for (; p != 0; p = gcw_tryGetSpan(rt, w1), got++) {
        uintptr_t i = p / pageSize - 1;
        ck_assert(i < n && !seen[i] && i + 1 > last);
        seen[i] = true;
        last = i + 1;
    }
    ck_assert_uint_gt(got, 1);
    ck_assert_uint_eq(w1->steals, got);
    last = 0;
    for (; (p = gcw_tryGetSpan(rt, w0)) != 0; got++) {
        uintptr_t i = p / pageSize - 1;
        ck_assert(i < n && !seen[i]);
        seen[i] = true;
    }
    ck_assert_uint_eq(got, n);
    ck_assert(spanq_empty(&w0->spanq) && spanq_empty(&w1->spanq));
    hs_runtime_free(rt);
}
END_TEST

/* ---- shading by address ------------------------------------------------------------------ */

static bool inlinePageBit(hs_runtime *rt, uintptr_t p)
{
    heapArena *ha = mheap_arenaOf(&rt->heap, p);
    uintptr_t pi = (p / pageSize) % pagesPerArena;
    return (atomic_load_u8(&ha->pageUseSpanInlineMarkBits[pi / 8]) >> (pi % 8)) & 1;
}

/* The arena's bit says "a span with inline mark bits starts here" exactly
 * for in-use one-page spans of 16..512 B objects in Green Tea mode: set when
 * the span is published, cleared when it is freed. */
START_TEST(test_inline_page_bits)
{
    hs_runtime *rt = gt_rt_new(1, false), *crt = gc_rt_new_mode(1, -1, HS_GC_CLASSIC, false);
    struct { int cls, noscan; bool inl; } cases[] = {
        {1, 0, false}, {2, 0, true}, {2, 1, true}, {5, 0, true}, {26, 1, true}, {27, 0, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        spanClass spc = makeSpanClass(cases[i].cls, cases[i].noscan);
        mspan *s = mheap_alloc(rt, class_to_allocnpages[cases[i].cls], spc);
        mspan *cs = mheap_alloc(crt, class_to_allocnpages[cases[i].cls], spc);
        ck_assert_int_eq(inlinePageBit(rt, s->startAddr), cases[i].inl);
        ck_assert(!inlinePageBit(crt, cs->startAddr));
        mheap_freeSpan(rt, s);
        mheap_freeSpan(crt, cs);
        ck_assert(!inlinePageBit(rt, s->startAddr));
    }
    mspan *large = mheap_alloc(rt, 1, makeSpanClass(0, 0)); /* a one-page large span */
    ck_assert(!inlinePageBit(rt, large->startAddr));
    mheap_freeSpan(rt, large);
    hs_runtime_free(crt);
    hs_runtime_free(rt);
}
END_TEST

/* Shading goes by the address alone: an interior pointer marks its object,
 * a pointer into the span's tail past the last object marks nothing, a
 * noscan object turns black without a queue entry and counts once. */
START_TEST(test_shade_by_address)
{
    hs_runtime *rt = gt_rt_new(1, false);
    hs_p *pp = hs_runtime_p(rt, 0);
    gcWork *w = &pp->gcw;
    hs_p_acquire(pp);
    node *n = node_new(pp, 1);
    uintptr_t str = (uintptr_t)hs_malloc(pp, 32, NULL);
    hs_p_release(pp);
    mspan *s = spanOfHeap(&rt->heap, (uintptr_t)n), *ss = spanOfHeap(&rt->heap, str);
    ck_assert(s->inlineMarks && ss->inlineMarks && spanClass_noscan(ss->spanclass));
    spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);

    /* Past the last of the 165 48-byte objects: nothing. */
    uintptr_t tail = s->startAddr + (uintptr_t)s->nelems * s->elemsize + 8;
    ck_assert_uint_lt(tail, s->startAddr + pageSize - spanInlineMarkBitsSize - heapBitsSize);
    uint64_t before[8];
    memcpy(before, imb->marks, sizeof(before));
    ck_assert(tryDeferToSpanScan(rt, w, tail));
    ck_assert(memcmp(before, imb->marks, sizeof(before)) == 0);
    ck_assert(spanq_empty(&w->spanq));

    /* Inside the node: the node, gray, its span queued once. */
    uintptr_t idx = mspan_objIndex(s, (uintptr_t)n);
    shade(rt, w, (uintptr_t)n + 40);
    shade(rt, w, (uintptr_t)n);
    ck_assert(mspan_isMarked(s, idx) && !mspan_isBlack(s, idx));
    ck_assert_uint_eq(gcw_tryGetSpan(rt, w), makeObjPtr(s->startAddr, (uint16_t)idx));
    ck_assert_uint_eq(gcw_tryGetSpan(rt, w), 0);

    /* The string: black at once, counted once, nothing queued. */
    uint64_t marked = w->bytesMarked;
    shade(rt, w, str + 31);
    shade(rt, w, str);
    uintptr_t sidx = mspan_objIndex(ss, str);
    ck_assert(mspan_isMarked(ss, sidx) && mspan_isBlack(ss, sidx));
    ck_assert_uint_eq(w->bytesMarked - marked, 32);
    ck_assert(spanq_empty(&w->spanq));

    /* Outside any inline span: not ours. */
    ck_assert(!tryDeferToSpanScan(rt, w, (uintptr_t)&marked));
    hs_p_acquire(pp);
    uintptr_t big = (uintptr_t)hs_malloc(pp, 1024, &node_type);
    hs_p_release(pp);
    ck_assert(!tryDeferToSpanScan(rt, w, big));
    hs_runtime_free(rt);
}
END_TEST

/* The world's nodes grouped by span, in address order: by[k] gets the want
 * nodes of the k-th span that holds that many; returns how many spans did. */
static int spans_of_nodes(world *wd, int count, int want, node *by[][165])
{
    int got = 0, k = 0;
    uintptr_t last = 0;
    for (int i = 0; i < nnodes && got < count; i++) {
        uintptr_t b = (uintptr_t)wd->nodes[i] & ~(uintptr_t)(pageSize - 1);
        if (b != last) {
            k = 0;
            last = b;
        }
        by[got][k++] = wd->nodes[i];
        if (k == want) {
            got++;
            last = 0;
        }
    }
    return got;
}

static hs_scan_stats drain_one(world *wd)
{
    gcWork *w = &hs_runtime_p(wd->rt, 0)->gcw;
    uint64_t work = 0;
    while (gcDrain(wd->rt, NULL, w, 0, NULL, &work) != 0)
        ;
    gcw_dispose(wd->rt, w);
    return wd->rt->gc.scanCycleTotal;
}

static bool page_marked(hs_runtime *rt, node *n)
{
    uintptr_t base = (uintptr_t)n & ~(uintptr_t)(pageSize - 1), pi = (base / pageSize) % pagesPerArena;
    return (mheap_arenaOf(&rt->heap, base)->pageMarks[pi / 8] >> (pi % 8)) & 1;
}

/* A fixed graph, one worker: the work each kind of span scan does.
 *   dense: all 165 nodes of span A shaded, each pointing at a node of span B
 *   (B's all): A is queued once and scanned once, densely; its scan queues B
 *   once, scanned once, densely;
 *   sparse: 3 nodes of span C shaded, pointing at one node each of D, E, F:
 *   C scanned once, sparsely, then D, E and F one object each.
 * As in Go, a span scan of many marks sets the span's page mark (shading by
 * address does not), and a one-mark scan leaves it as it was. */
START_TEST(test_span_scan_counts)
{
    world *wd = world_new();
    static node *sp[6][165];
    ck_assert_int_eq(spans_of_nodes(wd, 6, 165, sp), 6);
    gcWork *w = &hs_runtime_p(wd->rt, 0)->gcw;
    for (int i = 0; i < 165; i++) {
        sp[0][i]->next[i % 4] = sp[1][i];
        shade(wd->rt, w, (uintptr_t)sp[0][i]);
    }
    hs_scan_stats t = drain_one(wd);
    ck_assert_uint_eq(t.spans_dense, 2);
    ck_assert_uint_eq(t.span_objs_dense, 330);
    ck_assert_uint_eq(t.spans_sparse + t.spans_one + t.objs_single, 0);
    for (int i = 0; i < 3; i++) {
        sp[2][10 * i]->next[3] = sp[3 + i][7];
        shade(wd->rt, w, (uintptr_t)sp[2][10 * i]);
    }
    t = drain_one(wd);
    ck_assert_uint_eq(t.spans_dense, 2);
    ck_assert_uint_eq(t.spans_sparse, 1);
    ck_assert_uint_eq(t.span_objs_sparse, 3);
    ck_assert_uint_eq(t.spans_one, 3);
    ck_assert_uint_eq(t.objs_single, 3);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(page_marked(wd->rt, sp[i][0]), i < 3);
    ck_assert(gcCheckInlineMarks(wd->rt));
    ck_assert_uint_eq(atomic_load_u64(&wd->rt->gc.objectsScanned), 336);
    world_free(wd);
}
END_TEST

/* ---- stepping -------------------------------------------------------------------------- */

typedef struct spinner {
    hs_runtime *rt;
    hs_p *pp;
    node *a0, *a5, *b0, *c0;
    uint32_t ready, stop; /* atomic */
} spinner;

/* Objects in three spans A, B, C; the globals name A0, B0, C0 and A5, in
 * that order, so root marking queues A (which then gathers A5), B, C. */
static void *spinner_main(void *arg)
{
    spinner *sp = arg;
    hs_p_acquire(sp->pp);
    node *spanFirst[3];
    int nspans = 0;
    uintptr_t last = 0;
    while (nspans < 3) {
        node *n = node_new(sp->pp, 0);
        uintptr_t b = (uintptr_t)n & ~(uintptr_t)(pageSize - 1);
        if (b != last)
            spanFirst[nspans++] = n;
        last = b;
        if (nspans == 1 && n == spanFirst[0] + 5)
            sp->a5 = n;
    }
    sp->a0 = spanFirst[0], sp->b0 = spanFirst[1], sp->c0 = spanFirst[2];
    void **g = hs_runtime_globals(sp->rt);
    hs_write_ptr(sp->pp, &g[0], sp->a0);
    hs_write_ptr(sp->pp, &g[1], sp->b0);
    hs_write_ptr(sp->pp, &g[2], sp->c0);
    hs_write_ptr(sp->pp, &g[3], sp->a5);
    atomic_store_u32(&sp->ready, 1);
    while (!atomic_load_u32(&sp->stop))
        hs_safepoint(sp->pp);
    hs_p_release(sp->pp);
    return NULL;
}

static char color(hs_runtime *rt, node *n)
{
    mspan *s = spanOfHeap(&rt->heap, (uintptr_t)n);
    uintptr_t i = mspan_objIndex(s, (uintptr_t)n);
    return !mspan_isMarked(s, i) ? 'w' : mspan_isBlack(s, i) ? 'b' : 'g';
}

static void expect(hs_runtime *rt, spinner *sp, const char *want, uint64_t spans, uint64_t objs)
{
    ck_assert(hs_gc_wait_held(rt));
    char have[5] = {color(rt, sp->a0), color(rt, sp->a5), color(rt, sp->b0), color(rt, sp->c0), 0};
    ck_assert_msg(strcmp(have, want) == 0, "A0 A5 B0 C0: want %s, have %s", want, have);
    hs_step_state st = hs_gc_step_state(rt);
    ck_assert_uint_eq(st.spans_scanned, spans);
    ck_assert_uint_eq(st.objects_scanned, objs);
}

START_TEST(test_step_span_scans_fifo)
{
    hs_runtime *rt = gt_rt_new(1, true);
    spinner sp = {.rt = rt, .pp = hs_runtime_p(rt, 0)};
    pthread_t th;
    pthread_create(&th, NULL, spinner_main, &sp);
    while (!atomic_load_u32(&sp.ready))
        sched_yield();
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0); /* starts a cycle: held at sweep termination */
    ck_assert(hs_gc_wait_held(rt));
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect(rt, &sp, "wwww", 0, 0);      /* held at mark */
    hs_gc_step(rt, HS_STEP_OBJECTS, 1); /* roots queue A, B, C; A is scanned */
    expect(rt, &sp, "bbgg", 1, 2);      /* both of A's gray objects in one pass */
    hs_gc_step(rt, HS_STEP_OBJECTS, 1);
    expect(rt, &sp, "bbbg", 2, 3);
    hs_gc_step(rt, HS_STEP_OBJECTS, 1);
    expect(rt, &sp, "bbbb", 3, 4);
    hs_gc_step(rt, HS_STEP_CYCLE, 0);
    ck_assert(hs_gc_wait_held(rt));
    ck_assert_int_eq(hs_gc_step_state(rt).phase, HS_PHASE_OFF);
    hs_gc_summary sum = hs_gc_get_summary(rt);
    ck_assert_uint_eq(sum.scan.spans_one, 2);    /* B and C */
    ck_assert_uint_eq(sum.scan.spans_sparse, 1); /* A: 2 of 165 */
    ck_assert_uint_eq(sum.scan.span_objs_sparse, 2);
    ck_assert(!sum.verify_failed);
    hs_gc_set_stepping(rt, false);
    atomic_store_u32(&sp.stop, 1);
    pthread_join(th, NULL);
    hs_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("greentea");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dense_word_mask);
    tcase_add_test(tc, test_dense_pointers_kernels);
    tcase_add_test(tc, test_span_in_one_queue);
    tcase_add_test(tc, test_concurrent_mark_blackens_everything);
    tcase_add_test(tc, test_span_queue_steal);
    tcase_add_test(tc, test_inline_page_bits);
    tcase_add_test(tc, test_shade_by_address);
    tcase_add_test(tc, test_span_scan_counts);
    tcase_add_test(tc, test_step_span_scans_fifo);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
