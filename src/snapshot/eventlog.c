/*
 * eventlog.c — the collector's events, kept long enough for slow readers.
 *
 * The runtime keeps its last 1024 events (phase changes, pauses, cycle
 * starts) in a ring that any reader may copy with its own cursor
 * (hs_gc_events).  A snapshot is read by readers polling at their own pace,
 * and between two of their polls the writer may publish many snapshots (one
 * at every phase change), so "the events since the previous snapshot" would
 * lose events for them.  Instead:
 *   1. every capture (and every phase change, captured or not) copies the
 *      runtime's new events into this log, a ring of the newest 16384, each
 *      numbered by its place in the runtime's sequence
 *      (seq: the cursor position, so a gap means the runtime dropped some);
 *   2. a snapshot carries the events of the last event window (1 s by
 *      default), at most HS_SNAP_MAX_EVENTS;
 *   3. a reader remembers the last seq it handled and takes the newer ones:
 *      polling more often than the window (or than HS_SNAP_MAX_EVENTS events
 *      take to happen), it sees every event exactly once.
 * The runtime's ring cannot lap the log while the phase hook captures at every
 * phase change; without the hook it laps only past ~30,000 events a second.
 */
#include "snapshot/capture.h"

static void eventlog_push(eventlog *el, const hs_gc_event *e, uint64_t seq)
{
    hs_snap_event *out = &el->ring[el->pushed % eventlogRing];
    *out = (hs_snap_event){
        .t_ns = e->t_ns, .kind = e->kind, .pad = 0, .a = e->a, .b = e->b, .seq = seq};
    el->pushed++;
}

bool eventlog_poll(eventlog *el, hs_runtime *rt, void (*fn)(void *, const hs_gc_event *), void *arg)
{
    uint64_t lost0 = el->lost;
    for (;;) {
        uint64_t before = el->cursor;
        size_t n = hs_gc_events(rt, &el->cursor, el->batch, eventlogBatch, &el->lost);
        /* The n events returned are the last n before the new cursor. */
        for (size_t i = 0; i < n; i++) {
            eventlog_push(el, &el->batch[i], el->cursor - n + i);
            if (fn != NULL)
                fn(arg, &el->batch[i]);
        }
        if (el->cursor == before)
            break;
    }
    return el->lost != lost0;
}

size_t eventlog_window(const eventlog *el, int64_t now_ns, int64_t window_ns, uint64_t *first)
{
    uint64_t kept = el->pushed < eventlogRing ? el->pushed : eventlogRing;
    size_t n = 0;
    while (n < kept && n < HS_SNAP_MAX_EVENTS) {
        const hs_snap_event *e = &el->ring[(el->pushed - n - 1) % eventlogRing];
        if (e->t_ns < now_ns - window_ns)
            break;
        n++;
    }
    *first = el->pushed - n;
    return n;
}

void eventlog_copy(const eventlog *el, uint64_t first, size_t n, hs_snap_event *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = el->ring[(first + i) % eventlogRing];
}
