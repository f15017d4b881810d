/*
 * history.c — the ring of recent snapshots behind `f`, `,`, `.` and `End`.
 *
 * Each frame is the UI's own copy of a published snapshot, so the source can
 * reuse its buffers at once.  The ring is bounded twice, by frames (seconds
 * of history at the frame rate) and by bytes (a big heap's snapshots are
 * big): the oldest frames go first.  Buffers are reused as the ring turns,
 * growing only when a snapshot outgrows the one it replaces, so a steady
 * heap costs no allocation per frame; when the byte budget is what turns
 * the ring, the new frame takes the buffer of the oldest it drops (freed
 * and allocated again, a big buffer would come back from the kernel as
 * fresh pages, every one of them a fault to fill).
 */
#include <stdlib.h>
#include <string.h>

#include "ui/uistate.h"

bool hist_init(history *h, size_t frames, size_t budget)
{
    memset(h, 0, sizeof(*h));
    h->ring = calloc(frames ? frames : 1, sizeof(*h->ring));
    h->cap = frames ? frames : 1;
    h->budget = budget;
    return h->ring != NULL;
}

void hist_free(history *h)
{
    for (size_t i = 0; i < h->cap && h->ring != NULL; i++)
        free(h->ring[i].s);
    free(h->ring);
    memset(h, 0, sizeof(*h));
}

static frame *slot(const history *h, size_t i)
{
    return &h->ring[(h->head + i) % h->cap];
}

/* Drop the oldest frame, keeping its buffer for reuse. */
static void drop_oldest(history *h)
{
    h->head = (h->head + 1) % h->cap;
    h->n--;
}

bool hist_push(history *h, const hs_snapshot *s, int64_t now_ns)
{
    size_t need = s->size;
    if (h->n == h->cap)
        drop_oldest(h);
    frame *f = slot(h, h->n);
    /* Keep within the byte budget, counting what the new frame adds. */
    size_t grow = need > f->cap ? need - f->cap : 0;
    while (h->n > 0 && h->bytes + grow > h->budget) {
        frame *old = slot(h, 0);
        if (f->s == NULL) { /* the new frame takes the oldest's buffer */
            f->s = old->s;
            f->cap = old->cap;
            grow = need > f->cap ? need - f->cap : 0;
        } else { /* its buffer is given back */
            h->bytes -= old->cap;
            free(old->s);
        }
        old->s = NULL;
        old->cap = 0;
        drop_oldest(h);
    }
    if (f->cap < need) {
        hs_snapshot *b = realloc(f->s, need);
        if (b == NULL)
            return false;
        h->bytes += need - f->cap;
        f->s = b;
        f->cap = need;
    }
    memcpy(f->s, s, need);
    f->seen_ns = now_ns;
    h->n++;
    return true;
}

const frame *hist_at(const history *h, size_t i)
{
    return i < h->n ? slot(h, i) : NULL;
}

size_t hist_find(const history *h, uint64_t seq)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) { /* seqs rise along the ring */
        size_t mid = lo + (hi - lo) / 2;
        if (slot(h, mid)->s->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
