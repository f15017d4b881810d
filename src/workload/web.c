/*
 * web.c — a web server's heap: request handlers on every P, a long-lived LRU
 * cache, and load that rises and falls.
 *
 * Each P is a server.  Requests arrive on a schedule of their own (virtual
 * time): a Poisson process whose rate follows the load curve
 *
 *     load(t) = LOW + (1 - LOW) * (1 - cos(2 pi t / period)) / 2
 *
 * from LOW (10%) of `rate` at t = 0 to all of it at half a period and back.
 * Each request stays in flight for an exponential time of mean `latency`, so
 * by Little's law the P holds about rate * load * latency requests at once:
 * the live heap swells at the peak and drains at the trough, the pacer's goal
 * follows it, and at the trough the scavenger returns what the peak left.
 * With pace=1 the P waits for the wall clock to reach each arrival (its P
 * released meanwhile, as an idle server's), and time the world was stopped
 * (a pause, a step, Ctrl-Z) is forgiven, not caught up (pace.c); with
 * pace=0 it runs the schedule as fast as it can.  Either way the same seed
 * gives the same requests.
 *
 * One request, built when it arrives:
 *   1. a request struct, kept in a goroutine slot while in flight;
 *   2. 4 to 15 headers, a linked list of structs with a name and a value
 *      string each (mostly tiny and small pointer-free strings);
 *   3. parts: a []*part of structs of 32 to 512 bytes, each with a string,
 *      about `request` bytes in all;
 *   4. `big` requests in 1000 carry a body buffer of 64 KiB to 1 MiB;
 *   5. a cache lookup: on a hit the entry's value is checked and the entry
 *      moves to the front; on a miss a new value is made, inserted at the
 *      front, and entries are evicted from the back while the P's share of
 *      `cache` is exceeded.  The request keeps the value as its response.
 * When its time is up the request is checked whole and dropped.
 *
 * The cache is sharded: each P owns a hash table ([]*entry in the globals),
 * with entries chained per bucket and in one LRU list (head and tail in the
 * globals).  Every link is a pointer store under the write barrier.
 *
 * Checks: every struct carries a tag (magic, P, kind) in word 0 and ~tag in
 * its last word; every string, body and cache value holds the fill pattern
 * of a key the request or the cache key determines (fill.h).  A request is
 * checked whole when it retires, a cache value on every hit, and at the end
 * every request still in flight and the whole cache (LRU list against the
 * tables, byte count) are.
 *
 * P 0 also reads the runtime's statistics every 1/8 of a period of its
 * schedule; the report prints them, to show the heap following the load.
 *
 * The files: this one runs the servers (the load curve, requests in flight,
 * P 0's samples, the report); web_request.c builds and checks a request's
 * objects; web_cache.c is the LRU cache; web.h is what they share.
 */
#include <config.h>

#include "workload/web.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
#define LOW_LOAD 0.1
#define TAG_MAGIC ((uint64_t)0x77656273) /* "webs" */
#define MIN_INFLIGHT 64
#define MAX_INFLIGHT 65536
#define SAMPLES_PER_PERIOD 8
#define MAX_SAMPLES 256

/* ---- parameters ------------------------------------------------------------------- */

static const wl_param params[] = {
    {"rate", WL_INT, 10000, 1, 10000000, "requests per second on each P at the peak"},
    {"period", WL_INT, 20, 1, 86400, "seconds from one trough of the load to the next"},
    {"request", WL_SIZE, 8 << 10, 64, 1 << 20, "bytes of small objects per request, about"},
    {"big", WL_INT, 20, 0, 1000, "requests in 1000 with a 64KiB-1MiB body"},
    {"cache", WL_SIZE, 16 << 20, 64 << 10, (int64_t)1 << 40, "bytes the LRU cache holds"},
    {"latency", WL_INT, 100, 1, 60000, "milliseconds a request stays in flight, on average"},
    {"requests", WL_INT, 0, 0, 1000000000, "requests per P, then stop; 0: until the duration ends"},
    {"pace", WL_INT, 1, 0, 1, "1: keep to the wall clock; 0: run the schedule at full speed"},
};

/* ---- what the run shares ------------------------------------------------------------ */

typedef struct web_sample {
    double t_s, wall_s, load;
    uint64_t inflight;
    uint64_t heap_alloc, next_gc, heap_idle, released;
    uint32_t numgc;
} web_sample;

