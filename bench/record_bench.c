/*
 * record_bench.c — what a recording costs (`make bench`).
 *
 *   1. Record a live workload (by default web, the default workload, with
 *      a 144 MiB cache: a heap of about 256 MiB, on 2 Ps) at 30 fps for -d
 *      seconds after a 3 s warm-up: the snapshotter captures on its own
 *      thread (and at phase changes, as in a session), this thread takes
 *      the newest snapshot 30 times a second and hands it to the recorder,
 *      as the session does.  Prints the heap, the snapshot size, the frames
 *      a second it got, frames written and dropped, bytes per second of
 *      file, the compression ratio, the mean keyframe and delta, and the
 *      writer thread's CPU (its share of one core, and per frame).
 *   2. Replay it: where the bytes go (record_parts.h: each part of the
 *      transformed frames compressed alone, keyframes and deltas apart),
 *      then decode every frame in order (per-frame time), then seek to -s
 *      random frames and to the frame before each keyframe, the worst case
 *      (max and median per seek).
 *   3. A 10-minute recording (-x N: N times as long; by default as many
 *      times as make 10 minutes), made by recording the frames of the first
 *      one over and over (times shifted; the jump at each seam is a frame
 *      like any other), and the same seeks on it.  Its frames are real
 *      captures, repeated; its size is N times the first.
 * Measurements, not tests: exit 0 whatever the numbers, 1 when something
 * fails to run, 2 on bad usage.  The default takes about 5 minutes on a
 * loaded 2-CPU machine; HS_BENCH_LONG=1 records 120 s instead of 30.
 *
 * -o FILE keeps the recording in FILE (without it, a temporary file).
 * -r FILE takes an earlier recording (of any format version this build
 * reads) instead of recording a live workload: parts 2 and 3 on its
 * frames, so that two builds' bytes compare on the same frames (-x 1: part
 * 3 records its frames once, with this build's coding).
 * -k and -m: a keyframe at least every K frames and every M MiB of
 * snapshot decoded (hs_recorder_opts; 0: the recorder's defaults).
 *
 * Usage: record_bench [-w SPEC] [-p PROCS] [-d SECONDS] [-k KEYFRAME_EVERY]
 *                     [-m KEYFRAME_MIB] [-l LEVEL] [-s SEEKS] [-x REPEAT]
 *                     [-o FILE] [-r FILE]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapscope/record.h"
#include "heapscope/runtime.h"
#include "heapscope/snapshot.h"
#include "heapscope/workload.h"

#include "benchutil.h"
#include "record_parts.h"

typedef struct options {
    const char *spec, *out;
    int procs, seconds, keyframe_every, keyframe_mib, level, seeks, repeat;
    bool keep; /* -o: the recording stays */
    bool given; /* -r: an earlier recording instead of a live one */
} options;

typedef struct live {
    uint64_t frames;         /* handed to the recorder */
    double heap_sum;         /* HeapInuse, summed over frames */
    uint64_t size_sum;       /* snapshot bytes, summed */
    int64_t t_first, t_last; /* snapshot times */
    uint32_t cycles;
} live;

