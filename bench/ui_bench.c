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
 *      the throughput without it.  One view serves every run, as one serves
 *      a session, with its history ring resident as it is once it has
 *      turned; the ring's first fill is timed apart.
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

/* The view outlives the runs, as in a session: one UI, canvas, blitter and
 * screen for every run with the view.  Its history ring is touched once
 * before the first run (first_fill_ms), so the runs pay what a session pays
 * once the ring has turned, seconds after it opened: no page faults.  The
 * first fill's cost is printed beside the ratio. */
typedef struct viewer {
    hs_snapshot_publisher *pub;
    int stop; /* atomic */
    pthread_t th;
    SCREEN *scr;
    FILE *out, *in;
    hs_ui *ui;
    hs_canvas *cv;
    term_blitter blit;
    uint64_t seen;
    uint64_t frames; /* summed over runs */
    double busy;     /* seconds of this thread's CPU spent on frames, summed */
    double first_fill_ms;
} viewer;

/* This thread's CPU time in seconds: what drawing costs, not what waiting
 * for a busy CPU adds. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool viewer_open(viewer *v)
{
    *v = (viewer){0};
    hs_ui_opts uo = {.fps = 30, .colors = 256};
    if ((v->scr = null_screen(&v->out, &v->in)) == NULL || (v->ui = hs_ui_new(&uo, NULL)) == NULL ||
        (v->cv = hs_canvas_new(cols, rows)) == NULL)
        return false;
    double c0 = thread_cpu();
    memset(v->ui->hist.base, 0, v->ui->hist.size);
    v->first_fill_ms = (thread_cpu() - c0) * 1e3;
    return true;
}

static void viewer_close(viewer *v)
{
    if (v->scr != NULL)
        null_screen_free(v->scr, v->out, v->in);
    term_blitter_free(&v->blit);
    hs_canvas_free(v->cv);
    hs_ui_free(v->ui);
}

static void *viewer_main(void *arg)
{
    viewer *v = arg;
    pthread_setname_np(pthread_self(), "hs-view"); /* to be told apart in a profile */
    double next = now_seconds();
    /* As the live view's loop (src/ui/term.c): a frame for each new snapshot,
     * only the cells that changed sent to the screen. */
    while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
        double t0 = now_seconds(), c0 = thread_cpu();
        const hs_snapshot *s = hs_snapshot_acquire(v->pub);
        bool fresh = s != NULL && s->seq != v->seen;
        if (fresh) {
            v->seen = s->seq;
            hs_ui_feed(v->ui, s, (int64_t)(t0 * 1e9));
        }
        if (s != NULL)
            hs_snapshot_release(s);
        if (fresh) {
            hs_ui_render(v->ui, v->cv, (int64_t)(t0 * 1e9));
            term_blit(&v->blit, v->cv, 256);
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
    return NULL;
}

/* The view's thread runs while the snapshotter does.  Each run's runtime
 * starts its snapshots' sequence again: the view takes them as new. */
static void viewer_start(hs_snapshotter *ss, void *arg)
{
    viewer *v = arg;
    v->pub = hs_snapshotter_publisher(ss);
    v->stop = 0;
    v->seen = 0;
    v->ui->have_latest = false;
    pthread_create(&v->th, NULL, viewer_main, v);
}

static void viewer_stop(hs_snapshotter *ss, void *arg)
{
    (void)ss;
    viewer *v = arg;
    __atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
    pthread_join(v->th, NULL);
}

static int bench_throughput(const options *o)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "binary-trees:depth=%d", o->depth);
    viewer v;
    if (!viewer_open(&v)) {
        fprintf(stderr, "ui_bench: could not open a view on /dev/null\n");
        viewer_close(&v);
        return 1;
    }
    bench_observer obs = {.started = viewer_start, .stopping = viewer_stop, .arg = &v};
    bench_pair r;
    int rc = bench_with_without("ui_bench", spec, o->runs, &obs, &r);
    if (rc == 0) {
        double a = r.without, b = r.with;
        printf("%s on %d Ps, median of %d runs: %.3f s headless, %.3f s with the view open "
               "(snapshots and frames at 30 Hz)\n",
               spec, r.nprocs, o->runs, a, b);
        printf("the view drew %.0f frames a run, %.2f ms of CPU each on average\n",
               (double)v.frames / o->runs, v.frames ? v.busy * 1e3 / (double)v.frames : 0);
        printf("its history ring's first fill (paid once, over a session's first seconds): "
               "%.0f ms of CPU for %.0f MiB\n",
               v.first_fill_ms, (double)v.ui->hist.size / (1 << 20));
        printf("mutator throughput with the view / headless: %.3f (median of %d pairs of "
               "runs side by side; quartiles %.3f-%.3f; ratio of the medians %.3f)\n",
               r.ratio, o->runs, r.ratio_lo, r.ratio_hi, a / b);
    }
    viewer_close(&v);
    return rc;
}

static bool parse_options(int argc, char **argv, options *o)
{
    *o = (options){.frames = 31, .runs = 11, .depth = 18};
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
