/*
 * session.c — the headless mode: a runtime and a workload, wired to the
 * summary, --gctrace and --stats-json.
 *
 * hs_session_run, step by step:
 *   1. parse the workload spec (bad spec: one sentence, exit 2);
 *   2. open --stats-json for writing now, so a path that cannot be written is
 *      bad usage reported before the run, not after it (exit 2); "-" is
 *      standard output, and then the workload's report and the summary go
 *      to stderr, so what stdout carries is the JSON alone;
 *   3. build the runtime's config from the options: Ps, GOGC, the limits,
 *      marking, the verifier, enough globals for the workload, and on_cycle;
 *   4. start the mutators and, until they finish, sample HeapAlloc and
 *      HeapInuse every SAMPLE_NS for the peaks (the deadline is enforced by
 *      hs_mutators_wait);
 *   5. join, let a GC cycle already underway finish, read the final
 *      statistics, print the summary, write the JSON;
 *   6. report what failed on stderr and pick the exit status: 1 for out of
 *      memory, a failed check, an error or a verifier failure; else 0.
 *
 * on_cycle runs on the collector's thread: it keeps the last cycle (for
 * /gc/heap/live:bytes) under the session's lock and prints the gctrace line.
 */
#include <config.h>

#include "cli/recording.h"
#include "cli/setup.h"
#include "cli/sizes.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_NS 10000000LL /* peak heap sampling period */
#define PAUSE_SLACK 16
#define SETTLE_TICK_NS 1000000 /* 1 ms */
#define SETTLE_TICKS 1000

typedef struct session {
    const hs_options *o;
    FILE *out, *err; /* out: the workload's report and the summary */
    FILE *std_out;   /* standard output, where --stats-json - writes */
    hs_workload *w;
    FILE *json; /* --stats-json, or NULL */
    hs_runtime *rt;
    uint64_t seed;
    char workload[256]; /* hs_workload_format */

    pthread_mutex_t lock; /* guards last_cycle */
    hs_gc_cycle last_cycle;

    /* --record: snapshots at --fps, recorded as the live view would */
    hs_snapshotter *ss;
    bool capturing;
    cli_recording *rec;
} session;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the collector's callback ---------------------------------------------------- */

static void on_cycle(void *ctx, const hs_gc_cycle *c)
{
    session *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->last_cycle = *c;
    pthread_mutex_unlock(&s->lock);
    if (s->o->gctrace > 0) {
        char line[512], scan[HS_NUM_SIZE_CLASSES * 96 + 128];
        hs_gctrace_format(line, sizeof line, c);
        if (s->o->gctrace > 1) {
            hs_gctrace_scan_format(scan, sizeof scan, c);
            fprintf(s->err, "%s%s", line, scan); /* one write: the lines stay together */
        } else {
            fputs(line, s->err);
        }
    }
}

/* ---- setup -------------------------------------------------------------------------- */

static int parse_workload(session *s)
{
    return cli_parse_workload(s->o, s->err, &s->w, s->workload, sizeof s->workload);
}

bool cli_json_is_stdout(const hs_options *o)
{
    return o->stats_json != NULL && strcmp(o->stats_json, "-") == 0;
}

int cli_open_json(const hs_options *o, FILE *out, FILE *err, FILE **json)
{
    *json = NULL;
    if (o->stats_json == NULL)
        return 0;
    *json = cli_json_is_stdout(o) ? out : fopen(o->stats_json, "w");
    if (*json != NULL)
        return 0;
    fprintf(err, "heapscope: --stats-json: cannot write '%s': %s\n", o->stats_json,
            strerror(errno));
    return EXIT_USAGE;
}

int cli_close_json(const hs_options *o, FILE *json)
{
    if (json == NULL)
        return 0;
    if (cli_json_is_stdout(o))
        return fflush(json) != 0 || ferror(json);
    return fclose(json) != 0;
}

static int open_json(session *s)
{
    return cli_open_json(s->o, s->std_out, s->err, &s->json);
}

static int start_runtime(session *s)
{
    hs_config cfg = cli_config(s->o, s->w);
    cfg.on_cycle = on_cycle;
    cfg.on_cycle_ctx = s;
    if (s->o->record != NULL) {
        hs_snapshotter_opts so = {.fps = s->o->fps, .workload = s->workload};
        if ((s->ss = hs_snapshotter_new(&so)) == NULL) {
            fputs("heapscope: out of memory\n", s->err);
            return EXIT_RUNTIME;
        }
        hs_snapshotter_hook(s->ss, &cfg);
    }
    return cli_start_runtime(&cfg, s->err, &s->rt);
}

