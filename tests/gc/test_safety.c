/*
 * test_safety.c — no reachable object is ever freed.
 *
 * Several goroutines, one per P, mutate a shared random graph while the
 * collector runs cycle after cycle (GOGC 25, so cycles are frequent) with the
 * checkmark verifier on.  Every node carries a checksum of its identity and
 * every traversal checks it: a node freed while reachable is zeroed and
 * reused, and its checksum breaks.  Mutations go through hs_write_ptr, so the
 * hybrid barrier is what keeps concurrent mark correct; pointers a goroutine
 * holds across a safe point live in its stack slots.
 *
 * HS_SAFETY_OPS sets mutations per goroutine (default 400,000); with
 * HS_SAFETY_SECONDS each goroutine mutates for that long instead (`make soak`).
 */
#include <stdlib.h>
#include <time.h>

#include "gcutil.h"

enum { nroots = 32, nslots = 8 };

typedef struct mutator {
    hs_runtime *rt;
    hs_p *pp;
    uint64_t rng;
    long ops, bad, nextId;
} mutator;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Walk up to depth steps from a random root; the node reached goes to slot 0. */
static node *walk(mutator *m, void **stack, int depth)
{
    void **globals = hs_runtime_globals(m->rt);
    node *n = hs_read_ptr(&globals[rnd(&m->rng) % nroots]);
    for (int i = 0; i < depth && n != NULL; i++) {
        if (!node_ok(n))
            m->bad++;
        node *next = hs_read_ptr((void **)&n->next[rnd(&m->rng) % 4]);
        if (next == NULL)
            break;
        n = next;
    }
    stack[0] = n;
    return n;
}

static void mutate(mutator *m, void **stack)
{
    void **globals = hs_runtime_globals(m->rt);
    uint64_t r = rnd(&m->rng) % 100;
    if (r < 40) { /* a new node, linked from a random place (it keeps the old link) */
        node *n = node_new(m->pp, (uint64_t)m->nextId++ * 64 + (uint64_t)m->pp->id);
        stack[1] = n;
        node *at = walk(m, stack, (int)(rnd(&m->rng) % 6));
        void **slot = at ? (void **)&at->next[rnd(&m->rng) % 4] : &globals[rnd(&m->rng) % nroots];
        hs_write_ptr(m->pp, (void **)&n->next[0], hs_read_ptr(slot));
        hs_write_ptr(m->pp, slot, n);
    } else if (r < 65) { /* cut a link */
        node *at = walk(m, stack, (int)(rnd(&m->rng) % 6));
        if (at != NULL)
            hs_write_ptr(m->pp, (void **)&at->next[rnd(&m->rng) % 4], NULL);
    } else if (r < 80) { /* move a subtree: load a pointer, store it elsewhere */
        node *a = walk(m, stack, (int)(rnd(&m->rng) % 4));
        if (a == NULL)
            return;
        stack[2] = hs_read_ptr((void **)&a->next[rnd(&m->rng) % 4]);
        hs_write_ptr(m->pp, (void **)&a->next[rnd(&m->rng) % 4], NULL);
        node *b = walk(m, stack, (int)(rnd(&m->rng) % 4));
        void **slot = b ? (void **)&b->next[rnd(&m->rng) % 4] : &globals[rnd(&m->rng) % nroots];
        hs_write_ptr(m->pp, slot, stack[2]);
        stack[2] = NULL;
    } else if (r < 85) {
        hs_write_ptr(m->pp, &globals[rnd(&m->rng) % nroots], NULL);
    } else { /* garbage, and a deep check */
        hs_malloc(m->pp, 16 + rnd(&m->rng) % 2000, NULL);
        walk(m, stack, 20);
    }
    stack[0] = stack[1] = NULL;
}

static void *mutator_main(void *arg)
{
    mutator *m = arg;
    const char *env = getenv("HS_SAFETY_OPS"), *secs = getenv("HS_SAFETY_SECONDS");
    long ops = env ? atol(env) : 400000;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double limit = secs ? atof(secs) : 0;
    hs_p_acquire(m->pp);
    hs_g *g = hs_g_new(m->pp, nslots);
    for (long i = 0; limit > 0 || i < ops; i++) {
        mutate(m, hs_g_slots(g));
        hs_safepoint(m->pp);
        m->ops++;
        if (limit > 0 && (i & 4095) == 0) { /* timed (soak): a clock read now and then */
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >= limit)
                break;
        }
    }
    hs_g_free(g);
    hs_p_release(m->pp);
    return NULL;
}

static void run_safety(int nprocs, hs_gcmode mode)
{
    hs_config cfg = hs_config_default();
    cfg.nprocs = nprocs;
    cfg.gogc = 25;
    cfg.verify = true;
    cfg.gcmode = mode;
    cfg.nglobals = nroots;
    hs_runtime *rt;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    mutator ms[8];
    pthread_t th[8];
    for (int i = 0; i < nprocs; i++) {
        ms[i] = (mutator){.rt = rt, .pp = hs_runtime_p(rt, i), .rng = 0x2545f4914f6cdd1dull * (i + 1)};
        pthread_create(&th[i], NULL, mutator_main, &ms[i]);
    }
    long ops = 0, bad = 0;
    for (int i = 0; i < nprocs; i++) {
        pthread_join(th[i], NULL);
        ops += ms[i].ops;
        bad += ms[i].bad;
    }
    hs_gc(rt, NULL); /* one more full cycle, verified, with the graph at rest */
    hs_gc_summary sum = hs_gc_get_summary(rt);
    printf("safety: %s, %d P: %ld mutations, %u cycles, %llu pauses, max %.3f ms; "
           "%llu span scans (%llu one-mark), %llu objects in spans, %llu singly, %llu steals\n",
           mode == HS_GC_GREENTEA ? "greentea" : "classic", nprocs, ops, sum.cycles,
           (unsigned long long)sum.pauses, (double)sum.pause_max_ns / 1e6,
           (unsigned long long)(sum.scan.spans_one + sum.scan.spans_sparse + sum.scan.spans_dense),
           (unsigned long long)sum.scan.spans_one,
           (unsigned long long)(sum.scan.span_objs_sparse + sum.scan.span_objs_dense),
           (unsigned long long)sum.scan.objs_single, (unsigned long long)sum.span_steals);
    ck_assert_int_eq(bad, 0);
    ck_assert(!sum.verify_failed);
    ck_assert_uint_ge(sum.cycles, 5);
    hs_runtime_free(rt);
}

START_TEST(test_safety_1p) { run_safety(1, HS_GC_CLASSIC); }
END_TEST
START_TEST(test_safety_2p) { run_safety(2, HS_GC_CLASSIC); }
END_TEST
START_TEST(test_safety_4p) { run_safety(4, HS_GC_CLASSIC); }
END_TEST
START_TEST(test_safety_greentea_1p) { run_safety(1, HS_GC_GREENTEA); }
END_TEST
START_TEST(test_safety_greentea_2p) { run_safety(2, HS_GC_GREENTEA); }
END_TEST
START_TEST(test_safety_greentea_4p) { run_safety(4, HS_GC_GREENTEA); }
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("safety");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_safety_1p);
    tcase_add_test(tc, test_safety_2p);
    tcase_add_test(tc, test_safety_4p);
    tcase_add_test(tc, test_safety_greentea_1p);
    tcase_add_test(tc, test_safety_greentea_2p);
    tcase_add_test(tc, test_safety_greentea_4p);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
