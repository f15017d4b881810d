/*
 * test_views.c — every view rendered from canned snapshots into a canvas and
 * compared with golden screens (tests/ui/golden/), with and without color;
 * the colors of chosen cells; the keys: views, freeze and frame stepping,
 * the controls, selection and clicks; the history's bounds.
 *
 * HS_UPDATE_GOLDEN=1 rewrites the golden files from what the views draw now
 * (then read the diff before committing it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "heapscope/ui.h"
#include "ui/canned.h"
#include "ui/uistate.h"

#define W 120
#define H 36
#define NOW_NS 10000000000LL /* the canned frames are taken at 9.9 s */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

static char *canvas_text(const hs_canvas *cv)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    hs_canvas_write_text(cv, f);
    fclose(f);
    return buf;
}

/* Compare the canvas with tests/ui/golden/name.txt. */
static void expect_golden(const hs_canvas *cv, const char *name)
{
    const char *srcdir = getenv("srcdir");
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/ui/golden/%s.txt", srcdir ? srcdir : ".", name);
    char *got = canvas_text(cv);
    const char *update = getenv("HS_UPDATE_GOLDEN");
    if (update != NULL && update[0] == '1') {
        FILE *f = fopen(path, "w");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        fputs(got, f);
        fclose(f);
    }
    char *want = read_file(path);
    ck_assert_msg(want != NULL, "no golden screen %s (HS_UPDATE_GOLDEN=1 makes it)", path);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "---- %s: got ----\n%s---- want ----\n%s", name, got, want);
        ck_abort_msg("the %s screen differs from its golden file", name);
    }
    free(got);
    free(want);
}

/* A source that takes every control and records: the simulator's live
 * session, as far as the keys it offers go (help lists them all). */
static void any_pause(void *ctx, bool on) { (void)ctx, (void)on; }
static void any_gc(void *ctx) { (void)ctx; }
static void any_step(void *ctx, hs_ctl_step k, uint64_t n) { (void)ctx, (void)k, (void)n; }
static void any_gogc(void *ctx, int g) { (void)ctx, (void)g; }
static bool any_record(void *ctx, bool on, char *why, size_t n)
{
    (void)ctx, (void)on, (void)why, (void)n;
    return true;
}
static const hs_control live_control = {NULL, any_pause, any_gc, any_pause, any_step, any_gogc};

static hs_ui *ui_canned(const hs_ui_opts *o, const hs_control *ctl, int nframes)
{
    hs_ui *ui = hs_ui_new(o, ctl);
    ck_assert_ptr_nonnull(ui);
    for (int i = 1; i <= nframes; i++) {
        hs_snapshot *s = canned_snapshot((uint64_t)i, NOW_NS - 100000000LL * (nframes - i + 1));
        hs_ui_feed(ui, s, NOW_NS - 100000000LL * (nframes - i + 1) + 1000000);
        free(s);
    }
    return ui;
}

static hs_ui *ui_with_frames(int colors, const hs_control *ctl, int nframes)
{
    hs_ui_opts o = {.fps = 30, .colors = colors};
    return ui_canned(&o, ctl, nframes);
}

/* The simulator's live session (every control, recording), or a source
 * that takes none of them. */
static hs_ui *ui_live(int colors, int nframes, bool controlled)
{
    hs_ui_opts o = {.fps = 30, .colors = colors, .record = controlled ? any_record : NULL};
    return ui_canned(&o, controlled ? &live_control : NULL, nframes);
}

static void render_golden(int colors, int view_key, const char *name)
{
    hs_ui *ui = ui_with_frames(colors, NULL, 3);
    hs_canvas *cv = hs_canvas_new(W, H);
    ck_assert(hs_ui_key(ui, view_key));
    hs_ui_render(ui, cv, NOW_NS);
    expect_golden(cv, name);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}

START_TEST(golden_views_mono)
{
    static const char *const names[] = {"heap-mono", "span-mono", "central-mono", "procs-mono",
                                        "timeline-mono"};
    render_golden(0, '1' + _i, names[_i]);
}
END_TEST

START_TEST(golden_views_color)
{
    static const char *const names[] = {"heap-256", "span-256", "central-256", "procs-256",
                                        "timeline-256"};
    render_golden(256, '1' + _i, names[_i]);
}
END_TEST

static int find_row(const hs_canvas *cv, const char *text);

/* The stated minimum, 80x24: every view and the help whole, the status
 * line's hint on every view. */
