/*
 * malloc.c — hs_malloc, heapscope's mallocgc (Go: malloc.go, mbitmap.go).
 *
 * Every allocation takes one of five paths, chosen as Go chooses them:
 *   1. size 0: the address of the runtime's zerobase;
 *   2. pointer-free and under 16 B: the tiny allocator packs it into the P's
 *      current 16 B block (aligned to 8, 4 or 2 by its size), taking a new block
 *      from class 2 noscan when it does not fit;
 *   3. pointer-free up to 32 KiB - 8: the size class's noscan span in the mcache;
 *   4. with pointers up to 32 KiB - 8: the scan span; objects of at most 512 B
 *      get their pointer bits written into the span's heap-bits area, larger
 *      ones carry an 8-byte header holding their type, and the caller gets the
 *      address just past it;
 *   5. anything larger: a span of its own straight from mheap (class 0), put on
 *      its mcentral's full swept set so the sweeper sees it.
 * Small paths take the mcache fast path first: the cached span's allocCache
 * (nextFreeFast), then nextFree, which may refill from mcentral.  Memory is
 * zeroed when the span says it may be dirty (needzero).  During mark a new
 * object is black (allocate black): large ones are marked here, small ones
 * were marked with their span's free slots when the mcache took the span.
 *
 * Only the thread running the P may call hs_malloc for it: the mcache and the
 * allocation state of its cached spans have no lock.  The heap bits of a span
 * are written by that owner with relaxed atomics because a collector may read
 * the neighbouring objects' bits in the same word.
 */
#include <string.h>

#include "runtime/runtime2.h"

/* Go: nextFreeFast.  0 when the cached window has no free slot. */
static inline uintptr_t nextFreeFast(mspan *s)
{
    if (s->allocCache == 0)
        return 0;
    unsigned theBit = (unsigned)__builtin_ctzll(s->allocCache);
    uint16_t result = (uint16_t)(s->freeindex + theBit);
    if (result >= s->nelems)
        return 0;
    uint16_t freeidx = (uint16_t)(result + 1);
    if (freeidx % 64 == 0 && freeidx != s->nelems)
        return 0;
    s->allocCache >>= theBit;
    s->allocCache >>= 1;
    atomic_store_relaxed_u16(&s->freeindex, freeidx);
    atomic_store_relaxed_u16(&s->allocCount, (uint16_t)(s->allocCount + 1));
    return s->startAddr + (uintptr_t)result * s->elemsize;
}

/* Zero a small object (8-aligned, a multiple of 8 bytes): inline 16-byte
 * stores up to 512 bytes, where a call to memset costs as much as the
 * stores themselves. */
static inline void memclrSmall(uintptr_t x, uintptr_t n)
{
    if (n > 512) {
        memset((void *)x, 0, n);
        return;
    }
    typedef uint64_t zero16 __attribute__((vector_size(16), aligned(8), may_alias));
    uintptr_t i = 0;
    for (; i + 16 <= n; i += 16)
        *(zero16 *)(x + i) = (zero16){0, 0};
    if (i < n)
        __builtin_memset((void *)(x + i), 0, 8);
}

static inline void count_inc(uint64_t *c)
{
    atomic_store_relaxed_u64(c, atomic_load_relaxed_u64(c) + 1);
}

/* The heap may have passed the trigger: ask for a cycle, and have this P
 * wait for it at its next safe point, as Go's allocating goroutine runs
 * gcStart itself (not here: the new object is not rooted yet). */
static void gcTriggerTestP(hs_runtime *rt, hs_p *pp)
{
    if (atomic_load_relaxed_u32(&rt->gc.blackenEnabled)) {
        gcControllerRevise(rt); /* heapLive moved: re-price assists (Go: gcController.update) */
        return;
    }
    if (gcTriggerTest(rt))
        p_setPreempt(pp, preemptGCStart);
}

/* Take one slot of class spc from the P's mcache.  0 on out of memory. */
static inline uintptr_t mcache_alloc(hs_runtime *rt, hs_p *pp, spanClass spc, mspan **sp)
{
    mcache *c = &pp->mcache;
    mspan *s = c->alloc[spc];
    uintptr_t v = nextFreeFast(s);
    if (__builtin_expect(v == 0, 0)) {
        v = mcache_nextFree(rt, c, spc, &s);
        gcTriggerTestP(rt, pp);
    }
    *sp = s;
    return v;
}

