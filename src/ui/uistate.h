/*
 * uistate.h — the visualizer's insides, shared by its files (src/ui/ only).
 *
 * One hs_ui is touched by one thread (the UI's).  The snapshots it shows are
 * its own copies, kept in a ring (history.c); views look a frame up by seq at
 * each render, so a frame the ring overwrote is never read.
 */
#ifndef HS_UI_UISTATE_H
#define HS_UI_UISTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/snapshot.h"
#include "heapscope/ui.h"

/* ---- drawing (canvas.c) ------------------------------------------------------------ */

typedef struct style {
    uint16_t fg, bg;
    uint8_t attr;
} style;

#define STYLE_PLAIN ((style){HS_COLOR_DEFAULT, HS_COLOR_DEFAULT, 0})
#define STYLE_BOLD ((style){HS_COLOR_DEFAULT, HS_COLOR_DEFAULT, HS_ATTR_BOLD})

typedef struct rect {
    int x, y, w, h;
} rect;

void cv_clear(hs_canvas *cv, style st);
void cv_put(hs_canvas *cv, int x, int y, uint32_t ch, style st);
void cv_fill(hs_canvas *cv, int x, int y, int w, int h, uint32_t ch, style st);
/* Text at (x, y), at most maxw columns; returns the columns written. */
int cv_text(hs_canvas *cv, int x, int y, int maxw, style st, const char *s);
/* Columns s takes (one per character: the UI draws no wide characters). */
int cv_width(const char *s);
/* s word-wrapped into w columns from (x, y), at most maxrows rows; returns the
 * rows it takes.  cv NULL measures without drawing. */
int cv_wrap(hs_canvas *cv, int x, int y, int w, int maxrows, style st, const char *s);
__attribute__((format(printf, 6, 7))) int cv_printf(hs_canvas *cv, int x, int y, int maxw,
                                                     style st, const char *fmt, ...);

/* ---- colors and glyphs (palette.c) ---------------------------------------------------- */

/* Glyphs, used with and without color.  Without color they alone tell the
 * states apart. */
#define G_UPPER 0x2580 /* ▀: the upper of two rows in one cell */
#define G_FULL 0x2588  /* █ */
#define G_LIGHT 0x2591 /* ░ */
#define G_MEDIUM 0x2592
#define G_DOT 0x00b7   /* · */
#define G_WHITE 0x25cb /* ○ */
#define G_GRAY 0x25d0  /* ◐ */
#define G_BLACK 0x25cf /* ● */

/* What one cell of the heap map shows. */
typedef enum map_state {
    MAP_UNUSED = 0,
    MAP_FREE,
    MAP_RELEASED,
    MAP_SMALL, /* colored by size class */
    MAP_LARGE,
    MAP_UNSWEPT,
    MAP_WHITE, /* mark progress, during mark */
    MAP_GRAY,
    MAP_BLACK,
    MAP_QUEUED,   /* Green Tea, during mark: the span waits in a span queue */
    MAP_SCANNING, /* Green Tea: a P scans the span now */
    MAP_NSTATES,
} map_state;

typedef struct palette {
    int colors; /* 256, 8 or 0 */
} palette;

/* Color of a map state (class for MAP_SMALL); a terminal index. */
uint16_t pal_map(const palette *p, map_state st, int sizeclass);
/* Glyph of a map state when there is no color to show it. */
uint32_t pal_map_glyph(map_state st);
/* An object's cell in the span view. */
uint16_t pal_cell(const palette *p, hs_cell c);
uint32_t pal_cell_glyph(hs_cell c);
/* A fill share 0..1 as one of ' ▁▂▃▄▅▆▇█'. */
uint32_t pal_eighths(double share);
/* Reduce a 256-color index to the terminal's palette (identity for 256). */
uint16_t pal_reduce(const palette *p, uint16_t color);
/* c moved pct percent of the way toward another color (256 colors). */
uint16_t pal_fade(uint16_t c, uint16_t toward, int pct);
const char *pal_map_name(map_state st);
/* Names and status words that depend on the source of the snapshot shown
 * (source.c): NULL for a state the source does not have. */
const char *source_state_name(const hs_ui *ui, map_state st);
/* The names of sp's cells (sp NULL: of any span of s). */
const char *source_cell_name(const hs_snapshot *s, const hs_snap_span *sp, hs_cell c);
/* From a running Go program (--attach): the counters Go keeps no record of
 * (per-P allocation counts, mark time, span queues and scans, GC CPU) are
 * said to be unreadable, never drawn as zeros. */