START_TEST(golden_views_80x24)
{
    static const char *const names[] = {"heap-80x24", "span-80x24", "central-80x24",
                                        "procs-80x24", "timeline-80x24"};
    hs_ui *ui = ui_with_frames(256, NULL, 3);
    hs_canvas *cv = hs_canvas_new(HS_UI_MIN_COLS, HS_UI_MIN_ROWS);
    ck_assert(hs_ui_key(ui, '1' + _i));
    hs_ui_render(ui, cv, NOW_NS);
    expect_golden(cv, names[_i]);
    char row[1024];
    hs_canvas_row_text(cv, HS_UI_MIN_ROWS - 1, row, sizeof(row));
    ck_assert_ptr_nonnull(strstr(row, "? help  q quit"));
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* Help at 80x24 scrolls to its last line; at 160x48 it fits whole, its
 * text wrapped to the box. */
START_TEST(golden_help_80x24)
{
    hs_ui *ui = ui_live(256, 1, true);
    hs_canvas *cv = hs_canvas_new(HS_UI_MIN_COLS, HS_UI_MIN_ROWS);
    hs_ui_key(ui, '?');
    hs_ui_render(ui, cv, NOW_NS);
    expect_golden(cv, "help-80x24");
    ck_assert_int_ge(find_row(cv, "heapscope keys 1-17 of 28   (up / down scroll"), 0);
    ck_assert_int_eq(find_row(cv, "reds to 32 KiB"), -1);
    hs_ui_key(ui, HS_KEY_PGDN);
    hs_ui_key(ui, HS_KEY_PGDN);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "heapscope keys 12-28 of 28"), 0);
    ck_assert_int_ge(find_row(cv, "Quit       q or F10"), 0);
    ck_assert_int_ge(find_row(cv, "reds to 32 KiB"), 0);
    hs_ui_key(ui, 'x'); /* any other key closes it */
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_eq(find_row(cv, "heapscope keys"), -1);
    hs_canvas_resize(cv, 160, 48);
    hs_ui_key(ui, '?');
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "heapscope keys   (any key closes this)"), 0);
    ck_assert_int_ge(find_row(cv, "reds to 32 KiB"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* One object is one object. */
START_TEST(span_of_one_object)
{
    hs_ui_opts o = {.colors = 0};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, NOW_NS);
    hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
    sp[0].nelems = 1;
    sp[0].alloc_count = 1;
    sp[0].freeindex = 1;
    hs_ui_feed(ui, s, NOW_NS);
    free(s);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_key(ui, '2');
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "1 object, 32 a row"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(golden_help)
{
    hs_ui *ui = ui_live(0, 1, true);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_key(ui, '?');
    hs_ui_render(ui, cv, NOW_NS);
    expect_golden(cv, "help-mono");
    hs_ui_key(ui, 'x'); /* any key closes help */
    hs_ui_render(ui, cv, NOW_NS);
    char row[1024];
    hs_canvas_row_text(cv, 6, row, sizeof(row));
    ck_assert_ptr_null(strstr(row, "heapscope keys"));
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* The first row of cv containing text, or -1. */
static int find_row(const hs_canvas *cv, const char *text)
{
    char row[2048];
    for (int y = 0; y < cv->h; y++) {
        hs_canvas_row_text(cv, y, row, sizeof(row));
        if (strstr(row, text) != NULL)
            return y;
    }
    return -1;
}

/* Help lists the keys the source takes: a source with no control and no
 * recorder (a running Go program, read only) has no World, GC, Step or
 * Record rows, and one line says they were left out. */
START_TEST(help_leaves_out_what_the_source_cannot_take)
{
    for (int controlled = 0; controlled < 2; controlled++) {
        hs_ui *ui = ui_live(0, 1, controlled);
        hs_canvas *cv = hs_canvas_new(W, H);
        hs_ui_key(ui, '?');
        hs_ui_render(ui, cv, NOW_NS);
        static const char *const rows[] = {"World      space", "GC         g starts",
                                           "Step       s steps", "Record     R starts"};
        for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
            ck_assert_msg((find_row(cv, rows[k]) >= 0) == controlled, "%s, controlled %d", rows[k],
                          controlled);
        ck_assert_int_ge(find_row(cv, "Freeze     f freezes"), 0);
        ck_assert_int_eq(find_row(cv, "Replay     space"), -1); /* no transport either way */
        ck_assert_int_ge(find_row(cv, "(keys this source does not take are left out)"), 0);
        hs_canvas_free(cv);
        hs_ui_free(ui);
    }
}
END_TEST

/* The span view's cell of object i: its grid starts under the title (e.g.
 * "170 objects, "), 32 objects a row at this width, two columns each. */
static const hs_tcell *object_cell(const hs_canvas *cv, const char *title, int i)
{
    int gy = find_row(cv, title);
    ck_assert_int_ge(gy, 0);
    char row[2048];
    hs_canvas_row_text(cv, gy, row, sizeof(row));
    int gx = (int)(strstr(row, title) - row);
    return hs_canvas_at(cv, gx + 2 * (i % 32), gy + 1 + i / 32);
}

START_TEST(too_small_says_so)
{
    hs_ui *ui = ui_with_frames(256, NULL, 1);
    hs_canvas *cv = hs_canvas_new(60, 20);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "needs 80x24; this is 60x20."), 0);
    ck_assert_int_ge(find_row(cv, "make the terminal bigger. q quits."), 0);
    /* Wrapped at words, the size it needs first: */
    hs_canvas_resize(cv, 40, 12);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_eq(find_row(cv, "needs 80x24; this is 40x12."), 4);
    ck_assert_int_eq(find_row(cv, "heapscope keeps running: make the"), 5);
    ck_assert_int_eq(find_row(cv, "terminal bigger. q quits."), 6);
    hs_canvas_resize(cv, 20, 5);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_eq(find_row(cv, "needs 80x24; this is"), 0);
    ck_assert_int_eq(find_row(cv, "20x5."), 1);
    hs_canvas_resize(cv, 80, 24); /* exactly the minimum: the views */
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_eq(find_row(cv, "needs 80x24"), -1);
    ck_assert_int_eq(find_row(cv, "GC mark #3 │ heap 5.00M→8.00M │ mark ██░░░ 30% │ GOGC 100 │ "
                                  "2 Ps │ alloc 0B/s"),
                     0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* The counts every view takes its mark progress from (32 cells a word, then
 * the odd ones): against the cells one by one, for cells in every order. */
START_TEST(cell_counts_agree_with_cells)
{
    hs_snapshot *s = canned_snapshot(1, 0);
    uint8_t *cells = (uint8_t *)s + s->cells_off;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint32_t k = 0; k < s->nspans; k++) {
        const hs_snap_span *sp = &hs_snap_spans(s)[k];
        for (int round = 0; round < 20; round++) {
            for (uint32_t i = 0; i < sp->nelems; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                canned_set_cell(cells + sp->cells, i, (hs_cell)(round == 0 ? 3 : x % 4));
            }
            uint32_t want[4] = {0}, got[4];
            for (uint32_t i = 0; i < sp->nelems; i++)
                want[hs_snap_cell(s, sp, i)]++;
            span_cell_counts(s, sp, got);
            for (int c = 0; c < 4; c++)
                ck_assert_uint_eq(got[c], want[c]);
        }
    }
    free(s);
}
END_TEST

START_TEST(colors_of_cells)
{
    hs_ui *ui = ui_with_frames(256, NULL, 3);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS);
    hs_ui_key(ui, 'z'); /* from fit (2 pages a cell) to one page a cell */
    hs_ui_render(ui, cv, NOW_NS);
    /* Heap map, first row, after the 12-column label: page 0 (span 0, with
     * gray objects) on top, in gray during mark; the large span (page 2,
     * black) two cells on. */
    int y = find_row(cv, "c000000000");
    ck_assert_int_ge(y, 0);
    const hs_tcell *c0 = hs_canvas_at(cv, 12, y), *c2 = hs_canvas_at(cv, 14, y),
                   *c7 = hs_canvas_at(cv, 19, y), *c20 = hs_canvas_at(cv, 32, y);
    ck_assert_uint_eq(c0->ch, 0x2580);
    ck_assert_uint_eq(c0->fg, 16);  /* 40 black, 20 gray, 40 white: the most, black */
    ck_assert_uint_eq(c2->fg, 16);  /* black */
    ck_assert_uint_eq(c7->fg, 242); /* a free page */
    ck_assert_uint_eq(c20->fg, 23); /* released */
    /* The span view of span 0: object 0 black, 45 gray, 80 white, 150 free. */
    hs_ui_key(ui, HS_KEY_ENTER);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
    hs_ui_render(ui, cv, NOW_NS);
    const char *g = "170 objects, ";
    ck_assert_uint_eq(object_cell(cv, g, 0)->fg, 16);
    ck_assert_uint_eq(object_cell(cv, g, 45)->fg, 247);
    ck_assert_uint_eq(object_cell(cv, g, 80)->fg, 250); /* old */
    ck_assert_uint_eq(object_cell(cv, g, 150)->ch, 0x00b7);
    /* freeindex (100) reversed, the allocCache window underlined to 127. */
    ck_assert(object_cell(cv, g, 100)->attr & HS_ATTR_REVERSE);
    ck_assert(object_cell(cv, g, 127)->attr & HS_ATTR_UNDERLINE);
    ck_assert(!(object_cell(cv, g, 128)->attr & HS_ATTR_UNDERLINE));
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* Objects allocated in the last second are drawn bright. */
START_TEST(fresh_objects_stand_out)
{
    hs_ui_opts o = {.fps = 30, .colors = 256};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, NOW_NS - 1100000000LL);
    hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
    uint8_t *cells = (uint8_t *)s + s->cells_off + sp[0].cells;
    for (uint32_t i = 60; i < sp[0].nelems; i++) /* a second ago, 60 and on were free */
        canned_set_cell(cells, i, HS_CELL_FREE);
    sp[0].alloc_count = 60;
    hs_ui_feed(ui, s, NOW_NS - 1100000000LL);
    free(s);
    s = canned_snapshot(2, NOW_NS - 100000000LL);
    hs_ui_feed(ui, s, NOW_NS - 100000000LL);
    free(s);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_key(ui, '2');
    hs_ui_render(ui, cv, NOW_NS);
    const hs_tcell *old = object_cell(cv, "170 objects, ", 10),
                   *young = object_cell(cv, "170 objects, ", 80);
    ck_assert(!(old->attr & HS_ATTR_BOLD));
    ck_assert(young->attr & HS_ATTR_BOLD);
    ck_assert_uint_eq(young->fg, 231);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(views_switch)
{
    hs_ui *ui = ui_with_frames(0, NULL, 1);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_HEAP);
    hs_ui_key(ui, HS_KEY_TAB);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
    hs_ui_key(ui, '5');
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_TIMELINE);
    hs_ui_key(ui, HS_KEY_TAB);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_HEAP);
    hs_ui_key(ui, HS_KEY_BTAB);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_TIMELINE);
    ck_assert(!hs_ui_key(ui, 'q'));
    ck_assert(!hs_ui_key(ui, HS_KEY_F10));
    hs_ui_free(ui);
}
END_TEST

