/*
 * mheap.c — the page heap: arenas, spans, and the bridge to the page allocator
 * (Go: mheap.go, malloc.go sysAlloc).
 *
 * The heap's address space is a set of 64 MiB arenas, reserved from the OS at
 * hint addresses starting at 0xc000000000 and growing upward, as Go does on
 * amd64.  Each arena has a heapArena record kept outside the heap: spans[] maps
 * every page to its span (so any interior pointer finds its object in O(1)),
 * pageInUse marks the first page of every in-use span, pageMarks the first page
 * of every span with a marked object, pageUseSpanInlineMarkBits every in-use
 * span with Green Tea's inline mark bits, and zeroedBase says how much of the
 * arena has ever been handed out (everything above it is still zero from the
 * OS).
 * Arenas are found through a sparse index of 2^22 entries (48-bit addresses /
 * 64 MiB) whose untouched entries cost no memory.
 *
 * Allocating a span (mheap_alloc):
 *   1. under mheap.lock: refuse if HeapInuse would pass max_heap; ask the page
 *      allocator for the lowest-addressed run of npages; if none, grow the heap
 *      (reserve a new arena if the current one is used up) and ask again;
 *   2. take an mspan and its bitmaps from the fixed-size allocators;
 *   3. without the lock: initialise the span (class, nelems, divMul, bits,
 *      needzero from zeroedBase and from whether the pages were scavenged);
 *   4. publish: spans[] for every page, then the pageInUse bit.
 * Freeing (mheap_freeSpan) returns the pages to the page allocator, where free
 * neighbours coalesce in the bitmap, and recycles the mspan.  spans[] entries
 * are left pointing at the dead span, as in Go: readers check the state.
 *
 * Locking: mheap.lock guards the page allocator, arena list, hints and the
 * fixed-size allocators.  heapArena.spans[] is written with release stores and
 * read lock-free.  See runtime2.h for the lock order.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime2.h"


static size_t heapArenaMetaBytes(void)
{
    return (sizeof(heapArena) + 4095) & ~(size_t)4095;
}

int mheap_init(mheap *h, hs_runtime *rt)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->sweepgen = 2; /* as Go: sweepgen starts past 0 so sg-2 never wraps */
    h->arenaHint = arenaBaseHint;
    h->arenas = sysReserveAligned(&rt->sys, 0, arenaIndexCount * sizeof(heapArena *), 4096);
    if (h->arenas == NULL || pageAlloc_init(&h->pages, &rt->sys) != 0)
        return -1;
    for (int i = 0; i < numSpanClasses; i++)
        mcentral_init(&h->central[i], (spanClass)i);
    fixalloc_init(&h->spanalloc, sizeof(mspan), &rt->sys);
    for (int w = 1; w <= spanBitWords; w++)
        fixalloc_init(&h->bitsalloc[w - 1], (size_t)w * spanBitmaps * sizeof(uint64_t), &rt->sys);
    h->emptymspan.sweepgen = 0;
    return 0;
}

void mheap_destroy(mheap *h, hs_runtime *rt)
{
    for (size_t i = 0; i < h->nallArenas; i++) {
        uintptr_t base = h->allArenas[i];
        sysFree(&rt->sys, h->arenas[arenaIndexOf(base)], heapArenaMetaBytes());
        sysFree(&rt->sys, (void *)base, heapArenaBytes);
    }
    free(h->allArenas);
    if (h->arenas != NULL)
        sysFree(&rt->sys, h->arenas, arenaIndexCount * sizeof(heapArena *));
    pageAlloc_destroy(&h->pages);
    fixalloc_destroy(&h->spanalloc);
    for (int w = 0; w < spanBitWords; w++)
        fixalloc_destroy(&h->bitsalloc[w]);
    for (int i = 0; i < numSpanClasses; i++)
        pthread_mutex_destroy(&h->central[i].lock);
    pthread_mutex_destroy(&h->lock);
}

