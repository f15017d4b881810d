/*
 * test_pagealloc.c — the page allocator (src/runtime/mpagealloc.c).
 *
 * The page allocator only keeps metadata, so the heap addresses here are made
 * up (Go's amd64 arena hint, 0xc000000000, and offsets from it); no heap
 * memory is ever mapped.  Each test ends by asserting pageAlloc_is_valid, and
 * the randomized test checks every result against a plain-array model.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "runtime/mem.h"
#include "runtime/mpagealloc.h"
#include "testutil.h"

#define PAGE ((uintptr_t)8192)
#define CHUNK ((uintptr_t)pallocChunkBytes)
#define MiB ((uintptr_t)1 << 20)
#define GiB ((uintptr_t)1 << 30)
#define BASE ((uintptr_t)0xc000000000) /* 16 GiB aligned */
#define PG(n) ((uintptr_t)(n)*PAGE)
#define MAXPACK ((unsigned)maxPackedValue)

static void pa_setup(pageAlloc *p)
{
    ck_assert_int_eq(pageAlloc_init(p, &hs_sysops_linux), 0);
    ck_assert(pageAlloc_is_valid(p));
}

static void pa_finish(pageAlloc *p)
{
    ck_assert(pageAlloc_is_valid(p));
    pageAlloc_destroy(p);
}

static void assert_sum(pallocSum s, unsigned start, unsigned max, unsigned end)
{
    ck_assert_uint_eq(pallocSum_start(s), start);
    ck_assert_uint_eq(pallocSum_max(s), max);
    ck_assert_uint_eq(pallocSum_end(s), end);
}

static pallocSum leaf(const pageAlloc *p, uintptr_t addr)
{
    return p->summary[summaryLevels - 1][addr / CHUNK];
}

static pallocSum root(const pageAlloc *p, uintptr_t addr)
{
    return p->summary[0][addr >> 34];
}

static uintptr_t alloc_n(pageAlloc *p, size_t npages)
{
    uint64_t scav;
    return pageAlloc_alloc(p, npages, &scav);
}

/* ---- summaries ---------------------------------------------------------------- */

START_TEST(test_pack_unpack)
{
    ck_assert_uint_eq(packPallocSum(0, 0, 0), 0);
    assert_sum(packPallocSum(1, 2, 3), 1, 2, 3);
    assert_sum(packPallocSum(512, 512, 512), 512, 512, 512);
    assert_sum(packPallocSum(0, 300, 7), 0, 300, 7);
    assert_sum(packPallocSum(MAXPACK - 1, MAXPACK - 1, MAXPACK - 1), MAXPACK - 1, MAXPACK - 1,
               MAXPACK - 1);
    assert_sum(packPallocSum(MAXPACK - 1, MAXPACK - 1, 0), MAXPACK - 1, MAXPACK - 1, 0);
    /* 2^21 does not fit 21 bits: a wholly free root entry is bit 63 alone. */
    ck_assert_uint_eq(packPallocSum(MAXPACK, MAXPACK, MAXPACK), (uint64_t)1 << 63);
    assert_sum((uint64_t)1 << 63, MAXPACK, MAXPACK, MAXPACK);
    /* Fields do not bleed into each other. */
    ck_assert_uint_eq(packPallocSum(1, 0, 0), 1);
    ck_assert_uint_eq(packPallocSum(0, 1, 0), (uint64_t)1 << 21);
    ck_assert_uint_eq(packPallocSum(0, 0, 1), (uint64_t)1 << 42);
}
END_TEST

/* ---- growing ------------------------------------------------------------------- */

START_TEST(test_empty)
{
    pageAlloc p;
    pa_setup(&p);
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    ck_assert_uint_eq(p.freePages, 0);
    ck_assert_uint_eq(p.inUse, 0);
    ck_assert(pageAlloc_allocated(&p, BASE));
    ck_assert(!pageAlloc_scavenged(&p, BASE));
    uintptr_t base;
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 0);
    pa_finish(&p);
}
END_TEST

