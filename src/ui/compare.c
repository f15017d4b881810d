/*
 * compare.c — `d`: what changed between a pinned frame and the one on screen.
 *
 * The pinned frame is the UI's own copy, so it outlives the ring.  Pages are
 * matched by address (the heap may have grown arenas since), spans by
 * address and span class, objects by index within a matched span.  From
 * that: for each page, whether a span appeared on it, left it, was replaced
 * by another, or whether it was released to the OS; for each object of a
 * matched span, whether it was allocated or freed since; and per size class
 * the bytes allocated and freed, counting every object of a span that came
 * or went.  An object allocated and freed again between the two frames is
 * not seen: the comparison is of two pictures, not of the events between.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/uistate.h"

void compare_pin(hs_ui *ui, const hs_snapshot *s)
{
    if (s == NULL) {
        free(ui->pin);
        ui->pin = NULL;
        return;
    }
    hs_snapshot *copy = realloc(ui->pin, s->size);
    if (copy == NULL) {
        ui_say(ui, "out of memory: cannot pin this frame");
        return;
    }
    memcpy(copy, s, s->size);
    ui->pin = copy;
    ui->cmp_seq = 0;
}

/* The page index in s of the page at addr, or -1. */
static int64_t page_at_addr(const hs_snapshot *s, uint64_t addr)
{
    const hs_snap_arena *ar = hs_snap_arenas(s);
    uint64_t arena_bytes = (uint64_t)HS_SNAP_PAGES_PER_ARENA * HS_SNAP_PAGE_SIZE;
    for (uint32_t a = 0; a < s->narenas; a++)
        if (addr >= ar[a].base && addr - ar[a].base < arena_bytes)
            return ar[a].first_page + (int64_t)((addr - ar[a].base) / HS_SNAP_PAGE_SIZE);
    return -1;
}

static uint64_t page_addr(const hs_snapshot *s, int64_t p)
{
    const hs_snap_arena *ar = &hs_snap_arenas(s)[p / HS_SNAP_PAGES_PER_ARENA];
    return ar->base + (uint64_t)(p - ar->first_page) * HS_SNAP_PAGE_SIZE;
}

/* The span of the pinned frame matching sp (same start and class), or NULL. */
const hs_snap_span *compare_match(const hs_snapshot *pin, const hs_snap_span *sp)
{
    int32_t i = snap_span_by_addr(pin, sp->start);
    if (i < 0)
        return NULL;
    const hs_snap_span *old = &hs_snap_spans(pin)[i];
    return old->spanclass == sp->spanclass && old->nelems == sp->nelems ? old : NULL;
}

change_kind compare_page(const hs_ui *ui, const hs_snapshot *s, int64_t p)
{
    const hs_snapshot *pin = ui->pin;
    int64_t q = page_at_addr(pin, page_addr(s, p));
    int32_t now = hs_snap_page_span(s)[p];
    int32_t then = q >= 0 ? hs_snap_page_span(pin)[q] : -1;
    uint8_t st = hs_snap_pages(s)[p], st0 = q >= 0 ? hs_snap_pages(pin)[q] : HS_PAGE_UNUSED;
    if (now >= 0 && then < 0)
        return CHANGE_NEW;
    if (now < 0 && then >= 0)
        return st == HS_PAGE_RELEASED ? CHANGE_RELEASED : CHANGE_FREED;
    if (now >= 0) {
        const hs_snap_span *a = &hs_snap_spans(s)[now], *b = &hs_snap_spans(pin)[then];
        return a->start == b->start && a->spanclass == b->spanclass ? CHANGE_SAME : CHANGE_REUSED;
    }
    return st == HS_PAGE_RELEASED && st0 != HS_PAGE_RELEASED ? CHANGE_RELEASED : CHANGE_SAME;
}

static void count_span(compare_sums *c, const hs_snapshot *s, const hs_snap_span *sp, bool alloc)
{
    uint64_t bytes = (uint64_t)sp->alloc_count * sp->elemsize;
    int cl = sp->spanclass >> 1;
    if (alloc)
        c->alloc[cl] += bytes;
    else
        c->freed[cl] += bytes;
    (void)s;
}

