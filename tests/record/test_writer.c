/*
 * test_writer.c — the writer never holds the producer: a full queue drops
 * and counts frames, a stalled disk costs frames not time, a full disk
 * stops the recording with a sentence while adding goes on as a no-op, and
 * a recording stopped by a failed write replays up to its last frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "recutil.h"

static snapset set; /* real snapshots, shared by the tests: read-only */
enum { nframes = 24 };

static void setup(void)
{
    set = rec_capture(nframes, 8);
}

static void teardown(void)
{
    snapset_free(&set);
}

/* Wait (on the writer, not on a clock) until r has failed. */
static hs_recorder_stats wait_failed(hs_recorder *r)
{
    hs_recorder_flush(r);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert(st.failed);
    return st;
}

START_TEST(test_cannot_create)
{
    char why[256];
    ck_assert_ptr_null(hs_recorder_open("/nonexistent/dir/rec.hsr", NULL, why, sizeof(why)));
    ck_assert_str_eq(why, "cannot create the recording /nonexistent/dir/rec.hsr: No such file or "
                          "directory");
}
END_TEST

START_TEST(test_disk_full)
{
    char why[256];
    hs_recorder *r = hs_recorder_open("/dev/full", NULL, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    hs_recorder_add(r, set.s[0]);
    hs_recorder_stats st = wait_failed(r);
    const char *said = "writing the header of /dev/full failed (No space left on device): the "
                       "recording stopped after 0 frames";
    ck_assert_str_eq(st.error, said);
    ck_assert_uint_eq(st.frames_written, 0);
    /* The session goes on: adding is a no-op now, and counts nothing. */
    for (size_t i = 0; i < nframes; i++)
        hs_recorder_add(r, set.s[i]);
    hs_recorder_marker(r, 0, "after the failure");
    hs_recorder_stats after = hs_recorder_get_stats(r);
    ck_assert_uint_eq(after.frames_written, 0);
    ck_assert_uint_eq(after.frames_dropped, st.frames_dropped);
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), -1);
    ck_assert_str_eq(why, said);
}
END_TEST

START_TEST(test_file_too_large_mid_recording)
{
    /* The file may grow by a quarter after 3 frames: the write of some
     * later frame fails (EFBIG, as ENOSPC would) part way. */
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "efbig");
    signal(SIGXFSZ, SIG_IGN);
    hs_recorder *r = hs_recorder_open(path, NULL, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    for (size_t i = 0; i < 3; i++)
        hs_recorder_add(r, set.s[i]);
    hs_recorder_flush(r);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert_uint_eq(st.frames_written, 3);
    struct rlimit lim = {st.bytes_written + st.bytes_written / 4, RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (size_t i = 3; i < nframes; i++)
        hs_recorder_add(r, set.s[i]);
    st = wait_failed(r);
    ck_assert_uint_ge(st.frames_written, 3);
    ck_assert_uint_lt(st.frames_written, nframes);
    char want[512];
    snprintf(want, sizeof(want),
             "writing %s failed (File too large): the recording stopped after %llu frames", path,
             (unsigned long long)st.frames_written);
    ck_assert_str_eq(st.error, want);
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), -1);
    ck_assert_str_eq(why, want);
    lim.rlim_cur = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &lim);

    hs_recording *rec = rec_open_ok(path);
    ck_assert(hs_recording_truncated(rec));
    ck_assert_uint_eq(hs_recording_frames(rec), st.frames_written);
    for (size_t i = 0; i < st.frames_written; i++)
        rec_expect_frame(rec, i, set.s[i]);
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

START_TEST(test_queue_too_small)
{
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "small");
    hs_recorder_opts o = {.queue_bytes = set.s[0]->size / 2};
    hs_recorder *r = hs_recorder_open(path, &o, why, sizeof(why));
    for (size_t i = 0; i < nframes; i++)
        hs_recorder_add(r, set.s[i]);
    hs_recorder_flush(r);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert_uint_eq(st.frames_written, 0);
    ck_assert_uint_eq(st.frames_dropped, nframes);
    ck_assert(!st.failed);
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);
    hs_recording *rec = rec_open_ok(path);
    ck_assert_uint_eq(hs_recording_frames(rec), 0);
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

/* ---- a stalled disk: the writer blocks on a pipe nobody reads ---------------------------- */

typedef struct drain {
    int fd;
    const char *out;
} drain;

