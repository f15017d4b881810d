/*
 * mpagealloc.c — the page allocator: which 8 KiB pages of the heap's address
 * space are free, and which free pages have been given back to the OS.
 * (Go: mpagealloc.go; the scavenger's walk mirrors mgcscavenge.go of Go
 * 1.14–1.18.)
 *
 * The files.  This one holds the summaries, the radix-tree search, grow,
 * free and the scavenger's walk over the chunks.  One chunk's bitmaps are
 * searched and summarized in mpallocbits.c; the level geometry and the
 * metadata mappings are in mpagealloc_64bit.c; pageAlloc_is_valid is in
 * mpagealloc_check.c; mpagealloc_internal.h is what they share.
 *
 * What it owns.  Metadata only.  The page allocator never reads or writes the
 * heap memory it hands out; mheap asks it for runs of pages and gives them back,
 * and the scavenger asks it for free pages that still hold memory.  That is why
 * its tests can use made-up addresses.
 *
 * The data.
 *   - The address space is cut into chunks of 512 pages (4 MiB).  Each chunk
 *     has two 512-bit bitmaps (pallocData): pallocBits (1 = allocated) and
 *     scavenged (1 = free and its memory returned to the OS).  The chunk
 *     bitmaps live in a two-level sparse array, chunks[ci >> 13][ci & 8191],
 *     whose 1 MiB L2 arrays are mapped the first time the heap grows into them.
 *   - grown has one bit per chunk: which chunks belong to the heap at all.
 *   - A radix tree of summaries sits above the bitmaps.  Level 4 has one
 *     summary per chunk; each level above has one summary per 8 below it, so an
 *     entry of level 3, 2, 1, 0 covers 32 MiB, 256 MiB, 2 GiB, 16 GiB, and level
 *     0 has 2^14 entries for 48-bit addresses.  A summary packs three counts of
 *     free pages in 21 bits each: the run at the start of its region, the
 *     longest run anywhere in it, and the run at its end.  2^21 does not fit in
 *     21 bits; it only arises for a wholly free 16 GiB root entry, which is
 *     encoded as bit 63 alone.  Each level is one array over the whole address
 *     space (585 MiB of address space in all), reserved lazily-committed and
 *     zeroed, so it costs only the pages written.  A zero summary reads "no free
 *     pages": space never grown into looks full and every search skips it.
 *
 * The algorithm.
 *   1. grow(base, size): map any missing L2 arrays, mark the chunks grown, free
 *      and scavenged (fresh address space has never been touched), then update.
 *   2. alloc(npages): if the chunk holding searchAddr alone can satisfy the
 *      request (its leaf summary's max says so), search its bitmap from
 *      searchAddr.  Otherwise descend the tree: at level 0 scan the entries from
 *      searchAddr's; a run may be made of the end of one entry, whole free
 *      entries and the start of another, in which case its address is known
 *      and the search stops; otherwise descend into the first entry whose max
 *      fits and scan its 8 children the same way, down to a chunk, where the
 *      bitmap is searched a 64-bit word at a time.  The result is the
 *      lowest-addressed fit.  Then set the bits, count and clear the scavenged
 *      bits of the run, update, and raise searchAddr to the first free page the
 *      search proved (the free window, as in Go's find).
 *   3. free(base, npages): clear the allocation bits (the pages hold memory, so
 *      they are not scavenged), lower searchAddr, update.  Free neighbours
 *      coalesce by themselves: a summary sees one run of zero bits.
 *   4. update(base, npages): recompute the leaf summary of the first and last
 *      chunk from the bitmap (whole chunks in between are wholly free or wholly
 *      allocated: a constant), then each level above from its 8 children, from
 *      the leaves up, stopping at the first level where nothing changed.
 *   5. The scavenger walks downwards from scavSearchAddr, chunk by chunk over
 *      the grown ones, and takes the highest run of free, unscavenged pages,
 *      capped at maxpages and within one chunk.  It marks the run allocated so
 *      that nobody allocates it while mheap.lock is dropped around madvise, and
 *      scavengeDone frees it again marked scavenged.  When nothing is left the
 *      search restarts from the top on the next call.
 *
 * Invariants (pageAlloc_is_valid checks them all):
 *   - scavenged ⊆ free: a page with its allocation bit set has no scavenged bit;
 *   - summary[4][ci] == summarize(chunk ci) for grown chunks, 0 for the others;
 *     summary[l][i] == merge(summary[l+1][8i .. 8i+7]) for l < 4;
 *   - no free page lies below searchAddr;
 *   - freePages == allocation bits clear over grown chunks, scavengedPages ==
 *     scavenged bits set, inUse == grown chunks * 4 MiB;
 *   - chunks start and end-1 are grown; address 0 is never in the heap (0 is
 *     alloc's failure value).
 *
 * Locking.  The caller holds the owning mheap's lock for every call; the page
 * allocator has no lock and no global mutable state, so several coexist.
 *
 * Differences from Go.  Go 1.19+ finds scavenging work through a separate
 * scavengeIndex and prefers whole huge pages; heapscope keeps the simpler
 * address-ordered walk of Go 1.14–1.18, which releases the same pages in the
 * same order (highest first).  The per-P page cache belongs to mheap, not here.
 */
