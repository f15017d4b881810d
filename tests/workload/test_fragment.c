/*
 * test_fragment.c — the fragment scenario: a fixed number of rounds on 1 and
 * 2 Ps under the checkmark verifier with every survivor checked twice; with
 * keep=8 the spans left in use are mostly empty and a round's worth of pages
 * is free, while keep=1 leaves them full (cycles inline, so exact).
 */
#include <config.h>

#include "wlutil.h"

#include <stdio.h>

START_TEST(test_verified)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified("fragment:live=4MiB,rounds=6", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 6 * (uint64_t)nprocs);
        char want[32];
        snprintf(want, sizeof want, "fragment: %d rounds", 6 * nprocs);
        ck_assert_msg(strstr(o.out, want) != NULL, "report: %s", o.out);
        wl_outcome_free(&o);
    }
}
END_TEST

/* The statistics after the scenario's last cycle, on one P, cycles inline. */
static hs_memstats after(const char *spec)
{
    wl_outcome o = wl_run_inline(spec, 42);
    wl_outcome_free(&o);
    return o.ms;
}

START_TEST(test_sparse_spans_and_free_pages)
{
    hs_memstats sparse = after("fragment:live=4MiB,rounds=6,keep=8");
    hs_memstats full = after("fragment:live=4MiB,rounds=6,keep=1");
    /* Two rounds of survivors, 1 MiB of objects, spread over the spans of a
     * whole round and more. */
    ck_assert_msg(sparse.HeapInuse > 2 * sparse.HeapAlloc, "in use %llu for %llu allocated",
                  (unsigned long long)sparse.HeapInuse, (unsigned long long)sparse.HeapAlloc);
    ck_assert_msg(sparse.HeapIdle >= 2 << 20, "idle %llu", (unsigned long long)sparse.HeapIdle);
    ck_assert_msg(full.HeapInuse < full.HeapAlloc + full.HeapAlloc / 4,
                  "in use %llu for %llu allocated", (unsigned long long)full.HeapInuse,
                  (unsigned long long)full.HeapAlloc);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("fragment");
    TCase *tc = tcase_create("fragment");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified);
    tcase_add_test(tc, test_sparse_spans_and_free_pages);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