/* Record a new arena at base (lock held).  Returns false if metadata space
 * could not be had. */
static bool mheap_addArena(hs_runtime *rt, mheap *h, uintptr_t base)
{
    if (h->nallArenas == h->capArenas) {
        size_t cap = h->capArenas ? h->capArenas * 2 : 8;
        uintptr_t *a = realloc(h->allArenas, cap * sizeof(*a));
        if (a == NULL)
            return false;
        h->allArenas = a;
        h->capArenas = cap;
    }
    heapArena *ha = sysReserveAligned(&rt->sys, 0, heapArenaMetaBytes(), 4096);
    if (ha == NULL)
        return false;
    h->arenaSysBytes += heapArenaMetaBytes();
    h->allArenas[h->nallArenas++] = base;
    atomic_store_rel_ptr((void **)&h->arenas[arenaIndexOf(base)], ha);
    return true;
}

/* Reserve at least n bytes of new arena space, 64 MiB aligned, at the hint if
 * possible (Go: mheap.sysAlloc).  Returns the base, 0 on failure. */
static uintptr_t mheap_sysAlloc(hs_runtime *rt, mheap *h, size_t n, size_t *got)
{
    n = (n + heapArenaBytes - 1) & ~(heapArenaBytes - 1);
    void *v = NULL;
    for (int try = 0; try < 64 && v == NULL; try++) {
        v = sysReserveAligned(&rt->sys, h->arenaHint, n, heapArenaBytes);
        if (v != NULL && (uintptr_t)v != h->arenaHint && try < 63) {
            /* Landed elsewhere: the hint range is taken; try the next one. */
            sysFree(&rt->sys, v, n);
            v = NULL;
        }
        if (v == NULL)
            h->arenaHint += heapArenaBytes;
    }
    if (v == NULL)
        return 0;
    h->arenaHint = (uintptr_t)v + n;
    for (size_t off = 0; off < n; off += heapArenaBytes) {
        if (!mheap_addArena(rt, h, (uintptr_t)v + off)) {
            /* Arenas already recorded stay; the rest of the range is dropped. */
            if (off < n)
                sysFree(&rt->sys, (char *)v + off, n - off);
            n = off;
            break;
        }
    }
    *got = n;
    return n ? (uintptr_t)v : 0;
}

/* Hand [base, base+size) of reserved space to the page allocator. */
static void mheap_growInto(mheap *h, uintptr_t base, size_t size)
{
    pageAlloc_grow(&h->pages, base, size);
    atomic_add_relaxed_u64(&h->heapSys, size);
    atomic_add_relaxed_u64(&h->heapReleased, size); /* untouched memory counts as released */
}

/* Add at least npage pages of free space to the heap (lock held). */
static bool mheap_grow(hs_runtime *rt, mheap *h, uintptr_t npage)
{
    size_t ask = ((npage + pallocChunkPages - 1) & ~(uintptr_t)(pallocChunkPages - 1)) * pageSize;
    if (h->curArenaEnd - h->curArenaBase < ask) {
        size_t got = 0;
        uintptr_t av = mheap_sysAlloc(rt, h, ask, &got);
        if (av == 0) {
            runtime_seterr(rt, "the OS refused to reserve %zu MiB of address space for a heap arena",
                           ask >> 20);
            return false;
        }
        if (av == h->curArenaEnd) {
            h->curArenaEnd = av + got;
        } else {
            if (h->curArenaEnd > h->curArenaBase)
                mheap_growInto(h, h->curArenaBase, h->curArenaEnd - h->curArenaBase);
            h->curArenaBase = av;
            h->curArenaEnd = av + got;
        }
    }
    mheap_growInto(h, h->curArenaBase, ask);
    h->curArenaBase += ask;
    return true;
}

uint64_t *mheap_bitsAlloc(mheap *h, int words)
{
    return fixalloc_alloc(&h->bitsalloc[words - 1]);
}

