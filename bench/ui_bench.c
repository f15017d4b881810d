/*
 * ui_bench.c — what the live view costs (`make bench`).
 *
 *   1. One frame, snapshot to screen: a ~1 GiB heap (benchutil.h) captured,
 *      fed to the UI, each view rendered into a 200x60 canvas and copied to
 *      an ncurses screen writing xterm-256color to /dev/null; the median and
 *      the max over -f frames, per view, with the heap in mark (exactly as
 *      the map draws it then) and out of it.
 *   2. Mutator throughput with the live view open: binary-trees on every CPU
 *      headless, then with the snapshotter at 30 Hz and a UI thread drawing
 *      each new snapshot to the /dev/null screen as the live view does (only
 *      the cells that changed), alternating, -r runs each; the
 *      ratio of the median wall times is the throughput with the view over
 *      the throughput without it.
 * Measurements, not tests: exit 0 whatever the numbers are.
 *
 * Usage: ui_bench [-n] [-f FRAMES] [-r RUNS] [-d DEPTH]
 * -n: part 2 only (bench/peers.sh takes its ratio).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <ncurses.h>

#include "heapscope/runtime.h"
#include "heapscope/snapshot.h"
#include "heapscope/ui.h"
#include "heapscope/workload.h"
#include "ui/uistate.h"

#include "benchutil.h"

enum { maxRuns = benchMaxRuns, maxFrames = 1001, cols = 200, rows = 60 };

typedef struct options {
    int frames, runs, depth;
    bool throughputOnly;
} options;

/* An ncurses screen that writes to /dev/null: the cost of output without a terminal. */
static SCREEN *null_screen(FILE **out, FILE **in)
{
    *out = fopen("/dev/null", "w");
    *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm-256color", *out, *in);
    if (scr == NULL)
        return NULL;
    set_term(scr);
    resizeterm(rows, cols);
    start_color();
    use_default_colors();
    return scr;
}

static void null_screen_free(SCREEN *scr, FILE *out, FILE *in)
{
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
}

static void frame_times(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, int frames, bool mark)
{
    static const char *const names[] = {"heap", "span", "central", "Ps", "timeline"};
    for (int v = 0; v < HS_VIEW_COUNT; v++) {
        double t[maxFrames];
        hs_ui_key(ui, '1' + v);
        for (int i = 0; i < frames; i++) {
            double t0 = now_seconds();
            hs_ui_feed(ui, s, (int64_t)(t0 * 1e9));
            hs_ui_render(ui, cv, (int64_t)(t0 * 1e9));
            term_blit(NULL, cv, 256);
            t[i] = (now_seconds() - t0) * 1e3;
        }
        double med = median(t, frames);
        printf("  %-8s view%s: median %.2f ms, max %.2f ms\n", names[v], mark ? " in mark" : "",
               med, t[frames - 1]);
    }
}

static int bench_frame(const options *o)
{
    hs_snapshotter_opts so = {.fps = 1, .workload = "ui_bench:heap=1GiB"};
    hs_snapshotter *ss = hs_snapshotter_new(&so);
    hs_config cfg = hs_config_default();
    cfg.gogc = -1;
    hs_runtime *rt = NULL;
    if (ss == NULL || hs_runtime_new(&cfg, &rt) != HS_OK || !build_heap(rt)) {
        fprintf(stderr, "ui_bench: could not build a 1 GiB heap\n");
        return 1;
    }
    hs_snapshotter_start(ss, rt);
    hs_snapshotter_capture(ss);
    const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
    FILE *out, *in;
    SCREEN *scr = null_screen(&out, &in);
    hs_ui_opts uo = {.fps = 30, .colors = 256};
    hs_ui *ui = hs_ui_new(&uo, NULL);
    hs_canvas *cv = hs_canvas_new(cols, rows);
    if (scr == NULL || ui == NULL || cv == NULL) {
        fprintf(stderr, "ui_bench: no screen to draw on\n");
        return 1;
    }
    printf("one frame at %dx%d of a %.0f MiB heap (%u pages, %u spans), snapshot to screen:\n",
           cols, rows, (double)s->HeapInuse / (1 << 20), s->npages, s->nspans);
    frame_times(ui, s, cv, o->frames, false);
    /* The same heap as the map draws it during mark: counts of every span's cells. */
    hs_snapshot *m = malloc(s->size);
    memcpy(m, s, s->size);
    m->phase = HS_PHASE_MARK;
    m->seq += 1000000;
    hs_ui_key(ui, HS_KEY_END);
    frame_times(ui, m, cv, o->frames, true);
    free(m);
    null_screen_free(scr, out, in);
    hs_canvas_free(cv);
    hs_ui_free(ui);
    hs_snapshot_release(s);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    return 0;
}

