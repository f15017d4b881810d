/*
 * mbarrier.c — the hybrid write barrier (Go: mbarrier.go, mwbbuf.go).
 *
 * While the collector marks, a pointer store *slot = ptr into the heap or the
 * globals first shades both the pointer being overwritten (Yuasa's deletion
 * barrier: what a black stack may still hold stays alive) and the pointer
 * being written (Dijkstra's insertion barrier: what is put into a black object
 * gets marked).  With both, stacks are scanned once and never rescanned — Go's
 * hybrid barrier of Go 1.8.
 *
 * As in Go, the barrier does not mark on the spot: it appends both pointers to
 * the P's 512-entry buffer, and the buffer is flushed into the P's gcWork when
 * full, at the ragged barrier before mark termination, and with the world
 * stopped.  The barrier is on from sweep termination to mark termination; it is
 * switched only with the world stopped, so a mutator sees one setting between
 * two safe points.
 *
 * Stores are atomic because the collector reads the same words while it scans,
 * and release-ordered so a goroutine that loads the pointer (hs_read_ptr, an
 * acquire load) sees the object as it was initialised; loads need no barrier.
 */
#include "runtime/runtime2.h"

void wbBufFlush(hs_runtime *rt, hs_p *pp)
{
    wbBuf *b = &pp->wbbuf;
    for (uint32_t i = 0; i < b->n; i++)
        shade(rt, &pp->gcw, b->buf[i]);
    b->n = 0;
}

static inline void wbBufPut(hs_runtime *rt, hs_p *pp, uintptr_t p)
{
    if (p == 0)
        return;
    wbBuf *b = &pp->wbbuf;
    b->buf[b->n++] = p;
    if (b->n == wbBufEntries)
        wbBufFlush(rt, pp);
}

void hs_write_ptr(hs_p *pp, void **slot, void *ptr)
{
    hs_runtime *rt = pp->rt;
    if (atomic_load_relaxed_u32(&rt->gc.writeBarrier)) {
        wbBufPut(rt, pp, (uintptr_t)atomic_load_relaxed_uptr((uintptr_t *)slot));
        wbBufPut(rt, pp, (uintptr_t)ptr);
    }
    /* Release: whoever loads ptr also sees the object's initialised fields. */
    atomic_store_rel_ptr(slot, ptr);
}
