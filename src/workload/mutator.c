/*
 * mutator.c — runs a scenario on every P: one thread per P (Go's Ms), each
 * driving its P and its goroutine.
 *
 * A run, step by step:
 *   1. hs_mutators_start: the scenario's shared block is made and init'ed,
 *      then one thread per P is created; they wait at a gate until every
 *      thread exists, so the number of threads is known before any barrier.
 *   2. Each thread: hs_p_acquire, hs_g_new (the scenario's slot count), the
 *      scenario's run(), hs_g_free, hs_p_release.
 *   3. The caller waits (hs_mutators_wait), which stops the run once the
 *      deadline passes, then joins (hs_mutators_join): threads joined,
 *      counters summed, the scenario's report written, the result filled.
 *
 * Stopping.  `stop` is one atomic flag the mutators read at every back-edge
 * (mut_poll).  It is raised by the deadline, by hs_mutators_stop, and by the
 * first terminal event: a failed check, out of memory, an error.  The first
 * terminal event is kept (end, message); later ones only count.
 *
 * Barriers.  mut_barrier releases the caller's P while it waits, so the
 * collector may stop the world without it, and returns at once once the run
 * is stopped: a P that stopped early cannot leave the others waiting.
 *
 * Locking: `lock` guards every field marked (lock); `stop` is atomic; the
 * rest is immutable after start, except each mut_ctx, owned by its thread
 * until join.
 */
#include <config.h>

#include "workload/scenario.h"
#include "workload/rand.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000LL
#define PACE_SLICE_NS 20000000LL /* mut_pace sleeps at most this long before looking at stop */
#define PACE_SLACK_NS 200000LL   /* ahead by less than this: not worth a sleep */

struct hs_mutators {
    const hs_workload *w; /* immutable */
    hs_runtime *rt;       /* immutable */
    void *shared;         /* the scenario's block */
    FILE *out;            /* immutable */
    int nprocs;           /* immutable */
    int64_t deadline;     /* immutable: CLOCK_MONOTONIC ns, 0 = none */
    int64_t start;        /* CLOCK_MONOTONIC ns when the gate opened; set before it opens */
    uint32_t stop;        /* atomic: 1 once the run should stop */
    mut_ctx *ctx;         /* [nprocs] */
    pthread_t *threads;   /* [nthreads] */

    pthread_mutex_t lock;
    pthread_cond_t cond;  /* the gate opened, a thread finished, a barrier passed, stop */
    bool gate_open;       /* lock */
    int nthreads;         /* lock, then immutable once the gate is open */
    int finished;         /* lock */
    int barrier_waiting;  /* lock */
    uint64_t barrier_gen; /* lock */
    bool stopped_early;   /* lock: stopped from outside before every thread finished */
    bool ended;           /* lock: a terminal event happened */
    hs_workload_end end;  /* lock */
    char message[256];    /* lock */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / NS_PER_S, .tv_nsec = ns % NS_PER_S};
}

/* ---- stopping and terminal events --------------------------------------------- */

/* lock held */
static void raise_stop(mut_run *r)
{
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&r->cond);
}

static void record_end(mut_run *r, hs_workload_end end, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&r->lock);
    if (!r->ended) {
        r->ended = true;
        r->end = end;
        vsnprintf(r->message, sizeof r->message, fmt, ap);
    }
    raise_stop(r);
    pthread_mutex_unlock(&r->lock);
}

__attribute__((format(printf, 3, 4))) static void end_run(mut_run *r, hs_workload_end end,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_end(r, end, fmt, ap);
    va_end(ap);
}

void hs_mutators_stop(hs_mutators *m)
{
    pthread_mutex_lock(&m->lock);
    if (m->finished < m->nthreads || !m->gate_open)
        m->stopped_early = true;
    raise_stop(m);
    pthread_mutex_unlock(&m->lock);
}

/* ---- what scenarios call ------------------------------------------------------ */

bool mut_running(const mut_ctx *c)
{
    return __atomic_load_n(&c->run->stop, __ATOMIC_RELAXED) == 0;
}

bool mut_poll(mut_ctx *c)
{
    hs_safepoint(c->pp);
    return mut_running(c);
}

/* What one allocation adds to its P's hash: its size and its type's shape. */
static uint64_t alloc_key(size_t size, const hs_type *typ)
{
    uint64_t k = (uint64_t)size;
    if (typ != NULL)
        k ^= (uint64_t)typ->size << 24 ^ (uint64_t)typ->ptrbytes << 44;
    return k;
}

