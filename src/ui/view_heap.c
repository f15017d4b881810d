/*
 * view_heap.c — view 1, the arena map: every page of every 64 MiB arena.
 *
 * Each arena starts on a new row, labelled with the address of the row's
 * first page.  A map cell stands for 2^shift pages; with 256 colors a cell
 * holds two of them, one above the other (▀ with the upper in the foreground
 * and the lower in the background), otherwise one, drawn as a glyph so the
 * states survive without color.  Zoom (z/Z) changes the shift; "fit" picks
 * the smallest shift that shows every arena at once.
 *
 * A cell shows its first page that is in a span, else its free, released or
 * never-used pages, in that order.  A span's pages are colored by its size
 * class, large spans and spans awaiting sweep in their own colors; during
 * mark the objects' colors take over: a span's pages show its shares of
 * black, gray and white in that order along the span (a span of a page or
 * two shows its most common state; the span view shows every object).  Older spans fade toward the
 * background, so fresh allocation stands out between cycles.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/uistate.h"

#define MAX_SHIFT 13 /* one cell per arena */
#define LABEL_DIGITS_MIN 10

typedef struct geom {
    int label_w;         /* the row labels' columns, the gap after them included */
    int cols, halves, shift;
    int groups;          /* per arena */
    int rows_per_arena;  /* cell rows */
    int rows_total;
} geom;

/* Wide enough for the highest arena's whole address: heapscope's own heap
 * and Go's before 1.26 start at 0xc000000000 (10 hex digits), but Go 1.26
 * puts its heap at a random base of up to 12 digits, which a fixed width
 * would cut short. */
static int label_width(const hs_snapshot *s)
{
    const hs_snap_arena *ar = hs_snap_arenas(s);
    uint64_t top = 0;
    for (uint32_t i = 0; i < s->narenas; i++)
        top = ar[i].base > top ? ar[i].base : top;
    int digits = LABEL_DIGITS_MIN;
    while (digits < 16 && top >> (4 * digits) != 0)
        digits++;
    return digits + 2;
}

static geom geometry(const hs_ui *ui, const hs_snapshot *s, rect map, int shift)
{
    int label_w = label_width(s);
    geom g = {.label_w = label_w, .cols = map.w - label_w, .halves = ui->pal.colors >= 256 ? 2 : 1};
    if (g.cols < 1)
        g.cols = 1;
    g.shift = shift;
    g.groups = HS_SNAP_PAGES_PER_ARENA >> shift;
    int lines = (g.groups + g.cols - 1) / g.cols;
    g.rows_per_arena = (lines + g.halves - 1) / g.halves;
    g.rows_total = g.rows_per_arena * (int)s->narenas;
    return g;
}

/* The smallest shift at which every arena fits in rows rows. */
static int fit_shift(const hs_ui *ui, const hs_snapshot *s, rect map)
{
    for (int sh = 0; sh < MAX_SHIFT; sh++)
        if (geometry(ui, s, map, sh).rows_total <= map.h)
            return sh;
    return MAX_SHIFT;
}

/* Page index of (row, col, half) of the map, or -1 where there is none. */
static int64_t page_of(const hs_snapshot *s, const geom *g, int row, int col, int half)
{
    if (row < 0 || row >= g->rows_total || col < 0 || col >= g->cols)
        return -1;
    int a = row / g->rows_per_arena;
    int line = (row % g->rows_per_arena) * g->halves + half;
    int group = line * g->cols + col;
    if (group >= g->groups)
        return -1;
    return (int64_t)hs_snap_arenas(s)[a].first_page + ((int64_t)group << g->shift);
}

/* Where page p is on the map. */
static void place_of(const geom *g, const hs_snapshot *s, int64_t p, int *row, int *col)
{
    int a = (int)(p / HS_SNAP_PAGES_PER_ARENA);
    if (a >= (int)s->narenas)
        a = (int)s->narenas - 1;
    int64_t group = (p - hs_snap_arenas(s)[a].first_page) >> g->shift;
    int line = (int)(group / g->cols);
    *row = a * g->rows_per_arena + line / g->halves;
    *col = (int)(group % g->cols);
}

/* ---- what a cell shows --------------------------------------------------------------- */

