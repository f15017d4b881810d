/*
 * screenshot.c — one frame to a file: text, ANSI, SVG or HTML.
 *
 * SVG draws each row as background rectangles (one per run of one color)
 * and text spans (one per run of one style) on a fixed grid of 8.4 x 17
 * pixel cells, so the picture is the terminal's, cell for cell, in any
 * browser or slide program.  HTML is a <pre> of styled spans.  Both write
 * reverse video as swapped colors and bold as bold.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "export/exportint.h"

#define CELL_W 8.4
#define CELL_H 17
#define FONT_PX 14

bool hs_shot_format_of(const char *path, hs_shot_format *f)
{
    static const struct {
        const char *ext;
        hs_shot_format f;
    } exts[] = {{".txt", HS_SHOT_TXT}, {".ansi", HS_SHOT_ANSI}, {".svg", HS_SHOT_SVG},
                {".html", HS_SHOT_HTML}, {".htm", HS_SHOT_HTML}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < sizeof(exts) / sizeof(exts[0]); i++) {
        if (strcasecmp(dot, exts[i].ext) == 0) {
            *f = exts[i].f;
            return true;
        }
    }
    return false;
}

/* The colors a cell shows, reverse video applied (a default color keeps
 * the theme's value for the role it came from). */
static void cell_colors(const hs_tcell *c, uint8_t fg[3], uint8_t bg[3])
{
    if (c->attr & HS_ATTR_REVERSE) {
        hs_color_rgb(c->bg, true, fg);
        hs_color_rgb(c->fg, false, bg);
    } else {
        hs_color_rgb(c->fg, false, fg);
        hs_color_rgb(c->bg, true, bg);
    }
}

static void put_xml_char(sbuf *b, uint32_t ch)
{
    switch (ch) {
    case '<':
        sb_puts(b, "&lt;");
        break;
    case '>':
        sb_puts(b, "&gt;");
        break;
    case '&':
        sb_puts(b, "&amp;");
        break;
    case 0:
        sb_puts(b, " ");
        break;
    default:
        sb_utf8(b, ch);
    }
}

static bool same_look(const hs_tcell *a, const hs_tcell *b)
{
    return a->fg == b->fg && a->bg == b->bg && a->attr == b->attr;
}

/* The end of the run of cells that look like (x, y) on row y. */
static int run_end(const hs_canvas *cv, int x, int y)
{
    const hs_tcell *c = hs_canvas_at(cv, x, y);
    int x1 = x + 1;
    while (x1 < cv->w && same_look(hs_canvas_at(cv, x1, y), c))
        x1++;
    return x1;
}

static void svg(sbuf *b, const hs_canvas *cv)
{
    uint8_t fg[3], bg[3];
    hs_color_rgb(HS_COLOR_DEFAULT, true, bg);
    sb_printf(b,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\" "
              "viewBox=\"0 0 %.1f %d\">\n",
              cv->w * CELL_W, cv->h * CELL_H, cv->w * CELL_W, cv->h * CELL_H);
    sb_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#%02x%02x%02x\"/>\n", bg[0], bg[1],
              bg[2]);
    sb_printf(b,
              "<g font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"%d\" "
              "xml:space=\"preserve\">\n",
              FONT_PX);
    for (int y = 0; y < cv->h; y++) {
        /* Backgrounds, merged into runs. */
        for (int x = 0; x < cv->w;) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            cell_colors(c, fg, bg);
            int x1 = run_end(cv, x, y);
            if (c->bg != HS_COLOR_DEFAULT || (c->attr & HS_ATTR_REVERSE))
                sb_printf(b,
                          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                          "fill=\"#%02x%02x%02x\"/>\n",
                          x * CELL_W, y * CELL_H, (x1 - x) * CELL_W, CELL_H, bg[0], bg[1], bg[2]);
            x = x1;
        }
        /* Text, a <text> per run of one style, placed by its first cell. */
        for (int x = 0; x < cv->w;) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            int x1 = run_end(cv, x, y);
            bool blank = true;
            for (int i = x; i < x1 && blank; i++)
                blank = hs_canvas_at(cv, i, y)->ch == ' ' || hs_canvas_at(cv, i, y)->ch == 0;
            if (!blank) {
                cell_colors(c, fg, bg);
                sb_printf(b,
                          "<text x=\"%.1f\" y=\"%d\" textLength=\"%.1f\" lengthAdjust=\"spacing\" "
                          "fill=\"#%02x%02x%02x\"%s%s>",
                          x * CELL_W, y * CELL_H + 13, (x1 - x) * CELL_W, fg[0], fg[1], fg[2],
                          c->attr & HS_ATTR_BOLD ? " font-weight=\"bold\"" : "",
                          c->attr & HS_ATTR_UNDERLINE ? " text-decoration=\"underline\"" : "");
                for (int i = x; i < x1; i++)
                    put_xml_char(b, hs_canvas_at(cv, i, y)->ch);
                sb_puts(b, "</text>\n");
            }
            x = x1;
        }
    }
    sb_puts(b, "</g>\n</svg>\n");
}

