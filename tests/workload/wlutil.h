/*
 * wlutil.h — helpers for the workload tests: a runtime sized for a workload,
 * and one run of it with its report captured in memory.
 */
#ifndef HS_TESTS_WLUTIL_H
#define HS_TESTS_WLUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/runtime.h"
#include "heapscope/workload.h"
#include "testutil.h"

#define WL_MS 1000000ULL

static inline hs_workload *wl_parse_ok(const char *spec)
{
    hs_workload *w = NULL;
    char why[256] = "";
    ck_assert_msg(hs_workload_parse(spec, &w, why, sizeof why) == HS_WORKLOAD_OK, "%s: %s", spec,
                  why);
    return w;
}

/* How a test runs a workload: Ps, GOGC (< 0 off), max_heap (0 = none), a
 * deadline (0 = none), the checkmark verifier, the background threads (off:
 * cycles run inline on the allocating P, so one P is deterministic). */
typedef struct wl_opts {
    int nprocs;
    int gogc;
    uint64_t max_heap;
    uint64_t duration_ns;
    bool verify;
    bool background;
    uint64_t seed;
    hs_gc_cycle_fn on_cycle; /* NULL: none */
    void *on_cycle_ctx;
} wl_opts;

static inline wl_opts wl_opts_default(int nprocs)
{
    return (wl_opts){.nprocs = nprocs, .gogc = 100, .background = true, .seed = 42};
}

static inline hs_runtime *wl_runtime_opts(const hs_workload *w, const wl_opts *op)
{
    hs_config cfg = hs_config_default();
    cfg.nprocs = op->nprocs;
    cfg.gogc = op->gogc;
    cfg.max_heap = op->max_heap;
    cfg.verify = op->verify;
    cfg.background = op->background;
    cfg.on_cycle = op->on_cycle;
    cfg.on_cycle_ctx = op->on_cycle_ctx;
    size_t need = hs_workload_nglobals(w, op->nprocs);
    cfg.nglobals = need > cfg.nglobals ? need : cfg.nglobals;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

/* A runtime for w on nprocs Ps: GOGC as given (< 0 off), max_heap 0 = none. */
static inline hs_runtime *wl_runtime(const hs_workload *w, int nprocs, int gogc, uint64_t max_heap)
{
    wl_opts op = wl_opts_default(nprocs);
    op.gogc = gogc;
    op.max_heap = max_heap;
    return wl_runtime_opts(w, &op);
}

/* The outcome of one run, what the scenario printed, and the runtime's
 * statistics and collector summary when the run ended. */
typedef struct wl_outcome {
    hs_workload_result res;
    char *out;
    size_t outlen;
    hs_memstats ms;
    hs_gc_summary gc;
} wl_outcome;

static inline void wl_run_opts(const char *spec, const wl_opts *op, wl_outcome *o)
{
    hs_workload *w = wl_parse_ok(spec);
    hs_runtime *rt = wl_runtime_opts(w, op);
    FILE *out = open_memstream(&o->out, &o->outlen);
    ck_assert_ptr_nonnull(out);
    hs_mutator_opts mo = {.seed = op->seed, .duration_ns = op->duration_ns, .out = out};
    ck_assert(hs_workload_run(w, rt, &mo, &o->res));
    fclose(out);
    hs_read_memstats(rt, &o->ms);
    o->gc = hs_gc_get_summary(rt);
    hs_runtime_free(rt);
    hs_workload_free(w);
}

static inline void wl_run(const char *spec, int nprocs, int gogc, uint64_t max_heap,
                          uint64_t duration_ns, wl_outcome *o)
{
    wl_opts op = wl_opts_default(nprocs);
    op.gogc = gogc;
    op.max_heap = max_heap;
    op.duration_ns = duration_ns;
    wl_run_opts(spec, &op, o);
}

/* spec on one P with the background threads off, so its cycles run inline
 * and follow its allocations exactly; it must finish with every check
 * passed. */
static inline wl_outcome wl_run_inline(const char *spec, uint64_t seed)
{
    wl_opts op = wl_opts_default(1);
    op.background = false;
    op.seed = seed;
    wl_outcome o;
    wl_run_opts(spec, &op, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s: %s (%s)", spec,
                  hs_workload_end_name(o.res.end), o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    return o;
}

/* spec under the checkmark verifier: it finished, every check passed, and
 * cycles ran and none found a reachable object unmarked. */
static inline void wl_expect_verified(const char *spec, int nprocs, wl_outcome *o)
{
    wl_opts op = wl_opts_default(nprocs);
    op.verify = true;
    wl_run_opts(spec, &op, o);
    ck_assert_msg(o->res.end == HS_END_FINISHED, "%s on %d P: %s (%s)", spec, nprocs,
                  hs_workload_end_name(o->res.end), o->res.message);
    ck_assert_uint_eq(o->res.checks_failed, 0);
    ck_assert_uint_gt(o->res.checks_passed, 0);
    ck_assert_msg(o->gc.cycles > 0, "%s on %d P: no cycle verified", spec, nprocs);
    ck_assert_msg(!o->gc.verify_failed, "%s on %d P: the verifier failed", spec, nprocs);
}

static inline void wl_outcome_free(wl_outcome *o)
{
    free(o->out);
}

/* spec under max_heap: it ends in out-of-memory, reported, with no check failed. */
static inline void wl_expect_oom(const char *spec, int nprocs, uint64_t max_heap)
{
    wl_outcome o;
    wl_run(spec, nprocs, 100, max_heap, 0, &o);
    ck_assert_msg(o.res.end == HS_END_OOM, "%s: end %s (%s)", spec, hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    ck_assert(strstr(o.res.message, "out of memory") != NULL);
    wl_outcome_free(&o);
}

#endif
