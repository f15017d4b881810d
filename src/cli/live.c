/*
 * live.c — the live session: heapscope's runtime and a workload as the
 * source, the visualizer as the sink.
 *
 * hs_live_run, step by step:
 *   1. block SIGINT, SIGTERM and SIGHUP before any thread starts, so every
 *      thread inherits the mask and the UI alone receives them (through its
 *      signalfd) and can restore the terminal;
 *   2. parse the workload and check --record's path, and only then check
 *      for a terminal (a mistake in the input is told first); make a snapshotter, build the runtime with the
 *      snapshotter's phase hook; with --step, turn stepping on before the
 *      mutators start, so the first cycle holds at its first phase;
 *   3. start capturing and the mutators (no deadline unless --duration: a
 *      live view runs until the user quits, and a workload that ends on its
 *      own leaves its last picture on screen);
 *   4. run the UI on this thread, with the control below as its only way
 *      back to the runtime;
 *   5. on quit: stop recording, release any pause or hold, stop and join
 *      the mutators, stop capturing, free everything; then report what was
 *      recorded and what failed (out of memory, a failed check) on stderr,
 *      the terminal being restored by then.
 *
 * Recording (--record, R, m) is the session's: a pump thread
 * (cli/recording.c) records what the snapshotter publishes, the same stream
 * the UI shows; the UI only asks.
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/recording.h"
#include "cli/setup.h"
#include "cli/sizes.h"
#include "heapscope/snapshot.h"
#include "heapscope/ui.h"

typedef struct live {
    const hs_options *o;
    FILE *err;
    hs_workload *w;
    char workload[256];
    hs_runtime *rt;
    hs_snapshotter *ss;
    hs_mutators *m;
    bool capturing, paused;
    cli_session_rec rec; /* --record, R and m */
} live;

/* ---- the control the UI gets ----------------------------------------------------------- */

static void ctl_pause(void *ctx, bool on)
{
    live *l = ctx;
    if (on)
        hs_world_pause(l->rt);
    else
        hs_world_resume(l->rt);
    l->paused = on;
}

static void ctl_gc(void *ctx)
{
    live *l = ctx;
    hs_gc_request(l->rt);
}

static void ctl_stepping(void *ctx, bool on)
{
    live *l = ctx;
    hs_gc_set_stepping(l->rt, on);
}

static void ctl_step(void *ctx, hs_ctl_step kind, uint64_t n)
{
    live *l = ctx;
    hs_step_kind k = kind == HS_CTL_STEP_OBJECTS ? HS_STEP_OBJECTS
                     : kind == HS_CTL_STEP_CYCLE ? HS_STEP_CYCLE
                                                 : HS_STEP_PHASE;
    hs_gc_step(l->rt, k, n);
}

static void ctl_set_gogc(void *ctx, int gogc)
{
    live *l = ctx;
    hs_set_gogc(l->rt, gogc);
}

/* What the status line says about the workload once it has ended. */
static bool note(void *ctx, char *buf, size_t n)
{
    live *l = ctx;
    buf[0] = '\0';
    if (l->m == NULL || !hs_mutators_wait(l->m, 0))
        return false;
    hs_oom_info oom = hs_runtime_oom(l->rt);
    if (oom.happened)
        snprintf(buf, n, "out of memory: the heap reached --max-heap; q quits");
    else
        snprintf(buf, n, "the workload has ended; q quits");
    return true;
}

