/*
 * test_roundtrip.c — what goes into a recording comes out byte for byte:
 * real snapshots of a churning runtime, decoded in order, out of order and
 * from any keyframe spacing; markers with their captions and frames; a
 * snapshot laid out unlike a capture (stored raw) among delta-coded ones;
 * the transform itself in both format versions it reads, over real frames
 * and over frames that mark, allocate black and sweep; where the writer
 * puts keyframes.
 */
#include "recutil.h"
#include "record/delta.h"

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
    ck_assert_str_eq(why + strlen(path), " has no frame 1 (it has 0)");
    hs_recording_close(rec);
    unlink(path);
}
END_TEST

/* cur coded against prev (NULL: a keyframe) in format version format (0:
 * the newest), decoded by a decoder of its own: byte for byte cur.  The
 * transformed bytes are returned (the caller frees them), and the script's
 * last word in *last when last is not NULL. */
static uint8_t *transform_roundtrip_last(const hs_snapshot *prev, const hs_snapshot *cur,
                                         uint32_t format, uint32_t *last)
{
    delta_ctx enc = {.format = format}, dec = {.format = format};
    uint8_t *diff = malloc(cur->size), *script = NULL;
    hs_snapshot *back = malloc(cur->size);
    ck_assert(delta_canonical(cur, cur->size));
    ck_assert(delta_encode(&enc, prev, cur, diff));
    script = malloc(4 * enc.script_len + 4);
    for (size_t w = 0; w < enc.script_len; w++)
        memcpy(script + 4 * w, &enc.script[w], 4); /* little-endian, as every snapshot */
    ck_assert(delta_set_script(&dec, script, enc.script_len, enc.event_shift));
    if (last != NULL)
        *last = enc.script_len > 0 ? enc.script[enc.script_len - 1] : UINT32_MAX;
    char why[160];
    uint8_t *in = malloc(cur->size); /* the decoder's to change */
    memcpy(in, diff, cur->size);
    ck_assert_msg(delta_decode(&dec, prev, in, cur->size, back, why, sizeof(why)), "%s", why);
    free(in);
    ck_assert_msg(memcmp(back, cur, cur->size) == 0, "the transform of format %u lost bytes",
                  format);
    delta_ctx_destroy(&enc);
    delta_ctx_destroy(&dec);
    free(script);
    free(back);
    return diff;
}

static uint8_t *transform_roundtrip(const hs_snapshot *prev, const hs_snapshot *cur,
                                    uint32_t format)
{
    return transform_roundtrip_last(prev, cur, format, NULL);
}

/* Version 3 predicts every allocation count from the span's own cells:
 * its column of the transformed span table is all zeros. */
static void expect_counts_free(const hs_snapshot *s, const uint8_t *diff)
{
    const uint8_t *col = diff + s->spans_off + offsetof(hs_snap_span, alloc_count) * s->nspans;
    for (uint32_t i = 0; i < s->nspans; i++)
        ck_assert_msg(col[2 * i] == 0 && col[2 * i + 1] == 0,
                      "span %u's allocation count was not predicted exactly", i);
}

/* The span table's columns, in offset order, as delta.c stores them. */
#define COLUMN(f) {offsetof(hs_snap_span, f), sizeof(((hs_snap_span *)0)->f)}
static const size_t span_columns[][2] = {
    COLUMN(start),     COLUMN(npages),      COLUMN(page),        COLUMN(spanclass),
    COLUMN(sweep),     COLUMN(cached_by),   COLUMN(central_set), COLUMN(elemsize),
    COLUMN(nelems),    COLUMN(alloc_count), COLUMN(freeindex),   COLUMN(flags),
    COLUMN(cells),     COLUMN(pad),         COLUMN(age_ns),
};

/* Format 4 codes the cells' differences as a range-coded stream of word
 * bytes (the script's last word) followed by zeros, or, when word is 0, as
 * two bit planes: format 3's low bits of every cell, then their high bits. */
