/*
 * options.c — heapscope's command line: getopt_long over one table of options.
 *
 * The table `specs` is the single description of the command line of
 * DESIGN.md: it feeds getopt_long, the --help text and the error messages, so
 * an option cannot be parsed without being documented or the other way round.
 *
 * hs_options_parse() works in three steps:
 *   1. getopt_long hands over one option at a time; its setter checks the value
 *      and stores it in hs_options, or words what was wrong;
 *   2. words left over after the options are an error (heapscope takes none);
 *   3. combinations are checked: --export-cast needs --replay, and so on;
 *      then every option given must mean something in the mode the options
 *      choose (each spec lists its modes): --step with --headless, or
 *      --workload with --replay, would do nothing, and is bad usage.
 * The first failure writes one line, "heapscope: --opt: what was wrong", and a
 * hint to try --help, and ends the parse with HS_OPTIONS_USAGE.
 *
 * getopt keeps its position in globals; optind = 0 makes glibc (and musl)
 * start a fresh scan, so parsing can be repeated, as the tests do.
 */
#include <config.h>

#include "heapscope/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROG "heapscope"
#define COPYRIGHT_LINE "Copyright (C) 2026 the heapscope authors."
#define LICENSE_LINE "License BSD-3-Clause: the same terms as the Go runtime it follows."
#define HELP_COLUMN 30 /* where --help starts the descriptions */

/* getopt_long's val for options without a short letter. */
enum {
    OPT_GOGC = 256,
    OPT_MEMORY_LIMIT,
    OPT_MAX_HEAP,
    OPT_SEED,
    OPT_DURATION,
    OPT_HEADLESS,
    OPT_VERIFY,
    OPT_FPS,
    OPT_GCTRACE,
    OPT_STATS_JSON,
    OPT_STEP,
    OPT_GC,
    OPT_REPLAY,
    OPT_EXPORT_CAST,
    OPT_SCREENSHOT,
    OPT_AT,
    OPT_SIZE,
    OPT_VIEW,
    OPT_ATTACH,
    OPT_ATTACH_BIN,
    OPT_FREEZE,
};

/* Where an option means something: one bit per mode, headless attach
 * apart from the attached view.  An option given outside its modes is bad
 * usage (an option that silently does nothing hides a mistake). */
enum {
    IN_LIVE = 1u << 0,
    IN_HEADLESS = 1u << 1,
    IN_REPLAY = 1u << 2,
    IN_EXPORT = 1u << 3,
    IN_ATTACH = 1u << 4,          /* the attached view */
    IN_ATTACH_HEADLESS = 1u << 5, /* --attach with --headless */
    IN_RUNTIME = IN_LIVE | IN_HEADLESS,
    IN_VIEW = IN_LIVE | IN_REPLAY | IN_EXPORT | IN_ATTACH,
    IN_ANY_ATTACH = IN_ATTACH | IN_ATTACH_HEADLESS,
    IN_ALL = 0x3f,
};

/* One option being set: the value, and what was wrong with it. */
typedef struct opt_ctx {
    hs_options *o;
    const char *arg; /* NULL for options without a value */
    char why[256];
} opt_ctx;

typedef struct opt_spec {
    const char *section; /* a --help heading starts here, or NULL */
    const char *name;
    int has_arg;
    int val;
    const char *metavar;
    const char *help;
    bool (*set)(opt_ctx *c); /* NULL for --help and --version */
    unsigned modes;          /* the modes it means something in: IN_* bits */
} opt_spec;

/* ---- messages ------------------------------------------------------------- */

