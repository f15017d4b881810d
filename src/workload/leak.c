/*
 * leak.c — a live set that only grows: every cycle marks more than the last,
 * so the heap goal climbs with it; under --max-heap the run ends in the
 * out-of-memory report.
 *
 * Each step of a P:
 *   1. `garbage` bytes of short-lived objects (structs and strings) that the
 *      step drops, as a program's ordinary work;
 *   2. `leak` bytes of objects of 16 to 512 bytes that it never drops: they
 *      go into chunks ([1024]*T, entry 0 the chunk before), the newest chunk
 *      in the P's global, like an append-only log or a cache that is never
 *      evicted.
 * With rate > 0 the Ps leak `rate` bytes per second between them, keeping to
 * the wall clock (mut_pace, which forgives time the world was stopped), so
 * the growth can be watched and a 10-second run does not take the machine's
 * memory; rate=0 leaks as fast as it can.
 *
 * Checks: every leaked object holds the fill pattern of (P, number); each
 * step checks one leaked object picked at random (the chunk addresses are
 * kept in C memory beside the chain, which roots them), and the end checks
 * them all.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define CHUNK 1024 /* entry 0 links the chunk before */
#define LEAK_MIN 16
#define LEAK_SPAN 497 /* leaked objects of 16..512 bytes */
#define GARBAGE_MAX 1024

enum { P_RATE, P_LEAK, P_GARBAGE, P_STEPS };

static const wl_param params[] = {
    {"rate", WL_SIZE, 8 << 20, 0, (int64_t)1 << 40,
     "bytes leaked per second; 0: as fast as it can"},
    {"leak", WL_SIZE, 4 << 10, 16, 64 << 20, "bytes leaked per step"},
    {"garbage", WL_SIZE, 16 << 10, 0, 64 << 20, "bytes of short-lived garbage per step"},
    {"steps", WL_INT, 0, 0, 1000000000, "steps per P, then stop; 0: until the duration ends"},
};

static const uint8_t ptrs_mask[] = {0x01};
static const hs_type ptrs_type = {"[]*leak.T", sizeof(void *), sizeof(void *), ptrs_mask};
static const uint8_t pair_mask[] = {0x03};
static const hs_type pair_type = {"leak.pair", 32, 16, pair_mask}; /* next, string, 2 words */

typedef struct leak_shared {
    uint64_t objects, bytes; /* atomic: leaked, added by each P at its end */
} leak_shared;

typedef struct leak_p {
    wl_rand rng;
    uint64_t tag;
    void **global;  /* the newest chunk */
    void ***chunks; /* C memory: every chunk, oldest first */
    size_t nchunks, capchunks;
    uint64_t leaked; /* objects */
    uint64_t bytes;  /* leaked */
    size_t in_chunk; /* entries used in the newest chunk, 1..CHUNK */
} leak_p;

static uint64_t key_of(const leak_p *st, uint64_t n)
{
    return wl_key(st->tag, n, 1);
}

static size_t leak_size(uint64_t key)
{
    return LEAK_MIN + (size_t)(wl_splitmix64(key) % LEAK_SPAN);
}

static bool leaked_ok(const leak_p *st, uint64_t n)
{
    void **chunk = st->chunks[n / (CHUNK - 1)];
    const void *p = hs_read_ptr(&chunk[1 + n % (CHUNK - 1)]);
    uint64_t key = key_of(st, n);
    return p != NULL && wl_fill_ok(p, leak_size(key), key);
}

static bool new_chunk(mut_ctx *c, leak_p *st)
{
    if (st->nchunks == st->capchunks) {
        size_t cap = st->capchunks ? 2 * st->capchunks : 64;
        void ***grown = realloc(st->chunks, cap * sizeof *grown);
        if (grown == NULL)
            return mut_check(c, false, "no memory for the list of chunks");
        st->chunks = grown;
        st->capchunks = cap;
    }
    void **chunk = mut_alloc(c, CHUNK * sizeof(void *), &ptrs_type);
    if (chunk == NULL)
        return false;
    hs_write_ptr(c->pp, &chunk[0], hs_read_ptr(st->global));
    hs_write_ptr(c->pp, st->global, chunk);
    st->chunks[st->nchunks++] = chunk;
    st->in_chunk = 1;
    return true;
}

