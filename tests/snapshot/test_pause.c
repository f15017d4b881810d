/*
 * test_pause.c — the user's pause (hs_world_pause) stops everything that
 * changes the heap: the Ps, and the background sweeper and scavenger, which
 * run without a P.  While it holds, the heap is still and a snapshot is
 * exact: world_stopped, equal to a full walk of the runtime, and equal to
 * the next one taken in the same pause.  After resume the two go on.
 *
 * To catch both background workers in the middle of their work, whatever
 * the machine's speed, the test holds them there itself: the sweeper by the
 * lock of the large noscan class (the first span class it sweeps, and one
 * no P caches), the scavenger by an madvise that waits on a gate.
 */
#include <stdlib.h>

#include "snaputil.h"

/* ---- an OS whose madvise can be held -------------------------------------------- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool closed;      /* mu */
    uint64_t entered; /* mu: madvise calls begun */
} gate;

static void *gate_map(void *ctx, uintptr_t hint, size_t n)
{
    (void)ctx;
    return hs_sysops_linux.map(hs_sysops_linux.ctx, hint, n);
}

static void gate_unmap(void *ctx, void *v, size_t n)
{
    (void)ctx;
    hs_sysops_linux.unmap(hs_sysops_linux.ctx, v, n);
}

static void gate_unused(void *ctx, void *v, size_t n)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cond);
    while (g->closed)
        pthread_cond_wait(&g->cond, &g->mu);
    pthread_mutex_unlock(&g->mu);
    hs_sysops_linux.unused(hs_sysops_linux.ctx, v, n);
}

static int64_t gate_nanotime(void *ctx)
{
    (void)ctx;
    return hs_sysops_linux.nanotime(hs_sysops_linux.ctx);
}

static void gate_set(gate *g, bool closed)
{
    pthread_mutex_lock(&g->mu);
    g->closed = closed;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->mu);
}

static uint64_t gate_entered(gate *g)
{
    pthread_mutex_lock(&g->mu);
    uint64_t n = g->entered;
    pthread_mutex_unlock(&g->mu);
    return n;
}

