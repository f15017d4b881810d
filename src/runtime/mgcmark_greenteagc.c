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
 *   1. shade (tryDeferToSpanScan): find the span by address alone (the
 *      arena's pageUseSpanInlineMarkBits, then the class byte in the block);
 *      set the object's mark bit; the first to set it goes on.  A noscan
 *      object is now black.  Otherwise try to acquire the span: owned
 *      Unowned -> OneMark queues the span (span base plus this object's
 *      index, as its representative) on this worker's span queue; OneMark ->
 *      ManyMark only records that more marks came while queued.
 *   2. scanSpan: release the span (owned := Unowned, so a new mark queues it
 *      again).  If it was OneMark, no other mark arrived: scan the
 *      representative alone.  Otherwise toScan = marks &^ scans; scans |=
 *      toScan; scan those objects in address order, sparsely (object by
 *      object) or, when at least 1/8 of the span is to be scanned, densely
 *      (the whole span's pointer bitmap masked by the objects at once: Go's
 *      AVX-512 kernel, with AVX-512 where the CPU has it, else in plain C).
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

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#include <immintrin.h>
#define HS_DENSE_AVX512 1
#endif

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
        uint64_t sc = atomic_load_relaxed_u64(&imb->scans[i]);
        if (!spanClass_noscan(s->spanclass) && (m & ~sc) != 0)
            hs_throw("sweep: span %#lx has gray objects (marks %#llx, scans %#llx in word %d)",
                     (unsigned long)s->startAddr, (unsigned long long)m, (unsigned long long)sc, i);
#endif
        atomic_store_relaxed_u64(&s->gcmarkBits[i], atomic_load_relaxed_u64(&s->gcmarkBits[i]) | m);
    }
    imb_init(imb, s->spanclass, true);
}

/* ---- 1. shading: mark, and queue the span ------------------------------------------- */

/* Take the span for queueing: true for exactly one caller until scanSpan
 * releases it; the others leave ManyMark behind. */
static bool imb_tryAcquire(spanInlineMarkBits *imb)
{
    uint8_t *owned = imb_owned(imb);
    switch (atomic_load_u8(owned)) {
    case spanScanUnowned:
        if (atomic_or_u8(owned, spanScanOneMark) == spanScanUnowned)
            return true;
        /* Someone else got there first: fall through and say "many". */
        /* fallthrough */
    case spanScanOneMark:
        return atomic_or_u8(owned, spanScanManyMark) == spanScanUnowned;
    default:
        return false;
    }
}

/* Objects per span as the collector knows it: from the class alone (Go's
 * scanSpan does the same; tests/runtime/test_inline.c checks it against
 * spanClass_nelems). */
static inline uint16_t inlineNelems(spanClass spc)
{
    uint64_t usable = pageSize - spanInlineMarkBitsSize - (spanClass_noscan(spc) ? 0 : heapBitsSize);
    return (uint16_t)((usable * class_to_divmagic[spanClass_sizeclass(spc)]) >> 32);
}

/* As Go: the arena's bitmap says whether p's page is a span with inline
 * mark bits, and the block at the page's end gives the class; the mspan is
 * never touched, nor spans[] (both mostly cache misses while marking a big
 * heap).  Such a span is freed only by sweep, never while marking, and its
 * bit is set only after its block is initialised. */
