/*
 * test_step.c — the phase machine, stepped: each phase in order, the world
 * stopped while the collector holds, and the exact tri-color picture after
 * each step of N objects.
 */
#include <time.h>

#include "gcutil.h"

enum { chainLen = 100 };

typedef struct spinner {
    hs_runtime *rt;
    hs_p *pp;
    uint64_t count; /* atomic: loop iterations, so a test sees whether the world runs */
    uint32_t stop;  /* atomic */
} spinner;

/* A mutator that builds the chain, then loops through safe points. */
static void *spinner_main(void *arg)
{
    spinner *sp = arg;
    hs_p_acquire(sp->pp);
    void **globals = hs_runtime_globals(sp->rt);
    for (int i = 0; i < chainLen; i++) {
        node *n = node_new(sp->pp, (uint64_t)i);
        hs_write_ptr(sp->pp, (void **)&n->next[0], hs_read_ptr(&globals[0]));
        hs_write_ptr(sp->pp, &globals[0], n);
    }
    while (!atomic_load_u32(&sp->stop)) {
        atomic_add_u64(&sp->count, 1);
        hs_safepoint(sp->pp);
    }
    hs_p_release(sp->pp);
    return NULL;
}

typedef struct colors {
    int white, gray, black;
} colors;

static colors chain_colors(hs_runtime *rt)
{
    colors c = {0, 0, 0};
    for (node *n = rt->globals[0]; n != NULL; n = n->next[0]) {
        mspan *s = spanOfHeap(&rt->heap, (uintptr_t)n);
        uintptr_t i = mspan_objIndex(s, (uintptr_t)n);
        if (!bits_isset(s->gcmarkBits, i))
            c.white++;
        else if (!bits_isset(s->gcscanBits, i))
            c.gray++;
        else
            c.black++;
    }
    return c;
}