static inline __attribute__((always_inline)) void *mallocTiny(hs_runtime *rt, hs_p *pp, size_t size)
{
    mcache *c = &pp->mcache;
    uintptr_t off = c->tinyoffset;
    if ((size & 7) == 0)
        off = (off + 7) & ~(uintptr_t)7;
    else if ((size & 3) == 0)
        off = (off + 3) & ~(uintptr_t)3;
    else if ((size & 1) == 0)
        off = (off + 1) & ~(uintptr_t)1;
    if (off + size <= maxTinySize && c->tiny != 0) {
        atomic_store_relaxed_uptr(&c->tinyoffset, off + size);
        count_inc(&c->tinyAllocs);
        return (void *)(c->tiny + off);
    }
    mspan *s;
    uintptr_t x = mcache_alloc(rt, pp, tinySpanClass, &s);
    if (x == 0)
        return NULL;
    memset((void *)x, 0, maxTinySize);
    count_inc(&c->smallAllocCount[tinySizeClass]);
    /* During mark the block is black already: its span's free slots were
     * marked when the mcache took it (gcAllocBlackSpan). */
    /* Keep whichever block has more room left. */
    if (size < c->tinyoffset || c->tiny == 0) {
        atomic_store_relaxed_uptr(&c->tiny, x);
        atomic_store_relaxed_uptr(&c->tinyoffset, size);
    }
    return (void *)x;
}

/* Pointer bits of an object of dataSize bytes that is an array of typ, for its
 * first 64 words (objects with heap bits in the span are at most 512 B): the
 * element's mask, repeated every typ->size/8 bits. */
static uint64_t typePtrMask(const hs_type *typ, size_t dataSize)
{
    size_t typWords = typ->size / 8, ptrWords = typ->ptrbytes / 8;
    size_t words = dataSize / 8 < 64 ? dataSize / 8 : 64;
    uint64_t elem = 0;
    for (size_t j = 0; j < ptrWords && j < 64; j++)
        elem |= (uint64_t)((typ->gcdata[j / 8] >> (j % 8)) & 1) << j;
    uint64_t mask = elem;
    for (size_t at = typWords; at < words; at += typWords)
        mask |= elem << at;
    return words == 64 ? mask : mask & (((uint64_t)1 << words) - 1);
}

/* Write the object's pointer bits into the span's heap-bits area (Go:
 * writeHeapBitsSmall): the elemsize/8 bits starting at the object's word,
 * which lie in at most two words of the bitmap. */
static void heapSetTypeSmall(hs_runtime *rt, mspan *s, uintptr_t x, const hs_type *typ,
                             size_t dataSize)
{
    uint64_t *hb = mspan_heapBits(s, rt->cfg.gcmode);
    uintptr_t w0 = (x - s->startAddr) / 8, word = w0 / 64, bit = w0 % 64;
    size_t nw = s->elemsize / 8;
    uint64_t src = typePtrMask(typ, dataSize);
    uint64_t field = nw == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nw) - 1);
    uint64_t old = atomic_load_relaxed_u64(&hb[word]);
    atomic_store_relaxed_u64(&hb[word], (old & ~(field << bit)) | (src << bit));
    if (bit + nw > 64) { /* the rest spills into the next word */
        uint64_t rest = field >> (64 - bit);
        old = atomic_load_relaxed_u64(&hb[word + 1]);
        atomic_store_relaxed_u64(&hb[word + 1], (old & ~rest) | (src >> (64 - bit)));
    }
}

static inline __attribute__((always_inline)) void *mallocSmall(hs_runtime *rt, hs_p *pp, size_t size, const hs_type *typ,
                                                              bool noscan)
{
    mcache *c = &pp->mcache;
    bool header = !noscan && !heapBitsInSpan(size);
    size_t allocSize = header ? size + mallocHeaderSize : size;
    int cls = sizeToClass(allocSize);
    mspan *s;
    uintptr_t x = mcache_alloc(rt, pp, makeSpanClass(cls, noscan), &s);
    if (x == 0)
        return NULL;
    if (s->needzero)
        memclrSmall(x, s->elemsize);
    count_inc(&c->smallAllocCount[cls]);
    if (header)
        atomic_store_rel_ptr((void **)x, (void *)typ);
    else if (!noscan)
        heapSetTypeSmall(rt, s, x, typ, size);
    /* Allocate black: during mark the slot was marked with its span's other
     * free slots when the mcache took the span (gcAllocBlackSpan). */
    if (noscan)
        return (void *)x;
    atomic_store_relaxed_u64(&c->scanAlloc, atomic_load_relaxed_u64(&c->scanAlloc) + s->elemsize);
    return (void *)(header ? x + mallocHeaderSize : x);
}

