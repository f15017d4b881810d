/*
 * help.c — `?`: every key, and what the colors and glyphs mean.
 *
 * Drawn over the view in a box; the text wraps to the box, which is as wide
 * as the screen allows up to HELP_W_MAX.  What does not fit the box's height
 * scrolls (up, down, PgUp, PgDn, Home, the wheel); any other key closes it.
 * The whole text is drawn into a canvas of its own, then the rows scrolled
 * to are copied into the box.  Without color the legend shows the glyphs,
 * which then carry every state on their own.
 */
#include <stdio.h>

#include "ui/uistate.h"

#define HELP_W_MAX 100
#define HELP_ROWS_MAX 200 /* more than the text takes at the narrowest box */
#define LABEL_W 11
#define HELP_BG 234

/* What a row of keys needs of the source: a row whose keys this source
 * cannot take (a running Go program is only read; a replay cannot be
 * steered like the runtime; a live session has no transport) is left out,
 * and one line says so. */
typedef enum key_need { ANY, PAUSE, GC, STEP, RECORD, TRANSPORT } key_need;

static const struct {
    const char *label, *text;
    key_need need;
} keys[] = {
    {"Views", "1-5 or Tab: heap, span, central, Ps, timeline", ANY},
    {"Move", "arrows or h j k l; PgUp PgDn; Home; mouse click, wheel", ANY},
    {"Heap", "Enter opens the span under the cursor; z / Z zoom in / out; C mark colors", ANY},
    {"Span", "h / l: previous / next span by address", ANY},
    {"Freeze", "f freezes the display (the program runs on); , . one frame back / forward; "
               "End returns to now; d pins this frame: the views show what changed since",
     ANY},
    {"World", "space stops the world at safe points / resumes it", PAUSE},
    {"GC", "g starts a cycle now; + / - change GOGC by 10", GC},
    {"Step", "s steps to the next phase (first s enters step mode and starts a cycle); "
             "n steps N objects of mark work, [ / ] divide / multiply N by 10; "
             "c runs to the end of the cycle; x leaves step mode",
     STEP},
    {"Record", "R starts / stops recording; m drops a marker with a caption", RECORD},
    {"Replay", "space play / pause; , . one frame; < > speed x0.25-x16; Home End; "
               "[ ] previous / next marker; G next GC cycle",
     TRANSPORT},
    {"Screen", "Ctrl-L draws the whole screen again", ANY},
    {"Quit", "q or F10", ANY},
};

static bool offered(const hs_ui *ui, key_need need)
{
    switch (need) {
    case PAUSE:
        return ui->ctl.pause != NULL;
    case GC:
        return ui->ctl.gc != NULL;
    case STEP:
        return ui->ctl.step != NULL;
    case RECORD:
        return ui->o.record != NULL;
    case TRANSPORT:
        return ui->o.transport != NULL;
    default:
        return true;
    }
}

/* The legend's states, in columns as wide as a name needs; returns the rows. */
static int legend(hs_ui *ui, hs_canvas *cv, int y, style text)
{
    static const map_state states[] = {MAP_FREE,    MAP_RELEASED, MAP_UNUSED, MAP_SMALL, MAP_LARGE,
                                       MAP_UNSWEPT, MAP_WHITE,    MAP_GRAY,   MAP_BLACK};
    int ncols = cv->w >= 90 ? 3 : 2, colw = cv->w / ncols, col = 0, y0 = y;
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        const char *name = source_state_name(ui, states[i]);
        if (name == NULL)
            continue;
        int x = col * colw;
        uint32_t ch = ui->pal.colors == 0 ? pal_map_glyph(states[i]) : G_FULL;
        style st = {pal_map(&ui->pal, states[i], 5), HELP_BG, 0};
        cv_put(cv, x, y, ch, ui->pal.colors == 0 ? text : st);
        cv_text(cv, x + 2, y, colw - 3, text, name);
        if (++col == ncols) {
            col = 0;
            y++;
        }
    }
    return y - y0 + (col > 0);
}

/* The whole text into cv (as wide as the box's inside); returns its rows. */
static int help_text(hs_ui *ui, hs_canvas *cv)
{
    style text = ui_style(ui, HS_COLOR_DEFAULT, HELP_BG, 0),
          title = ui_style(ui, C_TITLE, HELP_BG, HS_ATTR_BOLD);
    int y = 0, tw = cv->w - LABEL_W;
    bool left_out = false;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!offered(ui, keys[i].need)) {
            left_out = true;
            continue;
        }
        cv_text(cv, 0, y, LABEL_W, text, keys[i].label);
        y += cv_wrap(cv, LABEL_W, y, tw, HELP_ROWS_MAX - y, text, keys[i].text);
    }
    if (left_out)
        y += cv_wrap(cv, LABEL_W, y, tw, HELP_ROWS_MAX - y, ui_style(ui, C_DIM, HELP_BG, 0),
                     ui->o.transport != NULL ? "(a replay: the runtime's controls are left out)"
                                             : "(keys this source does not take are left out)");
    y++;
    cv_text(cv, 0, y++, cv->w, title, "Legend");
    y += legend(ui, cv, y, text);
    y++;
    y += cv_wrap(cv, 0, y, cv->w, HELP_ROWS_MAX - y, text,
                 ui->pal.colors ? "Size classes: blues 8-112 B, greens to 288 B, yellows to 1 KiB, "
                                  "oranges to 4 KiB, reds to 32 KiB"
                                : "No colors: the glyphs above carry the states; spans show as #.");
    return y;
}

bool help_key(hs_ui *ui, int key)
{
    return ui_scroll(&ui->help_scroll, key);
}

void help_draw(hs_ui *ui, hs_canvas *cv, rect r)
{
    int w = r.w - 4 < HELP_W_MAX ? r.w - 4 : HELP_W_MAX;
    hs_canvas *text = hs_canvas_new(w - 4, HELP_ROWS_MAX);
    if (text == NULL)
        return;
    style box = ui_style(ui, HS_COLOR_DEFAULT, HELP_BG, 0);
    style title = ui_style(ui, C_TITLE, HELP_BG, HS_ATTR_BOLD);
    cv_clear(text, box);
    int rows = help_text(ui, text);
    /* The box: a title row and a blank above the text, a blank below. */
    int h = rows + 3 > r.h ? r.h : rows + 3, shown = h - 3;
    int last = rows - shown;
    ui->help_scroll = ui->help_scroll > last ? last : ui->help_scroll < 0 ? 0 : ui->help_scroll;
    int x0 = r.x + (r.w - w) / 2, y0 = r.y + (r.h - h) / 2;
    cv_fill(cv, x0, y0, w, h, ' ', box);
    char head[120];
    if (last > 0)
        snprintf(head, sizeof(head), "heapscope keys %d-%d of %d   (up / down scroll, any other key closes)",
                 ui->help_scroll + 1, ui->help_scroll + shown, rows);
    else
        snprintf(head, sizeof(head), "heapscope keys   (any key closes this)");
    cv_text(cv, x0 + 2, y0, w - 4, title, head);
    for (int i = 0; i < shown; i++)
        for (int x = 0; x < text->w; x++) {
            const hs_tcell *c = hs_canvas_at(text, x, ui->help_scroll + i);
            cv_put(cv, x0 + 2 + x, y0 + 2 + i, c->ch, (style){c->fg, c->bg, c->attr});
        }
    hs_canvas_free(text);
}