void mheap_bitsFree(mheap *h, uint64_t *b, int words)
{
    fixalloc_free(&h->bitsalloc[words - 1], b);
}

/* Does allocating [base, base+npage pages) need zeroing?  Moves each arena's
 * zeroedBase watermark up (Go: allocNeedsZero). */
static bool mheap_allocNeedsZero(mheap *h, uintptr_t base, uintptr_t npage)
{
    bool needZero = false;
    while (npage > 0) {
        heapArena *ha = mheap_arenaOf(h, base);
        uintptr_t arenaBase = base % heapArenaBytes;
        uintptr_t zeroedBase = atomic_load_uptr(&ha->zeroedBase);
        if (arenaBase < zeroedBase)
            needZero = true;
        uintptr_t arenaLimit = arenaBase + npage * pageSize;
        if (arenaLimit > heapArenaBytes)
            arenaLimit = heapArenaBytes;
        while (arenaLimit > zeroedBase && !atomic_cas_uptr(&ha->zeroedBase, zeroedBase, arenaLimit))
            zeroedBase = atomic_load_uptr(&ha->zeroedBase);
        base += arenaLimit - arenaBase;
        npage -= (arenaLimit - arenaBase) / pageSize;
    }
    return needZero;
}

/* Take pages, an mspan and its bitmaps under the lock.  NULL on failure. */
static mspan *mheap_allocLocked(hs_runtime *rt, mheap *h, uintptr_t npages, int words,
                                uintptr_t *base, uint64_t *scav)
{
    uint64_t inuse = atomic_load_relaxed_u64(&h->pagesInUse) * pageSize;
    if (rt->cfg.max_heap != 0 && inuse + npages * pageSize > rt->cfg.max_heap) {
        runtime_oom(rt, npages * pageSize);
        return NULL;
    }
    *base = pageAlloc_alloc(&h->pages, npages, scav);
    if (*base == 0) {
        if (!mheap_grow(rt, h, npages))
            return NULL;
        *base = pageAlloc_alloc(&h->pages, npages, scav);
        if (*base == 0)
            hs_throw("mheap: grew by %zu pages and still found no room", (size_t)npages);
    }
#if HS_DEBUG
    for (uintptr_t i = 0; i < npages; i++) {
        uintptr_t pg = *base + i * pageSize;
        mspan *old = spanOf(h, pg);
        if (mheap_arenaOf(h, pg) == NULL ||
            (old != NULL && atomic_load_u8(&old->state) == mSpanInUse &&
             pg >= old->startAddr && pg < old->startAddr + old->npages * pageSize))
            hs_throw("mheap: page allocator handed out page %#lx, which is not free",
                     (unsigned long)(*base + i * pageSize));
    }
#endif
    mspan *s = fixalloc_alloc(&h->spanalloc);
    uint64_t *bits = s ? mheap_bitsAlloc(h, words) : NULL;
    if (bits == NULL) {
        if (s != NULL)
            fixalloc_free(&h->spanalloc, s);
        pageAlloc_free(&h->pages, *base, npages);
        runtime_seterr(rt, "the OS refused memory for span metadata");
        return NULL;
    }
    mspan_init(s, *base, npages);
    s->allocBits = bits;
    s->gcmarkBits = bits + words;
    s->gcscanBits = bits + 2 * words;
    s->checkmarkBits = bits + 3 * words;
    atomic_add_relaxed_u64(&h->pagesInUse, npages);
    atomic_sub_relaxed_u64(&h->heapReleased, *scav);
    return s;
}

