/*
 * wlutil.h — helpers for the workload tests: a runtime sized for a workload,
 * and one run of it with its report captured in memory.
 */
#ifndef HS_TESTS_WLUTIL_H
#define HS_TESTS_WLUTIL_H

#include <stdio.h>
#include <stdlib.h>

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

/* A runtime for w on nprocs Ps: GOGC as given (< 0 off), max_heap 0 = none. */
static inline hs_runtime *wl_runtime(const hs_workload *w, int nprocs, int gogc, uint64_t max_heap)
{
    hs_config cfg = hs_config_default();
    cfg.nprocs = nprocs;
    cfg.gogc = gogc;
    cfg.max_heap = max_heap;
    size_t need = hs_workload_nglobals(w, nprocs);
    cfg.nglobals = need > cfg.nglobals ? need : cfg.nglobals;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

/* The outcome of one run and what the scenario printed. */
typedef struct wl_outcome {
    hs_workload_result res;
    char *out;
    size_t outlen;
} wl_outcome;

static inline void wl_run(const char *spec, int nprocs, int gogc, uint64_t max_heap,
                          uint64_t duration_ns, wl_outcome *o)
{
    hs_workload *w = wl_parse_ok(spec);
    hs_runtime *rt = wl_runtime(w, nprocs, gogc, max_heap);
    FILE *out = open_memstream(&o->out, &o->outlen);
    ck_assert_ptr_nonnull(out);
    hs_mutator_opts mo = {.seed = 42, .duration_ns = duration_ns, .out = out};
    ck_assert(hs_workload_run(w, rt, &mo, &o->res));
    fclose(out);
    hs_runtime_free(rt);
    hs_workload_free(w);
}

static inline void wl_outcome_free(wl_outcome *o)
{
    free(o->out);
}

#endif
