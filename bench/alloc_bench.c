/*
 * alloc_bench.c — what one allocation costs in heapscope's runtime, beside
 * glibc's malloc and free, in one table (`make bench`).
 *
 * Both allocators run the same pattern, one cell per object size and
 * allocator:
 *   1. allocate a batch of N objects (N = 4096 for sizes up to 1 KiB, 64 for
 *      64 KiB objects), write one byte of each through a volatile pointer and
 *      fold its address into a checksum;
 *   2. give the batch back: glibc frees each object; heapscope starts a sweep
 *      cycle with no mark bits set (no marking runs), so every object of the
 *      batch is garbage and the sweep frees it — at once for the spans the
 *      mcache held, lazily when the next batch needs a span, or in the next
 *      cycle's finishsweep;
 *   3. repeat, then (heapscope) finish the last sweep inside the timed region,
 *      so the figure is the amortized cost of allocating and reclaiming.
 * heapscope runs with one P, GOGC off and its background threads off, so the
 * only reclaiming is the benchmark's own and all of it is on the timed
 * thread.  Its "scan" column allocates a type of the object's size whose
 * first word is a pointer: objects up to 512 B write their pointer bits into
 * the span's heap-bits area, larger ones carry an 8-byte type header.
 *
 * A cell is calibrated (which also warms the heap) so that one repetition
 * takes about -t seconds (0.3), then timed -r times (5) with CLOCK_MONOTONIC;
 * the table shows the median in nanoseconds per allocation.  This is a
 * measurement, not a test: it exits 0 whatever the numbers are, and 1 only
 * when an allocation fails.
 *
 * Usage: alloc_bench [-t SECONDS] [-r REPS] [-s SIZE] [-k hs|hs-scan|glibc]
 * -s (a multiple of 8) and -k restrict the run to one size or one allocator
 * (for profiling).
 */
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime2.h"

#ifndef HS_BENCH_CFLAGS
#define HS_BENCH_CFLAGS "(unknown)"
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define HS_BENCH_COMPILER "gcc " __VERSION__
#else
#define HS_BENCH_COMPILER __VERSION__
#endif

enum { smallBatch = 4096, largeBatch = 64, maxBatch = smallBatch, maxReps = 99 };
enum kind { kindNoscan, kindScan, kindGlibc, numKinds };

static const char *const kindName[numKinds] = {"hs", "hs-scan", "glibc"};
static const size_t benchSizes[] = {16, 32, 64, 128, 1024, 64 << 10};
enum { numSizes = sizeof(benchSizes) / sizeof(benchSizes[0]) };

/* The pointer-bearing type of each size: word 0 is a pointer.  Sizes are
 * multiples of 8 so the type is one whole number of words. */
static const uint8_t firstWordPtr[] = {0x01};

typedef struct options {
    double seconds; /* target time of one repetition */
    int reps;
    size_t onlySize; /* 0: every size */
    int onlyKind;    /* -1: every allocator */
} options;

/* One cell's allocator, ready to run batches. */
typedef struct cell {
    enum kind kind;
    size_t size;
    int batch;
    hs_type type;   /* kindScan */
    hs_runtime *rt; /* heapscope kinds */
    hs_p *pp;
    void *objs[maxBatch];
} cell;

static volatile uintptr_t sink;

