/*
 * test_capture.c — a snapshot tells the truth: held by the step controller it
 * equals a full walk of the runtime, cell by cell; while the world runs every
 * span's cells agree with its counts; and in steady state taking one
 * allocates nothing.
 */
#include <malloc.h>
#include <stdlib.h>

#include "snaputil.h"

/* ---- step mode ---------------------------------------------------------------- */

typedef struct spinner {
    hs_runtime *rt;
    pthread_t th;
    uint32_t stop;  /* atomic */
    uint32_t ready; /* atomic */
} spinner;

/* A mutator with a 300-node chain, garbage, tiny objects and a large object,
 * then looping through safe points. */
static void *spinner_main(void *arg)
{
    spinner *sp = arg;
    hs_p *pp = hs_runtime_p(sp->rt, 0);
    hs_p_acquire(pp);
    void **globals = hs_runtime_globals(sp->rt);
    for (int i = 0; i < 300; i++) {
        node *n = node_new(pp, (uint64_t)i);
        hs_write_ptr(pp, (void **)&n->next[0], hs_read_ptr(&globals[0]));
        hs_write_ptr(pp, &globals[0], n);
        hs_malloc(pp, 100 + (size_t)i, NULL);
        hs_malloc(pp, 8, NULL);
    }
    hs_write_ptr(pp, &globals[1], hs_malloc(pp, 70000, &node_type));
    atomic_store_u32(&sp->ready, 1);
    while (!atomic_load_u32(&sp->stop))
        hs_safepoint(pp);
    hs_p_release(pp);
    return NULL;
}

/* Held at ph: a snapshot taken now is exact and equals the walk. */
static tally expect_held_snapshot(hs_runtime *rt, hs_snapshotter *ss, hs_gcphase ph)
{
    ck_assert(hs_gc_wait_held(rt));
    ck_assert_int_eq(hs_gc_step_state(rt).phase, ph);
    uint64_t seq = hs_snapshotter_capture(ss);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    /* The capture thread may have published after ours: while the hold
     * lasts, its snapshot is as exact. */
    ck_assert_uint_ge(s->seq, seq);
    ck_assert_uint_eq(s->world_stopped, 1);
    ck_assert_uint_eq(s->step_held, 1);
    ck_assert_uint_eq(s->phase, ph);
    ck_assert_ptr_null(hs_snapshot_check(s, s->size, NULL, 0));
    tally t = expect_exact(rt, s);
    hs_snapshot_release(s);
    return t;
}

/* Start the spinner and wait until its heap is built. */
static void spinner_start(spinner *sp)
{
    pthread_create(&sp->th, NULL, spinner_main, sp);
    while (!atomic_load_u32(&sp->ready))
        snap_sleep_ms(1);
}

static void spinner_stop(spinner *sp)
{
    atomic_store_u32(&sp->stop, 1);
    pthread_join(sp->th, NULL);
}

static void held_snapshot_equals_walk(hs_gcmode mode)
{
    hs_snapshotter *ss = hs_snapshotter_new(NULL);
    hs_runtime *rt = snap_rt_new_mode(1, -1, ss, mode);
    ck_assert(hs_snapshotter_start(ss, rt));
    spinner sp = {.rt = rt};
    spinner_start(&sp);
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    tally t = expect_held_snapshot(rt, ss, HS_PHASE_SWEEP_TERMINATION);
    ck_assert_uint_eq(t.gray + t.black, 0);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held_snapshot(rt, ss, HS_PHASE_MARK);
    uint64_t steps[] = {1, 10, 50};
    for (int i = 0; i < 3; i++) {
        hs_gc_step(rt, HS_STEP_OBJECTS, steps[i]);
        t = expect_held_snapshot(rt, ss, HS_PHASE_MARK);
        ck_assert_uint_gt(t.black, 0);
        ck_assert_uint_gt(t.gray, 0);
        ck_assert_uint_gt(t.white, 0);
    }
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    t = expect_held_snapshot(rt, ss, HS_PHASE_MARK_TERMINATION);
    ck_assert_uint_eq(t.gray, 0);
    hs_gc_step(rt, HS_STEP_PHASE, 0); /* sweep: the sweeper runs while held */
    ck_assert(hs_gc_wait_held(rt));
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    t = expect_held_snapshot(rt, ss, HS_PHASE_OFF);
    ck_assert_uint_eq(t.gray + t.black, 0);
    /* Stepping, the hook captured every phase change and every object step. */
    ck_assert_uint_ge(hs_snapshotter_get_stats(ss).phase_captures, 5 + 3);
    hs_gc_set_stepping(rt, false);
    spinner_stop(&sp);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}

