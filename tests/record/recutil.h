/*
 * recutil.h — helpers for the recording tests: real snapshots captured from
 * a runtime whose mutators churn (tests/snapshot/snaputil.h), recordings
 * made of them, and a frame-by-frame comparison.
 */
#ifndef HS_TESTS_RECUTIL_H
#define HS_TESTS_RECUTIL_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapscope/record.h"
#include "snapshot/snaputil.h"

typedef struct snapset {
    hs_snapshot **s;
    size_t n;
} snapset;

static inline hs_snapshot *snap_copy(const hs_snapshot *s)
{
    hs_snapshot *c = malloc(s->size);
    ck_assert_ptr_nonnull(c);
    memcpy(c, s, s->size);
    return c;
}

/* n snapshots, gap_ms apart, of a runtime whose mutators churn on 2 Ps
 * with GOGC 50: spans come and go, cycles run between frames. */
static inline snapset rec_capture(size_t n, int gap_ms)
{
    hs_snapshotter_opts o = {.fps = 1, .workload = "test:record"};
    hs_snapshotter *ss = hs_snapshotter_new(&o);
    hs_runtime *rt = snap_rt_new(2, 50, ss);
    ck_assert(hs_snapshotter_start(ss, rt));
    uint32_t stop = 0;
    mut m[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        m[i] = (mut){.rt = rt,
                     .pp = hs_runtime_p(rt, i),
                     .rng = 0x9e3779b97f4a7c15ull * (i + 1),
                     .stop = &stop};
        pthread_create(&th[i], NULL, mut_main, &m[i]);
    }
    snapset set = {calloc(n, sizeof(hs_snapshot *)), n};
    for (size_t i = 0; i < n; i++) {
        snap_sleep_ms(gap_ms);
        hs_snapshotter_capture(ss);
        const hs_snapshot *s = hs_snapshot_acquire(hs_snapshotter_publisher(ss));
        set.s[i] = snap_copy(s);
        hs_snapshot_release(s);
    }
    atomic_store_u32(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    hs_snapshotter_stop(ss);
    hs_runtime_free(rt);
    hs_snapshotter_free(ss);
    return set;
}

static inline void snapset_free(snapset *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->s[i]);
    free(set->s);
}

/* A file name in the test's own temporary directory. */
static inline void rec_tmp_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(buf, n, "%s/hsrec-%ld-%s", dir, (long)getpid(), name);
}

/* Record set to path, every frame written (the queue holds them all). */
static inline void rec_write(const char *path, const snapset *set, int keyframe_every)
{
    char why[256];
    hs_recorder_opts o = {.queue_bytes = (size_t)1 << 30, .keyframe_every = keyframe_every};
    hs_recorder *r = hs_recorder_open(path, &o, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    for (size_t i = 0; i < set->n; i++)
        hs_recorder_add(r, set->s[i]);
    hs_recorder_flush(r);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert_uint_eq(st.frames_written, set->n);
    ck_assert_uint_eq(st.frames_dropped, 0);
    ck_assert_msg(hs_recorder_close(r, why, sizeof(why)) == 0, "%s", why);
}

/* Frame i of rec is byte for byte snapshot s. */
static inline void rec_expect_frame(hs_recording *rec, size_t i, const hs_snapshot *s)
{
    char why[256];
    const hs_snapshot *f = hs_recording_frame(rec, i, why, sizeof(why));
    ck_assert_msg(f != NULL, "%s", why);
    ck_assert_uint_eq(f->size, s->size);
    ck_assert_msg(memcmp(f, s, s->size) == 0, "frame %zu differs from its snapshot", i);
    ck_assert_int_eq(hs_recording_frame_time(rec, i), s->t_ns);
}

static inline hs_recording *rec_open_ok(const char *path)
{
    char why[256];
    hs_recording *rec = hs_recording_open(path, why, sizeof(why));
    ck_assert_msg(rec != NULL, "%s", why);
    return rec;
}

#endif
