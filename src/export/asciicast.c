/*
 * asciicast.c — an asciicast v2 file from a sequence of canvases.
 *
 * The header line, then one event per line: [time, "o", data] with the ANSI
 * that turns the previous screen into this one (ansi.c), and [time, "m",
 * label] markers, which players show as chapters.  Times are seconds from
 * the start and never go backwards.  The data strings are JSON: quotes,
 * backslashes and control characters escaped, UTF-8 kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/exportint.h"

struct hs_cast {
    FILE *out;
    hs_canvas *prev; /* the screen as the player has it */
    double last_t;
    bool failed;
};

static void json_string(sbuf *b, const char *s, size_t n)
{
    sb_puts(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c == '\n') {
            sb_puts(b, "\\n");
        } else if (c == '\r') {
            sb_puts(b, "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            sb_printf(b, "\\u%04x", c);
        } else {
            sb_put(b, (const char *)&s[i], 1);
        }
    }
    sb_puts(b, "\"");
}

static void emit(hs_cast *c, const sbuf *b)
{
    if (b->oom || fwrite(b->p, 1, b->len, c->out) != b->len)
        c->failed = true;
}

hs_cast *hs_cast_open(FILE *out, int w, int h, int64_t timestamp, const char *title)
{
    hs_cast *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->out = out;
    sbuf b = {0};
    sb_printf(&b, "{\"version\": 2, \"width\": %d, \"height\": %d, \"timestamp\": %lld, ", w, h,
              (long long)timestamp);
    sb_puts(&b, "\"title\": ");
    json_string(&b, title ? title : "heapscope", strlen(title ? title : "heapscope"));
    sb_puts(&b, ", \"env\": {\"TERM\": \"xterm-256color\"}}\n");
    emit(c, &b);
    sb_free(&b);
    return c;
}

static double clamp_time(hs_cast *c, double t)
{
    if (t < c->last_t)
        t = c->last_t;
    c->last_t = t;
    return t;
}

void hs_cast_frame(hs_cast *c, const hs_canvas *cv, double t)
{
    sbuf data = {0}, line = {0};
    ansi_diff(&data, c->prev, cv);
    if (data.len > 0) {
        sb_printf(&line, "[%.6f, \"o\", ", clamp_time(c, t));
        json_string(&line, data.p, data.len);
        sb_puts(&line, "]\n");
        emit(c, &line);
    }
    c->failed |= data.oom;
    sb_free(&data);
    sb_free(&line);
    /* Keep what the player now shows. */
    if (c->prev == NULL || c->prev->w != cv->w || c->prev->h != cv->h) {
        hs_canvas_free(c->prev);
        c->prev = hs_canvas_new(cv->w, cv->h);
    }
    if (c->prev == NULL) {
        c->failed = true;
        return;
    }
    memcpy(c->prev->cells, cv->cells, (size_t)cv->w * (size_t)cv->h * sizeof(hs_tcell));
}

void hs_cast_marker(hs_cast *c, double t, const char *label)
{
    sbuf line = {0};
    sb_printf(&line, "[%.6f, \"m\", ", clamp_time(c, t));
    json_string(&line, label, strlen(label));
    sb_puts(&line, "]\n");
    emit(c, &line);
    sb_free(&line);
}

int hs_cast_close(hs_cast *c)
{
    bool bad = c->failed || fflush(c->out) != 0 || ferror(c->out);
    hs_canvas_free(c->prev);
    free(c);
    return bad ? -1 : 0;
}
