/*
 * vt.h — a small terminal for the tests: it understands exactly what the
 * exporters write (CUP, ED 2, SGR with 256 colors and attributes, CR, LF,
 * UTF-8 text) and keeps the screen as canvas cells, so a test can check that
 * a screenshot or a cast plays back to the screen it was made from.
 */
#ifndef HS_TESTS_EXPORT_VT_H
#define HS_TESTS_EXPORT_VT_H

#include <stdlib.h>
#include <string.h>

#include "heapscope/ui.h"

typedef struct vt {
    hs_canvas *cv;
    int x, y;
    hs_tcell pen;
} vt;

static inline void vt_reset_pen(vt *t)
{
    t->pen = (hs_tcell){.ch = ' ', .fg = HS_COLOR_DEFAULT, .bg = HS_COLOR_DEFAULT};
}

static inline vt *vt_new(int w, int h)
{
    vt *t = calloc(1, sizeof(*t));
    t->cv = hs_canvas_new(w, h);
    vt_reset_pen(t);
    return t;
}

static inline void vt_free(vt *t)
{
    hs_canvas_free(t->cv);
    free(t);
}

static inline void vt_sgr(vt *t, const int *p, int n)
{
    if (n == 0)
        vt_reset_pen(t);
    for (int i = 0; i < n; i++) {
        switch (p[i]) {
        case 0:
            vt_reset_pen(t);
            break;
        case 1:
            t->pen.attr |= HS_ATTR_BOLD;
            break;
        case 2:
            t->pen.attr |= HS_ATTR_DIM;
            break;
        case 4:
            t->pen.attr |= HS_ATTR_UNDERLINE;
            break;
        case 7:
            t->pen.attr |= HS_ATTR_REVERSE;
            break;
        case 38:
        case 48:
            if (i + 2 < n && p[i + 1] == 5) {
                if (p[i] == 38)
                    t->pen.fg = (uint16_t)p[i + 2];
                else
                    t->pen.bg = (uint16_t)p[i + 2];
                i += 2;
            }
            break;
        default:
            break;
        }
    }
}

static inline void vt_write(vt *t, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        if (*p == 0x1b && p + 1 < end && p[1] == '[') {
            int par[16], n = 0, v = 0;
            bool have = false;
            p += 2;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == ';')) {
                if (*p == ';') {
                    if (n < 16)
                        par[n++] = v;
                    v = 0;
                    have = false;
                } else {
                    v = v * 10 + (*p - '0');
                    have = true;
                }
                p++;
            }
            if (have && n < 16)
                par[n++] = v;
            char cmd = p < end ? (char)*p++ : 0;
            if (cmd == 'm')
                vt_sgr(t, par, n);
            else if (cmd == 'H') {
                t->y = n > 0 ? par[0] - 1 : 0;
                t->x = n > 1 ? par[1] - 1 : 0;
            } else if (cmd == 'J') {
                hs_tcell blank = {.ch = ' ', .fg = HS_COLOR_DEFAULT, .bg = HS_COLOR_DEFAULT};
                for (int i = 0; i < t->cv->w * t->cv->h; i++)
                    t->cv->cells[i] = blank;
            }
            continue;
        }
        if (*p == '\r') {
            t->x = 0;
            p++;
            continue;
        }
        if (*p == '\n') { /* as a tty with onlcr shows it */
            t->x = 0;
            t->y++;
            p++;
            continue;
        }
        uint32_t c = *p;
        int extra = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
        if (extra)
            c &= 0x3fu >> extra;
        p++;
        for (int i = 0; i < extra && p < end; i++)
            c = c << 6 | (*p++ & 0x3fu);
        if (t->x < t->cv->w && t->y < t->cv->h) {
            hs_tcell *cell = &t->cv->cells[t->y * t->cv->w + t->x];
            *cell = t->pen;
            cell->ch = c;
        }
        t->x++;
    }
}

/* True when the screens hold the same characters, colors and attributes. */
static inline bool vt_equals(const vt *t, const hs_canvas *cv, int *bad_x, int *bad_y)
{
    for (int y = 0; y < cv->h; y++)
        for (int x = 0; x < cv->w; x++) {
            const hs_tcell *a = hs_canvas_at(t->cv, x, y), *b = hs_canvas_at(cv, x, y);
            uint32_t bc = b->ch ? b->ch : ' ';
            if (a->ch != bc || a->fg != b->fg || a->bg != b->bg || a->attr != b->attr) {
                *bad_x = x;
                *bad_y = y;
                return false;
            }
        }
    return true;
}

#endif