/* Objects per batch: 4096 up to 1 KiB, 64 above. */
static int batch_for(size_t size)
{
    return size > 1024 ? largeBatch : smallBatch;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void touch(void *p, int i)
{
    *(volatile unsigned char *)p = (unsigned char)i;
}

static void die_oom(const cell *c)
{
    fprintf(stderr, "alloc_bench: %s could not allocate %zu bytes%s%s\n", kindName[c->kind],
            c->size, c->rt ? ": " : "", c->rt ? hs_runtime_error(c->rt) : "");
    exit(1);
}

/* Steps 1 and 2 for heapscope: a batch, then a sweep cycle that frees it. */
static uintptr_t batch_heapscope(cell *c)
{
    const hs_type *typ = c->kind == kindScan ? &c->type : NULL;
    uintptr_t sum = 0;
    for (int i = 0; i < c->batch; i++) {
        void *p = hs_malloc(c->pp, c->size, typ);
        if (p == NULL)
            die_oom(c);
        touch(p, i);
        c->objs[i] = p;
        sum ^= (uintptr_t)p;
    }
    gcStartSweepCycle(c->rt);
    return sum;
}

static uintptr_t batch_glibc(cell *c)
{
    uintptr_t sum = 0;
    for (int i = 0; i < c->batch; i++) {
        void *p = malloc(c->size);
        if (p == NULL)
            die_oom(c);
        touch(p, i);
        c->objs[i] = p;
        sum ^= (uintptr_t)p;
    }
    for (int i = 0; i < c->batch; i++)
        free(c->objs[i]);
    return sum;
}

/* Run nbatches batches; returns the seconds they took, the final sweep
 * included. */
static double run_batches(cell *c, long nbatches)
{
    uintptr_t sum = 0;
    double t0 = now_seconds();
    for (long b = 0; b < nbatches; b++)
        sum ^= c->kind == kindGlibc ? batch_glibc(c) : batch_heapscope(c);
    if (c->rt != NULL)
        finishsweep(c->rt);
    double t = now_seconds() - t0;
    sink ^= sum;
    return t;
}

/* Batches per repetition so that one takes about seconds; warms the heap. */
static long calibrate(cell *c, double seconds)
{
    long n = 1;
    double t;
    while ((t = run_batches(c, n)) < 0.02)
        n *= 2;
    double perBatch = t / (double)n;
    long want = (long)(seconds / perBatch + 0.5);
    return want < 1 ? 1 : want;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void cell_open(cell *c, enum kind k, size_t size)
{
    memset(c, 0, sizeof(*c));
    c->kind = k;
    c->size = size;
    c->batch = batch_for(size);
    c->type = (hs_type){"bench", size, 8, firstWordPtr};
    if (k == kindGlibc)
        return;
    hs_config cfg = hs_config_default();
    cfg.nprocs = 1;
    cfg.background = false;
    cfg.gogc = -1; /* no collector cycles: the benchmark's sweeps are the only ones */
    hs_status st = hs_runtime_new(&cfg, &c->rt);
    if (st != HS_OK) {
        fprintf(stderr, "alloc_bench: hs_runtime_new failed (status %d)\n", (int)st);
        exit(1);
    }
    c->pp = hs_runtime_p(c->rt, 0);
}

static void cell_close(cell *c)
{
    if (c->rt != NULL)
        hs_runtime_free(c->rt);
    c->rt = NULL;
}

/* The median over opt->reps repetitions, in ns per allocation. */
static double measure(enum kind k, size_t size, const options *opt)
{
    static cell c;
    double ns[maxReps];
    cell_open(&c, k, size);
    long nbatches = calibrate(&c, opt->seconds);
    for (int r = 0; r < opt->reps; r++)
        ns[r] = run_batches(&c, nbatches) * 1e9 / ((double)nbatches * c.batch);
    cell_close(&c);
    qsort(ns, (size_t)opt->reps, sizeof(ns[0]), cmp_double);
    return ns[opt->reps / 2];
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || colon == NULL)
            continue;
        snprintf(buf, n, "%s", colon + 2);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

static void print_header(const options *opt)
{
    char cpu[256];
    cpu_model(cpu, sizeof(cpu));
    printf("machine: %ld CPUs (nproc), %s; glibc %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu,
           gnu_get_libc_version());
    printf("compiler: %s; flags: %s\n", HS_BENCH_COMPILER, HS_BENCH_CFLAGS);
    if (HS_DEBUG)
        printf("warning: built with HS_DEBUG=1 (--enable-debug): runtime invariant checks on\n");
    printf("\nns per allocation, median of %d repetitions of ~%.2f s each. heapscope: "
           "hs_malloc on 1 P, GOGC off, background sweeper and scavenger off; after each batch a "
           "sweep "
           "cycle with no marks frees the whole batch, so the amortized sweep cost is "
           "included. glibc: malloc, then free of each object of the batch. Batches of %d "
           "objects (%d for 64 KiB); one byte of each object written. hs_malloc returns "
           "zeroed memory, malloc does not.\n\n",
           opt->reps, opt->seconds, smallBatch, largeBatch);
    printf("| size | batch | heapscope noscan | heapscope scan | glibc malloc+free "
           "| noscan / glibc | scan / glibc |\n");
    printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
}

static void size_label(char *buf, size_t n, size_t size)
{
    if (size > 1024 && size % 1024 == 0)
        snprintf(buf, n, "%zu KiB", size >> 10);
    else
        snprintf(buf, n, "%zu B", size);
}

static void format_ns(char *buf, size_t n, double v)
{
    if (v < 0)
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, v < 100 ? "%.1f" : "%.0f", v);
}

static void format_ratio(char *buf, size_t n, double a, double b)
{
    if (a < 0 || b <= 0)
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.2f", a / b);
}

static void print_row(size_t size, const double ns[numKinds])
{
    char label[32], cols[numKinds][32], r0[32], r1[32];
    size_label(label, sizeof(label), size);
    for (int k = 0; k < numKinds; k++)
        format_ns(cols[k], sizeof(cols[k]), ns[k]);
    format_ratio(r0, sizeof(r0), ns[kindNoscan], ns[kindGlibc]);
    format_ratio(r1, sizeof(r1), ns[kindScan], ns[kindGlibc]);
    printf("| %s | %d | %s | %s | %s | %s | %s |\n", label, batch_for(size), cols[kindNoscan],
           cols[kindScan], cols[kindGlibc], r0, r1);
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: alloc_bench [-t SECONDS] [-r REPS] [-s SIZE] [-k hs|hs-scan|glibc]\n");
}

static int kind_by_name(const char *s)
{
    for (int k = 0; k < numKinds; k++)
        if (strcmp(s, kindName[k]) == 0)
            return k;
    return -1;
}

static bool parse_options(int argc, char **argv, options *opt)
{
    *opt = (options){.seconds = 0.3, .reps = 5, .onlySize = 0, .onlyKind = -1};
    int ch;
    while ((ch = getopt(argc, argv, "t:r:s:k:h")) != -1) {
        switch (ch) {
        case 't':
            opt->seconds = strtod(optarg, NULL);
            break;
        case 'r':
            opt->reps = atoi(optarg);
            break;
        case 's':
            opt->onlySize = (size_t)strtoul(optarg, NULL, 0);
            break;
        case 'k':
            if ((opt->onlyKind = kind_by_name(optarg)) < 0)
                return false;
            break;
        default:
            return false;
        }
    }
    return optind == argc && opt->seconds > 0 && opt->reps >= 1 && opt->reps <= maxReps &&
           (opt->onlySize == 0 ||
            (opt->onlySize % 8 == 0 && opt->onlySize <= (size_t)maxSmallSize * 4));
}

int main(int argc, char **argv)
{
    options opt;
    if (!parse_options(argc, argv, &opt)) {
        usage(stderr);
        return 2;
    }
    print_header(&opt);
    const size_t *sizes = opt.onlySize ? &opt.onlySize : benchSizes;
    int nsizes = opt.onlySize ? 1 : numSizes;
    for (int i = 0; i < nsizes; i++) {
        double ns[numKinds];
        for (int k = 0; k < numKinds; k++)
            ns[k] = opt.onlyKind < 0 || opt.onlyKind == k ? measure(k, sizes[i], &opt) : -1;
        print_row(sizes[i], ns);
    }
    return 0;
}
