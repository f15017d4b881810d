/*
 * scenario.h — what a scenario is, and what the mutator loop offers it.
 *
 * Internal to src/workload/.  A scenario is a const table entry (wl_scenario):
 * a name, a one-line description, its parameters, and functions the mutator
 * loop calls:
 *
 *   init(shared, values, nprocs)   once, before any thread starts, on a zeroed
 *                                  block of shared_size bytes;
 *   run(c)                         on every P's thread, with the P acquired and
 *                                  the P's goroutine c->g made (nslots slots);
 *   report(shared, values, out)    once, after every thread has been joined;
 *   load(w) / unload(data)         optional: once the spec is parsed, read what
 *                                  the parameters name (a file) into w->data,
 *                                  which run() reaches as c->w->data; a
 *                                  failure is bad input, before any run.
 *
 * Threads of one run share `shared`; what one P writes there for another to
 * read goes through atomics or is read after a mut_barrier() or after join.
 *
 * Rules for run(): call mut_poll() at every loop back-edge and leave the loop
 * when it says stop; allocate with mut_alloc() and leave when it returns NULL
 * (it has recorded the out-of-memory and stopped the run); keep every object
 * reachable from a goroutine slot, the globals or a reachable object at every
 * safe point (mut_poll, mut_alloc, mut_barrier); report every verified value
 * with mut_check().  Every P must call mut_barrier() the same number of times,
 * stopped or not.
 *
 * Determinism: a P's operations may depend on the seed, its index and its
 * parameters only (never on the clock or on another P's progress), so that
 * the same seed on one P gives the same allocations in the same order; the
 * mutator loop hashes them (hs_workload_result.alloc_hash) to prove it.
 */
#ifndef HS_WORKLOAD_SCENARIO_H
#define HS_WORKLOAD_SCENARIO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/runtime.h"
#include "heapscope/workload.h"
#include "workload/pace.h"

#define WL_MAX_PARAMS 10

typedef enum wl_kind {
    WL_INT = 0,  /* a whole number */
    WL_SIZE = 1, /* bytes, with an optional unit: 64MiB */
    /* Text as given (no commas), e.g. a path, kept in texts[]; it has no
     * default, so it must be given; def, min and max are unused. */
    WL_STRING = 2,
    /* A decimal number, kept in millionths: 0.5 is 500000. */
    WL_DECIMAL = 3,
} wl_kind;

typedef struct wl_param {
    const char *key;
    wl_kind kind;
    int64_t def, min, max;
    const char *help; /* one line */
} wl_param;

typedef struct mut_ctx mut_ctx;

typedef struct wl_scenario {
    const char *name;
    const char *help; /* one line */
    const wl_param *params;
    size_t nparams;
    uint64_t default_duration_ns; /* 0: runs to its own end */
    size_t shared_size;
    size_t (*nglobals)(const int64_t *values, int nprocs);
    size_t (*nslots)(const int64_t *values);                       /* slots of each P's goroutine */
    void (*init)(void *shared, const int64_t *values, int nprocs); /* may be NULL */
    void (*run)(mut_ctx *c);
    void (*report)(const void *shared, const int64_t *values, FILE *out); /* may be NULL */
    /* Both may be NULL (see load and unload above). */
    bool (*load)(hs_workload *w, char *why, size_t n);
    void (*unload)(void *data);
} wl_scenario;

/* A parsed spec (spec.c): the scenario and a value for each of its parameters. */
struct hs_workload {
    const wl_scenario *sc;
    int64_t values[WL_MAX_PARAMS]; /* in the order of sc->params */
    char *texts[WL_MAX_PARAMS];    /* the WL_STRING ones, owned */
    void *data;                    /* sc->load's, freed by sc->unload */
};