typedef struct look {
    map_state st;
    int sizeclass;
    int64_t age_ns;
    change_kind change; /* against the pinned frame, when there is one */
} look;

static bool marking(const hs_ui *ui, const hs_snapshot *s)
{
    return !ui->mark_colors_off && (s->phase == 2 || s->phase == 3);
}

static map_state mark_state(const hs_snapshot *s, const hs_snap_span *sp, int64_t page)
{
    uint32_t n[4];
    span_cell_counts(s, sp, n);
    uint32_t live = n[HS_CELL_WHITE] + n[HS_CELL_GRAY] + n[HS_CELL_BLACK];
    if (live == 0)
        return MAP_FREE;
    if (sp->npages <= 2) { /* the most common state; gray wins a tie */
        uint32_t w = n[HS_CELL_WHITE], g = n[HS_CELL_GRAY], b = n[HS_CELL_BLACK];
        if (g >= w && g >= b)
            return MAP_GRAY;
        return b >= w ? MAP_BLACK : MAP_WHITE;
    }
    double at = ((double)(page - sp->page) + 0.5) / sp->npages * live;
    if (at < n[HS_CELL_BLACK])
        return MAP_BLACK;
    return at < n[HS_CELL_BLACK] + n[HS_CELL_GRAY] ? MAP_GRAY : MAP_WHITE;
}

static look state_look(const hs_ui *ui, const hs_snapshot *s, int64_t first, int64_t k);

/* What a cell shows; pinned, the first change among its pages. */
static look cell_look(const hs_ui *ui, const hs_snapshot *s, int64_t first, int64_t k)
{
    look l = state_look(ui, s, first, k);
    if (ui->pin == NULL)
        return l;
    int64_t end = first + k < (int64_t)s->npages ? first + k : (int64_t)s->npages;
    for (int64_t p = first; p < end && l.change == CHANGE_SAME; p++)
        l.change = compare_page(ui, s, p);
    return l;
}

static look state_look(const hs_ui *ui, const hs_snapshot *s, int64_t first, int64_t k)
{
    const uint8_t *pages = hs_snap_pages(s);
    const int32_t *ps = hs_snap_page_span(s);
    bool free = false, released = false;
    int64_t end = first + k < (int64_t)s->npages ? first + k : (int64_t)s->npages;
    for (int64_t p = first; p < end; p++) {
        if (ps[p] >= 0) {
            const hs_snap_span *sp = &hs_snap_spans(s)[ps[p]];
            look l = {.sizeclass = sp->spanclass >> 1, .age_ns = sp->age_ns};
            if (marking(ui, s) && (sp->flags & HS_SPAN_SCANNING))
                l.st = MAP_SCANNING; /* Green Tea: a span scan under way */
            else if (marking(ui, s) && (sp->flags & HS_SPAN_QUEUED))
                l.st = MAP_QUEUED; /* Green Tea: gathering gray objects, waiting */
            else if (marking(ui, s))
                l.st = mark_state(s, sp, p);
            else if (sp->sweep == HS_SWEEP_NEEDS)
                l.st = MAP_UNSWEPT;
            else
                l.st = l.sizeclass ? MAP_SMALL : MAP_LARGE;
            return l;
        }
        free |= pages[p] == HS_PAGE_FREE;
        released |= pages[p] == HS_PAGE_RELEASED;
    }
    return (look){.st = free ? MAP_FREE : released ? MAP_RELEASED : MAP_UNUSED};
}

/* A color faded toward the background with age (256 colors only). */
static uint16_t aged(const hs_ui *ui, uint16_t c, const look *l)
{
    if (ui->pal.colors < 256 || (l->st != MAP_SMALL && l->st != MAP_LARGE))
        return c;
    int pct = l->age_ns < 1000000000LL ? 0 : l->age_ns < 5000000000LL ? 20 : 40;
    return pct ? pal_fade(c, 235, pct) : c;
}

