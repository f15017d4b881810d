/*
 * snapshot_bench.c — what snapshots cost (`make bench`).
 *
 *   1. One capture of a ~1 GiB heap: 512 MiB of 2 MiB objects and 512 MiB of
 *      small objects of ten sizes (16 B to 2 KiB, scannable nodes among
 *      them), on one P with GOGC off; the snapshotter's own thread runs at
 *      1 Hz so the timed captures (hs_snapshotter_capture) are nearly alone.
 *      Prints the median, min and max of -c captures and the snapshot's size.
 *   2. Mutator throughput: binary-trees depth 18, then web (40,000 requests
 *      a P at full speed), on every CPU, with the snapshotter at 30 Hz (and
 *      its phase hook) and without, alternating, -r runs each; the ratio of
 *      the median wall times is the throughput with capture over the
 *      throughput without (1.00: free), and the capture's share of the run's
 *      CPU time is printed beside it (the capturing threads' CPU time; the
 *      wall time of the captures, longer when they wait for a CPU or a
 *      lock, is printed too).
 * Measurements, not tests: the program exits 0 whatever the numbers are, 1
 * only when the heap cannot be built or the workload fails.
 *
 * Usage: snapshot_bench [-c CAPTURES] [-r RUNS] [-d DEPTH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapscope/runtime.h"
#include "heapscope/snapshot.h"
#include "heapscope/workload.h"

#include "benchutil.h"

enum { maxRuns = benchMaxRuns, maxCaptures = 101 };

typedef struct options {
    int captures, runs, depth;
} options;

static int bench_capture(const options *o)
{
    hs_snapshotter_opts so = {.fps = 1, .workload = "snapshot_bench:heap=1GiB"};
    hs_snapshotter *ss = hs_snapshotter_new(&so);
    hs_config cfg = hs_config_default();
    cfg.gogc = -1;
    hs_snapshotter_hook(ss, &cfg);
    hs_runtime *rt = NULL;
    if (ss == NULL || hs_runtime_new(&cfg, &rt) != HS_OK || !build_heap(rt)) {
        fprintf(stderr, "snapshot_bench: could not build a 1 GiB heap\n");
        return 1;
    }
    hs_snapshotter_start(ss, rt);
    hs_snapshotter_capture(ss); /* sizes the buffers */
    double t[maxCaptures];
    for (int i = 0; i < o->captures; i++) {
        double t0 = now_seconds();
        hs_snapshotter_capture(ss);
        t[i] = (now_seconds() - t0) * 1e3;
    }
    double med = median(t, o->captures); /* sorts t */
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    printf("capture of a %.0f MiB heap (%u pages, %u spans, %llu objects in use): "
           "median %.2f ms, min %.2f, max %.2f (%d captures)\n",
           (double)s->HeapInuse / (1 << 20), s->npages, s->nspans,
           (unsigned long long)s->HeapObjects, med, t[0], t[o->captures - 1], o->captures);
    printf("snapshot size %.1f MiB: %.2f%% of the heap in use\n", (double)s->size / (1 << 20),
           100.0 * (double)s->size / (double)s->HeapInuse);
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    return 0;
}

/* ---- 2. binary-trees with and without the snapshotter -------------------------------- */

/* Each run's snapshotter statistics, once it has stopped, add to the sum. */
static void add_stats(hs_snapshotter *ss, void *arg)
{
    hs_snapshotter_stats *sum = arg, st = hs_snapshotter_get_stats(ss);
    sum->captures += st.captures;
    sum->phase_captures += st.phase_captures;
    sum->capture_ns += st.capture_ns;
    sum->phase_capture_ns += st.phase_capture_ns;
    sum->capture_cpu_ns += st.capture_cpu_ns;
    sum->pulled_captures += st.pulled_captures;
}

static int bench_throughput(const options *o, const char *spec)
{
    hs_snapshotter_stats sum = {0};
    bench_observer obs = {.stopped = add_stats, .arg = &sum};
    bench_pair r;
    if (bench_with_without("snapshot_bench", spec, o->runs, &obs, &r) != 0)
        return 1;
    double a = r.without, b = r.with;
    printf("%s on %d Ps, median of %d runs: %.3f s without snapshots, %.3f s with them at 30 "
           "Hz\n",
           spec, r.nprocs, o->runs, a, b);
    printf("a run took %.0f snapshots (%.0f in the phase hook, %.0f pulled by it), %.1f ms "
           "capturing (%.1f ms of it inside pauses), %.1f ms of CPU: %.2f%% of the CPU time of a "
           "run\n",
           (double)sum.captures / o->runs, (double)sum.phase_captures / o->runs,
           (double)sum.pulled_captures / o->runs,
           (double)sum.capture_ns / 1e6 / o->runs, (double)sum.phase_capture_ns / 1e6 / o->runs,
           (double)sum.capture_cpu_ns / 1e6 / o->runs,
           100.0 * (double)sum.capture_cpu_ns / 1e9 / o->runs / (b * r.nprocs));
    printf("mutator throughput with / without the snapshotter: %.3f (median of %d pairs of "
           "runs side by side; quartiles %.3f-%.3f; ratio of the medians %.3f)\n",
           r.ratio, o->runs, r.ratio_lo, r.ratio_hi, a / b);
    return 0;
}

static bool parse_options(int argc, char **argv, options *o)
{
    *o = (options){.captures = 15, .runs = 11, .depth = 18};
    int c;
    while ((c = getopt(argc, argv, "c:r:d:")) != -1) {
        if (c == '?') /* an unknown option, or one without its value */
            return false;
        int v = atoi(optarg);
        if (c == 'c' && v >= 1 && v <= maxCaptures)
            o->captures = v;
        else if (!bench_runs_depth_option(c, optarg, maxRuns, &o->runs, &o->depth))
            return false;
    }
    return optind == argc;
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o)) {
        fprintf(stderr,
                "usage: snapshot_bench [-c CAPTURES 1..%d] [-r RUNS 1..%d] "
                "[-d DEPTH 6..24]\n",
                maxCaptures, maxRuns);
        return 2;
    }
    printf("heapscope snapshots\n");
    char trees[64];
    snprintf(trees, sizeof(trees), "binary-trees:depth=%d", o.depth);
    int rc = bench_capture(&o);
    if (rc == 0)
        rc = bench_throughput(&o, trees);
    if (rc == 0) /* web, as a fixed amount of work: its schedule run at full speed */
        rc = bench_throughput(&o, "web:pace=0,requests=40000");
    return rc;
}