/* The registry (registry.c). */
extern const wl_scenario wl_web;          /* web.c, the default */
extern const wl_scenario wl_binary_trees; /* binary_trees.c */
extern const wl_scenario wl_churn;        /* churn.c */
extern const wl_scenario wl_fragment;     /* fragment.c */
extern const wl_scenario wl_large;        /* large.c */
extern const wl_scenario wl_tiny;         /* tiny.c */
extern const wl_scenario wl_leak;         /* leak.c */
extern const wl_scenario wl_pool;         /* pool.c */
extern const wl_scenario wl_prealloc;     /* prealloc.c */
extern const wl_scenario wl_trace;        /* trace.c */
size_t wl_scenario_count(void);
const wl_scenario *wl_scenario_at(size_t i);
const wl_scenario *wl_scenario_find(const char *name, size_t len);

/* Common entries of a scenario's table (registry.c). */
size_t wl_nslots_one(const int64_t *values);                 /* one goroutine slot */
size_t wl_nglobals_per_p(const int64_t *values, int nprocs); /* one global per P */
size_t wl_nglobals_none(const int64_t *values, int nprocs);

static inline double wl_mib(uint64_t bytes)
{
    return (double)bytes / (1 << 20);
}

/* Values (value.c).  Each reads the whole text or fails. */
bool wl_parse_int(const char *s, int64_t *v);
bool wl_parse_size(const char *s, int64_t *v);
bool wl_parse_decimal(const char *s, int64_t *millionths);
/* "64MiB", "1KiB", "1000", "0.25" — the shortest exact form. */
void wl_format_value(char *buf, size_t n, wl_kind kind, int64_t v);

typedef struct hs_mutators mut_run; /* the state all Ps of one run share (mutator.c) */

/* One P's mutator.  Fields are owned by its thread. */
/* Each P's own, written on every allocation: one per pair of cache lines
 * (the pair the CPU prefetches together), so no P's writes evict the lines
 * another P reads. */
#define MUT_CTX_ALIGN 128
struct mut_ctx {
    _Alignas(MUT_CTX_ALIGN) hs_runtime *rt; /* immutable */
    hs_p *pp;              /* immutable */
    hs_g *g;               /* the P's goroutine */
    int id, nprocs;        /* immutable */
    const int64_t *values; /* the parameters, immutable */
    const hs_workload *w;  /* the whole spec (texts, data), immutable */
    void *shared;          /* the scenario's shared block */
    uint64_t seed;         /* the run's seed: derive the P's stream with wl_rand_seed(id) */
    uint64_t ops, checks_passed, checks_failed;
    uint64_t allocs, alloc_hash; /* mut_alloc's calls, and their sizes and types hashed */
    wl_pace pace;                /* mut_pace's: the stopped time this P forgave */
    mut_run *run;
};

/* A safe point; false when the run should stop. */
bool mut_poll(mut_ctx *c);
/* False when the run should stop (no safe point). */
bool mut_running(const mut_ctx *c);
/* hs_malloc; on NULL records out-of-memory (or the runtime's error), stops
 * the run and returns NULL. */
void *mut_alloc(mut_ctx *c, size_t size, const hs_type *typ);
/* A new goroutine on c's P; on failure records an error and stops the run. */
hs_g *mut_g_new(mut_ctx *c, size_t nslots);
/* Count one verified value; a failure (with what went wrong) stops the run. */
__attribute__((format(printf, 3, 4))) bool mut_check(mut_ctx *c, bool ok, const char *fmt, ...);
/* Every P of the run meets here; c's P is released while it waits. */
void mut_barrier(mut_ctx *c);
/* When every P is done: P 0 runs a full cycle first if collect, then reads
 * the runtime's statistics into *ms for the report.  Every P calls it once. */
void mut_final_memstats(mut_ctx *c, hs_memstats *ms, bool collect);
/* Nanoseconds since the run started (the mutators passed their gate). */
int64_t mut_clock(const mut_ctx *c);
/* Sleep, with c's P released, until mut_clock reaches at_ns: a paced
 * scenario keeps its own schedule (virtual time) and waits here for the wall
 * clock, so what it allocates does not depend on how fast it runs.  Returns
 * at once when the clock is past at_ns; false when the run should stop.
 * Time the P could not run for (the world stopped, the process suspended)
 * is forgiven past a bound, not caught up (pace.c). */
bool mut_pace(mut_ctx *c, int64_t at_ns);

#endif