START_TEST(test_held_snapshot_equals_walk) { held_snapshot_equals_walk(HS_GC_CLASSIC); }
END_TEST

/* Green Tea: gray is seen-not-scanned, from the spans' inline blocks. */
START_TEST(test_held_snapshot_equals_walk_greentea) { held_snapshot_equals_walk(HS_GC_GREENTEA); }
END_TEST

/* The phase hook's snapshot at sweep termination (world stopped) is exact. */
START_TEST(test_phase_hook_snapshot_is_exact)
{
    hs_snapshotter_opts o = {.fps = 1};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    hs_runtime *rt = snap_rt_new(1, -1, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    spinner sp = {.rt = rt};
    spinner_start(&sp);
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    ck_assert(hs_gc_wait_held(rt));
    /* The hook captured at the phase change (a frame of the 1 Hz thread that
     * raced the hold could be newer: then the next one is the hold's). */
    const hs_snapshot *s;
    for (int i = 0;; i++) {
        s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
        if (s->world_stopped || i == 300)
            break;
        hs_snapshot_release(s);
        snap_sleep_ms(10);
    }
    ck_assert_uint_eq(s->phase, HS_PHASE_SWEEP_TERMINATION);
    ck_assert_uint_eq(s->world_stopped, 1);
    expect_exact(rt, s);
    hs_snapshot_release(s);
    hs_gc_set_stepping(rt, false);
    spinner_stop(&sp);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

/* Not stepping, a phase change stops nobody for a capture: the hook pulls
 * the thread's next frame forward instead, and that frame shows a cycle the
 * 1 Hz thread would have missed. */
START_TEST(test_phase_change_pulls_a_frame)
{
    hs_snapshotter_opts o = {.fps = 1};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    hs_runtime *rt = snap_rt_new(1, -1, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    snap_sleep_ms(50); /* past the thread's first frame */
    uint64_t seq0 = 0;
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    if (s != NULL) {
        seq0 = s->seq;
        hs_snapshot_release(s);
    }
    hs_gc(rt, NULL);
    for (int i = 0; i < 300 && hs_snapshotter_get_stats(ss).pulled_captures == 0; i++)
        snap_sleep_ms(1);
    hs_snapshotter_stats st = hs_snapshotter_get_stats(ss);
    ck_assert_uint_ge(st.pulled_captures, 1);
    ck_assert_uint_eq(st.phase_captures, 0);
    ck_assert_int_eq(st.phase_capture_ns, 0);
    s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    ck_assert_uint_gt(s->seq, seq0);
    ck_assert_uint_ge(s->cycle, 1);
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

/* ---- while running ------------------------------------------------------------- */

typedef struct crowd {
    hs_runtime *rt;
    mut m[4];
    pthread_t th[4];
    uint32_t stop;
    int n;
} crowd;

static void crowd_start(crowd *c, hs_runtime *rt, int n)
{
    c->rt = rt;
    c->n = n;
    c->stop = 0;
    for (int i = 0; i < n; i++) {
        c->m[i] = (mut){.rt = rt,
                        .pp = hs_runtime_p(rt, i),
                        .rng = 0x9e3779b97f4a7c15ull * (i + 1),
                        .stop = &c->stop};
        pthread_create(&c->th[i], NULL, mut_main, &c->m[i]);
    }
}

static void crowd_stop(crowd *c)
{
    atomic_store_u32(&c->stop, 1);
    for (int i = 0; i < c->n; i++)
        pthread_join(c->th[i], NULL);
}

START_TEST(test_running_cells_agree_with_counts)
{
    hs_snapshotter *ss = hs_snapshotter_new(NULL);
    hs_runtime *rt = snap_rt_new(4, 50, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    crowd c;
    crowd_start(&c, rt, 4);
    while (atomic_load_u64(&c.m[0].ops) + atomic_load_u64(&c.m[3].ops) < 20000)
        snap_sleep_ms(1); /* the mutators are at work */
    uint64_t spans = 0, unknown = 0, cached = 0, frames = 0;
    uint32_t phases = 0;
    for (int i = 0; i < 150; i++) {
        snap_sleep_ms(i % 2 * 5);   /* every other one as fast as it goes */
        hs_snapshotter_capture(ss); /* beside the 30 Hz thread */
        const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
        ck_assert_ptr_null(hs_snapshot_check(s, s->size, NULL, 0));
        unknown += snap_check_cells(s);
        spans += s->nspans;
        for (uint32_t p = 0; p < s->nprocs; p++)
            for (int k = 0; k < HS_SNAP_NUM_SPAN_CLASSES; k++)
                cached += hs_snap_procs(s)[p].mcache_span[k] >= 0;
        phases |= 1u << s->phase;
        frames++;
        hs_snapshot_release(s);
    }
    crowd_stop(&c);
    printf("running: %llu frames, %llu spans, %llu unknown, %llu cached, phases seen %#x\n",
           (unsigned long long)frames, (unsigned long long)spans, (unsigned long long)unknown,
           (unsigned long long)cached, phases);
    ck_assert_uint_gt(cached, 0);
    ck_assert_uint_le(unknown * 1000, spans); /* at most 0.1% caught moving */
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

/* ---- steady state ----------------------------------------------------------------- */

START_TEST(test_steady_state_allocates_nothing)
{
    hs_snapshotter_opts o = {.fps = 1};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    hs_runtime *rt = snap_rt_new(2, -1, ss);
    crowd c;
    crowd_start(&c, rt, 2);
    snap_sleep_ms(200);
    crowd_stop(&c); /* a still heap: nothing should grow */
    ck_assert(hs_snapshotter_start(ss, rt));
    hs_snapshot_publisher *pub = hs_snapshotter_publisher(ss);
    for (int i = 0; i < 10; i++)
        hs_snapshotter_capture(ss);
    hs_publisher_stats before = hs_snapshot_publisher_stats(pub);
    struct mallinfo2 m0 = mallinfo2();
    for (int i = 0; i < 300; i++)
        hs_snapshotter_capture(ss);
    struct mallinfo2 m1 = mallinfo2();
    hs_publisher_stats after = hs_snapshot_publisher_stats(pub);
    ck_assert_uint_ge(after.published, before.published + 300); /* + the 1 Hz frames */
    ck_assert_uint_eq(after.allocations, before.allocations);
    ck_assert_uint_le(after.buffers, 3);
    ck_assert_uint_eq(m1.uordblks, m0.uordblks); /* and no scratch either */
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

/* ---- pauses --------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile of the snapshot is within 1% of the exact one. */
static void expect_percentile(int64_t got, const int64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p * (double)n);
    if ((double)rank < p * (double)n || rank == 0)
        rank++;
    int64_t want = sorted[rank - 1];
    ck_assert_msg(got >= want - want / 100 && got <= want + want / 100,
                  "p%.0f: snapshot %lld ns, exact %lld ns", p * 100, (long long)got,
                  (long long)want);
}

START_TEST(test_pauses_match_runtime)
{
    hs_snapshotter *ss = hs_snapshotter_new(NULL);
    hs_runtime *rt = snap_rt_new(1, -1, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    for (int i = 0; i < 300; i++)
        hs_gc(rt, NULL);
    hs_snapshotter_capture(ss);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    int64_t *all = malloc(4096 * sizeof(*all));
    size_t n = hs_gc_pauses(rt, all, 4096);
    ck_assert_uint_eq(s->pauses, n);
    ck_assert_uint_eq(s->npauses_recent, HS_SNAP_RECENT_PAUSES);
    for (int i = 0; i < HS_SNAP_RECENT_PAUSES; i++) /* oldest first, the newest last */
        ck_assert_int_eq(s->pauses_recent[i], all[n - HS_SNAP_RECENT_PAUSES + i]);
    qsort(all, n, sizeof(*all), cmp_i64);
    expect_percentile(s->pause_p50_ns, all, n, 0.50);
    expect_percentile(s->pause_p99_ns, all, n, 0.99);
    ck_assert_int_eq(s->pause_max_ns, all[n - 1]);
    free(all);
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("capture");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_held_snapshot_equals_walk);
    tcase_add_test(tc, test_held_snapshot_equals_walk_greentea);
    tcase_add_test(tc, test_phase_hook_snapshot_is_exact);
    tcase_add_test(tc, test_phase_change_pulls_a_frame);
    tcase_add_test(tc, test_running_cells_agree_with_counts);
    tcase_add_test(tc, test_steady_state_allocates_nothing);
    tcase_add_test(tc, test_pauses_match_runtime);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