static inline bool deferToSpanScan(hs_runtime *rt, gcWork *w, uintptr_t p)
{
    heapArena *ha = mheap_arenaOf(&rt->heap, p);
    if (ha == NULL)
        return false;
    uintptr_t pi = (p / pageSize) % pagesPerArena;
    if (!((atomic_load_acq_u8(&ha->pageUseSpanInlineMarkBits[pi / 8]) >> (pi % 8)) & 1))
        return false;
    uintptr_t base = p & ~(uintptr_t)(pageSize - 1);
    spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(base);
    spanClass spc = imb_class(imb);
    int cls = spanClass_sizeclass(spc);
    uint16_t idx = (uint16_t)(((uint64_t)(p - base) * class_to_divmagic[cls]) >> 32);
    if (idx >= inlineNelems(spc))
        return true; /* past the last object (the span's tail): nothing to mark */
    uint64_t bit = (uint64_t)1 << (idx % 64), *mw = &imb->marks[idx / 64];
    /* A plain load first (most pointers lead to objects already seen), then
     * a locked bit-test-and-set, so only the first marker goes on. */
    if ((atomic_load_relaxed_u64(mw) & bit) || (atomic_or_u64(mw, bit) & bit))
        return true; /* seen before */
    if (spanClass_noscan(spc)) {
        w->bytesMarked += class_to_size[cls]; /* nothing to scan: black now */
        return true;
    }
    if (imb_tryAcquire(imb)) {
#if HS_DEBUG
        if (atomic_add_u32(&spanOf(&rt->heap, base)->spanqCount, 1) != 1)
            hs_throw("span %#lx is in two span queues", (unsigned long)base);
#endif
        if (spanq_put(rt, &w->spanq, makeObjPtr(base, idx))) {
            spanqMask_set(rt, w->id);
            w->flushedWork = true;
        }
    }
    return true;
}

bool tryDeferToSpanScan(hs_runtime *rt, gcWork *w, uintptr_t p)
{
    return deferToSpanScan(rt, w, p);
}

/* ---- 2. scanning a span ---------------------------------------------------------------- */

static inline const uint64_t *spanPtrMask(uintptr_t base)
{
    return (const uint64_t *)(base + pageSize - spanInlineMarkBitsSize - heapBitsSize);
}

static inline uint64_t lowBits(unsigned n)
{
    return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

/* The pointer bits of the object at b (elemsize <= 512 B: at most 64 bits,
 * in one or two words of the bitmap). */
static uint64_t extractHeapBitsSmall(const uint64_t *hb, uintptr_t base, uintptr_t b,
                                     uintptr_t elemsize)
{
    uintptr_t word = (b - base) / 8;
    unsigned i = (unsigned)(word / 64), j = (unsigned)(word % 64), n = (unsigned)(elemsize / 8);
    uint64_t w0 = atomic_load_relaxed_u64(&hb[i]);
    if (j + n <= 64)
        return (w0 >> j) & lowBits(n);
    uint64_t w1 = atomic_load_relaxed_u64(&hb[i + 1]);
    return (w0 >> j) | ((w1 & lowBits(n - (64 - j))) << (64 - j));
}

/* Gather the addresses of the object's pointer words; returns the count and
 * adds the scan work (up to its last pointer word, as Go counts it).  Each
 * word is prefetched as it is gathered, as Go does: the span waited in a
 * FIFO queue, so its memory is seldom in the cache, and the loads of all
 * the words then overlap instead of each one stalling the shading of the
 * last. */
static size_t gatherObject(const uint64_t *hb, uintptr_t base, uintptr_t b, uintptr_t elemsize,
                           uintptr_t *buf, size_t n, uintptr_t *work)
{
    uint64_t bits = extractHeapBitsSmall(hb, base, b, elemsize);
    if (bits != 0)
        *work += (uintptr_t)(64 - __builtin_clzll(bits)) * 8;
    for (; bits != 0; bits &= bits - 1) {
        uintptr_t addr = b + (uintptr_t)__builtin_ctzll(bits) * 8;
        __builtin_prefetch((const void *)addr);
        buf[n++] = addr;
    }
    return n;
}

/* Shade a pointer found in a span scan: the span queue first, else the
 * object queue (as Go: tryDeferToSpanScan, else findObject and greyobject). */
static inline void shadeFromSpan(hs_runtime *rt, gcWork *w, uintptr_t v)
{
    if (deferToSpanScan(rt, w, v))
        return;
    mspan *s = spanOfHeap(&rt->heap, v);
    if (s != NULL)
        greyobject(rt, w, s, v);
}

/* Shade what the gathered slots point to. */
static void shadeSlots(hs_runtime *rt, gcWork *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uintptr_t v = atomic_load_relaxed_uptr((uintptr_t *)w->ptrBuf[i]);
        if (v != 0)
            shadeFromSpan(rt, w, v);
    }
}

