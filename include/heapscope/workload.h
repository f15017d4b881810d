/*
 * heapscope/workload.h — the workloads that drive heapscope's runtime.
 *
 * A workload is a scenario (binary-trees, churn, ...) with its parameters,
 * written NAME[:key=value,...] on the command line.  Every scenario lives in
 * its own file under src/workload/ and is listed in one registry table, which
 * also feeds `--workload help`.
 *
 * Running a workload: hs_mutators_start() starts one thread per P of the
 * runtime.  Each thread acquires its P, creates its goroutine, runs the
 * scenario's per-P function, frees the goroutine and releases the P.  The
 * caller (the session) waits with hs_mutators_wait(), which also enforces the
 * deadline, and collects the result with hs_mutators_join().  Mutators poll
 * hs_safepoint at their loop back-edges and stop early when the run is
 * stopped, when a check fails or when the heap runs out of memory.
 *
 * The library uses the runtime's public header only.  Nothing here is global:
 * a parsed workload and a set of mutators are objects of their own.
 */
#ifndef HEAPSCOPE_WORKLOAD_H
#define HEAPSCOPE_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- specs ------------------------------------------------------------------ */

typedef struct hs_workload hs_workload;

typedef enum hs_workload_status {
    HS_WORKLOAD_OK = 0,
    HS_WORKLOAD_EMPTY = 1,     /* no scenario name */
    HS_WORKLOAD_UNKNOWN = 2,   /* no scenario of that name */
    HS_WORKLOAD_SYNTAX = 3,    /* a parameter that is not key=value */
    HS_WORKLOAD_BAD_KEY = 4,   /* the scenario has no parameter of that name */
    HS_WORKLOAD_DUPLICATE = 5, /* a key given twice */
    HS_WORKLOAD_BAD_VALUE = 6, /* a value that does not parse or is out of range */
    HS_WORKLOAD_NOMEM = 7,
    HS_WORKLOAD_MISSING = 8,   /* a parameter without a default was not given */
    HS_WORKLOAD_BAD_INPUT = 9, /* what a parameter names (a trace file) is unreadable or bad */
} hs_workload_status;

/* Parse spec into *out.  On failure *out is NULL and why holds one sentence
 * (no trailing newline) naming the problem. */
hs_workload_status hs_workload_parse(const char *spec, hs_workload **out, char *why, size_t n);
void hs_workload_free(hs_workload *w);

/* True for the spec "help", which asks for hs_workload_help(). */
bool hs_workload_is_help(const char *spec);
/* Every scenario with a one-line description, and its parameters with their
 * defaults and meanings. */
void hs_workload_help(FILE *out);

const char *hs_workload_name(const hs_workload *w);
/* "binary-trees depth=18": the name and every parameter, defaults included. */
void hs_workload_format(const hs_workload *w, char *buf, size_t n);
/* The value of parameter key (sizes in bytes, decimals in millionths); false
 * if it has none or it is text. */
bool hs_workload_param(const hs_workload *w, const char *key, int64_t *value);
/* Pointer slots the workload needs in the runtime's globals (hs_config.nglobals). */
size_t hs_workload_nglobals(const hs_workload *w, int nprocs);
/* How long the workload runs when no duration is given, in ns: 0 for a
 * workload that runs to its own end. */
uint64_t hs_workload_default_duration(const hs_workload *w);

/* ---- running ---------------------------------------------------------------- */

typedef struct hs_mutator_opts {
    uint64_t seed;        /* same seed, same operations on each P */
    uint64_t duration_ns; /* stop after this long; 0 = no deadline */
    FILE *out;            /* the scenario's own report (binary-trees' lines), or NULL */
} hs_mutator_opts;

/* How a run ended, the first terminal event winning. */
typedef enum hs_workload_end {
    HS_END_FINISHED = 0, /* ran to its end (or, for a timed workload, to its deadline) */
    HS_END_STOPPED,      /* stopped by the deadline or hs_mutators_stop before its end */
    HS_END_CHECK_FAILED, /* a check of the workload failed */
    HS_END_OOM,          /* hs_malloc returned NULL and hs_runtime_oom says why */
    HS_END_ERROR,        /* anything else: a thread or goroutine could not be made */
} hs_workload_end;

typedef struct hs_workload_result {
    hs_workload_end end;
    uint64_t ops;           /* scenario operations (trees built, mutation steps) */
    uint64_t checks_passed; /* values verified */
    uint64_t checks_failed;
    uint64_t allocs;     /* allocations the scenario asked for */
    uint64_t alloc_hash; /* their sizes and types, in order, hashed P by P: the same
                            seed and parameters on one P give the same hash */
    char message[256]; /* the first failure or error, "" when none */
} hs_workload_result;

const char *hs_workload_end_name(hs_workload_end end);

typedef struct hs_mutators hs_mutators;

/* Start one mutator thread per P of rt.  NULL (with why) if nothing could be
 * started.  The workload and rt must outlive the mutators. */
hs_mutators *hs_mutators_start(const hs_workload *w, hs_runtime *rt, const hs_mutator_opts *o,
                               char *why, size_t n);
/* Wait up to timeout_ns for every mutator to finish; stops them when the
 * deadline passes.  True when all have finished. */
bool hs_mutators_wait(hs_mutators *m, int64_t timeout_ns);
/* Ask every mutator to stop at its next back-edge. */
void hs_mutators_stop(hs_mutators *m);
/* Wait for the mutators, run the scenario's report, fill res and free m. */
void hs_mutators_join(hs_mutators *m, hs_workload_result *res);

/* Start, wait and join in one call.  False if the mutators could not start
 * (res->message says why). */
bool hs_workload_run(const hs_workload *w, hs_runtime *rt, const hs_mutator_opts *o,
                     hs_workload_result *res);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_WORKLOAD_H */