#include "runtime/mpagealloc.h"

#include <stdarg.h>
#include <stdio.h>
#include "runtime/mpagealloc.h"

#include <stdio.h>
#include <string.h>

#include "runtime/mpagealloc_internal.h"

#define sumFieldMask ((uint64_t)maxPackedValue - 1)
#define sumAllFree ((uint64_t)1 << 63)

/* ---- summaries ---------------------------------------------------------------- */

pallocSum packPallocSum(unsigned start, unsigned max, unsigned end)
{
    if (start > maxPackedValue || max > maxPackedValue || end > maxPackedValue)
        pallocThrow("summary (%u, %u, %u) out of range", start, max, end);
    /* max == 2^21 means the entry is wholly free, so start and end are too. */
    if (max == maxPackedValue)
        return sumAllFree;
    return ((uint64_t)start & sumFieldMask) |
           (((uint64_t)max & sumFieldMask) << logMaxPackedValue) |
           (((uint64_t)end & sumFieldMask) << (2 * logMaxPackedValue));
}

unsigned pallocSum_start(pallocSum s)
{
    return (s & sumAllFree) ? maxPackedValue : (unsigned)(s & sumFieldMask);
}

unsigned pallocSum_max(pallocSum s)
{
    return (s & sumAllFree) ? maxPackedValue : (unsigned)((s >> logMaxPackedValue) & sumFieldMask);
}

unsigned pallocSum_end(pallocSum s)
{
    return (s & sumAllFree) ? maxPackedValue
                            : (unsigned)((s >> (2 * logMaxPackedValue)) & sumFieldMask);
}

pallocSum freeChunkSum(void)
{
    return packPallocSum(pallocChunkPages, pallocChunkPages, pallocChunkPages);
}

pallocSum mergeSummaries(const pallocSum *sums, unsigned logPages)
{
    unsigned whole = 1u << logPages;
    unsigned start = pallocSum_start(sums[0]);
    unsigned most = pallocSum_max(sums[0]);
    unsigned end = pallocSum_end(sums[0]);
    for (unsigned i = 1; i < 1u << summaryLevelBits; i++) {
        unsigned s = pallocSum_start(sums[i]), m = pallocSum_max(sums[i]);
        unsigned e = pallocSum_end(sums[i]);
        if (start == i * whole) /* everything so far was free: the start run goes on */
            start += s;
        most = umax(most, umax(end + s, m)); /* a run may straddle the boundary */
        end = e == whole ? end + whole : e;
    }
    return packPallocSum(start, most, end);
}

/* ---- walking a page range chunk by chunk -------------------------------------- */

typedef struct chunkSpan {
    uintptr_t next; /* first page not yet visited */
    size_t left;    /* pages not yet visited */
    chunkIdx ci;    /* the current piece: pages [si, si+n) of chunk ci */
    unsigned si, n;
} chunkSpan;

