/*
 * test_pacer.c — the heap stays within its goal across GOGC settings, the
 * goal follows Go's formula, GOGC=off collects nothing, a soft memory
 * limit is honoured, and the assists' CPU time leaves out their waits.
 */
#include <stdlib.h>

#include "gcutil.h"

enum { liveNodes = 1 << 17, cyclesMax = 4096 };

static const uint8_t ptr_mask[] = {0x01};
static const hs_type ptr_type = {"*node", 8, 8, ptr_mask};

enum { samplesMax = 4096 };
typedef struct record {
    hs_gc_cycle c[cyclesMax];
    int n;
    uint64_t inuse[samplesMax]; /* HeapInuse, sampled every 4096 allocations */
    int ninuse;
} record;

static void on_cycle(void *ctx, const hs_gc_cycle *c)
{
    record *r = ctx;
    if (r->n < cyclesMax)
        r->c[r->n++] = *c;
}

/* A live set of liveNodes nodes in a pointer array, renewed one node at a
 * time, with pointer-free garbage streaming beside it. */
static void churn(hs_runtime *rt, long iters, record *r)
{
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp);
    void **globals = hs_runtime_globals(rt);
    hs_write_ptr(pp, &globals[0], hs_malloc(pp, liveNodes * sizeof(void *), &ptr_type));
    void **arr = globals[0];
    uint64_t rng = 88172645463325252ull;
    for (long i = 0; i < iters; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        node *n = node_new(pp, (uint64_t)i);
        hs_write_ptr(pp, &arr[i < liveNodes ? i : (long)(rng % liveNodes)], n);
        if ((i & 3) == 0)
            hs_malloc(pp, 256, NULL);
        if ((i & 4095) == 0) {
            hs_memstats ms;
            hs_read_memstats(rt, &ms);
            if (r->ninuse < samplesMax)
                r->inuse[r->ninuse++] = ms.HeapInuse;
        }
    }
    hs_p_release(pp);
}