static void feed_seq(hs_ui *ui, uint64_t seq)
{
    hs_snapshot *s = canned_snapshot(seq, (int64_t)seq * 100000000LL);
    hs_ui_feed(ui, s, (int64_t)seq * 100000000LL);
    free(s);
}

/* A UI with options o, fed frames 1..n, 100 ms apart. */
static hs_ui *ui_fed(hs_ui_opts o, uint64_t n)
{
    hs_ui *ui = hs_ui_new(&o, NULL);
    ck_assert_ptr_nonnull(ui);
    for (uint64_t i = 1; i <= n; i++)
        feed_seq(ui, i);
    return ui;
}

static void press(hs_ui *ui, int key, int times)
{
    for (int i = 0; i < times; i++)
        hs_ui_key(ui, key);
}

/* Freeze, step back `back` frames, and say which frame is shown. */
static uint64_t freeze_back(hs_ui *ui, int back)
{
    hs_ui_key(ui, 'f');
    ck_assert(hs_ui_frozen(ui));
    press(ui, ',', back);
    return hs_ui_shown_seq(ui);
}

START_TEST(freeze_and_step_frames)
{
    hs_ui *ui = ui_fed((hs_ui_opts){.fps = 10, .colors = 0}, 5);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 5);
    ck_assert_uint_eq(freeze_back(ui, 1), 4);
    press(ui, ',', 2);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 2);
    hs_ui_key(ui, '.');
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 3);
    feed_seq(ui, 6); /* the source runs on; the screen and the ring do not move */
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 3);
    press(ui, ',', 10);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 1); /* stops at the oldest */
    press(ui, '.', 10);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 5); /* and at the newest kept when frozen */
    hs_ui_key(ui, ',');
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, 700000000LL);
    /* 200 ms behind frame 6, the newest seen; the count stays still */
    ck_assert_int_eq(find_row(cv, "FROZEN 200 ms behind now, frame 4 of 5"), H - 1);
    hs_ui_key(ui, HS_KEY_END);
    ck_assert(!hs_ui_frozen(ui));
    feed_seq(ui, 7);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 7);
    hs_ui_render(ui, cv, 800000000LL);
    ck_assert_int_eq(find_row(cv, "LIVE running"), H - 1);
    /* A frame fed twice, or older than the newest, is not kept again. */
    feed_seq(ui, 7);
    feed_seq(ui, 2);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 7);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* At 80 columns a frozen frame's banner drops its keys before the hint goes. */
