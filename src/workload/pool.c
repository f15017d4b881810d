/*
 * pool.c — the same jobs with and without object reuse: reuse=1 takes each
 * job's scratch buffers from a free list and gives them back, reuse=0 makes
 * them new every time and drops them.  Compare the two runs' GC cycles.
 *
 * One job, in both modes:
 *   1. a job struct with a []*buffer of `buffers` entries and a result
 *      string (what any job allocates, pool or not);
 *   2. `buffers` scratch buffers of `size` bytes, taken from the P's pool
 *      when reuse=1 and it has one, else allocated;
 *   3. the job writes its data into every buffer, checks it, writes the
 *      result, and drops the job; the buffers go back to the pool (reuse=1)
 *      or become garbage (reuse=0).
 * The pool is a free list (a []*buffer in the P's global, its count and the
 * key of what each buffer last held in C memory), like a sync.Pool that the
 * collector never empties: with reuse=1 buffers are made only while the
 * pool fills, and the heap grows by little more than the job structs.
 *
 * Checks: a buffer still holds the previous job's data when the pool hands
 * it out, and the new job's once written; the job struct's tag.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define RESULT_MIN 64
#define RESULT_SPAN 193 /* result strings of 64..256 bytes */

enum { P_REUSE, P_SIZE, P_BUFFERS, P_STEPS };

static const wl_param params[] = {
    {"reuse", WL_INT, 1, 0, 1, "1: buffers from a free list; 0: new ones for every job"},
    {"size", WL_SIZE, 16 << 10, 1, 64 << 20, "bytes of each scratch buffer"},
    {"buffers", WL_INT, 8, 1, 1024, "scratch buffers per job"},
    {"steps", WL_INT, 0, 0, 1000000000, "jobs per P, then stop; 0: until the duration ends"},
};

typedef struct pool_job {
    uint64_t tag;
    void *bufs;   /* []*buffer */
    void *result; /* string */
    uint64_t guard;
} pool_job;

static const uint8_t job_mask[] = {0x06}, ptrs_mask[] = {0x01};
static const hs_type job_type = {"pool.job", sizeof(pool_job), 3 * 8, job_mask};
static const hs_type ptrs_type = {"[]*pool.buffer", sizeof(void *), sizeof(void *), ptrs_mask};

typedef struct pool_shared {
    uint64_t jobs, bytes, made, reused; /* atomic: each P adds its own at the end */
} pool_shared;

typedef struct pool_p {
    wl_rand rng;
    uint64_t tag;
    void **global;  /* the pool: []*buffer */
    uint64_t *keys; /* [buffers] C memory: what each pooled buffer holds */
    size_t npooled;
    uint64_t bytes, made, reused;
} pool_p;

static void *counted_alloc(mut_ctx *c, pool_p *st, size_t size, const hs_type *typ)
{
    st->bytes += size;
    return mut_alloc(c, size, typ);
}

/* A buffer for a job: from the pool (checked) or new. */
static void *get_buffer(mut_ctx *c, pool_p *st)
{
    size_t size = (size_t)c->values[P_SIZE];
    if (st->npooled == 0) {
        st->made++;
        return counted_alloc(c, st, size, NULL);
    }
    void **pool = hs_read_ptr(st->global);
    size_t k = --st->npooled;
    void *b = hs_read_ptr(&pool[k]);
    hs_write_ptr(c->pp, &pool[k], NULL);
    st->reused++;
    if (!mut_check(c, b != NULL && wl_fill_ok(b, size, st->keys[k]), "pooled buffer %zu", k))
        return NULL;
    return b;
}

static void put_buffer(mut_ctx *c, pool_p *st, void *b, uint64_t key)
{
    void **pool = hs_read_ptr(st->global);
    st->keys[st->npooled] = key;
    hs_write_ptr(c->pp, &pool[st->npooled++], b);
}

