/*
 * mgcwork.c — the queues of gray objects (Go: mgcwork.go).
 *
 * Gray objects (marked, not yet scanned) wait in work buffers of 2 KiB, 254
 * pointers each.  Every worker — a P's mark worker or assist, the collector
 * thread — has a gcWork with two buffers: it puts into and gets from wbuf1,
 * swaps with wbuf2 when wbuf1 runs full or empty, and only then touches the
 * global lists: full buffers go to work.full (where idle workers find them),
 * empty ones come from work.empty.  Two buffers give hysteresis, so a worker
 * that alternates put and get at a buffer boundary does not thrash the lists.
 *
 * Invariants: a buffer is in exactly one place (a gcWork, work.full or
 * work.empty); work.nfull counts work.full.  The global lists are guarded by
 * gc.lock (Go uses lock-free stacks; a buffer holds enough work that the lock
 * is taken rarely).  A gcWork belongs to whoever runs its P.
 *
 * Termination needs to know that no work hides anywhere: a worker counts
 * itself in gc.nworking while it may hold or create work, and a gcWork is
 * disposed (flushed to the lists) at the ragged barrier and at stop-the-world.
 * In Green Tea mode a gcWork also holds a span queue (mgcspanq.c): disposing
 * publishes it, and work is available while any queue's spanqMask bit is up.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime2.h"

static workbuf *getempty(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    workbuf *b = gc->empty;
    if (b != NULL)
        gc->empty = b->next;
    pthread_mutex_unlock(&gc->lock);
    if (b == NULL) {
        b = malloc(sizeof(*b));
        if (b == NULL)
            hs_throw("gcWork: out of memory for a work buffer");
    }
    b->next = NULL;
    b->nobj = 0;
    return b;
}

static void putempty(hs_runtime *rt, workbuf *b)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    b->next = gc->empty;
    gc->empty = b;
    pthread_mutex_unlock(&gc->lock);
}

static void putfull(hs_runtime *rt, workbuf *b)
{
    gcstate *gc = &rt->gc;
    pthread_mutex_lock(&gc->lock);
    b->next = gc->full;
    gc->full = b;
    atomic_add_u64(&gc->nfull, 1);
    pthread_mutex_unlock(&gc->lock);
}

static workbuf *trygetfull(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    if (atomic_load_u64(&gc->nfull) == 0)
        return NULL;
    pthread_mutex_lock(&gc->lock);
    workbuf *b = gc->full;
    if (b != NULL) {
        gc->full = b->next;
        atomic_sub_relaxed_u64(&gc->nfull, 1);
    }
    pthread_mutex_unlock(&gc->lock);
    return b;
}

void gcw_put(hs_runtime *rt, gcWork *w, uintptr_t obj)
{
    workbuf *b = w->wbuf1;
    if (b == NULL) {
        w->wbuf1 = b = getempty(rt);
        w->wbuf2 = getempty(rt);
    } else if (b->nobj == workbufNObj) {
        w->wbuf1 = w->wbuf2;
        w->wbuf2 = b;
        b = w->wbuf1;
        if (b->nobj == workbufNObj) {
            putfull(rt, b);
            w->flushedWork = true;
            w->wbuf1 = b = getempty(rt);
        }
    }
    b->obj[b->nobj++] = obj;
}

uintptr_t gcw_tryGetFast(gcWork *w)
{
    workbuf *b = w->wbuf1;
    if (b == NULL)
        return 0;
    if (b->nobj == 0) {
        if (w->wbuf2->nobj == 0)
            return 0;
        w->wbuf1 = w->wbuf2;
        w->wbuf2 = b;
        b = w->wbuf1;
    }
    return b->obj[--b->nobj];
}

uintptr_t gcw_tryGet(hs_runtime *rt, gcWork *w)
{
    workbuf *b = w->wbuf1;
    if (b == NULL) { /* disposed: start again from the global list */
        b = trygetfull(rt);
        if (b == NULL)
            return 0;
        w->wbuf1 = b;
        w->wbuf2 = getempty(rt);
    }
    if (b->nobj == 0) {
        w->wbuf1 = w->wbuf2;
        w->wbuf2 = b;
        b = w->wbuf1;
        if (b->nobj == 0) {
            workbuf *owbuf = b;
            b = trygetfull(rt);
            if (b == NULL)
                return 0;
            putempty(rt, owbuf);
            w->wbuf1 = b;
        }
    }
    return b->obj[--b->nobj];
}

/* Share work while the global list is empty: the second buffer if it holds
 * any, else half of the first when it holds more than a few (Go: balance and
 * handoff), so one worker's deep graph does not leave the others idle. */
void gcw_balance(hs_runtime *rt, gcWork *w)
{
    workbuf *b = w->wbuf1;
    if (b == NULL)
        return;
    if (w->wbuf2->nobj != 0) {
        putfull(rt, w->wbuf2);
        w->wbuf2 = getempty(rt);
    } else if (b->nobj > 4) {
        workbuf *half = getempty(rt);
        uint64_t n = b->nobj / 2;
        b->nobj -= n;
        memcpy(half->obj, &b->obj[b->nobj], n * sizeof(b->obj[0]));
        half->nobj = n;
        putfull(rt, b); /* the older half, nearer the roots, for others */
        w->wbuf1 = half;
    } else {
        return;
    }
    w->flushedWork = true;
}

bool gcw_empty(const gcWork *w)
{
    return (w->wbuf1 == NULL || w->wbuf1->nobj == 0) && (w->wbuf2 == NULL || w->wbuf2->nobj == 0) &&
           spanq_empty(&w->spanq);
}

/* Give back both buffers (full ones to work.full) and flush the counters. */
void gcw_dispose(hs_runtime *rt, gcWork *w)
{
    workbuf *bufs[2] = {w->wbuf1, w->wbuf2};
    for (int i = 0; i < 2; i++) {
        if (bufs[i] == NULL)
            continue;
        if (bufs[i]->nobj > 0) {
            putfull(rt, bufs[i]);
            w->flushedWork = true;
        } else {
            putempty(rt, bufs[i]);
        }
    }
    w->wbuf1 = w->wbuf2 = NULL;
    if (!spanq_empty(&w->spanq)) {
        /* Publish the private ring, and say so even if it was empty: a thief
         * may have cleared the bit of a chain that still has work. */
        spanq_flush(rt, &w->spanq);
        spanqMask_set(rt, w->id);
        w->flushedWork = true;
    }
    gcw_flushScanStats(rt, w);
    gcstate *gc = &rt->gc;
    if (w->bytesMarked)
        atomic_add_u64(&gc->bytesMarked, w->bytesMarked);
    if (w->heapScanWork)
        atomic_add_u64(&gc->heapScanWork, w->heapScanWork);
    if (w->objectsScanned)
        atomic_add_u64(&gc->objectsScanned, w->objectsScanned);
    w->bytesMarked = w->heapScanWork = w->objectsScanned = 0;
}

bool gcMarkWorkAvailable(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    return atomic_load_u64(&gc->nfull) != 0 ||
           atomic_load_u32(&gc->markrootNext) < gc->markrootJobs || spanqMask_any(rt);
}

/* Free every buffer on the global lists (the runtime is going away). */
void gcw_freeAll(hs_runtime *rt)
{
    gcstate *gc = &rt->gc;
    for (workbuf **l = &gc->full; l != NULL; l = l == &gc->full ? &gc->empty : NULL) {
        while (*l != NULL) {
            workbuf *b = *l;
            *l = b->next;
            free(b);
        }
    }
    gc->nfull = 0;
}
