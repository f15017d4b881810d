/*
 * mpallocbits.c — the bitmaps of one chunk (Go: mpallocbits.go; the scavenger's
 * candidate search mirrors findScavengeCandidate in mgcscavenge.go).
 *
 * What it owns.  Nothing: these are pure functions over a chunk's two 512-bit
 * bitmaps (pallocData), pallocBits (1 = allocated) and scavenged (1 = free and
 * its memory returned to the OS), bit i = page i of the chunk.  They know
 * nothing of the radix tree above them; mpagealloc.c calls them and then
 * updates the summaries.
 *
 * The algorithm.  Everything goes a 64-bit word at a time:
 *   1. summarizeBits: the free run at the chunk's start, the longest one and
 *      the one at its end, carrying the free top of each word into the next
 *      and looking inside a word only when it could beat the best so far.
 *   2. pallocBitsFind: the lowest fit of npages, from the word holding the
 *      search index.  One page is the first clear bit; up to 64 pages lie in
 *      one word or straddle two (findZeroRun64 doubles the run it checks at
 *      each step); more than 64 are the free top of one word, whole free words
 *      and the free bottom of another.
 *   3. findScavengeCandidate: the highest run of free, unscavenged pages at or
 *      below a page, followed downwards across words, cut to its top max pages.
 *
 * Invariants.  A range [i, i+n) has n >= 1 and lies within the chunk; pages
 * below the search index in its word are allocated (searchAddr's invariant),
 * so a find never returns an index below it.
 *
 * Locking.  The caller holds the owning mheap's lock and passes the chunk;
 * nothing here keeps state of its own.
 */
#include "runtime/mpagealloc_internal.h"

/* ---- bitmaps: a chunk's 8 words, bit i = page i ------------------------------ */

/* The bits of word w that fall in pages [i, i+n). */
static uint64_t wordMask(unsigned w, unsigned i, unsigned n)
{
    unsigned lo = w * 64, a = i > lo ? i : lo;
    unsigned b = i + n < lo + 64 ? i + n : lo + 64;
    if (a >= b)
        return 0;
    uint64_t ones = b - a == 64 ? ~(uint64_t)0 : ((uint64_t)1 << (b - a)) - 1;
    return ones << (a - lo);
}

void bitsSetRange(uint64_t *bits, unsigned i, unsigned n)
{
    for (unsigned w = i / 64; w <= (i + n - 1) / 64; w++)
        bits[w] |= wordMask(w, i, n);
}

void bitsClearRange(uint64_t *bits, unsigned i, unsigned n)
{
    for (unsigned w = i / 64; w <= (i + n - 1) / 64; w++)
        bits[w] &= ~wordMask(w, i, n);
}

unsigned bitsCountRange(const uint64_t *bits, unsigned i, unsigned n)
{
    unsigned count = 0;
    for (unsigned w = i / 64; w <= (i + n - 1) / 64; w++)
        count += (unsigned)__builtin_popcountll(bits[w] & wordMask(w, i, n));
    return count;
}

/* Longest run of set bits in y: hop from run to run, not bit to bit. */
static unsigned longestOnes64(uint64_t y)
{
    unsigned best = 0;
    while (y != 0) {
        y >>= ctz64(y);
        unsigned len = ctz64(~y);
        best = umax(best, len);
        y = len == 64 ? 0 : y >> len;
    }
    return best;
}

/* Longest free run strictly between the lowest and highest allocated page of
 * x (x != 0): the runs touching the word's edges are counted by the caller,
 * where they may join the neighbouring words. */
static unsigned innerFreeRun64(uint64_t x)
{
    x >>= ctz64(x);
    unsigned span = 64 - clz64(x);
    uint64_t below = span == 64 ? ~(uint64_t)0 : ((uint64_t)1 << span) - 1;
    return longestOnes64(~x & below);
}

pallocSum summarizeBits(const uint64_t *bits)
{
    unsigned start = 0, most = 0, run = 0; /* run: free pages just below word w */
    bool sawAllocated = false;
    for (unsigned w = 0; w < pallocChunkWords; w++) {
        uint64_t x = bits[w];
        if (x == 0) {
            run += 64;
            continue;
        }
        run += ctz64(x);
        if (!sawAllocated)
            start = run;
        sawAllocated = true;
        most = umax(most, run);
        if (64 - (unsigned)__builtin_popcountll(x) > most) /* could beat most */
            most = umax(most, innerFreeRun64(x));
        run = clz64(x);
    }
    if (!sawAllocated)
        return freeChunkSum();
    return packPallocSum(start, umax(most, run), run);
}