static uint16_t look_color(const hs_ui *ui, const look *l)
{
    if (ui->pin != NULL && l->change != CHANGE_SAME)
        return pal_change(&ui->pal, l->change);
    uint16_t c = aged(ui, pal_map(&ui->pal, l->st, l->sizeclass), l);
    if (ui->pin != NULL && ui->pal.colors >= 256)
        c = pal_fade(c, 235, 70); /* unchanged: in the background */
    return c;
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void draw_cell(hs_ui *ui, hs_canvas *cv, int x, int y, const look *top, const look *bot,
                      bool cursor)
{
    style st;
    uint32_t ch;
    if (ui->pal.colors >= 256) {
        ch = G_UPPER;
        st = (style){look_color(ui, top), bot ? look_color(ui, bot) : HS_COLOR_DEFAULT, 0};
    } else if (ui->pin != NULL && top->change != CHANGE_SAME) {
        ch = pal_change_glyph(top->change);
        st = (style){pal_change(&ui->pal, top->change), HS_COLOR_DEFAULT, HS_ATTR_BOLD};
    } else {
        ch = pal_map_glyph(top->st);
        st = (style){pal_map(&ui->pal, top->st, top->sizeclass), HS_COLOR_DEFAULT, 0};
        if (ui->pal.colors == 0 && top->age_ns < 1000000000LL && top->st == MAP_SMALL)
            st.attr |= HS_ATTR_BOLD;
    }
    if (cursor) {
        st.attr |= HS_ATTR_REVERSE;
        if (ui->pal.colors < 256 && ch == ' ')
            ch = '+';
    }
    cv_put(cv, x, y, ch, st);
}

/* Pinned: what the colors of a change mean. */
static void draw_change_legend(hs_ui *ui, hs_canvas *cv, rect r)
{
    int x = r.x + cv_text(cv, r.x, r.y, r.w, STYLE_BOLD, "changes since the pinned frame: ");
    for (change_kind k = CHANGE_NEW; k <= CHANGE_REUSED; k++) {
        uint32_t ch = ui->pal.colors >= 256 ? G_FULL : pal_change_glyph(k);
        cv_put(cv, x, r.y, ch, (style){pal_change(&ui->pal, k), HS_COLOR_DEFAULT, HS_ATTR_BOLD});
        x += 2 + cv_text(cv, x + 2, r.y, r.x + r.w - x - 2, STYLE_PLAIN, pal_change_name(k)) + 1;
    }
    cv_text(cv, x, r.y, r.x + r.w - x, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
            ui->pal.colors >= 256 ? "(unchanged pages dimmed)" : "(other cells unchanged)");
}

/* What a 256-color cell holds: two halves, each of 2^shift pages. */
static const char *halves_note(int shift, char *buf, size_t n)
{
    if (shift == 0)
        snprintf(buf, n, "(older spans fade; each cell shows two pages, one above the other)");
    else
        snprintf(buf, n, "(older spans fade; each cell shows two runs of %d pages, one above the other)",
                 1 << shift);
    return buf;
}

/* The states and their names, flowing over as many rows as the width needs
 * (cv NULL: only counts them); returns the rows. */
static int legend_states(hs_ui *ui, hs_canvas *cv, rect r, int shift)
{
    static const map_state order[] = {MAP_FREE, MAP_RELEASED, MAP_UNUSED, MAP_LARGE,
                                      MAP_UNSWEPT, MAP_WHITE, MAP_GRAY, MAP_BLACK,
                                      MAP_QUEUED, MAP_SCANNING};
    int x = r.x, y = r.y, end = r.x + r.w;
    size_t nstates = sizeof(order) / sizeof(order[0]);
    if (ui->shown_gcmode != 1)
        nstates -= 2; /* span queues are Green Tea's */
    for (size_t i = 0; i < nstates; i++) {
        const char *name = source_state_name(ui, order[i]);
        if (name == NULL)
            continue;
        int need = 3 + cv_width(name);
        if (x + need > end && x > r.x) {
            x = r.x;
            y++;
        }
        look l = {.st = order[i]};
        if (cv == NULL) {
            x += need;
            continue;
        }
        if (ui->pal.colors == 0) {
            cv_put(cv, x, y, pal_map_glyph(order[i]), STYLE_PLAIN);
        } else {
            uint32_t ch = ui->pal.colors >= 256 ? G_FULL : pal_map_glyph(order[i]);
            cv_put(cv, x, y, ch, (style){look_color(ui, &l), HS_COLOR_DEFAULT, 0});
        }
        x += 2 + cv_text(cv, x + 2, y, end - x - 2, STYLE_PLAIN, name) + 1;
    }
    if (ui->pal.colors >= 256) { /* half blocks: say what the halves are */
        char buf[120];
        const char *note = halves_note(shift, buf, sizeof(buf));
        if (x + cv_width(note) > end && x > r.x) {
            x = r.x;
            y++;
        }
        if (cv != NULL)
            cv_text(cv, x, y, end - x, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), note);
    }
    return y - r.y + 1;
}