/* ---- 2. binary-trees headless and with the view open ------------------------------------ */

typedef struct viewer {
    hs_snapshot_publisher *pub;
    int stop; /* atomic */
    uint64_t frames;
    double busy; /* seconds spent drawing */
} viewer;

/* One view thread per run with the snapshotter; frames and busy summed over runs. */
typedef struct viewer_run {
    viewer v;
    pthread_t th;
    uint64_t frames;
    double busy;
} viewer_run;

/* This thread's CPU time in seconds: what drawing costs, not what waiting
 * for a busy CPU adds. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *viewer_main(void *arg)
{
    viewer *v = arg;
    FILE *out, *in;
    SCREEN *scr = null_screen(&out, &in);
    hs_ui_opts uo = {.fps = 30, .colors = 256};
    hs_ui *ui = hs_ui_new(&uo, NULL);
    hs_canvas *cv = hs_canvas_new(cols, rows);
    term_blitter blit = {0};
    double next = now_seconds();
    uint64_t seen = 0;
    /* As the live view's loop (src/ui/term.c): a frame for each new snapshot,
     * only the cells that changed sent to the screen. */
    while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE) && scr != NULL) {
        double t0 = now_seconds(), c0 = thread_cpu();
        const hs_snapshot *s = hs_snapshot_acquire(v->pub);
        bool fresh = s != NULL && s->seq != seen;
        if (fresh) {
            seen = s->seq;
            hs_ui_feed(ui, s, (int64_t)(t0 * 1e9));
        }
        if (s != NULL)
            hs_snapshot_release(s);
        if (fresh) {
            hs_ui_render(ui, cv, (int64_t)(t0 * 1e9));
            term_blit(&blit, cv, 256);
            v->frames++;
        }
        v->busy += thread_cpu() - c0;
        next += 1.0 / 30;
        double wait = next - now_seconds();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    if (scr != NULL)
        null_screen_free(scr, out, in);
    term_blitter_free(&blit);
    hs_canvas_free(cv);
    hs_ui_free(ui);
    return NULL;
}

/* The view's thread runs while the snapshotter does. */
static void viewer_start(hs_snapshotter *ss, void *arg)
{
    viewer_run *r = arg;
    r->v = (viewer){.pub = hs_snapshotter_publisher(ss)};
    pthread_create(&r->th, NULL, viewer_main, &r->v);
}

static void viewer_stop(hs_snapshotter *ss, void *arg)
{
    (void)ss;
    viewer_run *r = arg;
    __atomic_store_n(&r->v.stop, 1, __ATOMIC_RELEASE);
    pthread_join(r->th, NULL);
    r->frames += r->v.frames;
    r->busy += r->v.busy;
}

static int bench_throughput(const options *o)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "binary-trees:depth=%d", o->depth);
    viewer_run sum = {0};
    bench_observer obs = {.started = viewer_start, .stopping = viewer_stop, .arg = &sum};
    bench_pair r;
    if (bench_with_without("ui_bench", spec, o->runs, &obs, &r) != 0)
        return 1;
    double a = r.without, b = r.with;
    printf("%s on %d Ps, median of %d runs: %.3f s headless, %.3f s with the view open "
           "(snapshots and frames at 30 Hz)\n",
           spec, r.nprocs, o->runs, a, b);
    printf("the view drew %.0f frames a run, %.2f ms of CPU each on average\n",
           (double)sum.frames / o->runs, sum.frames ? sum.busy * 1e3 / (double)sum.frames : 0);
    printf("mutator throughput with the view / headless: %.3f\n", a / b);
    return 0;
}

static bool parse_options(int argc, char **argv, options *o)
{
    *o = (options){.frames = 31, .runs = 3, .depth = 18};
    int c;
    while ((c = getopt(argc, argv, "nf:r:d:")) != -1) {
        if (c == 'n') {
            o->throughputOnly = true;
            continue;
        }
        if (c == '?')
            return false;
        int v = atoi(optarg);
        if (c == 'f' && v >= 1 && v <= maxFrames)
            o->frames = v;
        else if (!bench_runs_depth_option(c, optarg, maxRuns, &o->runs, &o->depth))
            return false;
    }
    return optind == argc;
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o)) {
        fprintf(stderr, "usage: ui_bench [-n] [-f FRAMES 1..%d] [-r RUNS 1..%d] [-d DEPTH 6..24]\n",
                maxFrames, maxRuns);
        return 2;
    }
    printf("heapscope's live view\n");
    int rc = o.throughputOnly ? 0 : bench_frame(&o);
    if (rc == 0)
        rc = bench_throughput(&o);
    return rc;
}