static void html(sbuf *b, const hs_canvas *cv)
{
    uint8_t fg[3], bg[3];
    hs_color_rgb(HS_COLOR_DEFAULT, false, fg);
    hs_color_rgb(HS_COLOR_DEFAULT, true, bg);
    sb_printf(b,
              "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>heapscope</title>"
              "</head>\n<body style=\"background:#%02x%02x%02x\">\n<pre style=\"font-family:"
              "'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:14px;line-height:17px;"
              "color:#%02x%02x%02x;background:#%02x%02x%02x\">",
              bg[0], bg[1], bg[2], fg[0], fg[1], fg[2], bg[0], bg[1], bg[2]);
    for (int y = 0; y < cv->h; y++) {
        for (int x = 0; x < cv->w;) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            int x1 = run_end(cv, x, y);
            cell_colors(c, fg, bg);
            sb_printf(b, "<span style=\"color:#%02x%02x%02x;background:#%02x%02x%02x%s%s\">", fg[0],
                      fg[1], fg[2], bg[0], bg[1], bg[2],
                      c->attr & HS_ATTR_BOLD ? ";font-weight:bold" : "",
                      c->attr & HS_ATTR_UNDERLINE ? ";text-decoration:underline" : "");
            for (int i = x; i < x1; i++)
                put_xml_char(b, hs_canvas_at(cv, i, y)->ch);
            sb_puts(b, "</span>");
            x = x1;
        }
        sb_puts(b, "\n");
    }
    sb_puts(b, "</pre>\n</body></html>\n");
}

static void ansi(sbuf *b, const hs_canvas *cv)
{
    for (int y = 0; y < cv->h; y++) {
        const hs_tcell *style = NULL;
        for (int x = 0; x < cv->w; x++) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            if (style == NULL || !ansi_same_style(style, c))
                ansi_sgr(b, c);
            style = c;
            sb_utf8(b, c->ch ? c->ch : ' ');
        }
        sb_puts(b, "\033[0m\n");
    }
}

int hs_screenshot_write(const hs_canvas *cv, hs_shot_format f, FILE *out)
{
    if (f == HS_SHOT_TXT) {
        hs_canvas_write_text(cv, out);
        return fflush(out) == 0 && !ferror(out) ? 0 : -1;
    }
    sbuf b = {0};
    if (f == HS_SHOT_ANSI)
        ansi(&b, cv);
    else if (f == HS_SHOT_SVG)
        svg(&b, cv);
    else
        html(&b, cv);
    int rc = b.oom ? -1 : 0;
    if (rc == 0 && fwrite(b.p, 1, b.len, out) != b.len)
        rc = -1;
    sb_free(&b);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
