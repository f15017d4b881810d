/*
 * view_timeline.c — view 5, the last minute: heap in use against the goal,
 * GC cycles as bands, stop-the-world pauses as ticks, and sparklines of the
 * allocation rate and the GC's share of the CPU.
 *
 * Each column is one slice of time; the window ends at the frame on screen
 * (so a frozen view shows the minute before it).  In a column: the heap live
 * as a bar of eighths, the goal as a line, a background band when the
 * collector was anywhere but off; below, a tick for each column that holds a
 * pause (colored by the longest: under 100 µs, under 1 ms, longer).  The
 * samples are the UI's own, one per snapshot fed (app.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/uistate.h"

#define AXIS_W 11
#define WINDOW_NS 60000000000LL
#define MAX_COLS 512

typedef struct bucket {
    uint64_t live, goal, alloc0, alloc1;
    int64_t cpu0, cpu1, t0, t1;
    uint32_t nprocs;
    int64_t pause_max;
    bool any, gc;
} bucket;

static void gather(const hs_ui *ui, int64_t end, int64_t slice, int cols, bucket *b)
{
    memset(b, 0, (size_t)cols * sizeof(*b));
    int64_t start = end - slice * cols;
    for (size_t i = 0; i < ui->nseries; i++) {
        const sample *p = &ui->series[(ui->series_head + i) % SERIES_CAP];
        if (p->t_ns < start || p->t_ns > end)
            continue;
        int c = (int)((p->t_ns - start) / slice);
        c = c >= cols ? cols - 1 : c;
        bucket *k = &b[c];
        if (!k->any) {
            k->alloc0 = p->total_alloc;
            k->cpu0 = p->gc_cpu_ns;
            k->t0 = p->t_ns;
        }
        k->any = true;
        k->live = p->heap_live > k->live ? p->heap_live : k->live;
        k->goal = p->heap_goal > k->goal ? p->heap_goal : k->goal;
        k->alloc1 = p->total_alloc;
        k->cpu1 = p->gc_cpu_ns;
        k->t1 = p->t_ns;
        k->nprocs = p->nprocs;
        k->gc |= p->phase != 0;
    }
    for (size_t i = 0; i < ui->npauses; i++) {
        const pause_mark *p = &ui->pauses[(ui->pauses_head + i) % PAUSES_CAP];
        if (p->t_ns < start || p->t_ns > end)
            continue;
        int c = (int)((p->t_ns - start) / slice);
        c = c >= cols ? cols - 1 : c;
        b[c].pause_max = p->len_ns > b[c].pause_max ? p->len_ns : b[c].pause_max;
    }
}

/* A rate between a column and the one before it (they share an edge). */
static double rate(const bucket *b, int c, bool cpu)
{
    const bucket *prev = NULL;
    for (int i = c - 1; i >= 0 && prev == NULL; i--)
        if (b[i].any)
            prev = &b[i];
    if (!b[c].any)
        return 0;
    int64_t t0 = prev ? prev->t1 : b[c].t0, dt = b[c].t1 - t0;
    if (dt <= 0)
        return 0;
    if (cpu) {
        int64_t d = b[c].cpu1 - (prev ? prev->cpu1 : b[c].cpu0);
        return (double)d / ((double)dt * (b[c].nprocs ? b[c].nprocs : 1));
    }
    uint64_t a0 = prev ? prev->alloc1 : b[c].alloc0;
    return b[c].alloc1 >= a0 ? (double)(b[c].alloc1 - a0) * 1e9 / (double)dt : 0;
}

static void sparkline(hs_ui *ui, hs_canvas *cv, int x, int y, const bucket *b, int cols, bool cpu,
                      uint16_t color, const char *label)
{
    double max = 0;
    for (int c = 0; c < cols; c++)
        max = rate(b, c, cpu) > max ? rate(b, c, cpu) : max;
    char lab[32], a[32];
    if (cpu)
        snprintf(lab, sizeof(lab), "%s %3.0f%%", label, max * 100);
    else
        snprintf(lab, sizeof(lab), "%s", fmt_bytes(a, sizeof(a), (uint64_t)max));
    cv_text(cv, x - AXIS_W, y, AXIS_W - 1, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), lab);
    for (int c = 0; c < cols; c++) {
        double v = max > 0 ? rate(b, c, cpu) / max : 0;
        uint32_t ch = pal_eighths(v);
        if (ui->pal.colors == 0 && ch != ' ')
            ch = v > 0.66 ? '#' : v > 0.33 ? '+' : '.';
        cv_put(cv, x + c, y, ch, ui_style(ui, color, HS_COLOR_DEFAULT, 0));
    }
    cv_text(cv, x + cols + 1, y, 40, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
            cpu ? "GC CPU (max in window)" : "/s allocated (max)");
}