/* Word what was wrong into c->why, on one line; always returns false. */
__attribute__((format(printf, 2, 3))) static bool fail(opt_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    for (char *p = c->why; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return false;
}

static hs_options_result usage_error(FILE *err, const char *what, const char *why)
{
    fprintf(err, PROG ": %s: %s\n", what, why);
    fprintf(err, "Try '" PROG " --help' for more information.\n");
    return HS_OPTIONS_USAGE;
}

/* ---- value helpers ---------------------------------------------------------- */

static bool get_int(opt_ctx *c, int64_t min, int64_t max, int64_t *v)
{
    switch (hs_parse_int(c->arg, min, max, v)) {
    case HS_PARSE_OK:
        return true;
    case HS_PARSE_EMPTY:
        return fail(c, "empty value (a whole number from %" PRId64 " to %" PRId64 ")", min, max);
    case HS_PARSE_RANGE:
        return fail(c, "'%s' is out of range (%" PRId64 " to %" PRId64 ")", c->arg, min, max);
    default:
        return fail(c, "'%s' is not a whole number", c->arg);
    }
}

static bool get_size(opt_ctx *c, uint64_t *v)
{
    switch (hs_parse_size(c->arg, v)) {
    case HS_PARSE_OK:
        return *v > 0 || fail(c, "'%s' is zero (try 64MiB or 1GiB)", c->arg);
    case HS_PARSE_EMPTY:
        return fail(c, "empty value (try 64MiB or 1GiB)");
    case HS_PARSE_NEGATIVE:
        return fail(c, "'%s' is negative (try 64MiB or 1GiB)", c->arg);
    case HS_PARSE_RANGE:
        return fail(c, "'%s' is too large (the most is 16EiB less one byte)", c->arg);
    default:
        return fail(c, "'%s' is not a size (try 64MiB or 1GiB)", c->arg);
    }
}

static bool get_duration(opt_ctx *c, uint64_t *v)
{
    switch (hs_parse_duration(c->arg, v)) {
    case HS_PARSE_OK:
        return *v > 0 || fail(c, "'%s' is zero (try 10s or 2m)", c->arg);
    case HS_PARSE_EMPTY:
        return fail(c, "empty value (try 10s or 2m)");
    case HS_PARSE_NEGATIVE:
        return fail(c, "'%s' is negative (try 10s or 2m)", c->arg);
    case HS_PARSE_RANGE:
        return fail(c, "'%s' is too long (the most is 2562047h)", c->arg);
    default:
        return fail(c, "'%s' is not a duration (try 10s, 2m or 1m30s)", c->arg);
    }
}

static bool get_path(opt_ctx *c, const char **field)
{
    if (c->arg[0] == '\0')
        return fail(c, "empty value (a file name)");
    *field = c->arg;
    return true;
}

/* ---- the workload spec: NAME[:key=value,...] ------------------------------------- */

static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

static bool is_word(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_word_char(s[i]))
            return false;
    return true;
}

/* key=value, with a word for a key and a value that is not empty. */
static bool is_param(const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    return eq != NULL && is_word(s, (size_t)(eq - s)) && eq + 1 < s + n;
}

