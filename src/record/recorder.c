/*
 * recorder.c — writing a recording: a bounded queue of snapshot copies, and
 * one writer thread that encodes, compresses and writes them.
 *
 * The producer (the session, 30 times a second) must never wait for the
 * disk.  hs_recorder_add takes r->mu only to pop a spare buffer or reserve
 * budget and to append to the queue, never across the copy, the encoding or
 * a write; when the queue's budget (queue_bytes of frame buffers) is spent
 * the frame is dropped and counted.  The writer thread:
 *   1. writes the file header;
 *   2. pops items in order: a frame is delta-coded against the frame it
 *      wrote before (delta.c) or coded alone as a keyframe: every
 *      keyframe_every frames, or sooner when the deltas since the last
 *      keyframe hold keyframe_bytes of snapshot (the work of decoding them,
 *      which a seek pays), or already 7/8 of that and the collector marked
 *      or swept between this frame and the one before (a delta that would
 *      be large, so the keyframe due soon costs least here); compressed
 *      with zstd (its content checksum on);
 *      and written as one block.  A marker is a block of its caption;
 *   3. keeps each frame's offset, time and kind for the index;
 *   4. when asked to close and the queue is empty, writes the index block
 *      and the trailer.
 * The first failed write (ENOSPC, EFBIG, EIO...) stops the recording: the
 * stats say why, the writer discards what is queued, add becomes a no-op,
 * and the file is a cut-off recording the reader replays up to its last
 * complete frame.
 *
 * Who touches what: the fields marked mu are shared and read or written
 * under r->mu only; r->w belongs to the writer thread (and to close after the
 * join); the rest is immutable after hs_recorder_open.  Budget invariant:
 * r->held == the capacity of every frame buffer queued, spare, or held by
 * the writer (w.prev and the one it is writing), and held <= queue_bytes
 * except for a spare kept after a shrink.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "heapscope/record.h"
#include "record/delta.h"
#include "record/format.h"

#define DEFAULT_QUEUE_BYTES ((size_t)64 << 20)
#define DEFAULT_KEYFRAME_EVERY 900
/* Format 5 decodes a frame some 5% slower than format 4 did (its rows'
 * stream) and its keyframes in 5.5 ms, not 3.3: web's longest chain at 64
 * MiB took 93 ms of CPU on a 10-minute recording (85 in format 4), at 60
 * MiB 89, for 4 KB/s more (178.5 KB/s, not 174.4). */
#define DEFAULT_KEYFRAME_MIB 60
/* zstd levels: 8 makes web's recording 3% smaller than 3 (the same 881
 * frames, a keyframe every 80 MiB: 206 and 199.5 KB/s) for about 0.5 ms
 * more of the writer's CPU a frame (3.1 ms in all, 9% of a core at 30 fps); keyframes are few, so
 * worth a tighter level whatever the deltas use. */
#define DEFAULT_LEVEL 8
#define MIN_KEYFRAME_LEVEL 6

typedef enum item_kind { ITEM_FRAME, ITEM_MARKER } item_kind;

typedef struct item {
    struct item *next;
    item_kind kind;
    int64_t t_ns;
    size_t len; /* bytes used in buf */
    size_t cap; /* frame buffers: counted in r->held */
    uint8_t *buf;
} item;

/* The writer thread's own state. */
typedef struct writer {
    ZSTD_CCtx *zc;
    delta_ctx dc;
    item *prev;         /* the frame written last, for the next delta; NULL: a keyframe next */
    uint32_t since_key;  /* frames since the last keyframe */
    uint64_t chain_bytes; /* snapshot bytes of those frames */
    uint8_t *raw, *out; /* a payload before compression; a block after it */
    size_t raw_cap, out_cap;
    uint64_t offset; /* bytes in the file */
    rec_index_frame *frames;
    size_t nframes, frames_cap;
    uint64_t *markers; /* block offsets */
    size_t nmarkers, markers_cap;
    uint64_t keyframes, raw_bytes;
} writer;

struct hs_recorder {
    char *path;         /* immutable */
    int fd;             /* the writer's, then close's */
    size_t queue_bytes; /* immutable */
    int keyframe_every; /* immutable */
    uint64_t keyframe_bytes; /* immutable */
    int level;          /* immutable */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;    /* work for the writer */
    pthread_cond_t idle;  /* the writer has nothing queued or in hand */
    item *head, *tail;    /* mu: queued items, oldest first */
    bool busy;            /* mu: the writer holds an item */
    item *spare;          /* mu: frame items to reuse */
    size_t held;          /* mu: see the invariant above */
    bool closing;         /* mu */
    hs_recorder_stats st; /* mu */
    writer w;             /* the writer thread */
};