/* Wait until the scavenger is inside an madvise the gate holds. */
static void gate_wait_entered(gate *g, uint64_t before)
{
    pthread_mutex_lock(&g->mu);
    while (g->entered == before)
        pthread_cond_wait(&g->cond, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

/* ---- the heap --------------------------------------------------------------------- */

enum { liveLarge = 8, largeSize = 40000 };

/* A 300-node chain and 8 large pointer-free objects reachable from the
 * globals; 4000 garbage objects of small classes, 8 dead large objects and
 * one of extra bytes. */
static void build_heap(hs_runtime *rt, uint64_t seed, size_t extra)
{
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp);
    void **globals = hs_runtime_globals(rt);
    for (int i = 0; i < 300; i++) {
        node *n = node_new(pp, seed + (uint64_t)i);
        hs_write_ptr(pp, (void **)&n->next[0], hs_read_ptr(&globals[0]));
        hs_write_ptr(pp, &globals[0], n);
    }
    for (int i = 0; i < 4000; i++)
        hs_malloc(pp, 16 + (size_t)(i * 37 % 2000), NULL);
    for (int i = 0; i < liveLarge; i++) {
        hs_write_ptr(pp, &globals[1 + i], hs_malloc(pp, largeSize, NULL));
        hs_malloc(pp, largeSize, NULL);
    }
    if (extra > 0)
        hs_malloc(pp, extra, NULL);
    hs_p_release(pp);
}

/* ---- what must not move while paused ------------------------------------------------ */

typedef struct bgcounters {
    uint64_t bgsweep, lazysweep, pausesweep, pagesSwept;
    uint64_t released, runs, cpuNanos, madvise;
    bool sweepDone;
} bgcounters;

static bgcounters bg_read(hs_runtime *rt, gate *g)
{
    return (bgcounters){
        .bgsweep = atomic_load_u64(&rt->sweep.nbgsweep),
        .lazysweep = atomic_load_u64(&rt->sweep.nlazysweep),
        .pausesweep = atomic_load_u64(&rt->sweep.npausesweep),
        .pagesSwept = atomic_load_u64(&rt->sweep.pagesSwept),
        .released = atomic_load_u64(&rt->scav.released),
        .runs = atomic_load_u64(&rt->scav.runs),
        .cpuNanos = atomic_load_u64(&rt->scav.cpuNanos),
        .madvise = gate_entered(g),
        .sweepDone = isSweepDone(rt),
    };
}

static void expect_same_counters(const bgcounters *a, const bgcounters *b)
{
    ck_assert_uint_eq(a->bgsweep, b->bgsweep);
    ck_assert_uint_eq(a->lazysweep, b->lazysweep);
    ck_assert_uint_eq(a->pausesweep, b->pausesweep);
    ck_assert_uint_eq(a->pagesSwept, b->pagesSwept);
    ck_assert_uint_eq(a->released, b->released);
    ck_assert_uint_eq(a->runs, b->runs);
    ck_assert_uint_eq(a->cpuNanos, b->cpuNanos);
    ck_assert_uint_eq(a->madvise, b->madvise);
    ck_assert_int_eq(a->sweepDone, b->sweepDone);
}

/* The heap parts of a snapshot, copied: the heap's counters, the central
 * table, arenas, pages and the page map, the spans (but their age, which
 * grows with the snapshot's clock) and the cells. */
typedef struct heapparts {
    uint64_t scalars[12];
    uint8_t *bytes;
    size_t n;
} heapparts;

static void parts_add(heapparts *h, const void *p, size_t n)
{
    h->bytes = realloc(h->bytes, h->n + n);
    ck_assert_ptr_nonnull(h->bytes);
    memcpy(h->bytes + h->n, p, n);
    h->n += n;
}

static heapparts heap_parts(const hs_snapshot *s)
{
    heapparts h = {.scalars = {s->phase, s->cycle, s->heap_live, s->released_bytes,
                               s->scav_released_total, s->HeapAlloc, s->HeapSys, s->HeapIdle,
                               s->HeapInuse, s->HeapReleased, s->HeapObjects, s->Frees}};
    parts_add(&h, hs_snap_centrals(s), HS_SNAP_NUM_SPAN_CLASSES * sizeof(hs_snap_central));
    parts_add(&h, hs_snap_at(s, s->arenas_off), s->events_off - s->arenas_off);
    for (uint32_t i = 0; i < s->nspans; i++) {
        hs_snap_span sp = hs_snap_spans(s)[i];
        sp.age_ns = 0;
        parts_add(&h, &sp, sizeof(sp));
    }
    parts_add(&h, hs_snap_at(s, s->cells_off), s->ncell_bytes);
    return h;
}

/* A snapshot taken now: exact, the world paused, equal to the full walk. */
static heapparts paused_snapshot(hs_runtime *rt, hs_snapshotter *ss)
{
    uint64_t seq = hs_snapshotter_capture(ss);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    ck_assert_uint_ge(s->seq, seq);
    ck_assert_ptr_null(hs_snapshot_check(s, s->size, NULL, 0));
    ck_assert_uint_eq(s->world_paused, 1);
    ck_assert_uint_eq(s->world_stopped, 1);
    ck_assert_uint_eq(s->phase, HS_PHASE_SWEEP);
    expect_exact(rt, s);
    uint32_t unswept = 0, unknown = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        unswept += hs_snap_spans(s)[i].sweep == HS_SWEEP_NEEDS;
        unknown += (hs_snap_spans(s)[i].flags & HS_SPAN_CELLS_UNKNOWN) != 0;
    }
    ck_assert_uint_gt(unswept, 0);
    ck_assert_uint_eq(unknown, 0);
    heapparts h = heap_parts(s);
    hs_snapshot_release(s);
    return h;
}

/* ---- the pause ------------------------------------------------------------------------ */

typedef struct pauser {
    hs_runtime *rt;
    uint32_t done; /* atomic */
} pauser;

static void *pauser_main(void *arg)
{
    pauser *p = arg;
    hs_world_pause(p->rt);
    atomic_store_u32(&p->done, 1);
    return NULL;
}

/* Polls for what the test waits on, at most 10 s (a failure, not a timing). */
enum { pollMs = 10000 };

/* Pause with the sweeper inside sweepone, blocked on the large class's lock
 * (held by the caller), and the scavenger inside an madvise: the pause waits
 * for both to reach their safe points, and returns once they have. */
