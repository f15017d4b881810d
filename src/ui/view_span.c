/*
 * view_span.c — view 2, one span's objects as a grid: free, white, gray,
 * black, one cell per object in address order.
 *
 * The grid is 8 to 64 objects wide, a power of two, so a row lines up with
 * the 64-bit words of the span's bitmaps.  The object at freeindex is shown
 * reversed, and the allocCache window (what the next allocations search
 * without touching the bitmap: from freeindex to the end of its 64-object
 * word, as refillAllocCache loads it) underlined.  Objects allocated in about
 * the last second (free in the frame a second back, in use now) are drawn
 * bright, older ones plain.  A large span shows its pages, all holding its one
 * object.  The span is chosen in the heap view (Enter, or a click), and
 * h/l or the arrows walk to its neighbours by address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/uistate.h"

#define PANEL_W 38

static const char *sweep_name(uint8_t st)
{
    static const char *const n[] = {"awaiting sweep (sweepgen-2)", "being swept (sweepgen-1)",
                                    "swept (sweepgen)", "cached, unswept (sweepgen+1)",
                                    "cached, swept (sweepgen+3)"};
    return st < 5 ? n[st] : "?";
}

static const char *set_name(uint8_t set)
{
    static const char *const n[] = {"none", "partial, swept", "partial, unswept", "full, swept",
                                    "full, unswept"};
    return set < 5 ? n[set] : "?";
}

static void panel(hs_ui *ui, const hs_snapshot *s, const hs_snap_span *sp, hs_canvas *cv, rect r)
{
    char a[32], b[32];
    int y = r.y, w = r.w;
    style dim = ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0);
    int cl = sp->spanclass >> 1;
    cv_printf(cv, r.x, y++, w, STYLE_BOLD, "span %#" PRIx64, sp->start);
    if (cl == 0)
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "large object, %s", fmt_bytes(a, sizeof(a), sp->elemsize));
    else
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "class %d: %u B objects, %s", cl, sp->elemsize,
                  sp->spanclass & 1 ? "noscan" : "scan");
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "%u page%s (%s)", sp->npages, sp->npages == 1 ? "" : "s",
              fmt_bytes(b, sizeof(b), (uint64_t)sp->npages * HS_SNAP_PAGE_SIZE));
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "nelems %u  allocCount %u", sp->nelems, sp->alloc_count);
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "freeindex %u", sp->freeindex);
    if (cl != 0 && sp->freeindex < sp->nelems) {
        uint32_t end = (sp->freeindex & ~63u) + 64;
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "allocCache: objects %u-%u", sp->freeindex,
                  (end < sp->nelems ? end : sp->nelems) - 1);
    } else {
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "allocCache: empty");
    }
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "%s", sweep_name(sp->sweep));
    if (sp->cached_by)
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "in P%u's mcache", sp->cached_by - 1u);
    else
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "mcentral: %s", set_name(sp->central_set));
    if (!sp->cached_by && sp->spanclass >> 1 == 0 && sp->central_set != HS_SET_NONE)
        cv_text(cv, r.x, y++, w, STYLE_PLAIN, "  (as in Go, for the sweeper to find)");
    if (s->source == HS_SOURCE_ATTACH) /* a Go span keeps no allocation time */
        cv_text(cv, r.x, y++, w, STYLE_PLAIN, "age: not recorded by Go");
    else
        cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "allocated %s ago", fmt_ns(a, sizeof(a), sp->age_ns));
    uint32_t n[4];
    span_cell_counts(s, sp, n);
    y++;
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "free %u  white %u", n[0], n[1]);
    cv_printf(cv, r.x, y++, w, STYLE_PLAIN, "gray %u  black %u", n[2], n[3]);
    if (sp->flags & HS_SPAN_CELLS_UNKNOWN)
        cv_text(cv, r.x, y++, w, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, 0),
                "being swept: cells in the next frame");
    if (sp->flags & HS_SPAN_INLINE_MARKS) /* Green Tea */
        cv_text(cv, r.x, y++, w, STYLE_PLAIN,
                sp->spanclass & 1 ? "last 128 B: inline mark bits"
                                  : "last 256 B: pointer bits, inline marks");
    if (sp->flags & HS_SPAN_SCANNING)
        cv_text(cv, r.x, y++, w, ui_style(ui, 201, HS_COLOR_DEFAULT, HS_ATTR_BOLD),
                "being scanned (span scan)");
    else if (sp->flags & HS_SPAN_QUEUED)
        cv_text(cv, r.x, y++, w, ui_style(ui, 44, HS_COLOR_DEFAULT, HS_ATTR_BOLD),
                sp->flags & HS_SPAN_MANY_MARKS ? "in a span queue, many marks"
                                               : "in a span queue, one mark");
    y++;
    for (int c = 0; c < 4; c++) {
        style st = {pal_cell(&ui->pal, (hs_cell)c), HS_COLOR_DEFAULT, 0};
        cv_put(cv, r.x, y, ui->pal.colors ? (c ? G_FULL : G_DOT) : pal_cell_glyph((hs_cell)c), st);
        cv_text(cv, r.x + 2, y++, w - 2, STYLE_PLAIN, source_cell_name(s, sp, (hs_cell)c));
    }
    if (sp->flags & HS_SPAN_INLINE_MARKS) {
        cv_put(cv, r.x, y, G_MEDIUM, ui_style(ui, 60, HS_COLOR_DEFAULT, 0));
        cv_text(cv, r.x + 2, y++, w - 2, STYLE_PLAIN, "reserved: inline mark block");
    }
    cv_text(cv, r.x, y++, w, dim, "reversed: freeindex");
    cv_text(cv, r.x, y++, w, dim, "underlined: the allocCache window");
    cv_text(cv, r.x, y++, w, dim, ui->pal.colors ? "bright: allocated in the last second"
                                                 : "bold: allocated in the last second");
    if (ui->pin != NULL)
        cv_text(cv, r.x, y++, w, dim, ui->pal.colors ? "green: allocated since the pin; × freed"
                                                     : "+ allocated since the pin; × freed");
    cv_text(cv, r.x, y + 1, w, dim, "h/l: previous/next span; 1: heap");
}

