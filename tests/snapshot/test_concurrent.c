/*
 * test_concurrent.c — the snapshotter beside a busy runtime: 4 mutators, the
 * capture thread at 30 Hz (and the phase hook) and 2 readers, one of which
 * sleeps holding a snapshot (built with --enable-tsan, this is the test
 * ThreadSanitizer must pass); and every phase change of 1,000 GC cycles seen
 * by a reader polling at 30 Hz.
 */
#include <stdlib.h>

#include "snaputil.h"

static uint64_t fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct readers {
    hs_snapshot_publisher *pub;
    uint32_t stop;             /* atomic */
    uint64_t checked, events;  /* reader 1 */
    uint64_t held, heldFrames; /* reader 2: snapshots held, frames published meanwhile */
    char failure[2][256];      /* each reader's first failure, "" when none */
} readers;

static void fail_once(char *failure, const char *why)
{
    if (failure[0] == '\0')
        snprintf(failure, 256, "%s", why);
}

/* Reader 1: at 30 Hz, checks each snapshot and follows the events by seq. */
static void *poller(void *arg)
{
    readers *r = arg;
    uint64_t lastSeq = 0, lastEvent = 0;
    bool anyEvent = false;
    while (!atomic_load_u32(&r->stop)) {
        const hs_snapshot *s = hs_snapshot_acquire(r->pub);
        if (s != NULL && s->seq != lastSeq) {
            char buf[200];
            const char *why = hs_snapshot_check(s, s->size, buf, sizeof(buf));
            if (why != NULL)
                fail_once(r->failure[0], why);
            snap_check_cells(s);
            const hs_snap_event *ev = hs_snap_events(s);
            for (uint32_t i = 0; i < s->nevents; i++) {
                if (anyEvent && ev[i].seq <= lastEvent)
                    continue;
                if (anyEvent && ev[i].seq != lastEvent + 1)
                    fail_once(r->failure[0], "the poller missed events");
                lastEvent = ev[i].seq;
                anyEvent = true;
                r->events++;
            }
            lastSeq = s->seq;
            r->checked++;
        }
        if (s != NULL)
            hs_snapshot_release(s);
        snap_sleep_ms(33);
    }
    return NULL;
}

/* Reader 2: holds each snapshot half a second; its bytes must not move. */
static void *holder(void *arg)
{
    readers *r = arg;
    while (!atomic_load_u32(&r->stop)) {
        const hs_snapshot *s = hs_snapshot_acquire(r->pub);
        if (s == NULL) {
            snap_sleep_ms(10);
            continue;
        }
        uint64_t before = fnv(s, s->size);
        uint64_t published = hs_snapshot_publisher_stats(r->pub).published;
        snap_sleep_ms(500);
        if (fnv(s, s->size) != before)
            fail_once(r->failure[1], "a held snapshot changed");
        r->heldFrames += hs_snapshot_publisher_stats(r->pub).published - published;
        r->held++;
        hs_snapshot_release(s);
    }
    return NULL;
}

static uint64_t ops_of(mut *m, int n)
{
    uint64_t ops = 0;
    for (int i = 0; i < n; i++)
        ops += atomic_load_u64(&m[i].ops);
    return ops;
}