static void expect_colors(hs_runtime *rt, int white, int gray, int black)
{
    colors c = chain_colors(rt);
    ck_assert_msg(c.white == white && c.gray == gray && c.black == black,
                  "want %d/%d/%d white/gray/black, have %d/%d/%d", white, gray, black, c.white,
                  c.gray, c.black);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The spinner on P 0, running; spinner_stop ends it. */
static void spinner_start(spinner *sp, pthread_t *th, hs_runtime *rt)
{
    *sp = (spinner){.rt = rt, .pp = hs_runtime_p(rt, 0)};
    pthread_create(th, NULL, spinner_main, sp);
    while (atomic_load_u64(&sp->count) == 0)
        sleep_ms(1);
}

static void spinner_stop(spinner *sp, pthread_t th)
{
    hs_gc_set_stepping(sp->rt, false);
    atomic_store_u32(&sp->stop, 1);
    pthread_join(th, NULL);
}

/* Held: the phase is ph and the mutator does not move. */
static void expect_held(hs_runtime *rt, spinner *sp, hs_gcphase ph)
{
    ck_assert(hs_gc_wait_held(rt));
    hs_step_state st = hs_gc_step_state(rt);
    ck_assert_msg(st.held && st.phase == ph, "held %d in %s, want %s", st.held,
                  hs_gcphase_name(st.phase), hs_gcphase_name(ph));
    ck_assert_int_eq(hs_gc_phase(rt), ph);
    uint64_t before = atomic_load_u64(&sp->count);
    sleep_ms(20);
    ck_assert_uint_eq(atomic_load_u64(&sp->count), before); /* the world is stopped */
}

START_TEST(test_step_through_a_cycle)
{
    hs_runtime *rt = gc_rt_new(1, -1);
    spinner sp;
    pthread_t th;
    spinner_start(&sp, &th, rt);
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0); /* off: starts a cycle */
    expect_held(rt, &sp, HS_PHASE_SWEEP_TERMINATION);
    ck_assert_uint_eq(hs_gc_step_state(rt).cycle, 1); /* its first phase is the new cycle's */
    expect_colors(rt, chainLen, 0, 0);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held(rt, &sp, HS_PHASE_MARK);
    expect_colors(rt, chainLen, 0, 0); /* roots queued, nothing marked yet */
    hs_gc_step(rt, HS_STEP_OBJECTS, 1);
    expect_held(rt, &sp, HS_PHASE_MARK);
    expect_colors(rt, chainLen - 2, 1, 1); /* the head scanned, its successor gray */
    ck_assert_uint_eq(hs_gc_step_state(rt).objects_scanned, 1);
    hs_gc_step(rt, HS_STEP_OBJECTS, 10);
    expect_held(rt, &sp, HS_PHASE_MARK);
    expect_colors(rt, chainLen - 12, 1, 11);
    ck_assert_uint_eq(hs_gc_step_state(rt).objects_scanned, 11);
    hs_gc_step(rt, HS_STEP_PHASE, 0); /* the rest of mark, concurrently */
    expect_held(rt, &sp, HS_PHASE_MARK_TERMINATION);
    expect_colors(rt, 0, 0, chainLen);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held(rt, &sp, HS_PHASE_SWEEP);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held(rt, &sp, HS_PHASE_OFF);
    ck_assert_uint_eq(hs_gc_get_summary(rt).cycles, 1);
    /* The event ring saw the phases in order, the start and the pauses. */
    hs_gc_event ev[64];
    uint64_t cursor = 0, lost = 0;
    size_t nev = hs_gc_events(rt, &cursor, ev, 64, &lost);
    int want[] = {HS_PHASE_SWEEP_TERMINATION, HS_PHASE_MARK, HS_PHASE_MARK_TERMINATION,
                  HS_PHASE_SWEEP, HS_PHASE_OFF};
    int nphase = 0, nstart = 0, npause = 0;
    for (size_t i = 0; i < nev; i++) {
        if (ev[i].kind == HS_GC_EV_PHASE) {
            ck_assert_int_lt(nphase, 5);
            ck_assert_int_eq(ev[i].a, want[nphase++]);
        }
        nstart += ev[i].kind == HS_GC_EV_START;
        npause += ev[i].kind == HS_GC_EV_PAUSE;
        if (i > 0)
            ck_assert_int_ge(ev[i].t_ns, ev[i - 1].t_ns);
    }
    ck_assert_int_eq(nphase, 5);
    ck_assert_int_eq(nstart, 1);
    ck_assert_int_ge(npause, 2);
    ck_assert_uint_eq(lost, 0);
    ck_assert_uint_eq(hs_gc_events(rt, &cursor, ev, 64, &lost), 0); /* nothing new */
    /* A cycle step runs a whole cycle and holds at its end. */
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    hs_gc_step(rt, HS_STEP_CYCLE, 0);
    expect_held(rt, &sp, HS_PHASE_SWEEP_TERMINATION);
    hs_gc_step(rt, HS_STEP_CYCLE, 0);
    expect_held(rt, &sp, HS_PHASE_OFF);
    ck_assert_uint_eq(hs_gc_get_summary(rt).cycles, 2);
    spinner_stop(&sp, th);
    ck_assert(!hs_gc_get_summary(rt).verify_failed);
    hs_runtime_free(rt);
}
END_TEST

/* Steps asked for faster than they end are queued, none lost: three phase
 * steps in a row go three phases on, five object steps of 1 scan five. */
START_TEST(test_steps_asked_quickly_all_count)
{
    hs_runtime *rt = gc_rt_new(1, -1);
    spinner sp;
    pthread_t th;
    spinner_start(&sp, &th, rt);
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held(rt, &sp, HS_PHASE_SWEEP_TERMINATION);
    hs_gc_step(rt, HS_STEP_PHASE, 0); /* to mark */
    for (int i = 0; i < 5; i++)
        hs_gc_step(rt, HS_STEP_OBJECTS, 1);
    expect_held(rt, &sp, HS_PHASE_MARK);
    ck_assert_uint_eq(hs_gc_step_state(rt).objects_scanned, 5);
    expect_colors(rt, chainLen - 6, 1, 5);
    for (int i = 0; i < 3; i++)
        hs_gc_step(rt, HS_STEP_PHASE, 0); /* the rest of mark, mark termination, sweep */
    expect_held(rt, &sp, HS_PHASE_OFF);
    ck_assert_uint_eq(hs_gc_get_summary(rt).cycles, 1);
    spinner_stop(&sp, th);
    hs_runtime_free(rt);
}
END_TEST

/* Holding at a step, however long, is not part of any pause: the pauses are
 * what the program would have had unwatched.  The clock jumps 1000 s during
 * each hold; no pause may contain a jump. */