static bool is_workload_spec(const char *spec)
{
    size_t n = strcspn(spec, ":");
    if (!is_word(spec, n))
        return false;
    if (spec[n] == '\0')
        return true;
    for (const char *p = spec + n + 1;;) {
        size_t len = strcspn(p, ",");
        if (!is_param(p, len))
            return false;
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}

/* ---- setters, one per option ------------------------------------------------------ */

static bool set_workload(opt_ctx *c)
{
    if (c->arg[0] == '\0')
        return fail(c, "empty value (try web; list them with --workload help)");
    if (!is_workload_spec(c->arg))
        return fail(c, "'%s' is not NAME[:key=value,...] (try web)", c->arg);
    c->o->workload = c->arg;
    return true;
}

static bool set_procs(opt_ctx *c)
{
    int64_t v;
    if (!get_int(c, 1, HS_PROCS_MAX, &v))
        return false;
    c->o->procs = (int)v;
    return true;
}

static bool set_gogc(opt_ctx *c)
{
    int64_t v = HS_GOGC_OFF;
    if (strcmp(c->arg, "off") == 0) {
        c->o->gogc = HS_GOGC_OFF;
        return true;
    }
    switch (hs_parse_int(c->arg, 0, INT_MAX, &v)) {
    case HS_PARSE_OK:
        c->o->gogc = (int)v;
        return true;
    case HS_PARSE_EMPTY:
        return fail(c, "empty value (a percentage such as 100, or off)");
    case HS_PARSE_RANGE:
        return fail(c, "'%s' is out of range (0 to %d, or off)", c->arg, INT_MAX);
    default:
        return fail(c, "'%s' is neither a percentage nor off", c->arg);
    }
}

static bool set_memory_limit(opt_ctx *c)
{
    return get_size(c, &c->o->memory_limit);
}

/* Below HS_MAX_HEAP_MIN the cap is reached before the runtime could run at
 * all: see cli.h. */
static bool set_max_heap(opt_ctx *c)
{
    uint64_t v;
    if (!get_size(c, &v))
        return false;
    if (v < HS_MAX_HEAP_MIN)
        return fail(c, "'%s' is below 4MiB, the least heap the runtime can run in", c->arg);
    c->o->max_heap = v;
    return true;
}

static bool set_seed(opt_ctx *c)
{
    int64_t v;
    if (!get_int(c, 0, INT64_MAX, &v))
        return false;
    c->o->seed = (uint64_t)v;
    c->o->seed_given = true;
    return true;
}

static bool set_duration(opt_ctx *c)
{
    return get_duration(c, &c->o->duration_ns);
}

static bool set_headless(opt_ctx *c)
{
    c->o->headless = true;
    return true;
}

static bool set_verify(opt_ctx *c)
{
    c->o->verify = true;
    return true;
}

static bool set_fps(opt_ctx *c)
{
    int64_t v;
    if (!get_int(c, HS_FPS_MIN, HS_FPS_MAX, &v))
        return false;
    c->o->fps = (int)v;
    c->o->fps_given = true;
    return true;
}

static bool set_gctrace(opt_ctx *c)
{
    int64_t v = 1;
    if (c->arg != NULL && !get_int(c, 0, HS_GCTRACE_MAX, &v))
        return false;
    c->o->gctrace = (int)v;
    return true;
}

static bool set_stats_json(opt_ctx *c)
{
    return get_path(c, &c->o->stats_json);
}

static bool set_step(opt_ctx *c)
{
    c->o->step = true;
    return true;
}

static bool set_gc(opt_ctx *c)
{
    if (strcmp(c->arg, "classic") == 0)
        c->o->gc = HS_CLI_GC_CLASSIC;
    else if (strcmp(c->arg, "greentea") == 0)
        c->o->gc = HS_CLI_GC_GREENTEA;
    else
        return fail(c, "'%s' is not a GC mode (classic or greentea)", c->arg);
    return true;
}

static bool set_record(opt_ctx *c)
{
    return get_path(c, &c->o->record);
}

static bool set_replay(opt_ctx *c)
{
    return get_path(c, &c->o->replay);
}

static bool set_export_cast(opt_ctx *c)
{
    return get_path(c, &c->o->export_cast);
}

static bool set_screenshot(opt_ctx *c)
{
    return get_path(c, &c->o->screenshot);
}

/* A frame number counted from 1, as the replay's status line counts them
 * ("frame 1 of 162"), or a time into the recording (2.5s). */
static bool set_at(opt_ctx *c)
{
    int64_t frame;
    uint64_t ns;
    bool is_frame = hs_parse_int(c->arg, 0, INT64_MAX, &frame) == HS_PARSE_OK;
    if (!is_frame && hs_parse_duration(c->arg, &ns) != HS_PARSE_OK)
        return fail(c, "'%s' is neither a frame number nor a time (try 120 or 2.5s)", c->arg);
    if (is_frame && frame == 0)
        return fail(c, "frames count from 1, as the status line's \"frame 1 of N\" (the first "
                       "frame is 1, or 0s)");
    c->o->at = c->arg;
    return true;
}

/* One side of COLSxROWS, n bytes at s. */
static bool parse_dim(const char *s, size_t n, int64_t min, int64_t max, int *out)
{
    char buf[24];
    int64_t v;
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (hs_parse_int(buf, min, max, &v) != HS_PARSE_OK)
        return false;
    *out = (int)v;
    return true;
}

static bool set_size(opt_ctx *c)
{
    size_t n = strcspn(c->arg, "xX");
    const char *rows = c->arg + n + 1;
    if (c->arg[n] == '\0' || !parse_dim(c->arg, n, 1, INT_MAX, &c->o->size_cols) ||
        !parse_dim(rows, strlen(rows), 1, INT_MAX, &c->o->size_rows))
        return fail(c, "'%s' is not COLSxROWS (try 120x40)", c->arg);
    if (c->o->size_cols < HS_COLS_MIN || c->o->size_cols > HS_COLS_MAX ||
        c->o->size_rows < HS_ROWS_MIN || c->o->size_rows > HS_ROWS_MAX)
        return fail(c, "'%s' is out of range (columns %d to %d, rows %d to %d)", c->arg,
                    HS_COLS_MIN, HS_COLS_MAX, HS_ROWS_MIN, HS_ROWS_MAX);
    return true;
}

static bool set_attach(opt_ctx *c)
{
    int64_t v;
    switch (hs_parse_int(c->arg, 1, HS_PID_MAX, &v)) {
    case HS_PARSE_OK:
        c->o->attach_pid = (int)v;
        return true;
    case HS_PARSE_EMPTY:
        return fail(c, "empty value (a process id)");
    case HS_PARSE_RANGE:
        return fail(c, "'%s' is out of range (1 to %d)", c->arg, HS_PID_MAX);
    default:
        return fail(c, "'%s' is not a process id", c->arg);
    }
}

static bool set_attach_bin(opt_ctx *c)
{
    return get_path(c, &c->o->attach_bin);
}

/* The view to start with, by name or number. */
static bool set_view(opt_ctx *c)
{
    static const char *const names[] = {"heap", "span", "central", "ps", "timeline"};
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(c->arg, names[i]) == 0 || (c->arg[0] == '1' + i && c->arg[1] == '\0')) {
            c->o->view = i;
            return true;
        }
    }
    return fail(c, "'%s' is not a view: heap, span, central, ps or timeline (or 1-5)", c->arg);
}

