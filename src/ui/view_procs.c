/*
 * view_procs.c — view 4, the Ps: what each is doing and what its mcache holds.
 *
 * One block per P: its status (running, assisting, dedicated or fractional
 * mark worker, idle, parked for stop-the-world), its tiny block, its
 * allocation counters and its mark time this cycle (in the block's fourth
 * row when the first has no room for them); then two rows of 67
 * cells, the scan and noscan span classes of each size class, each showing
 * the fill (allocCount / nelems) of the span the P caches for it, as a bar of
 * eighths in the class's color, or a dot when it caches none.  A ruler of the
 * class colors above the first P says which column is which class.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ui/uistate.h"

#define LABEL_W 8
#define BLOCK_ROWS 4
#define WIDE_COUNTERS_W 70 /* the counters beside the status, with room to grow */

static uint16_t status_color(uint8_t st)
{
    static const uint16_t c[] = {C_DIM, C_GOOD, 203, 171, 141, C_WARN};
    return st < 6 ? c[st] : C_DIM;
}

static void fill_row(hs_ui *ui, const hs_snapshot *s, const hs_snap_p *p, int noscan,
                     hs_canvas *cv, int x, int y)
{
    cv_text(cv, x, y, LABEL_W, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), noscan ? "  noscan" : "  scan");
    for (int cl = 1; cl < HS_SNAP_NUM_CLASSES; cl++) {
        int32_t si = p->mcache_span[cl << 1 | noscan];
        int cx = x + LABEL_W + cl - 1;
        if (si < 0 || (uint32_t)si >= s->nspans) {
            cv_put(cv, cx, y, G_DOT, ui_style(ui, 238, HS_COLOR_DEFAULT, 0));
            continue;
        }
        const hs_snap_span *sp = &hs_snap_spans(s)[si];
        double fill = sp->nelems ? (double)sp->alloc_count / sp->nelems : 0;
        uint32_t ch = pal_eighths(fill);
        if (ch == ' ')
            ch = '_'; /* cached, still empty */
        if (ui->pal.colors == 0)
            ch = fill >= 1 ? '#' : fill >= 0.5 ? '+' : fill > 0 ? '-' : '_';
        cv_put(cv, cx, y, ch, (style){pal_map(&ui->pal, MAP_SMALL, cl), HS_COLOR_DEFAULT, 0});
    }
}

static void ruler(hs_ui *ui, hs_canvas *cv, int x, int y, int end)
{
    cv_text(cv, x, y, LABEL_W, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "class");
    for (int cl = 1; cl < HS_SNAP_NUM_CLASSES; cl++) {
        uint32_t ch = cl % 10 == 0 ? (uint32_t)('0' + cl / 10) : cl % 5 == 0 ? '+' : G_FULL;
        if (ui->pal.colors == 0 && ch == G_FULL)
            ch = '.';
        style st = (ch == G_FULL) ? (style){pal_map(&ui->pal, MAP_SMALL, cl), HS_COLOR_DEFAULT, 0}
                                  : STYLE_PLAIN;
        cv_put(cv, x + LABEL_W + cl - 1, y, ch, st);
    }
    const char *note = "(tens marked; fill of each cached span)";
    int nx = x + LABEL_W + HS_SNAP_NUM_CLASSES;
    if (nx + cv_width(note) <= end) /* whole or not at all */
        cv_text(cv, nx, y, end - nx, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), note);
}

void view_procs_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    char a[32], b[32], buf[200];
    int x = r.x + 1;
    ruler(ui, cv, x, r.y, r.x + r.w);
    /* Narrow: each P's counters (and Green Tea's queue) take rows of their own. */
    bool wide = r.w >= x + LABEL_W + 18 + 32 + WIDE_COUNTERS_W;
    int block_rows = BLOCK_ROWS + (!wide && s->gcmode == 1);
    int per_screen = (r.h - 2) / block_rows;
    per_screen = per_screen < 1 ? 1 : per_screen;
    if (ui->procs_scroll > (int)s->nprocs - per_screen)
        ui->procs_scroll = (int)s->nprocs - per_screen > 0 ? (int)s->nprocs - per_screen : 0;
    for (int i = 0; i < per_screen; i++) {
        uint32_t id = (uint32_t)(ui->procs_scroll + i);
        if (id >= s->nprocs)
            break;
        const hs_snap_p *p = &hs_snap_procs(s)[id];
        int y = r.y + 1 + i * block_rows;
        int cx = x + cv_printf(cv, x, y, 6, STYLE_BOLD, "P%u", id);
        cx = x + LABEL_W;
        cx += cv_printf(cv, cx, y, 18, ui_style(ui, status_color(p->status), HS_COLOR_DEFAULT, HS_ATTR_BOLD),
                        "%-16s", p_status_name(p->status));
        if (p->tiny)
            snprintf(buf, sizeof(buf), "tiny block %#" PRIx64 " +%u/16", p->tiny, p->tinyoffset);
        else
            snprintf(buf, sizeof(buf), "no tiny block");
        cx += cv_printf(cv, cx, y, r.x + r.w - cx, STYLE_PLAIN, "%-32s", buf);
        if (source_attached(s))
            snprintf(buf, sizeof(buf), "allocs tiny %" PRIu64 "; small, large, mark time: %s",
                     p->tiny_allocs, SOURCE_UNREADABLE);
        else
            snprintf(buf, sizeof(buf),
                     "allocs tiny %" PRIu64 " small %" PRIu64 " large %" PRIu64 "  assist %s  worker %s",
                     p->tiny_allocs, p->small_allocs, p->large_allocs,
                     fmt_ns(a, sizeof(a), p->assist_ns), fmt_ns(b, sizeof(b), p->mark_worker_ns));
        if (wide) /* beside the status, or in the block's spare row */
            cv_text(cv, cx, y, r.x + r.w - cx, STYLE_PLAIN, buf);
        else
            cv_text(cv, x + LABEL_W, y + 3, r.x + r.w - x - LABEL_W, STYLE_PLAIN, buf);
        fill_row(ui, s, p, 0, cv, x, y + 1);
        fill_row(ui, s, p, 1, cv, x, y + 2);
        if (s->gcmode == 1 && !source_attached(s)) { /* Green Tea: its span queue */
            int qx = x + LABEL_W + HS_SNAP_NUM_CLASSES + 1, qy = y + 1;
            if (!wide) {
                qx = x + LABEL_W;
                qy = y + 4;
            }
            qx += cv_printf(cv, qx, qy, r.x + r.w - qx, STYLE_PLAIN,
                            "span queue: ring %u, chain %u; steals %" PRIu64, p->spanq_ring,
                            p->spanq_chain, p->span_steals);
            if (wide)
                qx = x + LABEL_W + HS_SNAP_NUM_CLASSES + 1, qy++;
            else
                qx += 2;
            if (p->scanning)
                cv_printf(cv, qx, qy, r.x + r.w - qx,
                          ui_style(ui, 201, HS_COLOR_DEFAULT, HS_ATTR_BOLD),
                          "scanning span %#" PRIx64, p->scanning);
        }
    }
    cv_printf(cv, x, r.y + r.h - 1, r.w - 1, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0),
              "Ps %d-%d of %u; up/down scroll", ui->procs_scroll,
              ui->procs_scroll + per_screen - 1 < (int)s->nprocs - 1 ? ui->procs_scroll + per_screen - 1
                                                                   : (int)s->nprocs - 1,
              s->nprocs);
}

bool view_procs_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    (void)s;
    bool r = ui_scroll(&ui->procs_scroll, key);
    if (ui->procs_scroll < 0)
        ui->procs_scroll = 0;
    return r;
}