/* ---- the queue (producer side) --------------------------------------------------------- */

static void item_free(item *it)
{
    if (it != NULL)
        free(it->buf);
    free(it);
}

static void items_free(item *it)
{
    while (it != NULL) {
        item *next = it->next;
        item_free(it);
        it = next;
    }
}

/* A spare of at least n bytes, or NULL; spares too small for n are moved
 * to *dead (to be freed outside the lock) and leave the budget.  r->mu. */
static item *take_spare(hs_recorder *r, size_t n, item **dead)
{
    while (r->spare != NULL) {
        item *it = r->spare;
        r->spare = it->next;
        if (it->cap >= n)
            return it;
        r->held -= it->cap;
        it->next = *dead;
        *dead = it;
    }
    return NULL;
}

static void enqueue(hs_recorder *r, item *it)
{
    it->next = NULL;
    pthread_mutex_lock(&r->mu);
    if (r->tail != NULL)
        r->tail->next = it;
    else
        r->head = it;
    r->tail = it;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* A new frame item of cap bytes already counted in r->held; on failure the
 * budget is given back and the frame counted as dropped. */
static item *frame_item_new(hs_recorder *r, size_t cap)
{
    item *it = calloc(1, sizeof(*it));
    if (it != NULL && (it->buf = malloc(cap)) != NULL) {
        it->cap = cap;
        return it;
    }
    free(it);
    pthread_mutex_lock(&r->mu);
    r->held -= cap;
    r->st.frames_dropped++;
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

void hs_recorder_add(hs_recorder *r, const hs_snapshot *s)
{
    size_t n = s->size, cap = n + n / 8; /* room for the heap to grow a little */
    item *dead = NULL, *it = NULL;
    bool fresh = false;
    pthread_mutex_lock(&r->mu);
    if (!r->st.failed && !r->closing) {
        it = take_spare(r, n, &dead);
        if (it == NULL && r->held + n <= r->queue_bytes) {
            cap = r->held + cap <= r->queue_bytes ? cap : n;
            r->held += cap;
            fresh = true;
        } else if (it == NULL) {
            r->st.frames_dropped++;
        }
    }
    pthread_mutex_unlock(&r->mu);
    items_free(dead);
    if (fresh)
        it = frame_item_new(r, cap);
    if (it == NULL)
        return;
    it->kind = ITEM_FRAME;
    it->t_ns = s->t_ns;
    it->len = n;
    memcpy(it->buf, s, n);
    enqueue(r, it);
}

void hs_recorder_marker(hs_recorder *r, int64_t t_ns, const char *caption)
{
    size_t n = caption != NULL ? strnlen(caption, REC_MAX_CAPTION) : 0;
    item *it = calloc(1, sizeof(*it));
    if (it == NULL || (it->buf = malloc(n + 1)) == NULL) {
        free(it);
        return;
    }
    it->kind = ITEM_MARKER;
    it->t_ns = t_ns;
    it->len = n;
    memcpy(it->buf, caption != NULL ? caption : "", n);
    pthread_mutex_lock(&r->mu);
    bool stopped = r->st.failed || r->closing;
    pthread_mutex_unlock(&r->mu);
    if (stopped)
        item_free(it);
    else
        enqueue(r, it);
}

hs_recorder_stats hs_recorder_get_stats(hs_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    hs_recorder_stats st = r->st;
    pthread_mutex_unlock(&r->mu);
    return st;
}

/* ---- writing blocks (writer thread) ---------------------------------------------------- */

/* Stop the recording with one sentence; the first failure wins. */
static void fail(hs_recorder *r, const char *what, int err)
{
    pthread_mutex_lock(&r->mu);
    if (!r->st.failed) {
        r->st.failed = true;
        snprintf(r->st.error, sizeof(r->st.error),
                 "%s %s failed (%s): the recording stopped after %" PRIu64 " frames", what, r->path,
                 strerror(err), r->st.frames_written);
    }
    pthread_mutex_unlock(&r->mu);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? errno : EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Compress w->raw[0, len) at level into a block of kind and write it.
 * False when the recording failed. */
static bool write_block(hs_recorder *r, rec_block b, size_t len, int level)
{
    writer *w = &r->w;
    size_t bound = ZSTD_compressBound(len);
    if (!rec_grow(&w->out, &w->out_cap, REC_BLOCK_HEADER_BYTES + bound, 1)) {
        fail(r, "writing", ENOMEM);
        return false;
    }
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level);
    size_t z = ZSTD_compress2(w->zc, w->out + REC_BLOCK_HEADER_BYTES, bound, w->raw, len);
    if (ZSTD_isError(z)) {
        fail(r, "compressing for", ENOMEM);
        return false;
    }
    b.payload_bytes = (uint32_t)z;
    b.raw_bytes = (uint32_t)len;
    rec_block_put(w->out, &b);
    int err = write_all(r->fd, w->out, REC_BLOCK_HEADER_BYTES + z);
    if (err != 0) {
        fail(r, "writing", err);
        return false;
    }
    w->offset += REC_BLOCK_HEADER_BYTES + z;
    return true;
}

static bool write_file_header(hs_recorder *r)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    rec_header h = {HS_RECORDING_VERSION, REC_HEADER_BYTES, HS_SNAPSHOT_VERSION,
                    (uint32_t)r->keyframe_every, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
                    (uint32_t)(r->keyframe_bytes >> 20)};
    uint8_t buf[REC_HEADER_BYTES];
    rec_header_put(buf, &h);
    int err = write_all(r->fd, buf, sizeof(buf));
    if (err != 0)
        fail(r, "writing the header of", err);
    r->w.offset = sizeof(buf);
    return err == 0;
}

/* Did the collector mark, or finish a mark phase, between two frames?  Then
 * the delta carries new marks, or a sweep's verdicts on cells whose marks it
 * never saw, and costs about ten times a quiet one (record_bench's "where
 * the bytes go"), so a keyframe due soon anyway costs least here.  The
 * sweep generation is delta_spans.c's: cycle, less one while marking. */
static bool collector_moved(const hs_snapshot *prev, const hs_snapshot *s)
{
    enum { MARK = 2 }; /* hs_gcphase (heapscope/runtime.h, which this part does not see) */
    int64_t gen = (int64_t)s->cycle - (s->phase >= 1 && s->phase <= 3);
    int64_t pgen = (int64_t)prev->cycle - (prev->phase >= 1 && prev->phase <= 3);
    return s->phase == MARK || prev->phase == MARK || gen > pgen;
}

/* The payload of frame it: prefix, the transformed snapshot, the span
 * script.  *key says whether it is a keyframe.  Its length, 0 on failure. */
static size_t encode_frame(hs_recorder *r, const item *it, bool *key)
{
    writer *w = &r->w;
    const hs_snapshot *s = (const hs_snapshot *)(const void *)it->buf;
    bool canonical = delta_canonical(s, it->len);
    const hs_snapshot *prev = w->prev ? (const hs_snapshot *)(const void *)w->prev->buf : NULL;
    if (!canonical || prev == NULL || !delta_canonical(prev, w->prev->len) ||
        w->since_key + 1 >= (uint32_t)r->keyframe_every ||
        w->chain_bytes + it->len > r->keyframe_bytes ||
        (w->chain_bytes + it->len > r->keyframe_bytes / 8 * 7 && collector_moved(prev, s)))
        prev = NULL;
    *key = prev == NULL;
    if (!rec_grow(&w->raw, &w->raw_cap, REC_FRAME_PREFIX_BYTES + it->len, 1))
        return 0;
    rec_frame_prefix f = {(uint32_t)it->len, REC_MODE_RAW, 0, REC_NO_SHIFT};
    uint8_t *body = w->raw + REC_FRAME_PREFIX_BYTES;
    if (!canonical) {
        memcpy(body, it->buf, it->len);
    } else {
        if (!delta_encode(&w->dc, prev, s, body))
            return 0;
        f.mode = REC_MODE_DELTA;
        f.script_words = (uint32_t)w->dc.script_len;
        f.event_shift = w->dc.event_shift;
    }
    size_t len = REC_FRAME_PREFIX_BYTES + it->len + 4 * (size_t)f.script_words;
    if (!rec_grow(&w->raw, &w->raw_cap, len, 1))
        return 0;
    for (uint32_t i = 0; i < f.script_words; i++)
        put_le32(w->raw + REC_FRAME_PREFIX_BYTES + it->len + 4 * i, w->dc.script[i]);
    rec_frame_prefix_put(w->raw, &f);
    return len;
}

static bool index_add(writer *w, const rec_index_frame *e)
{
    if (!rec_grow(&w->frames, &w->frames_cap, w->nframes + 1, sizeof(*e)))
        return false;
    w->frames[w->nframes++] = *e;
    return true;
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void write_frame(hs_recorder *r, const item *it)
{
    writer *w = &r->w;
    int64_t t0 = thread_cpu_ns();
    bool key = false;
    size_t len = encode_frame(r, it, &key);
    if (len == 0 || len > REC_MAX_RAW_BYTES ||
        !index_add(w, &(rec_index_frame){w->offset, it->t_ns, 0, key ? REC_FRAME_KEY : 0})) {
        fail(r, "encoding a frame for", ENOMEM);
        return;
    }
    rec_block b = {key ? REC_BLOCK_KEYFRAME : REC_BLOCK_DELTA, 0, 0, (uint32_t)w->nframes - 1,
                   it->t_ns};
    int level = key && r->level < MIN_KEYFRAME_LEVEL ? MIN_KEYFRAME_LEVEL : r->level;
    if (!write_block(r, b, len, level)) {
        w->nframes--;
        return;
    }
    w->frames[w->nframes - 1].payload_bytes =
        (uint32_t)(w->offset - w->frames[w->nframes - 1].offset - REC_BLOCK_HEADER_BYTES);
    w->since_key = key ? 0 : w->since_key + 1;
    w->chain_bytes = key ? 0 : w->chain_bytes + it->len;
    w->keyframes += key;
    w->raw_bytes += it->len;
    pthread_mutex_lock(&r->mu);
    r->st.frames_written = w->nframes;
    r->st.keyframes = w->keyframes;
    r->st.bytes_written = w->offset;
    r->st.raw_bytes = w->raw_bytes;
    r->st.busy_ns += thread_cpu_ns() - t0;
    pthread_mutex_unlock(&r->mu);
}

static void write_marker(hs_recorder *r, const item *it)
{
    writer *w = &r->w;
    /* A marker lost to memory is not worth stopping the recording for. */
    if (!rec_grow(&w->markers, &w->markers_cap, w->nmarkers + 1, sizeof(uint64_t)) ||
        !rec_grow(&w->raw, &w->raw_cap, it->len + 1, 1))
        return;
    memcpy(w->raw, it->buf, it->len);
    uint64_t at = w->offset;
    rec_block b = {REC_BLOCK_MARKER, 0, 0, (uint32_t)w->nframes, it->t_ns};
    if (write_block(r, b, it->len, r->level)) {
        w->markers[w->nmarkers++] = at;
        pthread_mutex_lock(&r->mu);
        r->st.bytes_written = w->offset;
        pthread_mutex_unlock(&r->mu);
    }
}

/* The index block and the trailer. */
static void write_index(hs_recorder *r)
{
    writer *w = &r->w;
    size_t len = REC_INDEX_PREFIX_BYTES + w->nframes * REC_INDEX_FRAME_BYTES +
                 w->nmarkers * REC_INDEX_MARKER_BYTES;
    if (!rec_grow(&w->raw, &w->raw_cap, len, 1) || len > REC_MAX_RAW_BYTES) {
        fail(r, "writing the index of", ENOMEM);
        return;
    }
    uint8_t *p = w->raw;
    put_le32(p, (uint32_t)w->nframes);
    put_le32(p + 4, (uint32_t)w->nmarkers);
    p += REC_INDEX_PREFIX_BYTES;
    for (size_t i = 0; i < w->nframes; i++, p += REC_INDEX_FRAME_BYTES) {
        put_le64(p, w->frames[i].offset);
        put_le64(p + 8, (uint64_t)w->frames[i].t_ns);
        put_le32(p + 16, w->frames[i].payload_bytes);
        put_le32(p + 20, w->frames[i].flags);
    }
    for (size_t i = 0; i < w->nmarkers; i++, p += REC_INDEX_MARKER_BYTES)
        put_le64(p, w->markers[i]);
    rec_trailer t = {w->offset, (uint32_t)w->nframes, (uint32_t)w->nmarkers};
    if (!write_block(r, (rec_block){REC_BLOCK_INDEX, 0, 0, (uint32_t)w->nframes, 0}, len, r->level))
        return;
    uint8_t buf[REC_TRAILER_BYTES];
    rec_trailer_put(buf, &t);
    int err = write_all(r->fd, buf, sizeof(buf));
    if (err != 0)
        fail(r, "writing the trailer of", err);
    w->offset += sizeof(buf);
    pthread_mutex_lock(&r->mu);
    r->st.bytes_written = w->offset;
    pthread_mutex_unlock(&r->mu);
}

/* After writing it: a frame becomes w.prev (the previous one a spare), a
 * marker is freed.  r->mu. */
static void retire(hs_recorder *r, item *it, bool written)
{
    if (it->kind == ITEM_MARKER) {
        item_free(it);
        return;
    }
    item *old = written ? r->w.prev : it;
    if (written)
        r->w.prev = it;
    if (old != NULL) {
        old->next = r->spare;
        r->spare = old;
    }
}

static void *writer_main(void *arg)
{
    hs_recorder *r = arg;
    bool ok = write_file_header(r);
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->head == NULL && !r->closing)
            pthread_cond_wait(&r->cv, &r->mu);
        item *it = r->head;
        if (it == NULL)
            break;
        r->head = it->next;
        if (r->head == NULL)
            r->tail = NULL;
        r->busy = true;
        ok = !r->st.failed;
        pthread_mutex_unlock(&r->mu);
        if (ok && it->kind == ITEM_FRAME)
            write_frame(r, it);
        else if (ok)
            write_marker(r, it);
        pthread_mutex_lock(&r->mu);
        retire(r, it, ok && !r->st.failed);
        r->busy = false;
        if (r->head == NULL)
            pthread_cond_broadcast(&r->idle);
    }
    ok = !r->st.failed;
    pthread_mutex_unlock(&r->mu);
    if (ok)
        write_index(r);
    return NULL;
}