static void expect_cells(const hs_snapshot *s, const uint8_t *v3, const uint8_t *v4,
                         uint32_t word)
{
    if (word != 0) {
        size_t n = s->size - s->cells_off;
        ck_assert_uint_le(word, n);
        for (size_t k = word; k < n; k++)
            ck_assert_msg(v4[s->cells_off + k] == 0, "byte %zu after a cells stream of %u", k,
                          word);
        return;
    }
    size_t n = s->size - s->cells_off, half = n / 2;
    const uint8_t *a = v3 + s->cells_off, *b = v4 + s->cells_off;
    ck_assert_uint_eq(n % 8, 0);
    for (size_t k = 0; k < 4 * n; k++) {
        unsigned cell = a[k / 4] >> (2 * (k % 4)) & 3;
        ck_assert_uint_eq(b[k / 8] >> (k % 8) & 1, cell & 1);
        ck_assert_uint_eq(b[half + k / 8] >> (k % 8) & 1, cell >> 1);
    }
}

/* Format 4 packs a delta's span table: the rows that differ from their
 * prediction (format 3's rows that are not all zeros) and those of the
 * spans new since prev, each column over them only, in order, then zeros;
 * a keyframe (prev NULL) is as format 3 codes it. */
static size_t expect_packed(const hs_snapshot *prev, const hs_snapshot *s, const uint8_t *v3,
                            const uint8_t *v4)
{
    bool key = prev == NULL;
    const size_t row = sizeof(hs_snap_span), n = s->nspans;
    const uint8_t *a = v3 + s->spans_off, *b = v4 + s->spans_off;
    if (key) {
        ck_assert(memcmp(a, b, row * n) == 0);
        return n;
    }
    bool *differs = calloc(n + 1, sizeof(bool));
    size_t m = 0, j = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t start = hs_snap_spans(s)[i].start;
        while (j < prev->nspans && hs_snap_spans(prev)[j].start < start)
            j++;
        differs[i] = j == prev->nspans || hs_snap_spans(prev)[j].start != start;
        for (size_t k = 0; k < sizeof(span_columns) / sizeof(span_columns[0]); k++)
            for (size_t byte = 0; byte < span_columns[k][1]; byte++)
                differs[i] |= a[span_columns[k][0] * n + i * span_columns[k][1] + byte] != 0;
        m += differs[i];
    }
    for (size_t k = 0; k < sizeof(span_columns) / sizeof(span_columns[0]); k++) {
        size_t off = span_columns[k][0], w = span_columns[k][1], q = 0;
        for (size_t i = 0; i < n; i++)
            if (differs[i])
                ck_assert_msg(memcmp(b + off * m + q++ * w, a + off * n + i * w, w) == 0,
                              "column at %zu, span %zu: not its format 3 difference", off, i);
    }
    for (size_t k = row * m; k < row * n; k++)
        ck_assert_msg(b[k] == 0, "byte %zu of a packed span table of %zu rows is not zero", k, m);
    free(differs);
    return m;
}

/* Format 5 is format 4 but for a delta's changed rows and six columns of
 * them (class, sweep state, mcache, set, free index, age), and those
 * columns of every row of a keyframe, range-coded in the script: those
 * columns of its m rows (a keyframe: all) are zeros, every other byte is
 * format 4's. */
static void expect_rows_coded(const hs_snapshot *s, const uint8_t *v4, const uint8_t *v5,
                              size_t m)
{
    size_t n = s->nspans, lo = s->spans_off, hi = lo + n * sizeof(hs_snap_span);
    ck_assert(memcmp(v4, v5, lo) == 0);
    ck_assert(memcmp(v4 + hi, v5 + hi, s->size - hi) == 0);
    for (size_t k = 0; k < sizeof(span_columns) / sizeof(span_columns[0]); k++) {
        size_t off = span_columns[k][0], w = span_columns[k][1];
        bool coded = off == offsetof(hs_snap_span, spanclass) ||
                     off == offsetof(hs_snap_span, sweep) ||
                     off == offsetof(hs_snap_span, cached_by) ||
                     off == offsetof(hs_snap_span, central_set) ||
                     off == offsetof(hs_snap_span, freeindex) ||
                     off == offsetof(hs_snap_span, age_ns);
        for (size_t b = lo + off * m; b < lo + (off + w) * m; b++)
            ck_assert_msg(v5[b] == (coded ? 0 : v4[b]), "column at %zu, byte %zu", off, b - lo);
    }
    ck_assert(memcmp(v4 + lo + 48 * m, v5 + lo + 48 * m, 48 * (n - m)) == 0);
}