/* Rows the legend takes at width w. */
static int legend_rows(hs_ui *ui, int w, int shift)
{
    return (ui->pin != NULL) + legend_states(ui, NULL, (rect){0, 0, w, 1}, shift) + 1;
}

static void draw_legend(hs_ui *ui, hs_canvas *cv, rect r, int shift)
{
    if (ui->pin != NULL) {
        draw_change_legend(ui, cv, r);
        r.y++;
        r.h--;
    }
    int y = r.y + legend_states(ui, cv, r, shift), end = r.x + r.w;
    /* The size classes' ramp, named in full where there is room. */
    int x = r.x;
    if (ui->pal.colors == 0 || r.w >= 17 + HS_SNAP_NUM_CLASSES - 1 + 7)
        x += cv_text(cv, x, y, r.w, STYLE_PLAIN, "size classes ");
    x += cv_text(cv, x, y, end - x, STYLE_PLAIN, "8 B ");
    if (ui->pal.colors == 0) {
        x += cv_text(cv, x, y, end - x, STYLE_PLAIN, "# (see the Central view for each)");
    } else {
        for (int c = 1; c < HS_SNAP_NUM_CLASSES && x < end; c++) {
            look l = {.st = MAP_SMALL, .sizeclass = c};
            cv_put(cv, x++, y, ui->pal.colors >= 256 ? G_FULL : '#',
                   (style){look_color(ui, &l), HS_COLOR_DEFAULT, 0});
        }
    }
    cv_text(cv, x, y, end - x, STYLE_PLAIN, " 32 KiB");
}

/* The line under the map: what the cursor is on. */
static void draw_cursor_info(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r,
                             const geom *g)
{
    char a[32], buf[240], head[120];
    int64_t p = ui->cursor;
    buf[0] = '\0';
    if (p >= 0 && (uint64_t)p < s->npages) {
        uint64_t addr = hs_snap_arenas(s)[p / HS_SNAP_PAGES_PER_ARENA].base +
                        (uint64_t)(p % HS_SNAP_PAGES_PER_ARENA) * HS_SNAP_PAGE_SIZE;
        int32_t si = snap_span_at_page(s, p);
        if (si < 0) {
            static const char *const st[] = {"never used", "free", "released to the OS", "?", "?"};
            uint8_t ps = hs_snap_pages(s)[p];
            snprintf(buf, sizeof(buf), "page %#" PRIx64 ": %s", addr, ps < 5 ? st[ps] : "?");
        } else {
            const hs_snap_span *sp = &hs_snap_spans(s)[si];
            int cl = sp->spanclass >> 1;
            if (cl == 0)
                snprintf(buf, sizeof(buf), "span %#" PRIx64 ": large object of %s, %u pages",
                         sp->start, fmt_bytes(a, sizeof(a), sp->elemsize), sp->npages);
            else
                snprintf(buf, sizeof(buf),
                         "span %#" PRIx64 ": class %d (%u B%s), %u/%u objects, %u page%s", sp->start,
                         cl, sp->elemsize, sp->spanclass & 1 ? ", noscan" : "", sp->alloc_count,
                         sp->nelems, sp->npages, sp->npages == 1 ? "" : "s");
        }
    }
    /* The keys are in ? help too: what the cursor is on comes first. */
    const char *keys = ", z/Z zoom, arrows move, Enter opens a span: ";
    snprintf(head, sizeof(head), "%d page%s per %scell (%s)", 1 << g->shift, g->shift ? "s" : "",
             g->halves == 2 ? "half " : "", ui->zoom < 0 ? "fit" : "zoomed");
    int x = r.x + cv_text(cv, r.x, r.y, r.w, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), head);
    if (cv_width(head) + cv_width(keys) + cv_width(buf) > r.w)
        keys = ": ";
    x += cv_text(cv, x, r.y, r.x + r.w - x, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), keys);
    cv_text(cv, x, r.y, r.x + r.w - x, STYLE_BOLD, buf);
}