bool source_attached(const hs_snapshot *s);
#define SOURCE_UNREADABLE "not readable from a running Go program"
void source_status(const hs_snapshot *s, char *buf, size_t n);
/* Accent colors for text. */
enum {
    C_TITLE = 75,
    C_WARN = 214,
    C_BAD = 196,
    C_GOOD = 114,
    C_DIM = 244,
    C_BAR_BG = 236,
};

/* ---- the ring of recent snapshots (history.c) ---------------------------------------- */

typedef struct frame {
    hs_snapshot *s; /* our copy, in the history's region; cap bytes */
    size_t cap;
    int64_t seen_ns; /* when it reached the UI */
} frame;

typedef struct history {
    frame *ring;
    size_t cap;  /* frames the ring can hold */
    size_t n;    /* frames it holds */
    size_t head; /* index of the oldest */
    char *base;  /* the region the copies live in: size bytes, the byte budget */
    size_t size;
    size_t tail; /* where the newest copy ends */
} history;

/* False when out of memory (or address space). */
bool hist_init(history *h, size_t frames, size_t budget);
void hist_free(history *h);
/* Forget every frame. */
void hist_clear(history *h);
/* Copy s in, dropping the oldest frames past the count or the byte budget. */
bool hist_push(history *h, const hs_snapshot *s, int64_t now_ns);
/* Frame i, 0 the oldest. */
const frame *hist_at(const history *h, size_t i);
/* The index of the frame with this seq, or of the oldest newer one; n if none. */
size_t hist_find(const history *h, uint64_t seq);

/* One point of the timeline per snapshot. */
typedef struct sample {
    int64_t t_ns;
    uint64_t heap_live, heap_goal, total_alloc;
    int64_t gc_cpu_ns;
    uint32_t nprocs;
    uint8_t phase;
} sample;

typedef struct pause_mark {
    int64_t t_ns, len_ns;
} pause_mark;

#define SERIES_CAP 32768 /* 18 minutes at 30 fps */
#define PAUSES_CAP 4096

/* ---- comparing two moments (compare.c) ----------------------------------------------- */

typedef enum change_kind {
    CHANGE_SAME = 0,
    CHANGE_NEW,      /* a span is here now that was not then */
    CHANGE_FREED,    /* a span was here and is gone */
    CHANGE_RELEASED, /* the page went back to the OS */
    CHANGE_REUSED,   /* another span is here now */
} change_kind;

typedef struct compare_sums {
    uint64_t alloc[HS_SNAP_NUM_CLASSES], freed[HS_SNAP_NUM_CLASSES]; /* bytes, by size class */
    uint64_t alloc_total, freed_total;
} compare_sums;

/* ---- the visualizer ------------------------------------------------------------------ */

struct hs_ui {
    hs_ui_opts o;
    hs_control ctl;
    palette pal;
    history hist;
    sample *series; /* ring of SERIES_CAP */
    size_t nseries, series_head;
    pause_mark *pauses; /* ring of PAUSES_CAP */
    size_t npauses, pauses_head;
    uint64_t last_event_seq; /* events seen up to here (+1) */
    bool have_events;

    hs_ui_view view;
    bool help;
    int help_scroll; /* the first row of help's text shown */
    bool frozen;
    uint64_t shown_seq; /* while frozen: the frame on screen */
    int64_t now_ns;     /* of the render or key being handled */
    int64_t last_feed_ns;
    /* The newest snapshot fed, kept in the ring or not: while frozen the
     * ring stands still (so the frame shown and its neighbours stay), and
     * "behind now" is measured from this. */
    uint64_t latest_seq;
    int64_t latest_t_ns;
    bool have_latest;
    int64_t clock_base; /* our clock - the source's t_ns, least seen: for ages */
    bool have_base;
    uint64_t dropped, rejected;
    char rejected_why[160];
    char msg[160];
    int64_t msg_until_ns;
    int msg_world; /* 1: msg goes once a frame shows the world stopped; -1: running */
    int step_n; /* objects per `n` */
    /* The GOGC last asked for, until a snapshot shows it (-2: none pending):
     * `+` pressed twice before the next snapshot goes up by 20. */
    int gogc_asked;
    int64_t gogc_asked_ns; /* when; after a second the snapshots are believed again */
    bool prompting; /* m: a marker's caption being typed */
    char prompt[96];

