/*
 * pausestats.c — stop-the-world pauses for the snapshot: the most recent ones
 * and the percentiles of all of them, without copying the whole list per frame.
 *
 * The runtime keeps every pause (hs_gc_pauses, oldest first) and also logs
 * each one as an event.  Copying and sorting the list each frame would cost
 * O(n log n) per frame after hours of cycles, so:
 *   1. pauses arrive through the event log (pausestats_event), in order;
 *   2. the runtime's pause count says how many are new since the last frame
 *      (the count is read after the events, and a pause is counted before its
 *      event is logged, so the newest events are the new pauses; any excess
 *      is events of pauses already counted, any shortfall arrives next time);
 *   3. new pauses go into a log-linear histogram (128 exact buckets below
 *      128 ns, then 128 buckets per power of two: 1/128 relative width, so a
 *      percentile read at a bucket's middle is within 0.4%) and into a ring
 *      of the 32 most recent;
 *   4. at the first capture, or when events were lost, everything is rebuilt
 *      from a full copy of the runtime's list.
 * Go's runtime/metrics keeps its pause distribution as a histogram as well.
 */
#include <stdlib.h>
#include <string.h>

#include "snapshot/capture.h"

static uint32_t bucketOf(int64_t v)
{
    if (v < 128)
        return v < 0 ? 0 : (uint32_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll((uint64_t)v); /* 7..62 */
    uint32_t sub = (uint32_t)((uint64_t)v >> (e - 7)) & 127u;
    return 128u + (e - 7u) * 128u + sub;
}

/* The middle of bucket b. */
static int64_t bucketValue(uint32_t b)
{
    if (b < 128)
        return b;
    unsigned e = (b - 128u) / 128u + 7u, sub = (b - 128u) % 128u;
    int64_t lo = (int64_t)(128u + sub) << (e - 7u);
    return lo + (((int64_t)1 << (e - 7u)) >> 1);
}

void pausestats_init(pausestats *ps)
{
    memset(ps, 0, sizeof(*ps));
}

void pausestats_destroy(pausestats *ps)
{
    free(ps->copy);
    ps->copy = NULL;
}

static void pausestats_add(pausestats *ps, int64_t v)
{
    uint32_t b = bucketOf(v);
    if (ps->counted == 0 || b < ps->lo)
        ps->lo = b;
    if (ps->counted == 0 || b >= ps->hi)
        ps->hi = b + 1;
    ps->hist[b]++;
    ps->counted++;
    ps->recent[(ps->recentHead + ps->nrecent) % HS_SNAP_RECENT_PAUSES] = v;
    if (ps->nrecent < HS_SNAP_RECENT_PAUSES)
        ps->nrecent++;
    else
        ps->recentHead = (ps->recentHead + 1) % HS_SNAP_RECENT_PAUSES;
}

void pausestats_event(void *arg, const hs_gc_event *e)
{
    pausestats *ps = arg;
    if (e->kind != HS_GC_EV_PAUSE)
        return;
    if (ps->nfresh == sizeof(ps->fresh) / sizeof(ps->fresh[0])) {
        ps->lostEvents = true; /* too many between two frames: rebuild */
        return;
    }
    ps->fresh[ps->nfresh++] = e->a;
}

/* Rebuild from the runtime's whole list. */
static void pausestats_resync(pausestats *ps, hs_runtime *rt)
{
    size_t n = hs_gc_pauses(rt, ps->copy, ps->capcopy);
    while (n > ps->capcopy) {
        int64_t *p = realloc(ps->copy, n * 2 * sizeof(*p));
        if (p == NULL)
            return; /* stay unsynced; try again next frame */
        ps->copy = p;
        ps->capcopy = n * 2;
        n = hs_gc_pauses(rt, ps->copy, ps->capcopy);
    }
    memset(ps->hist, 0, sizeof(ps->hist));
    ps->counted = ps->nrecent = ps->recentHead = 0;
    for (size_t i = 0; i < n; i++)
        pausestats_add(ps, ps->copy[i]);
    ps->synced = true;
}

void pausestats_update(pausestats *ps, hs_runtime *rt, uint64_t total, bool lost)
{
    if (!ps->synced || lost || ps->lostEvents || total < ps->counted) {
        pausestats_resync(ps, rt);
    } else {
        uint64_t want = total - ps->counted;
        size_t take = want < ps->nfresh ? (size_t)want : ps->nfresh;
        for (size_t i = ps->nfresh - take; i < ps->nfresh; i++)
            pausestats_add(ps, ps->fresh[i]);
    }
    ps->nfresh = 0;
    ps->lostEvents = false;
}

int64_t pausestats_percentile(const pausestats *ps, double p)
{
    if (ps->counted == 0)
        return 0;
    double want = p * (double)ps->counted; /* the rank-th smallest, rank = ceil(want) */
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank == 0)
        rank++;
    uint64_t seen = 0;
    for (uint32_t b = ps->lo; b < ps->hi; b++) {
        seen += ps->hist[b];
        if (seen >= rank)
            return bucketValue(b);
    }
    return bucketValue(ps->hi - 1);
}

void pausestats_fill(const pausestats *ps, hs_snapshot *s)
{
    s->npauses_recent = ps->nrecent;
    for (uint32_t i = 0; i < HS_SNAP_RECENT_PAUSES; i++)
        s->pauses_recent[i] =
            i < ps->nrecent ? ps->recent[(ps->recentHead + i) % HS_SNAP_RECENT_PAUSES] : 0;
    s->pause_p50_ns = pausestats_percentile(ps, 0.50);
    s->pause_p99_ns = pausestats_percentile(ps, 0.99);
}