static bool set_freeze(opt_ctx *c)
{
    c->o->freeze = true;
    return true;
}

/* ---- the table ------------------------------------------------------------------- */

#define REQ required_argument
#define NO no_argument

static const opt_spec specs[] = {
    {"Workload and runtime:", "workload", REQ, 'w', "NAME[:k=v,...]",
     "the scenario, default web (see --workload help)", set_workload, IN_RUNTIME},
    {NULL, "procs", REQ, 'p', "N", "number of Ps (GOMAXPROCS); default: online CPUs", set_procs,
     IN_RUNTIME},
    {NULL, "gogc", REQ, OPT_GOGC, "N|off", "GC percent, default 100", set_gogc, IN_RUNTIME},
    {NULL, "memory-limit", REQ, OPT_MEMORY_LIMIT, "SIZE", "soft limit, like GOMEMLIMIT",
     set_memory_limit, IN_RUNTIME},
    {NULL, "max-heap", REQ, OPT_MAX_HEAP, "SIZE", "hard cap, at least 4MiB; past it out of memory",
     set_max_heap, IN_RUNTIME},
    {NULL, "seed", REQ, OPT_SEED, "N", "workload seed (same seed, same workload)", set_seed,
     IN_RUNTIME},
    {NULL, "duration", REQ, OPT_DURATION, "DURATION", "stop after this long (10s, 2m)",
     set_duration, IN_ALL & ~IN_EXPORT},
    {NULL, "gc", REQ, OPT_GC, "classic|greentea",
     "Go <= 1.25 marking (default), or 1.26's Green Tea", set_gc, IN_RUNTIME},
    {NULL, "verify", NO, OPT_VERIFY, NULL, "checkmark verifier after every mark phase", set_verify,
     IN_RUNTIME},
    {NULL, "step", NO, OPT_STEP, NULL, "start paused, in GC step mode", set_step, IN_LIVE},
    {"Output:", "headless", NO, OPT_HEADLESS, NULL, "no UI: run, then print a summary",
     set_headless, IN_HEADLESS | IN_ATTACH_HEADLESS},
    {NULL, "fps", REQ, OPT_FPS, "N", "snapshots (and frames) per second, default 30", set_fps,
     IN_ALL},
    {NULL, "view", REQ, OPT_VIEW, "NAME", "the view to open: heap span central ps timeline",
     set_view, IN_VIEW},
    {NULL, "gctrace", optional_argument, OPT_GCTRACE, "LEVEL",
     "one Go-format gctrace line per cycle on stderr", set_gctrace, IN_HEADLESS},
    {NULL, "stats-json", REQ, OPT_STATS_JSON, "FILE",
     "JSON statistics, runtime/metrics names; -: stdout", set_stats_json,
     IN_HEADLESS | IN_ATTACH_HEADLESS},
    {"Recording and replay:", "record", REQ, 'r', "FILE", "record the session", set_record,
     IN_RUNTIME | IN_ANY_ATTACH},
    {NULL, "replay", REQ, OPT_REPLAY, "FILE", "open a recording in the UI", set_replay,
     IN_REPLAY | IN_EXPORT},
    {NULL, "export-cast", REQ, OPT_EXPORT_CAST, "FILE", "with --replay: write an asciicast v2 file",
     set_export_cast, IN_EXPORT},
    {NULL, "screenshot", REQ, OPT_SCREENSHOT, "FILE",
     "with --replay: one frame as .txt/.ansi/.svg/.html", set_screenshot, IN_EXPORT},
    {NULL, "at", REQ, OPT_AT, "TIME|FRAME", "which frame (from 1) or time; default: first", set_at, IN_EXPORT},
    {NULL, "size", REQ, OPT_SIZE, "COLSxROWS", "terminal size for exports (160x48)", set_size, IN_EXPORT},
    {"A running Go program:", "attach", REQ, OPT_ATTACH, "PID",
     "show a running Go program's real heap", set_attach, IN_ANY_ATTACH},
    {NULL, "attach-bin", REQ, OPT_ATTACH_BIN, "PATH", "its unstripped binary, for symbols",
     set_attach_bin, IN_ANY_ATTACH},
    {NULL, "freeze", NO, OPT_FREEZE, NULL, "with --attach: stop its threads briefly per frame",
     set_freeze, IN_ANY_ATTACH},
    {"Other:", "help", NO, 'h', NULL, "print this help and exit", NULL, IN_ALL},
    {NULL, "version", NO, 'V', NULL, "print the version and exit", NULL, IN_ALL},
};

