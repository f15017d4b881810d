/*
 * record_parts.h — where a recording's bytes go (record_bench): every frame
 * of a recording encoded again as the writer encoded it (a keyframe where
 * the file has one, else a delta against the frame before), and each part of
 * the transformed snapshot (delta.c's parts, the span table field by field,
 * the span script) compressed alone at the writer's level.  Parts compressed
 * alone take a little more than the whole frame does, so the table is the
 * share of each part, and the file's own bytes are printed beside it.
 */
#ifndef HS_BENCH_RECORD_PARTS_H
#define HS_BENCH_RECORD_PARTS_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "heapscope/record.h"
#include "record/delta.h"
#include "record/delta_code.h"

#define SPAN_COLUMN(f) #f, offsetof(hs_snap_span, f), sizeof(((hs_snap_span *)0)->f)
static const struct {
    const char *name;
    size_t off, width;
} span_columns[] = {
    {SPAN_COLUMN(start)},       {SPAN_COLUMN(npages)},      {SPAN_COLUMN(page)},
    {SPAN_COLUMN(spanclass)},   {SPAN_COLUMN(sweep)},       {SPAN_COLUMN(cached_by)},
    {SPAN_COLUMN(central_set)}, {SPAN_COLUMN(elemsize)},    {SPAN_COLUMN(nelems)},
    {SPAN_COLUMN(alloc_count)}, {SPAN_COLUMN(freeindex)},   {SPAN_COLUMN(flags)},
    {SPAN_COLUMN(cells)},       {SPAN_COLUMN(pad)},         {SPAN_COLUMN(age_ns)},
};
#define NSPAN_COLUMNS (sizeof(span_columns) / sizeof(span_columns[0]))
enum { PART_HEADER, PART_CENTRAL, PART_PROCS, PART_ARENAS, PART_PAGES, PART_PAGE_SPAN,
       PART_EVENTS, PART_SPANS, PART_CELLS = PART_SPANS + NSPAN_COLUMNS, PART_SCRIPT, PART_ROWS,
       NPARTS };

typedef struct part_sums {
    double raw[NPARTS], key[NPARTS], delta[NPARTS];
} part_sums;

static const char *part_name(int k)
{
    static const char *names[] = {"header", "central", "procs", "arenas", "pages", "page_span",
                                  "events"};
    if (k < PART_SPANS)
        return names[k];
    if (k < PART_CELLS)
        return span_columns[k - PART_SPANS].name;
    return k == PART_CELLS ? "cells" : k == PART_SCRIPT ? "span script" : "rows stream";
}

/* Compressed bytes of n bytes at p, alone. */
static size_t part_bytes(ZSTD_CCtx *zc, uint8_t **buf, size_t *cap, const void *p, size_t n,
                         int level)
{
    size_t bound = ZSTD_compressBound(n);
    if (bound > *cap) {
        *buf = realloc(*buf, bound);
        *cap = bound;
    }
    size_t z = ZSTD_compressCCtx(zc, *buf, bound, p, n, level);
    return ZSTD_isError(z) ? n : z;
}

/* The parts of frame s transformed into d (script the span script).  A
 * delta's span table holds only its changed rows and its new spans' rows
 * (delta_pack.c): a bitmap of the first follows the script's runs (format
 * 5: a range-coded stream of the rows and five columns, in a keyframe too,
 * and its bytes; delta_rows.c), and column k starts at its offset times
 * their number.  The cells part is a range-coded stream and zeros
 * (delta_rc.c). */