/* Lowest index of n (1..64) consecutive zero bits in x, or 64.  Each step
 * keeps bit i only if a run of the current length starts at i and another
 * starts `step` further, doubling the length checked. */
static unsigned findZeroRun64(uint64_t x, unsigned n)
{
    uint64_t c = ~x;
    unsigned have = 1;
    while (have < n && c != 0) {
        unsigned step = n - have < have ? n - have : have;
        c &= c >> step;
        have += step;
    }
    return ctz64(c);
}

/* The searches below start at searchIdx's word: pages below searchIdx in that
 * word are allocated (searchAddr's invariant), so the result is never below it.
 * *firstFree receives the first free page met, a valid new search index. */
static unsigned findOne(const uint64_t *bits, unsigned searchIdx, unsigned *firstFree)
{
    for (unsigned w = searchIdx / 64; w < pallocChunkWords; w++) {
        if (bits[w] != ~(uint64_t)0)
            return *firstFree = w * 64 + ctz64(~bits[w]);
    }
    return noIndex;
}

/* npages <= 64: a fit lies within one word or straddles two. */
static unsigned findSmall(const uint64_t *bits, unsigned npages, unsigned searchIdx,
                          unsigned *firstFree)
{
    unsigned carry = 0; /* free pages at the top of the previous word */
    for (unsigned w = searchIdx / 64; w < pallocChunkWords; w++) {
        uint64_t x = bits[w];
        if (x == ~(uint64_t)0) {
            carry = 0;
            continue;
        }
        if (*firstFree == noIndex)
            *firstFree = w * 64 + ctz64(~x);
        if (carry + ctz64(x) >= npages)
            return w * 64 - carry;
        unsigned j = findZeroRun64(x, npages);
        if (j < 64)
            return w * 64 + j;
        carry = clz64(x);
    }
    return noIndex;
}

/* npages > 64: a fit is the free top of one word, whole free words, and the
 * free bottom of another. */
static unsigned findLarge(const uint64_t *bits, unsigned npages, unsigned searchIdx,
                          unsigned *firstFree)
{
    unsigned start = noIndex, size = 0;
    for (unsigned w = searchIdx / 64; w < pallocChunkWords; w++) {
        uint64_t x = bits[w];
        if (x == ~(uint64_t)0) {
            size = 0;
            continue;
        }
        if (*firstFree == noIndex)
            *firstFree = w * 64 + ctz64(~x);
        if (size > 0 && size + ctz64(x) >= npages)
            return start;
        if (size > 0 && x == 0) {
            size += 64;
            continue;
        }
        size = clz64(x); /* the run is broken: start again at this word's top */
        start = w * 64 + 64 - size;
    }
    /* A run reaching the last word was judged there (ctz64(0) is 64). */
    return noIndex;
}

unsigned pallocBitsFind(const uint64_t *bits, size_t npages, unsigned searchIdx,
                        unsigned *firstFree)
{
    *firstFree = noIndex;
    if (npages > pallocChunkPages)
        return noIndex;
    if (npages == 1)
        return findOne(bits, searchIdx, firstFree);
    if (npages <= 64)
        return findSmall(bits, (unsigned)npages, searchIdx, firstFree);
    return findLarge(bits, (unsigned)npages, searchIdx, firstFree);
}

/* ---- the scavenger's candidate ------------------------------------------------ */

static uint64_t dirtyFree(const pallocData *c, unsigned w)
{
    return ~(c->pallocBits[w] | c->scavenged[w]);
}

/* Go: findScavengeCandidate in mgcscavenge.go, on one chunk. */
unsigned findScavengeCandidate(const pallocData *c, unsigned from, size_t max, unsigned *start)
{
    int w = (int)(from / 64);
    uint64_t x = dirtyFree(c, (unsigned)w) & (~(uint64_t)0 >> (63 - from % 64));
    while (x == 0) {
        if (--w < 0)
            return 0;
        x = dirtyFree(c, (unsigned)w);
    }
    unsigned topBit = 63 - clz64(x), top = (unsigned)w * 64 + topBit;
    unsigned run = clz64(~(x << (63 - topBit))); /* set bits from topBit down */
    if (run == topBit + 1) {
        /* The run reaches the word's bottom: follow it into lower words. */
        while (w > 0 && run < max) {
            unsigned more = clz64(~dirtyFree(c, (unsigned)--w));
            run += more;
            if (more < 64)
                break;
        }
    }
    unsigned size = run < max ? run : (unsigned)max;
    *start = top + 1 - size;
    return size;
}