#define NSPECS (sizeof specs / sizeof specs[0])

static const opt_spec *spec_by_val(int val)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].val == val)
            return &specs[i];
    return NULL;
}

static void fill_longopts(struct option *longs)
{
    for (size_t i = 0; i < NSPECS; i++)
        longs[i] = (struct option){specs[i].name, specs[i].has_arg, NULL, specs[i].val};
    longs[NSPECS] = (struct option){NULL, 0, NULL, 0};
}

/* ---- --help and --version -------------------------------------------------------- */

/* "  -w, --workload=NAME", "      --gctrace[=LEVEL]", then the description. */
static void print_spec(FILE *out, const opt_spec *s)
{
    char shortopt[8] = "    ", value[48] = "";
    if (s->val < 256)
        snprintf(shortopt, sizeof shortopt, "-%c, ", s->val);
    if (s->has_arg == optional_argument)
        snprintf(value, sizeof value, "[=%s]", s->metavar);
    else if (s->has_arg == required_argument)
        snprintf(value, sizeof value, "=%s", s->metavar);
    char left[80];
    int n = snprintf(left, sizeof left, "  %s--%s%s", shortopt, s->name, value);
    if (n > HELP_COLUMN - 2)
        fprintf(out, "%s\n%*s%s\n", left, HELP_COLUMN, "", s->help);
    else
        fprintf(out, "%-*s%s\n", HELP_COLUMN, left, s->help);
}