/* The job's buffers, written and checked; false to stop. */
static bool use_buffers(mut_ctx *c, pool_p *st, pool_job *job, uint64_t j)
{
    size_t size = (size_t)c->values[P_SIZE], n = (size_t)c->values[P_BUFFERS];
    void **bufs = hs_read_ptr(&job->bufs);
    for (size_t i = 0; i < n; i++) {
        void *b = get_buffer(c, st);
        if (b == NULL)
            return false;
        wl_fill(b, size, wl_key(st->tag, j, i));
        hs_write_ptr(c->pp, &bufs[i], b);
    }
    for (size_t i = 0; i < n; i++)
        if (!mut_check(c, wl_fill_ok(hs_read_ptr(&bufs[i]), size, wl_key(st->tag, j, i)),
                       "buffer %zu of job %" PRIu64, i, j))
            return false;
    return true;
}

static bool job(mut_ctx *c, pool_p *st, void **slot, uint64_t j)
{
    size_t n = (size_t)c->values[P_BUFFERS];
    pool_job *job = counted_alloc(c, st, sizeof *job, &job_type);
    if (job == NULL)
        return false;
    job->tag = st->tag | 1;
    job->guard = ~job->tag;
    *slot = job;
    void **bufs = counted_alloc(c, st, n * sizeof(void *), &ptrs_type);
    if (bufs == NULL)
        return false;
    hs_write_ptr(c->pp, &job->bufs, bufs);
    if (!use_buffers(c, st, job, j))
        return false;
    size_t len = RESULT_MIN + (size_t)wl_rand_below(&st->rng, RESULT_SPAN);
    void *result = counted_alloc(c, st, len, NULL);
    if (result == NULL)
        return false;
    wl_fill(result, len, wl_key(st->tag, j, n));
    hs_write_ptr(c->pp, &job->result, result);
    if (!mut_check(c, job->tag == (st->tag | 1) && job->guard == ~job->tag, "job %" PRIu64, j))
        return false;
    for (size_t i = 0; c->values[P_REUSE] && i < n; i++)
        put_buffer(c, st, hs_read_ptr(&bufs[i]), wl_key(st->tag, j, i));
    *slot = NULL;
    return true;
}

static void pool_run(mut_ctx *c)
{
    size_t n = (size_t)c->values[P_BUFFERS];
    pool_p st = {
        .tag = (uint64_t)c->id << 48 | (uint64_t)0x706f6f6c << 8, /* "pool" */
        .global = &hs_runtime_globals(c->rt)[c->id],
        .keys = calloc(n, sizeof(uint64_t)),
    };
    wl_rand_seed(&st.rng, c->seed, c->id);
    void **pool = st.keys != NULL ? counted_alloc(c, &st, n * sizeof(void *), &ptrs_type) : NULL;
    if (pool != NULL) {
        hs_write_ptr(c->pp, st.global, pool);
        uint64_t steps = (uint64_t)c->values[P_STEPS];
        for (uint64_t j = 0; (steps == 0 || j < steps) && mut_poll(c); j++) {
            if (!job(c, &st, &hs_g_slots(c->g)[0], j))
                break;
            c->ops++;
        }
    } else if (st.keys == NULL) {
        mut_check(c, false, "no memory for the pool's keys");
    }
    free(st.keys);
    pool_shared *sh = c->shared;
    __atomic_fetch_add(&sh->jobs, c->ops, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bytes, st.bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->made, st.made, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->reused, st.reused, __ATOMIC_RELAXED);
}

static void pool_report(const void *shared, const int64_t *values, FILE *out)
{
    const pool_shared *sh = shared;
    fprintf(out,
            "pool: reuse=%d: %" PRIu64 " jobs allocated %.1f MiB (%.0f bytes a job); %" PRIu64
            " buffers made, %" PRIu64 " reused\n",
            (int)values[P_REUSE], sh->jobs, (double)sh->bytes / (1 << 20),
            sh->jobs ? (double)sh->bytes / (double)sh->jobs : 0.0, sh->made, sh->reused);
}

const wl_scenario wl_pool = {
    .name = "pool",
    .help = "the same jobs with scratch buffers reused (reuse=1) or new (reuse=0)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(pool_shared),
    .nglobals = wl_nglobals_per_p,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = pool_run,
    .report = pool_report,
};
