/*
 * test_binary_trees.c — binary-trees against the reference program's output.
 *
 * The expected lines come from the closed form (a tree of depth d has
 * 2^(d+1) - 1 nodes; depth d runs 1 << (max - d + 4) trees) and, for depth
 * 10, are also written out as the benchmarks game's reference output.  Runs
 * on 1 and 2 Ps with GC off, and with GC on (which, until the collector is
 * linked, runs no cycle).  Also: out of memory under max_heap stops every
 * mutator and is reported; a deadline stops the run early without failing.
 */
#include <config.h>

#include "wlutil.h"

#include <inttypes.h>
#include <string.h>

static const char depth10[] = "stretch tree of depth 11\t check: 4095\n"
                              "1024\t trees of depth 4\t check: 31744\n"
                              "256\t trees of depth 6\t check: 32512\n"
                              "64\t trees of depth 8\t check: 32704\n"
                              "16\t trees of depth 10\t check: 32752\n"
                              "long lived tree of depth 10\t check: 2047\n";

static uint64_t nodes(int d)
{
    return ((uint64_t)1 << (d + 1)) - 1;
}

/* The reference output for max depth n, from the closed form. */
static void expected_output(int n, char *buf, size_t len)
{
    int max = n < 6 ? 6 : n;
    size_t used = (size_t)snprintf(buf, len, "stretch tree of depth %d\t check: %" PRIu64 "\n",
                                   max + 1, nodes(max + 1));
    for (int d = 4; d <= max; d += 2) {
        uint64_t it = (uint64_t)1 << (max - d + 4);
        used += (size_t)snprintf(buf + used, len - used,
                                 "%" PRIu64 "\t trees of depth %d\t check: %" PRIu64 "\n", it, d,
                                 it * nodes(d));
    }
    snprintf(buf + used, len - used, "long lived tree of depth %d\t check: %" PRIu64 "\n", max,
             nodes(max));
}

/* Checks: the stretch tree, every tree, every depth's sum, the long-lived tree. */
static uint64_t expected_checks(int n)
{
    int max = n < 6 ? 6 : n;
    uint64_t checks = 2;
    for (int d = 4; d <= max; d += 2)
        checks += ((uint64_t)1 << (max - d + 4)) + 1;
    return checks;
}

static void run_and_compare(int depth, int nprocs, int gogc)
{
    char spec[64], want[1024];
    wl_outcome o;
    snprintf(spec, sizeof spec, "binary-trees:depth=%d", depth);
    wl_run(spec, nprocs, gogc, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s on %d P: %s (%s)", spec, nprocs,
                  hs_workload_end_name(o.res.end), o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert_uint_eq(o.res.checks_passed, expected_checks(depth));
    ck_assert_str_eq(o.res.message, "");
    expected_output(depth, want, sizeof want);
    ck_assert_str_eq(o.out, want);
    wl_outcome_free(&o);
}

START_TEST(test_reference_depth10)
{
    char want[1024];
    expected_output(10, want, sizeof want);
    ck_assert_str_eq(want, depth10);
}
END_TEST

START_TEST(test_depth10_one_p)
{
    run_and_compare(10, 1, -1);
}
END_TEST

START_TEST(test_depth10_two_ps)
{
    run_and_compare(10, 2, -1);
}
END_TEST

START_TEST(test_small_depth_counts_as_6)
{
    run_and_compare(0, 2, -1);
    run_and_compare(7, 3, -1);
}
END_TEST

START_TEST(test_depth10_gc_on)
{
    run_and_compare(10, 2, 100);
    run_and_compare(10, 4, 10);
}
END_TEST

START_TEST(test_out_of_memory)
{
    wl_outcome o;
    wl_run("binary-trees:depth=16", 2, -1, 2 << 20, 0, &o);
    ck_assert_msg(o.res.end == HS_END_OOM, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert(strstr(o.res.message, "out of memory") != NULL);
    ck_assert(strstr(o.out, "long lived") == NULL);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_deadline_stops)
{
    wl_outcome o;
    wl_run("binary-trees:depth=16", 2, -1, 0, WL_MS, &o);
    ck_assert_msg(o.res.end == HS_END_STOPPED, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert(strstr(o.out, "long lived") == NULL);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_stop_and_wait)
{
    hs_workload *w = wl_parse_ok("binary-trees:depth=16");
    hs_runtime *rt = wl_runtime(w, 2, -1, 0);
    hs_mutator_opts mo = {.seed = 1};
    char why[256];
    hs_mutators *m = hs_mutators_start(w, rt, &mo, why, sizeof why);
    ck_assert_ptr_nonnull(m);
    hs_mutators_wait(m, 1000); /* 1 us: not finished yet, no deadline */
    hs_mutators_stop(m);
    hs_workload_result res;
    hs_mutators_join(m, &res);
    ck_assert_int_eq(res.end, HS_END_STOPPED);
    hs_runtime_free(rt);
    hs_workload_free(w);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("binary-trees");
    TCase *tc = tcase_create("binary-trees");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reference_depth10);
    tcase_add_test(tc, test_depth10_one_p);
    tcase_add_test(tc, test_depth10_two_ps);
    tcase_add_test(tc, test_small_depth_counts_as_6);
    tcase_add_test(tc, test_depth10_gc_on);
    tcase_add_test(tc, test_out_of_memory);
    tcase_add_test(tc, test_deadline_stops);
    tcase_add_test(tc, test_stop_and_wait);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
