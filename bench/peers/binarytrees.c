/*
 * binarytrees.c — the benchmarks game's binary-trees in C, for the peers
 * heapscope is measured against (bench/peers.sh): built once with Boehm's
 * collector (-DPEER_BOEHM: nodes from GC_MALLOC, never freed) and once with
 * explicit free (each tree freed after its check), the latter linked against
 * glibc, tcmalloc, jemalloc or mimalloc.
 *
 * The same work as bench/go/binarytrees.go and heapscope's binary-trees
 * workload: a stretch tree of depth n+1, a long-lived tree of depth n, then
 * for d = 4, 6, ..., n, 2^(n-d+4) trees of depth d built (children first, as
 * Go's bottomUpTree) and checked; the depths are shared out over PROCS
 * threads, as heapscope shares them over its Ps.  Every check is compared with
 * the closed form 2^(d+1) - 1: a wrong count exits 1.
 *
 * Usage: binarytrees DEPTH [PROCS]
 * With Boehm, one line on stderr:
 *   peer-gc cycles N pauses K max_ns X p99_ns Y
 * the pauses being the collector's stop-the-world intervals (from stopping the
 * world to starting it again, GC_set_on_collection_event).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef PEER_BOEHM
#define GC_THREADS
#include <gc.h>
#define node_alloc() ((node *)GC_MALLOC(sizeof(node)))
#else
#define node_alloc() ((node *)malloc(sizeof(node)))
#endif

enum { minDepth = 4, maxPauses = 1 << 16 };

typedef struct node {
    struct node *left, *right;
} node;

static node *bottom_up(int depth)
{
    node *l = NULL, *r = NULL;
    if (depth > 0) {
        l = bottom_up(depth - 1);
        r = bottom_up(depth - 1);
    }
    node *n = node_alloc();
    if (n == NULL) {
        fprintf(stderr, "binarytrees: out of memory\n");
        exit(1);
    }
    n->left = l;
    n->right = r;
    return n;
}

static uint64_t check(const node *n)
{
    return n->left == NULL ? 1 : 1 + check(n->left) + check(n->right);
}

static void drop(node *n)
{
#ifdef PEER_BOEHM
    (void)n; /* the collector finds it */
#else
    if (n->left != NULL) {
        drop(n->left);
        drop(n->right);
    }
    free(n);
#endif
}

static uint64_t nodes_of(int d)
{
    return ((uint64_t)1 << (d + 1)) - 1;
}

static void verify(uint64_t got, uint64_t want, const char *what, int d)
{
    if (got != want) {
        fprintf(stderr, "binarytrees: %s of depth %d: check %llu, want %llu\n", what, d,
                (unsigned long long)got, (unsigned long long)want);
        exit(1);
    }
}

static int maxDepth;
static unsigned nextDepth; /* atomic: index of the next depth to take */
static uint64_t iterationsOf[32], checkOf[32];

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned i = __atomic_fetch_add(&nextDepth, 1, __ATOMIC_RELAXED);
        int d = minDepth + 2 * (int)i;
        if (d > maxDepth)
            return NULL;
        uint64_t iterations = (uint64_t)1 << (maxDepth - d + minDepth), sum = 0;
        for (uint64_t it = 0; it < iterations; it++) {
            node *t = bottom_up(d);
            sum += check(t);
            drop(t);
        }
        verify(sum, iterations * nodes_of(d), "trees", d);
        iterationsOf[i] = iterations;
        checkOf[i] = sum;
    }
}

#ifdef PEER_BOEHM
/* Pause bookkeeping: the callback runs on the collecting thread, with the
 * allocation lock held, so no other lock is needed. */
static int64_t pauseStart, pauses[maxPauses];
static int npauses;

static int64_t nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_event(GC_EventType e)
{
    if (e == GC_EVENT_PRE_STOP_WORLD)
        pauseStart = nanotime();
    else if (e == GC_EVENT_POST_START_WORLD && npauses < maxPauses)
        pauses[npauses++] = nanotime() - pauseStart;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report_gc(void)
{
    qsort(pauses, (size_t)npauses, sizeof(pauses[0]), cmp_i64);
    int64_t max = npauses ? pauses[npauses - 1] : 0;
    int64_t p99 = npauses ? pauses[(npauses * 99 + 99) / 100 - 1] : 0;
    fprintf(stderr, "peer-gc cycles %lu pauses %d max_ns %lld p99_ns %lld\n",
            (unsigned long)GC_get_gc_no(), npauses, (long long)max, (long long)p99);
}
#endif

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 18;
    int procs = argc > 2 ? atoi(argv[2]) : 1;
    if (n < minDepth + 2)
        n = minDepth + 2;
    if (n > 28 || procs < 1 || procs > 64) {
        fprintf(stderr, "usage: binarytrees DEPTH(<=28) [PROCS]\n");
        return 2;
    }
#ifdef PEER_BOEHM
    GC_INIT();
    GC_set_on_collection_event(on_event);
#endif
    maxDepth = n;
    node *stretch = bottom_up(n + 1);
    uint64_t sc = check(stretch);
    verify(sc, nodes_of(n + 1), "stretch tree", n + 1);
    drop(stretch);
    printf("stretch tree of depth %d\t check: %llu\n", n + 1, (unsigned long long)sc);
    node *longLived = bottom_up(n);
    pthread_t th[64];
    for (int i = 0; i < procs; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < procs; i++)
        pthread_join(th[i], NULL);
    for (int d = minDepth, i = 0; d <= n; d += 2, i++)
        printf("%llu\t trees of depth %d\t check: %llu\n", (unsigned long long)iterationsOf[i], d,
               (unsigned long long)checkOf[i]);
    uint64_t lc = check(longLived);
    verify(lc, nodes_of(n), "long lived tree", n);
    printf("long lived tree of depth %d\t check: %llu\n", n, (unsigned long long)lc);
    drop(longLived);
#ifdef PEER_BOEHM
    report_gc();
#endif
    return 0;
}
