/*
 * cells.c — a span's 2-bit cells, built from its bitmaps 64 objects at a
 * time.
 *
 * Per word of 64 objects: allocated A = allocBits | (index < freeindex),
 * marked M = gcmarkBits, scanned S = gcscanBits (M itself in a pointer-free
 * span, whose marked objects are black; a Green Tea span's inline marks and
 * scans folded in, see below); the cells' low bits are
 * A & (!M | S) and their high bits A & M, interleaved into 16 bytes, low bits
 * first, so free = 0, white = 1, gray = 2, black = 3 (snapshot.h).
 *
 * This is most of a capture's CPU on a heap of small objects (a million
 * objects a frame on binary-trees), so each word costs a handful of
 * instructions: the interleave is two PDEPs a half word where BMI2 is fast
 * (not on AMD's first two Zen generations, whose PDEP is microcoded), and
 * shifts and masks elsewhere; the count is one POPCNT (the portable build
 * would otherwise call libgcc's); whole words are stored 16 bytes at once.
 * The choice is made once per capturer (cells_fast_usable), not per call.
 *
 * The bitmaps are read with relaxed atomic loads: the caller makes the
 * reading safe (heapwalk.c: the span is on a set under its lock, or touched
 * by a CAS of its sweepgen after the read).
 */
#include <string.h>

#include "snapshot/capture.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CELLS_HAVE_BMI2 1
#else
#define CELLS_HAVE_BMI2 0
#endif

/* Slots of word w below freeindex f: allocated whatever allocBits says. */
static inline uint64_t belowFreeindex(uint16_t f, unsigned w)
{
    if (f >= 64 * (w + 1))
        return ~(uint64_t)0;
    if (f <= 64 * w)
        return 0;
    return ((uint64_t)1 << (f - 64 * w)) - 1;
}

static const uint64_t *loadBits(uint64_t *const *field)
{
    return __atomic_load_n(field, __ATOMIC_RELAXED);
}

/* Green Tea: fold the span's inline marks and scans into m and sc. */
static void inlineBits(const mspan *s, unsigned w, uint64_t *m, uint64_t *sc)
{
    const spanInlineMarkBits *imb = spanInlineMarkBitsFromBase(s->startAddr);
    uint64_t keep = w == 7 ? ~inlineBitsTopByte : ~(uint64_t)0; /* owned, class */
    uint64_t im = atomic_load_relaxed_u64(&imb->marks[w]) & keep;
    uint64_t is = atomic_load_relaxed_u64(&imb->scans[w]) & keep;
    *m |= im;
    *sc |= spanClass_noscan(s->spanclass) ? im : is; /* pointer-free: seen is black */
}

/* Store the n (<= 16) cell bytes of one word: cell i is bits 2i, 2i+1 of
 * w[0..1] read as one little-endian 128-bit number. */
static inline void storeCells(uint8_t *out, const uint64_t w[2], unsigned n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 16)
        memcpy(out, w, 16);
    else
        memcpy(out, w, n); /* the span's last word: the next span's cells follow */
#else
    for (unsigned i = 0; i < n; i++)
        out[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
#endif
}

/* ---- one word, two ways ------------------------------------------------------------ */

static inline unsigned popcountSWAR(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Cells of one word from its low and high bits; returns the allocated count. */
static inline __attribute__((always_inline)) unsigned wordSWAR(uint8_t *out, uint64_t a,
                                                               uint64_t lo, uint64_t hi, unsigned n)
{
    uint64_t w[2] = {bitsSpread32(lo) | bitsSpread32(hi) << 1,
                     bitsSpread32(lo >> 32) | bitsSpread32(hi >> 32) << 1};
    storeCells(out, w, n);
    return popcountSWAR(a);
}

#if CELLS_HAVE_BMI2
static inline __attribute__((always_inline, target("bmi2,popcnt"))) unsigned
wordBMI2(uint8_t *out, uint64_t a, uint64_t lo, uint64_t hi, unsigned n)
{
    const uint64_t even = 0x5555555555555555ull, odd = 0xaaaaaaaaaaaaaaaaull;
    uint64_t w[2] = {_pdep_u64(lo, even) | _pdep_u64(hi, odd),
                     _pdep_u64(lo >> 32, even) | _pdep_u64(hi >> 32, odd)};
    storeCells(out, w, n);
    return (unsigned)_mm_popcnt_u64(a);
}
#endif

typedef unsigned (*wordFn)(uint8_t *out, uint64_t a, uint64_t lo, uint64_t hi, unsigned n);

/* The span's words, each through word (inlined into each caller below). */
static inline __attribute__((always_inline)) uint16_t
encodeWith(const mspan *s, uint16_t nelems, uint16_t f, uint8_t *out, wordFn word)
{
    const uint64_t *A = loadBits(&s->allocBits), *M = loadBits(&s->gcmarkBits);
    const uint64_t *S = loadBits(&s->gcscanBits);
    unsigned words = (nelems + 63u) / 64u, count = 0;
    bool inl = s->inlineMarks, noscan = spanClass_noscan(s->spanclass);
    for (unsigned w = 0; w < words; w++) {
        unsigned left = nelems - 64 * w;
        uint64_t live = left >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << left) - 1;
        uint64_t a = (atomic_load_relaxed_u64(&A[w]) | belowFreeindex(f, w)) & live;
        uint64_t m = atomic_load_relaxed_u64(&M[w]);
        /* A pointer-free object is greyed by its mark alone (Go's greyobject):
         * marked is black. */
        uint64_t sc = noscan ? m : atomic_load_relaxed_u64(&S[w]);
        if (inl)
            inlineBits(s, w, &m, &sc);
        count += word(out + 16 * w, a, a & (~m | sc), a & m, left >= 64 ? 16 : (left + 3) / 4);
    }
    return (uint16_t)count;
}

static uint16_t encodeSWAR(const mspan *s, uint16_t nelems, uint16_t f, uint8_t *out)
{
    return encodeWith(s, nelems, f, out, wordSWAR);
}

#if CELLS_HAVE_BMI2
__attribute__((target("bmi2,popcnt"))) static uint16_t encodeBMI2(const mspan *s, uint16_t nelems,
                                                                  uint16_t f, uint8_t *out)
{
    return encodeWith(s, nelems, f, out, wordBMI2);
}
#endif

bool cells_fast_usable(void)
{
#if CELLS_HAVE_BMI2
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") &&
           !__builtin_cpu_is("znver1") && !__builtin_cpu_is("znver2");
#else
    return false;
#endif
}

uint16_t cells_encode(const mspan *s, uint16_t nelems, uint16_t freeindex, uint8_t *out, bool fast)
{
#if CELLS_HAVE_BMI2
    if (fast)
        return encodeBMI2(s, nelems, freeindex, out);
#else
    (void)fast;
#endif
    return encodeSWAR(s, nelems, freeindex, out);
}
