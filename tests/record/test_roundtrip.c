/*
 * test_roundtrip.c — what goes into a recording comes out byte for byte:
 * real snapshots of a churning runtime, decoded in order, out of order and
 * from any keyframe spacing; markers with their captions and frames; a
 * snapshot laid out unlike a capture (stored raw) among delta-coded ones.
 */
#include "recutil.h"

static snapset set; /* one capture for every test of the suite: read-only */

static void setup(void)
{
    set = rec_capture(40, 12);
}

static void teardown(void)
{
    snapset_free(&set);
}

static void roundtrip(int keyframe_every)
{
    char path[256];
    rec_tmp_path(path, sizeof(path), "roundtrip");
    rec_write(path, &set, keyframe_every);
    hs_recording *rec = rec_open_ok(path);
    ck_assert(!hs_recording_truncated(rec));
    ck_assert_uint_eq(hs_recording_frames(rec), set.n);
    for (size_t i = 0; i < set.n; i++) {
        rec_expect_frame(rec, i, set.s[i]);
        ck_assert(hs_recording_is_keyframe(rec, i) == (i % (size_t)keyframe_every == 0));
    }
    /* Out of order, and every frame from every other: the same bytes. */
    uint64_t rng = 42;
    for (size_t k = 0; k < 3 * set.n; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t i = (size_t)(rng >> 33) % set.n;
        rec_expect_frame(rec, i, set.s[i]);
    }
    for (size_t i = set.n; i-- > 0;)
        rec_expect_frame(rec, i, set.s[i]);
    hs_recording_close(rec);
    unlink(path);
}

START_TEST(test_roundtrip_deltas)
{
    roundtrip(8);
}
END_TEST

START_TEST(test_roundtrip_keyframes_only)
{
    roundtrip(1);
}
END_TEST

START_TEST(test_roundtrip_one_keyframe)
{
    roundtrip(1000);
}
END_TEST

START_TEST(test_frames_change)
{
    /* The capture is a real one: the heap changed between frames. */
    size_t differ = 0;
    for (size_t i = 1; i < set.n; i++)
        differ += set.s[i]->size != set.s[i - 1]->size ||
                  memcmp(set.s[i], set.s[i - 1], set.s[i]->size) != 0;
    ck_assert_uint_eq(differ, set.n - 1);
    ck_assert_uint_gt(set.s[set.n - 1]->cycle, set.s[0]->cycle);
}
END_TEST

START_TEST(test_markers)
{
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "markers");
    hs_recorder *r = hs_recorder_open(path, NULL, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    hs_recorder_marker(r, set.s[0]->t_ns - 1, "before the first frame");
    for (size_t i = 0; i < 10; i++) {
        hs_recorder_add(r, set.s[i]);
        if (i == 4)
            hs_recorder_marker(r, set.s[4]->t_ns + 1, "");
    }
    char longer[400];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    hs_recorder_marker(r, set.s[9]->t_ns + 1000000000, longer);
    hs_recorder_marker(r, set.s[7]->t_ns, NULL);
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);

    hs_recording *rec = rec_open_ok(path);
    ck_assert_uint_eq(hs_recording_frames(rec), 10);
    ck_assert_uint_eq(hs_recording_markers(rec), 4);
    int64_t t;
    size_t frame;
    const char *caption;
    ck_assert(hs_recording_marker(rec, 0, &t, &frame, &caption));
    ck_assert_int_eq(t, set.s[0]->t_ns - 1);
    ck_assert_uint_eq(frame, 0);
    ck_assert_str_eq(caption, "before the first frame");
    ck_assert(hs_recording_marker(rec, 1, &t, &frame, &caption));
    ck_assert_uint_eq(frame, 5); /* the first frame at or after it */
    ck_assert_str_eq(caption, "");
    ck_assert(hs_recording_marker(rec, 2, &t, &frame, &caption));
    ck_assert_uint_eq(frame, 9); /* none after it: the last */
    ck_assert_uint_eq(strlen(caption), 255);
    ck_assert(hs_recording_marker(rec, 3, NULL, &frame, &caption));
    ck_assert_uint_eq(frame, 7);
    ck_assert_str_eq(caption, "");
    ck_assert(!hs_recording_marker(rec, 4, &t, &frame, &caption));
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

START_TEST(test_raw_among_deltas)
{
    /* 8 bytes after the cells: still a valid snapshot, but not laid out
     * as a capture lays one out, so it is stored whole, and the frame
     * after it is a keyframe. */
    hs_snapshot *odd = malloc(set.s[3]->size + 8);
    memcpy(odd, set.s[3], set.s[3]->size);
    memset((char *)odd + odd->size, 0x5a, 8);
    odd->size += 8;
    ck_assert_ptr_null(hs_snapshot_check(odd, odd->size, NULL, 0));
    snapset mixed = {calloc(6, sizeof(hs_snapshot *)), 6};
    for (size_t i = 0; i < 6; i++)
        mixed.s[i] = i == 3 ? odd : set.s[i];
    char path[256];
    rec_tmp_path(path, sizeof(path), "raw");
    rec_write(path, &mixed, 30);
    hs_recording *rec = rec_open_ok(path);
    for (size_t i = 0; i < 6; i++) {
        rec_expect_frame(rec, i, mixed.s[i]);
        ck_assert(hs_recording_is_keyframe(rec, i) == (i == 0 || i == 3 || i == 4));
    }
    rec_expect_frame(rec, 2, mixed.s[2]);
    rec_expect_frame(rec, 5, mixed.s[5]);
    hs_recording_close(rec);
    unlink(path);
    free(mixed.s);
    free(odd);
}
END_TEST

START_TEST(test_empty_recording)
{
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "empty");
    hs_recorder *r = hs_recorder_open(path, NULL, why, sizeof(why));
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);
    hs_recording *rec = rec_open_ok(path);
    ck_assert_uint_eq(hs_recording_frames(rec), 0);
    ck_assert_uint_eq(hs_recording_markers(rec), 0);
    ck_assert(!hs_recording_truncated(rec));
    ck_assert_ptr_null(hs_recording_frame(rec, 0, why, sizeof(why)));
    ck_assert_str_eq(why + strlen(path), " has no frame 0 (it has 0)");
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("record-roundtrip");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_frames_change);
    tcase_add_test(tc, test_roundtrip_deltas);
    tcase_add_test(tc, test_roundtrip_keyframes_only);
    tcase_add_test(tc, test_roundtrip_one_keyframe);
    tcase_add_test(tc, test_markers);
    tcase_add_test(tc, test_raw_among_deltas);
    tcase_add_test(tc, test_empty_recording);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