void *mut_alloc(mut_ctx *c, size_t size, const hs_type *typ)
{
    c->allocs++;
    /* One multiply per allocation (a polynomial hash of the sequence, mixed
     * well once at the end): the hash is on every allocation's path. */
    c->alloc_hash = (c->alloc_hash + alloc_key(size, typ)) * 0x9e3779b97f4a7c15ULL;
    void *p = hs_malloc(c->pp, size, typ);
    if (p != NULL || size == 0)
        return p;
    if (hs_runtime_oom(c->rt).happened)
        end_run(c->run, HS_END_OOM, "out of memory on P %d allocating %zu bytes", c->id, size);
    else
        end_run(c->run, HS_END_ERROR, "P %d could not allocate %zu bytes: %s", c->id, size,
                hs_runtime_error(c->rt));
    return NULL;
}

hs_g *mut_g_new(mut_ctx *c, size_t nslots)
{
    hs_g *g = hs_g_new(c->pp, nslots);
    if (g == NULL)
        end_run(c->run, HS_END_ERROR, "P %d could not make a goroutine of %zu slots", c->id,
                nslots);
    return g;
}

bool mut_check(mut_ctx *c, bool ok, const char *fmt, ...)
{
    if (ok) {
        c->checks_passed++;
        return true;
    }
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->checks_failed++;
    end_run(c->run, HS_END_CHECK_FAILED, "check failed on P %d: %s", c->id, what);
    return false;
}

void mut_barrier(mut_ctx *c)
{
    mut_run *r = c->run;
    hs_p_release(c->pp);
    pthread_mutex_lock(&r->lock);
    uint64_t gen = r->barrier_gen;
    if (++r->barrier_waiting == r->nthreads) {
        r->barrier_waiting = 0;
        r->barrier_gen++;
        pthread_cond_broadcast(&r->cond);
    }
    while (r->barrier_gen == gen && __atomic_load_n(&r->stop, __ATOMIC_RELAXED) == 0)
        pthread_cond_wait(&r->cond, &r->lock);
    if (r->barrier_gen == gen)
        r->barrier_waiting--; /* left because of stop: no longer waiting */
    pthread_mutex_unlock(&r->lock);
    hs_p_acquire(c->pp);
}

void mut_final_memstats(mut_ctx *c, hs_memstats *ms, bool collect)
{
    mut_barrier(c);
    if (c->id != 0)
        return;
    if (collect)
        hs_gc(c->rt, c->pp);
    hs_read_memstats(c->rt, ms);
}

int64_t mut_clock(const mut_ctx *c)
{
    return now_ns() - c->run->start;
}

bool mut_pace(mut_ctx *c, int64_t at_ns)
{
    for (;;) {
        if (!mut_running(c))
            return false;
        int64_t ahead = wl_pace_ahead(&c->pace, at_ns, mut_clock(c));
        if (ahead < PACE_SLACK_NS)
            return true;
        struct timespec ts = to_timespec(ahead < PACE_SLICE_NS ? ahead : PACE_SLICE_NS);
        hs_p_release(c->pp);
        nanosleep(&ts, NULL);
        hs_p_acquire(c->pp);
    }
}

/* ---- the threads -------------------------------------------------------------- */

static void wait_gate(mut_run *r)
{
    pthread_mutex_lock(&r->lock);
    while (!r->gate_open)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

static void thread_finished(mut_run *r)
{
    pthread_mutex_lock(&r->lock);
    r->finished++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void *mutator_main(void *arg)
{
    mut_ctx *c = arg;
    mut_run *r = c->run;
    const wl_scenario *sc = r->w->sc;
    wait_gate(r);
    hs_p_acquire(c->pp);
    c->g = mut_g_new(c, sc->nslots(c->values));
    if (c->g != NULL) {
        sc->run(c);
        hs_g_free(c->g);
        c->g = NULL;
    }
    hs_p_release(c->pp);
    thread_finished(r);
    return NULL;
}

/* ---- start, wait, join ------------------------------------------------------- */

static void run_free(mut_run *r)
{
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->threads);
    free(r->ctx);
    free(r->shared);
    free(r);
}

static mut_run *run_new(const hs_workload *w, hs_runtime *rt, const hs_mutator_opts *o)
{
    mut_run *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->w = w;
    r->rt = rt;
    r->out = o->out;
    r->nprocs = hs_runtime_nprocs(rt);
    r->deadline = o->duration_ns > 0 ? now_ns() + (int64_t)o->duration_ns : 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->lock, NULL);
    r->shared = calloc(1, w->sc->shared_size > 0 ? w->sc->shared_size : 1);
    r->ctx = aligned_alloc(MUT_CTX_ALIGN, (size_t)r->nprocs * sizeof *r->ctx);
    if (r->ctx != NULL)
        memset(r->ctx, 0, (size_t)r->nprocs * sizeof *r->ctx);
    r->threads = calloc((size_t)r->nprocs, sizeof *r->threads);
    if (r->shared == NULL || r->ctx == NULL || r->threads == NULL) {
        run_free(r);
        return NULL;
    }
    return r;
}

