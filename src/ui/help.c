/*
 * help.c — `?`: every key, and what the colors and glyphs mean.
 *
 * Drawn over the view in a box; any key closes it.  Without color the
 * legend shows the glyphs, which then carry every state on their own.
 */
#include <stdio.h>

#include "ui/uistate.h"

static const char *const keys[] = {
    "Views      1-5 or Tab: heap, span, central, Ps, timeline",
    "Move       arrows or h j k l; PgUp PgDn; Home; mouse click, wheel",
    "Heap       Enter opens the span under the cursor; z / Z zoom in / out; C mark colors",
    "Span       h / l: previous / next span by address",
    "Freeze     f freezes the display (the program runs on); , . one frame back / forward",
    "           End returns to now; d pins this frame: the views show what changed since",
    "World      space stops the world at safe points / resumes it",
    "GC         g starts a cycle now; + / - change GOGC by 10",
    "Step       s steps to the next phase (first s enters step mode and starts a cycle)",
    "           n steps N objects of mark work, [ / ] divide / multiply N by 10",
    "           c runs to the end of the cycle; x leaves step mode",
    "Record     R starts / stops recording; m drops a marker with a caption",
    "Replay     space play / pause; , . one frame; < > speed x0.25-x16; Home End;",
    "           [ ] previous / next marker; G next GC cycle",
    "Quit       q or F10",
};

void help_draw(hs_ui *ui, hs_canvas *cv, rect r)
{
    int nkeys = (int)(sizeof(keys) / sizeof(keys[0]));
    int w = r.w - 8 < 92 ? r.w - 8 : 92, h = nkeys + 12;
    h = h > r.h ? r.h : h;
    int x0 = r.x + (r.w - w) / 2, y0 = r.y + (r.h - h) / 2;
    style box = ui_style(ui, HS_COLOR_DEFAULT, 234, 0);
    cv_fill(cv, x0, y0, w, h, ' ', box);
    style title = ui_style(ui, C_TITLE, 234, HS_ATTR_BOLD), text = box;
    int y = y0 + 1;
    cv_text(cv, x0 + 2, y++, w - 4, title, "heapscope keys   (any key closes this)");
    y++;
    for (int i = 0; i < nkeys && y < y0 + h; i++)
        cv_text(cv, x0 + 2, y++, w - 4, text, keys[i]);
    y++;
    if (y < y0 + h)
        cv_text(cv, x0 + 2, y++, w - 4, title, "Legend");
    static const map_state states[] = {MAP_FREE,    MAP_RELEASED, MAP_UNUSED, MAP_SMALL, MAP_LARGE,
                                       MAP_UNSWEPT, MAP_WHITE,    MAP_GRAY,   MAP_BLACK};
    int col = 0;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]) && y < y0 + h; i++) {
        int x = x0 + 2 + col * (w - 4) / 3;
        uint32_t ch = ui->pal.colors == 0 ? pal_map_glyph(states[i]) : G_FULL;
        style st = {pal_map(&ui->pal, states[i], 5), 234, 0};
        if (ui->pal.colors == 0)
            st = text;
        cv_put(cv, x, y, ch, st);
        const char *name = source_state_name(ui, states[i]);
        if (name == NULL)
            continue;
        cv_text(cv, x + 2, y, (w - 4) / 3 - 3, text, name);
        if (++col == 3) {
            col = 0;
            y++;
        }
    }
    if (y + 1 < y0 + h)
        cv_text(cv, x0 + 2, y + 1, w - 4, text,
                ui->pal.colors ? "Size classes: blues 8-112 B, greens to 288 B, yellows to 1 KiB, "
                                 "oranges to 4 KiB, reds to 32 KiB"
                               : "No colors: the glyphs above carry the states; spans show as #.");
}