void view_heap_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    ui->shown_gcmode = (int)s->gcmode;
    if (s->narenas == 0) {
        cv_text(cv, r.x + 2, r.y + 1, r.w - 2, STYLE_PLAIN, "no arena yet: nothing allocated");
        return;
    }
    /* The legend's rows depend on the zoom (its note names the pages a
     * half holds) only in length: measure it at fit's worst, 2^13 pages. */
    int lrows = legend_rows(ui, r.w, MAX_SHIFT);
    rect map = {r.x, r.y, r.w, r.h - lrows - 1};
    int shift = ui->zoom < 0 ? fit_shift(ui, s, map) : ui->zoom;
    geom g = geometry(ui, s, map, shift);
    if (ui->cursor < 0 || (uint64_t)ui->cursor >= s->npages) {
        /* First: the first page in a span, so that Enter opens one (a
         * Go program's heap may start with pages it never used). */
        ui->cursor = 0;
        const int32_t *ps = hs_snap_page_span(s);
        for (int64_t p = 0; p < (int64_t)s->npages; p++)
            if (ps[p] >= 0) {
                ui->cursor = p;
                break;
            }
    }
    int crow, ccol;
    place_of(&g, s, ui->cursor, &crow, &ccol);
    /* Keep the cursor's row on screen. */
    if (crow < ui->heap_scroll)
        ui->heap_scroll = crow;
    if (crow >= ui->heap_scroll + map.h)
        ui->heap_scroll = crow - map.h + 1;
    if (ui->heap_scroll > g.rows_total - map.h)
        ui->heap_scroll = g.rows_total - map.h > 0 ? g.rows_total - map.h : 0;
    int64_t k = (int64_t)1 << shift;
    int64_t cur_group = ui->cursor >> shift << shift;
    for (int y = 0; y < map.h; y++) {
        int row = ui->heap_scroll + y;
        if (row >= g.rows_total)
            break;
        int64_t first = page_of(s, &g, row, 0, 0);
        const hs_snap_arena *ar = &hs_snap_arenas(s)[first / HS_SNAP_PAGES_PER_ARENA];
        uint64_t addr = ar->base + (uint64_t)(first - ar->first_page) * HS_SNAP_PAGE_SIZE;
        bool arena_start = row % g.rows_per_arena == 0;
        cv_printf(cv, map.x, map.y + y, g.label_w - 1,
                  arena_start ? STYLE_BOLD : ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "%010" PRIx64,
                  addr);
        for (int col = 0; col < g.cols; col++) {
            int64_t top = page_of(s, &g, row, col, 0);
            if (top < 0)
                break;
            int64_t bot = g.halves == 2 ? page_of(s, &g, row, col, 1) : -1;
            look lt = cell_look(ui, s, top, k), lb;
            if (bot >= 0)
                lb = cell_look(ui, s, bot, k);
            bool cursor = top == cur_group || bot == cur_group;
            draw_cell(ui, cv, map.x + g.label_w + col, map.y + y, &lt, bot >= 0 ? &lb : NULL, cursor);
        }
    }
    ui->map.area = map;
    ui->map.cols = g.cols;
    ui->map.halves = g.halves;
    ui->map.shift = g.shift;
    ui->map.label_w = g.label_w;
    rect info = {r.x, map.y + map.h, r.w, 1};
    draw_cursor_info(ui, s, cv, info, &g);
    draw_legend(ui, cv, (rect){r.x, info.y + 1, r.w, lrows}, g.shift);
}

/* ---- keys and clicks ---------------------------------------------------------------------- */

static void open_span_at_cursor(hs_ui *ui, const hs_snapshot *s)
{
    int32_t si = snap_span_at_page(s, ui->cursor);
    if (si < 0) {
        ui_say(ui, "no span there: the page is free");
        return;
    }
    ui->sel_addr = hs_snap_spans(s)[si].start;
    ui->view = HS_VIEW_SPAN;
}