START_TEST(test_grow_one_chunk)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, CHUNK);
    ck_assert_uint_eq(p.inUse, CHUNK);
    ck_assert_uint_eq(p.freePages, 512);
    ck_assert_uint_eq(p.scavengedPages, 512);
    ck_assert_uint_eq(p.start, BASE / CHUNK);
    ck_assert_uint_eq(p.end, BASE / CHUNK + 1);
    ck_assert_uint_eq(p.searchAddr, BASE);
    assert_sum(leaf(&p, BASE), 512, 512, 512);
    /* The 16 GiB root entry: free at its start, not at its end. */
    assert_sum(root(&p, BASE), 512, 512, 0);
    ck_assert(pageAlloc_is_valid(&p));

    ck_assert_uint_eq(alloc_n(&p, 1), BASE);
    ck_assert_uint_eq(alloc_n(&p, 1), BASE + PG(1));
    ck_assert_uint_eq(alloc_n(&p, 510), BASE + PG(2));
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    ck_assert_uint_eq(p.freePages, 0);
    assert_sum(leaf(&p, BASE), 0, 0, 0);
    ck_assert_uint_eq(root(&p, BASE), 0);
    pa_finish(&p);
}
END_TEST

START_TEST(test_grow_nonadjacent)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, CHUNK);
    pageAlloc_grow(&p, BASE + 64 * MiB, 2 * CHUNK);
    pageAlloc_grow(&p, BASE + GiB, CHUNK);
    ck_assert_uint_eq(p.inUse, 4 * CHUNK);
    ck_assert_uint_eq(p.freePages, 2048);
    ck_assert_uint_eq(p.scavengedPages, 2048);
    ck_assert_uint_eq(p.start, BASE / CHUNK);
    ck_assert_uint_eq(p.end, (BASE + GiB) / CHUNK + 1);
    ck_assert(pageAlloc_is_valid(&p));
    /* The gaps between are not heap. */
    ck_assert(pageAlloc_allocated(&p, BASE + 32 * MiB));
    ck_assert(!pageAlloc_scavenged(&p, BASE + 32 * MiB));
    ck_assert(!pageAlloc_allocated(&p, BASE + 64 * MiB + CHUNK));

    /* 600 pages only fit in the two adjacent chunks. */
    ck_assert_uint_eq(alloc_n(&p, 600), BASE + 64 * MiB);
    ck_assert_uint_eq(alloc_n(&p, 512), BASE);
    ck_assert_uint_eq(alloc_n(&p, 513), 0);
    ck_assert_uint_eq(alloc_n(&p, 425), BASE + GiB); /* 424 left after the 600 */
    ck_assert_uint_eq(alloc_n(&p, 424), BASE + 64 * MiB + PG(600));
    ck_assert_uint_eq(alloc_n(&p, 88), 0);
    ck_assert_uint_eq(alloc_n(&p, 87), BASE + GiB + PG(425));
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    ck_assert_uint_eq(p.freePages, 0);
    ck_assert_uint_eq(p.scavengedPages, 0);
    pa_finish(&p);
}
END_TEST

/* A wholly free 16 GiB root entry holds 2^21 pages: the special encoding, and
 * runs that cross root entries. */
START_TEST(test_root_entries)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 16 * GiB);
    ck_assert_uint_eq(p.freePages, MAXPACK);
    ck_assert_uint_eq(root(&p, BASE), (uint64_t)1 << 63);
    assert_sum(root(&p, BASE), MAXPACK, MAXPACK, MAXPACK);
    ck_assert(pageAlloc_is_valid(&p));
    ck_assert_uint_eq(alloc_n(&p, MAXPACK + 1), 0);
    uint64_t scav;
    ck_assert_uint_eq(pageAlloc_alloc(&p, MAXPACK, &scav), BASE);
    ck_assert_uint_eq(scav, 16 * GiB);
    ck_assert_uint_eq(root(&p, BASE), 0);
    ck_assert(pageAlloc_is_valid(&p));
    pageAlloc_free(&p, BASE, MAXPACK);
    ck_assert_uint_eq(root(&p, BASE), (uint64_t)1 << 63);

    /* A neighbour: a run of 2^21 + 512 pages spans two root entries. */
    pageAlloc_grow(&p, BASE + 16 * GiB, 16 * GiB);
    ck_assert_uint_eq(alloc_n(&p, 100), BASE);
    ck_assert_uint_eq(alloc_n(&p, MAXPACK + 512), BASE + PG(100));
    assert_sum(root(&p, BASE), 0, 0, 0);
    assert_sum(root(&p, BASE + 16 * GiB), 0, MAXPACK - 612, MAXPACK - 612);
    ck_assert_uint_eq(p.freePages, 2 * (uint64_t)MAXPACK - 100 - MAXPACK - 512);
    pa_finish(&p);
}
END_TEST