START_TEST(test_holds_are_not_pauses)
{
    jumpclock jc;
    jumpclock_init(&jc);
    hs_config cfg = hs_config_default();
    cfg.gogc = -1;
    cfg.nglobals = 16;
    cfg.sys = &jc.sys;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    spinner sp;
    pthread_t th;
    spinner_start(&sp, &th, rt);
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    /* Five holds: a cycle's phases (the jumps may also bring the periodic
     * cycle forward: its holds count the same). */
    for (int i = 0; i < 5; i++) {
        ck_assert(hs_gc_wait_held(rt));
        atomic_add_i64(&jc.offset, 1000000000000LL);
        hs_gc_step(rt, HS_STEP_PHASE, 0);
    }
    spinner_stop(&sp, th);
    int64_t pauses[16];
    size_t n = hs_gc_pauses(rt, pauses, 16);
    ck_assert_uint_ge(n, 2);
    for (size_t i = 0; i < n && i < 16; i++)
        ck_assert_int_lt(pauses[i], 1000000000000LL);
    ck_assert_int_lt(hs_gc_get_summary(rt).pause_max_ns, 1000000000000LL);
    hs_runtime_free(rt);
}
END_TEST

/* The UI's pause stops the world; resume lets it go on. */
START_TEST(test_world_pause)
{
    hs_runtime *rt = gc_rt_new(2, -1);
    spinner sp;
    pthread_t th;
    spinner_start(&sp, &th, rt);
    hs_world_pause(rt);
    uint64_t before = atomic_load_u64(&sp.count);
    sleep_ms(20);
    ck_assert_uint_eq(atomic_load_u64(&sp.count), before);
    hs_world_resume(rt);
    while (atomic_load_u64(&sp.count) == before)
        sleep_ms(1);
    atomic_store_u32(&sp.stop, 1);
    pthread_join(th, NULL);
    hs_runtime_free(rt);
}
END_TEST

/* An observer woken inside the collector's pause waits in
 * hs_world_wait_start until the world runs again: not while the collector
 * holds it stopped, and at once when it runs.  Under the user's pause it
 * waits no longer than its timeout. */
typedef struct waiter {
    hs_runtime *rt;
    int64_t timeout_ns;
    uint32_t done; /* atomic */
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    hs_world_wait_start(w->rt, w->timeout_ns);
    atomic_store_u32(&w->done, 1);
    return NULL;
}

START_TEST(test_wait_for_the_world_to_start)
{
    hs_runtime *rt = gc_rt_new(1, -1);
    spinner sp;
    pthread_t th, wt;
    spinner_start(&sp, &th, rt);
    hs_world_wait_start(rt, 60 * 1000000000LL); /* the world runs: returns at once */
    hs_gc_set_stepping(rt, true);
    hs_gc_step(rt, HS_STEP_PHASE, 0);
    expect_held(rt, &sp, HS_PHASE_SWEEP_TERMINATION);
    waiter w = {.rt = rt, .timeout_ns = 60 * 1000000000LL};
    pthread_create(&wt, NULL, waiter_main, &w);
    sleep_ms(20);
    ck_assert_uint_eq(atomic_load_u32(&w.done), 0);
    hs_gc_set_stepping(rt, false); /* the world starts */
    pthread_join(wt, NULL);
    ck_assert_uint_eq(atomic_load_u32(&w.done), 1);
    spinner_stop(&sp, th);
    /* The user's pause: the wait ends with its timeout. */
    hs_runtime *rt2 = gc_rt_new(1, -1);
    spinner_start(&sp, &th, rt2);
    hs_world_pause(rt2);
    w = (waiter){.rt = rt2, .timeout_ns = 20000000};
    pthread_create(&wt, NULL, waiter_main, &w);
    pthread_join(wt, NULL);
    ck_assert_uint_eq(atomic_load_u32(&w.done), 1);
    hs_world_resume(rt2);
    atomic_store_u32(&sp.stop, 1);
    pthread_join(th, NULL);
    hs_runtime_free(rt2);
    hs_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("step");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_step_through_a_cycle);
    tcase_add_test(tc, test_steps_asked_quickly_all_count);
    tcase_add_test(tc, test_holds_are_not_pauses);
    tcase_add_test(tc, test_world_pause);
    tcase_add_test(tc, test_wait_for_the_world_to_start);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