START_TEST(test_transform_formats)
{
    size_t streams = 0;
    for (size_t i = 0; i < set.n; i++) {
        const hs_snapshot *prev = i % 10 == 0 ? NULL : set.s[i - 1];
        free(transform_roundtrip(prev, set.s[i], 2));
        uint8_t *v3 = transform_roundtrip(prev, set.s[i], 3);
        expect_counts_free(set.s[i], v3);
        uint32_t word, word5;
        uint8_t *v4 = transform_roundtrip_last(prev, set.s[i], 4, &word);
        expect_cells(set.s[i], v3, v4, word);
        size_t m = expect_packed(prev, set.s[i], v3, v4);
        uint8_t *v5 = transform_roundtrip_last(prev, set.s[i], 0, &word5);
        ck_assert_uint_eq(word5, word);
        expect_rows_coded(set.s[i], v4, v5, m);
        streams += word != 0;
        free(v3);
        free(v4);
        free(v5);
    }
    /* A real heap's cells range-code shorter than they are, nearly always
     * (not a tiny heap's few bytes, nor, at times, a keyframe's marks in
     * the middle of a mark phase, which are as good as random). */
    ck_assert_uint_ge(streams, set.n / 2);
}
END_TEST

static uint64_t next_rand(uint64_t *rng);

/* Cells whose differences are noise do not range-code shorter than they
 * are: the frame keeps them as bit planes, and still decodes exactly. */
START_TEST(test_cells_not_coded)
{
    uint64_t rng = 7;
    for (size_t i = 1; i < set.n; i += 7) {
        hs_snapshot *cur = snap_copy(set.s[i]);
        uint8_t *c = (uint8_t *)cur + cur->cells_off;
        for (size_t k = 0; k < cur->size - cur->cells_off; k++)
            c[k] = (uint8_t)next_rand(&rng);
        uint32_t word;
        free(transform_roundtrip_last(set.s[i - 1], cur, 0, &word));
        ck_assert_uint_eq(word, 0);
        free(cur);
    }
}
END_TEST

/* A delta whose changed-rows bitmap claims a span past the last is
 * refused, not read past the span table. */
START_TEST(test_packed_bitmap_bounds)
{
    bool tried = false;
    for (size_t i = 1; i < set.n && !tried; i++) {
        const hs_snapshot *prev = set.s[i - 1], *cur = set.s[i];
        if (cur->nspans % 32 == 0)
            continue;
        delta_ctx enc = {.format = 4}, dec = {.format = 4};
        uint8_t *diff = malloc(cur->size);
        hs_snapshot *back = malloc(cur->size);
        ck_assert(delta_encode(&enc, prev, cur, diff));
        /* Span nspans, in the bitmap's last word (the script's last is the cells'). */
        enc.script[enc.script_len - 2] |= 1u << (cur->nspans % 32);
        ck_assert(delta_set_script(&dec, (const uint8_t *)enc.script, enc.script_len,
                                   enc.event_shift));
        char why[160];
        ck_assert(!delta_decode(&dec, prev, diff, cur->size, back, why, sizeof(why)));
        ck_assert_str_eq(why, "a frame's span script does not fit its span tables");
        delta_ctx_destroy(&enc);
        delta_ctx_destroy(&dec);
        free(diff);
        free(back);
        tried = true;
    }
    ck_assert(tried);
}
END_TEST

/* A format-5 frame (a delta; one in four a keyframe) whose rows stream is
 * damaged (any bytes, cut short, or claiming more words than the script
 * has) decodes to some snapshot or is refused, never read or written out
 * of bounds. */