static chunkSpan chunkSpan_begin(uintptr_t base, size_t npages)
{
    chunkSpan s = {.next = base, .left = npages};
    return s;
}

static bool chunkSpan_next(chunkSpan *s)
{
    if (s->left == 0)
        return false;
    s->ci = chunkIndex(s->next);
    s->si = chunkPageIndex(s->next);
    size_t room = pallocChunkPages - s->si;
    s->n = (unsigned)(s->left < room ? s->left : room);
    s->next += s->n * pageBytes;
    s->left -= s->n;
    return true;
}

/* A range handed in by a caller must be page-aligned, non-empty, and lie in the
 * addressable space; each chunk's membership is checked as it is visited. */
static void checkRange(uintptr_t base, size_t npages, const char *op)
{
    if (npages == 0 || base % pageBytes != 0 || base >= heapAddrLimit ||
        npages > (heapAddrLimit - base) / pageBytes)
        pallocThrow("%s: bad range %#lx + %zu pages", op, (unsigned long)base, npages);
}

/* ---- update: the radix tree follows the bitmaps ------------------------------- */

/* Leaves of the chunks [sc, ec) a range touched; false if nothing changed. */
static bool updateLeaves(pageAlloc *p, chunkIdx sc, chunkIdx ec, bool alloc)
{
    pallocSum first = summarizeBits(chunkOf(p, sc)->pallocBits);
    if (sc == ec && *leafSummary(p, sc) == first)
        return false;
    *leafSummary(p, sc) = first;
    /* Chunks strictly inside a contiguous range changed wholesale. */
    for (chunkIdx c = sc + 1; c < ec; c++)
        *leafSummary(p, c) = alloc ? 0 : freeChunkSum();
    if (ec != sc)
        *leafSummary(p, ec) = summarizeBits(chunkOf(p, ec)->pallocBits);
    return true;
}

/* Recompute the parents of [base, limit) level by level towards the root; a
 * level that did not change cannot change the ones above it. */
static void updateParents(pageAlloc *p, uintptr_t base, uintptr_t limit)
{
    for (int l = summaryLevels - 2; l >= 0; l--) {
        bool changed = false;
        uintptr_t lo = base >> levelShift[l], hi = ((limit - 1) >> levelShift[l]) + 1;
        for (uintptr_t i = lo; i < hi; i++) {
            const pallocSum *kids = &p->summary[l + 1][i << levelBits[l + 1]];
            pallocSum sum = mergeSummaries(kids, levelLogPages[l + 1]);
            changed |= p->summary[l][i] != sum;
            p->summary[l][i] = sum;
        }
        if (!changed)
            return;
    }
}

void pageAlloc_update(pageAlloc *p, uintptr_t base, size_t npages, bool alloc)
{
    uintptr_t limit = base + npages * pageBytes;
    if (updateLeaves(p, chunkIndex(base), chunkIndex(limit - 1), alloc))
        updateParents(p, base, limit);
}

/* ---- grow ---------------------------------------------------------------------- */

/* A chunk joins the heap free and scavenged: its memory was never touched. */
static void growChunk(pageAlloc *p, chunkIdx ci)
{
    pallocData *chunk = chunkOf(p, ci);
    memset(chunk->pallocBits, 0, sizeof(chunk->pallocBits));
    memset(chunk->scavenged, 0xff, sizeof(chunk->scavenged));
    p->grown[ci / 64] |= (uint64_t)1 << (ci % 64);
}

void pageAlloc_grow(pageAlloc *p, uintptr_t base, size_t size)
{
    if (base == 0 || base % pallocChunkBytes != 0 || size == 0 || size % pallocChunkBytes != 0 ||
        base >= heapAddrLimit || size > heapAddrLimit - base)
        pallocThrow("grow: bad range %#lx + %#zx", (unsigned long)base, size);
    chunkIdx sc = chunkIndex(base), ec = chunkIndex(base + size);
    pageAlloc_sysGrow(p, sc, ec); /* checks everything before changing anything */
    for (chunkIdx c = sc; c < ec; c++)
        growChunk(p, c);
    if (p->inUse == 0 || sc < p->start)
        p->start = sc;
    if (ec > p->end)
        p->end = ec;
    p->inUse += size;
    p->freePages += size / pageBytes;
    p->scavengedPages += size / pageBytes;
    if (base < p->searchAddr)
        p->searchAddr = base;
    pageAlloc_update(p, base, size / pageBytes, false);
}

