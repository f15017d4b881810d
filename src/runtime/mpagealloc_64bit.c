/*
 * mpagealloc_64bit.c — the page allocator's geometry and metadata mappings for
 * 48-bit addresses (Go: mpagealloc_64bit.go, its sysInit and sysGrow).
 *
 * What it owns.  The three constant tables that describe the radix tree's
 * levels, and the reservation and release of the metadata: the five summary
 * levels (one array each over the whole address space, 585 MiB of address
 * space in all), the L1 array of chunk bitmaps, and the grown bitmap (one bit
 * per chunk, 8 MiB).  All are reserved lazily-committed and zeroed, so they
 * cost only the pages written; a zero summary reads "no free pages".
 *
 * The algorithm.
 *   1. init reserves every summary level, the chunks L1 array and the grown
 *      bitmap, and on any failure releases what it got (one `fail` path).
 *   2. sysGrow maps the 1 MiB L2 array of chunk bitmaps that a new chunk
 *      falls in, the first time the heap grows into it, and refuses a chunk
 *      that is already in the heap, all before grow changes anything.
 *   3. destroy releases everything, including every mapped L2 array.
 *
 * Invariants.  The level tables are immutable; levelShift[l] and
 * levelLogPages[l] differ by pallocPageShift; the tree covers the 48-bit space
 * exactly (checked at compile time below).
 *
 * Locking.  init and destroy run before and after the heap is shared; sysGrow
 * runs under the owning mheap's lock, from pageAlloc_grow.
 */
#include "runtime/mpagealloc_internal.h"

#include <string.h>

#include "runtime/mem.h"

enum { metaAlign = 4096 }; /* the OS page: alignment of every metadata mapping */

const unsigned levelBits[summaryLevels] = {summaryL0Bits, 3, 3, 3, 3};
const unsigned levelShift[summaryLevels] = {logPallocChunkBytes + 12, logPallocChunkBytes + 9,
                                            logPallocChunkBytes + 6, logPallocChunkBytes + 3,
                                            logPallocChunkBytes}; /* 34 (16 GiB) ... 22 (4 MiB) */
const unsigned levelLogPages[summaryLevels] = {logPallocChunkPages + 12, logPallocChunkPages + 9,
                                               logPallocChunkPages + 6, logPallocChunkPages + 3,
                                               logPallocChunkPages}; /* 21 ... 9 */

_Static_assert(summaryLevelBits == 3, "levelBits assumes a fan-out of 8");
_Static_assert(summaryL0Bits + 4 * summaryLevelBits + logPallocChunkBytes == heapAddrBits,
               "the tree must cover the address space exactly");
_Static_assert(logPallocChunkPages + 4 * summaryLevelBits == logMaxPackedValue,
               "a root entry's page count must fit a summary field");
_Static_assert((1 << logMaxPackedValue) == maxPackedValue, "maxPackedValue");
_Static_assert(sizeof(pallocSum) == pallocSumBytes, "pallocSumBytes");

/* ---- init and destroy --------------------------------------------------------- */

enum { chunksL1Bytes = sizeof(pallocData *) << pallocChunksL1Bits };
#define chunksL2Bytes (sizeof(pallocData) << pallocChunksL2Bits)
#define grownBytes (chunkCount / 8)

int pageAlloc_init(pageAlloc *p, const hs_sysops *sys)
{
    memset(p, 0, sizeof(*p));
    p->sys = sys;
    p->searchAddr = maxSearchAddr;
    p->scavSearchAddr = UINTPTR_MAX;
    for (int l = 0; l < summaryLevels; l++) {
        p->summary[l] = sysReserveAligned(sys, 0, levelEntries(l) * pallocSumBytes, metaAlign);
        if (p->summary[l] == NULL)
            goto fail;
    }
    p->chunks = sysReserveAligned(sys, 0, chunksL1Bytes, metaAlign);
    p->grown = sysReserveAligned(sys, 0, grownBytes, metaAlign);
    if (p->chunks == NULL || p->grown == NULL)
        goto fail;
    return 0;
fail:
    pageAlloc_destroy(p);
    return -1;
}

void pageAlloc_destroy(pageAlloc *p)
{
    for (int l = 0; l < summaryLevels; l++) {
        if (p->summary[l] != NULL)
            sysFree(p->sys, p->summary[l], levelEntries(l) * pallocSumBytes);
    }
    for (size_t i = 0; p->chunks != NULL && i < ((size_t)1 << pallocChunksL1Bits); i++) {
        if (p->chunks[i] != NULL)
            sysFree(p->sys, p->chunks[i], chunksL2Bytes);
    }
    if (p->chunks != NULL)
        sysFree(p->sys, p->chunks, chunksL1Bytes);
    if (p->grown != NULL)
        sysFree(p->sys, p->grown, grownBytes);
    const hs_sysops *sys = p->sys;
    memset(p, 0, sizeof(*p));
    p->sys = sys;
}

/* ---- grow: the mappings a new range needs ---------------------------------------- */

/* Map the L2 array holding chunk ci and check the chunk is new to the heap. */
static void growPrepareChunk(pageAlloc *p, chunkIdx ci)
{
    pallocData **l2 = &p->chunks[ci >> pallocChunksL2Bits];
    if (*l2 == NULL)
        *l2 = sysReserveAligned(p->sys, 0, chunksL2Bytes, metaAlign);
    if (*l2 == NULL)
        pallocThrow("grow: out of memory for chunk bitmaps");
    if (chunkGrown(p, ci))
        pallocThrow("grow: chunk at %#lx grown twice", (unsigned long)chunkBase(ci));
}

void pageAlloc_sysGrow(pageAlloc *p, chunkIdx sc, chunkIdx ec)
{
    for (chunkIdx c = sc; c < ec; c++)
        growPrepareChunk(p, c);
}
