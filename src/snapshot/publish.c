/*
 * publish.c — lock-free publication of snapshots: one writer, any number of
 * readers, and nobody ever waits for anybody.
 *
 * The publisher owns a pool of buffers.  Each buffer has a reference count of
 * the readers holding it, and one of them is "latest", the newest complete
 * snapshot.  Readers only ever touch latest and the count of the buffer they
 * hold; the pool itself belongs to the writer.
 *
 * Writer (reserve, fill, publish):
 *   1. take a buffer that is not latest and whose count is 0; if every buffer
 *      is held (or latest), allocate a new one — the writer never waits;
 *   2. fill it (growing it with realloc if the heap grew: nobody else can see
 *      it, so it may move);
 *   3. publish: one atomic exchange makes it latest.  The previous latest can
 *      be taken again as soon as its count is 0.
 * Reader (acquire):
 *   1. b = latest;  2. b->refs += 1;  3. if latest is still b, b is held: read
 *      it;  4. otherwise refs -= 1 and start again (the writer published in
 *      between and may already be refilling b).
 * Release: b->refs -= 1.
 *
 * Why a reader never reads a buffer being filled.  The reader's increment (R1)
 * and re-check (R2), and the writer's exchange (W1) and count check (W2) in
 * step 1, are sequentially consistent.  Suppose a reader holds b (R2 saw b)
 * and the writer takes b (W2 saw 0 after W1 replaced b).  In the single total
 * order R1 < R2 (program order), R2 < W1 (R2 read the value W1 overwrote) and
 * W1 < W2, so W2 comes after R1 and sees the count R1 raised: contradiction.
 * A reader that increments a buffer the writer is filling (it read latest
 * just before W1) fails its re-check and never reads the data; its count
 * stays in the buffer header, which is never freed while the publisher lives,
 * so the stray increment and decrement are harmless.  If the writer publishes
 * that very buffer again before the re-check, the re-check succeeds, and the
 * reader holds a complete snapshot — the newest one, as promised.
 * The release decrement is a release operation and the writer's count check
 * an acquire, so a reader's last reads of a buffer happen before the writer
 * refills it.
 *
 * Cost: the pool holds 2 buffers plus one per snapshot a reader holds (and,
 * for a moment, one per reader caught between steps 2 and 4).  A reader that
 * keeps a snapshot for a minute keeps exactly that buffer.
 *
 * Memory: each buffer's data block starts with a 64-byte prefix holding a
 * pointer back to its buffer, so hs_snapshot_release needs only the snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "heapscope/snapshot.h"

enum { dataPrefix = 64 }; /* bytes before the snapshot: the owning buffer */

typedef struct snapbuf {
    uint32_t refs; /* atomic: readers holding it, or caught mid-acquire */
    char *data;    /* writer; readers only after a confirmed acquire */
    size_t cap;    /* writer: bytes available for the snapshot */
} snapbuf;

struct hs_snapshot_publisher {
    snapbuf *latest; /* atomic */
    snapbuf **pool;  /* writer: every buffer, never shrinks */
    size_t npool, cappool;
    snapbuf *pending; /* writer: reserved, not yet published */
    /* Statistics: written by the writer with relaxed atomics, read by anyone. */
    uint64_t published, allocations, bytes;
    uint32_t buffers;
};

static void stat_add(uint64_t *v, uint64_t d)
{
    __atomic_fetch_add(v, d, __ATOMIC_RELAXED);
}

hs_snapshot_publisher *hs_snapshot_publisher_new(void)
{
    return calloc(1, sizeof(hs_snapshot_publisher));
}

void hs_snapshot_publisher_free(hs_snapshot_publisher *pub)
{
    if (pub == NULL)
        return;
    for (size_t i = 0; i < pub->npool; i++) {
        free(pub->pool[i]->data);
        free(pub->pool[i]);
    }
    free(pub->pool);
    free(pub);
}

/* ---- readers ------------------------------------------------------------------ */

static const hs_snapshot *snapbuf_snapshot(const snapbuf *b)
{
    return (const hs_snapshot *)(b->data + dataPrefix);
}

