/*
 * fragment.c — fill a few size classes, keep every k-th object: sparse
 * spans, partial mcentral sets, and free pages for the scavenger.
 *
 * Each P, round after round:
 *   1. fills a table ([]*T in the globals) with about `live`/P bytes of
 *      pointer-free objects, each of one of `classes` sizes (chosen from
 *      SIZES, so spans of 170, 32, 8 and 2 objects sit side by side);
 *   2. copies every `keep`-th object into a kept table, checking it, and
 *      drops the full table: after the next cycle the spans it filled hold
 *      one object in `keep`, and a span whose objects all went is free pages;
 *   3. checks and drops the kept table of the round before, so two rounds
 *      of survivors are live at a time.
 * The next round's objects go first into the holes of those sparse spans
 * (mcentral's partial sets), then into fresh spans; the survivors of the
 * two rounds before keep pages pinned that the heap cannot give back.
 * When the run ends the last two kept tables stay in the globals, so the
 * picture of the fragmented heap remains, and P 0 runs one more cycle so
 * the report's statistics show what survived.
 *
 * The seed picks each object's size class.
 *
 * Checks: every object holds the fill pattern of (P, round, index); every
 * survivor is checked when it is kept and again when its round is dropped,
 * and the last two rounds' at the end.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>

#define NS_PER_S 1000000000ULL
#define POLL_EVERY 256

/* Objects per 8 KiB span: 48 B 170, 1 KiB 8, 256 B 32, 4 KiB 2, ... */
static const size_t sizes[] = {48, 1024, 256, 4096, 16, 8192, 112, 2048};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static const uint8_t ptrs_mask[] = {0x01};
static const hs_type ptrs_type = {"[]*fragment.T", sizeof(void *), sizeof(void *), ptrs_mask};

enum { P_LIVE, P_KEEP, P_CLASSES, P_ROUNDS };

static const wl_param params[] = {
    {"live", WL_SIZE, 32 << 20, 64 << 10, (int64_t)1 << 40, "bytes of objects each round fills"},
    {"keep", WL_INT, 8, 1, 1000000, "keep every k-th object, drop the rest"},
    {"classes", WL_INT, 4, 1, NSIZES, "size classes used: 48B 1KiB 256B 4KiB 16B 8KiB 112B 2KiB"},
    {"rounds", WL_INT, 0, 0, 1000000000, "rounds per P, then stop; 0: until the duration ends"},
};

enum { G_TABLE, G_KEPT, G_PREV, G_PER_P };

typedef struct frag_shared {
    hs_memstats end; /* read by P 0 when every P is done */
    uint64_t rounds; /* atomic */
} frag_shared;

typedef struct frag_p {
    uint64_t tag;   /* P's part of every key */
    void **globals; /* this P's G_PER_P */
    size_t n;       /* objects a round */
    int classes;
    uint64_t keep;
    uint64_t kept_round, prev_round; /* the rounds of G_KEPT and G_PREV */
} frag_p;

static size_t objects_per_round(const int64_t *values, int nprocs)
{
    uint64_t mean = 0;
    for (int64_t i = 0; i < values[P_CLASSES]; i++)
        mean += sizes[i];
    mean /= (uint64_t)values[P_CLASSES];
    uint64_t n = (uint64_t)values[P_LIVE] / (uint64_t)nprocs / mean;
    return n > 0 ? (size_t)n : 1;
}

static uint64_t key_of(const frag_p *st, uint64_t round, size_t i)
{
    return wl_key(st->tag, round, i);
}

static size_t size_of(const frag_p *st, uint64_t key)
{
    return sizes[wl_splitmix64(key) % (uint64_t)st->classes];
}

/* Object i of a round. */
static bool object_ok(const frag_p *st, const void *p, uint64_t round, size_t i)
{
    uint64_t key = key_of(st, round, i);
    return p != NULL && wl_fill_ok(p, size_of(st, key), key);
}

/* A kept table of round `round`: entry j is the round's object j*keep + keep-1. */
static bool check_kept(mut_ctx *c, const frag_p *st, void *const *kept, uint64_t round)
{
    size_t n = st->n / st->keep;
    for (size_t j = 0; kept != NULL && j < n; j++) {
        size_t i = j * st->keep + st->keep - 1;
        void *p = hs_read_ptr(&kept[j]);
        if (!mut_check(c, object_ok(st, p, round, i), "object %zu of round %" PRIu64, i, round))
            return false;
        if (j % POLL_EVERY == 0)
            hs_safepoint(c->pp);
    }
    return true;
}

