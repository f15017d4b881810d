/*
 * test_pool.c — the pool scenario: a fixed number of jobs on 1 and 2 Ps
 * under the checkmark verifier in both modes; the same jobs with reuse=1
 * make each P's buffers once and need far fewer cycles than with reuse=0
 * (cycles inline, so exact).
 */
#include <config.h>

#include "wlutil.h"

START_TEST(test_verified)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified("pool:reuse=0,steps=500", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 500 * (uint64_t)nprocs);
        wl_outcome_free(&o);
        wl_expect_verified("pool:reuse=1,steps=30000", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 30000 * (uint64_t)nprocs);
        wl_outcome_free(&o);
    }
}
END_TEST

START_TEST(test_reuse_saves_cycles)
{
    wl_outcome reuse = wl_run_inline("pool:reuse=1,steps=2000", 42);
    wl_outcome fresh = wl_run_inline("pool:reuse=0,steps=2000", 42);
    /* Per job: the job, its []*buffer, a result; and 8 buffers unless pooled. */
    ck_assert_uint_eq(fresh.res.allocs, 2000 * 11 + 1);
    ck_assert_uint_eq(reuse.res.allocs, 2000 * 3 + 8 + 1);
    ck_assert(strstr(reuse.out, "8 buffers made, 15992 reused") != NULL);
    ck_assert_uint_ge(fresh.gc.cycles, 20);
    ck_assert_uint_le(reuse.gc.cycles, fresh.gc.cycles / 20);
    wl_outcome_free(&reuse);
    wl_outcome_free(&fresh);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified);
    tcase_add_test(tc, test_reuse_saves_cycles);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