static __attribute__((noinline)) void *mallocLarge(hs_runtime *rt, hs_p *pp, size_t size, const hs_type *typ, bool noscan)
{
    mcache *c = &pp->mcache;
    uintptr_t npages = (size + pageSize - 1) / pageSize;
    deductSweepCredit(rt, npages * pageSize);
    spanClass spc = makeSpanClass(0, noscan);
    mspan *s = mheap_alloc(rt, npages, spc);
    if (s == NULL)
        return NULL;
    /* Narrowed after the span is published: read with atomics (spanOfHeap). */
    atomic_store_relaxed_uptr(&s->limit, s->startAddr + size);
    __atomic_store_n(&s->largeType, noscan ? NULL : typ, __ATOMIC_RELAXED); /* as limit */
    atomic_store_relaxed_u16(&s->freeindex, 1);
    atomic_store_relaxed_u16(&s->allocCount, 1);
    atomic_store_u32(&s->sweepgen, atomic_load_u32(&rt->heap.sweepgen));
    if (s->needzero)
        memset((void *)s->startAddr, 0, size);
    atomic_add_relaxed_u64(&rt->heap.heapLive, npages * pageSize);
    atomic_store_relaxed_u64(&c->largeAlloc, atomic_load_relaxed_u64(&c->largeAlloc) + npages * pageSize);
    count_inc(&c->largeAllocCount);
    if (atomic_load_relaxed_u32(&rt->gc.phase) == HS_PHASE_MARK)
        gcmarknewobject(rt, &pp->gcw, s, s->startAddr);
    mcentral *central = &rt->heap.central[spc];
    mcentral_push(central, mcentral_fullSwept(central, atomic_load_u32(&rt->heap.sweepgen)), s);
    gcTriggerTestP(rt, pp);
    return (void *)s->startAddr;
}

static inline __attribute__((always_inline)) void *mallocgc(hs_runtime *rt, hs_p *pp, size_t size,
                                                           const hs_type *typ)
{
    bool noscan = typ == NULL || typ->ptrbytes == 0 || typ->size == 0;
    if (size <= maxSmallSize - mallocHeaderSize) {
        if (noscan && size < maxTinySize)
            return mallocTiny(rt, pp, size);
        return mallocSmall(rt, pp, size, typ, noscan);
    }
    return mallocLarge(rt, pp, size, typ, noscan);
}

/* Allocation during mark is paid for in scan work (Go: deductAssistCredit). */
static inline void deductAssistCredit(hs_runtime *rt, hs_p *pp, size_t size)
{
    if (!atomic_load_relaxed_u32(&rt->gc.blackenEnabled))
        return;
    pp->gcAssistBytes -= (int64_t)size;
    if (pp->gcAssistBytes < 0)
        gcAssistAlloc(rt, pp);
}

void *hs_malloc(hs_p *pp, size_t size, const hs_type *typ)
{
    hs_runtime *rt = pp->rt;
    if (size == 0)
        return &rt->zerobase;
    if (atomic_load_relaxed_u32(&pp->preempt) != 0)
        hs_safepoint(pp);
    deductAssistCredit(rt, pp, size);
    uint64_t refused = atomic_load_u64(&rt->oomCount);
    void *x = mallocgc(rt, pp, size, typ);
    if (x == NULL && atomic_load_u64(&rt->oomCount) != refused) {
        /* Past --max-heap: collect, as Go would before giving up, and try
         * once more.  The record stays: another P may be reporting its own
         * refusal from it right now. */
        hs_gc(rt, pp);
        x = mallocgc(rt, pp, size, typ);
    }
    return x;
}

void runtime_oom(hs_runtime *rt, uint64_t requested)
{
    uint64_t inuse = atomic_load_relaxed_u64(&rt->heap.pagesInUse) * pageSize;
    pthread_mutex_lock(&rt->errlock);
    rt->oom.happened = true;
    rt->oom.requested = requested;
    rt->oom.heap_inuse = inuse;
    rt->oom.max_heap = rt->cfg.max_heap;
    atomic_store_u64(&rt->oomCount, atomic_load_relaxed_u64(&rt->oomCount) + 1);
    snprintf(rt->err, sizeof(rt->err),
             "out of memory: a new %llu-byte span would take the heap in use from %llu to "
             "%llu bytes, past the --max-heap cap of %llu bytes",
             (unsigned long long)requested, (unsigned long long)inuse,
             (unsigned long long)(inuse + requested), (unsigned long long)rt->cfg.max_heap);
    pthread_mutex_unlock(&rt->errlock);
}