static bool leak_bytes(mut_ctx *c, leak_p *st, uint64_t want)
{
    for (uint64_t done = 0; done < want;) {
        if (st->in_chunk == CHUNK && !new_chunk(c, st))
            return false;
        uint64_t key = key_of(st, st->leaked);
        size_t size = leak_size(key);
        void *p = mut_alloc(c, size, NULL);
        if (p == NULL)
            return false;
        wl_fill(p, size, key);
        void **chunk = st->chunks[st->nchunks - 1];
        hs_write_ptr(c->pp, &chunk[st->in_chunk++], p);
        st->leaked++;
        st->bytes += size;
        done += size;
    }
    return true;
}

/* Pairs (a struct and its string) chained from slot 0, dropped at the end. */
static bool make_garbage(mut_ctx *c, leak_p *st, void **slot)
{
    for (uint64_t done = 0; done < (uint64_t)c->values[P_GARBAGE];) {
        void **pair = mut_alloc(c, pair_type.size, &pair_type);
        if (pair == NULL)
            return false;
        hs_write_ptr(c->pp, &pair[0], *slot);
        *slot = pair;
        size_t len = 1 + (size_t)wl_rand_below(&st->rng, GARBAGE_MAX);
        void *str = mut_alloc(c, len, NULL);
        if (str == NULL)
            return false;
        hs_write_ptr(c->pp, &pair[1], str);
        done += pair_type.size + len;
    }
    *slot = NULL;
    return true;
}

static void leak_steps(mut_ctx *c, leak_p *st)
{
    const int64_t *v = c->values;
    double ns_per_step = 0; /* the P's share of rate */
    if (v[P_RATE] > 0)
        ns_per_step = (double)v[P_LEAK] * NS_PER_S * c->nprocs / (double)v[P_RATE];
    uint64_t steps = (uint64_t)v[P_STEPS];
    void **slot = &hs_g_slots(c->g)[0];
    for (uint64_t k = 0; (steps == 0 || k < steps) && mut_poll(c); k++) {
        if (ns_per_step > 0 && !mut_pace(c, (int64_t)(ns_per_step * (double)k)))
            break;
        if (!make_garbage(c, st, slot) || !leak_bytes(c, st, (uint64_t)v[P_LEAK]))
            break;
        uint64_t n = wl_rand_below(&st->rng, st->leaked);
        if (!mut_check(c, leaked_ok(st, n), "leaked object %" PRIu64, n))
            break;
        c->ops++;
    }
}

static void leak_run(mut_ctx *c)
{
    leak_p st = {
        .tag = (uint64_t)c->id << 48 | 0x6c65616b, /* "leak" */
        .global = &hs_runtime_globals(c->rt)[c->id],
        .in_chunk = CHUNK,
    };
    wl_rand_seed(&st.rng, c->seed, c->id);
    leak_steps(c, &st);
    for (uint64_t n = 0; n < st.leaked; n++) {
        if (!mut_check(c, leaked_ok(&st, n), "leaked object %" PRIu64 " at the end", n))
            break;
        if (n % 4096 == 0)
            hs_safepoint(c->pp);
    }
    free(st.chunks);
    leak_shared *sh = c->shared;
    __atomic_fetch_add(&sh->objects, st.leaked, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bytes, st.bytes, __ATOMIC_RELAXED);
}

static void leak_report(const void *shared, const int64_t *values, FILE *out)
{
    const leak_shared *sh = shared;
    fprintf(out, "leak: %.1f MiB leaked in %" PRIu64 " objects\n", (double)sh->bytes / (1 << 20),
            sh->objects);
}

const wl_scenario wl_leak = {
    .name = "leak",
    .help = "a live set that only grows: the heap goal climbs until --max-heap",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(leak_shared),
    .nglobals = wl_nglobals_per_p,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = leak_run,
    .report = leak_report,
};