/* Set class-dependent fields (Go: initSpan). */
static void mheap_initSpan(hs_runtime *rt, mspan *s, spanClass spc, bool needzero)
{
    int cls = spanClass_sizeclass(spc);
    s->spanclass = spc;
    s->needzero = needzero;
    if (cls == 0) {
        s->elemsize = s->npages * pageSize;
        s->nelems = 1;
        s->divMul = 0;
    } else {
        s->elemsize = class_to_size[cls];
        s->nelems = spanClass_nelems(spc, rt->cfg.gcmode);
        s->divMul = class_to_divmagic[cls];
    }
    atomic_store_relaxed_uptr(&s->limit, s->startAddr + s->elemsize * s->nelems);
    s->inlineMarks = rt->cfg.gcmode == HS_GC_GREENTEA && cls != 0 &&
                     gcUsesSpanInlineMarkBits(s->elemsize);
    if (s->inlineMarks) {
        hs_assert(s->npages == 1);
        imb_init(spanInlineMarkBitsFromBase(s->startAddr), spc, needzero);
    }
    s->heapBits = mspan_findHeapBits(s, rt->cfg.gcmode);
    s->freeindex = 0;
    s->allocCache = ~(uint64_t)0;
    s->sweepgen = atomic_load_u32(&rt->heap.sweepgen);
    s->allocTime = nanotime(&rt->sys);
}

/* Make the span findable from its pages, then mark it in use (Go: allocSpan's
 * publication). */
static void mheap_publish(mheap *h, mspan *s)
{
    for (uintptr_t i = 0; i < s->npages; i++) {
        uintptr_t p = s->startAddr + i * pageSize;
        heapArena *ha = mheap_arenaOf(h, p);
        atomic_store_rel_ptr((void **)&ha->spans[(p / pageSize) % pagesPerArena], s);
    }
    atomic_store_u8(&s->state, mSpanInUse);
    heapArena *ha = mheap_arenaOf(h, s->startAddr);
    uintptr_t pi = (s->startAddr / pageSize) % pagesPerArena;
    if (s->inlineMarks) /* after imb_init: a marker reads the class from the block */
        atomic_or_u8(&ha->pageUseSpanInlineMarkBits[pi / 8], (uint8_t)(1u << (pi % 8)));
    atomic_or_u8(&ha->pageInUse[pi / 8], (uint8_t)(1u << (pi % 8)));
}

/* The heap just grew: scavenge what the growth would put over the
 * scavenger's goal, the free memory least likely to be reused (Go: allocSpan). */
static void mheap_scavengeGrowth(hs_runtime *rt, uint64_t growth)
{
    uint64_t retained = heapRetained(rt);
    uint64_t goal = atomic_load_u64(&rt->scav.goal);
    if (retained + growth <= goal)
        return;
    uint64_t overage = retained + growth - goal;
    scavenge(rt, growth < overage ? growth : overage);
}

mspan *mheap_alloc(hs_runtime *rt, uintptr_t npages, spanClass spc)
{
    mheap *h = &rt->heap;
    int cls = spanClass_sizeclass(spc);
    int words = cls == 0 ? 1 : (spanClass_nelems(spc, rt->cfg.gcmode) + 63) / 64;
    uintptr_t base;
    uint64_t scav = 0;
    pthread_mutex_lock(&h->lock);
    uint64_t sys0 = atomic_load_relaxed_u64(&h->heapSys);
    mspan *s = mheap_allocLocked(rt, h, npages, words, &base, &scav);
    uint64_t growth = atomic_load_relaxed_u64(&h->heapSys) - sys0;
    pthread_mutex_unlock(&h->lock);
    if (s == NULL)
        return NULL;
    if (growth > 0)
        mheap_scavengeGrowth(rt, growth);
    bool dirty = mheap_allocNeedsZero(h, base, npages);
    /* Scavenged pages come back zero from the OS. */
    mheap_initSpan(rt, s, spc, dirty && scav != npages * pageSize);
    mheap_publish(h, s);
    return s;
}