static void sleep_until(struct timespec *next, long step_ns)
{
    next->tv_nsec += step_ns;
    while (next->tv_nsec >= 1000000000L) {
        next->tv_nsec -= 1000000000L;
        next->tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

/* Hand the newest snapshot to rec (if any) 30 times a second for seconds. */
static void feed(hs_snapshot_publisher *pub, hs_recorder *rec, int seconds, live *lv)
{
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    uint64_t last = 0;
    for (int tick = 0; tick < 30 * seconds; tick++) {
        sleep_until(&next, 1000000000L / 30);
        const hs_snapshot *s = hs_snapshot_acquire(pub);
        if (s != NULL && s->seq != last && rec != NULL) {
            hs_recorder_add(rec, s);
            last = s->seq;
            if (lv->frames++ == 0)
                lv->t_first = s->t_ns;
            lv->t_last = s->t_ns;
            lv->heap_sum += (double)s->HeapInuse;
            lv->size_sum += s->size;
            lv->cycles = s->cycle;
        }
        if (s != NULL)
            hs_snapshot_release(s);
    }
}

static void print_recorder(const hs_recorder_stats *st, double seconds)
{
    printf("frames written %llu (%llu keyframes), dropped %llu; writer thread busy %.1f%% of a "
           "core (%.2f ms a frame)\n",
           (unsigned long long)st->frames_written, (unsigned long long)st->keyframes,
           (unsigned long long)st->frames_dropped, 100.0 * (double)st->busy_ns / 1e9 / seconds,
           (double)st->busy_ns / 1e6 / (double)(st->frames_written ? st->frames_written : 1));
}

/* Record the live workload to o->out; 0 on success. */
static int record_live(const options *o, live *lv)
{
    char why[256];
    hs_workload *w = NULL;
    if (hs_workload_parse(o->spec, &w, why, sizeof(why)) != HS_WORKLOAD_OK) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 2;
    }
    hs_snapshotter_opts so = {.fps = 30, .workload = o->spec};
    hs_snapshotter *ss = hs_snapshotter_new(&so);
    hs_config cfg = hs_config_default();
    cfg.nprocs = o->procs;
    cfg.nglobals = hs_workload_nglobals(w, o->procs);
    hs_snapshotter_hook(ss, &cfg);
    hs_runtime *rt = NULL;
    if (hs_runtime_new(&cfg, &rt) != HS_OK || !hs_snapshotter_start(ss, rt)) {
        fprintf(stderr, "record_bench: no runtime\n");
        return 1;
    }
    hs_mutator_opts mo = {.seed = 1};
    hs_mutators *m = hs_mutators_start(w, rt, &mo, why, sizeof(why));
    if (m == NULL) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    hs_snapshot_publisher *pub = hs_snapshotter_publisher(ss);
    feed(pub, NULL, 3, lv); /* warm-up: the graph's table fills */
    hs_recorder_opts ro = {
        .keyframe_every = o->keyframe_every, .keyframe_mib = o->keyframe_mib, .level = o->level};
    hs_recorder *rec = hs_recorder_open(o->out, &ro, why, sizeof(why));
    if (rec == NULL) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    feed(pub, rec, o->seconds, lv);
    hs_recorder_flush(rec);
    hs_recorder_stats st = hs_recorder_get_stats(rec);
    hs_mutators_stop(m);
    hs_workload_result res;
    hs_mutators_join(m, &res);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    hs_workload_free(w);
    int rc = hs_recorder_close(rec, why, sizeof(why));
    if (rc != 0) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    double secs = (double)(lv->t_last - lv->t_first) / 1e9;
    printf("%s on %d P, recorded %.1f s asking 30 fps (after a 3 s warm-up): %llu new snapshots "
           "(%.1f a second), %u GC cycles by the end\n",
           o->spec, o->procs, secs, (unsigned long long)lv->frames, (double)lv->frames / secs,
           lv->cycles);
    printf("heap in use %.0f MiB on average; snapshot %.2f MiB on average\n",
           lv->heap_sum / (double)lv->frames / (1 << 20),
           (double)lv->size_sum / (double)lv->frames / (1 << 20));
    print_recorder(&st, secs);
    printf("file %.2f MiB: %.1f KB/s (%.0f bytes a frame); snapshots %.1f MB/s; compression "
           "ratio %.0f:1\n",
           (double)st.bytes_written / (1 << 20), (double)st.bytes_written / secs / 1e3,
           (double)st.bytes_written / (double)st.frames_written, (double)st.raw_bytes / secs / 1e6,
           (double)st.raw_bytes / (double)st.bytes_written);
    return 0;
}

/* ---- replay and seeks ------------------------------------------------------------------ */

static void print_sizes(hs_recording *rec)
{
    double key = 0, delta = 0;
    size_t nkey = 0, n = hs_recording_frames(rec);
    for (size_t i = 0; i < n; i++) {
        bool k = hs_recording_is_keyframe(rec, i);
        *(k ? &key : &delta) += (double)hs_recording_frame_bytes(rec, i);
        nkey += k;
    }
    printf("keyframe %.1f KB on average (%zu), delta %.1f KB on average (%zu)\n",
           key / (double)(nkey ? nkey : 1) / 1e3, nkey,
           delta / (double)(n - nkey ? n - nkey : 1) / 1e3, n - nkey);
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Frame i: its wall time in *ms, and the CPU time this thread spent on it
 * in *cpu_ms (the same on an idle machine; less on a loaded one). */
static bool timed_frame2(hs_recording *rec, size_t i, double *ms, double *cpu_ms)
{
    char why[256];
    double t0 = now_seconds(), c0 = thread_cpu_seconds();
    const hs_snapshot *s = hs_recording_frame(rec, i, why, sizeof(why));
    *ms = (now_seconds() - t0) * 1e3;
    *cpu_ms = (thread_cpu_seconds() - c0) * 1e3;
    if (s == NULL)
        fprintf(stderr, "record_bench: %s\n", why);
    return s != NULL;
}

static bool timed_frame(hs_recording *rec, size_t i, double *ms)
{
    double cpu;
    return timed_frame2(rec, i, ms, &cpu);
}

/* Seek to nseeks random frames, then to the frame before each of up to
 * nseeks keyframes (the longest chains), each from a far-away frame. */
static int seeks(hs_recording *rec, int nseeks, const char *what)
{
    size_t n = hs_recording_frames(rec);
    double *t = calloc((size_t)nseeks, sizeof(double)), worst = 0, worst_cpu = 0;
    double *c = calloc((size_t)nseeks, sizeof(double));
    uint64_t rng = 7;
    for (int k = 0; k < nseeks; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        if (!timed_frame2(rec, (size_t)(rng >> 33) % n, &t[k], &c[k]))
            return 1;
    }
    double med = median(t, nseeks), max = t[nseeks - 1];
    double cmed = median(c, nseeks), cmax = c[nseeks - 1];
    int nworst = 0;
    for (size_t i = 1; i < n && nworst < nseeks; i++) {
        double ms, cpu;
        if (!hs_recording_is_keyframe(rec, i) || !timed_frame(rec, (i + n / 2) % n, &ms) ||
            !timed_frame2(rec, i - 1, &ms, &cpu))
            continue;
        worst = ms > worst ? ms : worst;
        worst_cpu = cpu > worst_cpu ? cpu : worst_cpu;
        nworst++;
    }
    printf("%s: %zu frames; %d random seeks: median %.1f ms, max %.1f ms (CPU: median %.1f, max "
           "%.1f); to the frame before a keyframe (%d seeks): max %.1f ms (CPU %.1f)\n",
           what, n, nseeks, med, max, cmed, cmax, nworst, worst, worst_cpu);
    free(t);
    free(c);
    return 0;
}

static int replay(const options *o, live *lv)
{
    char why[256];
    hs_recording *rec = hs_recording_open(o->out, why, sizeof(why));
    if (rec == NULL) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    print_sizes(rec);
    size_t n = hs_recording_frames(rec);
    if (n > 0 && o->given) { /* the live part's times, for part 3 */
        lv->t_first = hs_recording_frame_time(rec, 0);
        lv->t_last = hs_recording_frame_time(rec, n - 1);
    }
    double secs = n > 0 ? (double)(hs_recording_frame_time(rec, n - 1) -
                                   hs_recording_frame_time(rec, 0)) / 1e9 + 1.0 / 30
                        : 1;
    if (!print_parts(rec, o->level != 0 ? o->level : 8, secs))
        return 1;
    double *t = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++)
        if (!timed_frame(rec, i, &t[i]))
            return 1;
    double med = median(t, (int)n);
    printf("playing in order: %.2f ms a frame (median), max %.2f ms\n", med, t[n - 1]);
    free(t);
    int rc = seeks(rec, o->seeks, "seeks");
    hs_recording_close(rec);
    return rc;
}

/* ---- the long recording ---------------------------------------------------------------- */

static int repeat(const options *o)
{
    char why[256], path[512];
    snprintf(path, sizeof(path), "%s.long", o->out);
    hs_recording *src = hs_recording_open(o->out, why, sizeof(why));
    hs_recorder_opts ro = {
        .keyframe_every = o->keyframe_every, .keyframe_mib = o->keyframe_mib, .level = o->level};
    hs_recorder *rec = src ? hs_recorder_open(path, &ro, why, sizeof(why)) : NULL;
    if (rec == NULL) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    size_t n = hs_recording_frames(src);
    int64_t span =
        hs_recording_frame_time(src, n - 1) - hs_recording_frame_time(src, 0) + 1000000000 / 30;
    hs_snapshot *copy = NULL;
    double t0 = now_seconds();
    for (int k = 0; k < o->repeat; k++) {
        for (size_t i = 0; i < n; i++) {
            const hs_snapshot *s = hs_recording_frame(src, i, why, sizeof(why));
            if (s == NULL) {
                fprintf(stderr, "record_bench: %s\n", why);
                return 1;
            }
            copy = realloc(copy, s->size);
            memcpy(copy, s, s->size);
            copy->t_ns += k * span;
            hs_recorder_add(rec, copy);
            hs_recorder_flush(rec); /* every frame: none dropped */
        }
    }
    free(copy);
    hs_recorder_stats st = hs_recorder_get_stats(rec);
    hs_recording_close(src);
    if (hs_recorder_close(rec, why, sizeof(why)) != 0) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    printf("\n%d x the same frames: %.1f s of recording, %.1f MiB (%.1f KB/s, %llu keyframes), "
           "made in %.1f s\n",
           o->repeat, (double)(span * o->repeat) / 1e9, (double)st.bytes_written / (1 << 20),
           (double)st.bytes_written / ((double)(span * o->repeat) / 1e9) / 1e3,
           (unsigned long long)st.keyframes,
           now_seconds() - t0);
    hs_recording *lng = hs_recording_open(path, why, sizeof(why));
    if (lng == NULL) {
        fprintf(stderr, "record_bench: %s\n", why);
        return 1;
    }
    double t1 = now_seconds();
    hs_recording_close(lng);
    lng = hs_recording_open(path, why, sizeof(why));
    printf("opening it (index, frame 0): %.1f ms\n", (now_seconds() - t1) * 1e3);
    int rc = seeks(lng, o->seeks, "seeks in it");
    hs_recording_close(lng);
    unlink(path);
    return rc;
}

static bool parse_options(int argc, char **argv, options *o)
{
    static char out[256];
    snprintf(out, sizeof(out), "%s/record_bench-%ld.hsr",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    const char *lng = getenv("HS_BENCH_LONG");
    *o = (options){"web:cache=144MiB", out, 2, lng && *lng && *lng != '0' ? 120 : 30, 0, 0, 0,
                   200, 0, false, false};
    int c;
    while ((c = getopt(argc, argv, "w:p:d:k:m:l:s:x:o:r:")) != -1) {
        int v = atoi(optarg);
        if (c == 'w')
            o->spec = optarg;
        else if (c == 'o' || c == 'r')
            o->out = optarg, o->keep = true, o->given = c == 'r';
        else if (c == 'p' && v >= 1 && v <= 64)
            o->procs = v;
        else if (c == 'd' && v >= 1 && v <= 3600)
            o->seconds = v;
        else if (c == 'k' && v >= 1 && v <= 100000)
            o->keyframe_every = v;
        else if (c == 'm' && v >= 1 && v <= 100000)
            o->keyframe_mib = v;
        else if (c == 'l' && v >= -5 && v <= 19)
            o->level = v;
        else if (c == 's' && v >= 1 && v <= 100000)
            o->seeks = v;
        else if (c == 'x' && v >= 0 && v <= 1000)
            o->repeat = v;
        else
            return false;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->procs > cpus && cpus >= 1)
        o->procs = (int)cpus; /* 2 Ps when the machine has 2 CPUs */
    return optind == argc;
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o)) {
        fprintf(stderr, "usage: record_bench [-w SPEC] [-p PROCS] [-d SECONDS] "
                        "[-k KEYFRAME_EVERY] [-m KEYFRAME_MIB] [-l LEVEL] [-s SEEKS] "
                        "[-x REPEAT] [-o FILE] [-r FILE]\n");
        return 2;
    }
    printf("heapscope recording\n");
    live lv = {0};
    int rc = o.given ? 0 : record_live(&o, &lv);
    if (rc == 0)
        rc = replay(&o, &lv);
    if (rc == 0 && o.repeat == 0 && lv.t_last > lv.t_first) /* enough for 10 minutes */
        o.repeat = (int)(600e9 / (double)(lv.t_last - lv.t_first + 1000000000 / 30)) + 1;
    if (rc == 0 && (o.repeat > 1 || (o.given && o.repeat == 1)))
        rc = repeat(&o);
    if (!o.keep)
        unlink(o.out);
    return rc;
}
