/*
 * rand.h — the workloads' random numbers: small, fast and reproducible.
 *
 * Internal to src/workload/.  Each P keeps its own state (no sharing, no
 * locks): wl_rand_seed derives it from the run's seed and the P's index with
 * splitmix64, so the same seed gives every P the same sequence on every run;
 * the stream itself is xorshift64* (Marsaglia; Vigna's multiplier), which is
 * plenty for choosing nodes and sizes.
 */
#ifndef HS_WORKLOAD_RAND_H
#define HS_WORKLOAD_RAND_H

#include <stdint.h>

typedef struct wl_rand {
    uint64_t s; /* never 0 */
} wl_rand;

static inline uint64_t wl_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline void wl_rand_seed(wl_rand *r, uint64_t seed, int stream)
{
    r->s = wl_splitmix64(seed ^ wl_splitmix64((uint64_t)stream + 1));
    if (r->s == 0)
        r->s = 1;
}

static inline uint64_t wl_rand_next(wl_rand *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; its bias is below 2^-32
 * for the n used here). */
static inline uint64_t wl_rand_below(wl_rand *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)wl_rand_next(r) * n) >> 64);
}

#endif
