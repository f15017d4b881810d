/*
 * test_scavenge.c — free pages go back to the OS and RSS really falls.
 *
 * RSS is read from /proc/self/statm.  The tests work in 64 MiB so that the
 * test binary's own noise is small against what is measured.
 */
#include <unistd.h>

#include "rtutil.h"

static uint64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(f);
    unsigned long size = 0, resident = 0;
    ck_assert_int_eq(fscanf(f, "%lu %lu", &size, &resident), 2);
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

enum { objSize = 1 << 20, nobj = 64 };

/* Allocate and touch 64 MiB, then free all of it with a sweep. */
static void fill_and_free(hs_runtime *rt)
{
    hs_p *p0 = hs_runtime_p(rt, 0);
    for (int i = 0; i < nobj; i++) {
        uint8_t *x = hs_malloc(p0, objSize, NULL);
        ck_assert_ptr_nonnull(x);
        memset(x, 0x5a, objSize);
    }
    gcStartSweepCycle(rt);
    finishsweep(rt);
}

START_TEST(test_scavenge_lowers_rss)
{
    hs_runtime *rt = rt_new(1, false);
    uint64_t rss0 = rss_bytes();
    fill_and_free(rt);
    uint64_t rss1 = rss_bytes();
    ck_assert_uint_ge(rss1, rss0 + 60ull * objSize);
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.HeapInuse, 0);
    ck_assert_uint_eq(ms.HeapIdle, ms.HeapSys);
    uint64_t released0 = ms.HeapReleased;
    uint64_t got = scavenge(rt, UINT64_MAX);
    ck_assert_uint_ge(got, (uint64_t)nobj * objSize);
    uint64_t rss2 = rss_bytes();
    ck_assert_uint_le(rss2, rss1 - 60ull * objSize);
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.HeapReleased, released0 + got);
    ck_assert_uint_eq(ms.HeapReleased, ms.HeapSys); /* everything is back */
    ck_assert_uint_eq(heapRetained(rt), 0);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

/* Highest addresses go first, and a scavenged page handed out again is zero
 * and leaves HeapReleased. */
START_TEST(test_scavenge_order_and_reuse)
{
    hs_runtime *rt = rt_new(1, false);
    hs_p *p0 = hs_runtime_p(rt, 0);
    uint8_t *a = hs_malloc(p0, 8 * pageSize, NULL);
    uint8_t *b = hs_malloc(p0, 8 * pageSize, NULL);
    memset(a, 1, 8 * pageSize);
    memset(b, 2, 8 * pageSize);
    gcStartSweepCycle(rt);
    finishsweep(rt);
    uint64_t rel0 = rt->heap.heapReleased;
    ck_assert_uint_eq(scavenge(rt, 8 * pageSize), 8 * pageSize);
    /* b (higher) was released first; a still holds its bytes. */
    ck_assert(pageAlloc_scavenged(&rt->heap.pages, (uintptr_t)b));
    ck_assert(!pageAlloc_scavenged(&rt->heap.pages, (uintptr_t)a));
    ck_assert_uint_eq(rt->heap.heapReleased, rel0 + 8 * pageSize);
    uint8_t *c = hs_malloc(p0, 16 * pageSize, NULL);
    ck_assert_ptr_eq(c, a);
    ck_assert_uint_eq(rt->heap.heapReleased, rel0);
    ck_assert(rt_is_zero(c, 16 * pageSize));
    rt_assert_valid(rt);
    hs_runtime_free(rt);
}
END_TEST

/* The background scavenger brings retained memory down to its goal by itself. */
START_TEST(test_background_scavenger_reaches_goal)
{
    hs_config cfg = hs_config_default(); /* GOGC 100: the goal follows the heap goal */
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    hs_p *p0 = hs_runtime_p(rt, 0);
    hs_p_acquire(p0);
    /* Reachable while allocated, so the heap grows to nobj objects however
     * fast the cycles that start meanwhile are. */
    hs_g *g = hs_g_new(p0, nobj);
    void **slots = hs_g_slots(g);
    for (int i = 0; i < nobj; i++) {
        slots[i] = hs_malloc(p0, objSize, NULL);
        memset(slots[i], 0x5a, objSize);
    }
    hs_g_free(g);
    hs_gc(rt, p0); /* nothing is reachable: everything is freed */
    hs_p_release(p0);
    uint64_t goal = atomic_load_u64(&rt->scav.goal);
    uint64_t retained0 = heapRetained(rt);
    ck_assert_uint_gt(retained0, goal);
    /* Wait for the behaviour, not for a time: poll until it happens. */
    for (int i = 0; i < 6000 && heapRetained(rt) > goal; i++)
        usleep(10000);
    ck_assert_uint_le(heapRetained(rt), goal);
    ck_assert_uint_gt(atomic_load_u64(&rt->scav.runs), 0);
    ck_assert_uint_ge(atomic_load_u64(&rt->scav.released), retained0 - goal);
    hs_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("scavenge");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_scavenge_lowers_rss);
    tcase_add_test(tc, test_scavenge_order_and_reuse);
    tcase_add_test(tc, test_background_scavenger_reaches_goal);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