/* ---- alloc: the radix-tree search --------------------------------------------- */

/* The window of address space certain to hold the first free page: it narrows
 * as the search descends into the first non-empty entry of each level, and
 * stops narrowing once the search moves past that entry (Go's firstFree). */
typedef struct freeWindow {
    uintptr_t base, bound; /* inclusive */
} freeWindow;

static void freeWindow_narrow(freeWindow *w, uintptr_t addr, uintptr_t bytes)
{
    uintptr_t last = addr + bytes - 1;
    if (w->base <= addr && last <= w->bound) {
        w->base = addr;
        w->bound = last;
    } else if (!(last < w->base || w->bound < addr)) {
        pallocThrow("free window [%#lx, %#lx] partially overlaps [%#lx, %#lx]",
                    (unsigned long)w->base, (unsigned long)w->bound, (unsigned long)addr,
                    (unsigned long)last);
    }
}

typedef enum { levelDescend, levelFound, levelMiss } levelResult;

/* Entry of the block at level l starting at i where the search starts: the one
 * holding searchAddr if the block holds it, else the first. */
static unsigned searchStartInBlock(const pageAlloc *p, int l, uintptr_t i)
{
    uintptr_t perBlock = (uintptr_t)1 << levelBits[l];
    uintptr_t searchIdx = p->searchAddr >> levelShift[l];
    return (searchIdx & ~(perBlock - 1)) == i ? (unsigned)(searchIdx & (perBlock - 1)) : 0;
}

/* Scan one block of entries at level l (step 2 of the essay).  A run is built
 * from the end of one entry, wholly free entries and the start of the next;
 * `base` and `size` describe it in pages from the block's start. */
static levelResult findInBlock(const pageAlloc *p, int l, uintptr_t *i, size_t npages,
                               freeWindow *win, uintptr_t *addr)
{
    unsigned logPages = levelLogPages[l], perBlock = 1u << levelBits[l];
    uintptr_t whole = (uintptr_t)1 << logPages, base = 0, size = 0;
    for (unsigned j = searchStartInBlock(p, l, *i); j < perBlock; j++) {
        pallocSum sum = p->summary[l][*i + j];
        if (sum == 0) {
            size = 0;
            continue;
        }
        freeWindow_narrow(win, levelIndexToAddr(l, *i + j), whole * pageBytes);
        uintptr_t s = pallocSum_start(sum);
        if (size + s >= npages) {
            base = size == 0 ? j * whole : base;
            size += s;
            break;
        }
        if (pallocSum_max(sum) >= npages) {
            *i += j;
            return levelDescend;
        }
        if (size == 0 || s < whole) {
            size = pallocSum_end(sum);
            base = (j + 1) * whole - size;
        } else {
            size += whole;
        }
    }
    if (size < npages)
        return levelMiss;
    *addr = levelIndexToAddr(l, *i) + base * pageBytes;
    return levelFound;
}

static _Noreturn void badSummary(const pageAlloc *p, int l, uintptr_t i, size_t npages)
{
    for (unsigned j = 0; j < 1u << levelBits[l] && l > 0; j++) {
        pallocSum s = p->summary[l][i + j];
        fprintf(stderr, "pageAlloc: summary[%d][%lu] = (%u, %u, %u)\n", l, (unsigned long)(i + j),
                pallocSum_start(s), pallocSum_max(s), pallocSum_end(s));
    }
    pallocThrow("bad summary data at level %d searching for %zu pages", l, npages);
}