START_TEST(test_rows_stream_damaged)
{
    uint64_t rng = 11;
    size_t refused = 0, tries = 0;
    for (size_t i = 1; i < set.n; i += 3) {
        const hs_snapshot *prev = i % 4 == 1 ? NULL : set.s[i - 1], *cur = set.s[i];
        delta_ctx enc = {0}, dec = {0};
        uint8_t *diff = malloc(cur->size), *in = malloc(cur->size);
        hs_snapshot *back = malloc(cur->size);
        ck_assert(delta_encode(&enc, prev, cur, diff));
        uint32_t *w = enc.script, nw = (uint32_t)enc.script_len, len = w[nw - 2];
        for (int t = 0; t < 24; t++, tries++) {
            uint32_t *script = malloc(4 * nw);
            memcpy(script, w, 4 * nw);
            uint8_t *stream = (uint8_t *)(script + nw - 2 - (len + 3) / 4);
            if (t == 0)
                script[nw - 2] = 4 * nw; /* longer than the script */
            else if (t == 1)
                script[nw - 2] = len / 2; /* cut short */
            for (uint32_t b = 0; t >= 2 && b < len; b++)
                if (t >= 12 || next_rand(&rng) % 16 == 0)
                    stream[b] = (uint8_t)next_rand(&rng);
            ck_assert(delta_set_script(&dec, (const uint8_t *)script, nw, enc.event_shift));
            memcpy(in, diff, cur->size);
            char why[160] = "";
            if (!delta_decode(&dec, prev, in, cur->size, back, why, sizeof(why))) {
                ck_assert_str_eq(why, "a frame's span script does not fit its span tables");
                refused++;
            }
            free(script);
        }
        delta_ctx_destroy(&enc);
        delta_ctx_destroy(&dec);
        free(diff);
        free(in);
        free(back);
    }
    ck_assert_uint_ge(refused, 1); /* at least the stream longer than the script */
    ck_assert_uint_gt(tries, refused);
}
END_TEST

static uint64_t next_rand(uint64_t *rng)
{
    *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
    return *rng >> 33;
}

static unsigned cell_at(const uint8_t *c, uint32_t k)
{
    return (c[k / 4] >> (2 * (k % 4))) & 3;
}

static void set_cell(uint8_t *c, uint32_t k, unsigned v)
{
    c[k / 4] = (uint8_t)((c[k / 4] & ~(3u << (2 * (k % 4)))) | v << (2 * (k % 4)));
}

/* The frame after s while marking: about a third of the white cells turn
 * gray or black, gray cells black, and each span allocates black up to a
 * later free index (free cells below it turn black, as a mark phase
 * allocates); each span's count follows its cells. */
static hs_snapshot *marked_after(const hs_snapshot *s, uint64_t *rng)
{
    hs_snapshot *n = snap_copy(s);
    n->phase = 2; /* mark */
    n->t_ns += 33000000;
    n->seq++;
    hs_snap_span *sp = (hs_snap_span *)(void *)((uint8_t *)n + n->spans_off);
    uint8_t *cells = (uint8_t *)n + n->cells_off;
    for (uint32_t i = 0; i < n->nspans; i++) {
        if (sp[i].flags & HS_SPAN_CELLS_UNKNOWN)
            continue;
        uint8_t *c = cells + sp[i].cells;
        uint32_t fi = sp[i].freeindex + (uint32_t)next_rand(rng) % 4;
        fi = fi < sp[i].nelems ? fi : sp[i].nelems;
        unsigned used = 0;
        for (uint32_t k = 0; k < sp[i].nelems; k++) {
            unsigned v = cell_at(c, k), r = (unsigned)next_rand(rng) % 6;
            if (v == HS_CELL_WHITE && r < 2)
                v = r == 0 ? HS_CELL_GRAY : HS_CELL_BLACK;
            else if (v == HS_CELL_GRAY && r < 4)
                v = HS_CELL_BLACK;
            else if (v == HS_CELL_FREE && k >= sp[i].freeindex && k < fi)
                v = HS_CELL_BLACK;
            set_cell(c, k, v);
            used += v != HS_CELL_FREE;
        }
        sp[i].freeindex = (uint16_t)fi;
        sp[i].alloc_count = (uint16_t)used;
    }
    return n;
}