/* ---- alloc and free ------------------------------------------------------------- */

START_TEST(test_alloc_lowest_fit)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 2 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 10), BASE);
    ck_assert_uint_eq(alloc_n(&p, 20), BASE + PG(10));
    ck_assert_uint_eq(alloc_n(&p, 30), BASE + PG(30));
    pageAlloc_free(&p, BASE + PG(10), 20);
    ck_assert_uint_eq(p.searchAddr, BASE + PG(10));
    ck_assert_uint_eq(alloc_n(&p, 25), BASE + PG(60)); /* the hole is too small */
    ck_assert_uint_eq(alloc_n(&p, 15), BASE + PG(10)); /* first fit, in the hole */
    ck_assert_uint_eq(alloc_n(&p, 6), BASE + PG(85));  /* only 5 left in the hole */
    ck_assert_uint_eq(alloc_n(&p, 5), BASE + PG(25));
    ck_assert_uint_eq(p.freePages, 1024 - 91);
    pa_finish(&p);
}
END_TEST

START_TEST(test_alloc_across_chunks)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 3 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 100), BASE);
    ck_assert_uint_eq(alloc_n(&p, 600), BASE + PG(100));
    ck_assert(pageAlloc_allocated(&p, BASE + PG(511)));
    ck_assert(pageAlloc_allocated(&p, BASE + PG(699)));
    ck_assert(!pageAlloc_allocated(&p, BASE + PG(700)));
    assert_sum(leaf(&p, BASE), 0, 0, 0);
    assert_sum(leaf(&p, BASE + CHUNK), 0, 324, 324);
    /* 800 pages: the rest of chunk 1 and most of chunk 2. */
    ck_assert_uint_eq(alloc_n(&p, 837), 0);
    ck_assert_uint_eq(alloc_n(&p, 800), BASE + PG(700));
    assert_sum(leaf(&p, BASE + 2 * CHUNK), 0, 36, 36);
    ck_assert_uint_eq(p.freePages, 36);
    /* Freeing the 600 coalesces across the boundary with nothing else. */
    pageAlloc_free(&p, BASE + PG(100), 600);
    assert_sum(leaf(&p, BASE), 0, 412, 412);
    assert_sum(leaf(&p, BASE + CHUNK), 188, 188, 0);
    ck_assert_uint_eq(alloc_n(&p, 601), 0);
    ck_assert_uint_eq(alloc_n(&p, 600), BASE + PG(100));
    pa_finish(&p);
}
END_TEST

START_TEST(test_alloc_spanning_whole_chunk)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 3 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 1), BASE);
    ck_assert_uint_eq(alloc_n(&p, 1200), BASE + PG(1)); /* swallows chunk 1 whole */
    assert_sum(leaf(&p, BASE + CHUNK), 0, 0, 0);
    assert_sum(leaf(&p, BASE + 2 * CHUNK), 0, 335, 335);
    ck_assert_uint_eq(p.freePages, 1536 - 1201);
    ck_assert(pageAlloc_is_valid(&p));
    /* Freeing coalesces with the free tail: one run of 1535 pages. */
    pageAlloc_free(&p, BASE + PG(1), 1200);
    assert_sum(leaf(&p, BASE + CHUNK), 512, 512, 512);
    ck_assert_uint_eq(alloc_n(&p, 1535), BASE + PG(1));
    ck_assert_uint_eq(p.freePages, 0);
    pa_finish(&p);
}
END_TEST

