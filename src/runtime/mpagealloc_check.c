/*
 * mpagealloc_check.c — pageAlloc_is_valid, the page allocator's full validator
 * (mimalloc's _mi_page_is_valid habit; Go checks the same in its tests).
 *
 * What it checks.  Every invariant listed in mpagealloc.c: scavenged ⊆ free
 * in every grown chunk; each leaf summary equals the one recomputed from its
 * bitmap and is zero for chunks never grown; each parent equals the merge of
 * its 8 children, and no root entry outside the heap claims free pages; no free
 * page lies below searchAddr; freePages, scavengedPages and inUse match the
 * bitmaps; the chunk bounds end on grown chunks.
 *
 * It walks every chunk ever grown and the whole root level: expensive, so it
 * runs from tests and behind the debug checks, never on a hot path.  It prints
 * the first few problems to stderr and returns false rather than throwing, so a
 * test can report them.
 *
 * Locking.  The caller holds the owning mheap's lock (or owns the pageAlloc
 * alone, as the tests do); the validator only reads.
 */
#include "runtime/mpagealloc.h"

#include <stdarg.h>
#include <stdio.h>

#include "runtime/mpagealloc_internal.h"

enum { maxComplaints = 20 }; /* problems printed before the count alone */

typedef struct validator {
    int errors;
} validator;

__attribute__((format(printf, 2, 3))) static void complain(validator *v, const char *fmt, ...)
{
    if (v->errors++ >= maxComplaints)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("pageAlloc_is_valid: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void complainSum(validator *v, int l, uintptr_t i, pallocSum have, pallocSum want)
{
    complain(v, "summary[%d][%lu] = (%u, %u, %u), bitmaps say (%u, %u, %u)", l, (unsigned long)i,
             pallocSum_start(have), pallocSum_max(have), pallocSum_end(have), pallocSum_start(want),
             pallocSum_max(want), pallocSum_end(want));
}

typedef struct pageTotals {
    uint64_t chunks, freePages, scavengedPages;
} pageTotals;

/* One grown chunk: its counts, scavenged ⊆ free, and its leaf summary. */
static void checkChunk(const pageAlloc *p, chunkIdx ci, pageTotals *t, validator *v)
{
    const pallocData *c = chunkOf(p, ci);
    for (unsigned w = 0; w < pallocChunkWords; w++) {
        if (c->pallocBits[w] & c->scavenged[w])
            complain(v, "chunk %#lx word %u: allocated pages marked scavenged",
                     (unsigned long)chunkBase(ci), w);
        t->freePages += 64 - (unsigned)__builtin_popcountll(c->pallocBits[w]);
        t->scavengedPages += (unsigned)__builtin_popcountll(c->scavenged[w]);
    }
    pallocSum want = summarizeBits(c->pallocBits);
    if (*leafSummary(p, ci) != want)
        complainSum(v, summaryLevels - 1, ci, *leafSummary(p, ci), want);
    t->chunks++;
}

static void checkChunks(const pageAlloc *p, validator *v)
{
    pageTotals t = {0, 0, 0};
    for (chunkIdx ci = p->start; ci < p->end; ci++) {
        if (chunkGrown(p, ci))
            checkChunk(p, ci, &t, v);
        else if (*leafSummary(p, ci) != 0)
            complainSum(v, summaryLevels - 1, ci, *leafSummary(p, ci), 0);
    }
    if (t.chunks * pallocChunkBytes != p->inUse)
        complain(v, "inUse = %lu bytes, grown chunks make %lu", (unsigned long)p->inUse,
                 (unsigned long)(t.chunks * pallocChunkBytes));
    if (t.freePages != p->freePages)
        complain(v, "freePages = %lu, bitmaps say %lu", (unsigned long)p->freePages,
                 (unsigned long)t.freePages);
    if (t.scavengedPages != p->scavengedPages)
        complain(v, "scavengedPages = %lu, bitmaps say %lu", (unsigned long)p->scavengedPages,
                 (unsigned long)t.scavengedPages);
}

/* Every parent over [start, end) is the merge of its children; the root level
 * is checked whole, so nothing outside the heap claims free pages. */
static void checkLevels(const pageAlloc *p, validator *v)
{
    uintptr_t base = chunkBase(p->start), limit = chunkBase(p->end);
    for (int l = summaryLevels - 2; l >= 0 && p->end > p->start; l--) {
        uintptr_t lo = base >> levelShift[l], hi = ((limit - 1) >> levelShift[l]) + 1;
        for (uintptr_t i = lo; i < hi; i++) {
            const pallocSum *kids = &p->summary[l + 1][i << levelBits[l + 1]];
            pallocSum want = mergeSummaries(kids, levelLogPages[l + 1]);
            if (p->summary[l][i] != want)
                complainSum(v, l, i, p->summary[l][i], want);
        }
    }
    for (uintptr_t i = 0; i < levelEntries(0); i++) {
        bool inHeap = p->end > p->start && i >= (base >> levelShift[0]) &&
                      i <= ((limit - 1) >> levelShift[0]);
        if (!inHeap && p->summary[0][i] != 0)
            complainSum(v, 0, i, p->summary[0][i], 0);
    }
}

/* No free page below searchAddr. */
static void checkSearchAddr(const pageAlloc *p, validator *v)
{
    chunkIdx sc = chunkIndex(p->searchAddr);
    for (chunkIdx ci = p->start; ci < p->end && ci <= sc; ci++) {
        if (!chunkGrown(p, ci))
            continue;
        unsigned below = ci < sc ? pallocChunkPages : chunkPageIndex(p->searchAddr);
        if (below > 0 && bitsCountRange(chunkOf(p, ci)->pallocBits, 0, below) != below)
            complain(v, "free page below searchAddr %#lx in chunk %#lx",
                     (unsigned long)p->searchAddr, (unsigned long)chunkBase(ci));
    }
}

static void checkBounds(const pageAlloc *p, validator *v)
{
    if (p->inUse == 0)
        return;
    if (p->start >= p->end || !chunkGrown(p, p->start) || !chunkGrown(p, p->end - 1))
        complain(v, "chunk bounds [%lu, %lu) do not end on grown chunks", (unsigned long)p->start,
                 (unsigned long)p->end);
}

bool pageAlloc_is_valid(const pageAlloc *p)
{
    validator v = {0};
    checkBounds(p, &v);
    checkChunks(p, &v);
    checkLevels(p, &v);
    checkSearchAddr(p, &v);
    if (v.errors > maxComplaints)
        fprintf(stderr, "pageAlloc_is_valid: ... %d problems in all\n", v.errors);
    return v.errors == 0;
}
