/*
 * large.c — objects over 32 KiB, of random sizes, replaced at random: the
 * page allocator's free runs split, fill and coalesce.
 *
 * Each P owns a table of slots in the runtime's globals (no heap object of
 * its own: everything this scenario allocates is large) holding about
 * `live`/P bytes.  It fills the table, then each step replaces the object
 * of a random slot with a new one of a size drawn log-uniformly from
 * [min, max] (as many 40 KiB objects as 400 KiB ones), a whole number of
 * bytes rather than of pages, as real programs ask.  Freed objects leave
 * runs of free pages between live ones; a new object takes the lowest run
 * that fits (the page allocator's first fit by address), so small holes stay
 * until their neighbours go and the runs coalesce.
 *
 * Checks: every object holds the fill pattern of (P, slot, generation); the
 * object a step replaces is checked first, and every slot at the end.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define MAX_SMALL (32 << 10)

enum { P_LIVE, P_MIN, P_MAX, P_STEPS };

static const wl_param params[] = {
    {"live", WL_SIZE, 64 << 20, 1 << 20, (int64_t)1 << 40, "bytes of large objects kept live"},
    {"min", WL_SIZE, 33 << 10, MAX_SMALL + 1, 1 << 30, "smallest object, over 32KiB"},
    {"max", WL_SIZE, 4 << 20, MAX_SMALL + 1, 1 << 30, "largest object (below min: min)"},
    {"steps", WL_INT, 0, 0, 1000000000,
     "replacements per P, then stop; 0: until the duration ends"},
};

typedef struct large_shared {
    hs_memstats end; /* P 0's reading when every P is done */
    uint64_t steps;  /* atomic */
} large_shared;

typedef struct large_p {
    wl_rand rng;
    uint64_t tag;
    void **slots; /* this P's part of the globals */
    size_t n;
    size_t *size;  /* [n] C memory: each slot's object size */
    uint32_t *gen; /* [n] */
    size_t min, max;
} large_p;

/* The mean of a log-uniform size on [a, b]. */
static double mean_size(const int64_t *values)
{
    double a = (double)values[P_MIN], b = (double)values[P_MAX];
    if (b <= a)
        return a;
    return (b - a) / (log(b) - log(a));
}

static size_t slots_per_p(const int64_t *values, int nprocs)
{
    double n = (double)values[P_LIVE] / mean_size(values) / nprocs;
    return n < 1 ? 1 : (size_t)ceil(n);
}

static uint64_t key_of(const large_p *st, size_t i)
{
    return wl_key(st->tag, i, st->gen[i]);
}

static size_t draw_size(large_p *st)
{
    double u = (double)(wl_rand_next(&st->rng) >> 11) / 9007199254740992.0;
    double lo = log((double)st->min), hi = log((double)st->max);
    size_t size = (size_t)exp(lo + u * (hi - lo));
    return size < st->min ? st->min : size > st->max ? st->max : size;
}

static bool check_slot(mut_ctx *c, const large_p *st, size_t i)
{
    const void *p = hs_read_ptr(&st->slots[i]);
    return mut_check(c, p != NULL && wl_fill_ok(p, st->size[i], key_of(st, i)),
                     "large object %zu (%zu bytes)", i, st->size[i]);
}

static bool put(mut_ctx *c, large_p *st, size_t i)
{
    size_t size = draw_size(st);
    void *p = mut_alloc(c, size, NULL);
    if (p == NULL)
        return false;
    st->gen[i]++;
    st->size[i] = size;
    wl_fill(p, size, key_of(st, i));
    hs_write_ptr(c->pp, &st->slots[i], p);
    return true;
}

static void churn_slots(mut_ctx *c, large_p *st)
{
    for (size_t i = 0; i < st->n; i++)
        if (!put(c, st, i) || !mut_poll(c))
            return;
    uint64_t steps = (uint64_t)c->values[P_STEPS];
    for (uint64_t k = 0; (steps == 0 || k < steps) && mut_poll(c); k++) {
        size_t i = (size_t)wl_rand_below(&st->rng, st->n);
        if (!check_slot(c, st, i) || !put(c, st, i))
            return;
        c->ops++;
    }
}

static void large_run(mut_ctx *c)
{
    large_shared *sh = c->shared;
    large_p st = {
        .tag = (uint64_t)c->id << 48 | 0x6c617267, /* "larg" */
        .n = slots_per_p(c->values, c->nprocs),
        .min = (size_t)c->values[P_MIN],
        .max = (size_t)(c->values[P_MAX] > c->values[P_MIN] ? c->values[P_MAX] : c->values[P_MIN]),
    };
    st.slots = hs_runtime_globals(c->rt) + (size_t)c->id * st.n;
    st.size = calloc(st.n, sizeof *st.size);
    st.gen = calloc(st.n, sizeof *st.gen);
    wl_rand_seed(&st.rng, c->seed, c->id);
    if (st.size == NULL || st.gen == NULL) {
        mut_check(c, false, "no memory for the table of sizes");
    } else {
        churn_slots(c, &st);
        for (size_t i = 0; i < st.n && st.size[i] > 0; i++)
            if (!check_slot(c, &st, i))
                break;
    }
    free(st.size);
    free(st.gen);
    __atomic_fetch_add(&sh->steps, c->ops, __ATOMIC_RELAXED);
    mut_final_memstats(c, &sh->end, false);
}

static void large_report(const void *shared, const int64_t *values, FILE *out)
{
    const large_shared *sh = shared;
    const hs_memstats *m = &sh->end;
    fprintf(out,
            "large: %" PRIu64 " objects replaced; %.1f MiB of spans in use for %.1f MiB "
            "allocated; %.1f MiB of free pages between them, %.1f MiB returned to the OS\n",
            sh->steps, wl_mib(m->HeapInuse), wl_mib(m->HeapAlloc), wl_mib(m->HeapIdle),
            wl_mib(m->HeapReleased));
}

static size_t large_nglobals(const int64_t *values, int nprocs)
{
    return (size_t)nprocs * slots_per_p(values, nprocs);
}

const wl_scenario wl_large = {
    .name = "large",
    .help = "objects over 32KiB of random sizes: the page allocator's free runs",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(large_shared),
    .nglobals = large_nglobals,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = large_run,
    .report = large_report,
};
