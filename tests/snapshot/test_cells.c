/*
 * test_cells.c — a span's cells from its bitmaps (src/snapshot/cells.c):
 * both ways of building them agree with one object at a time, at every
 * span length and freeindex, and write no byte past the span's cells.
 */
#include <string.h>

#include "../testutil.h"
#include "snapshot/capture.h"

enum { maxWords = 16, maxObjects = 64 * maxWords };

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Object i's cell, as snapshot.h defines it. */
static unsigned cell_of(const uint64_t *A, const uint64_t *M, const uint64_t *S, unsigned i,
                        unsigned f)
{
    bool a = i < f || ((A[i / 64] >> (i % 64)) & 1);
    bool m = (M[i / 64] >> (i % 64)) & 1, s = (S[i / 64] >> (i % 64)) & 1;
    if (!a)
        return HS_CELL_FREE;
    if (!m)
        return HS_CELL_WHITE;
    return s ? HS_CELL_BLACK : HS_CELL_GRAY;
}

/* Encode s both ways into a guarded buffer and check every cell and the
 * count against the reference. */
static void check_span(mspan *s, unsigned f)
{
    bool ways[2] = {false, cells_fast_usable()};
    for (int k = 0; k < (ways[1] ? 2 : 1); k++) {
        uint8_t out[maxObjects / 4 + 16];
        memset(out, 0xa5, sizeof(out));
        uint16_t count = cells_encode(s, s->nelems, (uint16_t)f, out, ways[k]);
        unsigned want = 0, bytes = (s->nelems + 3u) / 4u;
        for (unsigned i = 0; i < s->nelems; i++) {
            /* A pointer-free span's marked objects are black (no scan bits). */
            const uint64_t *S = spanClass_noscan(s->spanclass) ? s->gcmarkBits : s->gcscanBits;
            unsigned c = cell_of(s->allocBits, s->gcmarkBits, S, i, f);
            want += c != HS_CELL_FREE;
            ck_assert_uint_eq((out[i / 4] >> (2 * (i % 4))) & 3, c);
        }
        for (unsigned i = s->nelems; i < 4 * bytes; i++)
            ck_assert_uint_eq((out[i / 4] >> (2 * (i % 4))) & 3, HS_CELL_FREE);
        ck_assert_uint_eq(count, want);
        for (unsigned i = bytes; i < sizeof(out); i++)
            ck_assert_uint_eq(out[i], 0xa5); /* the next span's cells are untouched */
    }
}

START_TEST(test_cells_agree_with_objects)
{
    uint64_t A[maxWords], M[maxWords], S[maxWords], x = 0x9e3779b97f4a7c15ull;
    mspan s;
    memset(&s, 0, sizeof(s));
    s.allocBits = A;
    s.gcmarkBits = M;
    s.gcscanBits = S;
    unsigned lengths[] = {1, 2, 3, 4, 5, 63, 64, 65, 127, 128, 170, 341, 512, 1024};
    for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
        s.nelems = (uint16_t)lengths[l];
        for (int round = 0; round < 20; round++) {
            for (int w = 0; w < maxWords; w++) {
                A[w] = next_rand(&x);
                M[w] = next_rand(&x) & (round % 4 ? A[w] : ~(uint64_t)0); /* stray marks too */
                S[w] = next_rand(&x) & M[w];
            }
            unsigned f = (unsigned)(next_rand(&x) % (s.nelems + 1u));
            s.spanclass = (spanClass)(2 * 5 + round % 2); /* every other round pointer-free */
            check_span(&s, round % 5 ? f : 0);
        }
    }
}
END_TEST

static Suite *cells_suite(void)
{
    Suite *s = suite_create("cells");
    TCase *tc = tcase_create("encode");
    tcase_add_test(tc, test_cells_agree_with_objects);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(cells_suite)