START_TEST(test_fragmentation)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, CHUNK);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_uint_eq(alloc_n(&p, 1), BASE + PG(i));
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    for (unsigned i = 1; i < 512; i += 2)
        pageAlloc_free(&p, BASE + PG(i), 1);
    ck_assert_uint_eq(p.freePages, 256);
    assert_sum(leaf(&p, BASE), 0, 1, 1);
    ck_assert_uint_eq(alloc_n(&p, 2), 0); /* 256 free pages, no two together */
    ck_assert(pageAlloc_is_valid(&p));

    /* Free page 100: 99..101 is the first hole of two. */
    pageAlloc_free(&p, BASE + PG(100), 1);
    ck_assert_uint_eq(alloc_n(&p, 2), BASE + PG(99));
    /* Freeing the even pages 200..298 joins 199..299 into one run of 101. */
    for (unsigned i = 200; i < 300; i += 2)
        pageAlloc_free(&p, BASE + PG(i), 1);
    assert_sum(leaf(&p, BASE), 0, 101, 1);
    ck_assert_uint_eq(alloc_n(&p, 102), 0);
    ck_assert_uint_eq(alloc_n(&p, 101), BASE + PG(199));
    /* Single pages still fill the odd holes from the bottom. */
    ck_assert_uint_eq(alloc_n(&p, 1), BASE + PG(1));
    ck_assert_uint_eq(alloc_n(&p, 1), BASE + PG(3));
    ck_assert_uint_eq(p.freePages, 256 + 1 + 50 - 2 - 101 - 2);
    pa_finish(&p);
}
END_TEST

START_TEST(test_exhaustion)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 2 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 1025), 0);
    ck_assert_uint_eq(p.freePages, 1024);
    ck_assert_uint_eq(alloc_n(&p, 1024), BASE);
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    ck_assert_uint_eq(alloc_n(&p, 7), 0);
    pageAlloc_free(&p, BASE + PG(700), 1);
    ck_assert_uint_eq(alloc_n(&p, 2), 0);
    ck_assert_uint_eq(alloc_n(&p, 1), BASE + PG(700));
    ck_assert_uint_eq(alloc_n(&p, 1), 0);
    /* Growing makes room again. */
    pageAlloc_grow(&p, BASE + 2 * CHUNK, CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 512), BASE + 2 * CHUNK);
    ck_assert_uint_eq(p.freePages, 0);
    pa_finish(&p);
}
END_TEST

START_TEST(test_double_free_aborts)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 4), BASE);
    pageAlloc_free(&p, BASE, 4);
    pageAlloc_free(&p, BASE + PG(2), 1); /* throws: abort() */
}
END_TEST

/* ---- scavenging ------------------------------------------------------------------ */

START_TEST(test_scavenged_accounting)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 2 * CHUNK);
    ck_assert(pageAlloc_scavenged(&p, BASE));
    uint64_t scav;
    ck_assert_uint_eq(pageAlloc_alloc(&p, 10, &scav), BASE);
    ck_assert_uint_eq(scav, PG(10));
    ck_assert_uint_eq(p.scavengedPages, 1014);
    ck_assert(!pageAlloc_scavenged(&p, BASE));
    pageAlloc_free(&p, BASE, 10); /* freed pages hold memory: not scavenged */
    ck_assert_uint_eq(p.freePages, 1024);
    ck_assert_uint_eq(p.scavengedPages, 1014);
    ck_assert(!pageAlloc_scavenged(&p, BASE + PG(9)));
    ck_assert(pageAlloc_scavenged(&p, BASE + PG(10)));
    /* Reusing half-dirty memory reports only the scavenged part. */
    ck_assert_uint_eq(pageAlloc_alloc(&p, 20, &scav), BASE);
    ck_assert_uint_eq(scav, PG(10));
    ck_assert_uint_eq(p.scavengedPages, 1004);
    pa_finish(&p);
}
END_TEST