START_TEST(frozen_status_at_80_columns)
{
    hs_ui *ui = ui_fed((hs_ui_opts){.fps = 10, .colors = 0}, 5);
    hs_ui_key(ui, ',');
    hs_canvas *cv = hs_canvas_new(HS_UI_MIN_COLS, HS_UI_MIN_ROWS);
    hs_ui_render(ui, cv, 700000000LL);
    char row[1024];
    hs_canvas_row_text(cv, HS_UI_MIN_ROWS - 1, row, sizeof(row));
    ck_assert_pstr_eq(row, " FROZEN 100 ms back, 4/5  running  #4 at 0.4 s, age 300 ms"
                           "        ? help  q quit");
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(history_is_bounded)
{
    /* 3 frames by count (1 fps x 3 s)... */
    hs_ui *ui = ui_fed((hs_ui_opts){.fps = 1, .history_s = 3, .colors = 0}, 10);
    ck_assert_uint_eq(freeze_back(ui, 10), 8);
    hs_ui_free(ui);
    /* ... or by bytes: room for two snapshots. */
    hs_snapshot *s = canned_snapshot(1, 0);
    size_t two = 2 * (size_t)s->size + 100;
    free(s);
    ui = ui_fed((hs_ui_opts){.fps = 30, .colors = 0, .history_bytes = two}, 10);
    ck_assert_uint_eq(freeze_back(ui, 10), 9);
    hs_ui_free(ui);
}
END_TEST

/* Frozen on the oldest frame of a full ring, new snapshots drop nothing:
 * the frame stays, and so do its neighbours. */
START_TEST(frozen_frame_stays)
{
    hs_ui *ui = ui_fed((hs_ui_opts){.fps = 1, .history_s = 3, .colors = 0}, 3);
    ck_assert_uint_eq(freeze_back(ui, 2), 1);
    for (uint64_t seq = 4; seq < 10; seq++)
        feed_seq(ui, seq);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 1);
    hs_ui_key(ui, '.');
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 2);
    hs_ui_key(ui, HS_KEY_END);
    feed_seq(ui, 10);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 10);
    hs_ui_free(ui);
}
END_TEST

/* A control that writes down what it is asked. */
typedef struct calls {
    char log[512];
} calls;

static void add(calls *c, const char *what)
{
    strncat(c->log, what, sizeof(c->log) - strlen(c->log) - 1);
    strncat(c->log, ";", sizeof(c->log) - strlen(c->log) - 1);
}
static void f_pause(void *ctx, bool on)
{
    add(ctx, on ? "pause" : "resume");
}
static void f_gc(void *ctx)
{
    add(ctx, "gc");
}
static void f_stepping(void *ctx, bool on)
{
    add(ctx, on ? "stepping on" : "stepping off");
}
static void f_step(void *ctx, hs_ctl_step k, uint64_t n)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "step %d %llu", (int)k, (unsigned long long)n);
    add(ctx, buf);
}
static void f_gogc(void *ctx, int g)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "gogc %d", g);
    add(ctx, buf);
}

static void feed_state(hs_ui *ui, uint64_t seq, bool paused, bool step_enabled, bool held)
{
    hs_snapshot *s = canned_snapshot(seq, (int64_t)seq * 1000000);
    s->world_paused = paused;
    s->step_enabled = step_enabled;
    s->step_held = held;
    s->step_phase = HS_PHASE_MARK;
    hs_ui_feed(ui, s, (int64_t)seq * 1000000);
    free(s);
}