const hs_snapshot *hs_snapshot_acquire(hs_snapshot_publisher *pub)
{
    for (;;) {
        snapbuf *b = __atomic_load_n(&pub->latest, __ATOMIC_SEQ_CST);
        if (b == NULL)
            return NULL;
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_SEQ_CST);        /* R1 */
        if (__atomic_load_n(&pub->latest, __ATOMIC_SEQ_CST) == b) /* R2 */
            return snapbuf_snapshot(b);
        __atomic_sub_fetch(&b->refs, 1, __ATOMIC_SEQ_CST); /* lost a race: again */
    }
}

void hs_snapshot_release(const hs_snapshot *s)
{
    snapbuf *b;
    memcpy(&b, (const char *)s - dataPrefix, sizeof(b));
    __atomic_sub_fetch(&b->refs, 1, __ATOMIC_SEQ_CST);
}

/* ---- the writer ----------------------------------------------------------------- */

/* A new, empty buffer in the pool; NULL when out of memory. */
static snapbuf *pool_add(hs_snapshot_publisher *pub)
{
    if (pub->npool == pub->cappool) {
        size_t cap = pub->cappool ? pub->cappool * 2 : 4;
        snapbuf **p = realloc(pub->pool, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        pub->pool = p;
        pub->cappool = cap;
    }
    snapbuf *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    pub->pool[pub->npool++] = b;
    __atomic_store_n(&pub->buffers, (uint32_t)pub->npool, __ATOMIC_RELAXED);
    stat_add(&pub->bytes, sizeof(*b));
    return b;
}

/* Step 1: a buffer no reader holds and that is not latest. */
static snapbuf *pool_take(hs_snapshot_publisher *pub)
{
    snapbuf *latest = __atomic_load_n(&pub->latest, __ATOMIC_RELAXED); /* ours to change */
    for (size_t i = 0; i < pub->npool; i++) {
        snapbuf *b = pub->pool[i];
        if (b != latest && __atomic_load_n(&b->refs, __ATOMIC_SEQ_CST) == 0) /* W2 */
            return b;
    }
    return pool_add(pub);
}

/* Grow b to hold at least bytes, keeping its contents. */
static bool snapbuf_grow(hs_snapshot_publisher *pub, snapbuf *b, size_t bytes)
{
    size_t cap = bytes + bytes / 4; /* room for the heap to grow a little */
    cap = (cap + 4095) & ~(size_t)4095;
    char *d = realloc(b->data, dataPrefix + cap);
    if (d == NULL)
        return false;
    memcpy(d, &b, sizeof(b)); /* the back pointer hs_snapshot_release follows */
    stat_add(&pub->bytes, cap - b->cap);
    stat_add(&pub->allocations, 1);
    b->data = d;
    b->cap = cap;
    return true;
}

hs_snapshot *hs_snapshot_publisher_reserve(hs_snapshot_publisher *pub, size_t bytes)
{
    if (pub->pending == NULL)
        pub->pending = pool_take(pub);
    snapbuf *b = pub->pending;
    if (b == NULL || (b->cap < bytes && !snapbuf_grow(pub, b, bytes)))
        return NULL;
    return (hs_snapshot *)(b->data + dataPrefix);
}

void hs_snapshot_publisher_publish(hs_snapshot_publisher *pub, hs_snapshot *s)
{
    snapbuf *b = pub->pending;
    if (b == NULL || (const hs_snapshot *)snapbuf_snapshot(b) != s)
        return; /* not the reserved buffer: nothing to publish */
    pub->pending = NULL;
    (void)__atomic_exchange_n(&pub->latest, b, __ATOMIC_SEQ_CST); /* W1 */
    stat_add(&pub->published, 1);
}

hs_publisher_stats hs_snapshot_publisher_stats(hs_snapshot_publisher *pub)
{
    hs_publisher_stats st = {
        .published = __atomic_load_n(&pub->published, __ATOMIC_RELAXED),
        .allocations = __atomic_load_n(&pub->allocations, __ATOMIC_RELAXED),
        .bytes = __atomic_load_n(&pub->bytes, __ATOMIC_RELAXED),
        .buffers = __atomic_load_n(&pub->buffers, __ATOMIC_RELAXED),
    };
    return st;
}