/* The cursor's place moved by (drow, dcol) on the last map drawn. */
static void move_cursor(hs_ui *ui, const hs_snapshot *s, int drow, int dcol)
{
    if (s->narenas == 0)
        return;
    geom g = geometry(ui, s, ui->map.area, ui->map.shift);
    int row, col;
    place_of(&g, s, ui->cursor < 0 ? 0 : ui->cursor, &row, &col);
    /* Within a row the halves are lines: move by lines, not rows. */
    int64_t group = ((ui->cursor < 0 ? 0 : ui->cursor) % HS_SNAP_PAGES_PER_ARENA) >> g.shift;
    int line = (int)(group / g.cols) + drow;
    int arena = (int)((ui->cursor < 0 ? 0 : ui->cursor) / HS_SNAP_PAGES_PER_ARENA);
    int lines = (g.groups + g.cols - 1) / g.cols;
    col += dcol;
    if (col < 0 && line > 0) {
        col = g.cols - 1;
        line--;
    } else if (col >= g.cols) {
        col = 0;
        line++;
    }
    if (col < 0)
        col = 0;
    if (line < 0) {
        if (arena == 0)
            line = 0;
        else {
            arena--;
            line = lines - 1;
        }
    } else if (line >= lines || line * g.cols + col >= g.groups) {
        if (arena + 1 < (int)s->narenas) {
            arena++;
            line = 0;
        } else {
            line = (g.groups - 1) / g.cols;
            if (line * g.cols + col >= g.groups)
                col = g.groups - 1 - line * g.cols;
        }
    }
    ui->cursor = (int64_t)hs_snap_arenas(s)[arena].first_page + ((int64_t)(line * g.cols + col) << g.shift);
}

bool view_heap_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    switch (key) {
    case HS_KEY_LEFT:
    case 'h':
        move_cursor(ui, s, 0, -1);
        return true;
    case HS_KEY_RIGHT:
    case 'l':
        move_cursor(ui, s, 0, 1);
        return true;
    case HS_KEY_UP:
    case 'k':
        move_cursor(ui, s, -1, 0);
        return true;
    case HS_KEY_DOWN:
    case 'j':
        move_cursor(ui, s, 1, 0);
        return true;
    case HS_KEY_PGUP:
    case HS_KEY_WHEEL_UP:
        move_cursor(ui, s, -ui->map.area.h * ui->map.halves / 2, 0);
        return true;
    case HS_KEY_PGDN:
    case HS_KEY_WHEEL_DOWN:
        move_cursor(ui, s, ui->map.area.h * ui->map.halves / 2, 0);
        return true;
    case HS_KEY_HOME:
        ui->cursor = 0;
        return true;
    case HS_KEY_ENTER:
        open_span_at_cursor(ui, s);
        return true;
    case 'z': /* in: fewer pages per cell */
        ui->zoom = (ui->zoom < 0 ? ui->map.shift : ui->zoom) - 1;
        if (ui->zoom < 0)
            ui->zoom = 0;
        return true;
    case 'Z':
        ui->zoom = (ui->zoom < 0 ? ui->map.shift : ui->zoom) + 1;
        if (ui->zoom >= fit_shift(ui, s, ui->map.area))
            ui->zoom = -1; /* back to fit */
        return true;
    case 'C':
        ui->mark_colors_off = !ui->mark_colors_off;
        ui_say(ui, ui->mark_colors_off ? "mark colors off: size classes during mark"
                                       : "mark colors on during mark");
        return true;
    default:
        return false;
    }
}

bool view_heap_click(hs_ui *ui, const hs_snapshot *s, int x, int y)
{
    rect a = ui->map.area;
    if (s->narenas == 0 || y < a.y || y >= a.y + a.h)
        return false;
    geom g = geometry(ui, s, a, ui->map.shift);
    if (x < a.x + g.label_w)
        return false;
    int64_t p = page_of(s, &g, ui->heap_scroll + (y - a.y), x - a.x - g.label_w, 0);
    if (p < 0)
        return false;
    ui->cursor = p;
    int32_t si = snap_span_at_page(s, p);
    if (si < 0)
        return false;
    ui->sel_addr = hs_snap_spans(s)[si].start;
    return true;
}
