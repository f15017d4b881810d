/*
 * test_leak.c — the leak scenario: a fixed number of steps on 1 and 2 Ps
 * under the checkmark verifier with every leaked object checked at the end;
 * the heap each cycle marks never shrinks (cycles inline, so exact); under
 * max_heap it ends in out-of-memory; paced, it never runs ahead of the clock.
 */
#include <config.h>

#include "wlutil.h"

START_TEST(test_verified)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified("leak:rate=0,steps=2000", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 2000 * (uint64_t)nprocs);
        /* A step checks one object, the end every leaked one (4 KiB of 16-512 B objects). */
        ck_assert_uint_gt(o.res.checks_passed, o.res.ops + o.res.ops * 4096 / 512);
        wl_outcome_free(&o);
    }
}
END_TEST

#define MAX_CYCLES 256

typedef struct marks {
    uint64_t marked[MAX_CYCLES];
    size_t n;
} marks;

static void on_cycle(void *ctx, const hs_gc_cycle *c)
{
    marks *m = ctx;
    if (m->n < MAX_CYCLES)
        m->marked[m->n++] = c->heap_marked;
}

START_TEST(test_live_heap_only_grows)
{
    marks m = {.n = 0};
    wl_opts op = wl_opts_default(1);
    op.background = false;
    op.on_cycle = on_cycle;
    op.on_cycle_ctx = &m;
    wl_outcome o;
    wl_run_opts("leak:rate=0,steps=8000", &op, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s", o.res.message);
    ck_assert_uint_ge(m.n, 4);
    for (size_t i = 1; i < m.n; i++)
        ck_assert_msg(m.marked[i] >= m.marked[i - 1], "cycle %zu marked %llu after %llu", i + 1,
                      (unsigned long long)m.marked[i], (unsigned long long)m.marked[i - 1]);
    ck_assert_uint_gt(m.marked[m.n - 1], 4 * m.marked[0]);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_out_of_memory)
{
    wl_expect_oom("leak:rate=0", 2, 16 << 20);
}
END_TEST

START_TEST(test_paced)
{
    /* 1 MiB a second in 4 KiB steps: 256 steps a second between the Ps, so
     * 200 ms allow about 51 (the first at once). */
    wl_outcome o;
    wl_run("leak:rate=1MiB", 2, 100, 0, 200 * WL_MS, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s", o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert_uint_gt(o.res.ops, 0);
    ck_assert_uint_le(o.res.ops, 54);
    wl_outcome_free(&o);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("leak");
    TCase *tc = tcase_create("leak");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified);
    tcase_add_test(tc, test_live_heap_only_grows);
    tcase_add_test(tc, test_out_of_memory);
    tcase_add_test(tc, test_paced);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
