/*
 * benchutil.h — what the benchmarks share: a clock, medians, and a heap of
 * about 1 GiB (512 MiB of 2 MiB objects, 512 MiB of small objects of ten
 * sizes from 16 B to 2 KiB, scannable 48 B nodes among them) built on P 0;
 * and (benchutil.c) a workload run on every CPU without the snapshotter and
 * with it, alternating, for a throughput ratio.
 */
#ifndef HS_BENCH_BENCHUTIL_H
#define HS_BENCH_BENCHUTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "heapscope/runtime.h"
#include "heapscope/snapshot.h"
#include "heapscope/workload.h"

static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const uint8_t nodeMask[] = {0x0f};
static const hs_type nodeType = {"node", 48, 32, nodeMask};

/* 512 MiB of large objects and 512 MiB of small ones.  False on failure. */
static inline bool build_heap(hs_runtime *rt)
{
    static const size_t sizes[] = {16, 24, 32, 48, 64, 96, 128, 256, 512, 2048};
    hs_p *pp = hs_runtime_p(rt, 0);
    hs_p_acquire(pp);
    bool ok = true;
    for (int i = 0; i < 256 && ok; i++)
        ok = hs_malloc(pp, 2 << 20, NULL) != NULL;
    for (size_t bytes = 0, i = 0; bytes < (512u << 20) && ok; i++) {
        size_t sz = sizes[i % 10];
        ok = hs_malloc(pp, sz, sz == 48 ? &nodeType : NULL) != NULL;
        bytes += sz;
    }
    hs_p_release(pp);
    return ok;
}

/* The options -r RUNS (1..maxRuns) and -d DEPTH (6..24) that several
 * benchmarks take: false when c is neither or arg is out of range. */
static inline bool bench_runs_depth_option(int c, const char *arg, int maxRuns, int *runs,
                                           int *depth)
{
    int v = atoi(arg);
    if (c == 'r' && v >= 1 && v <= maxRuns)
        *runs = v;
    else if (c == 'd' && v >= 6 && v <= 24)
        *depth = v;
    else
        return false;
    return true;
}

/* ---- with and without the snapshotter (benchutil.c) ------------------------------------- */

enum { benchMaxRuns = 31 };

/* What a benchmark adds to a run with the snapshotter: called once it has
 * started, just before it stops, and once it has stopped.  Any may be NULL. */
typedef struct bench_observer {
    void (*started)(hs_snapshotter *ss, void *arg);
    void (*stopping)(hs_snapshotter *ss, void *arg);
    void (*stopped)(hs_snapshotter *ss, void *arg);
    void *arg;
} bench_observer;

/* The medians of the wall times of a workload, runs times each way, and
 * the throughput ratio (without / with) of each pair of runs made one after
 * the other: its median and quartiles.  This machine's speed shifts by 30%
 * for seconds at a time (a virtual machine's neighbours), which moves the two
 * medians apart when a shift falls on more runs of one side; a pair's two
 * runs share the moment, so the median pair ratio is the figure to quote. */
typedef struct bench_pair {
    int nprocs;
    double without, with;
    double ratio, ratio_lo, ratio_hi;
} bench_pair;

/* Parse spec and run it on every CPU, headless and with the snapshotter at
 * 30 Hz (and its phase hook) seen by obs, alternating, runs (1..benchMaxRuns)
 * times each.  0, or 1 after a line on stderr prefixed by prog. */
int bench_with_without(const char *prog, const char *spec, int runs, const bench_observer *obs,
                       bench_pair *out);

#endif
