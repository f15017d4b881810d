/*
 * mspan.c — a span: a run of pages holding objects of one size class, or one
 * large object (Go: mheap.go mspan, mbitmap.go allocBits/allocCache).
 *
 * Layout of a small span of nbytes = npages * 8 KiB:
 *
 *   [obj 0][obj 1] ... [obj nelems-1][tail waste][heap bits?][inline marks?]
 *
 *   - heap bits (128 B per page, one bit per word) hold the objects' pointer
 *     maps when the class is scannable and objects are <= 512 B; larger
 *     scannable objects carry an 8-byte type header instead (Go 1.22+).
 *   - inline marks (128 B) exist only in Green Tea mode, for 16..512 B
 *     objects, scannable or not (Go 1.26 mgcmark_greenteagc.go).
 *   So nelems = (nbytes - reserved) / elemsize, e.g. 16 B: 512 noscan and 504
 *   scan (classic), 504 noscan and 496 scan (Green Tea).  spanInlineMarkBits
 *   (runtime2.h) describes the inline block; mspan.inlineMarks says the span
 *   has one, and mspan_isMarked / mspan_isBlack read whichever bits it keeps.
 *
 * Allocation state, owned by whoever caches or sweeps the span:
 *   - a slot i is allocated iff i < freeindex or allocBits[i] is set;
 *   - allocCache holds ~allocBits for the 64 slots from freeindex's word,
 *     shifted so bit 0 is slot freeindex: the next free slot is one
 *     count-trailing-zeros away;
 *   - allocCount == number of allocated slots <= nelems.
 */
#include <string.h>

#include "runtime/runtime2.h"

uint16_t spanClass_nelems(spanClass sc, hs_gcmode mode)
{
    int cls = spanClass_sizeclass(sc);
    if (cls == 0)
        return 1;
    size_t nbytes = (size_t)class_to_allocnpages[cls] * pageSize;
    size_t size = class_to_size[cls];
    size_t reserve = 0;
    if (mode == HS_GC_GREENTEA && gcUsesSpanInlineMarkBits(size))
        reserve += spanInlineMarkBitsSize;
    if (!spanClass_noscan(sc) && heapBitsInSpan(size))
        reserve += nbytes / 8 / 8;
    return (uint16_t)((nbytes - reserve) / size);
}

void mspan_init(mspan *s, uintptr_t base, uintptr_t npages)
{
    memset(s, 0, sizeof(*s));
    s->startAddr = base;
    s->npages = npages;
}

/* Load 64 allocation bits starting at word whichWord, complemented, so that
 * set bits mean free. */
void mspan_refillAllocCache(mspan *s, uint16_t whichWord)
{
    s->allocCache = ~s->allocBits[whichWord];
}

uint16_t mspan_nextFreeIndex(mspan *s)
{
    uint16_t sfreeindex = s->freeindex;
    uint16_t snelems = s->nelems;
    if (sfreeindex == snelems)
        return sfreeindex;
    hs_assert(sfreeindex < snelems);
    uint64_t aCache = s->allocCache;
    int bitIndex = aCache ? __builtin_ctzll(aCache) : 64;
    while (bitIndex == 64) {
        /* Nothing free in the cached window: move to the next word. */
        sfreeindex = (uint16_t)((sfreeindex + 64) & ~63u);
        if (sfreeindex >= snelems) {
            atomic_store_relaxed_u16(&s->freeindex, snelems);
            return snelems;
        }
        mspan_refillAllocCache(s, sfreeindex / 64);
        aCache = s->allocCache;
        bitIndex = aCache ? __builtin_ctzll(aCache) : 64;
    }
    uint16_t result = (uint16_t)(sfreeindex + bitIndex);
    if (result >= snelems) {
        atomic_store_relaxed_u16(&s->freeindex, snelems);
        return snelems;
    }
    s->allocCache >>= (unsigned)bitIndex;
    s->allocCache >>= 1; /* two shifts: bitIndex + 1 may be 64 */
    sfreeindex = (uint16_t)(result + 1);
    if (sfreeindex % 64 == 0 && sfreeindex != snelems)
        mspan_refillAllocCache(s, sfreeindex / 64);
    atomic_store_relaxed_u16(&s->freeindex, sfreeindex);
    return result;
}

bool mspan_isFree(const mspan *s, uintptr_t index)
{
    if (index < atomic_load_relaxed_u16(&s->freeindex))
        return false;
    return !bits_isset(s->allocBits, index);
}

