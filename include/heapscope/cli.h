/*
 * heapscope/cli.h — the command line of DESIGN.md, parsed and checked.
 *
 * Two layers:
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
 * Strings in hs_options point into argv; they stay valid as long as argv does.
 * Nothing here keeps state between calls except getopt's own globals, which
 * hs_options_parse() resets on entry, so it may be called many times.
 */
#ifndef HEAPSCOPE_CLI_H
#define HEAPSCOPE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
    int gctrace; /* 0 off, 1 --gctrace, 2 --gctrace=2 */
    hs_cli_gc gc;
    bool step;

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

#ifdef __cplusplus
}
#endif

#endif /* HEAPSCOPE_CLI_H */
