/*
 * test_export.c — screenshots and casts of canned screens: the text one is
 * the canvas's text; the ANSI one, and a cast's events, played through a
 * small terminal (vt.h), give back the very cells they were made from,
 * colors and attributes included; SVG and HTML carry the text, escaped, and
 * the exact colors; a cast skips frames that changed nothing and keeps
 * markers and times in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "export/vt.h"
#include "heapscope/export.h"
#include "ui/canned.h"

#define W 120
#define H 36

static hs_canvas *render_view(int colors, int key)
{
    hs_ui_opts o = {.colors = colors};
    hs_ui *ui = hs_ui_new(&o, NULL);
    hs_snapshot *s = canned_snapshot(1, 1000000000);
    hs_ui_feed(ui, s, 1000000000);
    free(s);
    hs_ui_key(ui, key);
    hs_canvas *cv = hs_canvas_new(W, H);
    hs_ui_render(ui, cv, 1100000000);
    hs_ui_free(ui);
    return cv;
}

static char *shot(const hs_canvas *cv, hs_shot_format f, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    ck_assert_int_eq(hs_screenshot_write(cv, f, out), 0);
    fclose(out);
    *len = n;
    return buf;
}

START_TEST(formats_by_name)
{
    hs_shot_format f;
    ck_assert(hs_shot_format_of("a.svg", &f) && f == HS_SHOT_SVG);
    ck_assert(hs_shot_format_of("dir.x/a.HTML", &f) && f == HS_SHOT_HTML);
    ck_assert(hs_shot_format_of("a.ansi", &f) && f == HS_SHOT_ANSI);
    ck_assert(hs_shot_format_of("a.txt", &f) && f == HS_SHOT_TXT);
    ck_assert(!hs_shot_format_of("a.png", &f));
    ck_assert(!hs_shot_format_of("svg", &f));
}
END_TEST

START_TEST(text_is_the_canvas)
{
    hs_canvas *cv = render_view(0, '1');
    size_t n;
    char *txt = shot(cv, HS_SHOT_TXT, &n);
    char row[1024];
    hs_canvas_row_text(cv, 0, row, sizeof(row));
    ck_assert(strncmp(txt, row, strlen(row)) == 0);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += txt[i] == '\n';
    ck_assert_int_eq(lines, H);
    free(txt);
    hs_canvas_free(cv);
}
END_TEST

/* Every view, in color: the ANSI screenshot plays back to the same cells. */
START_TEST(ansi_plays_back)
{
    hs_canvas *cv = render_view(256, '1' + _i);
    size_t n;
    char *ansi = shot(cv, HS_SHOT_ANSI, &n);
    vt *t = vt_new(W, H);
    vt_write(t, ansi, n);
    int x = -1, y = -1;
    ck_assert_msg(vt_equals(t, cv, &x, &y), "view %d differs at (%d, %d)", _i + 1, x, y);
    vt_free(t);
    free(ansi);
    hs_canvas_free(cv);
}
END_TEST

