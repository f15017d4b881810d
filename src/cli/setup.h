/*
 * setup.h — what every session that runs heapscope's own runtime does first
 * (src/cli/ only): read the workload spec, build the runtime's config from
 * the options, start the runtime, pick the seed.  Errors are reported on err
 * as one sentence; the return value is the exit status (0: go on).
 */
#ifndef HS_CLI_SETUP_H
#define HS_CLI_SETUP_H

#include <stdint.h>
#include <stdio.h>

#include "heapscope/cli.h"
#include "heapscope/runtime.h"
#include "heapscope/workload.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_SIGNAL_BASE 128 /* + the number of the signal that ended the run */

/* Parse o->workload into *w, and its full form ("web:cache=...") into name. */
int cli_parse_workload(const hs_options *o, FILE *err, hs_workload **w, char *name, size_t n);
/* The runtime's config for o and w: Ps, GOGC, limits, marking, the verifier,
 * the globals w needs, background threads on.  Hooks are left to the caller. */
hs_config cli_config(const hs_options *o, const hs_workload *w);
int cli_start_runtime(const hs_config *cfg, FILE *err, hs_runtime **rt);
/* Is --stats-json "-", standard output?  Then the human-readable report
 * (the workload's lines, the summary) goes to stderr instead, so stdout
 * carries the JSON alone. */
bool cli_json_is_stdout(const hs_options *o);
/* Open --stats-json for writing now (NULL when not given; out for "-"): 0,
 * or 2 with the sentence on err. */
int cli_open_json(const hs_options *o, FILE *out, FILE *err, FILE **json);
/* Close what cli_open_json opened (standard output is only flushed);
 * nonzero when the writes failed. */
int cli_close_json(const hs_options *o, FILE *json);
/* VmHWM from a /proc/.../status file, in bytes; 0 when unknown. */
uint64_t cli_peak_rss(const char *status_path);
/* The summary on out, and the JSON into *json (closed, and set to NULL)
 * when there is one; the exit status of a failed write (1), or 0. */
int cli_report(const hs_options *o, FILE *out, FILE *err, FILE **json, const hs_run_stats *st);
/* Can --record's file be written (when given)?  0, or 2 with the sentence
 * on err; checked before the live view asks for a terminal, and leaves no
 * file behind. */
int cli_check_record_path(const hs_options *o, FILE *err);
/* --seed, or a fresh one (printed by the caller, so a run can be redone). */
uint64_t cli_pick_seed(const hs_options *o);

#endif
