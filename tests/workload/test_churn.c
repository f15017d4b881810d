/*
 * test_churn.c — the churn scenario: a small graph rewired for a set number
 * of steps passes every node check on 1, 2 and 3 Ps, with GC off and on
 * (which, until the collector is linked, runs no cycle); extreme parameters
 * run; without steps it runs until the deadline; a graph larger than
 * max_heap ends in out-of-memory, reported, with every mutator stopped.
 */
#include <config.h>

#include "wlutil.h"

#include <string.h>

/* spec with steps=N: exactly N steps on each P, every check passed. */
static void expect_steps(const char *spec, int nprocs, int gogc, uint64_t steps)
{
    char full[160];
    wl_outcome o;
    snprintf(full, sizeof full, "%s,steps=%llu", spec, (unsigned long long)steps);
    wl_run(full, nprocs, gogc, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s on %d P: %s (%s)", full, nprocs,
                  hs_workload_end_name(o.res.end), o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert_uint_eq(o.res.ops, steps * (uint64_t)nprocs);
    ck_assert_uint_gt(o.res.checks_passed, 0); /* at least the final walk */
    ck_assert_uint_eq(o.outlen, 0);            /* churn prints nothing of its own */
    wl_outcome_free(&o);
}

START_TEST(test_gc_off)
{
    expect_steps("churn:live=256KiB", 1, -1, 2000);
    expect_steps("churn:live=256KiB,rate=16,garbage=4KiB", 2, -1, 1000);
}
END_TEST

START_TEST(test_gc_on)
{
    expect_steps("churn:live=1MiB", 2, 100, 20000);
    expect_steps("churn:live=512KiB,rate=64,garbage=16KiB", 3, 25, 2000);
}
END_TEST

START_TEST(test_extremes)
{
    expect_steps("churn:live=1KiB,rate=0,garbage=0", 2, -1, 100);
    expect_steps("churn:live=1KiB,rate=4096,garbage=1", 1, -1, 10);
}
END_TEST

START_TEST(test_until_deadline)
{
    wl_outcome o;
    wl_run("churn:live=64KiB", 2, -1, 0, 50 * WL_MS, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_out_of_memory)
{
    wl_outcome o;
    wl_run("churn:live=64MiB", 2, -1, 4 << 20, 0, &o);
    ck_assert_msg(o.res.end == HS_END_OOM, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert(strstr(o.res.message, "out of memory") != NULL);
    wl_outcome_free(&o);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("churn");
    TCase *tc = tcase_create("churn");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_gc_off);
    tcase_add_test(tc, test_gc_on);
    tcase_add_test(tc, test_extremes);
    tcase_add_test(tc, test_until_deadline);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