uint16_t mspan_countAlloc(const mspan *s)
{
    int count = 0;
    int words = mspan_bitWords(s);
    for (int i = 0; i < words; i++) {
        uint64_t w = atomic_load_relaxed_u64(&s->gcmarkBits[i]);
        if (i == words - 1 && s->nelems % 64 != 0)
            w &= ((uint64_t)1 << (s->nelems % 64)) - 1;
        count += __builtin_popcountll(w);
    }
    return (uint16_t)count;
}

bool mspan_isMarked(const mspan *s, uintptr_t idx)
{
    uint64_t bit = (uint64_t)1 << (idx % 64);
    uint64_t m = atomic_load_relaxed_u64(&s->gcmarkBits[idx / 64]);
    if (s->inlineMarks)
        m |= atomic_load_relaxed_u64(&spanInlineMarkBitsFromBase(s->startAddr)->marks[idx / 64]);
    return (m & bit) != 0;
}

bool mspan_isBlack(const mspan *s, uintptr_t idx)
{
    uint64_t bit = (uint64_t)1 << (idx % 64);
    if (!s->inlineMarks) { /* pointer-free objects are black once marked */
        uint64_t sc = spanClass_noscan(s->spanclass) ? ~(uint64_t)0
                                                     : atomic_load_relaxed_u64(&s->gcscanBits[idx / 64]);
        return (atomic_load_relaxed_u64(&s->gcmarkBits[idx / 64]) & sc & bit) != 0;
    }
    /* gcmarkBits of a Green Tea span holds marks only once sweep has folded
     * them in, after mark: black then. */
    if (atomic_load_relaxed_u64(&s->gcmarkBits[idx / 64]) & bit)
        return true;
    const spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
    uint64_t m = atomic_load_relaxed_u64(&imb->marks[idx / 64]);
    if (spanClass_noscan(s->spanclass))
        return (m & bit) != 0;
    return (m & atomic_load_relaxed_u64(&imb->scans[idx / 64]) & bit) != 0;
}

uint64_t *mspan_findHeapBits(const mspan *s, hs_gcmode mode)
{
    if (spanClass_noscan(s->spanclass) || !heapBitsInSpan(s->elemsize) ||
        spanClass_sizeclass(s->spanclass) == 0)
        return NULL;
    uintptr_t nbytes = s->npages * pageSize;
    uintptr_t base = s->startAddr + nbytes - nbytes / 8 / 8;
    if (mode == HS_GC_GREENTEA && gcUsesSpanInlineMarkBits(s->elemsize))
        base -= spanInlineMarkBitsSize;
    return (uint64_t *)base;
}

/* Count the slots the allocation state says are taken. */
static uint16_t mspan_countAllocated(const mspan *s)
{
    uint16_t n = s->freeindex;
    for (uintptr_t i = s->freeindex; i < s->nelems; i++)
        n += bits_isset(s->allocBits, i);
    return n;
}

bool mspan_is_valid(const mspan *s)
{
    if (s->state != mSpanInUse || s->npages == 0 || s->startAddr % pageSize != 0)
        return false;
    if (s->nelems == 0 || s->freeindex > s->nelems || s->allocCount > s->nelems)
        return false;
    if (s->limit > s->startAddr + s->npages * pageSize || s->limit <= s->startAddr)
        return false;
    /* Small spans end their objects exactly at limit; a large span's limit is
     * the end of its one object, which may stop short of elemsize. */
    bool small = spanClass_sizeclass(s->spanclass) != 0;
    if (small && s->startAddr + (uintptr_t)s->nelems * s->elemsize != s->limit)
        return false;
    return mspan_countAllocated(s) == s->allocCount;
}

void mSpanList_push(mSpanList *l, mspan *s)
{
    hs_assert(s->list == NULL);
    s->next = NULL;
    s->prev = l->last;
    if (l->last != NULL)
        l->last->next = s;
    else
        l->first = s;
    l->last = s;
    s->list = l;
    atomic_store_relaxed_u32(&l->n, l->n + 1); /* read without the lock by sweepers */
}

void mSpanList_remove(mSpanList *l, mspan *s)
{
    hs_assert(s->list == l);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        l->first = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        l->last = s->prev;
    s->next = s->prev = NULL;
    s->list = NULL;
    atomic_store_relaxed_u32(&l->n, l->n - 1);
}

mspan *mSpanList_pop(mSpanList *l)
{
    mspan *s = l->first;
    if (s != NULL)
        mSpanList_remove(l, s);
    return s;
}
