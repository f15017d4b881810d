/*
 * test_damage.c — a recording that is not one, is from the future, is cut
 * off or is damaged: one sentence naming the file, never a crash; a file
 * cut off at any byte replays exactly its complete frames.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "recutil.h"
#include "record/format.h"

static snapset set;    /* real snapshots, shared by the tests: read-only */
static char good[256]; /* a recording of them: 12 frames, 2 markers */
static uint8_t *bytes; /* its bytes */
static size_t nbytes;

enum { nframes = 12 };

static void setup(void)
{
    set = rec_capture(nframes, 10);
    rec_tmp_path(good, sizeof(good), "good");
    char why[256];
    hs_recorder_opts o = {.queue_bytes = (size_t)1 << 30, .keyframe_every = 4};
    hs_recorder *r = hs_recorder_open(good, &o, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    for (size_t i = 0; i < nframes; i++) {
        hs_recorder_add(r, set.s[i]);
        if (i == 2 || i == 9)
            hs_recorder_marker(r, set.s[i]->t_ns, i == 2 ? "two" : "nine");
    }
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);
    FILE *f = fopen(good, "rb");
    fseek(f, 0, SEEK_END);
    nbytes = (size_t)ftell(f);
    rewind(f);
    bytes = malloc(nbytes);
    ck_assert_uint_eq(fread(bytes, 1, nbytes, f), nbytes);
    fclose(f);
}