void hs_options_usage(FILE *out)
{
    fputs("Usage: " PROG " [OPTION]...\n"
          "Watch Go's memory manager and garbage collector, re-implemented in C, at work\n"
          "in the terminal: arenas, spans, caches and marking, live.\n",
          out);
    for (size_t i = 0; i < NSPECS; i++) {
        if (specs[i].section != NULL)
            fprintf(out, "\n%s\n", specs[i].section);
        print_spec(out, &specs[i]);
    }
    fputs("\nSIZE is bytes with an optional unit: KiB MiB GiB TiB (or K M G T) are powers\n"
          "of 1024, KB MB GB TB powers of 1000; 1.5GiB works.  DURATION is a number\n"
          "with a unit, ns us ms s m h, as in 250ms, 1.5s or 1m30s.\n"
          "\nExit status: 0 ok, 1 runtime failure (out of memory, verifier failure),\n"
          "2 bad usage or bad input file, 128+N --headless --attach ended by signal N.\n",
          out);
}

void hs_options_version(FILE *out)
{
    fputs(PROG " " PACKAGE_VERSION "\n" COPYRIGHT_LINE "\n" LICENSE_LINE "\n", out);
}

/* ---- parsing ------------------------------------------------------------------- */

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > HS_PROCS_MAX ? HS_PROCS_MAX : (int)n;
}

void hs_options_init(hs_options *o)
{
    *o = (hs_options){
        .workload = "web",
        .procs = online_cpus(),
        .gogc = 100,
        .fps = HS_FPS_DEFAULT,
        .gc = HS_CLI_GC_CLASSIC,
    };
}

/* How many long options start with the n bytes at name. */
static size_t count_prefix_matches(const char *name, size_t n, const char **first)
{
    size_t count = 0;
    for (size_t i = 0; i < NSPECS; i++) {
        if (strncmp(specs[i].name, name, n) == 0) {
            if (count++ == 0)
                *first = specs[i].name;
        }
    }
    return count;
}

/* An unknown or ambiguous long option, as written in argv. */
static hs_options_result bad_long_option(const char *word, FILE *err)
{
    char what[64];
    const char *name = word + 2, *first = NULL;
    size_t n = strcspn(name, "=");
    snprintf(what, sizeof what, "--%.*s", (int)(n < 40 ? n : 40), name);
    if (count_prefix_matches(name, n, &first) > 1)
        return usage_error(err, what, "ambiguous option; write it out in full (see --help)");
    return usage_error(err, what, "unknown option");
}

/* getopt_long returned ':' (missing value) or '?' (unknown, or a value given
 * to an option that takes none). */
static hs_options_result bad_option(int ch, char **argv, FILE *err)
{
    char what[64];
    const opt_spec *s = optopt != 0 ? spec_by_val(optopt) : NULL;
    if (s != NULL)
        snprintf(what, sizeof what, "--%s", s->name);
    if (ch == ':' && s != NULL)
        return usage_error(err, what, "missing its value");
    if (s != NULL)
        return usage_error(err, what, "takes no value");
    if (optopt != 0) {
        snprintf(what, sizeof what, "-%c", optopt > 0x20 && optopt < 0x7f ? optopt : '?');
        return usage_error(err, what, "unknown option");
    }
    return bad_long_option(argv[optind - 1], err);
}

