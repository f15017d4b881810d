/*
 * replay.c — a recording as the source: the UI with a transport (--replay),
 * or the exports (--export-cast, --screenshot) rendered through the same
 * views.
 *
 * The replay clock is a thread that owns the recording (decoding is not
 * thread-safe, and only this thread decodes): it publishes frame i when its
 * time comes, t(i) - t(first) scaled by the speed after the moment play
 * resumed, and at once when the UI steps or seeks.  The UI asks through the
 * transport, under the clock's lock, and reads its state the same way.
 *
 * The exports need no clock: each frame is decoded, fed to an hs_ui and
 * rendered into a canvas of --size (default 160x48), then written: every
 * frame into the cast at its recorded time, with a marker at every GC phase
 * change (from the frames' events, each once) and every user marker; or the
 * one frame --at names into a screenshot, after the minute before it was fed
 * so the timeline and the fades show what they would have live.  --at counts
 * frames from 1, as the status line does ("frame 1 of 162"), and takes a
 * time up to the recording's length as the status line shows it, rounded to
 * the hundredth of a second.
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

#include "cli/setup.h"
#include "heapscope/export.h"
#include "heapscope/record.h"
#include "heapscope/snapshot.h"
#include "heapscope/ui.h"

#define DEFAULT_COLS 160
#define DEFAULT_ROWS 48
#define HISTORY_NS 60000000000LL /* what a screenshot's views get to see before */
#define NEXT_GC_SEARCH 20000     /* frames G looks ahead */
#define AT_ROUNDING_NS 5000000LL /* half the status line's 0.01 s: --at this near the end is the end */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the replay clock ---------------------------------------------------------------------- */

/* A clock this far behind its next frame starts again from now. */
#define REPLAY_BEHIND_NS 250000000LL

typedef struct player {
    hs_recording *rec;
    hs_snapshot_publisher *pub;
    FILE *err;
    const char *path;
    pthread_t thread;
    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t wake;
    bool playing, stop;
    bool seek_gc;      /* G asked: the clock looks for the next cycle */
    double speed;
    size_t frame;      /* published last */
    long pending;      /* a frame asked for (step or seek), or -1 */
    int64_t base_wall; /* wall time at which frame `frame` was due */
    char marker[96];
    char error[200]; /* a frame that could not be decoded */
    char say[96];    /* why a key did nothing, until say_until */
    int64_t say_until;
} player;

/* Tell the user, on the status line for 2 s, why a key did nothing (lock held). */
static void player_say(player *p, const char *what)
{
    snprintf(p->say, sizeof(p->say), "%s", what);
    p->say_until = mono_ns() + 2000000000LL;
}

/* The caption of the last user marker at or before frame i. */
static void marker_before(player *p, size_t i, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t k = 0; k < hs_recording_markers(p->rec); k++) {
        int64_t t;
        size_t f;
        const char *cap;
        if (hs_recording_marker(p->rec, k, &t, &f, &cap) && f <= i)
            snprintf(out, n, "%s", cap[0] ? cap : "(marker)");
    }
}

