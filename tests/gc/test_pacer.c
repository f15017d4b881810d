/*
 * test_pacer.c — the heap stays within its goal across GOGC settings, the
 * goal follows Go's formula, GOGC=off collects nothing, and a soft memory
 * limit is honoured.
 */
#include <stdlib.h>

#include "gcutil.h"

enum { liveNodes = 1 << 17, cyclesMax = 4096 };

static const uint8_t ptr_mask[] = {0x01};
static const hs_type ptr_type = {"*node", 8, 8, ptr_mask};

typedef struct record {
    hs_gc_cycle c[cyclesMax];
    int n;
    uint64_t peakInuse;
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
            if (ms.HeapInuse > r->peakInuse)
                r->peakInuse = ms.HeapInuse;
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
    for (int i = 1; i < r->n; i++) {
        const hs_gc_cycle *prev = &r->c[i - 1], *c = &r->c[i];
        /* Go's goal: marked + (marked + stacks + globals) * GOGC/100, at least 4 MiB * GOGC/100. */
        uint64_t want = prev->heap_marked +
                        (prev->heap_marked + prev->stacks + prev->globals) * (uint64_t)gogc / 100;
        uint64_t minimum = ((uint64_t)4 << 20) * (uint64_t)gogc / 100;
        ck_assert_uint_eq(c->heap_goal, want > minimum ? want : minimum);
        /* The documented slack: once the pacer has two cycles of history, the heap at
         * the end of mark is within the goal + 10% + 1 MiB of cached spans; before,
         * within Go's hard goal, (1 + GOGC/100) x goal. */
        uint64_t slack = i >= 2 ? c->heap_goal / 10 + (1 << 20)
                                : c->heap_goal * (uint64_t)gogc / 100;
        ck_assert_msg(c->heap_end <= c->heap_goal + slack,
                      "GOGC %d cycle %u: heap %llu past goal %llu", gogc, c->n,
                      (unsigned long long)c->heap_end, (unsigned long long)c->heap_goal);
    }
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

/* GOGC=off with a 32 MiB soft limit: the limit alone paces collection. */
START_TEST(test_memory_limit)
{
    record *r = calloc(1, sizeof(*r));
    hs_runtime *rt = pacer_rt(-1, 32 << 20, r);
    churn(rt, 3000000, r);
    hs_runtime_free(rt);
    ck_assert_int_ge(r->n, 3);
    ck_assert_msg(r->peakInuse <= (32u << 20), "peak HeapInuse %llu past the 32 MiB limit",
                  (unsigned long long)r->peakInuse);
    free(r);
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
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