/* ---- the session ------------------------------------------------------------------------- */

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static int start(live *l)
{
    int rc = cli_parse_workload(l->o, l->err, &l->w, l->workload, sizeof(l->workload));
    if (rc == 0)
        rc = cli_check_record_path(l->o, l->err);
    if (rc != 0)
        return rc;
    if (!isatty(STDOUT_FILENO)) { /* after the input: a mistake in it is told first */
        fputs("heapscope: the live view needs a terminal, and standard output is not one; "
              "--headless runs without it.\n",
              l->err);
        return EXIT_USAGE;
    }
    hs_snapshotter_opts so = {.fps = l->o->fps, .workload = l->workload};
    l->ss = hs_snapshotter_new(&so);
    if (l->ss == NULL) {
        fputs("heapscope: out of memory\n", l->err);
        return EXIT_RUNTIME;
    }
    hs_config cfg = cli_config(l->o, l->w);
    hs_snapshotter_hook(l->ss, &cfg);
    if ((rc = cli_start_runtime(&cfg, l->err, &l->rt)) != 0)
        return rc;
    if (l->o->step)
        hs_gc_set_stepping(l->rt, true);
    if (!hs_snapshotter_start(l->ss, l->rt)) {
        fputs("heapscope: cannot start the snapshot thread\n", l->err);
        return EXIT_RUNTIME;
    }
    l->capturing = true;
    l->rec = (cli_session_rec){.path = l->o->record, .pub = hs_snapshotter_publisher(l->ss),
                               .fps = l->o->fps};
    if (l->o->record != NULL) { /* --record: from the first frame; a bad path is bad usage */
        char why[256];
        if (!cli_session_rec_start(&l->rec, why, sizeof(why))) {
            fprintf(l->err, "heapscope: --record: %s\n", why);
            return EXIT_USAGE;
        }
    }
    char why[256];
    hs_mutator_opts mo = {.seed = cli_pick_seed(l->o), .duration_ns = l->o->duration_ns};
    l->m = hs_mutators_start(l->w, l->rt, &mo, why, sizeof(why));
    if (l->m == NULL) {
        fprintf(l->err, "heapscope: cannot start the workload: %s\n", why);
        return EXIT_RUNTIME;
    }
    return 0;
}

/* Let the runtime run to the mutators' end: no pause, no hold. */
static void release(live *l)
{
    if (l->paused)
        hs_world_resume(l->rt);
    hs_gc_set_stepping(l->rt, false);
}

static int finish(live *l)
{
    hs_workload_result res = {.end = HS_END_FINISHED};
    int rc = 0;
    if (l->rec.rec != NULL) {
        char why[300];
        if (cli_session_rec_stop(&l->rec, why, sizeof(why)) != 0) {
            fprintf(l->err, "heapscope: --record: %s\n", why);
            rc = EXIT_RUNTIME;
        }
    }
    if (l->rec.recorded[0] != '\0')
        fprintf(l->err, "heapscope: %s\n", l->rec.recorded);
    if (l->m != NULL) {
        release(l);
        hs_mutators_stop(l->m);
        hs_mutators_join(l->m, &res);
        l->m = NULL;
    }
    if (l->capturing)
        hs_snapshotter_stop(l->ss);
    if (res.end == HS_END_OOM) {
        hs_oom_info oom = hs_runtime_oom(l->rt);
        cli_report_oom(l->err, &oom);
        rc = EXIT_RUNTIME;
    } else if (res.end == HS_END_CHECK_FAILED || res.end == HS_END_ERROR) {
        fprintf(l->err, "heapscope: %s: %s\n", l->workload, res.message);
        rc = EXIT_RUNTIME;
    }
    if (l->rt != NULL && hs_gc_get_summary(l->rt).verify_failed) {
        fputs("heapscope: the checkmark verifier found a reachable object left unmarked\n", l->err);
        rc = EXIT_RUNTIME;
    }
    return rc;
}

int hs_live_run(const hs_options *o, FILE *err)
{
    live l = {.o = o, .err = err};
    sigset_t old;
    block_signals(&old);
    int rc = start(&l);
    if (rc == 0) {
        hs_control ctl = {.ctx = &l,
                          .pause = ctl_pause,
                          .gc = ctl_gc,
                          .stepping = ctl_stepping,
                          .step = ctl_step,
                          .set_gogc = ctl_set_gogc};
        hs_ui_opts uo = {.fps = o->fps,
                         .colors = 256,
                         .step = o->step,
                         .view = o->view,
                         .duration_ns = (int64_t)o->duration_ns,
                         .note = note,
                         .note_ctx = &l,
                         .record = cli_session_rec_key,
                         .marker = cli_session_rec_marker,
                         .recording = cli_session_rec_status,
                         .record_ctx = &l.rec};
        char why[256] = "";
        rc = hs_ui_run(hs_snapshotter_publisher(l.ss), &ctl, &uo, why, sizeof(why));
        if (rc == 1) {
            fprintf(err, "heapscope: %s; --headless runs without a terminal.\n", why);
            rc = EXIT_USAGE;
        } /* else 0, or 128 + the signal that ended the view */
    }
    int frc = finish(&l);
    rc = rc != 0 ? rc : frc;
    hs_runtime_free(l.rt);
    hs_snapshotter_free(l.ss);
    hs_workload_free(l.w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