/* Decode and publish frame i (clock thread only, lock not held). */
static bool publish(player *p, size_t i)
{
    char why[200];
    const hs_snapshot *s = hs_recording_frame(p->rec, i, why, sizeof(why));
    if (s == NULL) {
        pthread_mutex_lock(&p->lock);
        snprintf(p->error, sizeof(p->error), "%s", why);
        p->playing = false;
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    hs_snapshot *b = hs_snapshot_publisher_reserve(p->pub, s->size);
    if (b == NULL)
        return false;
    memcpy(b, s, s->size);
    hs_snapshot_publisher_publish(p->pub, b);
    return true;
}

/* The frame the user is at: the one asked for if it has not landed yet,
 * so that keys pressed while a frame decodes add up (lock held). */
static size_t aimed(const player *p)
{
    return p->pending >= 0 ? (size_t)p->pending : p->frame;
}

/* Ask for frame i (clamped), pausing. */
static void go_to(player *p, long i)
{
    long last = (long)hs_recording_frames(p->rec) - 1;
    p->pending = i < 0 ? 0 : i > last ? last : i;
    p->playing = false;
    pthread_cond_signal(&p->wake);
}

/* The first frame after `from` where a GC cycle has started, or -1. */
static long next_gc_frame(player *p, size_t from)
{
    size_t n = hs_recording_frames(p->rec);
    char why[200];
    const hs_snapshot *s = hs_recording_frame(p->rec, from, why, sizeof(why));
    if (s == NULL)
        return -1;
    uint32_t cycle = s->cycle;
    for (size_t i = from + 1; i < n && i <= from + NEXT_GC_SEARCH; i++) {
        s = hs_recording_frame(p->rec, i, why, sizeof(why));
        if (s == NULL)
            return -1;
        if (s->cycle != cycle)
            return (long)i;
    }
    return -1;
}

static void *clock_main(void *arg)
{
    player *p = arg;
    size_t n = hs_recording_frames(p->rec);
    publish(p, 0);
    pthread_mutex_lock(&p->lock);
    p->base_wall = mono_ns();
    while (!p->stop) {
        size_t next = p->frame;
        bool due = false;
        if (p->seek_gc) { /* decoding is this thread's: the search runs here */
            p->seek_gc = false;
            size_t from = aimed(p);
            pthread_mutex_unlock(&p->lock);
            long target = next_gc_frame(p, from);
            pthread_mutex_lock(&p->lock);
            if (target >= 0)
                go_to(p, target);
            else
                player_say(p, "no GC cycle starts after this frame");
            continue;
        }
        if (p->pending >= 0) {
            next = (size_t)p->pending;
            p->pending = -1;
            due = true;
            p->base_wall = mono_ns();
        } else if (p->playing && p->frame + 1 < n) {
            int64_t dt = hs_recording_frame_time(p->rec, p->frame + 1) -
                         hs_recording_frame_time(p->rec, p->frame);
            int64_t at = p->base_wall + (int64_t)((double)dt / p->speed);
            int64_t now = mono_ns();
            if (now >= at) {
                next = p->frame + 1;
                /* Far behind (the process was stopped, Ctrl-Z): play on from
                 * now rather than rush through the frames missed. */
                p->base_wall = now - at > REPLAY_BEHIND_NS ? now : at;
                due = true;
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t wait = at - now, abs_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + wait;
                ts.tv_sec = abs_ns / 1000000000LL;
                ts.tv_nsec = abs_ns % 1000000000LL;
                pthread_cond_timedwait(&p->wake, &p->lock, &ts);
                continue;
            }
        } else {
            if (p->playing && p->frame + 1 >= n)
                p->playing = false; /* the end: stay on the last frame */
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        if (!due)
            continue;
        p->frame = next;
        pthread_mutex_unlock(&p->lock);
        bool shown = publish(p, next);
        char cap[96];
        marker_before(p, next, cap, sizeof(cap));
        pthread_mutex_lock(&p->lock);
        snprintf(p->marker, sizeof(p->marker), "%s", cap);
        if (shown)
            p->error[0] = '\0'; /* a damaged frame's note lasts until a frame shows */
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void t_play(void *ctx, bool on)
{
    player *p = ctx;
    pthread_mutex_lock(&p->lock);
    if (on && p->frame + 1 >= hs_recording_frames(p->rec))
        p->pending = 0; /* at the end: play from the start */
    p->playing = on;
    p->base_wall = mono_ns();
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

static void t_step(void *ctx, long frames)
{
    player *p = ctx;
    pthread_mutex_lock(&p->lock);
    go_to(p, (long)aimed(p) + frames);
    pthread_mutex_unlock(&p->lock);
}

static void t_speed(void *ctx, int dir)
{
    player *p = ctx;
    pthread_mutex_lock(&p->lock);
    double s = dir > 0 ? p->speed * 2 : p->speed / 2;
    if (s < 0.25 || s > 16)
        player_say(p, s > 16 ? "x16 is the fastest" : "x0.25 is the slowest");
    p->speed = s < 0.25 ? 0.25 : s > 16 ? 16 : s;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

static void t_seek(void *ctx, hs_seek where)
{
    player *p = ctx;
    pthread_mutex_lock(&p->lock);
    size_t cur = aimed(p);
    long target = -1;
    if (where == HS_SEEK_START) {
        target = 0;
    } else if (where == HS_SEEK_END) {
        target = (long)hs_recording_frames(p->rec) - 1;
    } else if (where == HS_SEEK_NEXT_GC) {
        p->playing = false;
        p->seek_gc = true;
        pthread_cond_signal(&p->wake);
    } else {
        for (size_t k = 0; k < hs_recording_markers(p->rec); k++) {
            int64_t t;
            size_t f;
            const char *cap;
            if (!hs_recording_marker(p->rec, k, &t, &f, &cap))
                continue;
            if (where == HS_SEEK_NEXT_MARKER && f > cur && target < 0)
                target = (long)f;
            if (where == HS_SEEK_PREV_MARKER && f < cur)
                target = (long)f;
        }
    }
    if (target >= 0)
        go_to(p, target);
    else if (where == HS_SEEK_NEXT_MARKER || where == HS_SEEK_PREV_MARKER)
        player_say(p, where == HS_SEEK_NEXT_MARKER ? "no marker after this frame"
                                                   : "no marker before this frame");
    pthread_mutex_unlock(&p->lock);
}

static hs_transport_state t_state(void *ctx)
{
    player *p = ctx;
    hs_transport_state st;
    pthread_mutex_lock(&p->lock);
    size_t n = hs_recording_frames(p->rec);
    st = (hs_transport_state){.playing = p->playing,
                              .speed = p->speed,
                              .frame = p->frame,
                              .frames = n,
                              .t_ns = hs_recording_frame_time(p->rec, p->frame) -
                                      hs_recording_frame_time(p->rec, 0),
                              .end_ns = hs_recording_frame_time(p->rec, n - 1) -
                                        hs_recording_frame_time(p->rec, 0)};
    const char *say = p->error[0]                  ? p->error
                      : mono_ns() < p->say_until ? p->say
                                                 : p->marker; /* cut to fit */
    size_t k = strnlen(say, sizeof(st.marker) - 1);
    memcpy(st.marker, say, k);
    st.marker[k] = '\0';
    pthread_mutex_unlock(&p->lock);
    return st;
}

/* ---- opening ------------------------------------------------------------------------------- */

static hs_recording *open_recording(const hs_options *o, FILE *err)
{
    char why[256];
    hs_recording *r = hs_recording_open(o->replay, why, sizeof(why));
    if (r == NULL) {
        fprintf(err, "heapscope: --replay: %s\n", why);
        return NULL;
    }
    if (hs_recording_frames(r) == 0) {
        fprintf(err, "heapscope: --replay: '%s' holds no complete frame\n", o->replay);
        hs_recording_close(r);
        return NULL;
    }
    return r;
}

#define CUT_OFF_NOTE "the recording was cut off: it plays to its last complete frame"

/* ctx: the hs_recording. */
static bool replay_note(void *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "%s", hs_recording_truncated(ctx) ? CUT_OFF_NOTE : "");
    return false; /* a replay has its own banner */
}

static int run_ui(const hs_options *o, FILE *err, hs_recording *rec)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old); /* the clock thread inherits it */
    player p = {.rec = rec, .err = err, .path = o->replay, .speed = 1, .pending = -1,
                .playing = true};
    p.pub = hs_snapshot_publisher_new();
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.wake, NULL);
    int rc = 0;
    if (p.pub == NULL || pthread_create(&p.thread, NULL, clock_main, &p) != 0) {
        fputs("heapscope: cannot start the replay\n", err);
        rc = EXIT_RUNTIME;
    } else {
        hs_transport tr = {&p, t_play, t_step, t_seek, t_speed, t_state};
        hs_ui_opts uo = {.fps = o->fps, .colors = 256, .transport = &tr, .note = replay_note,
                         .note_ctx = rec, .view = o->view, .duration_ns = (int64_t)o->duration_ns};
        char why[256] = "";
        int urc = hs_ui_run(p.pub, NULL, &uo, why, sizeof(why));
        if (urc == 1) {
            fprintf(err, "heapscope: %s; --screenshot and --export-cast need no terminal.\n", why);
            rc = EXIT_USAGE;
        } else if (urc != 0) {
            rc = urc; /* 128 + the signal that ended the view */
        }
        pthread_mutex_lock(&p.lock);
        p.stop = true;
        pthread_cond_signal(&p.wake);
        pthread_mutex_unlock(&p.lock);
        pthread_join(p.thread, NULL);
    }
    hs_snapshot_publisher_free(p.pub);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.wake);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ---- exports --------------------------------------------------------------------------------- */

typedef struct exporter {
    const hs_options *o;
    FILE *err;
    hs_recording *rec;
    hs_ui *ui;
    hs_canvas *cv;
    int64_t t0;
    size_t cur;   /* the frame fed last */
    bool playing; /* a cast plays; a screenshot is one frame held */
} exporter;

/* The exports' transport: it takes no keys, and tells the status line which
 * frame of the recording is on screen, as the interactive replay does. */
static void x_play(void *ctx, bool on)
{
    (void)ctx, (void)on;
}

static void x_step(void *ctx, long frames)
{
    (void)ctx, (void)frames;
}

static void x_seek(void *ctx, hs_seek where)
{
    (void)ctx, (void)where;
}

static void x_speed(void *ctx, int dir)
{
    (void)ctx, (void)dir;
}

static hs_transport_state x_state(void *ctx)
{
    const exporter *x = ctx;
    size_t n = hs_recording_frames(x->rec);
    hs_transport_state st = {.playing = x->playing,
                             .speed = 1,
                             .frame = x->cur,
                             .frames = n,
                             .t_ns = hs_recording_frame_time(x->rec, x->cur) - x->t0,
                             .end_ns = hs_recording_frame_time(x->rec, n - 1) - x->t0};
    for (size_t k = 0; k < hs_recording_markers(x->rec); k++) { /* the last one passed */
        int64_t t;
        size_t f;
        const char *cap;
        if (hs_recording_marker(x->rec, k, &t, &f, &cap) && f <= x->cur)
            snprintf(st.marker, sizeof(st.marker), "%s", cap);
    }
    return st;
}

static bool feed(exporter *x, size_t i, const hs_snapshot **out)
{
    char why[256];
    const hs_snapshot *s = hs_recording_frame(x->rec, i, why, sizeof(why));
    if (s == NULL) {
        fprintf(x->err, "heapscope: --replay: %s\n", why);
        return false;
    }
    x->cur = i;
    hs_ui_feed(x->ui, s, s->t_ns);
    if (out != NULL)
        *out = s;
    return true;
}

/* The frame --at names (0-based): a frame number counted from 1, or the
 * frame at that time; n when it is past the end. */
static size_t at_frame(const exporter *x)
{
    size_t n = hs_recording_frames(x->rec);
    if (x->o->at == NULL)
        return 0;
    int64_t f;
    uint64_t ns;
    if (hs_parse_int(x->o->at, 1, INT64_MAX, &f) == HS_PARSE_OK)
        return (size_t)f <= n ? (size_t)f - 1 : n;
    if (hs_parse_duration(x->o->at, &ns) != HS_PARSE_OK || ns > (uint64_t)INT64_MAX / 2)
        return n;
    int64_t end = hs_recording_frame_time(x->rec, n - 1) - x->t0;
    if ((int64_t)ns > end + AT_ROUNDING_NS)
        return n;
    if ((int64_t)ns >= end - AT_ROUNDING_NS)
        return n - 1; /* the length as shown: the last frame, however close the one before */
    return hs_recording_frame_at(x->rec, x->t0 + (int64_t)ns);
}

static int screenshot(exporter *x)
{
    hs_shot_format f;
    if (!hs_shot_format_of(x->o->screenshot, &f)) {
        fprintf(x->err, "heapscope: --screenshot: '%s' does not end in .txt, .ansi, .svg or .html\n",
                x->o->screenshot);
        return EXIT_USAGE;
    }
    size_t n = hs_recording_frames(x->rec), i = at_frame(x);
    if (i >= n) {
        fprintf(x->err,
                "heapscope: --at: '%s' is past the end of the recording (frames 1 to %zu, %.2f s)\n",
                x->o->at, n, (double)(hs_recording_frame_time(x->rec, n - 1) - x->t0) / 1e9);
        return EXIT_USAGE;
    }
    int64_t from_t = hs_recording_frame_time(x->rec, i) - HISTORY_NS;
    size_t first = from_t > x->t0 ? hs_recording_frame_at(x->rec, from_t) : 0;
    const hs_snapshot *s = NULL;
    for (size_t k = first; k <= i; k++)
        if (!feed(x, k, &s))
            return EXIT_USAGE;
    hs_ui_render(x->ui, x->cv, s->t_ns);
    FILE *out = fopen(x->o->screenshot, "w");
    if (out == NULL) {
        fprintf(x->err, "heapscope: --screenshot: cannot write '%s': %s\n", x->o->screenshot,
                strerror(errno));
        return EXIT_USAGE;
    }
    int bad = hs_screenshot_write(x->cv, f, out);
    bad |= fclose(out);
    if (bad != 0) {
        fprintf(x->err, "heapscope: --screenshot: could not write '%s'\n", x->o->screenshot);
        return EXIT_RUNTIME;
    }
    return 0;
}

/* Markers for the GC phase changes among s's events not seen before. */
static void phase_markers(hs_cast *c, const hs_snapshot *s, int64_t t0, uint64_t *next_seq)
{
    static const char *const names[] = {"off", "sweep termination", "mark", "mark termination",
                                        "sweep"};
    const hs_snap_event *ev = hs_snap_events(s);
    for (uint32_t k = 0; k < s->nevents; k++) {
        if (ev[k].seq < *next_seq)
            continue;
        *next_seq = ev[k].seq + 1;
        if (ev[k].kind != HS_EV_PHASE || ev[k].a < 0 || ev[k].a > 4)
            continue;
        char label[64];
        snprintf(label, sizeof(label), "GC %" PRId64 ": %s", ev[k].b, names[ev[k].a]);
        hs_cast_marker(c, (double)(ev[k].t_ns - t0) / 1e9, label);
    }
}

static int cast(exporter *x)
{
    FILE *out = fopen(x->o->export_cast, "w");
    if (out == NULL) {
        fprintf(x->err, "heapscope: --export-cast: cannot write '%s': %s\n", x->o->export_cast,
                strerror(errno));
        return EXIT_USAGE;
    }
    size_t n = hs_recording_frames(x->rec), nmark = hs_recording_markers(x->rec), m = 0;
    char title[200];
    snprintf(title, sizeof(title), "heapscope: %s", x->o->replay);
    hs_cast *c = hs_cast_open(out, x->cv->w, x->cv->h, (int64_t)time(NULL), title);
    uint64_t next_seq = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0 && c != NULL; i++) {
        const hs_snapshot *s;
        if (!feed(x, i, &s)) {
            rc = EXIT_USAGE;
            break;
        }
        phase_markers(c, s, x->t0, &next_seq);
        for (; m < nmark; m++) { /* user markers up to this frame */
            int64_t t;
            size_t f;
            const char *cap;
            if (!hs_recording_marker(x->rec, m, &t, &f, &cap) || f > i)
                break;
            hs_cast_marker(c, (double)(t - x->t0) / 1e9, cap[0] ? cap : "marker");
        }
        hs_ui_render(x->ui, x->cv, s->t_ns);
        hs_cast_frame(c, x->cv, (double)(s->t_ns - x->t0) / 1e9);
    }
    if (c == NULL || hs_cast_close(c) != 0 || fclose(out) != 0) {
        fprintf(x->err, "heapscope: --export-cast: could not write '%s'\n", x->o->export_cast);
        unlink(x->o->export_cast);
        return EXIT_RUNTIME;
    }
    if (rc != 0) /* a frame that did not decode (said): no half a cast left behind */
        unlink(x->o->export_cast);
    return rc;
}

static int run_export(const hs_options *o, FILE *err, hs_recording *rec)
{
    exporter x = {.o = o, .err = err, .rec = rec, .t0 = hs_recording_frame_time(rec, 0)};
    hs_transport tr = {&x, x_play, x_step, x_seek, x_speed, x_state};
    hs_ui_opts uo = {.fps = o->fps, .colors = 256, .view = o->view, .transport = &tr,
                     .note = replay_note, .note_ctx = rec};
    if (hs_recording_truncated(rec)) /* said on the status line too, as in --replay */
        fprintf(err, "heapscope: note: the recording %s was cut off (or its end is damaged): "
                     "it plays to its last complete frame\n", o->replay);
    /* A .txt screenshot keeps no color: drawn as without colors, the glyphs
     * carry every state (a map of colored half blocks would say nothing). */
    hs_shot_format f;
    hs_ui_opts shot = uo;
    if (o->screenshot != NULL && hs_shot_format_of(o->screenshot, &f) && f == HS_SHOT_TXT)
        shot.colors = 0;
    x.ui = hs_ui_new(&shot, NULL);
    x.cv = hs_canvas_new(o->size_cols ? o->size_cols : DEFAULT_COLS,
                         o->size_rows ? o->size_rows : DEFAULT_ROWS);
    int rc = 0;
    if (x.ui == NULL || x.cv == NULL) {
        fputs("heapscope: out of memory\n", err);
        rc = EXIT_RUNTIME;
    }
    if (rc == 0 && o->screenshot != NULL)
        rc = screenshot(&x);
    if (rc == 0 && o->export_cast != NULL) {
        hs_ui_free(x.ui); /* a fresh UI: the cast starts from the first frame */
        x.ui = hs_ui_new(&uo, NULL);
        x.playing = true;
        rc = x.ui != NULL ? cast(&x) : EXIT_RUNTIME;
    }
    hs_ui_free(x.ui);
    hs_canvas_free(x.cv);
    return rc;
}

int hs_replay_run(const hs_options *o, FILE *err)
{
    hs_recording *rec = open_recording(o, err);
    if (rec == NULL)
        return EXIT_USAGE;
    bool exporting = o->export_cast != NULL || o->screenshot != NULL;
    if (!exporting && !isatty(STDOUT_FILENO)) { /* after the file: a bad one is told first */
        fputs("heapscope: --replay shows the recording on a terminal, and standard output is "
              "not one; --screenshot and --export-cast write it to files.\n",
              err);
        hs_recording_close(rec);
        return EXIT_USAGE;
    }
    int rc = exporting ? run_export(o, err, rec) : run_ui(o, err, rec);
    hs_recording_close(rec);
    return rc;
}
