/*
 * mpagealloc_internal.h — what the page allocator's own files share:
 * mpagealloc.c (summaries, find, grow, free, the scavenger's walk),
 * mpallocbits.c (one chunk's bitmaps), mpagealloc_64bit.c (the level geometry
 * and the metadata mappings) and mpagealloc_check.c (the validator).  The rest
 * of the runtime sees only mpagealloc.h.
 *
 * Every function here, like every one in mpagealloc.h, runs with the owning
 * mheap's lock held; none of them keeps state outside the pageAlloc it is given.
 */
#ifndef HS_RUNTIME_MPAGEALLOC_INTERNAL_H
#define HS_RUNTIME_MPAGEALLOC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/mpagealloc.h"
#include "runtime/runtime2.h"

enum {
    pallocPageShift = logPallocChunkBytes - logPallocChunkPages, /* 13 */
    pallocChunkWords = pallocChunkPages / 64,
    pallocChunksL2Bits = 13,
    pallocChunksL1Bits = heapAddrBits - logPallocChunkBytes - pallocChunksL2Bits,
    logMaxPackedValue = 21,
};

#define pageBytes ((uintptr_t)1 << pallocPageShift)
#define chunkCount ((uintptr_t)1 << (heapAddrBits - logPallocChunkBytes))
#define heapAddrLimit ((uintptr_t)1 << heapAddrBits)
/* searchAddr when nothing is known to be free (Go's maxSearchAddr). */
#define maxSearchAddr (heapAddrLimit - 1)
/* "Not found" from the bitmap searches. */
#define noIndex (~0u)

typedef uintptr_t chunkIdx;

/* A broken invariant of the page allocator is fatal, as everywhere in the runtime. */
#define pallocThrow(...) hs_throw("pageAlloc: " __VA_ARGS__)

/* Level geometry (mpagealloc_64bit.c): bits of index added at each level, the
 * address shift of one entry, and log2 of the pages one entry covers.
 * Immutable. */
extern const unsigned levelBits[summaryLevels];
extern const unsigned levelShift[summaryLevels];
extern const unsigned levelLogPages[summaryLevels];

/* ---- small helpers ----------------------------------------------------------- */

/* The builtins are undefined on 0; a word with no bit set has 64 of them. */
static inline unsigned ctz64(uint64_t x)
{
    return x == 0 ? 64 : (unsigned)__builtin_ctzll(x);
}

static inline unsigned clz64(uint64_t x)
{
    return x == 0 ? 64 : (unsigned)__builtin_clzll(x);
}

static inline unsigned umax(unsigned a, unsigned b)
{
    return a > b ? a : b;
}

static inline chunkIdx chunkIndex(uintptr_t addr)
{
    return addr >> logPallocChunkBytes;
}

static inline uintptr_t chunkBase(chunkIdx ci)
{
    return ci << logPallocChunkBytes;
}

static inline unsigned chunkPageIndex(uintptr_t addr)
{
    return (unsigned)((addr & ((uintptr_t)pallocChunkBytes - 1)) >> pallocPageShift);
}

static inline uintptr_t levelIndexToAddr(int l, uintptr_t i)
{
    return i << levelShift[l];
}

static inline size_t levelEntries(int l)
{
    return (size_t)1 << (heapAddrBits - levelShift[l]);
}

/* Chunk storage, or NULL when its L2 array was never mapped. */
static inline pallocData *chunkOf(const pageAlloc *p, chunkIdx ci)
{
    pallocData *l2 = p->chunks[ci >> pallocChunksL2Bits];
    return l2 == NULL ? NULL : &l2[ci & (((chunkIdx)1 << pallocChunksL2Bits) - 1)];
}

static inline bool chunkGrown(const pageAlloc *p, chunkIdx ci)
{
    return ci < chunkCount && ((p->grown[ci / 64] >> (ci % 64)) & 1) != 0;
}

/* Storage of a chunk the caller claims is in the heap; a claim about memory the
 * heap does not own is a bug in the caller. */
static inline pallocData *grownChunkOf(const pageAlloc *p, chunkIdx ci, const char *op)
{
    if (!chunkGrown(p, ci))
        pallocThrow("%s: address %#lx is not in the heap", op, (unsigned long)chunkBase(ci));
    return chunkOf(p, ci);
}

static inline pallocSum *leafSummary(const pageAlloc *p, chunkIdx ci)
{
    return &p->summary[summaryLevels - 1][ci];
}

/* ---- summaries (mpagealloc.c) ------------------------------------------------- */

/* The summary of a wholly free chunk. */
pallocSum freeChunkSum(void);
/* Summary of 8 consecutive entries that each cover 2^logPages pages. */
pallocSum mergeSummaries(const pallocSum *sums, unsigned logPages);
/* Go's update(base, npages, contig=true, alloc): the radix tree follows the
 * bitmaps of [base, base+npages) after they changed. */
void pageAlloc_update(pageAlloc *p, uintptr_t base, size_t npages, bool alloc);

/* ---- one chunk's bitmaps (mpallocbits.c) -------------------------------------- */

/* bits is a chunk's 8 words, bit i = page i; a range [i, i+n) has n >= 1 and
 * lies within the chunk. */
void bitsSetRange(uint64_t *bits, unsigned i, unsigned n);
void bitsClearRange(uint64_t *bits, unsigned i, unsigned n);
unsigned bitsCountRange(const uint64_t *bits, unsigned i, unsigned n);
/* The (start, max, end) summary of a chunk's allocation bits. */
pallocSum summarizeBits(const uint64_t *bits);
/* First index at or after searchIdx's word where npages free pages start, or
 * noIndex; *firstFree receives the first free page met (noIndex if none). */
unsigned pallocBitsFind(const uint64_t *bits, size_t npages, unsigned searchIdx,
                        unsigned *firstFree);
/* The highest run of free, unscavenged pages in a chunk ending at or below
 * page `from`, cut to its top max pages; returns its length, *start its first
 * page. */
unsigned findScavengeCandidate(const pallocData *c, unsigned from, size_t max, unsigned *start);

/* ---- metadata mappings (mpagealloc_64bit.c) ----------------------------------- */

/* Map the L2 arrays holding chunks [sc, ec) and check none of them is in the
 * heap yet; throws when either fails, before the heap changes. */
void pageAlloc_sysGrow(pageAlloc *p, chunkIdx sc, chunkIdx ec);

#endif