/* Was object i of sp free in the snapshot before (same span, same class)? */
static bool fresh(const hs_snapshot *before, int32_t bi, const hs_snap_span *sp, uint32_t i)
{
    if (before == NULL || bi < 0)
        return false;
    const hs_snap_span *bp = &hs_snap_spans(before)[bi];
    if (bp->spanclass != sp->spanclass || bp->nelems != sp->nelems)
        return true; /* the span is new since */
    return hs_snap_cell(before, bp, i) == HS_CELL_FREE;
}

static void grid(hs_ui *ui, const hs_snapshot *s, const hs_snap_span *sp, hs_canvas *cv, rect r)
{
    bool large = (sp->spanclass >> 1) == 0;
    uint32_t n = large ? sp->npages : sp->nelems;
    int cols = 64, cw = 2; /* objects a row, characters an object */
    while (cols > 8 && cols * cw > r.w)
        cols /= 2;
    if (cols * cw > r.w)
        cw = 1;
    const hs_snapshot *before = ui_before(ui, 1000000000LL);
    int32_t bi = before ? snap_span_by_addr(before, sp->start) : -1;
    uint32_t cache_end = (sp->freeindex & ~63u) + 64;
    const hs_snap_span *pinned = ui->pin != NULL ? compare_match(ui->pin, sp) : NULL;
    if (large)
        cv_printf(cv, r.x, r.y, r.w, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
                  "%u page%s, one object", n, n == 1 ? "" : "s");
    else
        cv_printf(cv, r.x, r.y, r.w, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
                  "%u object%s, %d a row", n, n == 1 ? "" : "s", cols);
    /* Green Tea: the span's tail holds its inline marks (and the pointer
     * bitmap in scan spans), never objects: drawn reserved, in object slots. */
    uint32_t reserved = 0;
    if (!large && (sp->flags & HS_SPAN_INLINE_MARKS) && sp->elemsize > 0) {
        uint32_t tail = (uint32_t)sp->npages * HS_SNAP_PAGE_SIZE - (uint32_t)sp->nelems * sp->elemsize;
        reserved = (tail + sp->elemsize - 1) / sp->elemsize;
    }
    for (uint32_t k = 0; k < reserved; k++) {
        uint32_t i = n + k;
        int row = (int)(i / (uint32_t)cols), col = (int)(i % (uint32_t)cols);
        if (row + 1 >= r.h)
            break;
        style st = ui_style(ui, 60, HS_COLOR_DEFAULT, 0);
        cv_put(cv, r.x + col * cw, r.y + 1 + row, G_MEDIUM, st);
        if (cw == 2)
            cv_put(cv, r.x + col * cw + 1, r.y + 1 + row, G_MEDIUM, st);
    }
    for (uint32_t i = 0; i < n; i++) {
        int row = (int)(i / (uint32_t)cols), col = (int)(i % (uint32_t)cols);
        if (row + 1 >= r.h) {
            cv_printf(cv, r.x, r.y + r.h - 1, r.w, STYLE_PLAIN, "... %u more objects", n - i);
            break;
        }
        hs_cell c = hs_snap_cell(s, sp, large ? 0 : i);
        style st = {pal_cell(&ui->pal, c), HS_COLOR_DEFAULT, 0};
        uint32_t ch = ui->pal.colors ? (c ? G_FULL : G_DOT) : pal_cell_glyph(c);
        if (c != HS_CELL_FREE && !large && fresh(before, bi, sp, i)) {
            st.attr |= HS_ATTR_BOLD;
        } else if (c == HS_CELL_WHITE && ui->pal.colors >= 256) {
            st.fg = 250; /* old white: a little dimmer than fresh */
        }
        if (ui->pin != NULL && !large) { /* d: allocated (+) or freed (x) since the pin */
            hs_cell then = pinned ? hs_snap_cell(ui->pin, pinned, i) : HS_CELL_FREE;
            if (c != HS_CELL_FREE && then == HS_CELL_FREE) {
                st = (style){pal_change(&ui->pal, CHANGE_NEW), HS_COLOR_DEFAULT, HS_ATTR_BOLD};
                ch = ui->pal.colors ? G_FULL : '+';
            } else if (c == HS_CELL_FREE && then != HS_CELL_FREE) {
                st = (style){pal_change(&ui->pal, CHANGE_FREED), HS_COLOR_DEFAULT, HS_ATTR_BOLD};
                ch = 0x00d7; /* × */
            }
        }
        if (!large && i == sp->freeindex)
            st.attr |= HS_ATTR_REVERSE;
        if (!large && i >= sp->freeindex && i < cache_end)
            st.attr |= HS_ATTR_UNDERLINE;
        int x = r.x + col * cw, y = r.y + 1 + row;
        cv_put(cv, x, y, ch, st);
        if (cw == 2)
            cv_put(cv, x + 1, y, ui->pal.colors && c ? G_FULL : ' ', st);
    }
}

