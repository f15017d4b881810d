/*
 * test_prealloc.c — the prealloc scenario: a fixed number of slices on 1 and
 * 2 Ps under the checkmark verifier in both modes; appending grows a slice
 * as Go's growslice does (exact for short slices), allocates several times
 * the bytes and needs more cycles than sizing it up front (cycles inline, so
 * exact).
 */
#include <config.h>

#include "wlutil.h"

START_TEST(test_verified)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        for (int sized = 0; sized <= 1; sized++) {
            char spec[64];
            wl_outcome o;
            snprintf(spec, sizeof spec, "prealloc:sized=%d,steps=300", sized);
            wl_expect_verified(spec, nprocs, &o);
            ck_assert_uint_eq(o.res.ops, 300 * (uint64_t)nprocs);
            ck_assert_uint_eq(o.res.checks_passed, o.res.ops); /* one check a slice */
            wl_outcome_free(&o);
        }
    }
}
END_TEST

START_TEST(test_growth_as_go)
{
    /* Two elements: append makes arrays of 1 then 2 (16 and 32 bytes);
     * make([]pair, 0, 2) one of 32. */
    wl_outcome grown = wl_run_inline("prealloc:sized=0,len=2,steps=100", 42);
    wl_outcome sized = wl_run_inline("prealloc:sized=1,len=2,steps=100", 42);
    ck_assert_uint_eq(grown.res.allocs, 200);
    ck_assert_uint_eq(grown.ms.TotalAlloc, 100 * (16 + 32));
    ck_assert_uint_eq(sized.res.allocs, 100);
    ck_assert_uint_eq(sized.ms.TotalAlloc, 100 * 32);
    wl_outcome_free(&grown);
    wl_outcome_free(&sized);
    /* 425 to 848 elements: capacities 1, 2, 4, ..., 256, then 512 (8 KiB),
     * then 512 + (512 + 768) / 4 = 832, whose 13312 bytes round up to the
     * 13568-byte class: 848, enough for all.  Never 1024 (16 KiB). */
    grown = wl_run_inline("prealloc:sized=0,len=848,steps=50", 42);
    ck_assert_uint_eq(grown.ms.BySize[hs_size_to_class(8192)].Mallocs, 50);
    uint64_t past512 = grown.ms.BySize[hs_size_to_class(13568)].Mallocs;
    ck_assert_uint_gt(past512, 0);
    ck_assert_uint_lt(past512, 50);
    ck_assert_uint_eq(grown.ms.BySize[hs_size_to_class(16384)].Mallocs, 0);
    ck_assert_uint_eq(grown.res.allocs, 50 * 10 + past512);
    wl_outcome_free(&grown);
}
END_TEST

START_TEST(test_presizing_saves_cycles)
{
    wl_outcome grown = wl_run_inline("prealloc:sized=0,steps=3000", 42);
    wl_outcome sized = wl_run_inline("prealloc:sized=1,steps=3000", 42);
    ck_assert_uint_gt(grown.ms.TotalAlloc, 3 * sized.ms.TotalAlloc);
    ck_assert_uint_gt(grown.gc.cycles, 2 * sized.gc.cycles);
    ck_assert_uint_gt(sized.gc.cycles, 0);
    wl_outcome_free(&grown);
    wl_outcome_free(&sized);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("prealloc");
    TCase *tc = tcase_create("prealloc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified);
    tcase_add_test(tc, test_growth_as_go);
    tcase_add_test(tc, test_presizing_saves_cycles);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