START_TEST(controls_reach_the_source)
{
    calls c = {{0}};
    hs_control ctl = {&c, f_pause, f_gc, f_stepping, f_step, f_gogc};
    hs_ui_opts o = {.colors = 0};
    hs_ui *ui = hs_ui_new(&o, &ctl);
    feed_state(ui, 1, false, false, false);
    hs_ui_key(ui, ' ');
    hs_ui_key(ui, 'g');
    hs_ui_key(ui, '+');
    hs_ui_key(ui, '+'); /* before a snapshot shows 110: from 110, not from the 100 shown */
    hs_ui_key(ui, 's'); /* not stepping yet: stepping on, and a cycle */
    ck_assert_str_eq(c.log, "pause;gc;gogc 110;gogc 120;stepping on;gc;");
    c.log[0] = '\0';
    feed_state(ui, 2, true, true, true);
    hs_ui_key(ui, ' ');
    hs_ui_key(ui, 's');
    hs_ui_key(ui, 'n');
    hs_ui_key(ui, ']');
    hs_ui_key(ui, 'n');
    hs_ui_key(ui, '[');
    hs_ui_key(ui, '[');
    hs_ui_key(ui, 'n');
    hs_ui_key(ui, 'c');
    hs_ui_key(ui, '-');
    hs_ui_key(ui, 'x');
    /* The snapshot still says 100, but 120 was asked for a moment ago. */
    ck_assert_str_eq(c.log, "resume;step 0 0;step 1 100;step 1 1000;step 1 10;step 2 0;gogc 110;"
                            "stepping off;");
    /* The status line shortens what matters least first: the snapshot's
     * details, then the banner's keys; the hint on the right always shows. */
    hs_canvas *cv = hs_canvas_new(160, H);
    hs_ui_render(ui, cv, 2000000);
    char row[2048];
    hs_canvas_row_text(cv, H - 1, row, sizeof(row));
    ck_assert_pstr_eq(row, "LIVE  STEP: held at mark (s phase, n 10 objects, c cycle, x off)   step mode "
                           "off: the collector runs freely  snapshot #2 at 0.0 s, age 0 ns       ? help  q quit");
    hs_canvas_resize(cv, W, H);
    hs_ui_render(ui, cv, 2000000);
    hs_canvas_row_text(cv, H - 1, row, sizeof(row));
    ck_assert_pstr_eq(row, "LIVE  STEP: held at mark   step mode off: the collector runs freely"
                           "  #2 at 0.0 s, age 0 ns                ? help  q quit");
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* space's message stays until a frame shows the world stopped, then goes:
 * the banner says it.  Entering step mode says nothing the banner does not. */
START_TEST(status_messages_settle)
{
    calls c = {{0}};
    hs_control ctl = {&c, f_pause, f_gc, f_stepping, f_step, f_gogc};
    hs_ui_opts o = {.colors = 0};
    hs_ui *ui = hs_ui_new(&o, &ctl);
    hs_canvas *cv = hs_canvas_new(W, H);
    feed_state(ui, 1, false, false, false);
    hs_ui_key(ui, ' ');
    hs_ui_render(ui, cv, 1000000);
    ck_assert_int_eq(find_row(cv, "stopping the world at the next safe points"), H - 1);
    feed_state(ui, 2, true, false, false);
    hs_ui_render(ui, cv, 2000000);
    ck_assert_int_eq(find_row(cv, "WORLD STOPPED"), H - 1);
    ck_assert_int_eq(find_row(cv, "stopping the world"), -1);
    hs_ui_key(ui, ' ');
    hs_ui_render(ui, cv, 2000000);
    ck_assert_int_eq(find_row(cv, "resuming the world"), H - 1);
    feed_state(ui, 3, false, false, false);
    hs_ui_render(ui, cv, 3000000);
    ck_assert_int_eq(find_row(cv, "resuming the world"), -1);
    hs_ui_key(ui, 's');
    feed_state(ui, 4, false, true, false);
    hs_ui_render(ui, cv, 4000000);
    char row[2048];
    hs_canvas_row_text(cv, H - 1, row, sizeof(row));
    ck_assert_pstr_eq(row, "LIVE  STEP mode: waiting for a cycle (s starts one)   snapshot #4 at 0.0 s, "
                           "age 0 ns                      ? help  q quit");
    hs_canvas_free(cv);
    c.log[0] = '\0';
    feed_state(ui, 3000, false, false, false); /* 3 s on, still 100: the source did not take it */
    hs_ui_key(ui, '-');
    ck_assert_str_eq(c.log, "gogc 90;");
    hs_ui_free(ui);
}
END_TEST

START_TEST(controls_missing_say_so)
{
    hs_ui_opts o = {.colors = 0};
    hs_ui *ui = hs_ui_new(&o, NULL);
    feed_state(ui, 1, false, false, false);
    hs_ui_key(ui, 'g');
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, 1000000);
    ck_assert_int_ge(find_row(cv, "GC now: not possible with this source"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(select_and_walk_spans)
{
    hs_ui *ui = ui_with_frames(256, NULL, 1);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS);
    /* Right twice: page 2, the large span. */
    hs_ui_key(ui, HS_KEY_RIGHT);
    hs_ui_key(ui, 'l');
    hs_ui_key(ui, HS_KEY_ENTER);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "span 0xc000004000"), 0);
    ck_assert_int_ge(find_row(cv, "large object, 32.0 KiB"), 0);
    hs_ui_key(ui, 'l');
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "awaiting sweep (sweepgen-2)"), 0);
    hs_ui_key(ui, 'l'); /* the last span: stays */
    hs_ui_key(ui, 'h');
    hs_ui_key(ui, 'h');
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "class 2: 16 B objects, noscan"), 0);
    /* A free page has no span to open. */
    hs_ui_key(ui, '1');
    for (int i = 0; i < 6; i++)
        hs_ui_key(ui, HS_KEY_RIGHT); /* page 8: free */
    hs_ui_key(ui, HS_KEY_ENTER);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_HEAP);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(click_opens_a_span)
{
    hs_ui *ui = ui_with_frames(256, NULL, 1);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS); /* fit: 2 pages a cell */
    int y = find_row(cv, "c000000000");
    hs_ui_click(ui, 12 + 3, y); /* pages 6-7: span 3 */
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "class 26: 512 B objects, scan"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* Go 1.26 puts its heap at a random base of up to 12 hex digits: the row
 * labels show the whole address, and the map moves right to make room. */
START_TEST(high_addresses_labelled_whole)
{
    hs_ui_opts o = {.fps = 30, .colors = 256};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, NOW_NS - 100000000LL);
    hs_snap_arena *ar = (hs_snap_arena *)((char *)s + s->arenas_off);
    ar[0].base = 0x2aee78000000;
    hs_ui_feed(ui, s, NOW_NS - 99000000LL);
    free(s);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS);
    int y = find_row(cv, "2aee78000000  ");
    ck_assert_int_ge(y, 0);
    ck_assert_int_lt(find_row(cv, "2aee7800000 "), 0);
    hs_ui_click(ui, 14 + 3, y); /* pages 6-7: span 3, two columns further right */
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