static void ctx_init(mut_run *r, int i, uint64_t seed)
{
    r->ctx[i] = (mut_ctx){
        .rt = r->rt,
        .pp = hs_runtime_p(r->rt, i),
        .id = i,
        .nprocs = r->nprocs,
        .values = r->w->values,
        .w = r->w,
        .shared = r->shared,
        .seed = seed,
        .run = r,
    };
}

/* Create the threads; returns how many started (err: the first failure). */
static int spawn(mut_run *r, int *err)
{
    int i;
    for (i = 0; i < r->nprocs; i++) {
        *err = pthread_create(&r->threads[i], NULL, mutator_main, &r->ctx[i]);
        if (*err != 0)
            break;
        char name[16];
        snprintf(name, sizeof name, "hs-mutator-%u", (unsigned)i % 10000u);
        pthread_setname_np(r->threads[i], name);
    }
    return i;
}

hs_mutators *hs_mutators_start(const hs_workload *w, hs_runtime *rt, const hs_mutator_opts *o,
                               char *why, size_t n)
{
    mut_run *r = run_new(w, rt, o);
    if (r == NULL) {
        snprintf(why, n, "out of memory starting the mutators");
        return NULL;
    }
    if (w->sc->init != NULL)
        w->sc->init(r->shared, w->values, r->nprocs);
    for (int i = 0; i < r->nprocs; i++)
        ctx_init(r, i, o->seed);
    int err = 0, started = spawn(r, &err);
    pthread_mutex_lock(&r->lock);
    r->nthreads = started;
    r->start = now_ns();
    r->gate_open = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (started < r->nprocs)
        end_run(r, HS_END_ERROR, "could not start the mutator thread of P %d: %s", started,
                strerror(err));
    if (started == 0) {
        snprintf(why, n, "%s", r->message);
        run_free(r);
        return NULL;
    }
    return r;
}

bool hs_mutators_wait(hs_mutators *m, int64_t timeout_ns)
{
    int64_t until = timeout_ns < 0 ? INT64_MAX : now_ns() + timeout_ns;
    bool stopping = __atomic_load_n(&m->stop, __ATOMIC_RELAXED) != 0;
    if (m->deadline != 0 && !stopping && m->deadline < until)
        until = m->deadline; /* once stopping, the deadline has done its work */
    pthread_mutex_lock(&m->lock);
    while (m->finished < m->nthreads) {
        struct timespec ts = to_timespec(until);
        if (until == INT64_MAX)
            pthread_cond_wait(&m->cond, &m->lock);
        else if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) == ETIMEDOUT)
            break;
    }
    bool done = m->finished == m->nthreads;
    pthread_mutex_unlock(&m->lock);
    if (!done && m->deadline != 0 && now_ns() >= m->deadline)
        hs_mutators_stop(m);
    return done;
}

static hs_workload_end final_end(const mut_run *r)
{
    if (r->ended)
        return r->end;
    if (r->stopped_early && r->w->sc->default_duration_ns == 0)
        return HS_END_STOPPED;
    return HS_END_FINISHED;
}

void hs_mutators_join(hs_mutators *m, hs_workload_result *res)
{
    while (!hs_mutators_wait(m, -1))
        ;
    *res = (hs_workload_result){.end = HS_END_FINISHED};
    for (int i = 0; i < m->nthreads; i++) {
        pthread_join(m->threads[i], NULL);
        res->ops += m->ctx[i].ops;
        res->checks_passed += m->ctx[i].checks_passed;
        res->checks_failed += m->ctx[i].checks_failed;
        res->allocs += m->ctx[i].allocs;
        res->alloc_hash = wl_splitmix64(res->alloc_hash ^ m->ctx[i].alloc_hash);
    }
    if (m->out != NULL && m->w->sc->report != NULL)
        m->w->sc->report(m->shared, m->w->values, m->out);
    res->end = final_end(m);
    snprintf(res->message, sizeof res->message, "%s", m->message);
    run_free(m);
}

bool hs_workload_run(const hs_workload *w, hs_runtime *rt, const hs_mutator_opts *o,
                     hs_workload_result *res)
{
    *res = (hs_workload_result){.end = HS_END_ERROR};
    hs_mutators *m = hs_mutators_start(w, rt, o, res->message, sizeof res->message);
    if (m == NULL)
        return false;
    hs_mutators_join(m, res);
    return true;
}

const char *hs_workload_end_name(hs_workload_end end)
{
    switch (end) {
    case HS_END_FINISHED:
        return "finished";
    case HS_END_STOPPED:
        return "stopped before its end";
    case HS_END_CHECK_FAILED:
        return "check failed";
    case HS_END_OOM:
        return "out of memory";
    default:
        return "error";
    }
}