/* Go's find: the lowest-addressed fit, or 0; *newSearch gets a valid searchAddr. */
static uintptr_t findRadix(const pageAlloc *p, size_t npages, uintptr_t *newSearch)
{
    freeWindow win = {0, maxSearchAddr};
    uintptr_t i = 0, addr = 0;
    for (int l = 0; l < summaryLevels; l++) {
        i <<= levelBits[l];
        levelResult r = findInBlock(p, l, &i, npages, &win, &addr);
        if (r == levelMiss && l == 0)
            return 0;
        if (r == levelMiss)
            badSummary(p, l, i, npages); /* the parent promised a fit */
        if (r == levelFound) {
            *newSearch = win.base;
            return addr;
        }
    }
    unsigned firstFree, j = pallocBitsFind(chunkOf(p, i)->pallocBits, npages, 0, &firstFree);
    if (j == noIndex)
        badSummary(p, summaryLevels - 1, i & ~(uintptr_t)7, npages);
    uintptr_t firstAddr = chunkBase(i) + firstFree * pageBytes;
    freeWindow_narrow(&win, firstAddr, chunkBase(i + 1) - firstAddr);
    *newSearch = win.base;
    return chunkBase(i) + j * pageBytes;
}

/* Fast path: the chunk holding searchAddr has a fit at or after searchAddr. */
static bool allocFast(const pageAlloc *p, size_t npages, uintptr_t *addr, uintptr_t *newSearch)
{
    unsigned si = chunkPageIndex(p->searchAddr);
    chunkIdx ci = chunkIndex(p->searchAddr);
    if (pallocChunkPages - si < npages || pallocSum_max(*leafSummary(p, ci)) < npages)
        return false;
    unsigned firstFree, j = pallocBitsFind(chunkOf(p, ci)->pallocBits, npages, si, &firstFree);
    if (j == noIndex)
        badSummary(p, summaryLevels - 1, ci & ~(uintptr_t)7, npages);
    *addr = chunkBase(ci) + j * pageBytes;
    *newSearch = chunkBase(ci) + firstFree * pageBytes;
    return true;
}

/* Mark [base, base+npages) allocated; returns how many pages were scavenged. */
static size_t allocRange(pageAlloc *p, uintptr_t base, size_t npages)
{
    size_t scav = 0;
    chunkSpan s = chunkSpan_begin(base, npages);
    while (chunkSpan_next(&s)) {
        pallocData *chunk = grownChunkOf(p, s.ci, "alloc");
        if (bitsCountRange(chunk->pallocBits, s.si, s.n) != 0)
            pallocThrow("alloc: run at %#lx is not free", (unsigned long)base);
        scav += bitsCountRange(chunk->scavenged, s.si, s.n);
        bitsSetRange(chunk->pallocBits, s.si, s.n);
        bitsClearRange(chunk->scavenged, s.si, s.n);
    }
    p->freePages -= npages;
    p->scavengedPages -= scav;
    pageAlloc_update(p, base, npages, true);
    return scav;
}

uintptr_t pageAlloc_alloc(pageAlloc *p, size_t npages, uint64_t *scav)
{
    if (scav != NULL)
        *scav = 0;
    if (npages == 0)
        pallocThrow("alloc: zero pages");
    if (chunkIndex(p->searchAddr) >= p->end)
        return 0; /* nothing free anywhere */
    uintptr_t addr, newSearch;
    if (!allocFast(p, npages, &addr, &newSearch)) {
        addr = findRadix(p, npages, &newSearch);
        if (addr == 0) {
            if (npages == 1) /* not a single free page: remember that */
                p->searchAddr = maxSearchAddr;
            return 0;
        }
    }
    size_t scavPages = allocRange(p, addr, npages);
    if (scav != NULL)
        *scav = scavPages * pageBytes;
    if (p->searchAddr < newSearch)
        p->searchAddr = newSearch;
    return addr;
}

/* ---- free ----------------------------------------------------------------------- */

/* Clear the allocation bits of a run that must be wholly allocated; mark it
 * scavenged too when the scavenger is handing it back. */