static uintptr_t scanObjectSmall(hs_runtime *rt, gcWork *w, uintptr_t base, uintptr_t b,
                                 uintptr_t elemsize)
{
    uintptr_t work = 0;
    size_t n = gatherObject(spanPtrMask(base), base, b, elemsize, w->ptrBuf, 0, &work);
    shadeSlots(rt, w, n);
    return work;
}

/* Sparse: object by object, in address order. */
static uintptr_t scanObjectsSmall(hs_runtime *rt, gcWork *w, uintptr_t base, uintptr_t elemsize,
                                  const uint64_t toScan[8])
{
    const uint64_t *hb = spanPtrMask(base);
    uintptr_t work = 0;
    size_t n = 0;
    for (unsigned i = 0; i < 8; i++)
        for (uint64_t bits = toScan[i]; bits != 0; bits &= bits - 1) {
            uintptr_t b = base + (i * 64 + (unsigned)__builtin_ctzll(bits)) * elemsize;
            n = gatherObject(hb, base, b, elemsize, w->ptrBuf, n, &work);
        }
    shadeSlots(rt, w, n);
    return work;
}

void gcDenseWordMask(const uint64_t toScan[8], unsigned nw, uint64_t wm[pageSize / 8 / 64])
{
    memset(wm, 0, pageSize / 8 / 64 * sizeof(uint64_t));
    switch (nw) { /* the common small sizes: replicate each object's bit in place */
    case 2: /* 16 B: 32 objects a word of the mask */
        for (unsigned i = 0; i < 16; i++)
            wm[i] = bitsSpread32(toScan[i / 2] >> (32 * (i % 2))) * 3;
        return;
    case 4: /* 32 B: 16 objects a word */
        for (unsigned i = 0; i < 16; i++)
            wm[i] = bitsSpread32(bitsSpread32(toScan[i / 4] >> (16 * (i % 4)) & 0xffff)) * 15;
        return;
    case 8: /* 64 B: 8 objects a word */
        for (unsigned i = 0; i < 16; i++)
            wm[i] = bitsSpread32(bitsSpread32(bitsSpread32(toScan[i / 8] >> (8 * (i % 8)) & 0xff))) * 255;
        return;
    }
    for (unsigned i = 0; i < 8; i++)
        for (uint64_t bits = toScan[i]; bits != 0; bits &= bits - 1) {
            unsigned from = (i * 64 + (unsigned)__builtin_ctzll(bits)) * nw, left = nw;
            while (left > 0) {
                unsigned off = from % 64, take = 64 - off < left ? 64 - off : left;
                wm[from / 64] |= lowBits(take) << off;
                from += take;
                left -= take;
            }
        }
}

#if HS_DENSE_AVX512
/* Eight words at a time, as Go's AVX-512 kernel (which Go 1.26 uses for
 * every dense scan where the CPU has it): a masked load of the words to read
 * in each 64-byte line, the nil ones dropped, the rest compressed into the
 * buffer.  A whole vector is stored each time: the buffer has room past the
 * at most 992 pointer words of a span.  The vector load is not atomic as a
 * whole, but each aligned word in it is, which is all a scan needs (Go
 * relies on the same); ThreadSanitizer cannot know that, so its builds keep
 * the plain loop. */
__attribute__((target("avx512f"))) static size_t densePointersAVX512(uintptr_t base,
                                                                     const uint64_t *wm,
                                                                     const uint64_t *hb,
                                                                     uintptr_t *out)
{
    size_t n = 0;
    for (unsigned i = 0; i < pageSize / 8 / 64; i++) {
        const long long *words = (const long long *)(base + i * 64 * 8);
        for (uint64_t m = wm[i] & atomic_load_relaxed_u64(&hb[i]); m != 0;) {
            unsigned k = (unsigned)__builtin_ctzll(m) / 8;
            __mmask8 take = (__mmask8)(m >> (8 * k));
            __m512i v = _mm512_maskz_loadu_epi64(take, words + 8 * k);
            __mmask8 live = _mm512_test_epi64_mask(v, v);
            _mm512_storeu_si512((void *)(out + n), _mm512_maskz_compress_epi64(live, v));
            n += (size_t)__builtin_popcount(live);
            m &= ~((uint64_t)0xff << (8 * k));
        }
    }
    return n;
}
#endif

