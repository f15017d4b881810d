/*
 * mpagealloc.h — the page allocator (Go: mpagealloc.go, mpallocbits.go,
 * mpagealloc_64bit.go).  See mpagealloc.c for the design essay; the
 * allocator's own files share mpagealloc_internal.h besides.
 *
 * Every function requires the caller to hold the owning mheap's lock; the page
 * allocator has no lock of its own.  Addresses are heap addresses (page-aligned);
 * npages counts 8 KiB pages.
 */
#ifndef HS_RUNTIME_MPAGEALLOC_H
#define HS_RUNTIME_MPAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/runtime.h"

enum {
    pallocChunkPages = 512, /* pages per chunk */
    logPallocChunkPages = 9,
    pallocChunkBytes = 512 * 8192, /* 4 MiB */
    logPallocChunkBytes = 22,
    summaryLevels = 5,
    summaryLevelBits = 3, /* fan-out 8 between levels */
    summaryL0Bits = 14,   /* 48-bit addresses */
    heapAddrBits = 48,
    pallocSumBytes = 8,
    maxPackedValue = 1 << 21, /* a summary field counts up to 2^21 pages */
};

/* A chunk's two bitmaps: a page is allocated (or not), and, when free, it is
 * scavenged (its memory returned to the OS) or not. */
typedef struct pallocData {
    uint64_t pallocBits[pallocChunkPages / 64];
    uint64_t scavenged[pallocChunkPages / 64];
} pallocData;

/* pallocSum packs (start, max, end): the free pages at the start of a region,
 * the longest free run in it, the free pages at its end. */
typedef uint64_t pallocSum;
pallocSum packPallocSum(unsigned start, unsigned max, unsigned end);
unsigned pallocSum_start(pallocSum s);
unsigned pallocSum_max(pallocSum s);
unsigned pallocSum_end(pallocSum s);

typedef struct pageAlloc {
    /* summary[l] is a sparse array over the whole 48-bit address space, reserved
     * lazily-committed; an entry never grown into is zero = "no free pages". */
    pallocSum *summary[summaryLevels];
    /* chunks[l1][l2]: two-level sparse array of chunk bitmaps, allocated on grow. */
    pallocData **chunks;
    /* One bit per chunk of the 48-bit space: set once the chunk has been grown
     * into.  Reserved lazily-committed like the summaries (8 MiB of address
     * space).  Chunk storage shares an L2 array with neighbours that may not
     * belong to the heap; this bit is what says which ones do. */
    uint64_t *grown;
    uintptr_t searchAddr; /* no free page below this address */
    /* the scavenger looks at this address and below; UINTPTR_MAX (after init
     * and reset) means "from the top of the heap" */
    uintptr_t scavSearchAddr;
    uintptr_t start, end;    /* chunk indices ever grown: [start, end) */
    uint64_t inUse;          /* bytes of address space grown into */
    uint64_t freePages;      /* free pages (scavenged or not) */
    uint64_t scavengedPages; /* free and scavenged pages */
    const hs_sysops *sys;
} pageAlloc;

/* 0 on success, -1 if metadata space could not be reserved. */
int pageAlloc_init(pageAlloc *p, const hs_sysops *sys);
void pageAlloc_destroy(pageAlloc *p);

/* Add [base, base+size) to the allocator.  base and size are multiples of
 * pallocChunkBytes.  New pages are free and scavenged (never touched). */
void pageAlloc_grow(pageAlloc *p, uintptr_t base, size_t size);

/* Allocate npages contiguous pages at the lowest address that fits.  Returns 0
 * if nothing fits.  *scav receives the bytes of the run that were scavenged
 * (they are no longer). */
uintptr_t pageAlloc_alloc(pageAlloc *p, size_t npages, uint64_t *scav);

/* Free npages pages at base; they become free and unscavenged. */
void pageAlloc_free(pageAlloc *p, uintptr_t base, size_t npages);

/* For the scavenger: find the highest-addressed run of free, unscavenged pages
 * (within one chunk, at most maxpages, never above scavSearchAddr), mark it
 * allocated so nobody takes it while the lock is dropped, and return its
 * length (0 when none is left; the search address then resets to the top).
 * Afterwards call pageAlloc_scavengeDone. */
size_t pageAlloc_scavengeFind(pageAlloc *p, size_t maxpages, uintptr_t *base);
/* Free [base, base+npages) again, now marked scavenged. */
void pageAlloc_scavengeDone(pageAlloc *p, uintptr_t base, size_t npages);
/* Reset the scavenger's search to the top of the heap. */
void pageAlloc_scavengeReset(pageAlloc *p);

/* Page state for readers: is the page at addr allocated; if free, scavenged? */
bool pageAlloc_allocated(const pageAlloc *p, uintptr_t addr);
bool pageAlloc_scavenged(const pageAlloc *p, uintptr_t addr);

/* Full validation: every summary at every level equals the one recomputed from
 * the bitmaps below it; scavenged pages are free; counters match.  Expensive. */
bool pageAlloc_is_valid(const pageAlloc *p);

#endif