START_TEST(test_transform_marking)
{
    /* Three frames of one mark phase, from a real capture, each coded
     * against the one before and alone, in both formats. */
    uint64_t rng = 7;
    hs_snapshot *f[4] = {snap_copy(set.s[set.n / 2])};
    for (int k = 1; k < 4; k++)
        f[k] = marked_after(f[k - 1], &rng);
    size_t changed = 0;
    for (int k = 1; k < 4; k++) {
        changed += memcmp((uint8_t *)f[k] + f[k]->cells_off, (uint8_t *)f[k - 1] + f[k]->cells_off,
                          f[k]->ncell_bytes) != 0;
        for (int key = 0; key < 2; key++) {
            const hs_snapshot *prev = key ? NULL : f[k - 1];
            free(transform_roundtrip(prev, f[k], 2));
            uint8_t *diff = transform_roundtrip(prev, f[k], 0);
            expect_counts_free(f[k], diff);
            free(diff);
        }
    }
    ck_assert_uint_eq(changed, 3); /* the cells did move */
    for (int k = 0; k < 4; k++)
        free(f[k]);
}
END_TEST

/* Keyframes at frames keys[] (ended by SIZE_MAX) of a recording of frames
 * copies of base, each a frame later, marking at frame mark (SIZE_MAX:
 * never), with a keyframe budget of mib MiB. */
static void expect_keyframes(const hs_snapshot *base, int mib, size_t frames, size_t mark,
                             const size_t *keys)
{
    char path[256], why[256];
    rec_tmp_path(path, sizeof(path), "keys");
    hs_recorder_opts o = {.queue_bytes = (size_t)1 << 30, .keyframe_mib = mib};
    hs_recorder *r = hs_recorder_open(path, &o, why, sizeof(why));
    ck_assert_msg(r != NULL, "%s", why);
    hs_snapshot *f = snap_copy(base);
    for (size_t i = 0; i < frames; i++) {
        f->phase = i == mark ? 2 : 0;
        hs_recorder_add(r, f);
        hs_recorder_flush(r);
        f->t_ns += 33000000;
        f->seq++;
    }
    ck_assert_int_eq(hs_recorder_close(r, why, sizeof(why)), 0);
    hs_recording *rec = rec_open_ok(path);
    ck_assert_uint_eq(hs_recording_frames(rec), frames);
    for (size_t i = 0, k = 0; i < frames; i++) {
        bool key = keys[k] == i;
        k += key;
        ck_assert_msg(hs_recording_is_keyframe(rec, i) == key, "frame %zu: keyframe %d", i, !key);
        ck_assert_ptr_nonnull(hs_recording_frame(rec, i, why, sizeof(why)));
    }
    hs_recording_close(rec);
    unlink(path);
    free(f);
}

START_TEST(test_keyframe_at_marking)
{
    /* The budget brings a keyframe at frame due (its deltas would hold
     * more than the budget); a frame that marks once they hold 7/8 of it
     * takes the keyframe early, and one that marks sooner does not (nor the
     * frame after it, whose delta holds the end of the marking).  The
     * budget, in whole MiB, holds at least 24 of these snapshots, whatever
     * size the runtime's first ones came out. */
    const hs_snapshot *base = set.s[0];
    int mib = (int)((24 * (size_t)base->size >> 20) + 1);
    size_t budget = (size_t)mib << 20, due = budget / base->size + 1,
           early = budget / 8 * 7 / base->size + 1;
    ck_assert_msg(early >= 2 && early + 1 < due, "snapshots of %u bytes leave no room", base->size);
    expect_keyframes(base, mib, due + 1, SIZE_MAX, (const size_t[]){0, due, SIZE_MAX});
    expect_keyframes(base, mib, due + 1, due - 1, (const size_t[]){0, due - 1, SIZE_MAX});
    expect_keyframes(base, mib, due + 1, early - 2, (const size_t[]){0, due, SIZE_MAX});
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
    tcase_add_test(tc, test_transform_formats);
    tcase_add_test(tc, test_packed_bitmap_bounds);
    tcase_add_test(tc, test_rows_stream_damaged);
    tcase_add_test(tc, test_cells_not_coded);
    tcase_add_test(tc, test_transform_marking);
    tcase_add_test(tc, test_keyframe_at_marking);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