static void add_parts(part_sums *ps, ZSTD_CCtx *zc, uint8_t **buf, size_t *cap,
                      const hs_snapshot *s, const uint8_t *d, const delta_ctx *dc, bool key,
                      int level)
{
    size_t at[][2] = {
        {0, s->central_off},
        {s->central_off, s->procs_off - s->central_off},
        {s->procs_off, s->arenas_off - s->procs_off},
        {s->arenas_off, s->pages_off - s->arenas_off},
        {s->pages_off, s->page_span_off - s->pages_off},
        {s->page_span_off, s->events_off - s->page_span_off},
        {s->events_off, s->spans_off - s->events_off},
    };
    double *to = key ? ps->key : ps->delta;
    /* The script: runs, the changed rows (format 4: a delta's bitmap;
     * format 5: the rows' range-coded stream and its bytes), the cells'
     * word. */
    bool stream = dc->format == 0 || dc->format >= 5;
    size_t words = key ? 0 : delta_pack_words(s->nspans), rows = key ? s->nspans : 0;
    if (stream)
        words = (dc->script[dc->script_len - 2] + 3) / 4 + 1;
    size_t runs = dc->script_len - 1 - words;
    for (size_t w = runs; !stream && w < runs + words; w++)
        rows += (size_t)__builtin_popcount(dc->script[w]);
    for (uint32_t i = 0; !key && i < s->nspans; i++)
        rows += stream ? dc->changed[i] : dc->map[i] < 0; /* a new span's row, without a bit */
    for (int k = 0; k < NPARTS; k++) {
        const uint8_t *p;
        size_t n;
        if (k < PART_SPANS)
            p = d + at[k][0], n = at[k][1];
        else if (k < PART_CELLS)
            p = d + s->spans_off + span_columns[k - PART_SPANS].off * rows,
            n = span_columns[k - PART_SPANS].width * rows;
        else if (k == PART_CELLS)
            p = d + s->cells_off, n = s->size - s->cells_off;
        else if (k == PART_SCRIPT)
            p = (const uint8_t *)dc->script, n = runs * 4;
        else
            p = (const uint8_t *)(dc->script + runs), n = words * 4;
        ps->raw[k] += (double)n;
        to[k] += n > 0 ? (double)part_bytes(zc, buf, cap, p, n, level) : 0;
    }
}

/* Print the table for rec, made at level (keyframes at least 6), over
 * seconds of recording.  False when a frame does not decode. */
static bool print_parts(hs_recording *rec, int level, double seconds)
{
    char why[256];
    size_t n = hs_recording_frames(rec), nkey = 0;
    part_sums *ps = calloc(1, sizeof(*ps));
    hs_snapshot *prev = NULL, *cur = NULL;
    uint8_t *out = NULL, *buf = NULL;
    size_t cap = 0;
    double file_key = 0, file_delta = 0;
    delta_ctx dc = {0};
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const hs_snapshot *s = hs_recording_frame(rec, i, why, sizeof(why));
        bool key = hs_recording_is_keyframe(rec, i);
        if (s == NULL) {
            fprintf(stderr, "record_bench: %s\n", why);
            ok = false;
            break;
        }
        cur = realloc(cur, s->size);
        out = realloc(out, s->size);
        memcpy(cur, s, s->size);
        *(key ? &file_key : &file_delta) += (double)hs_recording_frame_bytes(rec, i);
        nkey += key;
        if (delta_canonical(cur, cur->size) &&
            delta_encode(&dc, key || prev == NULL ? NULL : prev, cur, out))
            add_parts(ps, zc, &buf, &cap, cur, out, &dc, key, key && level < 6 ? 6 : level);
        hs_snapshot *t = prev;
        prev = cur;
        cur = t;
    }
    if (ok) {
        double sum_key = 0, sum_delta = 0;
        for (int k = 0; k < NPARTS; k++)
            sum_key += ps->key[k], sum_delta += ps->delta[k];
        printf("where the bytes go (%zu frames, %zu keyframes; each part compressed alone):\n"
               "  %-12s %10s %10s %10s %7s\n",
               n, nkey, "part", "raw B/fr", "key KB/s", "delta KB/s", "share");
        for (int k = 0; k < NPARTS; k++)
            if (ps->key[k] + ps->delta[k] >= 0.001 * (sum_key + sum_delta))
                printf("  %-12s %10.0f %10.1f %10.1f %6.1f%%\n", part_name(k),
                       ps->raw[k] / (double)n, ps->key[k] / seconds / 1e3,
                       ps->delta[k] / seconds / 1e3,
                       100 * (ps->key[k] + ps->delta[k]) / (sum_key + sum_delta));
        printf("  %-12s %10s %10.1f %10.1f\n  %-12s %10s %10.1f %10.1f\n", "parts, sum", "",
               sum_key / seconds / 1e3, sum_delta / seconds / 1e3, "the file", "",
               file_key / seconds / 1e3, file_delta / seconds / 1e3);
    }
    ZSTD_freeCCtx(zc);
    delta_ctx_destroy(&dc);
    free(ps);
    free(prev);
    free(cur);
    free(out);
    free(buf);
    return ok;
}

#endif