static hs_options_result leftover_argument(char **argv, FILE *err)
{
    const char *word = argv[optind], *prev = argv[optind - 1];
    char what[64];
    snprintf(what, sizeof what, "'%.40s'", word);
    for (char *p = what; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    if (optind > 1 && strcmp(prev, "--gctrace") == 0)
        return usage_error(err, what, "unexpected argument (a level is written --gctrace=2)");
    return usage_error(err, what, "unexpected argument (heapscope takes options only)");
}

/* An option given without the one it needs, or with one it cannot go with. */
static hs_options_result check_needs(const hs_options *o, FILE *err)
{
    bool replay = o->replay != NULL, attach = o->attach_pid != 0;
    bool exporting = o->export_cast != NULL || o->screenshot != NULL;
    if (replay && attach)
        return usage_error(err, "--replay", "cannot be used with --attach");
    if (o->export_cast != NULL && !replay)
        return usage_error(err, "--export-cast", "needs --replay FILE");
    if (o->screenshot != NULL && !replay)
        return usage_error(err, "--screenshot", "needs --replay FILE");
    if (o->at != NULL && !replay)
        return usage_error(err, "--at", "needs --replay FILE");
    if (o->at != NULL && o->screenshot == NULL)
        return usage_error(err, "--at", "needs --screenshot FILE (it picks the frame to take)");
    if (o->size_cols != 0 && !exporting)
        return usage_error(err, "--size", "needs --export-cast or --screenshot");
    if (o->freeze && !attach)
        return usage_error(err, "--freeze", "needs --attach PID");
    if (o->attach_bin != NULL && !attach)
        return usage_error(err, "--attach-bin", "needs --attach PID");
    return HS_OPTIONS_RUN;
}

/* The IN_* bit of the mode o asks for. */
static unsigned mode_bit(const hs_options *o)
{
    switch (hs_options_mode(o)) {
    case HS_MODE_HEADLESS:
        return IN_HEADLESS;
    case HS_MODE_REPLAY:
        return IN_REPLAY;
    case HS_MODE_EXPORT:
        return IN_EXPORT;
    case HS_MODE_ATTACH:
        return o->headless ? IN_ATTACH_HEADLESS : IN_ATTACH;
    default:
        return IN_LIVE;
    }
}

static const char *mode_name(unsigned bit)
{
    switch (bit) {
    case IN_HEADLESS:
        return "a headless run (--headless)";
    case IN_REPLAY:
        return "a replay (--replay)";
    case IN_EXPORT:
        return "an export of a recording (--replay with --screenshot or --export-cast)";
    case IN_ATTACH:
        return "the view of an attached program (--attach)";
    case IN_ATTACH_HEADLESS:
        return "a headless attach (--attach with --headless)";
    default:
        return "the live view";
    }
}

/* "the live view or --headless": where option s does apply. */
static void modes_phrase(const opt_spec *s, char *buf, size_t n)
{
    unsigned modes = s->modes;
    static const struct {
        unsigned bits;
        const char *name;
    } parts[] = {{IN_LIVE, "the live view"},
                 {IN_HEADLESS, "--headless"}, /* for --headless itself: a workload */
                 {IN_REPLAY | IN_EXPORT, "--replay"},
                 {IN_ANY_ATTACH, "--attach"}};
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if ((modes & parts[i].bits) == 0)
            continue;
        const char *name = parts[i].name;
        if (strcmp(name + 2, s->name) == 0)
            name = "a workload";
        int k = snprintf(buf + len, n - len, "%s%s", len ? " or " : "", name);
        if (k < 0 || (size_t)k >= n - len)
            return;
        len += (size_t)k;
    }
}

