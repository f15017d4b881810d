/*
 * ansi.c — canvas cells as ANSI escape sequences: SGR for colors and
 * attributes, CUP to move, and the difference between two screens.
 *
 * Every style is set from scratch (reset, then attributes and both colors),
 * so a sequence never depends on what the terminal held before; the cursor
 * is moved only where a run of changed cells starts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/exportint.h"

void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(b, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void sb_utf8(sbuf *b, uint32_t c)
{
    char out[4];
    size_t n;
    if (c < 0x80) {
        out[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        n = 2;
    } else if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | c >> 18);
        out[1] = (char)(0x80 | (c >> 12 & 0x3f));
        out[2] = (char)(0x80 | (c >> 6 & 0x3f));
        out[3] = (char)(0x80 | (c & 0x3f));
        n = 4;
    }
    sb_put(b, out, n);
}

void sb_free(sbuf *b)
{
    free(b->p);
    *b = (sbuf){0};
}

void ansi_sgr(sbuf *b, const hs_tcell *c)
{
    sb_puts(b, "\033[0");
    if (c->attr & HS_ATTR_BOLD)
        sb_puts(b, ";1");
    if (c->attr & HS_ATTR_DIM)
        sb_puts(b, ";2");
    if (c->attr & HS_ATTR_UNDERLINE)
        sb_puts(b, ";4");
    if (c->attr & HS_ATTR_REVERSE)
        sb_puts(b, ";7");
    if (c->fg != HS_COLOR_DEFAULT)
        sb_printf(b, ";38;5;%u", c->fg);
    if (c->bg != HS_COLOR_DEFAULT)
        sb_printf(b, ";48;5;%u", c->bg);
    sb_puts(b, "m");
}

bool ansi_same_style(const hs_tcell *a, const hs_tcell *b)
{
    return a->fg == b->fg && a->bg == b->bg && a->attr == b->attr;
}

static bool same_cell(const hs_tcell *a, const hs_tcell *b)
{
    return a->ch == b->ch && ansi_same_style(a, b);
}

void ansi_diff(sbuf *b, const hs_canvas *prev, const hs_canvas *cv)
{
    bool full = prev == NULL || prev->w != cv->w || prev->h != cv->h;
    if (full)
        sb_puts(b, "\033[0m\033[2J"); /* clear: the cells below cover everything */
    const hs_tcell *style = NULL;
    int cx = -1, cy = -1; /* where the cursor is, -1: unknown */
    for (int y = 0; y < cv->h; y++) {
        for (int x = 0; x < cv->w; x++) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            if (!full && same_cell(c, hs_canvas_at(prev, x, y)))
                continue;
            if (cx != x || cy != y)
                sb_printf(b, "\033[%d;%dH", y + 1, x + 1);
            if (style == NULL || !ansi_same_style(style, c))
                ansi_sgr(b, c);
            style = c;
            sb_utf8(b, c->ch ? c->ch : ' ');
            cx = x + 1;
            cy = y;
            if (cx == cv->w)
                cx = -1; /* a pending wrap (never taken: a move comes first) */
        }
    }
    if (style != NULL)
        sb_puts(b, "\033[0m");
}