/* ---- open and close -------------------------------------------------------------------- */

static void recorder_free(hs_recorder *r)
{
    items_free(r->head);
    items_free(r->spare);
    item_free(r->w.prev);
    ZSTD_freeCCtx(r->w.zc);
    delta_ctx_destroy(&r->w.dc);
    free(r->w.raw);
    free(r->w.out);
    free(r->w.frames);
    free(r->w.markers);
    pthread_cond_destroy(&r->cv);
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->mu);
    free(r->path);
    free(r);
}

hs_recorder *hs_recorder_open(const char *path, const hs_recorder_opts *o, char *why, size_t n)
{
    hs_recorder_opts d = {0};
    o = o != NULL ? o : &d;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(why, n, "cannot create the recording %s: %s", path, strerror(errno));
        return NULL;
    }
    hs_recorder *r = calloc(1, sizeof(*r));
    if (r == NULL || (r->path = strdup(path)) == NULL || (r->w.zc = ZSTD_createCCtx()) == NULL)
        goto nomem;
    r->fd = fd;
    r->queue_bytes = o->queue_bytes > 0 ? o->queue_bytes : DEFAULT_QUEUE_BYTES;
    r->keyframe_every = o->keyframe_every > 0 ? o->keyframe_every : DEFAULT_KEYFRAME_EVERY;
    r->keyframe_bytes = (uint64_t)(o->keyframe_mib > 0 ? o->keyframe_mib : DEFAULT_KEYFRAME_MIB) << 20;
    r->level = o->level != 0 ? o->level : DEFAULT_LEVEL;
    ZSTD_CCtx_setParameter(r->w.zc, ZSTD_c_checksumFlag, 1);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_cond_init(&r->idle, NULL);
    if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
        snprintf(why, n, "cannot start the writer thread for the recording %s", path);
        close(fd);
        recorder_free(r);
        return NULL;
    }
    return r;
nomem:
    snprintf(why, n, "out of memory opening the recording %s", path);
    close(fd);
    if (r != NULL) {
        ZSTD_freeCCtx(r->w.zc);
        free(r->path);
    }
    free(r);
    return NULL;
}

void hs_recorder_flush(hs_recorder *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->head != NULL || r->busy)
        pthread_cond_wait(&r->idle, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

int hs_recorder_close(hs_recorder *r, char *why, size_t n)
{
    pthread_mutex_lock(&r->mu);
    r->closing = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    if (close(r->fd) != 0)
        fail(r, "closing", errno);
    int rc = r->st.failed ? -1 : 0;
    if (rc != 0)
        snprintf(why, n, "%s", r->st.error);
    recorder_free(r);
    return rc;
}