typedef struct web_shared {
    /* Written by P 0 only, read after join. */
    web_sample samples[MAX_SAMPLES]; /* a ring: the last MAX_SAMPLES */
    uint64_t nsamples;
    /* Added to by each P as it finishes (atomics), read after join. */
    uint64_t requests, hits, misses, evictions, bodies;
} web_shared;

/* ---- the load curve and the schedule
 * --------------------------------------------------------------- */

static size_t inflight_cap(const int64_t *values)
{
    double expect = (double)values[P_RATE] * (double)values[P_LATENCY] / 1000.0;
    double cap = 4 * expect + MIN_INFLIGHT;
    return cap > MAX_INFLIGHT ? MAX_INFLIGHT : (size_t)cap;
}

static double load_at(const int64_t *values, int64_t vt)
{
    double phase = (double)vt / ((double)values[P_PERIOD] * NS_PER_S);
    return LOW_LOAD + (1 - LOW_LOAD) * (1 - cos(2 * M_PI * phase)) / 2;
}

/* Uniform in (0, 1]. */
static double unit(wl_rand *r)
{
    return (double)((wl_rand_next(r) >> 11) + 1) / 9007199254740992.0;
}

static int64_t exponential_ns(wl_rand *r, double mean_ns)
{
    return (int64_t)(-log(unit(r)) * mean_ns) + 1;
}

/* ---- requests in flight ---------------------------------------------------------------- */

static void heap_push(web_p *st, web_flight f)
{
    size_t i = st->nflight++;
    while (i > 0 && st->heap[(i - 1) / 2].end > f.end) {
        st->heap[i] = st->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    st->heap[i] = f;
}

static web_flight heap_pop(web_p *st)
{
    web_flight top = st->heap[0], last = st->heap[--st->nflight];
    size_t i = 0, n = st->nflight;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && st->heap[k + 1].end < st->heap[k].end)
            k++;
        if (st->heap[k].end >= last.end)
            break;
        st->heap[i] = st->heap[k];
        i = k;
    }
    if (n > 0)
        st->heap[i] = last;
    return top;
}

/* The request that ends first: checked, then dropped. */
static bool retire_one(mut_ctx *c, web_p *st)
{
    web_flight f = heap_pop(st);
    web_req *q = st->slots[f.slot];
    const char *why = web_request_problem(st, q);
    bool ok = mut_check(c, why == NULL, "%s, request %" PRIu64, why, q ? q->id : 0);
    st->slots[f.slot] = NULL;
    st->free[st->nfree++] = f.slot;
    return ok;
}

/* Retire what ended by now, and one more when every slot is taken. */
static bool retire_due(mut_ctx *c, web_p *st)
{
    while (st->nflight > 0 && st->heap[0].end <= st->vt)
        if (!retire_one(c, st))
            return false;
    return st->nflight < st->cap || retire_one(c, st);
}

/* A new request, in flight once built (a request left half built by an
 * out-of-memory is dropped unchecked). */
static bool handle(mut_ctx *c, web_p *st)
{
    uint32_t slot = st->free[st->nfree - 1];
    if (!web_request_new(c, st, slot))
        return false;
    double mean = (double)c->values[P_LATENCY] * NS_PER_MS;
    st->nfree--;
    heap_push(st, (web_flight){st->vt + exponential_ns(&st->rng, mean), slot});
    return true;
}

/* ---- P 0's samples ------------------------------------------------------------------------ */

static void sample(mut_ctx *c, web_p *st)
{
    web_shared *sh = c->shared;
    hs_memstats ms;
    hs_read_memstats(c->rt, &ms);
    sh->samples[sh->nsamples++ % MAX_SAMPLES] = (web_sample){
        .t_s = (double)st->vt / NS_PER_S,
        .wall_s = (double)mut_clock(c) / NS_PER_S,
        .load = load_at(c->values, st->vt),
        .inflight = st->nflight,
        .heap_alloc = ms.HeapAlloc,
        .next_gc = ms.NextGC,
        .heap_idle = ms.HeapIdle,
        .released = ms.HeapReleased,
        .numgc = ms.NumGC,
    };
    st->next_sample += (int64_t)((uint64_t)c->values[P_PERIOD] * NS_PER_S / SAMPLES_PER_PERIOD);
}

/* ---- the scenario ----------------------------------------------------------------------- */