static void *drain_main(void *arg)
{
    drain *d = arg;
    FILE *f = fopen(d->out, "wb");
    char buf[65536];
    ssize_t n;
    while ((n = read(d->fd, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, f);
    fclose(f);
    return NULL;
}

START_TEST(test_stalled_writer_drops)
{
    char fifo[256], out[256], why[256];
    rec_tmp_path(fifo, sizeof(fifo), "fifo");
    rec_tmp_path(out, sizeof(out), "fifo-out");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK); /* so the recorder's open does not wait */
    ck_assert_int_ge(rd, 0);
    hs_recorder_opts o = {.queue_bytes = 3 * (size_t)set.s[nframes - 1]->size, .keyframe_every = 5};
    hs_recorder *r = hs_recorder_open(fifo, &o, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    /* Nobody reads: the writer stalls once the pipe is full, and every
     * add returns at once (a test that hung here would time out). */
    for (int round = 0; round < 8; round++)
        for (size_t i = 0; i < nframes; i++)
            hs_recorder_add(r, set.s[i]);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert_uint_gt(st.frames_dropped, 0);
    ck_assert_uint_le(st.frames_written + st.frames_dropped, 8 * nframes);
    printf("stalled writer: %llu frames written and %llu dropped while nobody read\n",
           (unsigned long long)st.frames_written, (unsigned long long)st.frames_dropped);
    /* Now read it: the writer catches up, and what it wrote replays. */
    fcntl(rd, F_SETFL, 0);
    drain d = {rd, out};
    pthread_t th;
    pthread_create(&th, NULL, drain_main, &d);
    ck_assert_msg(hs_recorder_close(r, why, sizeof(why)) == 0, "%s", why);
    pthread_join(th, NULL);
    close(rd);
    hs_recording *rec = rec_open_ok(out);
    size_t n = hs_recording_frames(rec), k = 0;
    ck_assert_uint_eq(n + st.frames_dropped, 8 * nframes);
    ck_assert_uint_gt(n, 0);
    /* Each frame is one of the snapshots, in the order they were added. */
    for (size_t i = 0; i < n; i++) {
        char w[256];
        const hs_snapshot *s = hs_recording_frame(rec, i, w, sizeof(w));
        ck_assert_msg(s != NULL, "%s", w);
        while (k < 8 * nframes &&
               (s->size != set.s[k % nframes]->size || memcmp(s, set.s[k % nframes], s->size) != 0))
            k++;
        ck_assert_msg(k < 8 * nframes, "frame %zu is none of the snapshots added", i);
        k++;
    }
    hs_recording_close(rec);
    unlink(fifo);
    unlink(out);
}
END_TEST

/* ---- stats from another thread while frames go in (for TSan) ------------------------------- */

typedef struct watcher {
    hs_recorder *r;
    uint32_t stop; /* atomic */
    uint64_t polls;
} watcher;

static void *watch_main(void *arg)
{
    watcher *w = arg;
    uint64_t last = 0;
    do { /* at least once, however late this thread gets a CPU */
        hs_recorder_stats st = hs_recorder_get_stats(w->r);
        ck_assert_uint_ge(st.frames_written, last);
        last = st.frames_written;
        w->polls++;
    } while (!atomic_load_u32(&w->stop));
    return NULL;
}

START_TEST(test_stats_while_recording)
{
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "stats");
    hs_recorder_opts o = {.queue_bytes = (size_t)1 << 30};
    hs_recorder *r = hs_recorder_open(path, &o, why, sizeof(why));
    watcher w = {.r = r};
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &w);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < nframes; i++)
            hs_recorder_add(r, set.s[i]);
        hs_recorder_marker(r, set.s[nframes - 1]->t_ns, "round");
    }
    hs_recorder_flush(r);
    atomic_store_u32(&w.stop, 1);
    pthread_join(th, NULL);
    hs_recorder_stats st = hs_recorder_get_stats(r);
    ck_assert_uint_eq(st.frames_written, 4 * nframes);
    ck_assert_uint_eq(st.frames_dropped, 0);
    ck_assert_uint_gt(w.polls, 0);
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);
    hs_recording *rec = rec_open_ok(path);
    ck_assert_uint_eq(hs_recording_frames(rec), 4 * nframes);
    ck_assert_uint_eq(hs_recording_markers(rec), 4);
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("record-writer");
    TCase *tc = tcase_create("writer");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cannot_create);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_file_too_large_mid_recording);
    tcase_add_test(tc, test_queue_too_small);
    tcase_add_test(tc, test_stalled_writer_drops);
    tcase_add_test(tc, test_stats_while_recording);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
