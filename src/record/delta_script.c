/*
 * delta_script.c — the span script: which span of the new frame is which
 * span of the previous one (delta.c explains the transform).
 *
 * Both span tables are in address order; a merge of the two by start
 * address gives runs of match (a span in both), insert (new in this frame)
 * and delete (gone since), stored as words run << 2 | op.  The encoder
 * makes the script; both sides follow it into map (new span -> previous
 * one, or -1) and rmap (previous -> new, or -1).  A script that does not
 * account for exactly the spans of the two frames is refused, so map and
 * rmap never point outside their tables.  The event shift (where the new
 * event 0 sits in the previous event list) travels beside it.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "record/delta_code.h"

enum { OP_MATCH = 0, OP_INSERT = 1, OP_DELETE = 2 };
#define MAX_RUN ((1u << 30) - 1)

static bool script_push(delta_ctx *c, uint32_t op, uint32_t run)
{
    if (!rec_grow(&c->script, &c->script_cap, c->script_len + 1, sizeof(uint32_t)))
        return false;
    c->script[c->script_len++] = run << 2 | op;
    return true;
}

/* Merge both span tables by start address into runs of match, insert and
 * delete.  Any order of spans gives a script that decodes; ordered tables
 * give the shortest. */
bool delta_make_script(delta_ctx *c, const hs_snapshot *p, const hs_snapshot *s)
{
    c->script_len = 0;
    if (p == NULL)
        return true;
    const hs_snap_span *a = hs_snap_spans(p), *b = hs_snap_spans(s);
    uint32_t i = 0, j = 0, last = OP_MATCH, run = 0;
    while (i < s->nspans || j < p->nspans) {
        uint32_t op;
        if (i < s->nspans && j < p->nspans && b[i].start == a[j].start)
            op = OP_MATCH, i++, j++;
        else if (j == p->nspans || (i < s->nspans && b[i].start < a[j].start))
            op = OP_INSERT, i++;
        else
            op = OP_DELETE, j++;
        if (op == last && run > 0 && run < MAX_RUN) {
            run++;
            continue;
        }
        if (run > 0 && !script_push(c, last, run))
            return false;
        last = op;
        run = 1;
    }
    return run == 0 || script_push(c, last, run);
}

/* Follow the script: map and rmap for n new spans and pn previous ones.
 * False when the script does not account for exactly those. */
bool delta_script_maps(delta_ctx *c, bool keyframe, uint32_t pn, uint32_t n)
{
    if (!rec_grow(&c->map, &c->map_cap, (size_t)n + 1, sizeof(int32_t)) || /* never NULL */
        !rec_grow(&c->rmap, &c->rmap_cap, (size_t)pn + 1, sizeof(int32_t)))
        return false;
    if (keyframe) {
        if (n > 0) /* an empty heap has no spans, and maybe no map yet */
            memset(c->map, 0xff, n * sizeof(int32_t));
        return c->script_len == 0;
    }
    uint32_t i = 0, j = 0;
    for (size_t w = 0; w < c->script_len; w++) {
        uint32_t op = c->script[w] & 3, run = c->script[w] >> 2;
        bool news = op == OP_MATCH || op == OP_INSERT, olds = op == OP_MATCH || op == OP_DELETE;
        if (op > OP_DELETE || (news && run > n - i) || (olds && run > pn - j))
            return false;
        for (uint32_t k = 0; k < run; k++) {
            if (news)
                c->map[i] = olds ? (int32_t)j : -1;
            if (olds)
                c->rmap[j] = news ? (int32_t)i : -1;
            i += news;
            j += olds;
        }
    }
    return i == n && j == pn;
}

bool delta_set_script(delta_ctx *c, const uint8_t *words, size_t n, uint32_t event_shift)
{
    if (!rec_grow(&c->script, &c->script_cap, n, sizeof(uint32_t)))
        return false;
    for (size_t i = 0; i < n; i++)
        c->script[i] = get_le32(words + 4 * i);
    c->script_len = n;
    c->event_shift = event_shift;
    return true;
}

/* Where in the previous frame the new event 0 is, by seq. */
uint32_t delta_event_shift(const hs_snapshot *p, const hs_snapshot *s)
{
    if (p == NULL || p->nevents == 0 || s->nevents == 0)
        return REC_NO_SHIFT;
    uint64_t seq = hs_snap_events(s)[0].seq, first = hs_snap_events(p)[0].seq;
    if (seq < first || seq - first >= p->nevents || hs_snap_events(p)[seq - first].seq != seq)
        return REC_NO_SHIFT;
    return (uint32_t)(seq - first);
}