void mheap_freeSpan(hs_runtime *rt, mspan *s)
{
    mheap *h = &rt->heap;
    if (atomic_load_u8(&s->state) != mSpanInUse || s->list != NULL)
        hs_throw("mheap: freeing span %#lx that is %s", (unsigned long)s->startAddr,
                 s->list != NULL ? "still on a span list" : "not in use");
    heapArena *ha = mheap_arenaOf(h, s->startAddr);
    uintptr_t pi = (s->startAddr / pageSize) % pagesPerArena;
    atomic_and_u8(&ha->pageInUse[pi / 8], (uint8_t) ~(1u << (pi % 8)));
    atomic_and_u8(&ha->pageMarks[pi / 8], (uint8_t) ~(1u << (pi % 8)));
    if (s->inlineMarks)
        atomic_and_u8(&ha->pageUseSpanInlineMarkBits[pi / 8], (uint8_t) ~(1u << (pi % 8)));
    atomic_store_u8(&s->state, mSpanDead);
    int words = spanClass_sizeclass(s->spanclass) == 0 ? 1 : mspan_bitWords(s);
    pthread_mutex_lock(&h->lock);
    pageAlloc_free(&h->pages, s->startAddr, s->npages);
    atomic_sub_relaxed_u64(&h->pagesInUse, s->npages);
    /* Sweeping swaps the two halves of the block: free from its start. */
    mheap_bitsFree(h, s->allocBits < s->gcmarkBits ? s->allocBits : s->gcmarkBits, words);
    s->allocBits = s->gcmarkBits = s->gcscanBits = s->checkmarkBits = NULL;
    fixalloc_free(&h->spanalloc, s);
    pthread_mutex_unlock(&h->lock);
}

bool mheap_forEachSpan(mheap *h, bool (*fn)(mspan *s, void *ctx), void *ctx)
{
    for (size_t a = 0; a < h->nallArenas; a++) {
        heapArena *ha = mheap_arenaOf(h, h->allArenas[a]);
        for (uintptr_t pi = 0; pi < pagesPerArena; pi++)
            if (((ha->pageInUse[pi / 8] >> (pi % 8)) & 1) && !fn(ha->spans[pi], ctx))
                return false;
    }
    return true;
}

/* Check one arena: every in-use span starting in it is valid and owns all its
 * pages in spans[] and in the page allocator.  Adds its pages to *pages. */
static bool mheap_arena_is_valid(mheap *h, uintptr_t base, uint64_t *pages)
{
    heapArena *ha = mheap_arenaOf(h, base);
    for (uintptr_t pi = 0; pi < pagesPerArena; pi++) {
        if (!((ha->pageInUse[pi / 8] >> (pi % 8)) & 1))
            continue;
        mspan *s = ha->spans[pi];
        if (s == NULL || s->startAddr != base + pi * pageSize || !mspan_is_valid(s)) {
            fprintf(stderr, "mheap: bad span at page %#lx\n", (unsigned long)(base + pi * pageSize));
            return false;
        }
        for (uintptr_t i = 0; i < s->npages; i++) {
            uintptr_t p = s->startAddr + i * pageSize;
            if (spanOf(h, p) != s || !pageAlloc_allocated(&h->pages, p))
                return false;
        }
        *pages += s->npages;
    }
    return true;
}

bool mheap_is_valid(hs_runtime *rt)
{
    mheap *h = &rt->heap;
    pthread_mutex_lock(&h->lock);
    bool ok = pageAlloc_is_valid(&h->pages);
    uint64_t pages = 0;
    for (size_t i = 0; ok && i < h->nallArenas; i++)
        ok = mheap_arena_is_valid(h, h->allArenas[i], &pages);
    if (ok && pages != atomic_load_u64(&h->pagesInUse)) {
        fprintf(stderr, "mheap: %llu pages in spans, pagesInUse says %llu\n",
                (unsigned long long)pages, (unsigned long long)h->pagesInUse);
        ok = false;
    }
    pthread_mutex_unlock(&h->lock);
    return ok;
}
