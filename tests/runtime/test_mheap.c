/*
 * test_mheap.c — arenas, span lookup, large spans, coalescing, and the
 * --max-heap cap.
 */
#include "rtutil.h"

START_TEST(test_first_arena_at_go_hint)
{
    hs_runtime *rt = rt_new(1, false);
    uintptr_t x = (uintptr_t)hs_malloc(hs_runtime_p(rt, 0), 64, NULL);
    ck_assert_uint_eq(rt->heap.nallArenas, 1);
    uintptr_t base = rt->heap.allArenas[0];
    ck_assert_uint_eq(base % heapArenaBytes, 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* Sanitizers keep 0xc000000000 for themselves; elsewhere it is Go's hint. */
    ck_assert_uint_eq(base, arenaBaseHint);
#endif
    ck_assert(x >= base && x < base + heapArenaBytes);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

/* Two runtimes in one process get disjoint arenas. */
START_TEST(test_two_runtimes)
{
    hs_runtime *a = rt_new(1, false), *b = rt_new(1, false);
    uintptr_t x = (uintptr_t)hs_malloc(hs_runtime_p(a, 0), 64, NULL);
    uintptr_t y = (uintptr_t)hs_malloc(hs_runtime_p(b, 0), 64, NULL);
    ck_assert_uint_ne(a->heap.allArenas[0], b->heap.allArenas[0]);
    ck_assert_ptr_null(spanOfHeap(&a->heap, y));
    ck_assert_ptr_null(spanOfHeap(&b->heap, x));
    hs_runtime_free(a);
    hs_runtime_free(b);
}
END_TEST

START_TEST(test_growth_past_several_arenas)
{
    hs_runtime *rt = rt_new(1, false);
    hs_p *p0 = hs_runtime_p(rt, 0);
    /* 40 objects of 5 MiB: 200 MiB, more than three arenas. */
    uintptr_t objs[40];
    for (int i = 0; i < 40; i++) {
        objs[i] = (uintptr_t)hs_malloc(p0, 5 << 20, NULL);
        ck_assert_uint_ne(objs[i], 0);
    }
    ck_assert_uint_ge(rt->heap.nallArenas, 4);
    for (size_t i = 0; i < rt->heap.nallArenas; i++)
        ck_assert_uint_eq(rt->heap.allArenas[i] % heapArenaBytes, 0);
    for (int i = 0; i < 40; i++) {
        mspan *s = spanOfHeap(&rt->heap, objs[i]);
        ck_assert_uint_eq(s->npages, (5 << 20) / pageSize);
        /* Interior pointers anywhere in the object find its span. */
        for (uintptr_t off = 0; off < (5 << 20); off += 4099)
            ck_assert_ptr_eq(spanOfHeap(&rt->heap, objs[i] + off), s);
    }
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.HeapInuse, 40ull * (5 << 20));
    ck_assert_uint_ge(ms.HeapSys, ms.HeapInuse);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

START_TEST(test_interior_pointers_small)
{
    hs_runtime *rt = rt_new(1, false);
    hs_p *p0 = hs_runtime_p(rt, 0);
    uintptr_t x = (uintptr_t)hs_malloc(p0, 48, NULL);
    mspan *s = spanOfHeap(&rt->heap, x);
    uintptr_t idx = mspan_objIndex(s, x);
    for (uintptr_t off = 0; off < 48; off++) {
        ck_assert_ptr_eq(spanOfHeap(&rt->heap, x + off), s);
        ck_assert_uint_eq(mspan_objIndex(s, x + off), idx);
    }
    /* The tail waste after the last object belongs to no object. */
    ck_assert_ptr_null(spanOfHeap(&rt->heap, s->startAddr + pageSize - 1));
    ck_assert_ptr_eq(spanOf(&rt->heap, s->startAddr + pageSize - 1), s);
    ck_assert_ptr_null(spanOf(&rt->heap, 0x1000));
    hs_runtime_free(rt);
}
END_TEST

/* Free neighbours coalesce: after freeing three adjacent large spans, one
 * request as large as the three together lands at the first one's address. */
START_TEST(test_free_coalesces)
{
    hs_runtime *rt = rt_new(1, false);
    hs_p *p0 = hs_runtime_p(rt, 0);
    uintptr_t a = (uintptr_t)hs_malloc(p0, 10 * pageSize, NULL);
    uintptr_t b = (uintptr_t)hs_malloc(p0, 10 * pageSize, NULL);
    uintptr_t c = (uintptr_t)hs_malloc(p0, 10 * pageSize, NULL);
    uintptr_t d = (uintptr_t)hs_malloc(p0, 10 * pageSize, NULL);
    ck_assert_uint_eq(b, a + 10 * pageSize);
    ck_assert_uint_eq(c, b + 10 * pageSize);
    rt_mark(rt, (void *)d);
    gcStartSweepCycle(rt);
    finishsweep(rt); /* a, b, c freed; d kept */
    ck_assert_ptr_null(spanOfHeap(&rt->heap, a));
    ck_assert_ptr_nonnull(spanOfHeap(&rt->heap, d));
    uintptr_t e = (uintptr_t)hs_malloc(p0, 30 * pageSize, NULL);
    ck_assert_uint_eq(e, a);
    /* A hole too small is skipped for the lowest fit past it. */
    uintptr_t f = (uintptr_t)hs_malloc(p0, 11 * pageSize, NULL);
    ck_assert_uint_eq(f, d + 10 * pageSize);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

START_TEST(test_max_heap_oom)
{
    hs_config cfg = hs_config_default();
    cfg.background = false;
    cfg.gogc = -1;
    cfg.max_heap = 1 << 20;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    hs_p *p0 = hs_runtime_p(rt, 0);
    void *big = hs_malloc(p0, 900 << 10, NULL);
    ck_assert_ptr_nonnull(big);
    hs_runtime_globals(rt)[0] = big; /* reachable: the collector cannot help */
    ck_assert(!hs_runtime_oom(rt).happened);
    ck_assert_ptr_null(hs_malloc(p0, 200 << 10, NULL));
    hs_oom_info oom = hs_runtime_oom(rt);
    ck_assert(oom.happened);
    ck_assert_uint_eq(oom.requested, 25 * pageSize);
    ck_assert_uint_eq(oom.heap_inuse, 113 * pageSize);
    ck_assert_uint_eq(oom.max_heap, 1 << 20);
    ck_assert_ptr_nonnull(strstr(hs_runtime_error(rt), "--max-heap"));
    /* Small objects that still fit are fine. */
    ck_assert_ptr_nonnull(hs_malloc(p0, 64, NULL));
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

/* A fake OS that refuses every reservation past the runtime's own setup. */
static bool refuse;
static void *refusing_map(void *ctx, uintptr_t hint, size_t n)
{
    if (refuse && n >= heapArenaBytes)
        return NULL;
    return hs_sysops_linux.map(ctx, hint, n);
}

START_TEST(test_arena_reservation_fails)
{
    hs_sysops sys = hs_sysops_linux;
    sys.map = refusing_map;
    refuse = false;
    hs_config cfg = hs_config_default();
    cfg.background = false;
    cfg.sys = &sys;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    refuse = true;
    ck_assert_ptr_null(hs_malloc(hs_runtime_p(rt, 0), 64, NULL));
    ck_assert(!hs_runtime_oom(rt).happened);
    ck_assert_ptr_nonnull(strstr(hs_runtime_error(rt), "refused"));
    hs_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("mheap");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_first_arena_at_go_hint);
    tcase_add_test(tc, test_two_runtimes);
    tcase_add_test(tc, test_growth_past_several_arenas);
    tcase_add_test(tc, test_interior_pointers_small);
    tcase_add_test(tc, test_free_coalesces);
    tcase_add_test(tc, test_max_heap_oom);
    tcase_add_test(tc, test_arena_reservation_fails);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