void view_span_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    int32_t si = ui->sel_addr ? snap_span_by_addr(s, ui->sel_addr) : -1;
    if (si < 0 && s->nspans > 0 && ui->sel_addr == 0) {
        si = 0; /* nothing chosen yet: the first span */
        ui->sel_addr = hs_snap_spans(s)[0].start;
    }
    if (si < 0) {
        cv_printf(cv, r.x + 1, r.y + 1, r.w - 2, STYLE_PLAIN,
                  ui->sel_addr ? "The span at %#" PRIx64 " is gone (freed since it was chosen)."
                               : "No spans yet.",
                  ui->sel_addr);
        cv_text(cv, r.x + 1, r.y + 2, r.w - 2, STYLE_PLAIN,
                "Choose one in the heap view (1): move with the arrows, Enter opens it.");
        return;
    }
    const hs_snap_span *sp = &hs_snap_spans(s)[si];
    panel(ui, s, sp, cv, (rect){r.x + 1, r.y, PANEL_W, r.h});
    grid(ui, s, sp, cv, (rect){r.x + PANEL_W + 2, r.y, r.w - PANEL_W - 3, r.h});
}

bool view_span_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    int d = key == 'h' || key == HS_KEY_LEFT ? -1 : key == 'l' || key == HS_KEY_RIGHT ? 1 : 0;
    if (d == 0 || s->nspans == 0)
        return false;
    int32_t si = snap_span_by_addr(s, ui->sel_addr);
    if (si < 0) {
        si = 0;
    } else {
        si += d;
        si = si < 0 ? 0 : si >= (int32_t)s->nspans ? (int32_t)s->nspans - 1 : si;
    }
    ui->sel_addr = hs_snap_spans(s)[si].start;
    return true;
}
