/*
 * test_gc.c — the collector end to end: what is reachable survives, what is
 * not is freed, and the checkmark verifier agrees after every cycle.
 */
#include "gcutil.h"

/* Completeness: everything unreachable at the start of a cycle is freed by
 * its end; everything reachable survives. */
START_TEST(test_frees_exactly_the_unreachable)
{
    hs_runtime *rt = gc_rt_new(1, -1);
    hs_p *p0 = hs_runtime_p(rt, 0);
    hs_p_acquire(p0);
    hs_g *g = hs_g_new(p0, 4);
    void **stack = hs_g_slots(g);
    /* A list of 1000 nodes from a stack slot, 500 loose nodes, and 300 from a global. */
    for (int i = 0; i < 1000; i++) {
        node *n = node_new(p0, (uint64_t)i);
        hs_write_ptr(p0, (void **)&n->next[0], stack[0]);
        stack[0] = n;
    }
    for (int i = 0; i < 500; i++)
        node_new(p0, 100000 + (uint64_t)i);
    void **globals = hs_runtime_globals(rt);
    for (int i = 0; i < 300; i++) {
        node *n = node_new(p0, 200000 + (uint64_t)i);
        hs_write_ptr(p0, (void **)&n->next[1], globals[3]);
        hs_write_ptr(p0, &globals[3], n);
    }
    ck_assert_uint_eq(heap_objects(rt), 1800);
    hs_gc(rt, p0);
    hs_p_release(p0);
    finishsweep(rt);
    ck_assert_uint_eq(heap_objects(rt), 1300);
    int count = 0;
    for (node *n = stack[0]; n != NULL; n = n->next[0], count++)
        ck_assert(node_ok(n));
    ck_assert_int_eq(count, 1000);
    /* Drop the list: the next cycle frees it. */
    hs_p_acquire(p0);
    stack[0] = NULL;
    hs_gc(rt, p0);
    hs_p_release(p0);
    finishsweep(rt);
    ck_assert_uint_eq(heap_objects(rt), 300);
    hs_gc_summary sum = hs_gc_get_summary(rt);
    ck_assert_uint_eq(sum.cycles, 2);
    ck_assert(!sum.verify_failed);
    hs_runtime_free(rt);
}
END_TEST

/* Classic greying: a pointer-free object is black by its mark bit alone, as
 * in Go (no scan bit, nothing queued, its bytes counted once); an object with
 * pointers is gray until scanned. */
START_TEST(test_noscan_black_by_mark_bit)
{
    hs_runtime *rt = gc_rt_new_mode(1, -1, HS_GC_CLASSIC, false);
    hs_p *pp = hs_runtime_p(rt, 0);
    gcWork *w = &pp->gcw;
    hs_p_acquire(pp);
    uintptr_t str = (uintptr_t)hs_malloc(pp, 48, NULL);
    node *n = node_new(pp, 1);
    hs_p_release(pp);
    mspan *ss = spanOfHeap(&rt->heap, str), *s = spanOfHeap(&rt->heap, (uintptr_t)n);
    ck_assert(spanClass_noscan(ss->spanclass) && !spanClass_noscan(s->spanclass));
    uintptr_t sidx = mspan_objIndex(ss, str), idx = mspan_objIndex(s, (uintptr_t)n);
    uint64_t marked = w->bytesMarked;
    shade(rt, w, str + 47);
    shade(rt, w, str);
    ck_assert(mspan_isMarked(ss, sidx) && mspan_isBlack(ss, sidx));
    ck_assert(!bits_isset(ss->gcscanBits, sidx));
    ck_assert_uint_eq(w->bytesMarked - marked, 48);
    ck_assert(gcw_empty(w));
    shade(rt, w, (uintptr_t)n);
    ck_assert(mspan_isMarked(s, idx) && !mspan_isBlack(s, idx));
    ck_assert_uint_eq(gcw_tryGetFast(w), (uintptr_t)n);
    hs_runtime_free(rt);
}
END_TEST

/* The verifier itself: a reachable object left white is caught, with the
 * path to it; a correct marking passes. */
START_TEST(test_checkmark_catches_a_white_object)
{
    hs_config cfg = hs_config_default();
    cfg.background = false;
    cfg.gogc = -1;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    hs_p *p0 = hs_runtime_p(rt, 0);
    hs_p_acquire(p0);
    void **globals = hs_runtime_globals(rt);
    node *a = node_new(p0, 1);
    hs_write_ptr(p0, &globals[0], a);
    node *b = node_new(p0, 2);
    hs_write_ptr(p0, (void **)&a->next[2], b);
    node *c = node_new(p0, 3);
    hs_write_ptr(p0, (void **)&b->next[1], c);
    hs_p_release(p0);
    /* Mark as a collector would, forgetting c. */
    const node *marked[] = {a, b};
    for (int i = 0; i < 2; i++) {
        mspan *s = spanOfHeap(&rt->heap, (uintptr_t)marked[i]);
        bits_set_atomic(s->gcmarkBits, mspan_objIndex(s, (uintptr_t)marked[i]));
    }
    ck_assert(!gcCheckmark(rt));
    mspan *s = spanOfHeap(&rt->heap, (uintptr_t)c);
    bits_set_atomic(s->gcmarkBits, mspan_objIndex(s, (uintptr_t)c));
    ck_assert(gcCheckmark(rt));
    hs_runtime_free(rt);
}
END_TEST

/* Without a collector thread, the P whose allocation passes the trigger runs
 * the cycle itself (not forced), so on one P the cycles follow the
 * allocations: the same allocations give the same cycles and the same marked
 * heap, every time. */
static uint32_t inline_cycles(uint64_t *goal)
{
    hs_config cfg = hs_config_default();
    cfg.background = false;
    cfg.verify = true;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    hs_p *p0 = hs_runtime_p(rt, 0);
    hs_p_acquire(p0);
    hs_g *g = hs_g_new(p0, 1);
    void **stack = hs_g_slots(g);
    /* 40 MiB of nodes, a list of the last 20000 of them live (1.25 MiB). */
    node *tail = NULL;
    for (uint64_t i = 0; i < 40 * 1024 * 1024 / sizeof(node); i++) {
        node *n = node_new(p0, i);
        ck_assert_ptr_nonnull(n);
        if (i % 20000 == 0) {
            stack[0] = n;
        } else {
            hs_write_ptr(p0, (void **)&tail->next[0], n);
        }
        tail = n;
    }
    hs_g_free(g);
    hs_p_release(p0);
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    hs_gc_summary sum = hs_gc_get_summary(rt);
    ck_assert_uint_eq(ms.NumGC, sum.cycles);
    ck_assert_uint_eq(sum.forced, 0);
    ck_assert(!sum.verify_failed);
    *goal = ms.NextGC;
    hs_runtime_free(rt);
    return sum.cycles;
}

START_TEST(test_inline_cycles_follow_the_allocations)
{
    uint64_t goal1, goal2;
    uint32_t n1 = inline_cycles(&goal1), n2 = inline_cycles(&goal2);
    ck_assert_uint_ge(n1, 5); /* 40 MiB through a 4 MiB minimum heap */
    ck_assert_uint_eq(n1, n2);
    ck_assert_uint_eq(goal1, goal2);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("gc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_frees_exactly_the_unreachable);
    tcase_add_test(tc, test_noscan_black_by_mark_bit);
    tcase_add_test(tc, test_checkmark_catches_a_white_object);
    tcase_add_test(tc, test_inline_cycles_follow_the_allocations);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