static void pause_mid_work(hs_runtime *rt, gate *g, mcentral *large)
{
    pauser p = {.rt = rt};
    pthread_t th;
    pthread_create(&th, NULL, pauser_main, &p);
    for (int i = 0; i < pollMs && !atomic_load_u32(&rt->sched.gcwaiting); i++)
        snap_sleep_ms(1);
    ck_assert(atomic_load_u32(&rt->sched.gcwaiting));
    snap_sleep_ms(20);
    ck_assert_msg(!atomic_load_u32(&p.done), "the pause did not wait for the sweeper");
    pthread_mutex_unlock(&large->lock);
    snap_sleep_ms(20);
    ck_assert_msg(!atomic_load_u32(&p.done), "the pause did not wait for the scavenger");
    gate_set(g, false);
    pthread_join(th, NULL);
    ck_assert(hs_gc_step_state(rt).paused);
}

START_TEST(test_paused_heap_is_still_and_exact)
{
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    hs_sysops os = {gate_map, gate_unmap, gate_unused, gate_nanotime, &g};
    hs_config cfg = hs_config_default();
    cfg.gogc = -1; /* only our cycles */
    cfg.nglobals = mutRoots;
    cfg.sys = &os;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    build_heap(rt, 0, 8 << 20);
    hs_gc(rt, NULL); /* the first garbage freed: 8 MiB and more of free pages to scavenge */
    build_heap(rt, 1000, 0);

    /* A cycle whose sweep the sweeper starts and cannot get far in. */
    mcentral *large = &rt->heap.central[makeSpanClass(0, true)];
    pthread_mutex_lock(&large->lock);
    hs_gc_request(rt);
    for (int i = 0; i < pollMs && hs_gc_get_summary(rt).cycles < 2; i++)
        snap_sleep_ms(1);
    ck_assert_uint_eq(hs_gc_get_summary(rt).cycles, 2);
    ck_assert(!isSweepDone(rt));
    uint64_t sweptByCycle = atomic_load_u64(&rt->sweep.pagesSwept); /* the mcaches' spans */
    ck_assert_uint_gt(heapRetained(rt), 8 << 20);
    gate_set(&g, true);
    uint64_t entered = gate_entered(&g);
    scav_set_goal(rt, 0);
    scav_wake(rt);
    gate_wait_entered(&g, entered);

    pause_mid_work(rt, &g, large);
    bgcounters c0 = bg_read(rt, &g);
    /* The sweeper swept at most the one span it had taken the lock for. */
    ck_assert_uint_le(c0.pagesSwept - sweptByCycle, (largeSize + pageSize - 1) / pageSize);
    ck_assert(!c0.sweepDone);
    ck_assert_uint_gt(c0.released, 0); /* the run it was in finished before it parked */
    ck_assert_uint_gt(heapRetained(rt), 0); /* and there is more to release */

    hs_snapshotter_opts o = {.fps = 1};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    ck_assert(hs_snapshotter_start(ss, rt));
    heapparts a = paused_snapshot(rt, ss);
    snap_sleep_ms(30);
    heapparts b = paused_snapshot(rt, ss);
    ck_assert(memcmp(a.scalars, b.scalars, sizeof(a.scalars)) == 0);
    ck_assert_uint_eq(a.n, b.n);
    ck_assert(memcmp(a.bytes, b.bytes, a.n) == 0);
    bgcounters c1 = bg_read(rt, &g);
    expect_same_counters(&c0, &c1);

    hs_world_resume(rt);
    /* The run the gate held counts as 40 ms of work, and the scavenger would
     * rest 99 times that (1% of a CPU): wake it. */
    scav_wake(rt);
    for (int i = 0; i < pollMs && !(isSweepDone(rt) && bg_read(rt, &g).released > c0.released); i++)
        snap_sleep_ms(1);
    ck_assert(isSweepDone(rt));
    ck_assert_uint_gt(atomic_load_u64(&rt->scav.released), c0.released);
    ck_assert_uint_gt(atomic_load_u64(&rt->sweep.nbgsweep), c0.bgsweep); /* the sweeper did it */
    free(a.bytes);
    free(b.bytes);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pause");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_paused_heap_is_still_and_exact);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
