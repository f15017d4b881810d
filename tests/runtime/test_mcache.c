/*
 * test_mcache.c — refilling a P's cache from mcentral and releasing it.
 */
#include "rtutil.h"

static hs_runtime *rt;
static hs_p *p0;

static void setup(void)
{
    rt = rt_new(2, false);
    p0 = hs_runtime_p(rt, 0);
}

static void teardown(void)
{
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}

START_TEST(test_refill_when_full)
{
    const int cls = 10; /* 128 B: 64 per span */
    spanClass spc = makeSpanClass(cls, true);
    mcache *c = &p0->mcache;
    mcentral *central = &rt->heap.central[spc];
    uint32_t sg = rt->heap.sweepgen;
    ck_assert_ptr_eq(c->alloc[spc], &rt->heap.emptymspan);
    void *first = hs_malloc(p0, 128, NULL);
    mspan *s1 = c->alloc[spc];
    ck_assert_ptr_eq(spanOfHeap(&rt->heap, (uintptr_t)first), s1);
    ck_assert_uint_eq(s1->sweepgen, sg + 3); /* swept, then cached */
    for (int i = 1; i < 64; i++)
        hs_malloc(p0, 128, NULL);
    ck_assert_ptr_eq(c->alloc[spc], s1);
    ck_assert_uint_eq(s1->allocCount, 64);
    hs_malloc(p0, 128, NULL); /* the 65th object needs a new span */
    mspan *s2 = c->alloc[spc];
    ck_assert_ptr_ne(s2, s1);
    ck_assert_uint_eq(s2->allocCount, 1);
    /* The full span went back to mcentral's full swept set. */
    ck_assert_ptr_eq(s1->list, mcentral_fullSwept(central, sg));
    ck_assert_uint_eq(s1->sweepgen, sg);
    ck_assert_uint_eq(central->nmalloc, 2);
}
END_TEST

START_TEST(test_release_all)
{
    mcache *c = &p0->mcache;
    uint32_t sg = rt->heap.sweepgen;
    hs_malloc(p0, 128, NULL);
    hs_malloc(p0, 1024, NULL);
    hs_malloc(p0, 5, NULL);
    mspan *a = c->alloc[makeSpanClass(10, true)];
    mspan *b = c->alloc[makeSpanClass(32, true)];
    ck_assert_uint_ne(c->tiny, 0);
    mcache_releaseAll(rt, c);
    ck_assert_uint_eq(c->tiny, 0);
    for (int i = 0; i < numSpanClasses; i++)
        ck_assert_ptr_eq(c->alloc[i], &rt->heap.emptymspan);
    ck_assert_ptr_eq(a->list, mcentral_partialSwept(&rt->heap.central[a->spanclass], sg));
    ck_assert_ptr_eq(b->list, mcentral_partialSwept(&rt->heap.central[b->spanclass], sg));
    /* The next allocation takes the partial span back rather than a new one. */
    void *x = hs_malloc(p0, 128, NULL);
    ck_assert_ptr_eq(spanOfHeap(&rt->heap, (uintptr_t)x), a);
    ck_assert_uint_eq(a->allocCount, 2);
}
END_TEST

START_TEST(test_two_ps_have_their_own_spans)
{
    hs_p *p1 = hs_runtime_p(rt, 1);
    void *x = hs_malloc(p0, 48, NULL);
    void *y = hs_malloc(p1, 48, NULL);
    ck_assert_ptr_ne(spanOfHeap(&rt->heap, (uintptr_t)x), spanOfHeap(&rt->heap, (uintptr_t)y));
    ck_assert_ptr_eq(p0->mcache.alloc[makeSpanClass(5, true)], spanOfHeap(&rt->heap, (uintptr_t)x));
    ck_assert_ptr_eq(p1->mcache.alloc[makeSpanClass(5, true)], spanOfHeap(&rt->heap, (uintptr_t)y));
}
END_TEST

/* A span cached before a sweep cycle began is stale (sg+1); releasing it sweeps it. */
START_TEST(test_stale_span_swept_on_release)
{
    mcache *c = &p0->mcache;
    void *keep = hs_malloc(p0, 256, NULL);
    for (int i = 0; i < 9; i++)
        hs_malloc(p0, 256, NULL);
    mspan *s = c->alloc[makeSpanClass(18, true)];
    rt_mark(rt, keep);
    uint32_t sg = rt->heap.sweepgen;
    rt->heap.sweepgen = sg + 2; /* as the collector would, world stopped */
    ck_assert_uint_eq(s->sweepgen, rt->heap.sweepgen + 1);
    mcache_releaseAll(rt, c);
    ck_assert_uint_eq(s->sweepgen, rt->heap.sweepgen);
    ck_assert_uint_eq(s->allocCount, 1);
    ck_assert_ptr_eq(s->list, mcentral_partialSwept(&rt->heap.central[s->spanclass], sg + 2));
    rt->sweep.state = 0; /* as the cycle start does: sweeping may begin */
    finishsweep(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("mcache");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_refill_when_full);
    tcase_add_test(tc, test_release_all);
    tcase_add_test(tc, test_two_ps_have_their_own_spans);
    tcase_add_test(tc, test_stale_span_swept_on_release);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