static void freeRange(pageAlloc *p, uintptr_t base, size_t npages, bool scavenged, const char *op)
{
    checkRange(base, npages, op);
    chunkSpan s = chunkSpan_begin(base, npages);
    while (chunkSpan_next(&s)) {
        pallocData *chunk = grownChunkOf(p, s.ci, op);
        if (bitsCountRange(chunk->pallocBits, s.si, s.n) != s.n)
            pallocThrow("%s: run %#lx + %zu pages is not allocated", op, (unsigned long)base,
                        npages);
        bitsClearRange(chunk->pallocBits, s.si, s.n);
        if (scavenged)
            bitsSetRange(chunk->scavenged, s.si, s.n);
    }
    p->freePages += npages;
    p->scavengedPages += scavenged ? npages : 0;
    if (base < p->searchAddr)
        p->searchAddr = base;
    pageAlloc_update(p, base, npages, false);
}

void pageAlloc_free(pageAlloc *p, uintptr_t base, size_t npages)
{
    freeRange(p, base, npages, false, "free");
}

/* ---- the scavenger's search ----------------------------------------------------- */

/* Highest grown chunk in [lo, ci], found a grown-bitmap word at a time. */
static bool prevGrownChunk(const pageAlloc *p, chunkIdx ci, chunkIdx lo, chunkIdx *out)
{
    if (ci < lo)
        return false;
    uintptr_t w = ci / 64;
    uint64_t x = p->grown[w] & (~(uint64_t)0 >> (63 - ci % 64));
    while (x == 0) {
        if (w * 64 <= lo)
            return false;
        x = p->grown[--w];
    }
    *out = w * 64 + 63 - clz64(x);
    return *out >= lo;
}

/* Hold pages [si, si+n) of chunk ci for the scavenger: allocated, so nobody
 * takes them while mheap.lock is dropped around the madvise. */
static uintptr_t scavengeHold(pageAlloc *p, chunkIdx ci, unsigned si, unsigned n)
{
    uintptr_t base = chunkBase(ci) + si * pageBytes;
    bitsSetRange(chunkOf(p, ci)->pallocBits, si, n);
    p->freePages -= n;
    pageAlloc_update(p, base, n, true);
    p->scavSearchAddr = base - pageBytes; /* base > 0: page 0 is never heap */
    return base;
}

size_t pageAlloc_scavengeFind(pageAlloc *p, size_t maxpages, uintptr_t *base)
{
    *base = 0;
    if (maxpages == 0 || p->end == 0)
        return 0;
    uintptr_t top = chunkBase(p->end) - pageBytes;
    top = p->scavSearchAddr < top ? p->scavSearchAddr : top;
    chunkIdx ci = chunkIndex(top);
    unsigned from = chunkPageIndex(top), si, n;
    while (prevGrownChunk(p, ci, p->start, &ci)) {
        /* A chunk with no free page at all is skipped on its summary. */
        if (pallocSum_max(*leafSummary(p, ci)) > 0 &&
            (n = findScavengeCandidate(chunkOf(p, ci), from, maxpages, &si)) > 0) {
            *base = scavengeHold(p, ci, si, n);
            return n;
        }
        if (ci-- == 0)
            break;
        from = pallocChunkPages - 1;
    }
    pageAlloc_scavengeReset(p); /* nothing left: start again from the top */
    return 0;
}

void pageAlloc_scavengeDone(pageAlloc *p, uintptr_t base, size_t npages)
{
    freeRange(p, base, npages, true, "scavengeDone");
}

void pageAlloc_scavengeReset(pageAlloc *p)
{
    p->scavSearchAddr = UINTPTR_MAX;
}

/* ---- readers -------------------------------------------------------------------- */

bool pageAlloc_allocated(const pageAlloc *p, uintptr_t addr)
{
    chunkIdx ci = chunkIndex(addr);
    if (!chunkGrown(p, ci))
        return true; /* outside the heap nothing is free */
    unsigned i = chunkPageIndex(addr);
    return ((chunkOf(p, ci)->pallocBits[i / 64] >> (i % 64)) & 1) != 0;
}

bool pageAlloc_scavenged(const pageAlloc *p, uintptr_t addr)
{
    chunkIdx ci = chunkIndex(addr);
    if (!chunkGrown(p, ci))
        return false;
    unsigned i = chunkPageIndex(addr);
    return ((chunkOf(p, ci)->scavenged[i / 64] >> (i % 64)) & 1) != 0;
}
