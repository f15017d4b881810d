/*
 * test_tiny.c — the tiny scenario: a fixed number of replacements on 1 and 2
 * Ps under the checkmark verifier; every string under 16 bytes goes through
 * the tiny allocator (a packed tiny allocation or the start of a 16-byte
 * block), longer ones do not.
 */
#include <config.h>

#include "wlutil.h"

/* Strings counted as tiny allocations or as the 16-byte blocks they start. */
static uint64_t through_tiny(const wl_outcome *o)
{
    return o->ms.TinyAllocs + o->ms.BySize[hs_size_to_class(16)].Mallocs;
}

START_TEST(test_verified_and_tiny)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified("tiny:strings=100000,steps=1000000", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 1000000 * (uint64_t)nprocs);
        /* Every allocation but each P's table is a string, and tiny. */
        ck_assert_uint_eq(through_tiny(&o), o.res.allocs - (uint64_t)nprocs);
        ck_assert_uint_gt(o.ms.TinyAllocs, o.res.allocs / 3); /* packed, most of them */
        wl_outcome_free(&o);
    }
}
END_TEST

START_TEST(test_longer_strings_are_not_tiny)
{
    wl_outcome o;
    wl_run("tiny:strings=1000,len=64,steps=10000", 1, -1, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s", o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    /* About 15 in 64 are under 16 bytes. */
    ck_assert_uint_lt(through_tiny(&o), o.res.allocs / 2);
    ck_assert_uint_gt(o.ms.TinyAllocs, 0);
    wl_outcome_free(&o);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("tiny");
    TCase *tc = tcase_create("tiny");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified_and_tiny);
    tcase_add_test(tc, test_longer_strings_are_not_tiny);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