START_TEST(test_scavenge_highest_first)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, 2 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 20), BASE);
    ck_assert_uint_eq(alloc_n(&p, 600), BASE + PG(20));
    ck_assert_uint_eq(alloc_n(&p, 10), BASE + PG(620));
    pageAlloc_free(&p, BASE, 20);
    pageAlloc_free(&p, BASE + PG(20), 600);
    /* Dirty: 0..619; allocated: 620..629; scavenged: 630..1023. */
    ck_assert_uint_eq(p.freePages, 1014);
    ck_assert_uint_eq(p.scavengedPages, 394);

    uintptr_t base;
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 64);
    ck_assert_uint_eq(base, BASE + PG(556));            /* the top 64 of the highest run */
    ck_assert(pageAlloc_allocated(&p, BASE + PG(600))); /* held while unlocked */
    ck_assert_uint_eq(p.freePages, 950);
    ck_assert(pageAlloc_is_valid(&p));
    ck_assert_uint_eq(alloc_n(&p, 600), 0); /* the held run splits 0..619 */
    pageAlloc_scavengeDone(&p, base, 64);
    ck_assert(pageAlloc_scavenged(&p, BASE + PG(556)));
    ck_assert_uint_eq(p.freePages, 1014);
    ck_assert_uint_eq(p.scavengedPages, 458);

    /* A run stops at a chunk boundary. */
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 1000, &base), 44);
    ck_assert_uint_eq(base, BASE + PG(512));
    pageAlloc_scavengeDone(&p, base, 44);
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 1000, &base), 512);
    ck_assert_uint_eq(base, BASE);
    pageAlloc_scavengeDone(&p, base, 512);
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 1000, &base), 0);
    ck_assert_uint_eq(p.scavSearchAddr, UINTPTR_MAX); /* reset to the top */
    ck_assert_uint_eq(p.scavengedPages, 1014);
    ck_assert_uint_eq(p.freePages, 1014);

    uint64_t scav;
    ck_assert_uint_eq(pageAlloc_alloc(&p, 620, &scav), BASE);
    ck_assert_uint_eq(scav, PG(620));
    pa_finish(&p);
}
END_TEST

START_TEST(test_scavenge_search_moves_down)
{
    pageAlloc p;
    pa_setup(&p);
    pageAlloc_grow(&p, BASE, CHUNK);
    pageAlloc_grow(&p, BASE + GiB, CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 512), BASE);
    ck_assert_uint_eq(alloc_n(&p, 512), BASE + GiB);
    pageAlloc_free(&p, BASE + PG(100), 10);
    pageAlloc_free(&p, BASE + GiB + PG(300), 5);

    uintptr_t base;
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 5);
    ck_assert_uint_eq(base, BASE + GiB + PG(300));
    pageAlloc_scavengeDone(&p, base, 5);
    ck_assert_uint_eq(p.scavSearchAddr, BASE + GiB + PG(299));
    /* Freed above the search address: not seen until the search restarts. */
    pageAlloc_free(&p, BASE + GiB + PG(400), 3);
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 10);
    ck_assert_uint_eq(base, BASE + PG(100));
    pageAlloc_scavengeDone(&p, base, 10);
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 0);
    ck_assert_uint_eq(pageAlloc_scavengeFind(&p, 64, &base), 3);
    ck_assert_uint_eq(base, BASE + GiB + PG(400));
    pageAlloc_scavengeDone(&p, base, 3);
    ck_assert_uint_eq(p.freePages, 18);
    ck_assert_uint_eq(p.scavengedPages, 18);
    pa_finish(&p);
}
END_TEST

/* ---- the randomized test against a model --------------------------------------- */

enum {
    M_CHUNKS = 24,
    M_PAGES = M_CHUNKS * 512,
    M_LIVE = 4096,
    M_OPS = 6000,
};

typedef struct model {
    bool grown[M_PAGES], alloc[M_PAGES], scav[M_PAGES];
    uintptr_t scavSearchAddr;
    uint64_t freePages, scavengedPages;
    struct {
        uintptr_t addr;
        size_t npages;
    } live[M_LIVE];
    int nlive;
    uint64_t rng;
} model;

static uint64_t rnd(model *m)
{
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return m->rng * 0x2545F4914F6CDD1DULL;
}

static size_t m_index(uintptr_t addr)
{
    return (addr - BASE) / PAGE;
}

