/*
 * test_mcentral.c — spans moving between mcentral's partial/full x
 * swept/unswept sets as cycles flip and sweepers work.
 */
#include "rtutil.h"

static hs_runtime *rt;
static hs_p *p0;
enum { cls = 26, per = 16 }; /* 512 B noscan: 16 objects per span */
static void *objs[4][per];
static void *extra; /* the one object of a 5th span */

static void setup(void)
{
    rt = rt_new(1, false);
    p0 = hs_runtime_p(rt, 0);
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < per; i++)
            objs[s][i] = hs_malloc(p0, 512, NULL);
    extra = hs_malloc(p0, 512, NULL); /* pushes the 4th span out of the mcache */
    mcache_releaseAll(rt, &p0->mcache);
}

static void teardown(void)
{
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}

static mspan *span_of(void *p) { return spanOfHeap(&rt->heap, (uintptr_t)p); }

START_TEST(test_sets_flip_with_sweepgen)
{
    mcentral *c = &rt->heap.central[makeSpanClass(cls, true)];
    uint32_t sg = rt->heap.sweepgen;
    ck_assert_uint_eq(mcentral_fullSwept(c, sg)->n, 4);
    ck_assert_uint_eq(mcentral_partialSwept(c, sg)->n, 1);
    /* Span 0 keeps everything, span 1 half, span 2 one object, span 3 none. */
    for (int i = 0; i < per; i++)
        rt_mark(rt, objs[0][i]);
    for (int i = 0; i < per; i += 2)
        rt_mark(rt, objs[1][i]);
    rt_mark(rt, objs[2][5]);
    uint64_t pages0 = rt->heap.pagesInUse;
    gcStartSweepCycle(rt);
    uint32_t nsg = rt->heap.sweepgen;
    ck_assert_uint_eq(nsg, sg + 2);
    /* Last cycle's swept sets are this cycle's unswept ones. */
    ck_assert_uint_eq(mcentral_fullUnswept(c, nsg)->n, 4);
    ck_assert_uint_eq(mcentral_partialUnswept(c, nsg)->n, 1);
    ck_assert_uint_eq(span_of(objs[0][0])->sweepgen, nsg - 2);
    ck_assert(!isSweepDone(rt));
    finishsweep(rt);
    ck_assert(isSweepDone(rt));
    ck_assert_uint_eq(mcentral_fullUnswept(c, nsg)->n, 0);
    ck_assert_uint_eq(mcentral_partialUnswept(c, nsg)->n, 0);
    ck_assert_uint_eq(mcentral_fullSwept(c, nsg)->n, 1);    /* span 0 */
    ck_assert_uint_eq(mcentral_partialSwept(c, nsg)->n, 2); /* spans 1 and 2 */
    ck_assert_uint_eq(span_of(objs[1][0])->allocCount, per / 2);
    ck_assert_uint_eq(span_of(objs[2][5])->allocCount, 1);
    /* Span 3 and the 5th span (one unmarked object) went back to the heap. */
    ck_assert_uint_eq(rt->heap.pagesInUse, pages0 - 2);
    ck_assert_ptr_null(span_of(objs[3][0]));
}
END_TEST

/* cacheSpan sweeps lazily: partial unswept spans first, then full unswept
 * ones, taking the first that sweeping leaves with a free slot. */
START_TEST(test_cachespan_sweeps_lazily)
{
    mcentral *c = &rt->heap.central[makeSpanClass(cls, true)];
    for (int s = 0; s < 4; s++)
        for (int i = 0; i < per; i++)
            if (s != 2 || i != 7)
                rt_mark(rt, objs[s][i]);
    rt_mark(rt, extra);
    gcStartSweepCycle(rt);
    uint32_t nsg = rt->heap.sweepgen;
    ck_assert_uint_eq(rt->sweep.nlazysweep, 0);
    /* First refill: the partial unswept 5th span, swept on the spot. */
    void *x = hs_malloc(p0, 512, NULL);
    mspan *fifth = span_of(extra);
    ck_assert_ptr_eq(span_of(x), fifth);
    ck_assert_uint_eq(fifth->sweepgen, nsg + 3);
    ck_assert_uint_eq(rt->sweep.nlazysweep, 1);
    for (int i = 2; i < per; i++)
        hs_malloc(p0, 512, NULL);
    ck_assert_uint_eq(fifth->allocCount, per);
    /* Next refill: full unswept spans 0 and 1 stay full (to the full swept
     * set); span 2 has slot 7 free and is used. */
    void *y = hs_malloc(p0, 512, NULL);
    ck_assert_ptr_eq(y, objs[2][7]);
    ck_assert_uint_eq(rt->sweep.nlazysweep, 4);
    ck_assert_uint_eq(mcentral_fullSwept(c, nsg)->n, 3); /* spans 0, 1 and the 5th */
    ck_assert_uint_eq(mcentral_fullUnswept(c, nsg)->n, 1); /* span 3, not reached */
    finishsweep(rt);
    ck_assert_uint_eq(mcentral_fullSwept(c, nsg)->n, 4);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("mcentral");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sets_flip_with_sweepgen);
    tcase_add_test(tc, test_cachespan_sweeps_lazily);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