static void teardown(void)
{
    unlink(good);
    free(bytes);
    snapset_free(&set);
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Opening path fails with exactly: path + tail. */
static void expect_refused(const char *path, const char *tail)
{
    char why[512], want[512];
    ck_assert_ptr_null(hs_recording_open(path, why, sizeof(why)));
    snprintf(want, sizeof(want), "%s%s", path, tail);
    ck_assert_str_eq(why, want);
}

/* ---- not a recording -------------------------------------------------------------------- */

START_TEST(test_bad_magic)
{
    char path[256];
    rec_tmp_path(path, sizeof(path), "magic");
    const char text[] = "this is a text file, long enough to hold a header of 64 bytes or so.\n";
    write_file(path, (const uint8_t *)text, sizeof(text) - 1);
    expect_refused(path, " is not a heapscope recording (it does not start with \"HSREC\")");
    write_file(path, (const uint8_t *)"HSRE", 4); /* the magic's start, then the end */
    expect_refused(path, " is cut off inside its header (4 of 64 bytes)");
    write_file(path, (const uint8_t *)"", 0);
    expect_refused(path, " is empty, not a heapscope recording");
    unlink(path);
}
END_TEST

START_TEST(test_future_version)
{
    char path[256];
    rec_tmp_path(path, sizeof(path), "future");
    uint8_t *p = malloc(nbytes);
    memcpy(p, bytes, nbytes);
    put_le32(p + 8, HS_RECORDING_VERSION + 1);
    write_file(path, p, nbytes);
    expect_refused(path,
                   " is a recording of format version 6, newer than this heapscope reads (5)");
    write_file(path, p, 20); /* the version is read before the header's length */
    expect_refused(path,
                   " is a recording of format version 6, newer than this heapscope reads (5)");
    put_le32(p + 8, 1); /* the first format: its deltas are not read as version 2's */
    put_le32(p + 60, rec_crc32(p, 60));
    write_file(path, p, nbytes);
    expect_refused(path, " is a recording of format version 1, which this heapscope no longer "
                         "reads (it reads versions 2 to 5)");
    put_le32(p + 8, HS_RECORDING_VERSION);
    put_le32(p + 16, HS_SNAPSHOT_VERSION + 1); /* snapshots from the future */
    put_le32(p + 60, rec_crc32(p, 60));
    write_file(path, p, nbytes);
    char tail[128];
    snprintf(tail, sizeof(tail), " holds snapshots of version %d; this heapscope reads version %d",
             HS_SNAPSHOT_VERSION + 1, HS_SNAPSHOT_VERSION);
    expect_refused(path, tail);
    put_le32(p + 16, HS_SNAPSHOT_VERSION);
    p[30] ^= 1; /* the creation time, under the header's checksum */
    write_file(path, p, nbytes);
    expect_refused(path, " has a damaged header (its checksum does not match)");
    unlink(path);
    free(p);
}
END_TEST

START_TEST(test_missing_and_not_a_file)
{
    char why[512];
    ck_assert_ptr_null(hs_recording_open("/nonexistent/rec.hsr", why, sizeof(why)));
    ck_assert_str_eq(why,
                     "cannot open the recording /nonexistent/rec.hsr: No such file or directory");
    ck_assert_ptr_null(hs_recording_open("/", why, sizeof(why)));
    ck_assert_str_eq(why, "/ is not a regular file, so not a heapscope recording");
}
END_TEST

/* ---- cut off ---------------------------------------------------------------------------- */

typedef struct layout {
    uint64_t frame_end[nframes]; /* where each frame's block ends */
    uint64_t marker_end[2];
    uint64_t data_end; /* where the index block starts */
} layout;

/* Walk the good file's blocks (format.h) to know what each cut keeps. */
static layout walk(void)
{
    layout l = {0};
    uint64_t off = REC_HEADER_BYTES;
    size_t f = 0, m = 0;
    rec_block b;
    while (rec_block_get(bytes + off, &b) && b.kind != REC_BLOCK_INDEX) {
        off += REC_BLOCK_HEADER_BYTES + b.payload_bytes;
        if (b.kind == REC_BLOCK_MARKER)
            l.marker_end[m++] = off;
        else
            l.frame_end[f++] = off;
    }
    ck_assert_uint_eq(f, nframes);
    ck_assert_uint_eq(m, 2);
    l.data_end = off;
    return l;
}

static size_t complete(const uint64_t *ends, size_t n, size_t len)
{
    size_t k = 0;
    while (k < n && ends[k] <= len)
        k++;
    return k;
}

/* Cut at len: the frames and markers complete before the cut, the last of
 * them decoding to its snapshot; the whole file with its trailer is not
 * "truncated". */
static void check_cut(const char *path, const layout *l, size_t len, bool all)
{
    char why[512];
    hs_recording *rec = hs_recording_open(path, why, sizeof(why));
    ck_assert_msg(rec != NULL, "cut at %zu: %s", len, why);
    size_t frames = complete(l->frame_end, nframes, len);
    ck_assert_uint_eq(hs_recording_frames(rec), frames);
    ck_assert_uint_eq(hs_recording_markers(rec), complete(l->marker_end, 2, len));
    ck_assert(hs_recording_truncated(rec) == (len < nbytes));
    if (frames > 0 && all) {
        for (size_t i = 0; i < frames; i++)
            rec_expect_frame(rec, i, set.s[i]);
    } else if (frames > 0) {
        rec_expect_frame(rec, frames - 1, set.s[frames - 1]);
    }
    hs_recording_close(rec);
}

START_TEST(test_cut_everywhere)
{
    char path[256];
    rec_tmp_path(path, sizeof(path), "cut");
    write_file(path, bytes, nbytes);
    layout l = walk();
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    /* Every byte near a block boundary and in the header, the trailer and
     * the index; every 61st byte elsewhere.  From the longest cut down. */
    size_t cuts = 0;
    for (size_t len = nbytes + 1; len-- > 0;) {
        bool near = len < 2 * REC_HEADER_BYTES || len + 2 * REC_TRAILER_BYTES >= l.data_end;
        for (size_t k = 0; k < nframes && !near; k++)
            near = len + 40 >= l.frame_end[k] && len <= l.frame_end[k] + 40;
        if (!near && len % 61 != 0)
            continue;
        ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
        if (len == 0) {
            expect_refused(path, " is empty, not a heapscope recording");
        } else if (len < REC_HEADER_BYTES) {
            char tail[64];
            snprintf(tail, sizeof(tail), " is cut off inside its header (%zu of 64 bytes)", len);
            expect_refused(path, tail);
        } else {
            check_cut(path, &l, len, len % 997 == 0);
        }
        cuts++;
    }
    printf("cut off: %zu cuts of a %zu-byte recording of %d frames\n", cuts, nbytes, nframes);
    close(fd);
    unlink(path);
}
END_TEST

/* ---- damaged ---------------------------------------------------------------------------- */

/* Open path and decode every frame: each call succeeds, or fails with a
 * sentence naming the file. */
static void read_all_or_say_why(const char *path, size_t at)
{
    char why[512];
    why[0] = '\0';
    hs_recording *rec = hs_recording_open(path, why, sizeof(why));
    if (rec == NULL) {
        ck_assert_msg(strstr(why, path) != NULL, "byte %zu: \"%s\"", at, why);
        return;
    }
    for (size_t i = 0; i < hs_recording_frames(rec); i++) {
        why[0] = '\0';
        const hs_snapshot *s = hs_recording_frame(rec, i, why, sizeof(why));
        if (s == NULL)
            ck_assert_msg(strstr(why, path) != NULL && strstr(why, "is corrupt") != NULL,
                          "byte %zu, frame %zu: \"%s\"", at, i, why);
        else
            ck_assert_ptr_null(hs_snapshot_check(s, s->size, NULL, 0));
    }
    hs_recording_close(rec);
}

START_TEST(test_damaged_bytes)
{
    char path[256];
    rec_tmp_path(path, sizeof(path), "damaged");
    uint8_t *p = malloc(nbytes);
    size_t tries = 0;
    for (size_t at = 0; at < nbytes; at += at < 256 ? 1 : 37) {
        memcpy(p, bytes, nbytes);
        p[at] ^= (uint8_t)(0x5a ^ at);
        write_file(path, p, nbytes);
        read_all_or_say_why(path, at);
        tries++;
    }
    printf("damaged: %zu recordings with one byte changed\n", tries);
    unlink(path);
    free(p);
}
END_TEST

START_TEST(test_damaged_delta_is_named)
{
    /* A byte of frame 5's compressed payload: the file opens, frames 0-4
     * decode, frame 5 is refused by name, and 8 (a keyframe) decodes. */
    layout l = walk();
    char path[256], why[512], want[512];
    rec_tmp_path(path, sizeof(path), "delta5");
    uint8_t *p = malloc(nbytes);
    memcpy(p, bytes, nbytes);
    p[l.frame_end[4] + REC_BLOCK_HEADER_BYTES + 20] ^= 0xff;
    write_file(path, p, nbytes);
    hs_recording *rec = rec_open_ok(path);
    ck_assert(!hs_recording_truncated(rec));
    for (size_t i = 0; i < 5; i++)
        rec_expect_frame(rec, i, set.s[i]);
    ck_assert_ptr_null(hs_recording_frame(rec, 5, why, sizeof(why)));
    /* Named as the status line and --at count frames: from 1. */
    snprintf(want, sizeof(want), "frame 6 of %s is corrupt: its compressed data is damaged", path);
    ck_assert_msg(strncmp(why, want, strlen(want)) == 0, "%s", why);
    ck_assert_ptr_null(hs_recording_frame(rec, 7, why, sizeof(why)));
    rec_expect_frame(rec, 8, set.s[8]);
    rec_expect_frame(rec, 4, set.s[4]);
    hs_recording_close(rec);
    unlink(path);
    free(p);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("record-damage");
    TCase *tc = tcase_create("damage");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bad_magic);
    tcase_add_test(tc, test_future_version);
    tcase_add_test(tc, test_missing_and_not_a_file);
    tcase_add_test(tc, test_cut_everywhere);
    tcase_add_test(tc, test_damaged_bytes);
    tcase_add_test(tc, test_damaged_delta_is_named);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
