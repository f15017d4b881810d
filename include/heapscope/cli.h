/*
 * heapscope/cli.h — the command line of DESIGN.md, parsed and checked.
 *
 * Three layers:
 *
 *   1. Value parsers (src/cli/parse.c): sizes ("64MiB"), durations ("1.5s") and
 *      integers with a range.  They are pure: no I/O, no state, no allocation.
 *      Each returns an hs_parse_status that says what was wrong, so the caller
 *      can word the message.  On failure the result is left untouched.
 *
 *   2. The options (src/cli/options.c): hs_options_parse() runs getopt_long over
 *      argv, checks every value and every combination, and either fills an
 *      hs_options or writes exactly one line saying what was wrong.
 *
 *   3. The headless session (src/cli/session.c): builds the runtime from the
 *      options, runs the workload, and reports: a summary, gctrace lines
 *      (gctrace.c), --stats-json (stats_json.c).
 *
 * Strings in hs_options point into argv; they stay valid as long as argv does.
 * Nothing here keeps state between calls except getopt's own globals, which
 * hs_options_parse() resets on entry, so it may be called many times.
 */
#ifndef HEAPSCOPE_CLI_H
#define HEAPSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- value parsers ----------------------------------------------------- */

typedef enum hs_parse_status {
    HS_PARSE_OK = 0,
    HS_PARSE_EMPTY = 1,    /* the text is "" */
    HS_PARSE_SYNTAX = 2,   /* not a number, or a unit it does not know */
    HS_PARSE_NEGATIVE = 3, /* a size or duration with a leading '-' */
    HS_PARSE_RANGE = 4,    /* overflows, or lies outside [min, max] */
} hs_parse_status;

/* A byte count: a decimal number with an optional fraction and an optional,
 * case-insensitive unit.  KiB MiB GiB TiB PiB EiB and K M G T P E are powers
 * of 1024; KB MB GB TB PB EB are powers of 1000; B or no unit means bytes (no
 * fraction allowed then).  A fraction is truncated to whole bytes:
 * "1.5GiB" = 1610612736.  The result fits in uint64_t or HS_PARSE_RANGE. */
hs_parse_status hs_parse_size(const char *text, uint64_t *bytes);

/* A duration as Go's time.ParseDuration reads it, without a sign: one or more
 * number+unit pairs, units ns us µs ms s m h, e.g. "250us", "1.5s", "1h30m".
 * A bare number has no unit and is rejected.  Result in nanoseconds, at most
 * INT64_MAX. */
hs_parse_status hs_parse_duration(const char *text, uint64_t *ns);

/* A decimal integer with an optional leading '-', inside [min, max]. */
hs_parse_status hs_parse_int(const char *text, int64_t min, int64_t max, int64_t *value);

/* ---- options ------------------------------------------------------------ */

#define HS_PROCS_MAX 1024 /* as Go's _MaxGomaxprocs */
#define HS_GOGC_OFF (-1)  /* --gogc off */
#define HS_FPS_DEFAULT 30
#define HS_FPS_MIN 1
#define HS_FPS_MAX 240
#define HS_GCTRACE_MAX 2
#define HS_COLS_MIN 20 /* --size bounds */
#define HS_COLS_MAX 1000
#define HS_ROWS_MIN 10
#define HS_ROWS_MAX 1000
#define HS_PID_MAX 4194304 /* Linux PID_MAX_LIMIT */
/* The least --max-heap: 4 MiB, one chunk of the page allocator (the unit
 * the heap grows by) and Go's heapMinimum, the smallest heap goal its pacer
 * sets.  A smaller cap is reached before the first collection could start,
 * and below 8 KiB not even one span fits. */
#define HS_MAX_HEAP_MIN (UINT64_C(4) << 20)

/* --gc: how the collector marks. */
typedef enum hs_cli_gc {
    HS_CLI_GC_CLASSIC = 0,  /* object at a time, as Go <= 1.25 */
    HS_CLI_GC_GREENTEA = 1, /* span-wise, as Go 1.26's Green Tea */
} hs_cli_gc;

/* What a run of heapscope does, decided by the options. */
typedef enum hs_run_mode {
    HS_MODE_LIVE = 0, /* the UI over heapscope's own runtime (the default) */
    HS_MODE_HEADLESS, /* --headless: run, then print a summary */
    HS_MODE_REPLAY,   /* --replay without an export: the UI over a recording */
    HS_MODE_EXPORT,   /* --replay with --export-cast or --screenshot */
    HS_MODE_ATTACH,   /* --attach: the UI over a running Go program */
} hs_run_mode;

typedef struct hs_options {
    /* the workload and the runtime */
    const char *workload;  /* NAME[:k=v,...], syntax checked; default "web" */
    int procs;             /* 1..HS_PROCS_MAX; default: online CPUs */
    int gogc;              /* >= 0, or HS_GOGC_OFF; default 100 */
    uint64_t memory_limit; /* bytes, 0 = none */
    uint64_t max_heap;     /* bytes, 0 = none */
    uint64_t seed;         /* meaningful when seed_given */
    bool seed_given;
    uint64_t duration_ns; /* 0 = until the user quits */
    bool headless;
    bool verify;
    int fps;     /* HS_FPS_MIN..HS_FPS_MAX; default 30 */
    bool fps_given; /* --fps was given (an attached session's default is 10) */
    int gctrace; /* 0 off, 1 --gctrace, 2 --gctrace=2 */
    hs_cli_gc gc;
    bool step;
    int view; /* --view: the view to open, 0 (heap) .. 4 (timeline) */

    /* sinks and sources (NULL when not given) */
    const char *stats_json;
    const char *record;
    const char *replay;
    const char *export_cast;
    const char *screenshot;
    const char *at; /* a frame number or a duration, syntax checked */
    int size_cols;  /* --size, 0 when not given */
    int size_rows;
    int attach_pid; /* 0 when not given */
    const char *attach_bin;
    bool freeze;
} hs_options;

