/*
 * benchutil.c — a workload's throughput without the snapshotter and with it,
 * the loop snapshot_bench and ui_bench share (see benchutil.h).  Each run gets
 * a fresh runtime with seed 1, so the two sides do the same work; alternating
 * them spreads the machine's drift over both, and each pair's ratio is taken
 * while the machine ran at one speed.
 */
#include "benchutil.h"

#include <stdio.h>
#include <unistd.h>

/* One run of w on nprocs Ps, with the snapshotter when obs is not NULL; false
 * when the runtime could not be made or the workload did not finish. */
static bool run_once(const hs_workload *w, int nprocs, const bench_observer *obs, double *seconds)
{
    hs_snapshotter_opts so = {.fps = 30, .workload = hs_workload_name(w)};
    hs_snapshotter *ss = obs != NULL ? hs_snapshotter_new(&so) : NULL;
    hs_config cfg = hs_config_default();
    cfg.nprocs = nprocs;
    cfg.nglobals = hs_workload_nglobals(w, nprocs);
    if (ss != NULL)
        hs_snapshotter_hook(ss, &cfg);
    hs_runtime *rt = NULL;
    if (hs_runtime_new(&cfg, &rt) != HS_OK)
        return false;
    if (ss != NULL) {
        hs_snapshotter_start(ss, rt);
        if (obs->started != NULL)
            obs->started(ss, obs->arg);
    }
    hs_mutator_opts mo = {.seed = 1};
    hs_workload_result res;
    double t0 = now_seconds();
    bool ok = hs_workload_run(w, rt, &mo, &res) && res.end == HS_END_FINISHED;
    *seconds = now_seconds() - t0;
    if (ss != NULL) {
        if (obs->stopping != NULL)
            obs->stopping(ss, obs->arg);
        hs_snapshotter_stop(ss);
        if (obs->stopped != NULL)
            obs->stopped(ss, obs->arg);
    }
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    return ok;
}

int bench_with_without(const char *prog, const char *spec, int runs, const bench_observer *obs,
                       bench_pair *out)
{
    char why[256];
    hs_workload *w = NULL;
    if (hs_workload_parse(spec, &w, why, sizeof(why)) != HS_WORKLOAD_OK) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return 1;
    }
    out->nprocs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double with[benchMaxRuns], without[benchMaxRuns], ratio[benchMaxRuns];
    for (int i = 0; i < runs; i++) {
        if (!run_once(w, out->nprocs, NULL, &without[i]) ||
            !run_once(w, out->nprocs, obs, &with[i])) {
            fprintf(stderr, "%s: %s did not run to its end\n", prog, spec);
            hs_workload_free(w);
            return 1;
        }
        ratio[i] = without[i] / with[i];
    }
    hs_workload_free(w);
    out->without = median(without, runs);
    out->with = median(with, runs);
    out->ratio = median(ratio, runs); /* sorts ratio */
    out->ratio_lo = ratio[runs / 4];
    out->ratio_hi = ratio[(3 * runs) / 4 < runs ? (3 * runs) / 4 : runs - 1];
    return 0;
}