static bool web_p_init(mut_ctx *c, web_p *st)
{
    *st = (web_p){
        .tag_base = TAG_MAGIC << 32 | (uint64_t)(c->id & 0xffff) << 16,
        .slots = hs_g_slots(c->g),
        .globals = hs_runtime_globals(c->rt) + (size_t)c->id * G_PER_P,
        .cap = inflight_cap(c->values),
    };
    wl_rand_seed(&st->rng, c->seed, c->id);
    st->heap = malloc(st->cap * sizeof *st->heap);
    st->free = malloc(st->cap * sizeof *st->free);
    if (st->heap == NULL || st->free == NULL)
        return false;
    for (size_t i = 0; i < st->cap; i++)
        st->free[st->nfree++] = (uint32_t)(st->cap - 1 - i);
    return true;
}

static void web_p_finish(mut_ctx *c, web_p *st)
{
    while (st->nflight > 0 && retire_one(c, st))
        ;
    web_cache_check(c, st);
    web_shared *sh = c->shared;
    __atomic_fetch_add(&sh->requests, st->next_id, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->hits, st->hits, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->misses, st->misses, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->evictions, st->evictions, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bodies, st->bodies, __ATOMIC_RELAXED);
}

static void serve(mut_ctx *c, web_p *st)
{
    const int64_t *v = c->values;
    uint64_t limit = (uint64_t)v[P_REQUESTS];
    for (uint64_t i = 0; (limit == 0 || i < limit) && mut_poll(c); i++) {
        double rate = (double)v[P_RATE] * load_at(v, st->vt);
        st->vt += exponential_ns(&st->rng, NS_PER_S / rate);
        if (v[P_PACE] && !mut_pace(c, st->vt))
            break;
        if (c->id == 0 && st->vt >= st->next_sample)
            sample(c, st);
        if (!retire_due(c, st) || !handle(c, st))
            break;
        c->ops++;
    }
}

static void web_run(mut_ctx *c)
{
    web_p st;
    if (!web_p_init(c, &st)) {
        mut_check(c, false, "no memory for the table of requests in flight");
    } else if (web_cache_init(c, &st)) {
        serve(c, &st);
        web_p_finish(c, &st);
    }
    free(st.heap);
    free(st.free);
}

static void web_report(const void *shared, const int64_t *values, FILE *out)
{
    const web_shared *sh = shared;
    uint64_t n = sh->nsamples < MAX_SAMPLES ? sh->nsamples : MAX_SAMPLES;
    fprintf(out, "web: the heap as P 0's load rises and falls (every 1/%d period)\n",
            SAMPLES_PER_PERIOD);
    fprintf(out, "  schedule    wall  load  in flight  heap alloc  heap goal  heap idle  released  "
                 "GCs\n");
    for (uint64_t i = sh->nsamples - n; i < sh->nsamples; i++) {
        const web_sample *s = &sh->samples[i % MAX_SAMPLES];
        char goal[24] = "      none"; /* GOGC=off and no limit: no goal */
        if (s->next_gc != UINT64_MAX)
            snprintf(goal, sizeof goal, "%6.1f MiB", wl_mib(s->next_gc));
        fprintf(out,
                "  %7.1fs %6.1fs  %3.0f%%  %9" PRIu64 "  %6.1f MiB %s %6.1f MiB %5.1f MiB "
                "%4" PRIu32 "\n",
                s->t_s, s->wall_s, 100 * s->load, s->inflight, wl_mib(s->heap_alloc), goal,
                wl_mib(s->heap_idle), wl_mib(s->released), s->numgc);
    }
    uint64_t lookups = sh->hits + sh->misses;
    fprintf(out,
            "web: %" PRIu64 " requests, %" PRIu64 " with a big body; cache: %.0f%% hits, %" PRIu64
            " evictions\n",
            sh->requests, sh->bodies, lookups ? 100.0 * (double)sh->hits / (double)lookups : 0.0,
            sh->evictions);
}

static size_t web_nglobals(const int64_t *values, int nprocs)
{
    return (size_t)nprocs * G_PER_P;
}

static size_t web_nslots(const int64_t *values)
{
    return inflight_cap(values);
}

const wl_scenario wl_web = {
    .name = "web",
    .help = "request handlers, an LRU cache, and load that rises and falls",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 20 * NS_PER_S,
    .shared_size = sizeof(web_shared),
    .nglobals = web_nglobals,
    .nslots = web_nslots,
    .init = NULL,
    .run = web_run,
    .report = web_report,
};