/* An option given in a mode where it would do nothing. */
static hs_options_result check_modes(const hs_options *o, const bool *given, FILE *err)
{
    unsigned bit = mode_bit(o);
    if (strcmp(o->workload, "help") == 0)
        return HS_OPTIONS_RUN; /* --workload help, like --help, only prints */
    for (size_t i = 0; i < NSPECS; i++) {
        if (!given[i] || (specs[i].modes & bit) != 0)
            continue;
        char what[64], where[96], why[256];
        snprintf(what, sizeof what, "--%s", specs[i].name);
        modes_phrase(&specs[i], where, sizeof where);
        const char *without =
            (bit & IN_ANY_ATTACH) && !(specs[i].modes & IN_ANY_ATTACH) ? ", without --attach"
            : (bit & (IN_REPLAY | IN_EXPORT)) && !(specs[i].modes & (IN_REPLAY | IN_EXPORT))
                ? ", without --replay"
                : "";
        snprintf(why, sizeof why, "does not apply to %s; it goes with %s%s", mode_name(bit), where,
                 without);
        return usage_error(err, what, why);
    }
    if (bit == IN_HEADLESS && o->fps_given && o->record == NULL)
        return usage_error(err, "--fps",
                           "does not apply to a headless run (--headless) without --record");
    return HS_OPTIONS_RUN;
}

/* Act on one option getopt_long returned. */
static hs_options_result take_option(int ch, char **argv, hs_options *o, bool *given, FILE *err)
{
    const opt_spec *s = spec_by_val(ch);
    if (s == NULL)
        return bad_option(ch, argv, err);
    if (ch == 'h' || ch == 'V') {
        if (ch == 'h')
            hs_options_usage(stdout);
        else
            hs_options_version(stdout);
        return HS_OPTIONS_DONE;
    }
    opt_ctx c = {.o = o, .arg = optarg};
    given[s - specs] = true;
    if (s->set(&c))
        return HS_OPTIONS_RUN;
    char what[64];
    snprintf(what, sizeof what, "--%s", s->name);
    return usage_error(err, what, c.why);
}

hs_options_result hs_options_parse(int argc, char **argv, hs_options *o, FILE *err)
{
    struct option longs[NSPECS + 1];
    bool given[NSPECS] = {false};
    hs_options_result r = HS_OPTIONS_RUN;
    int ch;
    hs_options_init(o);
    fill_longopts(longs);
    optind = 0; /* a fresh scan, also of getopt's hidden state */
    opterr = 0;
    while (r == HS_OPTIONS_RUN && (ch = getopt_long(argc, argv, "+:w:p:r:hV", longs, NULL)) != -1)
        r = take_option(ch, argv, o, given, err);
    if (r != HS_OPTIONS_RUN)
        return r;
    if (optind < argc)
        return leftover_argument(argv, err);
    r = check_needs(o, err);
    return r != HS_OPTIONS_RUN ? r : check_modes(o, given, err);
}

/* ---- modes ----------------------------------------------------------------- */

hs_run_mode hs_options_mode(const hs_options *o)
{
    if (o->attach_pid != 0)
        return HS_MODE_ATTACH;
    if (o->replay != NULL)
        return o->export_cast != NULL || o->screenshot != NULL ? HS_MODE_EXPORT : HS_MODE_REPLAY;
    return o->headless ? HS_MODE_HEADLESS : HS_MODE_LIVE;
}

const char *hs_run_mode_phrase(hs_run_mode mode)
{
    switch (mode) {
    case HS_MODE_HEADLESS:
        return "run headless (--headless)";
    case HS_MODE_REPLAY:
        return "replay recordings (--replay)";
    case HS_MODE_EXPORT:
        return "export recordings (--export-cast, --screenshot)";
    case HS_MODE_ATTACH:
        return "attach to a running Go program (--attach)";
    default:
        return "show the live view";
    }
}
