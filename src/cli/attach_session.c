/*
 * attach_session.c — --attach PID: a running Go program as the source, the
 * visualizer or the headless summary as the sink.
 *
 * hs_attach_run, step by step:
 *   1. block SIGINT, SIGTERM and SIGHUP before any thread starts (the UI, or
 *      the headless loop below, takes them);
 *   2. headless with --stats-json: open the file now, so a path that cannot
 *      be written is bad usage found before attaching (exit 2); with "-"
 *      the JSON goes to stdout and the summary to stderr;
 *   3. open the program (src/attach/): a process that is not there, not Go,
 *      of an unsupported version, stripped, or not ours to read is refused
 *      with its sentence (exit 2); only then, without --headless, is
 *      standard output checked for a terminal;
 *   4. read frames at --fps (10 unless given) on the reader's thread; with
 *      --record, record them from the first (the same recording as a
 *      simulated session's: replay and exports take it alike), and in the
 *      view R and m start, stop and mark recordings;
 *   5. the UI over them with no control (heapscope steps no collector but
 *      its own; f and frame stepping are the UI's), and a note on the
 *      status line once the program has exited; or, headless, sample the
 *      newest frame every SAMPLE_NS until --duration passes, the program
 *      exits or a signal comes, then print the summary and write the JSON
 *      (the same keys as a simulated run, from the program's own numbers);
 *      ended by SIGINT, SIGTERM or SIGHUP, the exit status is 128 + its
 *      number, as a shell reports a command a signal ended;
 *   6. stop the reader, which never leaves the program stopped.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/recording.h"
#include "cli/setup.h"
#include "heapscope/attach.h"
#include "heapscope/snapshot.h"
#include "heapscope/ui.h"

#define ATTACH_FPS_DEFAULT 10
#define SAMPLE_NS 100000000LL /* 0.1 s */

typedef struct attached {
    const hs_options *o;
    FILE *out, *err; /* out: the summary */
    FILE *std_out;   /* standard output, where --stats-json - writes */
    FILE *json;
    hs_attach *a;
    hs_snapshot_publisher *pub;
    cli_session_rec rec; /* --record, R and m */
    sigset_t sigs;
} attached;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The status line's word once the program is gone. */
static bool note(void *ctx, char *buf, size_t n)
{
    attached *s = ctx;
    hs_attach_info in = hs_attach_get_info(s->a);
    buf[0] = '\0';
    if (in.exited)
        snprintf(buf, n, "process %d has exited: its last frame stays; q quits", s->o->attach_pid);
    return in.exited;
}

static int run_ui(attached *s)
{
    hs_ui_opts uo = {.fps = s->o->fps,
                     .colors = 256,
                     .view = s->o->view,
                     .duration_ns = (int64_t)s->o->duration_ns,
                     .note = note,
                     .note_ctx = s,
                     .record = cli_session_rec_key,
                     .marker = cli_session_rec_marker,
                     .recording = cli_session_rec_status,
                     .record_ctx = &s->rec};
    char why[256] = "";
    int rc = hs_ui_run(s->pub, NULL, &uo, why, sizeof why);
    if (rc == 1) {
        fprintf(s->err, "heapscope: %s; --headless runs without a terminal.\n", why);
        return EXIT_USAGE;
    }
    return rc; /* 0, or 128 + the signal that ended it */
}

/* ---- headless ------------------------------------------------------------------------- */

static void sample(attached *s, hs_run_stats *st)
{
    const hs_snapshot *snap = hs_snapshot_acquire(s->pub);
    if (snap == NULL)
        return;
    if (snap->HeapAlloc > st->peak_heap_alloc)
        st->peak_heap_alloc = snap->HeapAlloc;
    if (snap->HeapInuse > st->peak_heap_inuse)
        st->peak_heap_inuse = snap->HeapInuse;
    hs_snapshot_release(snap);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", s->o->attach_pid);
    uint64_t rss = cli_peak_rss(path); /* 0 once it has exited */
    st->peak_rss = rss > st->peak_rss ? rss : st->peak_rss;
}

/* Until --duration, the program's exit or a signal; the signal's number, or
 * 0 when none came. */
static int wait_run(attached *s, hs_run_stats *st)
{
    int64_t t0 = now_ns(), end = s->o->duration_ns ? t0 + (int64_t)s->o->duration_ns : INT64_MAX;
    int sig = 0;
    while (sig <= 0 && now_ns() < end && !hs_attach_get_info(s->a).exited) {
        int64_t left = end - now_ns(), tick = left < SAMPLE_NS ? left : SAMPLE_NS;
        struct timespec ts = {.tv_sec = tick / 1000000000LL, .tv_nsec = tick % 1000000000LL};
        sig = sigtimedwait(&s->sigs, NULL, &ts);
        sample(s, st);
    }
    st->wall_ns = now_ns() - t0;
    return sig > 0 ? sig : 0;
}

