/*
 * snapshotter.c — heapscope's runtime as a source of snapshots: when to
 * capture, on which thread, and publishing what was captured.
 *
 * Three kinds of capture feed one publisher:
 *   1. the capture thread, at fps (default 30): sleeps to the next frame,
 *      captures, publishes; frames it could not keep up with are skipped, not
 *      queued, and so is a frame less than half a period after another
 *      capture (a pulled one, say).  While the step controller holds, it captures each
 *      new hold once (exact: the world is stopped throughout) and then
 *      rests, since nothing moves.  During the user's pause it goes on at
 *      fps (the frames' clock and age move on) and its frames are exact too;
 *   2. the phase hook, on the collector's thread at every phase change and
 *      after every step of N objects.  While the collector steps, it
 *      captures there and then: the world is stopped (but at the end of
 *      sweep), so the capture is exact and marked world_stopped, and each
 *      hold is seen.  Otherwise it asks the thread for its next frame now
 *      (a "pulled" frame) and returns: a capture inside a stop-the-world
 *      pause stops every P for its whole length (on 2 Ps, 1 ms of capture
 *      cost the mutators 2 ms of CPU, and 0.5% of binary-trees' throughput
 *      went that way), while the thread's capture runs beside them.  The
 *      thread waits for the world to start before it captures, so that it
 *      takes no lock the pause needs; its frame shows the world the pause
 *      left behind (a pause's own phase is seen in the events, or stepping),
 *      and the events carry each phase change's exact time either way.  It pulls
 *      a frame only when its last pull was at least max(phase gap, 200 x the
 *      thread's last capture) ago, so pulled frames add at most about 0.5%
 *      of a CPU to the frames at fps however fast cycles come — 1,000 cycles
 *      of a small heap take 130 ms with a capture at each of their 5,000
 *      phase changes and 50 ms without — and in between it only reads the
 *      new events, which the next snapshot carries (or, when the thread is
 *      capturing at that moment, leaves them to it rather than make the
 *      collector wait).  A negative phase gap captures every phase change
 *      in the hook, world stopped, as when stepping;
 *   3. hs_snapshotter_capture, on the caller's thread (the UI after a step;
 *      a mutator too: the capture never waits for the collector).
 * The publisher has one writer, so captures are serialized by capmu.  The
 * hook, stepping, may wait for a frame the thread is capturing (at most one
 * capture);
 * nothing else waits for a capture, and no capture waits for a reader.
 *
 * Lifetime: the runtime calls the hook until hs_runtime_free, so the
 * snapshotter outlives the runtime; hs_snapshotter_stop detaches it first
 * (rt = NULL under capmu: a hook that comes later captures nothing).
 *
 * Locks: capmu is taken before any runtime lock (the capture takes gc.lock,
 * mcentral locks and mheap.lock inside it) and never while holding one; the
 * collector calls the hook holding no lock, so the two cannot deadlock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapscope/runtime.h"
#include "snapshot/capture.h"

struct hs_snapshotter {
    pthread_mutex_t capmu;      /* serializes captures: the publisher's one writer */
    capturer *cap;              /* capmu */
    hs_runtime *rt;             /* written under capmu, atomically: NULL when stopped */
    hs_snapshot_publisher *pub; /* immutable */
    int64_t periodNs;           /* immutable */
    int64_t phaseGapNs;         /* immutable; < 0: capture every phase change */
    bool phaseCaptures;         /* immutable */
    int64_t lastStart, lastNs;  /* capmu: when the last capture began, how long it took */
    int64_t lastHookStart;      /* capmu: when the phase hook last captured or pulled */
    int64_t lastHookNs;         /* capmu: how long its last capture (or pulled frame) took */
    hs_step_state lastHold;     /* capmu: the hold the thread captured last */
    hs_snapshotter_stats stats; /* written under capmu with relaxed atomics, read by anyone */
    pthread_mutex_t mu;         /* guards stop and pull; cond wakes the capture thread */
    pthread_cond_t cond;
    bool stop;
    bool pull; /* the phase hook asks for a frame now */
    pthread_t thread;
    bool started;
};