START_TEST(bad_snapshot_is_refused)
{
    hs_ui *ui = ui_with_frames(0, NULL, 1);
    hs_snapshot *s = canned_snapshot(2, 0);
    s->version = 99;
    hs_ui_feed(ui, s, 1);
    free(s);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 1);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS);
    ck_assert_int_ge(find_row(cv, "1 bad snapshots (snapshot version 99 is newer"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* The heap a little later: span 1 has 10 more objects, span 3 (512 B) is
 * gone, a span of 24 B objects appeared at page 10, page 12 was released. */
static const canned_span later_spans[4] = {
    {0, 1, 5 << 1, HS_SWEEP_CACHED, 1, HS_SET_NONE, 48, 170, 100, 500000000},
    {1, 1, 2 << 1 | 1, HS_SWEEP_SWEPT, 0, HS_SET_PARTIAL_SWEPT, 16, 512, 310, 3000000000},
    {2, 4, 0, HS_SWEEP_SWEPT, 0, HS_SET_FULL_SWEPT, 32768, 1, 1, 20000000000},
    {10, 1, 3 << 1, HS_SWEEP_SWEPT, 0, HS_SET_PARTIAL_SWEPT, 24, 341, 100, 100000000},
};

static hs_cell later_cell(int k, uint32_t i)
{
    if (k == 1)
        return i < 310 ? HS_CELL_WHITE : HS_CELL_FREE;
    if (k == 3)
        return i < 100 ? HS_CELL_WHITE : HS_CELL_FREE;
    return canned_cell(k, i);
}

static uint8_t later_page(uint32_t p)
{
    return p == 12 ? HS_PAGE_RELEASED : canned_page(p);
}

START_TEST(pin_and_compare)
{
    hs_ui_opts o = {.colors = 256};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, 1000000000);
    hs_ui_feed(ui, s, 1000000000);
    free(s);
    hs_ui_key(ui, 'd'); /* pin frame 1 */
    s = canned_build(2, 3000000000, later_spans, 4, later_cell, later_page);
    hs_ui_feed(ui, s, 3000000000);
    free(s);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_key(ui, 'z'); /* one page a cell */
    hs_ui_render(ui, cv, 3000000000);
    hs_ui_render(ui, cv, 3000000000);
    /* 10 x 16 B + 100 x 24 B allocated, 16 x 512 B freed. */
    ck_assert_int_eq(find_row(cv, " since frame #1 (+2.0 s): allocated 2.50 KiB, freed 8.00 KiB, "
                                  "net -5.50 KiB  by class: 512 B: -8.00 KiB, 24 B: +2.34 KiB"),
                     3);
    int y = find_row(cv, "c000000000");
    ck_assert_uint_eq(hs_canvas_at(cv, 12 + 10, y)->fg, 46); /* new span */
    ck_assert_uint_eq(hs_canvas_at(cv, 12 + 6, y)->fg, 196); /* freed */
    ck_assert_uint_eq(hs_canvas_at(cv, 12 + 12, y)->fg, 33); /* released */
    ck_assert_uint_ne(hs_canvas_at(cv, 12 + 2, y)->fg, 16);  /* unchanged: dimmed */
    ck_assert_int_ge(find_row(cv, "changes since the pinned frame:"), 0);
    /* The span view of span 1: objects 300-309 new. */
    hs_ui_key(ui, HS_KEY_RIGHT);
    hs_ui_key(ui, HS_KEY_ENTER);
    hs_ui_render(ui, cv, 3000000000);
    ck_assert_uint_eq(object_cell(cv, "512 objects, ", 305)->fg, 46);
    ck_assert_uint_ne(object_cell(cv, "512 objects, ", 295)->fg, 46);
    /* The central view: each class's bytes since the pin. */
    hs_ui_key(ui, '3');
    hs_canvas_resize(cv, 160, 48);
    hs_ui_render(ui, cv, 3000000000);
    ck_assert_int_ge(find_row(cv, "since the pin: allocated, freed"), 0);
    ck_assert_int_ge(find_row(cv, "+2.34 KiB  -0 B"), 0);
    ck_assert_int_ge(find_row(cv, "+0 B       -8.00 KiB"), 0);
    /* d again: no pin, no line. */
    hs_ui_key(ui, 'd');
    hs_ui_render(ui, cv, 3000000000);
    ck_assert_int_eq(find_row(cv, "since frame #1"), -1);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* A transport that writes down what it is asked. */
static void t_play(void *ctx, bool on)
{
    add(ctx, on ? "play" : "pause");
}
static void t_step(void *ctx, long n)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "step %ld", n);
    add(ctx, buf);
}
static void t_seek(void *ctx, hs_seek w)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "seek %d", (int)w);
    add(ctx, buf);
}
static void t_speed(void *ctx, int d)
{
    add(ctx, d > 0 ? "faster" : "slower");
}
static int64_t t_now_ns = 1500000000; /* the transport's clock, set by the test */
static hs_transport_state t_state(void *ctx)
{
    (void)ctx;
    hs_transport_state st = {.playing = true,
                             .speed = 2,
                             .frame = 4,
                             .frames = 10,
                             .t_ns = t_now_ns,
                             .end_ns = 3000000000};
    strcpy(st.marker, "the big allocation");
    return st;
}

START_TEST(replay_transport)
{
    calls c = {{0}};
    hs_transport tr = {&c, t_play, t_step, t_seek, t_speed, t_state};
    hs_ui_opts o = {.colors = 0, .transport = &tr};
    hs_ui *ui = hs_ui_new(&o, NULL);
    feed_seq(ui, 5);
    for (const char *k = " ,.<>[]G"; *k; k++)
        hs_ui_key(ui, *k);
    hs_ui_key(ui, HS_KEY_HOME);
    hs_ui_key(ui, HS_KEY_END);
    ck_assert_str_eq(c.log,
                     "pause;step -1;step 1;slower;faster;seek 2;seek 3;seek 4;seek 0;seek 1;");
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, 0);
    ck_assert_int_eq(
        find_row(cv, " REPLAY ▶ x2  frame 5 of 10  1.50 s / 3.00 s  the big allocation"), H - 1);
    t_now_ns = 0; /* the clock keeps its unit at the start too (not "0 ns") */
    hs_ui_render(ui, cv, 1);
    ck_assert_int_eq(find_row(cv, "frame 5 of 10  0.00 s / 3.00 s"), H - 1);
    t_now_ns = 1500000000;
    /* Seeking back publishes an earlier frame: it is shown. */
    feed_seq(ui, 2);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 2);
    feed_seq(ui, 3);
    ck_assert_uint_eq(hs_ui_shown_seq(ui), 3);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* The heap's first pages never used (as in a Go program's heap): the
 * cursor starts on the first page in a span, so Enter opens it. */