START_TEST(svg_and_html_carry_text_and_colors)
{
    hs_canvas *cv = render_view(256, '2'); /* the span view: black objects */
    /* A cell with markup characters must be escaped. */
    cv->cells[W * (H - 1) + 2].ch = '<';
    cv->cells[W * (H - 1) + 3].ch = '&';
    size_t n;
    char *svg = shot(cv, HS_SHOT_SVG, &n);
    ck_assert(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
    ck_assert_ptr_nonnull(strstr(svg, "</svg>\n"));
    ck_assert_ptr_nonnull(strstr(svg, "heapscope"));
    ck_assert_ptr_nonnull(strstr(svg, "class 5: 48 B objects, scan"));
    ck_assert_ptr_nonnull(strstr(svg, "&lt;&amp;"));
    ck_assert_ptr_null(strstr(svg, "<&"));
    ck_assert_ptr_nonnull(strstr(svg, "fill=\"#000000\"")); /* black objects, color 16 */
    ck_assert_ptr_nonnull(strstr(svg, "fill=\"#9e9e9e\"")); /* gray objects, color 247 */
    free(svg);
    char *html = shot(cv, HS_SHOT_HTML, &n);
    ck_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    ck_assert_ptr_nonnull(strstr(html, "class 5: 48 B objects, scan"));
    ck_assert_ptr_nonnull(strstr(html, "color:#000000"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;&amp;"));
    ck_assert_ptr_nonnull(strstr(html, "</pre>"));
    free(html);
    hs_canvas_free(cv);
}
END_TEST

/* Undo JSON string escapes of s (the part after the opening quote) into out. */
static size_t json_unescape(const char *s, char *out)
{
    size_t n = 0;
    while (*s && *s != '"') {
        if (*s == '\\') {
            s++;
            if (*s == 'n')
                out[n++] = '\n';
            else if (*s == 'r')
                out[n++] = '\r';
            else if (*s == 'u') {
                out[n++] = (char)strtol((char[]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
                s += 4;
            } else
                out[n++] = *s;
            s++;
        } else {
            out[n++] = *s++;
        }
    }
    return n;
}

START_TEST(cast_plays_back)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    hs_cast *c = hs_cast_open(out, W, H, 1764000000, "a \"canned\" heap");
    hs_canvas *views[3] = {render_view(256, '1'), render_view(256, '2'), render_view(256, '3')};
    hs_cast_frame(c, views[0], 0.0);
    hs_cast_marker(c, 0.5, "GC mark");
    hs_cast_frame(c, views[1], 1.0);
    hs_cast_frame(c, views[1], 1.5); /* nothing changed: no event */
    hs_cast_frame(c, views[2], 2.0);
    ck_assert_int_eq(hs_cast_close(c), 0);
    fclose(out);
    /* The header. */
    char *line = strtok(buf, "\n");
    ck_assert_ptr_nonnull(strstr(line, "\"version\": 2"));
    ck_assert_ptr_nonnull(strstr(line, "\"width\": 120, \"height\": 36"));
    ck_assert_ptr_nonnull(strstr(line, "\"timestamp\": 1764000000"));
    ck_assert_ptr_nonnull(strstr(line, "\"title\": \"a \\\"canned\\\" heap\""));
    /* The events, played through a terminal: after each "o", the screen is
     * the frame's. */
    vt *t = vt_new(W, H);
    int outputs = 0, markers = 0;
    double last = -1;
    char *data = malloc(len + 1);
    while ((line = strtok(NULL, "\n")) != NULL) {
        double at = strtod(line + 1, NULL);
        ck_assert(at >= last);
        last = at;
        if (strstr(line, ", \"m\", ") != NULL) {
            ck_assert_ptr_nonnull(strstr(line, "[0.500000, \"m\", \"GC mark\"]"));
            markers++;
            continue;
        }
        char *q = strstr(line, ", \"o\", \"");
        ck_assert_ptr_nonnull(q);
        size_t n = json_unescape(q + 8, data);
        vt_write(t, data, n);
        int x, y;
        const hs_canvas *want = views[outputs == 0 ? 0 : outputs == 1 ? 1 : 2];
        ck_assert_msg(vt_equals(t, want, &x, &y), "event %d differs at (%d, %d)", outputs, x, y);
        outputs++;
    }
    ck_assert_int_eq(outputs, 3);
    ck_assert_int_eq(markers, 1);
    free(data);
    vt_free(t);
    for (int i = 0; i < 3; i++)
        hs_canvas_free(views[i]);
    free(buf);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_add_test(tc, formats_by_name);
    tcase_add_test(tc, text_is_the_canvas);
    tcase_add_loop_test(tc, ansi_plays_back, 0, HS_VIEW_COUNT);
    tcase_add_test(tc, svg_and_html_carry_text_and_colors);
    tcase_add_test(tc, cast_plays_back);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
