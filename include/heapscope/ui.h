/*
 * heapscope/ui.h — the visualizer: views of snapshots, on a terminal or on a
 * canvas in memory.
 *
 * The UI reads snapshots (heapscope/snapshot.h) and nothing else, and asks for
 * control (pause, step, GC now, GOGC) through an hs_control; it never sees a
 * runtime.  It is built in two layers:
 *
 *   hs_ui      the state of the visualizer (view, selection, zoom, the ring of
 *              recent snapshots, frozen or live) and its rendering into an
 *              hs_canvas: a grid of cells, each a character with 256-color
 *              foreground and background.  No terminal, no clock of its own:
 *              the caller feeds snapshots and keys and says what time it is,
 *              so tests and exporters get the very same screens.
 *   hs_ui_run  the terminal program: ncursesw, the frame loop at fps, keys,
 *              mouse, resizes and signals, drawing the canvas.
 *
 * Nothing here is global; several hs_ui can live in one process.
 */
#ifndef HEAPSCOPE_UI_H
#define HEAPSCOPE_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the canvas ----------------------------------------------------------------- */

#define HS_COLOR_DEFAULT 0xffff /* the terminal's own foreground or background */

enum {
    HS_ATTR_BOLD = 1,
    HS_ATTR_REVERSE = 2,
    HS_ATTR_UNDERLINE = 4,
    HS_ATTR_DIM = 8,
};

/* One screen cell: a character (a Unicode code point of width 1) and colors,
 * xterm-256 indices or HS_COLOR_DEFAULT. */
typedef struct hs_tcell {
    uint32_t ch;
    uint16_t fg, bg;
    uint8_t attr;
    uint8_t pad[3];
} hs_tcell;

typedef struct hs_canvas {
    int w, h;
    hs_tcell *cells; /* h rows of w cells */
} hs_canvas;

/* NULL when out of memory.  Resizing keeps nothing. */
hs_canvas *hs_canvas_new(int w, int h);
bool hs_canvas_resize(hs_canvas *cv, int w, int h);
void hs_canvas_free(hs_canvas *cv);
static inline const hs_tcell *hs_canvas_at(const hs_canvas *cv, int x, int y)
{
    return &cv->cells[(size_t)y * (size_t)cv->w + (size_t)x];
}
/* Row y as UTF-8, trailing blanks cut; returns its length. */
size_t hs_canvas_row_text(const hs_canvas *cv, int y, char *buf, size_t n);
/* The whole canvas as text, one line per row. */
void hs_canvas_write_text(const hs_canvas *cv, FILE *out);

/* The RGB of a cell color: an xterm-256 index, or HS_COLOR_DEFAULT as the
 * foreground (#d0d0d0) or background (#1c1c1c) of a dark terminal. */
void hs_color_rgb(uint16_t color, bool background, uint8_t rgb[3]);

/* ---- the visualizer's state ----------------------------------------------------- */

typedef enum hs_ui_view {
    HS_VIEW_HEAP = 0,
    HS_VIEW_SPAN = 1,
    HS_VIEW_CENTRAL = 2,
    HS_VIEW_PROCS = 3,
    HS_VIEW_TIMELINE = 4,
    HS_VIEW_COUNT = 5,
} hs_ui_view;

/* What a replayed source offers the UI instead of hs_control: a transport.
 * With one, space plays and pauses, , and . step frames, < and > change the
 * speed, Home and End jump, [ and ] go to markers, G to the next GC cycle.
 * Calls return at once; the frames they ask for arrive as snapshots. */
typedef struct hs_transport_state {
    bool playing;
    double speed;         /* 0.25 .. 16 */
    size_t frame, frames; /* the frame published last, of how many */
    int64_t t_ns, end_ns; /* its time, and the last frame's */
    char marker[96];      /* the caption of the last marker passed, "" for none */
} hs_transport_state;

typedef enum hs_seek {
    HS_SEEK_START = 0,
    HS_SEEK_END = 1,
    HS_SEEK_PREV_MARKER = 2,
    HS_SEEK_NEXT_MARKER = 3,
    HS_SEEK_NEXT_GC = 4, /* the next frame where a GC cycle starts */
} hs_seek;

typedef struct hs_transport {
    void *ctx;
    void (*play)(void *ctx, bool on);
    void (*step)(void *ctx, long frames); /* pause, and move by frames */
    void (*seek)(void *ctx, hs_seek where);
    void (*speed)(void *ctx, int dir); /* > 0 doubles it, < 0 halves it */
    hs_transport_state (*state)(void *ctx);
} hs_transport;