size_t gcDensePointers(uintptr_t base, const uint64_t wm[pageSize / 8 / 64], uintptr_t *out,
                       bool vector)
{
    const uint64_t *hb = spanPtrMask(base);
#if HS_DENSE_AVX512
    if (vector && __builtin_cpu_supports("avx512f"))
        return densePointersAVX512(base, wm, hb, out);
#else
    (void)vector;
#endif
    size_t n = 0;
    for (unsigned i = 0; i < pageSize / 8 / 64; i++)
        for (uint64_t m = wm[i] & atomic_load_relaxed_u64(&hb[i]); m != 0; m &= m - 1) {
            uintptr_t *slotp = (uintptr_t *)(base + (i * 64 + (unsigned)__builtin_ctzll(m)) * 8);
            uintptr_t v = atomic_load_relaxed_uptr(slotp);
            out[n] = v;
            n += v != 0;
        }
    return n;
}

/* Dense: the words of every object to scan as one 1024-bit mask, ANDed with
 * the span's pointer bitmap, read in one pass over the span (Go's
 * ScanSpanPacked).  As ScanSpanPacked, the pass loads the pointers
 * themselves, keeping those not nil: one sweep up the span's memory with
 * nothing between the loads, so they stream, and only then the shading,
 * which misses elsewhere. */
static uintptr_t scanSpanDense(hs_runtime *rt, gcWork *w, uintptr_t base, uintptr_t elemsize,
                               const uint64_t toScan[8], int objs)
{
    uint64_t wm[pageSize / 8 / 64];
    gcDenseWordMask(toScan, (unsigned)(elemsize / 8), wm);
    size_t n = gcDensePointers(base, wm, w->ptrBuf, true);
    for (size_t i = 0; i < n; i++)
        shadeFromSpan(rt, w, w->ptrBuf[i]);
    return (uintptr_t)objs * elemsize;
}

/* toScan := marks &^ scans, and scans |= marks; returns how many objects this
 * caller took (a concurrent scan of the span after a re-queue takes the rest).
 * The span's page mark is set here, as Go's spanSetScans does: shading by
 * address never sets it (nor does a one-mark scan, in Go as here). */
static int spanSetScans(hs_runtime *rt, uintptr_t base, spanInlineMarkBits *imb, uint16_t nelems,
                        uint64_t toScan[8])
{
    setPageMarkAt(&rt->heap, base);
    int n = 0;
    unsigned words = (nelems + 63u) / 64u;
    for (unsigned i = 0; i < 8; i++) {
        toScan[i] = 0;
        if (i >= words)
            continue;
        uint64_t sc = atomic_load_relaxed_u64(&imb->scans[i]);
        uint64_t m = atomic_load_relaxed_u64(&imb->marks[i]);
        uint64_t grey = m & ~sc & (i == 7 ? ~inlineBitsTopByte : ~(uint64_t)0);
        if (grey != 0)
            grey &= ~atomic_or_u64(&imb->scans[i], grey);
        toScan[i] = grey;
        n += __builtin_popcountll(grey);
    }
    return n;
}

/* The one object p names, if it is still gray. */
static uintptr_t scanOneMark(hs_runtime *rt, gcWork *w, spanInlineMarkBits *imb, objptr p,
                             uintptr_t elemsize, hs_scan_stats *st)
{
    uintptr_t base = objptr_spanBase(p);
    uint16_t idx = objptr_objIndex(p);
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (atomic_or_u64(&imb->scans[idx / 64], bit) & bit)
        return 0; /* a scan of the span since it was queued took it */
    w->bytesMarked += elemsize;
    w->objectsScanned++;
    st->objs_single++;
    st->spans_one++;
    return scanObjectSmall(rt, w, base, base + idx * elemsize, elemsize);
}

