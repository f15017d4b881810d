/*
 * view_central.c — view 3, the mcentrals: one row per size class, its scan
 * and noscan span classes together.
 *
 * For each class: the object size, pages and objects of one span, and the
 * spans in each of the four sets of its mcentrals (partial/full x
 * swept/unswept) as bars on one scale, then objects in use and free in those
 * spans and the spans handed to mcaches so far.  A span cached by a P is in
 * no set; the Ps view shows those.  Classes with no span at all are dimmed.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ui/uistate.h"

#define BAR_W_MAX 10

/* Columns fitted to the width: each set's bar shrinks (to nothing at the
 * narrowest) before a number is cut. */
typedef struct layout {
    int bx, colw, barw; /* where the sets start, a set's columns, its bar's */
    int tx, numw, totw; /* where the object counts start, their widths */
} layout;

static layout layout_for(rect r)
{
    layout l = {.bx = r.x + 1 + 24};
    bool narrow = r.w < 130;
    l.numw = narrow ? 7 : 8;
    l.totw = narrow ? 10 : 12;
    int tail = 2 * (l.numw + 1) + l.totw;
    l.colw = (r.x + r.w - l.bx - tail) / 4;
    l.colw = l.colw > BAR_W_MAX + 7 ? BAR_W_MAX + 7 : l.colw < 7 ? 7 : l.colw;
    l.barw = l.colw - 7; /* a count of 5 and a space on each side */
    l.tx = l.bx + 4 * l.colw;
    return l;
}

typedef struct class_row {
    uint32_t set[4]; /* partial swept, partial unswept, full swept, full unswept */
    uint64_t inuse, free, nmalloc;
} class_row;

static class_row row_of(const hs_snapshot *s, int cl)
{
    class_row r = {0};
    for (int noscan = 0; noscan < 2; noscan++) {
        const hs_snap_central *c = &hs_snap_centrals(s)[cl << 1 | noscan];
        r.set[0] += c->partial_swept;
        r.set[1] += c->partial_unswept;
        r.set[2] += c->full_swept;
        r.set[3] += c->full_unswept;
        r.inuse += c->objects_inuse;
        r.free += c->objects_free;
        r.nmalloc += c->nmalloc;
    }
    return r;
}

static void bar(hs_ui *ui, hs_canvas *cv, int x, int y, const layout *l, uint32_t v, uint32_t max,
                uint16_t color)
{
    double cells = max ? (double)v * l->barw / max : 0;
    style st = ui_style(ui, color, HS_COLOR_DEFAULT, 0);
    for (int i = 0; i < l->barw; i++) {
        double part = cells - i;
        uint32_t ch = part >= 1 ? G_FULL : part > 0 ? 0x258f - (uint32_t)(part * 7) : ' ';
        if (v > 0 && i == 0 && part <= 0)
            ch = 0x258f; /* a non-zero count always shows */
        if (ui->pal.colors == 0 && ch != ' ')
            ch = '=';
        cv_put(cv, x + 1 + i, y, ch, st);
    }
    cv_printf(cv, x + 1 + l->barw, y, 6, STYLE_PLAIN, "%5u", v);
}

/* Two header rows: the groups, then the columns, each over its numbers. */
static void header(const compare_sums *cmp, hs_canvas *cv, rect r, const layout *l, bool attached)
{
    static const char *const sets[4] = {"swept", "unswept", "swept", "unswept"};
    style head = STYLE_BOLD;
    int x = r.x + 1, end = r.x + r.w;
    cv_text(cv, x, r.y + 1, end - x, head, "class   size pages objs");
    cv_text(cv, l->bx + 1, r.y, end - l->bx - 1, head, "partial spans");
    cv_text(cv, l->bx + 2 * l->colw + 1, r.y, end - l->bx - 2 * l->colw - 1, head, "full spans");
    for (int k = 0; k < 4; k++)
        cv_printf(cv, l->bx + k * l->colw, r.y + 1, l->colw, head, "%*s", l->colw - 1, sets[k]);
    int x2 = l->tx;
    cv_text(cv, x2 + 1, r.y, end - x2 - 1, head, "objects");
    x2 += cv_printf(cv, x2, r.y + 1, end - x2, head, "%*s %*s", l->numw, "in use", l->numw, "free");
    if (cmp != NULL)
        cv_text(cv, x2, r.y + 1, end - x2, head, "   since the pin: allocated, freed");
    else if (x2 + 1 + l->totw <= end) { /* spans handed out since the start */
        cv_printf(cv, x2, r.y, end - x2, head, " %*s", l->totw, "to mcaches");
        /* Go keeps no such count in its mcentral: said, never shown as zeros. */
        cv_printf(cv, x2, r.y + 1, end - x2, head, " %*s", l->totw, attached ? "(no count)" : "(total)");
    }
}

