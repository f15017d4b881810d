/*
 * mgcmark_greenteagc.c — Green Tea: marking span by span (Go 1.26:
 * mgcmark_greenteagc.go; the default collector since Go 1.26).
 *
 * The idea: instead of scanning each gray object as it is found, note the
 * object as "seen" in its span and queue the span; by the time the span comes
 * out of the queue (FIFO, so it waits as long as possible) more of its objects
 * may have been seen, and they are all scanned in one pass in address order,
 * with the span's metadata and memory hot in the cache.
 *
 * Which spans: one-page spans of 16..512 B objects (size classes 2-26,
 * gcUsesSpanInlineMarkBits).  Their last 128 B hold spanInlineMarkBits
 * (runtime2.h): marks ("seen"), scans ("scanned"), the owned byte and the
 * class; in scan spans the 128 B pointer bitmap sits just before it.  All
 * other spans (8 B objects, 576 B and up, large objects) keep the classic
 * object queue, gcmarkBits and gcscanBits.
 *
 * The algorithm:
 *   1. shade (tryDeferToSpanScan): set the object's mark bit; the first to set
 *      it goes on.  A noscan object is now black.  Otherwise try to acquire
 *      the span: owned Unowned -> OneMark queues the span (span base plus this
 *      object's index, as its representative) on this worker's span queue;
 *      OneMark -> ManyMark only records that more marks came while queued.
 *   2. scanSpan: release the span (owned := Unowned, so a new mark queues it
 *      again).  If it was OneMark, no other mark arrived: scan the
 *      representative alone.  Otherwise toScan = marks &^ scans; scans |=
 *      toScan; scan those objects in address order, sparsely (object by
 *      object) or, when at least 1/8 of the span is to be scanned, densely
 *      (the whole span's pointer bitmap masked by the objects at once: Go's
 *      AVX-512 kernel, here in plain C).
 *   3. sweep folds the marks into gcmarkBits (mspan_moveInlineMarks) and
 *      resets the block; from there on sweeping is as in classic mode.
 *
 * Invariants:
 *   - a span is in at most one queue: only the Unowned -> OneMark transition
 *     queues it, and only scanSpan sets Unowned again;
 *   - every mark set during mark is followed by a scan: either the marker
 *     queues the span, or owned was already set and the span's coming scan
 *     (which releases owned before it reads the marks) sees the mark;
 *   - so at mark termination marks == scans in every scan span with inline
 *     bits (checked by the checkmark verifier).
 * Who touches what: marks, scans and owned are atomics anyone may set while
 * marking; class is written at span init and at sweep, when nobody marks.
 */
#include <string.h>

#include "runtime/runtime2.h"

/* ---- the inline block --------------------------------------------------------------- */

void imb_init(spanInlineMarkBits *imb, spanClass spc, bool needzero)
{
    if (needzero) {
        for (int i = 0; i < 8; i++) {
            atomic_store_relaxed_u64(&imb->scans[i], 0);
            atomic_store_relaxed_u64(&imb->marks[i], 0);
        }
    }
    atomic_store_relaxed_u8((uint8_t *)imb + 127, spc);
}

void mspan_moveInlineMarks(mspan *s)
{
    spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
    int words = mspan_bitWords(s);
    for (int i = 0; i < words; i++) {
        uint64_t m = atomic_load_relaxed_u64(&imb->marks[i]);
        if (i == 7)
            m &= ~inlineBitsTopByte; /* the class byte */
#if HS_DEBUG
        uint64_t sc = atomic_load_relaxed_u64(&imb->scans[i]) & ~inlineBitsTopByte;
        if (!spanClass_noscan(s->spanclass) && (m & ~sc) != 0)
            hs_throw("sweep: span %#lx has gray objects (marks %#llx, scans %#llx in word %d)",
                     (unsigned long)s->startAddr, (unsigned long long)m, (unsigned long long)sc, i);
#endif
        atomic_store_relaxed_u64(&s->gcmarkBits[i], atomic_load_relaxed_u64(&s->gcmarkBits[i]) | m);
    }
    imb_init(imb, s->spanclass, true);
}