static hs_runtime *pacer_rt(int gogc, uint64_t limit, record *r)
{
    hs_config cfg = hs_config_default();
    cfg.gogc = gogc;
    cfg.memory_limit = limit;
    cfg.on_cycle = on_cycle;
    cfg.on_cycle_ctx = r;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

static void check_gogc(int gogc)
{
    record *r = calloc(1, sizeof(*r));
    hs_runtime *rt = pacer_rt(gogc, 0, r);
    churn(rt, 3000000, r);
    hs_runtime_free(rt);
    ck_assert_int_ge(r->n, 5);
    double ratioSum = 0;
    int ratioN = 0;
    for (int i = 1; i < r->n; i++) {
        const hs_gc_cycle *prev = &r->c[i - 1], *c = &r->c[i];
        /* Go's goal: marked + (marked + stacks + globals) * GOGC/100, at least 4 MiB * GOGC/100. */
        uint64_t want = prev->heap_marked +
                        (prev->heap_marked + prev->stacks + prev->globals) * (uint64_t)gogc / 100;
        uint64_t minimum = ((uint64_t)4 << 20) * (uint64_t)gogc / 100;
        ck_assert_uint_eq(c->heap_goal, want > minimum ? want : minimum);
        /* Never far past Go's hard goal, (1 + GOGC/100) x goal: a runaway heap would be. */
        uint64_t hard = c->heap_goal + c->heap_goal * (uint64_t)gogc / 100 + (1 << 20);
        ck_assert_msg(c->heap_end <= 2 * hard,
                      "GOGC %d cycle %u: heap %llu (at start %llu) past twice the hard goal %llu",
                      gogc, c->n, (unsigned long long)c->heap_end,
                      (unsigned long long)c->heap_start, (unsigned long long)hard);
        if (i >= 2) {
            ratioSum += (double)c->heap_end / (double)c->heap_goal;
            ratioN++;
        }
    }
    /* The documented slack: once warm, the heap ends mark within 10% of the goal on
     * average (single cycles may overshoot while the machine is busy). */
    ck_assert_msg(ratioSum / ratioN <= 1.10, "GOGC %d: heap/goal averages %.3f", gogc,
                  ratioSum / ratioN);
    free(r);
}

START_TEST(test_gogc_50) { check_gogc(50); }
END_TEST
START_TEST(test_gogc_100) { check_gogc(100); }
END_TEST
START_TEST(test_gogc_200) { check_gogc(200); }
END_TEST

START_TEST(test_gogc_off)
{
    record *r = calloc(1, sizeof(*r));
    hs_runtime *rt = pacer_rt(-1, 0, r);
    churn(rt, 1000000, r);
    ck_assert_uint_eq(hs_gc_get_summary(rt).cycles, 0);
    hs_runtime_free(rt);
    ck_assert_int_eq(r->n, 0);
    free(r);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* GOGC=off with a 32 MiB soft limit: the limit alone paces collection.  A
 * soft limit may be passed for a moment (a busy machine delays the collector),
 * so: 90% of the samples within it, and none past it by half. */
START_TEST(test_memory_limit)
{
    record *r = calloc(1, sizeof(*r));
    hs_runtime *rt = pacer_rt(-1, 32 << 20, r);
    churn(rt, 3000000, r);
    hs_runtime_free(rt);
    ck_assert_int_ge(r->n, 3);
    ck_assert_int_ge(r->ninuse, 100);
    qsort(r->inuse, (size_t)r->ninuse, sizeof(uint64_t), cmp_u64);
    uint64_t p90 = r->inuse[r->ninuse * 9 / 10], max = r->inuse[r->ninuse - 1];
    ck_assert_msg(p90 <= (32u << 20), "p90 HeapInuse %llu past the 32 MiB limit",
                  (unsigned long long)p90);
    ck_assert_msg(max <= (48u << 20), "peak HeapInuse %llu past 1.5 x the limit",
                  (unsigned long long)max);
    free(r);
}
END_TEST

typedef struct assister {
    hs_runtime *rt;
    hs_p *pp;
    uint32_t running; /* atomic */
} assister;

static void *assist_main(void *arg)
{
    assister *a = arg;
    hs_p_acquire(a->pp);
    atomic_store_u32(&a->running, 1);
    a->pp->gcAssistBytes = -(1 << 20);
    gcAssistAlloc(a->rt, a->pp); /* no work anywhere: it parks until mark ends */
    hs_p_release(a->pp);
    return NULL;
}

/* An assist parked for credit has given up its P: the wait is not assist
 * time (Go's assist time is its drain, gcAssistAlloc1, not the park).  The
 * clock jumps 1000 s while the test holds the parked assist's P, so the
 * jump falls inside the wait; the assist's time must not contain it. */
START_TEST(test_assist_wait_is_not_assist_time)
{
    jumpclock jc;
    jumpclock_init(&jc);
    hs_config cfg = hs_config_default();
    cfg.nprocs = 1;
    cfg.gogc = -1;
    cfg.background = false;
    cfg.sys = &jc.sys;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    assister a = {.rt = rt, .pp = hs_runtime_p(rt, 0)};
    atomic_store_u32(&rt->gc.blackenEnabled, 1);
    pthread_t th;
    pthread_create(&th, NULL, assist_main, &a);
    while (!atomic_load_u32(&a.running))
        sched_yield();
    while (!p_tryOwn(rt, a.pp)) /* free only while the assist waits */
        sched_yield();
    atomic_add_i64(&jc.offset, 1000000000000LL);
    atomic_store_u32(&rt->gc.blackenEnabled, 0); /* mark is over: the assist returns */
    p_unown(rt, a.pp);
    pthread_join(th, NULL);
    int64_t ns = atomic_load_i64(&a.pp->assistNs);
    ck_assert_msg(ns < 1000000000LL, "assist time %lld ns holds the wait", (long long)ns);
    ck_assert_int_eq(atomic_load_i64(&rt->gc.assistNs), ns);
    hs_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pacer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_gogc_50);
    tcase_add_test(tc, test_gogc_100);
    tcase_add_test(tc, test_gogc_200);
    tcase_add_test(tc, test_gogc_off);
    tcase_add_test(tc, test_memory_limit);
    tcase_add_test(tc, test_assist_wait_is_not_assist_time);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