static void initSync(hs_snapshotter *ss)
{
    pthread_mutex_init(&ss->capmu, NULL);
    pthread_mutex_init(&ss->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* sleepUntil's deadlines */
    pthread_cond_init(&ss->cond, &ca);
    pthread_condattr_destroy(&ca);
}

hs_snapshotter *hs_snapshotter_new(const hs_snapshotter_opts *o)
{
    hs_snapshotter_opts def = {0};
    if (o == NULL)
        o = &def;
    hs_snapshotter *ss = calloc(1, sizeof(*ss));
    if (ss == NULL)
        return NULL;
    int64_t window = o->event_window_ns > 0 ? o->event_window_ns : 1000000000;
    ss->cap = capturer_new(o->workload, window);
    ss->pub = hs_snapshot_publisher_new();
    if (ss->cap == NULL || ss->pub == NULL) {
        capturer_free(ss->cap);
        hs_snapshot_publisher_free(ss->pub);
        free(ss);
        return NULL;
    }
    ss->periodNs = 1000000000 / (o->fps > 0 ? o->fps : 30);
    ss->phaseCaptures = !o->no_phase_captures;
    ss->phaseGapNs = o->phase_gap_ns ? o->phase_gap_ns : 1000000;
    initSync(ss);
    return ss;
}

void hs_snapshotter_free(hs_snapshotter *ss)
{
    if (ss == NULL)
        return;
    hs_snapshotter_stop(ss);
    capturer_free(ss->cap);
    hs_snapshot_publisher_free(ss->pub);
    pthread_mutex_destroy(&ss->capmu);
    pthread_mutex_destroy(&ss->mu);
    pthread_cond_destroy(&ss->cond);
    free(ss);
}

hs_snapshot_publisher *hs_snapshotter_publisher(hs_snapshotter *ss)
{
    return ss->pub;
}

static int64_t monoNow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t threadCpuNow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef enum captureKind { capFrame, capHook, capPulled } captureKind;

static void countCapture(hs_snapshotter *ss, captureKind kind, int64_t cpuNs)
{
    bool byHook = kind == capHook;
    if (kind == capPulled)
        __atomic_fetch_add(&ss->stats.pulled_captures, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&ss->stats.captures, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&ss->stats.capture_ns, ss->lastNs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&ss->stats.capture_cpu_ns, cpuNs, __ATOMIC_RELAXED);
    if (byHook) {
        __atomic_fetch_add(&ss->stats.phase_captures, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&ss->stats.phase_capture_ns, ss->lastNs, __ATOMIC_RELAXED);
    }
}

/* Capture and publish; capmu held.  Returns the seq, 0 if nothing was taken. */
static uint64_t captureLocked(hs_snapshotter *ss, bool worldStopped, captureKind kind)
{
    if (ss->rt == NULL)
        return 0;
    int64_t cpu0 = threadCpuNow();
    ss->lastStart = monoNow();
    hs_snapshot *s = capturer_capture(ss->cap, ss->rt, ss->pub, worldStopped);
    ss->lastNs = monoNow() - ss->lastStart;
    countCapture(ss, kind, threadCpuNow() - cpu0);
    if (s == NULL)
        return 0;
    hs_snapshot_publisher_publish(ss->pub, s);
    return s->seq;
}

hs_snapshotter_stats hs_snapshotter_get_stats(hs_snapshotter *ss)
{
    hs_snapshotter_stats st = {
        .captures = __atomic_load_n(&ss->stats.captures, __ATOMIC_RELAXED),
        .phase_captures = __atomic_load_n(&ss->stats.phase_captures, __ATOMIC_RELAXED),
        .capture_ns = __atomic_load_n(&ss->stats.capture_ns, __ATOMIC_RELAXED),
        .phase_capture_ns = __atomic_load_n(&ss->stats.phase_capture_ns, __ATOMIC_RELAXED),
        .capture_cpu_ns = __atomic_load_n(&ss->stats.capture_cpu_ns, __ATOMIC_RELAXED),
        .pulled_captures = __atomic_load_n(&ss->stats.pulled_captures, __ATOMIC_RELAXED),
    };
    return st;
}

uint64_t hs_snapshotter_capture(hs_snapshotter *ss)
{
    pthread_mutex_lock(&ss->capmu);
    uint64_t seq = captureLocked(ss, false, capFrame);
    pthread_mutex_unlock(&ss->capmu);
    return seq;
}

/* ---- the phase hook ----------------------------------------------------------------- */

/* Is it time for a phase capture (or a pulled frame)?  capmu held. */
static bool phaseCaptureDue(hs_snapshotter *ss, bool inHook)
{
    if (inHook)
        return true;
    int64_t gap = 200 * ss->lastHookNs > ss->phaseGapNs ? 200 * ss->lastHookNs : ss->phaseGapNs;
    return monoNow() - ss->lastHookStart >= gap;
}

/* Ask the thread for a frame now. */
static void pullFrame(hs_snapshotter *ss)
{
    pthread_mutex_lock(&ss->mu);
    ss->pull = true;
    pthread_cond_signal(&ss->cond);
    pthread_mutex_unlock(&ss->mu);
}

static void onPhase(void *ctx, int phase, bool worldStopped)
{
    hs_snapshotter *ss = ctx;
    (void)phase;
    /* The runtime calling us outlives this call; the snapshotter may be
     * stopping (rt going NULL under capmu). */
    hs_runtime *rt = __atomic_load_n(&ss->rt, __ATOMIC_ACQUIRE);
    if (!ss->phaseCaptures || rt == NULL)
        return;
    /* Stepping, every hold must be captured here: wait for the thread.
     * Otherwise a capture under way on the thread reads the new events
     * itself, and the collector must not wait for it. */
    bool inHook = ss->phaseGapNs < 0 || hs_gc_step_state(rt).enabled;
    if (inHook)
        pthread_mutex_lock(&ss->capmu);
    else if (pthread_mutex_trylock(&ss->capmu) != 0)
        return;
    bool pull = false;
    if (ss->rt != NULL) {
        if (!phaseCaptureDue(ss, inHook)) {
            capturer_poll(ss->cap, ss->rt);
        } else if (inHook) {
            captureLocked(ss, worldStopped, capHook);
            ss->lastHookStart = ss->lastStart;
            ss->lastHookNs = ss->lastNs;
        } else {
            capturer_poll(ss->cap, ss->rt); /* the frame may begin after a lapped ring */
            ss->lastHookStart = monoNow();
            pull = true;
        }
    }
    pthread_mutex_unlock(&ss->capmu);
    if (pull)
        pullFrame(ss);
}

void hs_snapshotter_hook(hs_snapshotter *ss, hs_config *cfg)
{
    cfg->on_phase = onPhase;
    cfg->on_phase_ctx = ss;
}

/* ---- the capture thread -------------------------------------------------------------- */

/* Sleep until the monotonic time t, until the hook pulls a frame or until
 * stopped; true when stopped.  *pulled: the hook asked for a frame. */
static bool sleepUntil(hs_snapshotter *ss, int64_t t, bool *pulled)
{
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    pthread_mutex_lock(&ss->mu);
    while (!ss->stop && !ss->pull && pthread_cond_timedwait(&ss->cond, &ss->mu, &ts) != ETIMEDOUT)
        ;
    bool stop = ss->stop;
    *pulled = ss->pull;
    ss->pull = false;
    pthread_mutex_unlock(&ss->mu);
    return stop;
}

/* One frame: a capture, unless the collector still holds where we captured,
 * or another capture began less than half a period ago (its snapshot is as
 * fresh as this one would be).  A pulled frame is taken regardless, and its
 * length is what the hook's budget counts. */
static void frame(hs_snapshotter *ss, bool pulled)
{
    /* The hook pulls from inside the collector's pause: the capture must not
     * begin until the world runs again, or it takes mheap.lock and the
     * mcentral locks from under the pause (sweep termination's work follows
     * its phase change).  rt stays set while this thread runs; capmu is not
     * held here, so a hook that captures while stepping is not kept waiting. */
    if (pulled)
        hs_world_wait_start(__atomic_load_n(&ss->rt, __ATOMIC_ACQUIRE), ss->periodNs);
    pthread_mutex_lock(&ss->capmu);
    if (ss->rt != NULL) {
        hs_step_state st = hs_gc_step_state(ss->rt);
        bool fresh = !st.enabled && monoNow() - ss->lastStart < ss->periodNs / 2;
        if (pulled && !st.enabled) {
            captureLocked(ss, false, capPulled);
            ss->lastHookNs = ss->lastNs;
        } else if (!fresh && !step_same_hold(&st, &ss->lastHold)) {
            captureLocked(ss, false, capFrame);
            ss->lastHold = st;
        }
    }
    pthread_mutex_unlock(&ss->capmu);
}

/* Frames at fps; a pulled frame comes between them and leaves their
 * schedule as it was. */
static void *captureThread(void *arg)
{
    hs_snapshotter *ss = arg;
    pthread_setname_np(pthread_self(), "hs-snapshot");
    int64_t next = monoNow();
    bool pulled = false;
    for (;;) {
        frame(ss, pulled);
        if (!pulled) {
            next += ss->periodNs;
            int64_t now = monoNow();
            if (next < now)
                next = now; /* behind: skip the frames we missed */
        }
        if (sleepUntil(ss, next, &pulled))
            return NULL;
    }
}

bool hs_snapshotter_start(hs_snapshotter *ss, hs_runtime *rt)
{
    if (ss->started)
        return false;
    pthread_mutex_lock(&ss->capmu);
    __atomic_store_n(&ss->rt, rt, __ATOMIC_RELEASE);
    memset(&ss->lastHold, 0, sizeof(ss->lastHold));
    pthread_mutex_unlock(&ss->capmu);
    pthread_mutex_lock(&ss->mu);
    ss->stop = false;
    ss->pull = false;
    pthread_mutex_unlock(&ss->mu);
    if (pthread_create(&ss->thread, NULL, captureThread, ss) != 0) {
        pthread_mutex_lock(&ss->capmu);
        __atomic_store_n(&ss->rt, NULL, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&ss->capmu);
        return false;
    }
    ss->started = true;
    return true;
}

void hs_snapshotter_stop(hs_snapshotter *ss)
{
    if (ss->started) {
        pthread_mutex_lock(&ss->mu);
        ss->stop = true;
        pthread_cond_signal(&ss->cond);
        pthread_mutex_unlock(&ss->mu);
        pthread_join(ss->thread, NULL);
        ss->started = false;
    }
    pthread_mutex_lock(&ss->capmu);
    __atomic_store_n(&ss->rt, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&ss->capmu);
}
