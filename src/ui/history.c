/*
 * history.c — the ring of recent snapshots behind `f`, `,`, `.` and `End`.
 *
 * Each frame is the UI's own copy of a published snapshot, so the source can
 * reuse its buffers at once.  The ring is bounded twice, by frames (seconds
 * of history at the frame rate) and by bytes (a big heap's snapshots are
 * big): the oldest frames go first.
 *
 * The copies live in one reserved region of `budget` bytes, used as a ring
 * of bytes: a frame is placed right after the newest one, or at the start of
 * the region when it would not fit before the end, and the oldest frames are
 * dropped until its bytes are free.  So frames leave in the order they came
 * and the live bytes are one circular stretch [head, tail).  Why not a
 * buffer per frame: a big buffer freed and allocated again comes back from
 * the kernel as fresh pages, and filling fresh pages (a fault and zeroing a
 * page at a time) cost more than everything else a frame does.  The region
 * is touched once, asks for huge pages, and once it has turned no frame
 * costs a page fault.  Address space only is reserved: memory is used as
 * frames arrive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ui/uistate.h"

enum { frameAlign = 64, minRegion = 1 << 20 };

static size_t align_up(size_t n)
{
    return (n + frameAlign - 1) & ~(size_t)(frameAlign - 1);
}

bool hist_init(history *h, size_t frames, size_t budget)
{
    memset(h, 0, sizeof(*h));
    h->cap = frames ? frames : 1;
    h->ring = calloc(h->cap, sizeof(*h->ring));
    if (h->ring == NULL)
        return false;
    /* Where the address space is limited, settle for less history. */
    for (size_t size = align_up(budget ? budget : 1);; size /= 2) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p != MAP_FAILED) {
            madvise(p, size, MADV_HUGEPAGE); /* a hint: fewer faults when it is taken */
            h->base = p;
            h->size = size;
            return true;
        }
        if (size <= minRegion)
            break; /* even that was refused */
    }
    free(h->ring);
    h->ring = NULL;
    return false;
}

void hist_free(history *h)
{
    if (h->base != NULL)
        munmap(h->base, h->size);
    free(h->ring);
    memset(h, 0, sizeof(*h));
}

void hist_clear(history *h)
{
    h->n = 0;
    h->tail = 0;
}

static frame *slot(const history *h, size_t i)
{
    return &h->ring[(h->head + i) % h->cap];
}

static void drop_oldest(history *h)
{
    h->head = (h->head + 1) % h->cap;
    h->n--;
}

/* Is [off, off + len) clear of every frame kept? */
static bool room_at(const history *h, size_t off, size_t len)
{
    if (h->n == 0)
        return true;
    size_t first = (size_t)((const char *)slot(h, 0)->s - h->base); /* the oldest's bytes */
    if (first < h->tail) /* live bytes [first, tail): free after tail and before first */
        return off >= h->tail || off + len <= first;
    return off >= h->tail && off + len <= first; /* live bytes wrap: free [tail, first) */
}

bool hist_push(history *h, const hs_snapshot *s, int64_t now_ns)
{
    size_t need = align_up(s->size);
    if (need > h->size)
        return false;
    if (h->n == h->cap)
        drop_oldest(h);
    size_t off = h->tail + need <= h->size ? h->tail : 0;
    while (!room_at(h, off, need))
        drop_oldest(h);
    if (h->n == 0)
        off = 0;
    frame *f = slot(h, h->n);
    f->s = (hs_snapshot *)(h->base + off);
    f->cap = need;
    memcpy(f->s, s, s->size);
    f->seen_ns = now_ns;
    h->tail = off + need;
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
