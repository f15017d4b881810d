/*
 * pauses.c — stop-the-world pause statistics for the summary and the JSON:
 * count, total, maximum, and the 50th and 99th percentiles by nearest rank
 * (the smallest pause p such that at least q% of the pauses are <= p).
 */
#include <config.h>

#include "heapscope/cli.h"

#include <stdlib.h>

static int cmp_ns(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank of percentile q in n sorted values (n > 0): ceil(q*n/100)-th. */
static size_t rank_of(size_t n, unsigned q)
{
    size_t r = (n * q + 99) / 100;
    return r == 0 ? 0 : r - 1;
}

void hs_pause_stats_compute(int64_t *ns, size_t n, hs_pause_stats *out)
{
    *out = (hs_pause_stats){.count = n};
    if (n == 0)
        return;
    qsort(ns, n, sizeof *ns, cmp_ns);
    for (size_t i = 0; i < n; i++)
        out->total_ns += ns[i];
    out->max_ns = ns[n - 1];
    out->p50_ns = ns[rank_of(n, 50)];
    out->p99_ns = ns[rank_of(n, 99)];
}