START_TEST(cursor_starts_on_a_span)
{
    hs_ui_opts o = {.fps = 30, .colors = 0};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, NOW_NS);
    int32_t *ps = (int32_t *)((char *)s + s->page_span_off);
    uint8_t *pages = (uint8_t *)s + s->pages_off;
    const hs_snap_span *sp = hs_snap_spans(s);
    uint32_t first = sp[0].page;
    for (uint32_t p = 0; p < sp[0].npages; p++) { /* span 0's pages: never used */
        ps[first + p] = -1;
        pages[first + p] = HS_PAGE_UNUSED;
    }
    ck_assert_int_eq(ps[0], -1);
    hs_ui_feed(ui, s, NOW_NS);
    free(s);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, NOW_NS);
    hs_ui_key(ui, HS_KEY_ENTER);
    ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* Three digits, chosen after rounding: never "100.0 MiB" or "10.00 ms". */
START_TEST(numbers_keep_three_digits)
{
    char b[32];
    ck_assert_str_eq(fmt_bytes(b, sizeof b, (uint64_t)(99.97 * 1048576)), "100 MiB");
    ck_assert_str_eq(fmt_bytes(b, sizeof b, (uint64_t)(9.999 * 1024)), "10.0 KiB");
    ck_assert_str_eq(fmt_bytes(b, sizeof b, (uint64_t)(9.99 * 1024)), "9.99 KiB");
    ck_assert_str_eq(fmt_bytes(b, sizeof b, 117 * 1048576ull), "117 MiB");
    ck_assert_str_eq(fmt_ns(b, sizeof b, 9999000), "10.0 ms");
    ck_assert_str_eq(fmt_ns(b, sizeof b, 99990000), "100 ms");
    ck_assert_str_eq(fmt_ns(b, sizeof b, 1230000), "1.23 ms");
}
END_TEST

/* A source that has ended (the workload finished, the program exited):
 * its last frame stays, the status line says ENDED and its note, not LIVE
 * and whether the world runs. */
static bool ended_note(void *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "%s", (const char *)ctx);
    return buf[0] != '\0';
}

START_TEST(ended_source_says_so)
{
    static char words[] = "the workload has ended; q quits", none[] = "";
    for (int ended = 0; ended < 2; ended++) {
        hs_ui_opts o = {.fps = 30, .colors = 0, .note = ended_note, .note_ctx = ended ? words : none};
        hs_ui *ui = ui_canned(&o, NULL, 1);
        hs_canvas *cv = hs_canvas_new(W, H);
        hs_ui_render(ui, cv, NOW_NS);
        char row[1024];
        hs_canvas_row_text(cv, H - 1, row, sizeof(row));
        ck_assert_msg((strncmp(row, "ENDED ", 6) == 0) == ended, "%s", row);
        ck_assert_msg((strncmp(row, "LIVE running", 12) == 0) == !ended, "%s", row);
        ck_assert_msg((strstr(row, "the workload has ended") != NULL) == ended, "%s", row);
        hs_canvas_free(cv);
        hs_ui_free(ui);
    }
}
END_TEST

/* From a running Go program, what Go keeps no count of is said so, never
 * drawn as a zero: per-P allocations and mark time, span queues and scans,
 * the spans handed to mcaches, the GC CPU sparkline. */
START_TEST(attached_counts_not_zero)
{
    hs_ui_opts o = {.colors = 0};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, 1000000000);
    s->source = HS_SOURCE_ATTACH;
    s->gcmode = 1;
    hs_ui_feed(ui, s, 1000000000);
    free(s);
    hs_canvas *cv = hs_canvas_new(160, 48);
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "span scans: not readable from a running Go program"), 0);
    ck_assert_int_lt(find_row(cv, "span scans 0 one"), 0);
    /* Go 1.26 records a queued span (its owned byte), not the scan under way. */
    ck_assert_int_ge(find_row(cv, "span in a span queue"), 0);
    ck_assert_int_lt(find_row(cv, "span being scanned"), 0);
    hs_ui_key(ui, '3');
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "(no count)"), 0); /* spans handed to mcaches */
    ck_assert_int_lt(find_row(cv, "(total)"), 0);
    hs_ui_key(ui, '4');
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "small, large, mark time: not readable"), 0);
    ck_assert_int_lt(find_row(cv, "small 0 large 0"), 0);
    ck_assert_int_lt(find_row(cv, "span queue: ring"), 0);
    hs_ui_key(ui, '5');
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "GC CPU: not readable from a running Go program"), 0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

/* From a running Go program, gray is named where Go records it: a Go 1.26+
 * frame (Green Tea, gcmode 1) has gray in the heap legend and, in the span
 * view of a span with an inline block and pointers, gray and black as seen
 * and scanned, with the block drawn reserved; a Go <= 1.24 frame (gcmode 0)
 * and a span without inline marks say there is no gray. */
START_TEST(attached_gray_where_go_records_it)
{
    for (int mode = 0; mode < 2; mode++) {
        hs_ui_opts o = {.colors = 256};
        hs_ui *ui = hs_ui_new(&o, NULL);
        hs_snapshot *s = canned_snapshot(1, 1000000000);
        s->source = HS_SOURCE_ATTACH;
        s->gcmode = (uint32_t)mode;
        hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
        if (mode == 1)
            sp[0].flags |= HS_SPAN_INLINE_MARKS;
        hs_ui_feed(ui, s, 1000000000);
        free(s);
        hs_canvas *cv = hs_canvas_new(160, 48);
        hs_ui_render(ui, cv, 1000000000);
        bool gray = mode == 1;
        ck_assert_int_eq(find_row(cv, "gray: seen, not scanned (16–512 B)") >= 0, gray);
        ck_assert_int_eq(find_row(cv, "marked (16–512 B: and scanned)") >= 0, gray);
        ck_assert_int_eq(find_row(cv, "span in a span queue") >= 0, gray); /* the owned byte */
        ck_assert_int_lt(find_row(cv, "span being scanned"), 0);
        ck_assert_int_ge(find_row(cv, "allocated, unmarked"), 0);
        hs_ui_key(ui, HS_KEY_ENTER); /* span 0: 48 B objects with pointers */
        ck_assert_int_eq(hs_ui_current_view(ui), HS_VIEW_SPAN);
        hs_ui_render(ui, cv, 1000000000);
        ck_assert_int_eq(find_row(cv, "gray: seen, not scanned") >= 0, gray);
        ck_assert_int_eq(find_row(cv, "black: seen and scanned") >= 0, gray);
        ck_assert_int_eq(find_row(cv, "reserved: inline mark block") >= 0, gray);
        ck_assert_int_eq(find_row(cv, "(no gray: Go does not record it)") >= 0, !gray);
        hs_canvas_free(cv);
        hs_ui_free(ui);
    }
}
END_TEST

