/*
 * format.c — numbers as people read them, and lookups in a snapshot that
 * several views share.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ui/uistate.h"

const char *fmt_bytes(char *buf, size_t n, uint64_t b)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%" PRIu64 " B", b);
    else
        /* Three digits, chosen after rounding: 99.97 is "100", not "100.0". */
        snprintf(buf, n, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

const char *fmt_ns(char *buf, size_t n, int64_t ns)
{
    double v = (double)ns;
    if (ns < 1000)
        snprintf(buf, n, "%" PRId64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, n, "%.0f µs", v / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, n, v < 9.995e6 ? "%.2f ms" : v < 9.995e7 ? "%.1f ms" : "%.0f ms", v / 1e6);
    else
        snprintf(buf, n, "%.2f s", v / 1e9);
    return buf;
}

const char *phase_name(uint32_t phase)
{
    static const char *const names[] = {"off", "sweep termination", "mark", "mark termination",
                                        "sweep"};
    return phase < 5 ? names[phase] : "?";
}

const char *p_status_name(uint8_t st)
{
    static const char *const names[] = {"idle",           "running",           "assisting",
                                        "dedicated mark", "fractional mark", "stopped (STW)"};
    return st < 6 ? names[st] : "?";
}

int32_t snap_span_at_page(const hs_snapshot *s, int64_t page)
{
    if (page < 0 || (uint64_t)page >= s->npages)
        return -1;
    return hs_snap_page_span(s)[page];
}

int32_t snap_span_by_addr(const hs_snapshot *s, uint64_t addr)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    uint32_t lo = 0, hi = s->nspans;
    while (lo < hi) { /* spans are by address */
        uint32_t mid = lo + (hi - lo) / 2;
        if (sp[mid].start < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nspans && sp[lo].start == addr ? (int32_t)lo : -1;
}

/* The bits of x, which has them only at even positions (a cell's low or
 * high bit each): summed in place, two bits, then four, then the bytes. */
static inline uint32_t count_even_bits(uint64_t x)
{
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

void span_cell_counts(const hs_snapshot *s, const hs_snap_span *sp, uint32_t counts[4])
{
    memset(counts, 0, 4 * sizeof(counts[0]));
    const uint8_t *cells = HS_SNAP_ARRAY(uint8_t, s, s->cells_off) + sp->cells;
    /* 32 cells a word: the low bits L and high bits H of each cell side by
     * side (white 01, gray 10, black 11, free 00). */
    const uint64_t even = 0x5555555555555555ull;
    uint32_t words = sp->nelems / 32;
    for (uint32_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, cells + 8 * i, sizeof w);
        uint64_t lo = w & even, hi = (w >> 1) & even;
        counts[HS_CELL_WHITE] += count_even_bits(lo & ~hi);
        counts[HS_CELL_GRAY] += count_even_bits(hi & ~lo);
        counts[HS_CELL_BLACK] += count_even_bits(lo & hi);
    }
    uint32_t live = counts[HS_CELL_WHITE] + counts[HS_CELL_GRAY] + counts[HS_CELL_BLACK];
    counts[HS_CELL_FREE] = words * 32 - live;
    for (uint32_t i = words * 32; i < sp->nelems; i++)
        counts[hs_snap_cell(s, sp, i)]++;
}

style ui_style(const hs_ui *ui, uint16_t fg, uint16_t bg, uint8_t attr)
{
    return (style){pal_reduce(&ui->pal, fg), pal_reduce(&ui->pal, bg), attr};
}

bool ui_scroll(int *v, int key)
{
    switch (key) {
    case HS_KEY_UP:
    case 'k':
    case HS_KEY_WHEEL_UP:
        (*v)--;
        return true;
    case HS_KEY_DOWN:
    case 'j':
    case HS_KEY_WHEEL_DOWN:
        (*v)++;
        return true;
    case HS_KEY_PGUP:
        *v -= 10;
        return true;
    case HS_KEY_PGDN:
        *v += 10;
        return true;
    case HS_KEY_HOME:
        *v = 0;
        return true;
    default:
        return false;
    }
}
