/*
 * canvas.c — a grid of cells in memory that every view draws into.
 *
 * The views never touch the terminal: they draw here, and the terminal layer
 * (term.c), the tests and the exporters read the result.  Drawing clips at
 * the edges (a view can draw past its rectangle's end and lose nothing but
 * the overflow), and text is UTF-8, one column per code point.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/uistate.h"

hs_canvas *hs_canvas_new(int w, int h)
{
    hs_canvas *cv = calloc(1, sizeof(*cv));
    if (cv == NULL)
        return NULL;
    if (!hs_canvas_resize(cv, w, h)) {
        free(cv);
        return NULL;
    }
    return cv;
}

bool hs_canvas_resize(hs_canvas *cv, int w, int h)
{
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    hs_tcell *cells = calloc((size_t)w * (size_t)h, sizeof(*cells));
    if (cells == NULL)
        return false;
    free(cv->cells);
    cv->cells = cells;
    cv->w = w;
    cv->h = h;
    cv_clear(cv, STYLE_PLAIN);
    return true;
}

void hs_canvas_free(hs_canvas *cv)
{
    if (cv == NULL)
        return;
    free(cv->cells);
    free(cv);
}

void cv_clear(hs_canvas *cv, style st)
{
    cv_fill(cv, 0, 0, cv->w, cv->h, ' ', st);
}

void cv_put(hs_canvas *cv, int x, int y, uint32_t ch, style st)
{
    if (x < 0 || y < 0 || x >= cv->w || y >= cv->h)
        return;
    hs_tcell *c = &cv->cells[(size_t)y * (size_t)cv->w + (size_t)x];
    *c = (hs_tcell){.ch = ch, .fg = st.fg, .bg = st.bg, .attr = st.attr};
}

void cv_fill(hs_canvas *cv, int x, int y, int w, int h, uint32_t ch, style st)
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            cv_put(cv, i, j, ch, st);
}

/* The next code point of s (advancing *s); U+FFFD for a malformed one. */
static uint32_t utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c = p[0];
    int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
    if (n > 0)
        c &= 0x3f >> n;
    (*s)++;
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0xfffd;
        c = c << 6 | (p[i] & 0x3f);
        (*s)++;
    }
    return c;
}

int cv_text(hs_canvas *cv, int x, int y, int maxw, style st, const char *s)
{
    int col = 0, len = cv_width(s);
    if (len > maxw && maxw > 1) {
        /* Too long: it ends where a word ends, with an ellipsis, so no word
         * is shown cut ("4 page" for "4 pages"); a first word too long for
         * the room is cut before the ellipsis. */
        const char *p = s, *keep = NULL;
        int w = 0, keepw = 0;
        while (*p != '\0' && w < maxw) { /* the last space with room after it for … */
            if (*p == ' ' && w > 0)
                keep = p, keepw = w;
            utf8_next(&p);
            w++;
        }
        while (keep != NULL && keepw > 0 && keep[-1] == ' ') /* no space before the ellipsis */
            keep--, keepw--;
        int room = keep != NULL ? keepw : maxw - 1;
        while (*s != '\0' && col < room)
            cv_put(cv, x + col++, y, utf8_next(&s), st);
        cv_put(cv, x + col++, y, 0x2026, st);
        return col;
    }
    while (*s != '\0' && col < maxw)
        cv_put(cv, x + col++, y, utf8_next(&s), st);
    return col;
}

int cv_width(const char *s)
{
    int n = 0;
    while (*s != '\0') {
        utf8_next(&s);
        n++;
    }
    return n;
}

/* The columns of the word at s (up to a space or the end), and its end. */
static int word_at(const char *s, const char **end)
{
    int n = 0;
    while (*s != '\0' && *s != ' ') {
        utf8_next(&s);
        n++;
    }
    *end = s;
    return n;
}

int cv_wrap(hs_canvas *cv, int x, int y, int w, int maxrows, style st, const char *s)
{
    int row = 0, col = 0;
    if (w < 1)
        return 0;
    while (*s != '\0' && row < maxrows) {
        if (*s == ' ') {
            s++;
            continue;
        }
        const char *end;
        int len = word_at(s, &end);
        if (col > 0 && col + 1 + len > w) { /* the word goes on the next row */
            col = 0;
            if (++row == maxrows)
                break;
        } else if (col > 0) {
            col++; /* the space before it */
        }
        while (s < end) { /* a word longer than a row is cut where the row ends */
            if (col == w) {
                col = 0;
                if (++row == maxrows)
                    break;
            }
            uint32_t ch = utf8_next(&s);
            if (cv != NULL)
                cv_put(cv, x + col, y + row, ch, st);
            col++;
        }
    }
    return col > 0 && row < maxrows ? row + 1 : row;
}

int cv_printf(hs_canvas *cv, int x, int y, int maxw, style st, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return cv_text(cv, x, y, maxw, st, buf);
}

/* Encode c as UTF-8 into out (at least 4 bytes); returns the length. */
static size_t utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

size_t hs_canvas_row_text(const hs_canvas *cv, int y, char *buf, size_t n)
{
    size_t len = 0, keep = 0;
    if (n == 0)
        return 0;
    for (int x = 0; x < cv->w && len + 5 <= n; x++) {
        uint32_t c = hs_canvas_at(cv, x, y)->ch;
        len += utf8_put(c ? c : ' ', buf + len);
        if (c != ' ' && c != 0)
            keep = len;
    }
    buf[keep] = '\0';
    return keep;
}

void hs_canvas_write_text(const hs_canvas *cv, FILE *out)
{
    size_t n = (size_t)cv->w * 4 + 1;
    char *line = malloc(n);
    if (line == NULL)
        return;
    for (int y = 0; y < cv->h; y++) {
        hs_canvas_row_text(cv, y, line, n);
        fputs(line, out);
        fputc('\n', out);
    }
    free(line);
}