void view_central_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    static const uint16_t colors[4] = {114, 107, 75, 61};
    style dim = ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0);
    int x = r.x + 1;
    layout l = layout_for(r);
    const compare_sums *cmp = compare_sums_for(ui, s);
    bool attached = source_attached(s);
    header(cmp, cv, r, &l, attached);
    uint32_t max = 1;
    for (int cl = 1; cl < HS_SNAP_NUM_CLASSES; cl++) {
        class_row cr = row_of(s, cl);
        for (int k = 0; k < 4; k++)
            max = cr.set[k] > max ? cr.set[k] : max;
    }
    int rows = r.h - 3;
    int last = HS_SNAP_NUM_CLASSES - 1;
    if (ui->central_scroll > last - rows)
        ui->central_scroll = last - rows > 0 ? last - rows : 0;
    if (ui->central_scroll < 0)
        ui->central_scroll = 0;
    for (int i = 0; i < rows; i++) {
        int cl = 1 + ui->central_scroll + i;
        if (cl >= HS_SNAP_NUM_CLASSES)
            break;
        const hs_snap_central *c = &hs_snap_centrals(s)[cl << 1];
        class_row cr = row_of(s, cl);
        bool any = cr.set[0] + cr.set[1] + cr.set[2] + cr.set[3] + cr.inuse > 0 || cr.nmalloc > 0;
        int y = r.y + 2 + i;
        cv_printf(cv, x, y, 24, any ? STYLE_PLAIN : dim, "%5d %6u %5u %4u", cl, c->elemsize,
                  c->npages, c->nelems);
        for (int k = 0; k < 4; k++)
            bar(ui, cv, l.bx + k * l.colw, y, &l, cr.set[k], max, colors[k]);
        int n = cv_printf(cv, l.tx, y, r.x + r.w - l.tx, any ? STYLE_PLAIN : dim,
                          "%*" PRIu64 " %*" PRIu64, l.numw, cr.inuse, l.numw, cr.free);
        if (cmp != NULL) {
            char a[32], f[32];
            cv_printf(cv, l.tx + n, y, r.x + r.w - l.tx - n,
                      cmp->alloc[cl] || cmp->freed[cl] ? STYLE_BOLD : dim, "   +%-9s -%s",
                      fmt_bytes(a, sizeof(a), cmp->alloc[cl]), fmt_bytes(f, sizeof(f), cmp->freed[cl]));
        } else if (attached) {
            cv_printf(cv, l.tx + n, y, r.x + r.w - l.tx - n, dim, " %*s", l.totw, "-");
        } else {
            cv_printf(cv, l.tx + n, y, r.x + r.w - l.tx - n, any ? STYLE_PLAIN : dim, " %*" PRIu64,
                      l.totw, cr.nmalloc);
        }
    }
    cv_printf(cv, x, r.y + r.h - 1, r.w - 1, dim,
              "classes %d-%d of %d; up/down scroll; spans in an mcache are in no set (view 4)",
              1 + ui->central_scroll,
              1 + ui->central_scroll + rows - 1 < last ? 1 + ui->central_scroll + rows - 1 : last,
              last);
}

bool view_central_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    (void)s;
    return ui_scroll(&ui->central_scroll, key);
}