static void mutators_capture_and_readers(hs_gcmode mode)
{
    /* A capture at every phase change too: as many interleavings as can be. */
    hs_snapshotter_opts o = {.fps = 30, .workload = "test:mutators=4", .phase_gap_ns = -1};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    hs_runtime *rt = snap_rt_new_mode(4, 50, ss, mode);
    ck_assert(hs_snapshotter_start(ss, rt));
    uint32_t stop = 0;
    mut m[4];
    pthread_t th[4], rd[2];
    for (int i = 0; i < 4; i++) {
        m[i] = (mut){.rt = rt,
                     .pp = hs_runtime_p(rt, i),
                     .rng = 0x2545f4914f6cdd1dull * (i + 1),
                     .stop = &stop};
        pthread_create(&th[i], NULL, mut_main, &m[i]);
    }
    readers r = {.pub = hs_snapshotter_publisher(ss)};
    pthread_create(&rd[0], NULL, poller, &r);
    pthread_create(&rd[1], NULL, holder, &r);
    int64_t t0 = mono_ms();
    snap_sleep_ms(2500);
    uint64_t ops = ops_of(m, 4);
    int64_t t1 = mono_ms();
    atomic_store_u32(&r.stop, 1);
    pthread_join(rd[0], NULL);
    pthread_join(rd[1], NULL);
    atomic_store_u32(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    hs_publisher_stats st = hs_snapshot_publisher_stats(r.pub);
    printf("concurrent (%s): %llu mutations in %lld ms, %llu snapshots published, %llu checked, "
           "%llu events, %llu held (%llu published meanwhile), %u buffers, %u GC cycles\n",
           mode == HS_GC_GREENTEA ? "greentea" : "classic", (unsigned long long)ops, (long long)(t1 - t0), (unsigned long long)st.published,
           (unsigned long long)r.checked, (unsigned long long)r.events, (unsigned long long)r.held,
           (unsigned long long)r.heldFrames, st.buffers, hs_gc_get_summary(rt).cycles);
    ck_assert_msg(r.failure[0][0] == '\0', "%s", r.failure[0]);
    ck_assert_msg(r.failure[1][0] == '\0', "%s", r.failure[1]);
    ck_assert_uint_gt(r.checked, 10);
    ck_assert_uint_gt(r.held, 0);
    ck_assert_uint_gt(r.heldFrames, 0); /* publishing went on while a reader held */
    ck_assert_uint_le(st.buffers, 2 + 2 + 2);
    ck_assert(!hs_gc_get_summary(rt).verify_failed);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}

START_TEST(test_mutators_capture_and_readers) { mutators_capture_and_readers(HS_GC_CLASSIC); }
END_TEST

/* Green Tea: inline marks, span queues and their rings read while they change. */
START_TEST(test_mutators_capture_and_readers_greentea)
{
    mutators_capture_and_readers(HS_GC_GREENTEA);
}
END_TEST

/* ---- 1,000 cycles, every phase change seen at 30 Hz ----------------------------------- */

enum { nCycles = 1000 };

typedef struct driver {
    hs_runtime *rt;
    uint32_t done; /* atomic */
} driver;

static void *drive_cycles(void *arg)
{
    driver *d = arg;
    for (int i = 0; i < nCycles; i++)
        hs_gc(d->rt, NULL);
    atomic_store_u32(&d->done, 1);
    return NULL;
}

typedef struct phaselog {
    uint64_t last;
    bool any;
    uint8_t *phases; /* every phase change, in order */
    size_t n, cap;
    uint64_t gaps;
} phaselog;

static void phaselog_take(phaselog *pl, const hs_snapshot *s)
{
    const hs_snap_event *ev = hs_snap_events(s);
    for (uint32_t i = 0; i < s->nevents; i++) {
        if (pl->any && ev[i].seq <= pl->last)
            continue;
        pl->gaps += pl->any && ev[i].seq != pl->last + 1;
        pl->last = ev[i].seq;
        pl->any = true;
        if (ev[i].kind != HS_EV_PHASE)
            continue;
        if (pl->n == pl->cap) {
            pl->cap = pl->cap ? 2 * pl->cap : 4096;
            pl->phases = realloc(pl->phases, pl->cap);
            ck_assert_ptr_nonnull(pl->phases);
        }
        pl->phases[pl->n++] = (uint8_t)ev[i].a;
    }
}

/* Each cycle: sweep termination, mark, mark termination, sweep, and off when
 * the sweep finished before the next cycle began. */
static void expect_cycles(const phaselog *pl)
{
    static const uint8_t cycle[] = {HS_PHASE_SWEEP_TERMINATION, HS_PHASE_MARK,
                                    HS_PHASE_MARK_TERMINATION, HS_PHASE_SWEEP};
    size_t i = 0;
    for (int c = 0; c < nCycles; c++) {
        for (int k = 0; k < 4; k++, i++)
            ck_assert_msg(i < pl->n && pl->phases[i] == cycle[k],
                          "cycle %d: phase change %zu is %d, want %d", c + 1, i,
                          i < pl->n ? pl->phases[i] : -1, cycle[k]);
        if (i < pl->n && pl->phases[i] == HS_PHASE_OFF)
            i++;
    }
    ck_assert_uint_eq(i, pl->n);
}

START_TEST(test_every_phase_change_seen_at_30hz)
{
    /* Each snapshot carries the events of a window (1 s by default); 5 s
     * here, so a reader or capture thread kept off its CPU for a second on a
     * loaded machine still finds every event it missed. */
    hs_snapshotter_opts so = {.event_window_ns = 5000000000LL};
    hs_snapshotter *ss = hs_snapshotter_new(&so);
    hs_runtime *rt = snap_rt_new(1, -1, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp); /* a small heap to mark */
    for (int i = 0; i < 200; i++)
        hs_write_ptr(pp, &hs_runtime_globals(rt)[i % mutRoots], node_new(pp, (uint64_t)i));
    hs_p_release(pp);
    driver d = {.rt = rt};
    pthread_t th;
    pthread_create(&th, NULL, drive_cycles, &d);
    phaselog pl = {0};
    uint64_t polls = 0, lost = 0;
    int64_t t0 = mono_ms();
    bool done = false;
    while (!done) {
        done = atomic_load_u32(&d.done);
        if (done)
            hs_snapshotter_capture(ss); /* the last events, now */
        const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
        if (s != NULL) {
            phaselog_take(&pl, s);
            lost = s->events_lost;
            hs_snapshot_release(s);
        }
        polls++;
        if (!done)
            snap_sleep_ms(33);
    }
    pthread_join(th, NULL);
    fprintf(stderr, "phases: %d cycles in %lld ms, %llu polls, %zu phase changes seen, %llu gaps\n",
            nCycles, (long long)(mono_ms() - t0), (unsigned long long)polls, pl.n,
            (unsigned long long)pl.gaps);
    ck_assert_uint_eq(lost, 0);
    ck_assert_uint_eq(pl.gaps, 0);
    expect_cycles(&pl);
    free(pl.phases);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("concurrent");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_mutators_capture_and_readers);
    tcase_add_test(tc, test_mutators_capture_and_readers_greentea);
    tcase_add_test(tc, test_every_phase_change_seen_at_30hz);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