/* --record: capture at --fps and record from the first snapshot. */
static int start_recording(session *s)
{
    if (s->ss == NULL)
        return 0;
    if (!hs_snapshotter_start(s->ss, s->rt)) {
        fputs("heapscope: cannot start the snapshot thread\n", s->err);
        return EXIT_RUNTIME;
    }
    s->capturing = true;
    hs_snapshotter_capture(s->ss); /* frame 0: the heap before the workload */
    char why[256];
    s->rec = cli_recording_start(s->o->record, hs_snapshotter_publisher(s->ss), s->o->fps, why,
                                 sizeof(why));
    if (s->rec != NULL)
        return 0;
    fprintf(s->err, "heapscope: --record: %s\n", why);
    return EXIT_USAGE;
}

static int stop_recording(session *s)
{
    int rc = 0;
    if (s->rec != NULL) {
        hs_snapshotter_capture(s->ss); /* the last frame: the heap as the run ended */
        hs_recorder_stats st;
        char why[256];
        if (cli_recording_stop(s->rec, &st, why, sizeof(why)) != 0) {
            fprintf(s->err, "heapscope: --record: %s\n", why);
            rc = EXIT_RUNTIME;
        } else {
            fprintf(s->err, "heapscope: recorded %" PRIu64 " frames to %s (%.1f MB, %" PRIu64 " dropped)\n",
                    st.frames_written, s->o->record, (double)st.bytes_written / 1e6, st.frames_dropped);
        }
        s->rec = NULL;
    }
    if (s->capturing)
        hs_snapshotter_stop(s->ss);
    s->capturing = false;
    return rc;
}

/* ---- running ------------------------------------------------------------------------ */

static void sample(hs_runtime *rt, hs_run_stats *st)
{
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    if (ms.HeapAlloc > st->peak_heap_alloc)
        st->peak_heap_alloc = ms.HeapAlloc;
    if (ms.HeapInuse > st->peak_heap_inuse)
        st->peak_heap_inuse = ms.HeapInuse;
}