/* Green Tea: queued and scanned spans on the map, the inline block in the
 * span view, each P's span queue, the scan counts on the GC bar. */
START_TEST(green_tea_views)
{
    hs_ui_opts o = {.colors = 256};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, 1000000000);
    s->gcmode = 1;
    s->scan_spans_one = 1;
    s->scan_spans_sparse = 2;
    s->scan_spans_dense = 3;
    s->scan_objs_single = 40;
    s->scan_span_objs_sparse = 50;
    s->scan_span_objs_dense = 60;
    hs_snap_span *sp = (hs_snap_span *)((char *)s + s->spans_off);
    sp[0].flags |= HS_SPAN_INLINE_MARKS | HS_SPAN_QUEUED;
    sp[3].flags |= HS_SPAN_INLINE_MARKS | HS_SPAN_SCANNING;
    hs_snap_p *pp = (hs_snap_p *)((char *)s + s->procs_off);
    pp[0].spanq_ring = 3;
    pp[0].spanq_chain = 1;
    pp[0].span_steals = 2;
    pp[1].scanning = sp[3].start;
    hs_ui_feed(ui, s, 1000000000);
    free(s);
    hs_canvas *cv = hs_canvas_new(160, 48);
    hs_ui_key(ui, 'z');
    hs_ui_render(ui, cv, 1000000000);
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_eq(find_row(cv, "Green Tea marking (Go 1.26+)"), 1);
    ck_assert_int_eq(find_row(cv, "Timeline    span scans 1 one, 2 sparse, 3 dense; "
                                  "objects 40 singly, 110 in spans"),
                     2);
    int y = find_row(cv, "c000000000");
    ck_assert_uint_eq(hs_canvas_at(cv, 12 + 0, y)->fg, 44);  /* queued */
    ck_assert_uint_eq(hs_canvas_at(cv, 12 + 6, y)->fg, 201); /* being scanned */
    ck_assert_int_ge(find_row(cv, "span in a span queue"), 0);
    hs_ui_key(ui, HS_KEY_ENTER);
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "in a span queue, one mark"), 0);
    ck_assert_int_ge(find_row(cv, "last 256 B: pointer bits, inline marks"), 0);
    /* 8192 - 170 x 48 = 32 B left over after the objects: one reserved slot. */
    ck_assert_uint_eq(object_cell(cv, "170 objects, ", 170)->ch, 0x2592);
    ck_assert_uint_ne(object_cell(cv, "170 objects, ", 171)->ch, 0x2592);
    hs_ui_key(ui, '4');
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "span queue: ring 3, chain 1; steals 2"), 0);
    ck_assert_int_ge(find_row(cv, "scanning span 0xc00000c000"), 0);
    hs_canvas_resize(cv, HS_UI_MIN_COLS, HS_UI_MIN_ROWS); /* below the fills, whole */
    hs_ui_render(ui, cv, 1000000000);
    ck_assert_int_ge(find_row(cv, "         span queue: ring 3, chain 1; steals 2"), 0);
    ck_assert_int_ge(find_row(cv, "         span queue: ring 0, chain 0; steals 0  "
                                  "scanning span 0xc00000c000"),
                     0);
    hs_canvas_free(cv);
    hs_ui_free(ui);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("ui views");
    TCase *tc = tcase_create("views");
    tcase_add_loop_test(tc, golden_views_mono, 0, HS_VIEW_COUNT);
    tcase_add_loop_test(tc, golden_views_color, 0, HS_VIEW_COUNT);
    tcase_add_test(tc, golden_help);
    tcase_add_test(tc, help_leaves_out_what_the_source_cannot_take);
    tcase_add_loop_test(tc, golden_views_80x24, 0, HS_VIEW_COUNT);
    tcase_add_test(tc, golden_help_80x24);
    tcase_add_test(tc, span_of_one_object);
    tcase_add_test(tc, too_small_says_so);
    tcase_add_test(tc, cell_counts_agree_with_cells);
    tcase_add_test(tc, colors_of_cells);
    tcase_add_test(tc, fresh_objects_stand_out);
    tcase_add_test(tc, views_switch);
    tcase_add_test(tc, freeze_and_step_frames);
    tcase_add_test(tc, history_is_bounded);
    tcase_add_test(tc, frozen_frame_stays);
    tcase_add_test(tc, controls_reach_the_source);
    tcase_add_test(tc, status_messages_settle);
    tcase_add_test(tc, frozen_status_at_80_columns);
    tcase_add_test(tc, controls_missing_say_so);
    tcase_add_test(tc, select_and_walk_spans);
    tcase_add_test(tc, click_opens_a_span);
    tcase_add_test(tc, high_addresses_labelled_whole);
    tcase_add_test(tc, bad_snapshot_is_refused);
    tcase_add_test(tc, pin_and_compare);
    tcase_add_test(tc, replay_transport);
    tcase_add_test(tc, green_tea_views);
    tcase_add_test(tc, attached_counts_not_zero);
    tcase_add_test(tc, ended_source_says_so);
    tcase_add_test(tc, numbers_keep_three_digits);
    tcase_add_test(tc, cursor_starts_on_a_span);
    tcase_add_test(tc, attached_gray_where_go_records_it);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