static void m_grow(model *m, pageAlloc *p, unsigned chunk, unsigned nchunks)
{
    pageAlloc_grow(p, BASE + chunk * CHUNK, nchunks * CHUNK);
    for (size_t i = chunk * 512; i < (chunk + nchunks) * 512; i++) {
        m->grown[i] = m->scav[i] = true;
        m->freePages++;
        m->scavengedPages++;
    }
}

/* Lowest fit, taking it: returns its address and scavenged bytes. */
static uintptr_t m_alloc(model *m, size_t n, uint64_t *scav)
{
    *scav = 0;
    size_t run = 0, i = 0;
    while (i < M_PAGES && run < n) {
        run = m->grown[i] && !m->alloc[i] ? run + 1 : 0;
        i++;
    }
    if (run < n)
        return 0;
    for (size_t k = i - n; k < i; k++) {
        *scav += m->scav[k] ? PAGE : 0;
        m->scavengedPages -= m->scav[k];
        m->alloc[k] = true;
        m->scav[k] = false;
    }
    m->freePages -= n;
    return BASE + PG(i - n);
}

static void m_free(model *m, uintptr_t addr, size_t n, bool scavenged)
{
    for (size_t k = m_index(addr); k < m_index(addr) + n; k++) {
        m->alloc[k] = false;
        m->scav[k] = scavenged;
    }
    m->freePages += n;
    m->scavengedPages += scavenged ? n : 0;
}

static bool m_dirty(const model *m, size_t i)
{
    return m->grown[i] && !m->alloc[i] && !m->scav[i];
}

/* The scavenger: the highest dirty page at or below the search address, then
 * down the run within its chunk, at most max pages. */
static size_t m_scavengeFind(model *m, size_t max, size_t top, uintptr_t *base)
{
    size_t hi = top;
    if (m->scavSearchAddr != UINTPTR_MAX) {
        if (m->scavSearchAddr < BASE)
            hi = SIZE_MAX;
        else if (m_index(m->scavSearchAddr) < hi)
            hi = m_index(m->scavSearchAddr);
    }
    for (size_t i = hi; i != SIZE_MAX; i--) {
        if (!m_dirty(m, i))
            continue;
        size_t n = 1;
        while (n < max && i >= n && (i - n) / 512 == i / 512 && m_dirty(m, i - n))
            n++;
        *base = BASE + PG(i + 1 - n);
        for (size_t k = i + 1 - n; k <= i; k++)
            m->alloc[k] = true;
        m->freePages -= n;
        m->scavSearchAddr = *base - PAGE;
        return n;
    }
    m->scavSearchAddr = UINTPTR_MAX;
    return 0;
}

static size_t random_npages(model *m)
{
    unsigned r = (unsigned)(rnd(m) % 100);
    if (r < 60)
        return 1 + rnd(m) % 8;
    if (r < 85)
        return 9 + rnd(m) % 56;
    if (r < 97)
        return 65 + rnd(m) % 456;
    return 521 + rnd(m) % 1000;
}

static void op_alloc(model *m, pageAlloc *p)
{
    size_t n = random_npages(m);
    uint64_t scav, mscav;
    uintptr_t want = m_alloc(m, n, &mscav);
    uintptr_t got = pageAlloc_alloc(p, n, &scav);
    ck_assert_msg(got == want, "alloc(%zu) = %#lx, model says %#lx", n, (unsigned long)got,
                  (unsigned long)want);
    if (got == 0)
        return;
    ck_assert_uint_eq(scav, mscav);
    if (m->nlive < M_LIVE) {
        m->live[m->nlive].addr = got;
        m->live[m->nlive++].npages = n;
    } else {
        pageAlloc_free(p, got, n);
        m_free(m, got, n, false);
    }
}

static void op_free(model *m, pageAlloc *p)
{
    if (m->nlive == 0)
        return;
    int k = (int)(rnd(m) % (uint64_t)m->nlive);
    pageAlloc_free(p, m->live[k].addr, m->live[k].npages);
    m_free(m, m->live[k].addr, m->live[k].npages, false);
    m->live[k] = m->live[--m->nlive];
}