uint64_t cli_peak_rss(const char *status_path)
{
    FILE *f = fopen(status_path, "r");
    char buf[256];
    uint64_t kb = 0;
    if (f == NULL)
        return 0;
    while (fgets(buf, sizeof buf, f) != NULL)
        if (sscanf(buf, "VmHWM: %" SCNu64 " kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static bool run_workload(session *s, hs_run_stats *st, hs_workload_result *res)
{
    hs_mutator_opts mo = {.seed = s->seed, .out = s->out};
    mo.duration_ns = s->o->duration_ns ? s->o->duration_ns : hs_workload_default_duration(s->w);
    int64_t t0 = now_ns();
    hs_mutators *m = hs_mutators_start(s->w, s->rt, &mo, res->message, sizeof res->message);
    if (m == NULL) {
        fprintf(s->err, "heapscope: cannot start the workload: %s\n", res->message);
        return false;
    }
    while (!hs_mutators_wait(m, SAMPLE_NS))
        sample(s->rt, st);
    hs_mutators_join(m, res);
    st->wall_ns = now_ns() - t0;
    return true;
}

/* The count comes from the summary, and hs_gc_pauses is only asked when there
 * are pauses: its memcpy must not see NULL, ours or its own empty record.
 * The slack covers pauses of a cycle still finishing. */
static void read_pauses(hs_runtime *rt, uint64_t count, hs_pause_stats *out)
{
    size_t cap = (size_t)count + PAUSE_SLACK, n = 0;
    int64_t *ns = count > 0 ? malloc(cap * sizeof *ns) : NULL;
    if (ns != NULL) {
        n = hs_gc_pauses(rt, ns, cap);
        n = n < cap ? n : cap;
    }
    hs_pause_stats_compute(ns, n, out);
    free(ns);
}

/* A cycle underway when the workload ends is part of the run: let it and its
 * sweep finish before the statistics are read (bounded: a cycle that starts
 * later still prints its gctrace line, after the summary). */
static void settle_collector(hs_runtime *rt)
{
    struct timespec tick = {.tv_sec = 0, .tv_nsec = SETTLE_TICK_NS};
    for (int i = 0; i < SETTLE_TICKS && hs_gc_phase(rt) != HS_PHASE_OFF; i++)
        nanosleep(&tick, NULL);
}

static void collect(session *s, const hs_workload_result *res, hs_run_stats *st)
{
    const hs_options *o = s->o;
    settle_collector(s->rt);
    sample(s->rt, st);
    hs_read_memstats(s->rt, &st->mem);
    st->gc = hs_gc_get_summary(s->rt);
    read_pauses(s->rt, st->gc.pauses, &st->pauses);
    pthread_mutex_lock(&s->lock);
    st->heap_live = s->last_cycle.heap_marked;
    pthread_mutex_unlock(&s->lock);
    st->workload = s->workload;
    st->outcome = hs_workload_end_name(res->end);
    st->procs = o->procs;
    st->gogc = o->gogc;
    st->memory_limit = o->memory_limit;
    st->max_heap = o->max_heap;
    st->seed = s->seed;
    st->peak_rss = cli_peak_rss("/proc/self/status");
    st->ops = res->ops;
    st->checks_passed = res->checks_passed;
    st->checks_failed = res->checks_failed;
    st->verify = o->verify;
    st->verify_failed = st->gc.verify_failed;
}

/* ---- reporting ------------------------------------------------------------------------ */

/* Messages for what failed; the exit status. */
static int report_failures(session *s, const hs_workload_result *res, const hs_run_stats *st)
{
    int rc = 0;
    if (res->end == HS_END_OOM) {
        hs_oom_info oom = hs_runtime_oom(s->rt);
        cli_report_oom(s->err, &oom);
        rc = EXIT_RUNTIME;
    } else if (res->end == HS_END_CHECK_FAILED || res->end == HS_END_ERROR) {
        fprintf(s->err, "heapscope: %s: %s\n", s->workload, res->message);
        rc = EXIT_RUNTIME;
    }
    if (st->verify_failed) {
        fputs("heapscope: the checkmark verifier found a reachable object left unmarked\n", s->err);
        rc = EXIT_RUNTIME;
    }
    return rc;
}

int cli_report(const hs_options *o, FILE *out, FILE *err, FILE **json, const hs_run_stats *st)
{
    hs_summary_print(out, st);
    if (fflush(out) != 0 || ferror(out)) {
        fputs("heapscope: could not write to standard output\n", err);
        return EXIT_RUNTIME;
    }
    if (*json == NULL)
        return 0;
    int bad = hs_stats_json_write(*json, st);
    bad |= cli_close_json(o, *json);
    *json = NULL;
    if (bad == 0)
        return 0;
    if (cli_json_is_stdout(o))
        fputs("heapscope: --stats-json: could not write to standard output\n", err);
    else
        fprintf(err, "heapscope: --stats-json: could not write '%s'\n", o->stats_json);
    return EXIT_RUNTIME;
}

static int write_outputs(session *s, const hs_run_stats *st)
{
    return cli_report(s->o, s->out, s->err, &s->json, st);
}

static int run(session *s)
{
    hs_run_stats st = {0};
    hs_workload_result res;
    int rc = parse_workload(s);
    if (rc == 0)
        rc = open_json(s);
    if (rc == 0)
        rc = start_runtime(s);
    if (rc == 0)
        rc = start_recording(s);
    if (rc != 0)
        return rc;
    s->seed = cli_pick_seed(s->o);
    if (!run_workload(s, &st, &res))
        return EXIT_RUNTIME;
    collect(s, &res, &st);
    int rrc = stop_recording(s);
    rc = write_outputs(s, &st);
    int frc = report_failures(s, &res, &st);
    return frc != 0 ? frc : rc != 0 ? rc : rrc;
}

int hs_session_run(const hs_options *o, FILE *out, FILE *err)
{
    session s = {.o = o, .out = cli_json_is_stdout(o) ? err : out, .std_out = out, .err = err};
    pthread_mutex_init(&s.lock, NULL);
    int rc = run(&s);
    stop_recording(&s); /* when the run ended early */
    hs_runtime_free(s.rt);
    hs_snapshotter_free(s.ss);
    cli_close_json(o, s.json);
    hs_workload_free(s.w);
    pthread_mutex_destroy(&s.lock);
    return rc;
}
