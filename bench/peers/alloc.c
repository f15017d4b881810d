/*
 * alloc.c — the allocation microbenchmark of bench/alloc_bench.c, for the
 * peers (bench/peers.sh): the same batches, through malloc and free (built
 * against glibc, tcmalloc, jemalloc or mimalloc) or through Boehm's collector
 * (-DPEER_BOEHM: GC_MALLOC_ATOMIC for pointer-free objects, GC_MALLOC for
 * objects with pointers, never freed: the collector's cycles are the
 * amortized cost).
 *
 * For each size: batches of N objects (4096 up to 1 KiB, 64 for 64 KiB),
 * one byte of each written, the addresses folded into a checksum; then the
 * batch is freed (malloc) or dropped (Boehm).  One repetition takes about
 * 0.3 s; the median of 5 is printed as "SIZE NS_NOSCAN NS_SCAN", ns per
 * allocation (malloc has no scan kind: both columns are the same run).
 *
 * Usage: alloc [-t SECONDS] [-r REPS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef PEER_BOEHM
#include <gc.h>
#endif

enum { smallBatch = 4096, largeBatch = 64, maxReps = 99 };
static const size_t sizes[] = {16, 32, 64, 128, 1024, 64 << 10};

static void *objs[smallBatch];
static volatile uintptr_t sink;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc_one(size_t size, int scan)
{
#ifdef PEER_BOEHM
    return scan ? GC_MALLOC(size) : GC_MALLOC_ATOMIC(size);
#else
    (void)scan;
    return malloc(size);
#endif
}

static uintptr_t batch(size_t size, int n, int scan)
{
    uintptr_t sum = 0;
    for (int i = 0; i < n; i++) {
        void *p = alloc_one(size, scan);
        if (p == NULL) {
            fprintf(stderr, "alloc: out of memory\n");
            exit(1);
        }
        *(volatile unsigned char *)p = (unsigned char)i;
        objs[i] = p;
        sum ^= (uintptr_t)p;
    }
#ifdef PEER_BOEHM
    memset(objs, 0, sizeof(objs[0]) * (size_t)n); /* the batch is garbage now */
#else
    for (int i = 0; i < n; i++)
        free(objs[i]);
#endif
    return sum;
}

static double run(size_t size, int n, int scan, long nbatches)
{
    uintptr_t sum = 0;
    double t0 = now_seconds();
    for (long b = 0; b < nbatches; b++)
        sum ^= batch(size, n, scan);
    sink ^= sum;
    return now_seconds() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double measure(size_t size, int scan, double seconds, int reps)
{
    int n = size > 1024 ? largeBatch : smallBatch;
    long nb = 1;
    double t;
    while ((t = run(size, n, scan, nb)) < 0.02)
        nb *= 2;
    nb = (long)(seconds / (t / (double)nb) + 0.5);
    if (nb < 1)
        nb = 1;
    double ns[maxReps];
    for (int r = 0; r < reps; r++)
        ns[r] = run(size, n, scan, nb) * 1e9 / ((double)nb * n);
    qsort(ns, (size_t)reps, sizeof(ns[0]), cmp_double);
    return ns[reps / 2];
}

int main(int argc, char **argv)
{
    double seconds = 0.3;
    int reps = 5, ch;
    while ((ch = getopt(argc, argv, "t:r:")) != -1) {
        if (ch == 't')
            seconds = strtod(optarg, NULL);
        else if (ch == 'r')
            reps = atoi(optarg);
        else
            return 2;
    }
    if (seconds <= 0 || reps < 1 || reps > maxReps) {
        fprintf(stderr, "usage: alloc [-t SECONDS] [-r REPS 1..%d]\n", maxReps);
        return 2;
    }
#ifdef PEER_BOEHM
    GC_INIT();
#endif
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        double a = measure(sizes[i], 0, seconds, reps);
#ifdef PEER_BOEHM
        double b = measure(sizes[i], 1, seconds, reps);
#else
        double b = a;
#endif
        printf("%zu %.2f %.2f\n", sizes[i], a, b);
        fflush(stdout);
    }
    return 0;
}