static void op_scavenge(model *m, pageAlloc *p, bool allocWhileHeld)
{
    size_t max = 1 + rnd(m) % 200;
    uintptr_t base, mbase = 0;
    size_t top = p->end * 512 - BASE / PAGE - 1;
    size_t want = m_scavengeFind(m, max, top, &mbase);
    size_t got = pageAlloc_scavengeFind(p, max, &base);
    ck_assert_msg(got == want && (got == 0 || base == mbase),
                  "scavengeFind(%zu) = %zu at %#lx, model says %zu at %#lx", max, got,
                  (unsigned long)base, want, (unsigned long)mbase);
    ck_assert_uint_eq(p->scavSearchAddr, m->scavSearchAddr);
    if (got == 0)
        return;
    if (allocWhileHeld)
        op_alloc(m, p); /* the held run must not be handed out */
    pageAlloc_scavengeDone(p, base, got);
    m_free(m, base, got, true);
}

static void check_pages(const model *m, const pageAlloc *p)
{
    for (size_t i = 0; i < M_PAGES; i++) {
        ck_assert_int_eq(pageAlloc_allocated(p, BASE + PG(i)), !m->grown[i] || m->alloc[i]);
        ck_assert_int_eq(pageAlloc_scavenged(p, BASE + PG(i)), m->grown[i] && m->scav[i]);
    }
}

static void random_step(model *m, pageAlloc *p, int op)
{
    /* Grow in several places over time, filling a gap at the end. */
    if (op == 1000)
        m_grow(m, p, 12, 4);
    if (op == 2500)
        m_grow(m, p, 20, 1);
    if (op == 4000)
        m_grow(m, p, 3, 2);
    unsigned r = (unsigned)(rnd(m) % 100);
    if (r < 46)
        op_alloc(m, p);
    else if (r < 88)
        op_free(m, p);
    else
        op_scavenge(m, p, r >= 96);
    ck_assert_uint_eq(p->freePages, m->freePages);
    ck_assert_uint_eq(p->scavengedPages, m->scavengedPages);
    ck_assert_msg(pageAlloc_is_valid(p), "invalid after op %d", op);
    if (op % 500 == 0)
        check_pages(m, p);
}

START_TEST(test_random_against_model)
{
    static model m; /* 40 KiB of arrays: keep it off the stack */
    memset(&m, 0, sizeof(m));
    m.rng = 0x9e3779b97f4a7c15ULL;
    m.scavSearchAddr = UINTPTR_MAX;
    pageAlloc p;
    pa_setup(&p);
    m_grow(&m, &p, 0, 3);
    m_grow(&m, &p, 5, 1);
    m_grow(&m, &p, 8, 2);
    for (int op = 0; op < M_OPS; op++)
        random_step(&m, &p, op);
    check_pages(&m, &p);
    /* Free everything: all grown memory is free again, and coalesced. */
    while (m.nlive > 0)
        op_free(&m, &p);
    ck_assert_uint_eq(p.freePages, p.inUse / PAGE);
    ck_assert_uint_eq(p.inUse, 13 * CHUNK);
    ck_assert_uint_eq(alloc_n(&p, 6 * 512), BASE);
    pa_finish(&p);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pagealloc");
    TCase *tc = tcase_create("summaries");
    tcase_add_test(tc, test_pack_unpack);
    suite_add_tcase(s, tc);

    tc = tcase_create("grow");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_grow_one_chunk);
    tcase_add_test(tc, test_grow_nonadjacent);
    tcase_add_test(tc, test_root_entries);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_test(tc, test_alloc_lowest_fit);
    tcase_add_test(tc, test_alloc_across_chunks);
    tcase_add_test(tc, test_alloc_spanning_whole_chunk);
    tcase_add_test(tc, test_fragmentation);
    tcase_add_test(tc, test_exhaustion);
    tcase_add_test_raise_signal(tc, test_double_free_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("scavenge");
    tcase_add_test(tc, test_scavenged_accounting);
    tcase_add_test(tc, test_scavenge_highest_first);
    tcase_add_test(tc, test_scavenge_search_moves_down);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, test_random_against_model);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