typedef struct hs_ui_opts {
    int fps;              /* frames per second; 0: 30 */
    int history_s;        /* seconds of snapshots kept for f , . End; 0: 60 */
    size_t history_bytes; /* and at most this many bytes of them; 0: 256 MiB */
    int colors;           /* 256, 8, or 0 for none (glyphs carry every state) */
    bool step;            /* start in GC step mode */
    int view;             /* the view to open (hs_ui_view) */
    int64_t duration_ns;  /* hs_ui_run quits after this long; 0: when the user quits */
    /* Asked once a frame for a word from the source's owner (the workload
     * ended, ran out of memory, the program exited) for the status line; ""
     * for none.  True when the source has ended: no snapshot will come
     * after the one on screen (the status line then says ENDED, not LIVE).
     * May be NULL. */
    bool (*note)(void *ctx, char *buf, size_t n);
    void *note_ctx;
    const hs_transport *transport; /* a replay's, or NULL */
    /* Recording, which the session owns (R starts and stops it, m drops a
     * marker with a caption typed on the status line); NULL: not offered.
     * record returns false with why when it cannot; recording fills status
     * ("REC file.hsr 12 MB ...") and is true while a recording runs. */
    bool (*record)(void *ctx, bool on, char *why, size_t n);
    void (*marker)(void *ctx, const char *caption);
    bool (*recording)(void *ctx, char *status, size_t n);
    void *record_ctx;
} hs_ui_opts;

/* Keys, beyond plain characters (which are their own code). */
enum {
    HS_KEY_UP = 0x10000,
    HS_KEY_DOWN,
    HS_KEY_LEFT,
    HS_KEY_RIGHT,
    HS_KEY_PGUP,
    HS_KEY_PGDN,
    HS_KEY_HOME,
    HS_KEY_END,
    HS_KEY_ENTER,
    HS_KEY_ESC,
    HS_KEY_TAB,
    HS_KEY_BTAB,
    HS_KEY_F10,
    HS_KEY_WHEEL_UP,
    HS_KEY_WHEEL_DOWN,
    HS_KEY_BACKSPACE,
};

typedef struct hs_ui hs_ui;

/* ctl may be NULL (a source nothing can control).  NULL when out of memory. */
hs_ui *hs_ui_new(const hs_ui_opts *o, const hs_control *ctl);
void hs_ui_free(hs_ui *ui);

/* A snapshot from the source, seen at now_ns (the caller's monotonic clock).
 * The UI keeps a copy in its ring; s may be released afterwards.  A snapshot
 * that fails hs_snapshot_check is not shown, and the status line says why. */
void hs_ui_feed(hs_ui *ui, const hs_snapshot *s, int64_t now_ns);
/* A key; false when the user asked to quit. */
bool hs_ui_key(hs_ui *ui, int key);
/* A mouse click at (x, y) on the last rendered canvas. */
void hs_ui_click(hs_ui *ui, int x, int y);
/* Draw the current view into cv, at now_ns. */
void hs_ui_render(hs_ui *ui, hs_canvas *cv, int64_t now_ns);
/* Frames the terminal layer could not draw in time (shown on the status line). */
void hs_ui_count_dropped(hs_ui *ui, uint64_t frames);
/* Something to tell the user on the status line for a few seconds. */
void hs_ui_message(hs_ui *ui, const char *msg);

hs_ui_view hs_ui_current_view(const hs_ui *ui);
/* The seq of the snapshot on screen, 0 if none. */
uint64_t hs_ui_shown_seq(const hs_ui *ui);
bool hs_ui_frozen(const hs_ui *ui);

/* The smallest terminal the views fit; smaller ones get a message. */
#define HS_UI_MIN_COLS 80
#define HS_UI_MIN_ROWS 24

/* ---- the terminal program ------------------------------------------------------- */

/* Run the visualizer on this terminal until the user quits (or the duration
 * passes), showing the newest snapshot of pub.  Returns 0, 1 with why
 * filled when the terminal could not be used, or 128 + N when signal N
 * (SIGINT, SIGTERM or SIGHUP) ended it, as a shell reports a command a
 * signal ended; the terminal is restored in every case. */
int hs_ui_run(hs_snapshot_publisher *pub, const hs_control *ctl, const hs_ui_opts *o, char *why,
              size_t n);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_UI_H */