    /* heap view */
    int zoom;        /* log2 pages per map half-cell; -1: fit */
    int heap_scroll; /* first map row shown */
    int64_t cursor;  /* page index under the cursor, -1: none yet */
    bool mark_colors_off;
    int shown_gcmode; /* of the frame drawn: 1 for Green Tea */
    /* the last heap map drawn, for clicks and cursor moves */
    struct {
        rect area;
        int cols, label_w, halves, shift;
        int64_t npages;
    } map;
    /* span view: the selected span, by address */
    uint64_t sel_addr;
    /* central, Ps */
    int central_scroll, procs_scroll;
    /* d: the pinned frame (our copy) and the sums against the frame shown */
    hs_snapshot *pin;
    compare_sums cmp;
    uint64_t cmp_seq, cmp_pin_seq;
};

/* The snapshot on screen (live: the newest), or NULL. */
const hs_snapshot *ui_shown(const hs_ui *ui);
/* The frame shown, and the one about one second before it (for fades). */
const frame *ui_shown_frame(const hs_ui *ui);
const hs_snapshot *ui_before(const hs_ui *ui, int64_t ago_ns);
void ui_say(hs_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Pin s (NULL: unpin). */
void compare_pin(hs_ui *ui, const hs_snapshot *s);
/* Page p of s against the pinned frame. */
change_kind compare_page(const hs_ui *ui, const hs_snapshot *s, int64_t p);
/* The pinned frame's span matching sp (same start, class and size), or NULL. */
const hs_snap_span *compare_match(const hs_snapshot *pin, const hs_snap_span *sp);
/* Bytes allocated and freed by class between the pin and s; NULL when not pinned. */
const compare_sums *compare_sums_for(hs_ui *ui, const hs_snapshot *s);
void compare_draw_line(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);
uint16_t pal_change(const palette *p, change_kind k);
uint32_t pal_change_glyph(change_kind k);
const char *pal_change_name(change_kind k);

/* ---- the parts of the screen ---------------------------------------------------------- */

void gcbar_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);  /* gcbar.c */
void status_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r); /* gcbar.c */
void tabs_draw(hs_ui *ui, hs_canvas *cv, rect r);                         /* gcbar.c */
void help_draw(hs_ui *ui, hs_canvas *cv, rect r);                         /* help.c */
bool help_key(hs_ui *ui, int key); /* false: the key closes help */

void view_heap_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);
bool view_heap_key(hs_ui *ui, const hs_snapshot *s, int key);
bool view_heap_click(hs_ui *ui, const hs_snapshot *s, int x, int y);
void view_span_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);
bool view_span_key(hs_ui *ui, const hs_snapshot *s, int key);
void view_central_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);
bool view_central_key(hs_ui *ui, const hs_snapshot *s, int key);
void view_procs_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);
bool view_procs_key(hs_ui *ui, const hs_snapshot *s, int key);
void view_timeline_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r);

/* What the screen holds, so that a frame hands ncurses only the cells that
 * changed (term.c): a full 200x60 copy is most of a frame's CPU.  Zeroed
 * before first use; term_blitter_free at the end. */
typedef struct term_blitter {
    hs_canvas *shown; /* the last canvas copied; NULL: none, copy everything */
    int16_t *pairs;   /* (fg + 1) * 257 + bg + 1 (default colors as -1) -> color pair */
    int npairs;       /* color pairs made so far */
    bool no_table;    /* the table could not be had: ncurses allocates every pair */
} term_blitter;

/* Copy cv to the current ncurses screen and show it (term.c).  With b NULL,
 * every cell is copied and pairs come from ncurses' alloc_pair. */
void term_blit(term_blitter *b, const hs_canvas *cv, int colors);
/* The screen was cleared or resized behind the blitter's back. */
void term_blitter_forget(term_blitter *b);
void term_blitter_free(term_blitter *b);

/* ---- shared helpers (format.c) ------------------------------------------------------- */

/* 1.5 MiB, 512 B, 3.2 GiB: at most 9 characters. */
const char *fmt_bytes(char *buf, size_t n, uint64_t b);
/* 12 µs, 3.4 ms, 1.20 s */
const char *fmt_ns(char *buf, size_t n, int64_t ns);
const char *phase_name(uint32_t phase);
const char *p_status_name(uint8_t st);
/* The span index covering page, or -1. */
int32_t snap_span_at_page(const hs_snapshot *s, int64_t page);
/* The index of the span starting at addr, or -1. */
int32_t snap_span_by_addr(const hs_snapshot *s, uint64_t addr);
/* Count a span's cells by state (4 counts). */
void span_cell_counts(const hs_snapshot *s, const hs_snap_span *sp, uint32_t counts[4]);
/* Up, down, page keys, the wheel and Home move *v; true if key was one. */
bool ui_scroll(int *v, int key);
/* A draw-time style with colors reduced to the palette (and dropped without color). */
style ui_style(const hs_ui *ui, uint16_t fg, uint16_t bg, uint8_t attr);

#endif