/* The sums for the frame on screen, computed once per frame. */
const compare_sums *compare_sums_for(hs_ui *ui, const hs_snapshot *s)
{
    if (ui->pin == NULL)
        return NULL;
    if (ui->cmp_seq == s->seq && ui->cmp_pin_seq == ui->pin->seq)
        return &ui->cmp;
    const hs_snapshot *pin = ui->pin;
    compare_sums *c = &ui->cmp;
    memset(c, 0, sizeof(*c));
    /* Spans now: matched ones object by object, new ones whole. */
    for (uint32_t i = 0; i < s->nspans; i++) {
        const hs_snap_span *sp = &hs_snap_spans(s)[i], *old = compare_match(pin, sp);
        if (old == NULL) {
            count_span(c, s, sp, true);
            continue;
        }
        int cl = sp->spanclass >> 1;
        for (uint32_t k = 0; k < sp->nelems; k++) {
            bool a = hs_snap_cell(s, sp, k) != HS_CELL_FREE,
                 b = hs_snap_cell(pin, old, k) != HS_CELL_FREE;
            if (a && !b)
                c->alloc[cl] += sp->elemsize;
            else if (b && !a)
                c->freed[cl] += sp->elemsize;
        }
    }
    /* Spans then that are gone: all their objects freed. */
    for (uint32_t i = 0; i < pin->nspans; i++) {
        const hs_snap_span *old = &hs_snap_spans(pin)[i];
        int32_t j = snap_span_by_addr(s, old->start);
        const hs_snap_span *sp = j >= 0 ? &hs_snap_spans(s)[j] : NULL;
        if (sp == NULL || sp->spanclass != old->spanclass || sp->nelems != old->nelems)
            count_span(c, pin, old, false);
    }
    for (int cl = 0; cl < HS_SNAP_NUM_CLASSES; cl++) {
        c->alloc_total += c->alloc[cl];
        c->freed_total += c->freed[cl];
    }
    ui->cmp_seq = s->seq;
    ui->cmp_pin_seq = pin->seq;
    return c;
}

void compare_draw_line(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    const compare_sums *c = compare_sums_for(ui, s);
    if (c == NULL)
        return;
    char a[32], b[32], n[32], buf[400];
    int64_t net = (int64_t)c->alloc_total - (int64_t)c->freed_total;
    double dt = (double)(s->t_ns - ui->pin->t_ns) / 1e9;
    int len =
        snprintf(buf, sizeof(buf),
                 " since frame #%llu (%+.1f s): allocated %s, freed %s, net %s%s  by class:",
                 (unsigned long long)ui->pin->seq, dt, fmt_bytes(a, sizeof(a), c->alloc_total),
                 fmt_bytes(b, sizeof(b), c->freed_total), net < 0 ? "-" : "+",
                 fmt_bytes(n, sizeof(n), (uint64_t)(net < 0 ? -net : net)));
    /* The classes with the largest change, biggest first, as many as fit. */
    bool used[HS_SNAP_NUM_CLASSES] = {false};
    for (int k = 0; k < 6 && len < (int)sizeof(buf) - 40; k++) {
        int best = -1;
        uint64_t most = 0;
        for (int cl = 0; cl < HS_SNAP_NUM_CLASSES; cl++) {
            uint64_t m = c->alloc[cl] > c->freed[cl] ? c->alloc[cl] : c->freed[cl];
            if (!used[cl] && m > most) {
                most = m;
                best = cl;
            }
        }
        if (best < 0)
            break;
        used[best] = true;
        int64_t d = (int64_t)c->alloc[best] - (int64_t)c->freed[best];
        uint32_t size = hs_snap_centrals(s)[best << 1].elemsize;
        char sz[32], piece[80];
        if (best == 0)
            snprintf(sz, sizeof(sz), "large");
        else
            snprintf(sz, sizeof(sz), "%u B", size);
        snprintf(piece, sizeof(piece), "%s %s: %s%s", k ? "," : "", sz, d < 0 ? "-" : "+",
                 fmt_bytes(n, sizeof(n), (uint64_t)(d < 0 ? -d : d)));
        if (cv_width(buf) + cv_width(piece) > r.w)
            break; /* whole classes only */
        len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s", piece);
    }
    style st = ui_style(ui, 16, 150, HS_ATTR_BOLD);
    if (ui->pal.colors == 0)
        st.attr |= HS_ATTR_REVERSE;
    cv_fill(cv, r.x, r.y, r.w, 1, ' ', st);
    cv_text(cv, r.x, r.y, r.w, st, buf);
}