void view_timeline_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    char a[32], b2[32];
    int cols = r.w - AXIS_W - 24;
    cols = cols > MAX_COLS ? MAX_COLS : cols;
    int chart_h = r.h - 6;
    if (cols < 10 || chart_h < 4)
        return;
    bucket b[MAX_COLS];
    int64_t slice = WINDOW_NS / cols;
    gather(ui, s->t_ns, slice, cols, b);
    uint64_t max = 1;
    for (int c = 0; c < cols; c++) {
        max = b[c].live > max ? b[c].live : max;
        max = b[c].goal > max ? b[c].goal : max;
    }
    max += max / 10;
    int x0 = r.x + AXIS_W, y0 = r.y;
    cv_text(cv, r.x, y0, AXIS_W - 1, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), fmt_bytes(a, sizeof(a), max));
    cv_text(cv, r.x, y0 + chart_h - 1, AXIS_W - 1, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "0");
    for (int c = 0; c < cols; c++) {
        uint16_t band = b[c].gc ? 237 : HS_COLOR_DEFAULT;
        double live = (double)b[c].live / (double)max * chart_h; /* in rows */
        int goal_row = b[c].goal ? chart_h - 1 - (int)((double)b[c].goal / (double)max * chart_h) : -1;
        for (int y = 0; y < chart_h; y++) {
            double fromb = chart_h - 1 - y; /* rows below this one */
            double part = live - fromb;
            uint32_t ch = part >= 1 ? G_FULL : part > 0 ? pal_eighths(part) : ' ';
            style st = ui_style(ui, 75, band, 0);
            if (ui->pal.colors == 0) {
                ch = part > 0.5 ? '|' : b[c].gc ? ':' : ' ';
                st = STYLE_PLAIN;
            }
            if (y == goal_row && ch != G_FULL) {
                ch = ui->pal.colors ? 0x2500 : '-';
                st.fg = pal_reduce(&ui->pal, 214);
            }
            cv_put(cv, x0 + c, y0 + y, ch, st);
        }
        int64_t pm = b[c].pause_max;
        if (pm > 0) {
            uint16_t pc = pm < 100000 ? C_GOOD : pm < 1000000 ? C_WARN : C_BAD;
            cv_put(cv, x0 + c, y0 + chart_h, ui->pal.colors ? 0x2503 : '!', ui_style(ui, pc, HS_COLOR_DEFAULT, 0));
        }
    }
    cv_text(cv, r.x, y0 + chart_h, AXIS_W - 1, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "STW");
    /* The legend, right of the chart. */
    int lx = x0 + cols + 1, ly = y0;
    style dim = ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0);
    cv_put(cv, lx, ly, ui->pal.colors ? G_FULL : '|', ui_style(ui, 75, HS_COLOR_DEFAULT, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "heap live");
    cv_put(cv, lx, ly, ui->pal.colors ? 0x2500 : '-', ui_style(ui, 214, HS_COLOR_DEFAULT, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "heap goal");
    cv_put(cv, lx, ly, ui->pal.colors ? ' ' : ':', ui_style(ui, HS_COLOR_DEFAULT, 237, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "GC cycle running");
    cv_put(cv, lx, ly, ui->pal.colors ? 0x2503 : '!', ui_style(ui, C_GOOD, HS_COLOR_DEFAULT, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "STW < 100 µs");
    cv_put(cv, lx, ly, ui->pal.colors ? 0x2503 : '!', ui_style(ui, C_WARN, HS_COLOR_DEFAULT, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "STW < 1 ms");
    cv_put(cv, lx, ly, ui->pal.colors ? 0x2503 : '!', ui_style(ui, C_BAD, HS_COLOR_DEFAULT, 0));
    cv_text(cv, lx + 2, ly++, 22, STYLE_PLAIN, "STW longer");
    ly++;
    cv_printf(cv, lx, ly++, 22, dim, "now: %s", fmt_bytes(a, sizeof(a), s->heap_live));
    cv_printf(cv, lx, ly++, 22, dim, "goal: %s", fmt_bytes(b2, sizeof(b2), s->heap_goal));
    sparkline(ui, cv, x0, y0 + chart_h + 2, b, cols, false, 150, "alloc");
    if (source_attached(s))
        cv_text(cv, x0, y0 + chart_h + 3, cols, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
                "GC CPU: " SOURCE_UNREADABLE);
    else
        sparkline(ui, cv, x0, y0 + chart_h + 3, b, cols, true, 203, "GC");
    cv_printf(cv, x0, y0 + chart_h + 1, cols, dim, "-%.0f s", (double)WINDOW_NS / 1e9);
    cv_text(cv, x0 + cols - 3, y0 + chart_h + 1, 4, dim, "now");
}
