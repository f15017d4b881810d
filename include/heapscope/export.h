/*
 * heapscope/export.h — screens for slides and talks: screenshots of one
 * frame and asciicast v2 recordings, written from the UI's canvas.
 *
 * The exporters know the canvas (heapscope/ui.h) and nothing else: the
 * session renders frames through the same views as the live program, then
 * hands each canvas here.  Colors are written exactly: a cell's xterm-256
 * index becomes the same index in ANSI and the same RGB in SVG and HTML,
 * with the terminal's default colors shown as a dark theme (#d0d0d0 on
 * #1c1c1c).
 */
#ifndef HEAPSCOPE_EXPORT_H
#define HEAPSCOPE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "heapscope/ui.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- one frame ---------------------------------------------------------------------- */

typedef enum hs_shot_format {
    HS_SHOT_TXT = 0,  /* the characters only */
    HS_SHOT_ANSI = 1, /* characters with SGR colors, for `cat` in a 256-color terminal */
    HS_SHOT_SVG = 2,
    HS_SHOT_HTML = 3,
} hs_shot_format;

/* The format a file name asks for by its extension (.txt .ansi .svg .html);
 * false for any other. */
bool hs_shot_format_of(const char *path, hs_shot_format *f);
/* Write cv in format f; 0, or -1 when out could not be written. */
int hs_screenshot_write(const hs_canvas *cv, hs_shot_format f, FILE *out);

/* ---- asciicast v2 ------------------------------------------------------------------- */

typedef struct hs_cast hs_cast;

/* Start a cast of w x h cells on out: writes the header line (version 2,
 * width, height, timestamp, title).  NULL when out of memory. */
hs_cast *hs_cast_open(FILE *out, int w, int h, int64_t timestamp, const char *title);
/* A frame at t seconds: an "o" event with what changed since the last frame
 * (the whole screen the first time); nothing when nothing changed. */
void hs_cast_frame(hs_cast *c, const hs_canvas *cv, double t);
/* An "m" (marker) event at t seconds: a player shows it as a chapter. */
void hs_cast_marker(hs_cast *c, double t, const char *label);
/* Finish: 0, or -1 when something could not be written. */
int hs_cast_close(hs_cast *c);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_EXPORT_H */