/* The run's numbers from the last frame, under the names of hs_run_stats. */
static void collect(attached *s, hs_run_stats *st, const char *label, const char *outcome)
{
    const hs_snapshot *snap = hs_snapshot_acquire(s->pub);
    hs_attach_info in = hs_attach_get_info(s->a);
    st->workload = label;
    st->outcome = outcome;
    st->ops = in.frames;
    if (snap == NULL)
        return;
    st->attached = snap->source == HS_SOURCE_ATTACH; /* what the summary may print */
    st->gc.gcmode = snap->gcmode == 1 ? HS_GC_GREENTEA : HS_GC_CLASSIC;
    st->procs = (int)snap->nprocs;
    st->gogc = snap->gogc;
    st->heap_live = snap->heap_marked;
    hs_memstats *m = &st->mem;
    m->HeapAlloc = m->Alloc = snap->HeapAlloc;
    m->HeapInuse = snap->HeapInuse;
    m->HeapIdle = snap->HeapIdle;
    m->HeapSys = snap->HeapSys;
    m->HeapReleased = snap->HeapReleased;
    m->HeapObjects = snap->HeapObjects;
    m->NextGC = snap->heap_goal >= (uint64_t)1 << 60 ? 0 : snap->heap_goal;
    m->NumGC = (uint32_t)snap->NumGC;
    m->PauseTotalNs = (uint64_t)snap->pause_total_ns;
    m->Mallocs = snap->Mallocs;
    m->Frees = snap->Frees;
    m->TotalAlloc = snap->TotalAlloc;
    m->TinyAllocs = in.tiny_allocs;
    st->gc.cycles = (uint32_t)snap->NumGC;
    st->gc.forced = in.forced_gcs;
    st->gc.pause_total_ns = snap->pause_total_ns;
    st->gc.pause_max_ns = snap->pause_max_ns;
    st->pauses = (hs_pause_stats){.count = snap->pauses,
                                  .total_ns = snap->pause_total_ns,
                                  .max_ns = snap->pause_max_ns,
                                  .p50_ns = snap->pause_p50_ns,
                                  .p99_ns = snap->pause_p99_ns};
    hs_snapshot_release(snap);
}

static int run_headless(attached *s)
{
    hs_run_stats st = {.attached = true};
    int sig = wait_run(s, &st);
    hs_attach_stop(s->a);
    hs_attach_info in = hs_attach_get_info(s->a);
    char label[160], outcome[96];
    snprintf(label, sizeof label, "%s pid %d (%s)", in.program, s->o->attach_pid, in.go_version);
    snprintf(outcome, sizeof outcome, "%s",
             in.exited  ? "the program exited"
             : sig != 0 ? "stopped by a signal"
                        : "attached for --duration");
    collect(s, &st, label, outcome);
    int rc = cli_report(s->o, s->out, s->err, &s->json, &st);
    return rc != 0 || sig == 0 ? rc : EXIT_SIGNAL_BASE + sig; /* as a shell reports a signal */
}

/* ---- the session ------------------------------------------------------------------------- */

static int start(attached *s)
{
    int rc = s->o->headless ? cli_open_json(s->o, s->std_out, s->err, &s->json) : 0;
    if (rc != 0)
        return rc;
    hs_attach_opts ao = {.pid = s->o->attach_pid,
                         .binary = s->o->attach_bin,
                         .freeze = s->o->freeze,
                         .fps = s->o->fps};
    char why[512];
    hs_attach_status st = hs_attach_open(&ao, &s->a, why, sizeof why);
    if (st != HS_ATTACH_OK) {
        fprintf(s->err, "heapscope: --attach %d: %s.\n", s->o->attach_pid, why);
        return st == HS_ATTACH_FAILED ? EXIT_RUNTIME : EXIT_USAGE;
    }
    if (!s->o->headless && !isatty(STDOUT_FILENO)) { /* after the program: its refusal first */
        fputs("heapscope: the attached view needs a terminal, and standard output is not one; "
              "--headless --attach PID runs without it.\n",
              s->err);
        return EXIT_USAGE;
    }
    s->pub = hs_snapshot_publisher_new();
    if (s->pub == NULL || hs_attach_capture(s->a, s->pub) == HS_ATTACH_FAILED ||
        !hs_attach_start(s->a, s->pub)) {
        fputs("heapscope: cannot start reading the program (out of memory?)\n", s->err);
        return EXIT_RUNTIME;
    }
    s->rec = (cli_session_rec){.path = s->o->record, .pub = s->pub, .fps = s->o->fps};
    if (s->o->record != NULL) { /* from the first frame; a bad path is bad usage */
        if (!cli_session_rec_start(&s->rec, why, sizeof why)) {
            fprintf(s->err, "heapscope: --record: %s\n", why);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* Stop a recording still running; say what it came to. */
static int stop_recording(attached *s)
{
    int rc = 0;
    if (s->rec.rec != NULL) {
        char why[300];
        if (cli_session_rec_stop(&s->rec, why, sizeof why) != 0) {
            fprintf(s->err, "heapscope: --record: %s\n", why);
            rc = EXIT_RUNTIME;
        }
    }
    if (s->rec.recorded[0] != '\0')
        fprintf(s->err, "heapscope: %s\n", s->rec.recorded);
    return rc;
}

int hs_attach_run(const hs_options *o, FILE *out, FILE *err)
{
    hs_options opts = *o;
    if (!opts.fps_given)
        opts.fps = ATTACH_FPS_DEFAULT;
    attached s = {.o = &opts, .out = cli_json_is_stdout(o) ? err : out, .std_out = out, .err = err};
    sigset_t old;
    sigemptyset(&s.sigs);
    sigaddset(&s.sigs, SIGINT);
    sigaddset(&s.sigs, SIGTERM);
    sigaddset(&s.sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &s.sigs, &old);
    int rc = start(&s);
    if (rc == 0)
        rc = opts.headless ? run_headless(&s) : run_ui(&s);
    int rrc = stop_recording(&s);
    rc = rc != 0 ? rc : rrc;
    hs_attach_close(s.a); /* stops the reader first */
    hs_snapshot_publisher_free(s.pub);
    cli_close_json(&opts, s.json);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