typedef enum hs_options_result {
    HS_OPTIONS_RUN = 0,   /* options are good: go on and run */
    HS_OPTIONS_DONE = 1,  /* --help or --version was printed: exit 0 */
    HS_OPTIONS_USAGE = 2, /* bad usage, one line written to err: exit 2 */
} hs_options_result;

/* Fill o with the defaults of DESIGN.md. */
void hs_options_init(hs_options *o);

/* Parse argv into o (which it initializes first).  Options end at the first
 * word that is not one (argv is never reordered); such a word is an error.
 * --help and --version print to stdout and return HS_OPTIONS_DONE.  On bad
 * usage writes "heapscope: --opt: what was wrong" and a "Try 'heapscope
 * --help'" line to err and returns HS_OPTIONS_USAGE. */
hs_options_result hs_options_parse(int argc, char **argv, hs_options *o, FILE *err);

/* The --help and --version texts. */
void hs_options_usage(FILE *out);
void hs_options_version(FILE *out);

/* The mode o asks for, and a verb phrase for it ("show the live view"). */
hs_run_mode hs_options_mode(const hs_options *o);
const char *hs_run_mode_phrase(hs_run_mode mode);

/* ---- the headless session (src/cli/session.c and friends) ------------------ */

/* --headless: build the runtime from o, run the workload, write the
 * workload's own lines and the summary to out (to err when --stats-json is
 * "-", which writes the JSON to out alone), messages and --gctrace lines to
 * err.  Returns the exit status of DESIGN.md: 0 ok,
 * 1 runtime failure (out of memory, a failed workload check, the verifier),
 * 2 bad usage (a bad workload spec, an unwritable --stats-json). */
int hs_session_run(const hs_options *o, FILE *out, FILE *err);

/* The live view (src/cli/live.c): the runtime and the workload of o shown by
 * the visualizer on this terminal until the user quits.  Returns the exit
 * status; errors go to err once the terminal is restored. */
int hs_live_run(const hs_options *o, FILE *err);

/* --replay (src/cli/replay.c): the recording in the UI with a transport, or,
 * with --export-cast or --screenshot, rendered to those files.  Returns the
 * exit status. */
int hs_replay_run(const hs_options *o, FILE *err);

/* --attach PID (src/cli/attach_session.c): a running Go program shown by the
 * visualizer, or with --headless summarized like a run (--duration,
 * --stats-json).  Returns the exit status: 2 when the program cannot be
 * attached (its sentence on err), 1 for a failure at run time. */
int hs_attach_run(const hs_options *o, FILE *out, FILE *err);

/* STW pause statistics over n pauses (sorts ns in place); nearest rank. */
typedef struct hs_pause_stats {
    uint64_t count;
    int64_t total_ns, max_ns, p50_ns, p99_ns;
} hs_pause_stats;
void hs_pause_stats_compute(int64_t *ns, size_t n, hs_pause_stats *out);

/* Everything the summary and --stats-json report about one run. */
typedef struct hs_run_stats {
    const char *workload; /* "binary-trees depth=18" */
    const char *outcome;  /* "finished", "out of memory", ... */
    int procs;
    int gogc;              /* HS_GOGC_OFF for off */
    uint64_t memory_limit; /* 0 = none */
    uint64_t max_heap;     /* 0 = none */
    uint64_t seed;
    int64_t wall_ns;
    uint64_t peak_heap_alloc, peak_heap_inuse; /* sampled every ~10 ms, and at the end */
    uint64_t peak_rss;                         /* VmHWM, bytes; 0 when unknown */
    uint64_t heap_live;                        /* marked at the last cycle */
    uint64_t ops, checks_passed, checks_failed;
    bool verify, verify_failed; /* --verify given; the verifier found a fault */
    bool attached;              /* a running Go program's: ops counts frames read */
    hs_memstats mem;            /* at the end */
    hs_gc_summary gc;
    hs_pause_stats pauses;
} hs_run_stats;

/* The human summary printed after a headless run. */
void hs_summary_print(FILE *out, const hs_run_stats *s);

/* --stats-json: s as one JSON object keyed by runtime/metrics names.
 * Returns 0, or -1 if writing failed. */
int hs_stats_json_write(FILE *f, const hs_run_stats *s);

/* One line of Go's GODEBUG=gctrace=1 for cycle c (with its newline), as
 * snprintf: the length it needs, written up to n - 1 bytes. */
int hs_gctrace_format(char *buf, size_t n, const hs_gc_cycle *c);
/* The "scan:" lines Go adds under GODEBUG=gctrace=2, in Go 1.26's format for
 * the cycle's marking mode; as snprintf (the length needed). */
int hs_gctrace_scan_format(char *buf, size_t n, const hs_gc_cycle *c);

#ifdef __cplusplus
}
#endif

#endif /* HEAPSCOPE_CLI_H */