static bool fill_table(mut_ctx *c, frag_p *st, uint64_t round)
{
    void **t = mut_alloc(c, st->n * sizeof(void *), &ptrs_type);
    if (t == NULL)
        return false;
    hs_write_ptr(c->pp, &st->globals[G_TABLE], t);
    for (size_t i = 0; i < st->n; i++) {
        uint64_t key = key_of(st, round, i);
        size_t size = size_of(st, key);
        void *p = mut_alloc(c, size, NULL);
        if (p == NULL)
            return false;
        wl_fill(p, size, key);
        hs_write_ptr(c->pp, &t[i], p);
        if (i % POLL_EVERY == 0 && !mut_poll(c))
            return false;
    }
    return true;
}

/* Keep every keep-th object of the full table; the round before is checked
 * and dropped, the full table dropped. */
static bool thin(mut_ctx *c, frag_p *st, uint64_t round)
{
    size_t n = st->n / st->keep;
    if (!check_kept(c, st, hs_read_ptr(&st->globals[G_PREV]), st->prev_round))
        return false;
    void **kept = mut_alloc(c, (n > 0 ? n : 1) * sizeof(void *), &ptrs_type);
    if (kept == NULL)
        return false;
    hs_write_ptr(c->pp, &st->globals[G_PREV], hs_read_ptr(&st->globals[G_KEPT]));
    hs_write_ptr(c->pp, &st->globals[G_KEPT], kept);
    st->prev_round = st->kept_round;
    st->kept_round = round;
    void **t = hs_read_ptr(&st->globals[G_TABLE]);
    for (size_t j = 0; j < n; j++)
        hs_write_ptr(c->pp, &kept[j], hs_read_ptr(&t[j * st->keep + st->keep - 1]));
    hs_write_ptr(c->pp, &st->globals[G_TABLE], NULL);
    return check_kept(c, st, kept, round);
}

static void frag_run(mut_ctx *c)
{
    frag_shared *sh = c->shared;
    frag_p st = {
        .tag = wl_key(c->seed, (uint64_t)c->id, 0x66726167), /* "frag" */
        .globals = hs_runtime_globals(c->rt) + (size_t)c->id * G_PER_P,
        .n = objects_per_round(c->values, c->nprocs),
        .classes = (int)c->values[P_CLASSES],
        .keep = (uint64_t)c->values[P_KEEP],
    };
    uint64_t rounds = (uint64_t)c->values[P_ROUNDS], r;
    for (r = 1; (rounds == 0 || r <= rounds) && mut_poll(c); r++) {
        if (!fill_table(c, &st, r) || !thin(c, &st, r))
            break;
        c->ops++;
    }
    hs_write_ptr(c->pp, &st.globals[G_TABLE], NULL);
    check_kept(c, &st, hs_read_ptr(&st.globals[G_KEPT]), st.kept_round);
    check_kept(c, &st, hs_read_ptr(&st.globals[G_PREV]), st.prev_round);
    __atomic_fetch_add(&sh->rounds, c->ops, __ATOMIC_RELAXED);
    mut_final_memstats(c, &sh->end, true); /* after a cycle: what survives */
}

static void frag_report(const void *shared, const int64_t *values, FILE *out)
{
    const frag_shared *sh = shared;
    const hs_memstats *m = &sh->end;
    fprintf(out,
            "fragment: %" PRIu64 " rounds; spans in use %.1f MiB for %.1f MiB of objects (%.0f%% "
            "full); free pages %.1f MiB, %.1f MiB of them returned to the OS\n",
            sh->rounds, wl_mib(m->HeapInuse), wl_mib(m->HeapAlloc),
            m->HeapInuse ? 100.0 * (double)m->HeapAlloc / (double)m->HeapInuse : 0.0,
            wl_mib(m->HeapIdle), wl_mib(m->HeapReleased));
}

static size_t frag_nglobals(const int64_t *values, int nprocs)
{
    return (size_t)nprocs * G_PER_P;
}

const wl_scenario wl_fragment = {
    .name = "fragment",
    .help = "fill size classes, keep every k-th object: sparse spans, free pages",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(frag_shared),
    .nglobals = frag_nglobals,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = frag_run,
    .report = frag_report,
};
