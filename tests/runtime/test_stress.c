/*
 * test_stress.c — four threads, each running its own P, allocate objects of
 * random sizes, keep some, drop others and check what they keep, while the
 * background sweeper and scavenger run beside them.  Between rounds the world
 * stops: the test marks every object still held, starts a sweep cycle, and the
 * threads go on allocating while the sweep proceeds lazily and in the
 * background.  Any object freed while still held is caught: its memory is
 * handed out again, zeroed, and its tag no longer matches.
 *
 * HS_STRESS_OPS sets the operations per thread (default 1,000,000).
 */
#include <stdlib.h>

#include "rtutil.h"

enum { nthreads = 4, maxLive = 3000, rounds = 40 };

typedef struct {
    uint8_t *p;
    uint32_t size;
    uint32_t tag;
} held;

typedef struct {
    hs_runtime *rt;
    hs_p *pp;
    uint64_t rng;
    held live[maxLive];
    int nlive;
    long ops, allocs, checks;
    long opsPerRound;
    pthread_barrier_t *stop, *go;
    int bad;
} worker;

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint32_t random_size(uint64_t *rng)
{
    uint64_t r = next_rand(rng);
    switch (r % 100) {
    case 0:
        return 32769 + (uint32_t)(r >> 8) % (256 << 10); /* large */
    case 1 ... 9:
        return 1025 + (uint32_t)(r >> 8) % (32768 - 1025);
    case 10 ... 39:
        return 65 + (uint32_t)(r >> 8) % (1024 - 64);
    case 40 ... 69:
        return 16 + (uint32_t)(r >> 8) % 49;
    default:
        return 1 + (uint32_t)(r >> 8) % 15; /* tiny */
    }
}

/* Tag the object's first and last bytes; check them later. */
/* Tag the object's first bytes and, when it has room for both, its last. */
static void tag_write(const held *h)
{
    size_t n = h->size < 4 ? h->size : 4;
    memcpy(h->p, &h->tag, n);
    if (h->size >= 8)
        memcpy(h->p + h->size - 4, &h->tag, 4);
}

static bool tag_ok(const held *h)
{
    size_t n = h->size < 4 ? h->size : 4;
    if (memcmp(h->p, &h->tag, n) != 0)
        return false;
    return h->size < 8 || memcmp(h->p + h->size - 4, &h->tag, 4) == 0;
}

static bool is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static void do_alloc(worker *w)
{
    held h = {.size = random_size(&w->rng), .tag = (uint32_t)next_rand(&w->rng) | 1};
    h.p = hs_malloc(w->pp, h.size, NULL);
    if (h.p == NULL || !is_zero(h.p, h.size < 2048 ? h.size : 2048)) {
        fprintf(stderr, "stress: new %u-byte object at %p is not zeroed\n", h.size, (void *)h.p);
        w->bad++;
    }
    tag_write(&h);
    w->allocs++;
    if (w->nlive < maxLive)
        w->live[w->nlive++] = h;
    else
        w->live[next_rand(&w->rng) % maxLive] = h; /* drop a reference */
}

static void do_op(worker *w)
{
    uint64_t r = next_rand(&w->rng) % 10;
    if (r < 7 || w->nlive == 0) {
        do_alloc(w);
    } else if (r < 8) {
        int victim = (int)(next_rand(&w->rng) % (uint64_t)w->nlive);
        w->live[victim] = w->live[--w->nlive];
    } else {
        w->checks++;
        if (!tag_ok(&w->live[next_rand(&w->rng) % w->nlive]))
            w->bad++;
    }
    w->ops++;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int round = 0; round < rounds; round++) {
        for (long i = 0; i < w->opsPerRound; i++)
            do_op(w);
        pthread_barrier_wait(w->stop); /* the world stops here */
        pthread_barrier_wait(w->go);
    }
    return NULL;
}

/* With the world stopped: check and mark everything held, start a sweep. */
static int collect(hs_runtime *rt, worker *ws)
{
    int bad = 0;
    finishsweep(rt);
    for (int t = 0; t < nthreads; t++) {
        for (int i = 0; i < ws[t].nlive; i++) {
            const held *h = &ws[t].live[i];
            mspan *s = spanOfHeap(&rt->heap, (uintptr_t)h->p);
            if (s == NULL || mspan_isFree(s, spanClass_sizeclass(s->spanclass) == 0
                                                   ? 0 : mspan_objIndex(s, (uintptr_t)h->p)) ||
                !tag_ok(h)) {
                fprintf(stderr, "stress: held object %p (%u B) was %s\n", (void *)h->p, h->size,
                        s == NULL ? "in no span" : tag_ok(h) ? "freed" : "overwritten");
                bad++;
                continue;
            }
            rt_mark(rt, h->p);
        }
    }
    gcStartSweepCycle(rt);
    return bad;
}

START_TEST(test_concurrent_alloc_and_sweep)
{
    const char *env = getenv("HS_STRESS_OPS");
    long opsPerThread = env ? atol(env) : 1000000;
    hs_runtime *rt = rt_new(nthreads, true);
    pthread_barrier_t stop, go;
    pthread_barrier_init(&stop, NULL, nthreads + 1);
    pthread_barrier_init(&go, NULL, nthreads + 1);
    static worker ws[nthreads];
    pthread_t th[nthreads];
    for (int t = 0; t < nthreads; t++) {
        ws[t] = (worker){.rt = rt, .pp = hs_runtime_p(rt, t), .rng = 0x9e3779b97f4a7c15ull * (t + 1),
                         .opsPerRound = opsPerThread / rounds, .stop = &stop, .go = &go};
        pthread_create(&th[t], NULL, worker_main, &ws[t]);
    }
    int bad = 0;
    for (int round = 0; round < rounds; round++) {
        pthread_barrier_wait(&stop);
        bad += collect(rt, ws);
        pthread_barrier_wait(&go);
    }
    long ops = 0, allocs = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        bad += ws[t].bad;
        ops += ws[t].ops;
        allocs += ws[t].allocs;
    }
    finishsweep(rt);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(ops, (opsPerThread / rounds) * rounds * nthreads);
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    ck_assert_uint_eq(ms.Mallocs, (uint64_t)allocs);
    ck_assert_uint_le(ms.HeapObjects, (uint64_t)allocs);
    printf("stress: %ld operations, %ld allocations, %u sweep cycles, %llu frees, "
           "%llu spans swept in the background, %llu lazily, %llu MiB scavenged\n",
           ops, allocs, (unsigned)rounds, (unsigned long long)ms.Frees,
           (unsigned long long)atomic_load_u64(&rt->sweep.nbgsweep),
           (unsigned long long)atomic_load_u64(&rt->sweep.nlazysweep),
           (unsigned long long)(atomic_load_u64(&rt->scav.released) >> 20));
    for (int t = 0; t < nthreads; t++)
        mcache_releaseAll(rt, &hs_runtime_p(rt, t)->mcache);
    rt_assert_valid(rt);
    hs_runtime_free(rt);
    pthread_barrier_destroy(&stop);
    pthread_barrier_destroy(&go);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_concurrent_alloc_and_sweep);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
