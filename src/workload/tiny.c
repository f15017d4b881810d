/*
 * tiny.c — short pointer-free strings: the tiny allocator's 16-byte blocks.
 *
 * Go packs pointer-free objects under 16 bytes into 16-byte blocks, one
 * block per P at a time (mcache.tiny), each new string aligned to its size
 * and placed after the last: a block holds two to sixteen strings and stays
 * alive while any of them does.
 *
 * Each P keeps a table ([]*string in the globals) of `strings`/P strings of
 * 1 to `len` bytes.  It fills the table, then each step replaces the string
 * of a random slot: the old one becomes garbage, but its block is freed only
 * when every string in it is, so the heap holds more blocks than the live
 * strings need.  With len=16 or more some strings are small objects of
 * their own, for comparison.
 *
 * Checks: every string holds the fill pattern of (P, slot, generation); the
 * string a step replaces is checked first, and every slot at the end.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define POLL_EVERY 256

enum { P_STRINGS, P_LEN, P_STEPS };

static const wl_param params[] = {
    {"strings", WL_INT, 1000000, 1, 1000000000, "strings kept live"},
    {"len", WL_INT, 15, 1, 64, "longest string in bytes; under 16 all are tiny"},
    {"steps", WL_INT, 0, 0, 1000000000,
     "strings replaced per P, then stop; 0: until the duration ends"},
};

static const uint8_t ptrs_mask[] = {0x01};
static const hs_type ptrs_type = {"[]*string", sizeof(void *), sizeof(void *), ptrs_mask};

typedef struct tiny_shared {
    hs_memstats end; /* P 0's reading when every P is done */
    uint64_t steps;  /* atomic */
} tiny_shared;

typedef struct tiny_p {
    wl_rand rng;
    uint64_t tag;
    void **table; /* this P's []*string, from its global */
    size_t n;
    uint8_t *len;  /* [n] C memory */
    uint32_t *gen; /* [n] */
} tiny_p;

static size_t strings_per_p(const int64_t *values, int nprocs)
{
    uint64_t n = ((uint64_t)values[P_STRINGS] + (uint64_t)nprocs - 1) / (uint64_t)nprocs;
    return (size_t)n;
}

static uint64_t key_of(const tiny_p *st, size_t i)
{
    return wl_key(st->tag, i, st->gen[i]);
}

static bool check_string(mut_ctx *c, const tiny_p *st, size_t i)
{
    const void *p = hs_read_ptr(&st->table[i]);
    return mut_check(c, p != NULL && wl_fill_ok(p, st->len[i], key_of(st, i)), "string %zu", i);
}

static bool put(mut_ctx *c, tiny_p *st, size_t i, int64_t maxlen)
{
    size_t len = 1 + (size_t)wl_rand_below(&st->rng, (uint64_t)maxlen);
    void *p = mut_alloc(c, len, NULL);
    if (p == NULL)
        return false;
    st->gen[i]++;
    st->len[i] = (uint8_t)len;
    wl_fill(p, len, key_of(st, i));
    hs_write_ptr(c->pp, &st->table[i], p);
    return true;
}

static void replace_strings(mut_ctx *c, tiny_p *st)
{
    int64_t maxlen = c->values[P_LEN];
    for (size_t i = 0; i < st->n; i++)
        if (!put(c, st, i, maxlen) || (i % POLL_EVERY == 0 && !mut_poll(c)))
            return;
    uint64_t steps = (uint64_t)c->values[P_STEPS];
    for (uint64_t k = 0; (steps == 0 || k < steps) && mut_poll(c); k++) {
        size_t i = (size_t)wl_rand_below(&st->rng, st->n);
        if (!check_string(c, st, i) || !put(c, st, i, maxlen))
            return;
        c->ops++;
    }
}

static void tiny_run(mut_ctx *c)
{
    tiny_shared *sh = c->shared;
    tiny_p st = {
        .tag = (uint64_t)c->id << 48 | 0x74696e79, /* "tiny" */
        .n = strings_per_p(c->values, c->nprocs),
    };
    void **global = &hs_runtime_globals(c->rt)[c->id];
    st.len = calloc(st.n, sizeof *st.len);
    st.gen = calloc(st.n, sizeof *st.gen);
    wl_rand_seed(&st.rng, c->seed, c->id);
    if (st.len == NULL || st.gen == NULL) {
        mut_check(c, false, "no memory for the table of lengths");
    } else if ((st.table = mut_alloc(c, st.n * sizeof(void *), &ptrs_type)) != NULL) {
        hs_write_ptr(c->pp, global, st.table);
        replace_strings(c, &st);
        for (size_t i = 0; i < st.n && st.len[i] > 0; i++)
            if (!check_string(c, &st, i))
                break;
    }
    free(st.len);
    free(st.gen);
    __atomic_fetch_add(&sh->steps, c->ops, __ATOMIC_RELAXED);
    mut_final_memstats(c, &sh->end, false);
}

/* Go counts a string that starts a block as a 16-byte allocation, and only
 * the ones packed after it as tiny allocations. */
static void tiny_report(const void *shared, const int64_t *values, FILE *out)
{
    const tiny_shared *sh = shared;
    const hs_memstats *m = &sh->end;
    uint64_t blocks = m->BySize[hs_size_to_class(16)].Mallocs;
    uint64_t packed = m->TinyAllocs + blocks;
    fprintf(out,
            "tiny: %" PRIu64 " strings replaced; %" PRIu64 " 16-byte blocks held %" PRIu64
            " allocations (%.1f a block)\n",
            sh->steps, blocks, packed, blocks ? (double)packed / (double)blocks : 0.0);
}

const wl_scenario wl_tiny = {
    .name = "tiny",
    .help = "short pointer-free strings: the tiny allocator's 16-byte blocks",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(tiny_shared),
    .nglobals = wl_nglobals_per_p,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = tiny_run,
    .report = tiny_report,
};