uintptr_t scanSpan(hs_runtime *rt, gcWork *w, objptr p)
{
    uintptr_t base = objptr_spanBase(p);
    spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(base);
    spanClass spc = imb_class(imb);
    int cls = spanClass_sizeclass(spc);
    if (spanClass_noscan(spc) || cls < 2 || cls > 26)
        hs_throw("scanSpan: span %#lx has class byte %d", (unsigned long)base, spc);
    uintptr_t elemsize = class_to_size[cls], work = 0;
    hs_scan_stats *st = &w->stats[cls];
    w->statsDirty = true;
    atomic_store_relaxed_uptr(&w->scanning, base);
#if HS_DEBUG
    if (atomic_sub_relaxed_u32(&spanOf(&rt->heap, base)->spanqCount, 1) != 0)
        hs_throw("span %#lx left a span queue it was not in", (unsigned long)base);
#endif
    /* Release first: a mark from now on queues the span again. */
    if (atomic_xchg_u8(imb_owned(imb), spanScanUnowned) == spanScanOneMark) {
        work = scanOneMark(rt, w, imb, p, elemsize, st);
    } else {
        uint64_t toScan[8];
        uint16_t nelems = inlineNelems(spc);
        int n = spanSetScans(rt, base, imb, nelems, toScan);
        w->bytesMarked += (uint64_t)n * elemsize;
        w->objectsScanned += (uint64_t)n;
        if (n > 0 && n < nelems / 8) {
            st->spans_sparse++;
            st->span_objs_sparse += (uint64_t)n;
            work = scanObjectsSmall(rt, w, base, elemsize, toScan);
        } else if (n > 0) {
            st->spans_dense++;
            st->span_objs_dense += (uint64_t)n;
            work = scanSpanDense(rt, w, base, elemsize, toScan, n);
        }
    }
    atomic_store_relaxed_uptr(&w->scanning, 0);
    return work;
}

/* ---- statistics ------------------------------------------------------------------------- */

enum { scanStatFields = sizeof(hs_scan_stats) / sizeof(uint64_t) };

void gcw_flushScanStats(hs_runtime *rt, gcWork *w)
{
    if (w->steals) {
        atomic_add_u64(&rt->gc.spanSteals, w->steals);
        w->steals = 0;
    }
    if (!w->statsDirty)
        return;
    uint64_t *total = (uint64_t *)&rt->gc.scanCycleTotal;
    for (int c = 0; c < numSizeClasses; c++) {
        uint64_t *from = (uint64_t *)&w->stats[c], *to = (uint64_t *)&rt->gc.scanCycle[c];
        for (int f = 0; f < scanStatFields; f++) {
            if (from[f] == 0)
                continue;
            atomic_add_u64(&to[f], from[f]);
            atomic_add_u64(&total[f], from[f]);
            from[f] = 0;
        }
    }
    w->statsDirty = false;
}

/* ---- the verifier's check ----------------------------------------------------------------- */

static bool checkSpan(mspan *s)
{
    spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
    uint8_t owned = atomic_load_u8(imb_owned(imb));
    for (int i = 0; i < 8 && !spanClass_noscan(s->spanclass); i++) {
        uint64_t grey = atomic_load_relaxed_u64(&imb->marks[i]) &
                        ~atomic_load_relaxed_u64(&imb->scans[i]) &
                        ~(i == 7 ? inlineBitsTopByte : 0);
        if (grey != 0) {
            fprintf(stderr, "heapscope: checkmark: object %#lx (%zu B) is still gray after mark\n",
                    (unsigned long)(s->startAddr +
                                    (uintptr_t)(i * 64 + __builtin_ctzll(grey)) * s->elemsize),
                    (size_t)s->elemsize);
            return false;
        }
    }
    if (owned != spanScanUnowned) {
        fprintf(stderr, "heapscope: checkmark: span %#lx is still queued after mark\n",
                (unsigned long)s->startAddr);
        return false;
    }
    return true;
}

static bool checkSpanIfInline(mspan *s, void *ctx)
{
    (void)ctx;
    return !s->inlineMarks || checkSpan(s);
}

bool gcCheckInlineMarks(hs_runtime *rt)
{
    return mheap_forEachSpan(&rt->heap, checkSpanIfInline, NULL);
}
