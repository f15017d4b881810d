/*
 * test_large.c — the large scenario: a fixed number of replacements on 1 and
 * 2 Ps under the checkmark verifier, each replaced object checked; nothing
 * it allocates is a small object or a tiny one.
 */
#include <config.h>

#include "wlutil.h"

START_TEST(test_verified_and_only_large)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified("large:live=8MiB,max=1MiB,steps=300", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 300 * (uint64_t)nprocs);
        ck_assert_uint_ge(o.res.checks_passed, o.res.ops);
        uint64_t small = 0;
        for (int c = 1; c < HS_NUM_SIZE_CLASSES; c++)
            small += o.ms.BySize[c].Mallocs;
        ck_assert_uint_eq(small, 0);
        ck_assert_uint_eq(o.ms.TinyAllocs, 0);
        ck_assert_uint_eq(o.ms.Mallocs, o.res.allocs);
        ck_assert_uint_gt(o.ms.TotalAlloc, o.res.allocs * (32 << 10));
        wl_outcome_free(&o);
    }
}
END_TEST

START_TEST(test_sizes)
{
    /* min above max: every object is min bytes, rounded up to pages. */
    wl_outcome o;
    wl_run("large:live=1MiB,min=40KiB,max=33KiB,steps=10", 1, -1, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s", o.res.message);
    ck_assert_uint_eq(o.ms.TotalAlloc, o.res.allocs * (40 << 10));
    wl_outcome_free(&o);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("large");
    TCase *tc = tcase_create("large");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified_and_only_large);
    tcase_add_test(tc, test_sizes);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
